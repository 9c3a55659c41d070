"""Residents respond: accessible pages, save and come back, one response each, receipts, closing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engage.consultations import operations
from engage.consultations.models import (
    Answer,
    Audience,
    Channel,
    Consultation,
    ConsultationStatus,
    Response,
    ResponseStatus,
)
from engage.core.errors import EngageError
from engage.core.mail import outbox
from engage.core.time import as_utc, utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.consultations.conftest import Place, question


def _page(client: FlaskClient, consultation: Consultation, data: dict[str, object], page: int = 1):
    return client.post(f"/consultations/{consultation.id}/respond/{page}", data=data)


def _fields(
    consultation: Consultation, choice: str = "o1", text: str = "More buses"
) -> dict[str, str]:
    return {
        question(consultation, "single_choice").field_name: choice,
        question(consultation, "free_text").field_name: text,
    }


def _responses(consultation: Consultation) -> list[Response]:
    db.session.expire_all()
    return list(
        db.session.scalars(db.select(Response).where(Response.consultation_id == consultation.id))
    )


def test_an_anonymous_resident_responds_and_gets_a_receipt_with_a_reference(
    client: FlaskClient, consultation: Consultation, place: Place
) -> None:
    start = client.get(f"/consultations/{consultation.id}")
    assert "Start now" in start.get_data(as_text=True)
    page = client.get(f"/consultations/{consultation.id}/respond/1").get_data(as_text=True)
    assert "Which matters most?" in page and "Anything else? (optional)" in page
    saved = _page(client, consultation, _fields(consultation))
    assert saved.headers["Location"].endswith(f"/consultations/{consultation.id}/respond/about-you")
    ward = place.partnership.areas[0].wards()[1]
    about = client.post(
        f"/consultations/{consultation.id}/respond/about-you",
        data={"ward": str(ward.id), "age_band": "25-44", "sex": "female"},
    )
    assert about.headers["Location"].endswith("/respond/check")
    check = client.get(f"/consultations/{consultation.id}/respond/check").get_data(as_text=True)
    assert "Parks" in check and "More buses" in check and ward.name in check
    sent = client.post(f"/consultations/{consultation.id}/respond/check")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/receipt")
    receipt = client.get(f"/consultations/{consultation.id}/receipt").get_data(as_text=True)
    (response,) = _responses(consultation)
    assert response.status == ResponseStatus.SUBMITTED
    assert response.user_id is None and response.channel == Channel.ONLINE
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", response.reference or "")
    assert f"<strong>{response.reference}</strong>" in receipt  # the panel's HTML, not escaped
    assert "&lt;strong&gt;" not in receipt
    assert (response.ward_id, response.age_band, response.sex) == (ward.id, "25-44", "female")
    rows = db.session.scalars(db.select(Answer).where(Answer.response_id == response.id)).all()
    assert {(a.item, a.text) for a in rows} == {("o1", None), ("", "More buses")}
    assert {(a.ward_id, a.age_band, a.sex) for a in rows} == {(ward.id, "25-44", "female")}


def test_a_required_question_must_be_answered(
    client: FlaskClient, consultation: Consultation
) -> None:
    response = _page(client, consultation, _fields(consultation, choice=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and "Answer this question" in html
    assert f'href="#{question(consultation, "single_choice").field_name}"' in html
    assert re.search(r"<title>\s*Error:", html)
    assert _responses(consultation) == []


def test_an_invalid_answer_is_shown_again_with_its_error(
    client: FlaskClient, consultation: Consultation
) -> None:
    text = question(consultation, "free_text")
    text.settings = {"max_length": 10}
    db.session.commit()
    html = _page(
        client, consultation, _fields(consultation, text="far too long an answer")
    ).get_data(as_text=True)
    assert "10 characters or fewer" in html
    assert "far too long an answer" in html


def test_a_signed_in_resident_can_save_and_come_back(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    client = app.test_client()
    sign_in(client, "resident@example.org")
    later = _page(client, consultation, {**_fields(consultation, choice=""), "action": "later"})
    assert later.headers["Location"].endswith(f"/consultations/{consultation.id}")
    (draft,) = _responses(consultation)
    assert draft.status == ResponseStatus.DRAFT and draft.user_id == place.resident.id
    # Another session (another device) finds the answers kept.
    other = app.test_client()
    sign_in(other, "resident@example.org")
    assert "Continue your response" in other.get(f"/consultations/{consultation.id}").get_data(
        as_text=True
    )
    assert "More buses" in other.get(f"/consultations/{consultation.id}/respond/1").get_data(
        as_text=True
    )


def test_a_signed_in_resident_can_change_their_response_until_it_closes_and_keeps_one(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    client = app.test_client()
    sign_in(client, "resident@example.org")
    _page(client, consultation, _fields(consultation))
    client.post(
        f"/consultations/{consultation.id}/respond/about-you", data={"wants_outcome_email": "yes"}
    )
    client.post(f"/consultations/{consultation.id}/respond/check")
    (first,) = _responses(consultation)
    reference = first.reference
    assert first.ward_id == place.resident.home_ward_id and first.wants_outcome_email
    assert any(reference in m.body for m in outbox())
    _page(client, consultation, _fields(consultation, choice="o2", text="Trains"))
    client.post(f"/consultations/{consultation.id}/respond/check")
    (again,) = _responses(consultation)
    assert again.reference == reference and again.status == ResponseStatus.SUBMITTED
    items = {
        a.item for a in db.session.scalars(db.select(Answer).where(Answer.response_id == again.id))
    }
    assert items == {"o2", ""}


def test_a_second_response_row_for_the_same_resident_is_refused_by_the_database(
    consultation: Consultation, place: Place
) -> None:
    from sqlalchemy.exc import IntegrityError

    db.session.add(Response(consultation_id=consultation.id, user_id=place.resident.id))
    db.session.commit()
    db.session.add(Response(consultation_id=consultation.id, user_id=place.resident.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_responses_one_second_before_the_close_are_accepted_and_one_second_after_refused(
    consultation: Consultation, place: Place
) -> None:
    closes = as_utc(consultation.closes_at)
    before, after = closes - timedelta(seconds=1), closes + timedelta(seconds=1)
    response = operations.start_response(consultation, place.resident, before)
    operations.save_draft(response, before, answers={str(consultation.questions[0].id): "o1"})
    operations.submit_response(response, before)
    assert response.status == ResponseStatus.SUBMITTED
    db.session.commit()
    with pytest.raises(EngageError, match="closed"):
        operations.submit_response(response, after)
    with pytest.raises(EngageError, match="closed"):
        operations.save_draft(response, after, answers={})
    with pytest.raises(EngageError):
        operations.start_response(consultation, None, closes)  # the close is exclusive
    db.session.rollback()


@pytest.mark.parametrize(("offset", "accepted"), [(-1, True), (1, False)])
def test_the_send_button_one_second_either_side_of_the_close(
    client: FlaskClient,
    consultation: Consultation,
    monkeypatch: pytest.MonkeyPatch,
    offset: int,
    accepted: bool,
) -> None:
    _page(client, consultation, _fields(consultation))
    closes = as_utc(consultation.closes_at)
    monkeypatch.setattr(operations, "now_utc", lambda: closes + timedelta(seconds=offset))
    sent = client.post(f"/consultations/{consultation.id}/respond/check")
    (response,) = _responses(consultation)
    if accepted:
        assert sent.status_code == 302
        assert response.status == ResponseStatus.SUBMITTED
    else:
        assert sent.status_code == 403
        assert "This consultation has closed" in sent.get_data(as_text=True)
        assert response.status == ResponseStatus.DRAFT
        assert db.session.scalar(db.select(db.func.count()).select_from(Answer)) == 0


def test_anonymous_visitors_sign_in_first_where_anonymous_responses_are_not_allowed(
    client: FlaskClient, consultation: Consultation
) -> None:
    consultation.allows_anonymous = False
    db.session.commit()
    response = client.get(f"/consultations/{consultation.id}/respond/1")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    assert "Sign in to respond" in client.get(f"/consultations/{consultation.id}").get_data(
        as_text=True
    )


def test_a_ward_consultation_is_only_for_residents_of_its_wards(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    other_ward = place.partnership.areas[0].wards()[1]
    consultation.audience = Audience.WARDS
    consultation.wards = [other_ward]
    db.session.commit()
    client = app.test_client()
    sign_in(client, "resident@example.org")
    refused = client.get(f"/consultations/{consultation.id}/respond/1")
    assert refused.status_code == 403 and other_ward.name in refused.get_data(as_text=True)
    place.resident.home_ward = other_ward
    db.session.commit()
    assert client.get(f"/consultations/{consultation.id}/respond/1").status_code == 200


def test_a_panel_only_consultation_refuses_people_not_on_the_panel(
    app: Flask, consultation: Consultation
) -> None:
    consultation.audience = Audience.PANEL
    db.session.commit()
    client = app.test_client()
    sign_in(client, "resident@example.org")
    assert client.get(f"/consultations/{consultation.id}/respond/1").status_code == 403
    assert _page(client, consultation, _fields(consultation)).status_code == 403
    assert _responses(consultation) == []


def test_citizens_panel_members_may_respond_to_a_panel_only_consultation(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    from engage.panels import operations as panels
    from engage.panels.models import Algorithm
    from tests.factories import make_panel

    panel = make_panel(place.partnership)
    panels.set_quotas_from_census(panel, 1, actor_id=None)
    panels.select_members(panel, Algorithm.LEGACY, 1, actor_id=None)
    panel.members[0].volunteer.user_id = place.resident.id
    consultation.audience = Audience.PANEL
    db.session.commit()
    member = app.test_client()
    sign_in(member, "resident@example.org")
    assert member.get(f"/consultations/{consultation.id}/respond/1").status_code == 200
    other = app.test_client()
    sign_in(other, "officer@example.org")
    assert other.get(f"/consultations/{consultation.id}/respond/1").status_code == 403


def test_anonymous_responses_are_rate_limited(
    app: Flask, consultation: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ENGAGE_ANONYMOUS_RESPONSE_LIMIT", "2 per hour")
    statuses = []
    for _ in range(3):
        client = app.test_client()
        _page(client, consultation, _fields(consultation))
        statuses.append(client.post(f"/consultations/{consultation.id}/respond/check").status_code)
    assert statuses == [302, 302, 429]
    sent = [r for r in _responses(consultation) if r.status == ResponseStatus.SUBMITTED]
    assert len(sent) == 2


def test_ethnicity_and_disability_are_kept_only_with_explicit_consent(
    client: FlaskClient, consultation: Consultation
) -> None:
    _page(client, consultation, _fields(consultation))
    url = f"/consultations/{consultation.id}/respond/about-you"
    refused = client.post(url, data={"ethnicity": "asian"})
    assert "tick the box" in refused.get_data(as_text=True)
    client.post(
        url,
        data={"ethnicity": "asian", "disability": "disabled", "special_category_consent": "yes"},
    )
    client.post(f"/consultations/{consultation.id}/respond/check")
    (response,) = _responses(consultation)
    assert (response.ethnicity, response.disability, response.special_category_consent) == (
        "asian",
        "disabled",
        True,
    )


def test_a_draft_consultation_is_not_public(
    client: FlaskClient, consultation: Consultation
) -> None:
    consultation.status = ConsultationStatus.DRAFT
    db.session.commit()
    assert client.get(f"/consultations/{consultation.id}").status_code == 404
    assert client.get(f"/consultations/{consultation.id}/respond/1").status_code == 404


def test_pages_in_welsh_use_the_welsh_wording(
    client: FlaskClient, consultation: Consultation
) -> None:
    consultation.title_cy = "Dweud eich dweud"
    first = question(consultation, "single_choice")
    first.text_cy = "Beth sydd bwysicaf?"
    first.settings = {
        "options": [
            {"code": "o1", "text": "Parks", "text_cy": "Parciau"},
            {"code": "o2", "text": "Buses", "text_cy": "Bysiau"},
        ]
    }
    db.session.commit()
    client.get("/language/cy?next=/")
    html = client.get(f"/consultations/{consultation.id}/respond/1").get_data(as_text=True)
    assert "Dweud eich dweud" in html and "Beth sydd bwysicaf?" in html and "Bysiau" in html


def test_the_opening_time_is_respected(consultation: Consultation) -> None:
    consultation.opens_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    with pytest.raises(EngageError):
        operations.start_response(consultation, None, utcnow())


def test_help_text_is_shown_with_its_question_in_the_residents_language(
    client: FlaskClient, consultation: Consultation
) -> None:
    first = question(consultation, "single_choice")
    first.help_text = "Think about the next five years."
    first.help_text_cy = "Meddyliwch am y pum mlynedd nesaf."
    db.session.commit()
    english = client.get(f"/consultations/{consultation.id}/respond/1").get_data(as_text=True)
    assert "Think about the next five years." in english
    client.get("/language/cy?next=/")
    welsh = client.get(f"/consultations/{consultation.id}/respond/1").get_data(as_text=True)
    assert "Meddyliwch am y pum mlynedd nesaf." in welsh
    assert "Think about the next five years." not in welsh
