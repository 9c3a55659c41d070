"""Areas import from CSV all-or-nothing, with row-numbered errors, and re-import updates."""

from __future__ import annotations

import io

import pytest
from flask import Flask

from engage.accounts.models import Role
from engage.core.errors import ImportFailed
from engage.core.spreadsheets import read_csv_rows
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, AreaProfileCount
from engage.partnerships.operations import import_areas
from tests.conftest import sign_in
from tests.factories import make_member, make_partnership

GOOD = """gss_code,name,name_cy,level,parent_code,population,age_band:16-24,age_band:25-44,sex:female,sex:male
E07800901,Riverton,,district,,20000,,,,
E05800901,Riverton North,Gogledd Riverton,ward,E07800901,9000,1200,7800,4600,4400
E05800902,Riverton South,,ward,E07800901,11000,2000,9000,5600,5400
"""


def _rows(text: str):
    return list(read_csv_rows(text.encode("utf-8")))


@pytest.fixture
def partnership(app: Flask):
    found = make_partnership("ashby")
    db.session.commit()
    return found


def test_good_file_creates_the_tree_with_profiles(partnership) -> None:
    result = import_areas(None, partnership, _rows(GOOD))
    db.session.commit()
    assert (result.created, result.updated) == (3, 0)
    north = db.session.scalar(db.select(Area).where(Area.gss_code == "E05800901"))
    assert north.parent.gss_code == "E07800901"
    assert north.level == AreaLevel.WARD
    assert north.name_cy == "Gogledd Riverton"
    assert north.profile() == {
        "age_band": {"16-24": 1200, "25-44": 7800},
        "sex": {"female": 4600, "male": 4400},
    }
    assert "E07800901" in [a.gss_code for a in partnership.areas]


def test_reimporting_the_same_file_creates_no_duplicates(partnership) -> None:
    import_areas(None, partnership, _rows(GOOD))
    db.session.commit()
    before = db.session.scalar(db.select(db.func.count()).select_from(AreaProfileCount))
    result = import_areas(None, partnership, _rows(GOOD.replace("9000,1200", "9100,1300")))
    db.session.commit()
    assert (result.created, result.updated) == (0, 3)
    assert db.session.scalar(db.select(db.func.count()).select_from(AreaProfileCount)) == before
    north = db.session.scalar(db.select(Area).where(Area.gss_code == "E05800901"))
    assert north.population == 9100 and north.profile()["age_band"]["16-24"] == 1300


@pytest.mark.parametrize(
    ("bad_line", "row", "column", "words"),
    [
        ("E0500090X,Bad Code,,ward,E07800901,10,,,,", 4, "gss_code", "GSS code"),
        ("E05800903,No Parent,,ward,E07999999,10,,,,", 4, "parent_code", "not known"),
        (
            "E05800903,Bad Level,,hamlet,E07800901,10,,,,",
            4,
            "level",
            "county, district, ward or parish",
        ),
        ("E05800903,Bad Pop,,ward,E07800901,lots,,,,", 4, "population", "whole number"),
        ("E05800903,Bad Count,,ward,E07800901,10,ten,,,", 4, "age_band:16-24", "whole numbers"),
        ("E05800901,Duplicate,,ward,E07800901,10,,,,", 4, "gss_code", "also in row 3"),
        ("E07800903,Upside Down,,district,E05800901,10,,,,", 4, "parent_code", "cannot sit inside"),
    ],
)
def test_one_bad_row_imports_nothing_and_names_the_row(
    partnership, bad_line, row, column, words
) -> None:
    text = (
        GOOD.replace("E05800901,Riverton North", "E05800901,Riverton North", 1).rstrip("\n")
        + "\n"
        + bad_line
        + "\n"
    )
    text = text.replace("E05800902,Riverton South,,ward,E07800901,11000,2000,9000,5600,5400\n", "")
    with pytest.raises(ImportFailed) as failure:
        import_areas(None, partnership, _rows(text))
    db.session.rollback()
    errors = failure.value.errors
    assert any(e.row == row and e.column == column and words in e.message for e in errors), errors
    assert db.session.scalar(db.select(Area).where(Area.gss_code == "E07800901")) is None


def test_unknown_columns_are_refused(partnership) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_areas(
            None,
            partnership,
            _rows("gss_code,name,level,population,shoe_size:9\nE07800901,X,district,1,2\n"),
        )
    assert failure.value.errors[0].row == 1 and "shoe_size:9" in failure.value.errors[0].message


def test_areas_of_another_partnership_cannot_be_overwritten(partnership) -> None:
    other = make_partnership("kelham")
    taken = other.areas[0].wards()[0]
    db.session.commit()
    with pytest.raises(ImportFailed) as failure:
        import_areas(
            None,
            partnership,
            _rows(f"gss_code,name,level,population\n{taken.gss_code},Mine now,ward,1\n"),
        )
    assert "belongs to another partnership" in failure.value.errors[0].message


def test_upload_page_lists_row_errors_and_saves_nothing(app: Flask, partnership) -> None:
    make_member(partnership, Role.ADMIN, email="a@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "a@example.org")
    bad = GOOD + "E05800903,Broken,,ward,E07800901,many,,,,\n"
    response = client.post(
        f"/manage/partnerships/{partnership.slug}/areas/import",
        data={"file": (io.BytesIO(bad.encode("cp1252")), "areas.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html
    assert (
        '<td class="govuk-table__cell govuk-table__cell--numeric">5</td><td class="govuk-table__cell">population</td>' in html
    )
    assert db.session.scalar(db.select(Area).where(Area.gss_code == "E07800901")) is None


def test_upload_page_imports_a_good_file(app: Flask, partnership) -> None:
    make_member(partnership, Role.ADMIN, email="a@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "a@example.org")
    response = client.post(
        f"/manage/partnerships/{partnership.slug}/areas/import",
        data={"file": (io.BytesIO(("\ufeff" + GOOD).encode("utf-8")), "areas.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(Area).where(Area.gss_code.like("E05800%"))
        )
        == 2
    )


def test_template_download_is_formula_safe_csv(app: Flask, partnership) -> None:
    make_member(partnership, Role.ADMIN, email="a@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "a@example.org")
    response = client.get(f"/manage/partnerships/{partnership.slug}/areas/template.csv")
    assert response.mimetype == "text/csv"
    rows = _rows(response.get_data().decode("utf-8"))
    assert rows[0]["level"] == "district"
