"""The intelligence pages: add, upload, map (with and without htmx), browse, export, share."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from engage.accounts.models import Role
from engage.extensions import db
from engage.intelligence.mapping import DatasetShape
from engage.intelligence.models import (
    Dataset,
    DatasetAnswer,
    DatasetImport,
    DatasetStatus,
    PostcodeDistrict,
    Sharing,
)
from engage.jobs import JobStatus
from tests.conftest import sign_in
from tests.factories import make_member
from tests.intelligence.conftest import Place, new_dataset, run, upload
from tests.intelligence.test_import import survey


def _ready_dataset(place: Place, sharing: Sharing = Sharing.PARTNERSHIP, **details: object) -> Dataset:
    dataset = new_dataset(place, sharing=sharing, **details)
    job = run(upload(dataset, survey(rows=60)))
    assert job.status == JobStatus.SUCCEEDED
    db.session.refresh(dataset)
    return dataset


def test_an_officer_adds_uploads_maps_and_imports_without_javascript(app: Flask, place: Place) -> None:
    client = app.test_client()
    sign_in(client, "officer@example.org")
    theme = place.partnership.themes[0]
    response = client.post(
        "/partnerships/ashby/intelligence/datasets/new",
        data={
            "title": "Residents' survey 2025", "organisation_id": str(place.organisation.id),
            "shape": "respondent", "source": "Ashby Council", "method": "Postal survey",
            "fieldwork_start": ["1", "3", "2025"], "fieldwork_end": ["30", "4", "2025"],
            "sample_size": "", "weighting_note": "Weighted to age and sex",
            "sharing": "partnership", "licence": "OGL v3.0", "themes": [str(theme.id)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    dataset = db.session.scalar(select(Dataset))
    assert dataset.fieldwork_end.isoformat() == "2025-04-30"
    assert [t.id for t in dataset.themes] == [theme.id]
    upload_page = response.headers["Location"]
    response = client.post(upload_page, data={
        "file": (io.BytesIO(survey(rows=60).encode()), "survey.csv"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    assert "What this column holds" in page
    assert 'name="value-5-0"' in page
    # Without JavaScript: change the first column's role and save, then import.
    response = client.post(mapping_url, data={"role-0": "ignore", "theme-5": str(theme.id),
                                              "action": "save"})
    assert response.status_code == 200
    response = client.post(mapping_url, data={"action": "import"})
    assert response.status_code == 302
    assert "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/partnerships/ashby/intelligence/datasets/{dataset.id}" in job_page
    db.session.expire_all()
    assert db.session.get(Dataset, dataset.id).status == DatasetStatus.READY
    html = client.get(f"/partnerships/ashby/intelligence/datasets/{dataset.id}").get_data(as_text=True)
    assert "I feel safe after dark" in html
    assert "About this figure" in html
    assert "Weighted to age and sex" in html
    assert "<svg" in html and 'aria-hidden="true"' in html
    assert "<caption" in html


def test_the_mapping_form_answers_htmx_with_a_fragment(app: Flask, place: Place) -> None:
    dataset = new_dataset(place)
    record = upload(dataset, survey(rows=12))
    client = app.test_client()
    sign_in(client, "officer@example.org")
    url = f"/partnerships/ashby/intelligence/datasets/{dataset.id}/imports/{record.id}"
    response = client.post(url, data={"role-1": "ward_code"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith("<div id=\"mapping-form\">")
    # Names are not GSS codes: every ward is now unmatched and listed for the user to fix.
    assert "Areas that did not match" in html
    assert 'name="area-value-0"' in html


def test_unmatched_areas_are_fixed_on_the_mapping_page(app: Flask, place: Place) -> None:
    text = survey(rows=12) + "13,Old Town,16-24,Female,1,Tend to agree,\n"
    dataset = new_dataset(place)
    record = upload(dataset, text)
    client = app.test_client()
    sign_in(client, "officer@example.org")
    url = f"/partnerships/ashby/intelligence/datasets/{dataset.id}/imports/{record.id}"
    html = client.get(url).get_data(as_text=True)
    assert "Old Town" in html
    refused = client.post(url, data={"action": "import"})
    assert refused.status_code == 200
    assert "There is a problem" in refused.get_data(as_text=True)
    response = client.post(url, data={"area-value-0": "Old Town", "area-0": "drop",
                                      "action": "import"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DatasetImport, record.id).rows_dropped == 1


def test_browsing_by_theme_and_area_shows_figures_with_provenance(app: Flask, place: Place) -> None:
    theme = place.partnership.themes[0]
    dataset = _ready_dataset(place, theme_ids=[theme.id], method="Postal survey")
    client = app.test_client()
    sign_in(client, "officer@example.org")
    html = client.get("/partnerships/ashby/intelligence").get_data(as_text=True)
    assert dataset.title in html
    assert "Choose a theme or an area" in html
    html = client.get(f"/partnerships/ashby/intelligence?theme={theme.id}").get_data(as_text=True)
    assert "I feel safe after dark" in html
    assert "Postal survey" in html
    ward = place.wards[0]
    response = client.get(f"/partnerships/ashby/intelligence?area={ward.id}",
                          headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="browse-results"')
    assert ward.name.replace("'", "&#39;") in fragment
    assert "Castle &amp; Mead" not in fragment


def test_small_counts_are_hidden_on_the_page(app: Flask, place: Place) -> None:
    dataset = new_dataset(place)
    text = "Ward,Do you agree?\n" + "St Anne's,Agree\n" * 30 + "St Anne's,Disagree\n" * 2 + \
        "Riverside,Agree\n" * 20 + "Riverside,Disagree\n" * 20
    assert run(upload(dataset, text)).status == JobStatus.SUCCEEDED
    client = app.test_client()
    sign_in(client, "officer@example.org")
    html = client.get(f"/partnerships/ashby/intelligence/datasets/{dataset.id}").get_data(as_text=True)
    assert "hidden" in html
    table = html[html.index("answers by area"):]
    assert re.search(r">\s*2\s*<", table) is None
    assert "(2)" not in table


def test_exports_are_formula_safe(app: Flask, place: Place) -> None:
    dataset = new_dataset(place)
    text = "Ward,How do you travel?\n" + "St Anne's,=cmd|' /C calc'!A0\n" * 10
    assert run(upload(dataset, text)).status == JobStatus.SUCCEEDED
    client = app.test_client()
    sign_in(client, "officer@example.org")
    response = client.get(f"/partnerships/ashby/intelligence/datasets/{dataset.id}/results.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert "'=cmd|' /C calc'!A0" in [cell for row in rows for cell in row]
    xlsx = client.get(f"/partnerships/ashby/intelligence/datasets/{dataset.id}/results.xlsx")
    assert xlsx.data[:2] == b"PK"


@pytest.mark.parametrize(
    ("role", "sharing", "sees"),
    [
        (Role.COORDINATOR, Sharing.PARTNERSHIP, True),
        (Role.COORDINATOR, Sharing.ORGANISATION, False),
        (Role.COUNCILLOR, Sharing.PARTNERSHIP, True),
        (Role.RESIDENT, Sharing.PARTNERSHIP, False),
        (Role.RESIDENT, Sharing.PUBLIC, True),
    ],
)
def test_who_sees_a_dataset_depends_on_its_sharing(
    app: Flask, place: Place, role: Role, sharing: Sharing, sees: bool
) -> None:
    dataset = new_dataset(place, sharing=sharing)
    make_member(place.partnership, role, email="someone@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "someone@example.org")
    response = client.get(f"/partnerships/ashby/intelligence/datasets/{dataset.id}")
    assert response.status_code == (200 if sees else 404)
    listed = dataset.title in client.get("/partnerships/ashby/intelligence").get_data(as_text=True)
    assert listed is sees


def test_another_organisations_officer_cannot_see_or_change_its_private_dataset(
    app: Flask, place: Place
) -> None:
    from tests.factories import OrganisationFactory

    dataset = new_dataset(place, sharing=Sharing.ORGANISATION)
    other = OrganisationFactory(name="Vale Homes")
    other.partnerships.append(place.partnership)
    officer = make_member(place.partnership, Role.PARTNER_OFFICER, email="homes@example.org")
    officer.memberships[0].organisation = other
    db.session.commit()
    client = app.test_client()
    sign_in(client, "homes@example.org")
    base = f"/partnerships/ashby/intelligence/datasets/{dataset.id}"
    assert client.get(base).status_code == 404
    assert client.get(base + "/upload").status_code == 404
    assert client.post(base + "/delete").status_code == 404
    assert db.session.get(Dataset, dataset.id) is not None


def test_deleting_a_dataset_through_the_page(app: Flask, place: Place) -> None:
    dataset = _ready_dataset(place)
    client = app.test_client()
    sign_in(client, "officer@example.org")
    response = client.post(f"/partnerships/ashby/intelligence/datasets/{dataset.id}/delete")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(DatasetAnswer)) == 0


def test_the_postcode_district_table_is_edited_and_imported(app: Flask, place: Place) -> None:
    make_member(place.partnership, Role.COORDINATOR, email="coordinator@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    url = "/partnerships/ashby/intelligence/postcode-districts"
    response = client.post(url, data={"district": "hm1", "ward_id": str(place.wards[0].id)})
    assert response.status_code == 302
    row = db.session.scalar(select(PostcodeDistrict))
    assert (row.district, row.ward_id) == ("HM1", place.wards[0].id)
    bad = "district,ward\nHM2,Riverside\nnot a district,Riverside\n"
    response = client.post(url + "/import", data={"file": (io.BytesIO(bad.encode()), "d.csv")},
                           content_type="multipart/form-data")
    assert "row-errors" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PostcodeDistrict)) == 1
    good = "district,ward\nHM1,Riverside\nHM2,castle and mead\n"
    response = client.post(url + "/import", data={"file": (io.BytesIO(good.encode()), "d.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.rollback()
    table = dict(db.session.execute(select(PostcodeDistrict.district, PostcodeDistrict.ward_id)).all())
    assert table == {"HM1": place.wards[2].id, "HM2": place.wards[1].id}
    response = client.post(f"{url}/{row.id}/delete")
    assert response.status_code == 302
    officer = app.test_client()
    sign_in(officer, "officer@example.org")
    assert officer.get(url).status_code == 404


def test_an_aggregate_dataset_page_shows_indicators(app: Flask, place: Place) -> None:
    from tests.intelligence.test_import import AGGREGATE

    dataset = new_dataset(place, DatasetShape.AGGREGATE, title="Police confidence")
    assert run(upload(dataset, AGGREGATE.format(riverside="Riverside"))).status == JobStatus.SUCCEEDED
    client = app.test_client()
    sign_in(client, "officer@example.org")
    html = client.get(f"/partnerships/ashby/intelligence/datasets/{dataset.id}").get_data(as_text=True)
    assert "% who feel safe after dark" in html
    assert "61.5%" in html
    assert "Number of burglaries" in html
