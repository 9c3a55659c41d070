"""Citizens' panels: a resident volunteers for the panel and leaves it (with and without
JavaScript); a
coordinator creates a panel, imports a pool in the Sortition Foundation's format, runs a
selection (a long job) and opens its report. Run in English and in Welsh.

The coordinator works on a panel of their own, so the demo panel (whose members answer the
panel-only consultation in other journeys) is left as it is.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    COORDINATOR,
    LANGUAGES,
    register,
    sign_in,
    sign_out,
    start,
    unique,
)
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser

DEMO_PANEL = "Hartmoor Citizens' Panel"  # demo data: a name, not a message
DEMO_PANEL_SURVEY = "Citizens' panel: health and wellbeing services"
WARD = "Kelham Riverside"
JOB_TIMEOUT_MS = 60_000
CONSENT = (
    "I agree that the partnership may keep my answers about ethnicity and disability, "
    "only to make the panel representative"
)


def _answer(visitor: Visitor, question: str, answer: str) -> None:
    group = visitor.main.get_by_role("group", name=visitor.t(question), exact=True)
    visitor.choose(group.get_by_role("radio", name=visitor.t(answer), exact=True))


def volunteer_journey(visitor: Visitor, language: str) -> None:
    """Register, find the panel on the home page, volunteer with consent, read the notice,
    then leave the panel again."""
    number = unique("")
    email = f"panel{number}@example.org"
    start(visitor, language)
    register(visitor, email, "three random words", WARD)
    visitor.follow(visitor.link("Volunteer for %(panel)s", panel=DEMO_PANEL, within=visitor.main))
    visitor.expect_heading("Volunteer for the citizens' panel")

    # Leaving out the address is refused with the GOV.UK error summary.
    visitor.fill(visitor.field("Full name"), f"Panel Volunteer {number}")
    visitor.submit(visitor.button("Volunteer"))
    summary = visitor.page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(visitor.t("Enter your address"))

    visitor.fill(visitor.field("Email address"), email)
    visitor.fill(visitor.field("Address"), f"{number} Orchard Way, Kelham")
    visitor.fill(visitor.field("Postcode"), "HM4 2ZZ")
    visitor.select(visitor.field("Home ward"), WARD)
    _answer(visitor, "Age", "45 to 64")
    _answer(visitor, "Sex", "Female")
    _answer(visitor, "Ethnic group", "Asian or Asian British")
    _answer(visitor, "Disability", "Not disabled")
    _answer(visitor, "Housing tenure", "Social rented")
    visitor.tick(visitor.checkbox(visitor.t(CONSENT)))
    visitor.submit(visitor.button("Volunteer"))
    visitor.expect_heading("Thank you for volunteering")
    # Special-category answers travel in the form's body, never in the address.
    assert "ethnicity" not in visitor.page.url and "?" not in visitor.page.url

    visitor.follow(visitor.link("How we use your information", within=visitor.main))
    visitor.expect_heading("How we use your information")
    expect(visitor.main).to_contain_text(visitor.t("Only the partnership's panel coordinators "
                                                   "can see your answers, and every time they "
                                                   "look it is recorded."))

    # They change their mind: leaving erases their details.
    visitor.follow(visitor.link("Leave the panel", within=visitor.main))
    visitor.expect_heading("Leave the panel")
    visitor.tick(visitor.checkbox(visitor.t("I want to leave: withdraw me and erase my details")))
    visitor.submit(visitor.button("Leave the panel"))
    visitor.expect_success("You have left the panel and your details have been erased.")
    visitor.expect_heading("Welcome", exact=False)
    sign_out(visitor)


def _pool_files(folder: Path, size: int = 30) -> tuple[Path, Path]:
    """A Sortition Foundation pool: people (id and one column per feature) and features."""
    rng = random.Random(7)
    people = folder / "people.csv"
    rows = ["id,first_name,last_name,sex,tenure"]
    for index in range(size):
        rows.append(f"E{index:03d},Pat,Example{index},{rng.choice(['female', 'male'])},"
                    f"{rng.choice(['owned', 'owned', 'social_rented', 'private_rented'])}")
    people.write_text("\n".join(rows) + "\n", encoding="utf-8")
    features = folder / "features.csv"
    features.write_text(
        "feature,value,min,max\n"
        "sex,female,2,4\nsex,male,2,4\n"
        "tenure,owned,2,4\ntenure,social_rented,1,2\ntenure,private_rented,1,2\n",
        encoding="utf-8",
    )
    return people, features


def coordinator_journey(visitor: Visitor, language: str, folder: Path) -> None:
    """Create a panel, import its pool, select it as a job, open the selection report."""
    name = unique("Test panel ")
    start(visitor, language)
    sign_in(visitor, COORDINATOR)
    visitor.follow(visitor.link(
        "Citizens' panels: volunteers, quotas, selection, members and surveys",
        within=visitor.main))
    visitor.expect_heading("Citizens' panels")
    visitor.fill(visitor.field("Panel name"), name)
    visitor.fill(visitor.field("Number of members"), "6")
    visitor.submit(visitor.button("Create panel"))
    visitor.expect_heading(name)
    visitor.expect_success("Panel created.")

    panel_pages = visitor.page.get_by_role("navigation", name=visitor.t("Panel pages"))
    visitor.follow(visitor.link("Import a pool", within=panel_pages))
    visitor.expect_heading("Import a pool")
    people, features = _pool_files(folder)
    visitor.upload(visitor.field("People file (CSV)"), people)
    visitor.upload(visitor.field("Features file (CSV: feature, value, min, max)"), features)
    visitor.submit(visitor.button("Import pool"))
    visitor.expect_heading(name)
    visitor.expect_success("%(count)s volunteers imported.", count=30)

    visitor.follow(visitor.link("Select", within=panel_pages))
    visitor.expect_heading("Select the panel")
    visitor.expect_text("A panel meeting every quota can be selected from the pool.")
    visitor.choose(visitor.radio(visitor.t(
        "Leximin (fairest: maximises the lowest chance of selection)")))
    visitor.fill(visitor.field("Random seed"), "2026")
    visitor.submit(visitor.button("Run selection"))
    visitor.expect_heading("Selecting the citizens' panel")

    # The status page follows the job (htmx, or a meta refresh without JavaScript).
    status = visitor.page.locator("#job-status-tag")
    finished, failed = visitor.t("Finished"), visitor.t("Failed")
    expect(status).to_have_text(
        re.compile(f"^({re.escape(finished)}|{re.escape(failed)})$"), timeout=JOB_TIMEOUT_MS
    )
    expect(status).to_have_text(finished, timeout=1)
    visitor.recheck()
    visitor.follow(visitor.link("Continue", within=visitor.main))
    visitor.expect_heading("Initial selection")

    facts = visitor.main.locator(".govuk-summary-list")
    expect(facts).to_contain_text(visitor.t("Lowest selection probability"))
    expect(facts).to_contain_text("2026")
    bands = visitor.main.get_by_role("table", name=visitor.t("Volunteers by chance of being selected"))
    expect(bands.get_by_role("row")).to_have_count(11)
    quotas = visitor.main.get_by_role("table", name=visitor.t("Quotas used"))
    expect(quotas.get_by_role("row")).to_have_count(6)
    download = visitor.download(visitor.link("Download selection probabilities (CSV)"))
    lines = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "id,probability" and len(lines) == 31
    assert abs(sum(float(line.split(",")[1]) for line in lines[1:]) - 6) < 0.01

    visitor.follow(visitor.link("Members", within=panel_pages))
    visitor.expect_heading("Members")
    members = visitor.main.get_by_role("table", name=visitor.t("Panel members"))
    expect(members.get_by_role("row")).to_have_count(7)

    # A volunteer asks to leave: erased from the pool page.
    visitor.follow(visitor.link("Pool", within=panel_pages))
    visitor.expect_heading("Pool of volunteers")
    visitor.follow(visitor.main.get_by_role("link", name=re.compile(r"E029$")))
    visitor.expect_heading("Erase %(name)s (%(reference)s)", name="Pat Example29",
                           reference="E029")
    visitor.tick(visitor.checkbox(visitor.t(
        "They asked to leave the pool: withdraw them and erase their details")))
    visitor.submit(visitor.button("Erase volunteer"))
    visitor.expect_success("The volunteer was withdrawn and their details erased.")
    expect(visitor.main).not_to_contain_text("Pat Example29")

    # Panel surveys, and the settings: close the public sign-up.
    visitor.follow(visitor.link("Surveys", within=panel_pages))
    visitor.expect_heading("Panel surveys")
    expect(visitor.main).to_contain_text(DEMO_PANEL_SURVEY)
    visitor.follow(visitor.link("Settings", within=panel_pages))
    visitor.expect_heading("Settings")
    visitor.page.get_by_label(visitor.t("The public sign-up page is open"), exact=True).uncheck()
    visitor.submit(visitor.button("Save settings"))
    visitor.expect_success("Settings saved.")
    sign_out(visitor)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_resident_volunteers_for_the_panel_with_explicit_consent(
    open_visitor: OpenVisitor, language: str
) -> None:
    volunteer_journey(open_visitor("resident"), language)


def test_a_resident_volunteers_without_javascript(open_visitor: OpenVisitor) -> None:
    visitor = open_visitor("resident", javascript=False)
    volunteer_journey(visitor, "en")
    expect(visitor.page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_coordinator_selects_a_panel_and_opens_the_result(
    open_visitor: OpenVisitor, language: str, tmp_path: Path
) -> None:
    coordinator_journey(open_visitor("coordinator"), language, tmp_path)
