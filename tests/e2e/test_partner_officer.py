"""A partner officer: logs an activity in the engagement register; imports a spreadsheet of
activities (a CSV with a bad row first, which imports nothing, then the corrected workbook);
then shares a survey as a dataset: uploads it, maps its columns, themes, answer scale and
misspelt wards, and sees it imported by the background job. Run in English and in Welsh.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Locator, expect

from tests.e2e.journeys import LANGUAGES, sign_in, sign_out, start, unique
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser

# Demo: officer.police acts for Hartmoor Police in the Hartmoor Partnership (the county).
OFFICER = "officer.police@engage.example"
ORGANISATION = {"en": "Hartmoor Police", "cy": "Heddlu Hartmoor"}
SAFER = {"en": "Safer communities", "cy": "Cymunedau mwy diogel"}  # a demo theme (data)
WARD, OTHER_WARD = "Kelham Riverside", "Ashby Central"
MISSPELT_WARD = "Kelham Riversde"

# The register template's columns (engage/audit/imports.py COLUMNS).
REGISTER_COLUMNS = [
    "reference", "organisation", "title", "description", "method", "themes", "areas",
    "target_groups", "start_date", "end_date", "participants", "cost", "status",
    "outcome_statement", "outcome_link", "outcome_published_on", "shared_with_partners",
    "contact_name", "contact_email",
]


def group(visitor: Visitor, legend: str, **values: str | int) -> Locator:
    """A fieldset, by its legend."""
    return visitor.page.get_by_role("group", name=visitor.t(legend, **values), exact=True)


def fill_date(visitor: Visitor, legend: str, day: int, month: int, year: int) -> None:
    where = group(visitor, legend)
    for part, value in (("Day", day), ("Month", month), ("Year", year)):
        visitor.fill(where.get_by_label(visitor.t(part), exact=True), str(value))


def register_file(folder: Path, number: str, *, bad_row: bool) -> Path:
    """Three activities for the officer's organisation (organisation left empty: their own).

    With ``bad_row``, a CSV whose third activity has a date that does not exist (spreadsheet
    row 4); without, the corrected rows as an Excel workbook.
    """
    rows = []
    for index, area in enumerate((WARD, OTHER_WARD, "all"), start=1):
        rows.append({
            "reference": f"E2E-{number}-{index}", "title": f"Street safety walk {number}/{index}",
            "method": "public_meeting", "themes": SAFER["en"], "areas": area,
            "start_date": f"2026-10-{index:02d}", "end_date": f"2026-10-{index:02d}",
            "participants": "40", "cost": "120.50", "status": "planned",
        })
    if bad_row:
        rows[2]["start_date"] = "31/02/2026"
    if bad_row:
        path = folder / f"register-{number}-bad.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=REGISTER_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        return path
    path = folder / f"register-{number}.xlsx"  # the corrected file, as a workbook
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(REGISTER_COLUMNS)
    for row in rows:
        sheet.append([row.get(column, "") for column in REGISTER_COLUMNS])
    workbook.save(path)
    return path


QUESTION = "I feel safe walking alone after dark"


def survey_file(folder: Path, number: str) -> Path:
    """A respondent-level survey: 12 people in each of two wards, 3 under a misspelt ward."""
    answers = ["Strongly agree", "Agree", "Agree", "Disagree", "Strongly disagree", "Don't know"]
    rows = []
    for ward, count in ((WARD, 12), (OTHER_WARD, 12), (MISSPELT_WARD, 3)):
        for index in range(count):
            rows.append([f"R{len(rows) + 1}", ward, answers[index % len(answers)]])
    path = folder / f"survey-{number}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Respondent", "Neighbourhood", QUESTION], *rows])
    return path


def choose_in_mapping(visitor: Visitor, target: Locator, label: str, *, last: bool = False) -> None:
    """Pick an option in the mapping form: htmx posts it and the form comes back updated
    (axe checks the form as the last choice leaves it)."""
    if target.evaluate("(s) => s.options[s.selectedIndex].text.trim()") == label:
        return
    visitor.update(lambda: visitor.select(target, label), check=last)


def log_an_activity(visitor: Visitor, language: str, number: str) -> None:
    title = f"Community safety survey {number}"
    visitor.follow(
        visitor.link("Engagement register: check for duplication, log your activities")
    )
    visitor.expect_heading("Engagement register")
    visitor.follow(visitor.link("Add an activity", within=visitor.main))
    visitor.expect_heading("Add an activity")
    # Their one organisation is already chosen.
    expect(visitor.field("Partner organisation").locator("option:checked")).to_have_text(
        ORGANISATION[language]
    )
    visitor.fill(visitor.field("Title"), title)
    visitor.fill(visitor.field("Description (optional)"), "How safe do people feel at night?")
    visitor.select(visitor.field("Method"), visitor.t("Survey"))
    visitor.tick(group(visitor, "Themes").get_by_role("checkbox", name=SAFER[language]))
    visitor.tick(visitor.checkbox(WARD))
    fill_date(visitor, "Start date", 2, 11, 2026)
    fill_date(visitor, "End date", 30, 11, 2026)
    visitor.fill(visitor.field("Participants reached"), "250")
    visitor.choose(visitor.radio(visitor.t("Live")))
    visitor.submit(visitor.button("Save activity"))
    visitor.expect_success("Activity saved")
    visitor.expect_heading(title)
    expect(visitor.main).to_contain_text(WARD)
    expect(visitor.main).to_contain_text(visitor.t("Live"))


def import_activities(visitor: Visitor, folder: Path, number: str) -> None:
    visitor.follow(visitor.link("Back"))
    visitor.expect_heading("Engagement register")
    visitor.follow(visitor.link("Import from a spreadsheet"))
    visitor.expect_heading("Import activities")

    # One bad row: nothing is imported, and the row is named.
    visitor.upload(
        visitor.field("Register file (CSV or XLSX)"), register_file(folder, number, bad_row=True)
    )
    visitor.submit(visitor.button("Import activities"))
    expect(visitor.page.locator(".govuk-error-summary")).to_contain_text(
        visitor.t("Nothing was imported: fix the rows listed and upload the file again")
    )
    problems = visitor.page.get_by_role("table", name=visitor.t("Problems in the file"))
    bad = problems.get_by_role("row").filter(has_text="start_date")
    expect(bad.get_by_role("cell").first).to_have_text("4")
    expect(bad).to_contain_text(
        visitor.t("Start date must be a real date, like 2025-03-31 or 31/03/2025")
    )
    expect(problems.get_by_role("row")).to_have_count(2)  # the header and the one bad row

    # The corrected file: all three rows.
    visitor.upload(
        visitor.field("Register file (CSV or XLSX)"), register_file(folder, number, bad_row=False)
    )
    visitor.submit(visitor.button("Import activities"))
    visitor.expect_success(
        "Import finished. New activities: %(created)d. Updated activities: %(updated)d.",
        created=3, updated=0,
    )
    visitor.expect_heading("Engagement register")

    # The register filtered to them lists exactly the three, the bad file's rows only once.
    search = visitor.field("Title contains")
    visitor.fill(search, f"Street safety walk {number}/")
    visitor.update(lambda: visitor.hands.activate(visitor.button("Apply filters")))
    table = visitor.main.get_by_role("table", name=visitor.t("Activities"))
    expect(table.get_by_role("link", name=f"Street safety walk {number}/", exact=False)).to_have_count(3)


def share_a_survey(visitor: Visitor, language: str, folder: Path, number: str) -> None:
    title = f"Night-time safety survey {number}"
    visitor.follow(visitor.link("Home", within=visitor.header))
    visitor.follow(
        visitor.link("Partner intelligence: share your surveys and see partners' results")
    )
    visitor.expect_heading("Partner intelligence")
    visitor.follow(visitor.link("Add a dataset", within=visitor.main))
    visitor.expect_heading("Add a dataset")
    visitor.fill(visitor.field("Title"), title)
    visitor.choose(visitor.radio(visitor.t("Respondent-level: one row per person who answered")))
    visitor.fill(visitor.field("Source"), "Hartmoor Police neighbourhood survey")
    visitor.tick(group(visitor, "Themes").get_by_role("checkbox", name=SAFER[language]))
    visitor.choose(visitor.radio(visitor.t("Everyone working in the partnership")))
    visitor.submit(visitor.button("Save", within=visitor.main))
    visitor.expect_success("Dataset added: now upload its data")

    visitor.upload(visitor.field("Data file"), survey_file(folder, number))
    visitor.submit(visitor.button("Upload and map columns"))
    visitor.expect_heading("Map the columns")

    # Columns to roles: the respondent number is not imported, the neighbourhood is the ward.
    columns = [(1, "Respondent"), (2, "Neighbourhood"), (3, QUESTION)]
    role = {
        n: group(visitor, "Column %(number)d: %(name)s", number=n, name=name).get_by_label(
            visitor.t("What this column holds"), exact=True
        )
        for n, name in columns
    }
    choose_in_mapping(visitor, role[1], visitor.t("Do not import"))
    choose_in_mapping(visitor, role[2], visitor.t("Ward name"))
    choose_in_mapping(visitor, role[3], visitor.t("Question (answers)"))

    # The question: its theme and its answer scale; each answer then means a point on it.
    question = group(visitor, "Column %(number)d: %(name)s", number=3, name=QUESTION)
    choose_in_mapping(
        visitor, question.get_by_label(visitor.t("Theme"), exact=True), SAFER[language]
    )
    choose_in_mapping(
        visitor,
        question.get_by_label(visitor.t("Scale of the answers"), exact=True),
        visitor.t("Agree to disagree"),
    )
    meaning = question.get_by_label(
        visitor.t("What “%(answer)s” means", answer="Strongly agree"), exact=True
    )
    expect(meaning.locator("option:checked")).to_have_text(visitor.t("Strongly agree"))

    # The ward names: two match; the misspelt one is listed, to be matched by hand.
    expect(visitor.main).to_contain_text(
        visitor.t("%(count)d of the area values in the file match a known area.", count=2)
    )
    unmatched = visitor.page.get_by_role(
        "table",
        name=visitor.t("Areas that did not match: choose the area each means, or drop its rows"),
    )
    expect(unmatched.get_by_role("rowheader")).to_have_text([MISSPELT_WARD])
    choose_in_mapping(
        visitor,
        visitor.field("Area meant by “%(value)s”", value=MISSPELT_WARD),
        WARD,
        last=True,
    )

    # Import: the job runs in the background; its page follows it to the end.
    visitor.submit(visitor.button("Check and import"))
    visitor.expect_heading("Importing a dataset")
    carry_on = visitor.link("Continue")
    expect(carry_on).to_be_visible(timeout=30_000)
    expect(visitor.page.locator("#job-status-tag")).to_have_text(visitor.t("Finished"))
    visitor.follow(carry_on)
    visitor.expect_heading(title)
    expect(visitor.main).to_contain_text(QUESTION)
    uploads = visitor.main.get_by_role("table", name=visitor.t("Uploads"))
    expect(uploads.get_by_role("row").filter(has_text=f"survey-{number}.csv")).to_contain_text("27")


def partner_officer_journey(visitor: Visitor, language: str, folder: Path) -> None:
    number = unique("")
    start(visitor, language)
    sign_in(visitor, OFFICER)
    visitor.expect_text("As a partner officer")
    log_an_activity(visitor, language, number)
    import_activities(visitor, folder, number)
    share_a_survey(visitor, language, folder, number)
    sign_out(visitor)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_partner_officer_logs_and_imports_activities_and_shares_a_mapped_survey(
    open_visitor: OpenVisitor, language: str, tmp_path: Path
) -> None:
    partner_officer_journey(open_visitor("officer"), language, tmp_path)
