"""Bulk import: all or nothing, row-numbered errors, CSV (UTF-8, Windows-1252) and XLSX, no duplicates."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from engage.audit import imports
from engage.audit.models import EngagementActivity, Method, Status
from engage.core.errors import ImportFailed
from engage.extensions import db
from tests.audit.conftest import RegisterWorld
from tests.conftest import sign_in

HEADER = ["organisation", "title", "method", "themes", "areas", "target_groups", "start_date",
          "end_date", "participants", "cost", "status", "outcome_statement"]
GOOD = [
    ["Hart Police", "Night-time safety survey", "survey", "Safer streets", "E05900001; Vale", "young_people",
     "2025-03-01", "2025-03-31", "250", "1,250.50", "closed", ""],
    ["Hart Council", "Bus routes meeting", "Public meeting", "transport", "all", "",
     "14/05/2025", "", "60", "£300", "Results published", "We kept the 12 bus"],
    ["Hart Council", "Older people's transport focus group", "focus group", "Transport; Strydoedd diogel",
     "Hart District", "Older people", "2025-06-02", "2025-06-20", "12", "", "live", ""],
]


def csv_file(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def run_import(world: RegisterWorld, data: bytes, filename: str = "register.csv",
               allowed: set[int] | None = None) -> imports.ImportResult:
    result = imports.import_activities(
        world.coordinator.id, world.partnership, imports.read_upload(filename, data),
        allowed_organisation_ids=allowed if allowed is not None else {world.police.id, world.council.id},
    )
    db.session.commit()
    return result


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(EngagementActivity)
                                 .where(EngagementActivity.import_key.is_not(None))) or 0)


def test_a_good_file_imports_every_row_with_names_codes_and_both_date_styles(
    app: Flask, world: RegisterWorld
) -> None:
    result = run_import(world, csv_file(GOOD))
    assert (result.created, result.updated) == (3, 0)
    rows = {a.title: a for a in db.session.scalars(select(EngagementActivity).where(
        EngagementActivity.import_key.is_not(None)))}
    survey = rows["Night-time safety survey"]
    assert sorted(a.name for a in survey.areas) == ["Hill", "Vale"]
    assert (survey.cost_pence, survey.participants, survey.status) == (125050, 250, Status.CLOSED)
    assert survey.target_groups == ["young_people"]
    meeting = rows["Bus routes meeting"]
    assert meeting.is_partnership_wide and meeting.start_date == meeting.end_date == date(2025, 5, 14)
    assert meeting.status == Status.RESULTS_PUBLISHED and meeting.outcome_published_on == date(2025, 5, 14)
    assert meeting.method == Method.PUBLIC_MEETING and meeting.cost_pence == 30000
    focus = rows["Older people's transport focus group"]
    assert {t.slug for t in focus.themes} == {"transport", "safety"}  # Welsh theme name accepted
    assert [a.name for a in focus.areas] == ["Hart District"] and focus.target_groups == ["older_people"]


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(app: Flask, world: RegisterWorld) -> None:
    bad = [*GOOD[:2], ["Hart Police", "Broken", "carrier pigeon", "Safer streets", "Atlantis", "",
                       "31/02/2025", "2025-01-01", "many", "", "closed", ""], GOOD[2]]
    with pytest.raises(ImportFailed) as failure:
        run_import(world, csv_file(bad))
    db.session.rollback()
    assert count() == 0
    problems = {(e.row, e.column) for e in failure.value.errors}
    assert problems == {(4, "method"), (4, "areas"), (4, "start_date"), (4, "participants")}


def test_unknown_themes_target_groups_statuses_and_organisations_are_row_errors(
    app: Flask, world: RegisterWorld
) -> None:
    bad = [GOOD[0], ["Atlantis Water", "Broken", "survey", "Safer streets; Space travel", "Hill",
                     "martians", "2025-03-01", "2025-03-31", "", "", "finished", ""]]
    with pytest.raises(ImportFailed) as failure:
        run_import(world, csv_file(bad))
    db.session.rollback()
    assert count() == 0
    problems = {(e.row, e.column) for e in failure.value.errors}
    assert problems == {(3, "organisation"), (3, "themes"), (3, "target_groups"), (3, "status")}


def test_windows_1252_files_are_read(app: Flask, world: RegisterWorld) -> None:
    row = ["Hart Police", "Café quarter safety – survey", "survey", "Safer streets", "Hill", "",
           "2025-03-01", "2025-03-31", "10", "£1,000", "live", ""]
    run_import(world, csv_file([row], encoding="cp1252"))
    stored = db.session.scalar(select(EngagementActivity).where(EngagementActivity.import_key.is_not(None)))
    assert stored.title == "Café quarter safety – survey" and stored.cost_pence == 100000


def test_xlsx_uploads_with_real_date_cells_are_read(app: Flask, world: RegisterWorld) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["Hart Police", "placeholder", "survey", "Safer streets", "Moor", "",
                  datetime(2025, 4, 1), date(2025, 4, 30), 75, 99.5, "live", ""])
    title = sheet.cell(row=2, column=2)
    title.value = '=HYPERLINK("x")'
    title.data_type = "s"  # text that looks like a formula, as Excel keeps a leading '
    out = io.BytesIO()
    workbook.save(out)
    result = run_import(world, out.getvalue(), filename="register.xlsx")
    assert result.created == 1
    stored = db.session.scalar(select(EngagementActivity).where(EngagementActivity.import_key.is_not(None)))
    assert (stored.start_date, stored.end_date, stored.participants, stored.cost_pence) == (
        date(2025, 4, 1), date(2025, 4, 30), 75, 9950)
    assert stored.title == '=HYPERLINK("x")'  # stored as text; exports neutralise it


def test_the_same_file_twice_creates_no_duplicates(app: Flask, world: RegisterWorld) -> None:
    data = csv_file(GOOD)
    run_import(world, data)
    again = run_import(world, data)
    assert (again.created, again.updated) == (0, 3)
    assert count() == 3


def test_a_reference_keeps_a_row_matched_when_its_title_changes(app: Flask, world: RegisterWorld) -> None:
    header = ["reference", *HEADER]
    run_import(world, csv_file([["NS-1", *GOOD[0]]], header=header))
    renamed = ["NS-1", *GOOD[0]]
    renamed[2] = "Night-time safety survey (extended)"
    result = run_import(world, csv_file([renamed], header=header))
    assert (result.created, result.updated, count()) == (0, 1, 1)
    assert db.session.scalar(select(EngagementActivity.title).where(
        EngagementActivity.import_key.is_not(None))) == "Night-time safety survey (extended)"


def test_repeated_rows_in_one_file_are_refused(app: Flask, world: RegisterWorld) -> None:
    with pytest.raises(ImportFailed) as failure:
        run_import(world, csv_file([GOOD[0], GOOD[1], GOOD[0]]))
    assert [(e.row, e.column) for e in failure.value.errors] == [(4, "title")]
    assert "Row 2" in failure.value.errors[0].message


def test_unknown_or_missing_columns_are_reported_on_the_header_row(app: Flask, world: RegisterWorld) -> None:
    with pytest.raises(ImportFailed) as failure:
        run_import(world, csv_file([GOOD[0][:3]], header=["organisation", "title", "colour"]))
    assert {e.row for e in failure.value.errors} == {1}


def test_a_partner_officer_imports_for_their_own_organisation_only(app: Flask, world: RegisterWorld) -> None:
    own_only = {world.police.id}
    with pytest.raises(ImportFailed) as failure:
        run_import(world, csv_file(GOOD), allowed=own_only)
    assert {e.row for e in failure.value.errors} == {3, 4}
    db.session.rollback()
    blank_organisation = ["", *GOOD[0][1:]]
    result = run_import(world, csv_file([blank_organisation]), allowed=own_only)
    assert result.created == 1
    assert db.session.scalar(select(EngagementActivity.organisation_id).where(
        EngagementActivity.import_key.is_not(None))) == world.police.id


def test_an_exported_register_can_be_edited_and_imported_back_in_place(app: Flask, world: RegisterWorld) -> None:
    activity = world.activity(title="Made by hand", participants=5)
    db.session.commit()
    row = imports.export_row(activity, restricted=True, results=True)
    row[imports.EXPORT_COLUMNS.index("participants")] = "55"
    data = csv_file([[str(v) for v in row]], header=list(imports.EXPORT_COLUMNS))
    result = run_import(world, data)
    assert (result.created, result.updated) == (0, 1)
    assert db.session.get(EngagementActivity, activity.id).participants == 55


def test_the_downloaded_template_imports_as_it_is(app: Flask, world: RegisterWorld) -> None:
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/partnerships/hart/register/template.{fmt}")
        assert response.status_code == 200
        result = run_import(world, response.data, filename=f"template.{fmt}")
        assert result.created + result.updated == 2


def _upload(client: FlaskClient, data: bytes, name: str) -> str:
    response = client.post(
        "/partnerships/hart/register/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_uploading_through_the_page_lists_each_problem_with_its_row(app: Flask, world: RegisterWorld) -> None:
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    bad = [GOOD[0], ["Hart Police", "", "survey", "Safer streets", "Hill", "", "2025-03-01", "", "", "", "live", ""]]
    page = _upload(client, csv_file(bad), "register.csv")
    assert "Nothing was imported" in page
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">3</td><td class="govuk-table__cell">title</td>' in page
    assert count() == 0
    page = _upload(client, csv_file(GOOD), "register.csv")
    assert "New activities: 3. Updated activities: 0." in page
    page = _upload(client, csv_file(GOOD), "register.csv")
    assert "New activities: 0. Updated activities: 3." in page
    assert count() == 3


def test_a_file_that_is_neither_csv_text_nor_a_workbook_is_refused(app: Flask, world: RegisterWorld) -> None:
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    page = _upload(client, "title\n".encode("utf-16"), "register.csv")
    assert "UTF-8 or Windows-1252" in page
    page = _upload(client, b"not a zip at all", "register.xlsx")
    assert "UTF-8 or Windows-1252" in page


def test_exports_are_formula_safe_and_in_the_import_format(app: Flask, world: RegisterWorld) -> None:
    world.activity(title="=cmd|' /C calc'!A0")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    text = client.get("/partnerships/hart/register/export.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(imports.EXPORT_COLUMNS)
    assert rows[1][imports.EXPORT_COLUMNS.index("title")].startswith("'=")
    sheet = load_workbook(io.BytesIO(client.get("/partnerships/hart/register/export.xlsx").data)).active
    cell = sheet.cell(row=2, column=imports.EXPORT_COLUMNS.index("title") + 1)
    assert cell.data_type == "s" and cell.value.startswith("'=")
