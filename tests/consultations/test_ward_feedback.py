"""A councillor's feedback page for each of their wards, against the whole area."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engage.consultations import operations
from engage.consultations.models import (
    Answer,
    Consultation,
    FrameCode,
    answer_codes,
    answer_themes,
)
from engage.consultations.ward_feedback import ward_consultation
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.consultations.conftest import Place, question
from tests.factories import ThemeFactory


def _submit(consultation: Consultation, choice: str, ward_id: int, text: str | None = None) -> None:
    response = operations.start_response(consultation, None, utcnow())
    answers = {str(question(consultation, "single_choice").id): choice}
    if text:
        answers[str(question(consultation, "free_text").id)] = text
    operations.save_draft(response, utcnow(), answers=answers, about={"ward_id": ward_id})
    operations.submit_response(response, utcnow())


@pytest.fixture
def responses(consultation: Consultation, place: Place) -> list[Any]:
    wards = place.partnership.areas[0].wards()
    for i in range(12):
        _submit(consultation, "o1", wards[0].id, text=f"We need more evening buses, route {i}")
    for _ in range(8):
        _submit(consultation, "o2", wards[0].id, text="Parking is too dear")
    for _ in range(10):
        _submit(consultation, "o1", wards[1].id)
    for _ in range(20):
        _submit(consultation, "o2", wards[1].id)
    for _ in range(2):
        _submit(consultation, "o1", wards[2].id)
    buses = FrameCode(consultation_id=consultation.id, label="Evening buses")
    parking = FrameCode(consultation_id=consultation.id, label="Parking")
    db.session.add_all([buses, parking])
    db.session.flush()
    texts = db.session.scalars(
        db.select(Answer).where(Answer.text.is_not(None)).order_by(Answer.id)
    ).all()
    db.session.execute(
        answer_codes.insert(),
        [{"answer_id": a.id, "code_id": buses.id} for a in texts[:6]]
        + [{"answer_id": a.id, "code_id": parking.id} for a in texts[12:14]],
    )
    db.session.commit()
    return wards


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, email)
    return client


def test_ward_figures_sit_beside_the_area_with_rates_per_thousand(
    app: Flask, consultation: Consultation, responses: list[Any]
) -> None:
    ward = responses[0]
    with app.test_request_context("/"):
        found = ward_consultation(consultation, ward, 5, "en")
    assert found.ward_responses == 20 and found.area_responses == 52
    assert found.ward_rate == pytest.approx(20 / ward.population * 1000)
    assert found.area_rate == pytest.approx(52 / sum(w.population for w in responses) * 1000)
    (choice,) = [q for q in found.questions if q.question.kind == "single_choice"]
    assert [r.ward_share for r in choice.rows] == pytest.approx([0.6, 0.4])
    assert [r.area_share for r in choice.rows] == pytest.approx([24 / 52, 28 / 52])
    assert found.top_codes == (("Evening buses", 6),)  # "Parking" (2) is under the threshold
    (quote,) = found.quotes
    assert quote.code == "Evening buses" and "evening buses" in quote.text


def test_top_themes_count_each_answer_once_whether_tagged_directly_or_through_its_code(
    app: Flask, consultation: Consultation, responses: list[Any], place: Place
) -> None:
    ward = responses[0]
    roads = place.partnership.themes[0]
    other = ThemeFactory(partnership=place.partnership, name="Other theme")
    buses = db.session.scalar(db.select(FrameCode).where(FrameCode.label == "Evening buses"))
    buses.theme_id = roads.id  # the code's six answers count for its theme
    texts = db.session.scalars(
        db.select(Answer).where(Answer.text.is_not(None)).order_by(Answer.id)
    ).all()
    db.session.execute(
        answer_themes.insert(),
        # Four more answers tagged directly (two of them already count through the code).
        [{"answer_id": a.id, "theme_id": roads.id, "consultation_id": consultation.id}
         for a in texts[4:10]]
        # Three answers on another theme: under the threshold of five, so left out.
        + [{"answer_id": a.id, "theme_id": other.id, "consultation_id": consultation.id}
           for a in texts[12:15]],
    )
    db.session.commit()
    with app.test_request_context("/"):
        found = ward_consultation(consultation, ward, 5, "en")
    assert found.top_themes == ((roads.display_name("en"), 10),)


def test_a_small_ward_is_suppressed_and_so_is_anything_that_would_reveal_it(
    app: Flask, consultation: Consultation, responses: list[Any]
) -> None:
    with app.test_request_context("/"):
        found = ward_consultation(consultation, responses[2], 5, "en")
    assert found.ward_responses is None and found.ward_rate is None
    (choice,) = [q for q in found.questions if q.question.kind == "single_choice"]
    assert all(r.ward_share is None for r in choice.rows)
    # The whole area's shares stay, since 50 responses elsewhere keep the 2 hidden.
    assert all(r.area_share is not None for r in choice.rows)


def test_a_councillor_reads_their_own_ward_page_and_downloads_its_figures(
    app: Flask, consultation: Consultation, responses: list[Any], place: Place
) -> None:
    client = _client(app, "councillor@example.org")
    ward = responses[0]
    url = f"/partnerships/{place.partnership.slug}/wards/{ward.gss_code}/feedback"
    html = client.get(url).get_data(as_text=True)
    assert consultation.title in html
    assert "60.0%" in html and "46.2%" in html
    assert "Evening buses (6)" in html and "Parking (" not in html
    assert "data-engage-print" in html and "engage-ward-report" in html
    rows = list(
        csv.reader(io.StringIO(client.get(url + ".csv").get_data(as_text=True).lstrip("\ufeff")))
    )
    assert rows[0][0] == "Consultation"
    assert any(row[2] == "Parks" and row[3] == "60.0" for row in rows[1:])
    profile = client.get(f"/partnerships/{place.partnership.slug}/wards/{ward.gss_code}").get_data(
        as_text=True
    )
    assert url in profile


def test_a_councillor_cannot_see_another_wards_raw_answers(
    app: Flask, consultation: Consultation, responses: list[Any], place: Place
) -> None:
    client = _client(app, "councillor@example.org")
    other = responses[1]
    base = f"/partnerships/{place.partnership.slug}/wards/{other.gss_code}/feedback"
    assert client.get(base).status_code == 404
    assert client.get(base + ".csv").status_code == 404
    own = client.get(
        f"/partnerships/{place.partnership.slug}/wards/{responses[0].gss_code}/feedback"
    ).get_data(as_text=True)
    assert "Parking is too dear" not in own  # not coded enough in the ward to quote
    # Nor are any raw answers reachable through the consultation's staff pages.
    text = question(consultation, "free_text")
    assert (
        client.get(f"/consultations/{consultation.id}/questions/{text.id}/coding").status_code
        == 404
    )
    assert client.get(f"/consultations/{consultation.id}/export.csv").status_code == 404


def test_coordinators_see_every_ward(
    app: Flask, consultation: Consultation, responses: list[Any], place: Place
) -> None:
    client = _client(app, "coordinator@example.org")
    for ward in responses:
        url = f"/partnerships/{place.partnership.slug}/wards/{ward.gss_code}/feedback"
        assert client.get(url).status_code == 200
