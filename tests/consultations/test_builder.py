"""Coordinators and partner officers build, preview, open, close and publish consultations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from engage.consultations import operations
from engage.consultations.models import (
    Consultation,
    ConsultationStatus,
    Question,
    Response,
)
from engage.core.mail import outbox
from engage.core.models import AuditLog
from engage.core.time import LONDON, as_utc, utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.consultations.conftest import Place, question
from tests.factories import OrganisationFactory


def _staff(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, email)
    return client


def _date_fields(prefix: str, when) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    local = when.astimezone(LONDON)
    return [(prefix, str(local.day)), (prefix, str(local.month)), (prefix, str(local.year))]


def _details(place: Place, **extra: str) -> MultiDict:
    soon = utcnow() + timedelta(days=1)
    later = utcnow() + timedelta(days=30)
    data = [
        ("title", "Parks and open spaces"),
        ("title_cy", "Parciau a mannau agored"),
        ("summary", "Tell us how you use the parks."),
        ("summary_cy", "Dywedwch wrthym sut rydych yn defnyddio'r parciau."),
        ("organisation", str(place.partnership.organisations[0].id)),
        ("audience", "everyone"),
        ("has_equality_section", "y"),
        ("themes", str(place.partnership.themes[0].id)),
        *_date_fields("opens_on", soon),
        ("opens_time", "09:00"),
        *_date_fields("closes_on", later),
        ("closes_time", "23:59"),
    ]
    data += list(extra.items())
    return MultiDict(data)


def test_a_partner_officer_creates_a_consultation_with_welsh_text_and_london_times(
    app: Flask, place: Place
) -> None:
    client = _staff(app, "officer@example.org")
    response = client.post(
        f"/partnerships/{place.partnership.slug}/consultations/new", data=_details(place)
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    consultation = db.session.scalar(db.select(Consultation))
    assert consultation.title_cy == "Parciau a mannau agored"
    assert consultation.status == ConsultationStatus.DRAFT
    assert consultation.organisation_id == place.partnership.organisations[0].id
    closes = as_utc(consultation.closes_at).astimezone(LONDON)
    assert (closes.hour, closes.minute) == (23, 59)
    assert consultation.themes == [place.partnership.themes[0]]


def test_a_partner_officer_cannot_run_a_consultation_for_another_organisation(
    app: Flask, place: Place
) -> None:
    stranger = OrganisationFactory(name="Somebody Else")
    stranger.partnerships.append(place.partnership)
    db.session.commit()
    client = _staff(app, "officer@example.org")
    data = MultiDict(
        [(k, v) for k, v in _details(place).items(multi=True) if k != "organisation"]
        + [("organisation", str(stranger.id))]
    )
    response = client.post(f"/partnerships/{place.partnership.slug}/consultations/new", data=data)
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(Consultation)) == 0


def test_a_ward_audience_needs_wards(app: Flask, place: Place) -> None:
    client = _staff(app, "coordinator@example.org")
    response = client.post(
        f"/partnerships/{place.partnership.slug}/consultations/new",
        data=MultiDict(
            [(k, v) for k, v in _details(place).items(multi=True) if k != "audience"]
            + [("audience", "wards")]
        ),
    )
    assert "Choose the wards whose residents can respond" in response.get_data(as_text=True)


def _new_question(client: FlaskClient, consultation: Consultation, **fields: str):  # type: ignore[no-untyped-def]
    data = {"page": "1", **fields}
    return client.post(f"/consultations/{consultation.id}/questions/new", data=data)


@pytest.fixture
def draft(place: Place) -> Consultation:
    consultation = Consultation(
        partnership=place.partnership,
        organisation=place.partnership.organisations[0],
        title="Draft",
        summary="",
        opens_at=utcnow() - timedelta(minutes=1),
        closes_at=utcnow() + timedelta(days=7),
        themes=[place.partnership.themes[0]],
    )
    db.session.add(consultation)
    db.session.commit()
    return consultation


def test_every_question_type_can_be_added_and_previewed(app: Flask, draft: Consultation) -> None:
    client = _staff(app, "coordinator@example.org")
    options = "Parks\nBuses\nLibraries"
    specs = {
        "single_choice": {"options": options},
        "multiple_choice": {"options": options, "max_choices": "2"},
        "free_text": {"max_length": "500"},
        "agree_scale": {},
        "ranking": {"options": options},
        "points": {"options": options, "points": "10"},
        "number": {"min_value": "0", "max_value": "100", "whole_numbers": "y"},
        "yes_no": {},
    }
    for kind, settings in specs.items():
        response = _new_question(client, draft, kind=kind, text=f"A {kind} question", **settings)
        assert response.status_code == 302, (kind, response.get_data(as_text=True)[-1500:])
    db.session.expire_all()
    assert sorted(q.kind for q in draft.questions) == sorted(specs)
    preview = client.get(f"/consultations/{draft.id}/preview/1").get_data(as_text=True)
    for kind in specs:
        assert f"A {kind} question" in preview
    assert "Nothing you enter here is saved" in preview
    about = client.get(f"/consultations/{draft.id}/preview/2").get_data(as_text=True)
    assert "Equality monitoring" in about
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 0


def test_welsh_options_must_match_the_english_ones(app: Flask, draft: Consultation) -> None:
    client = _staff(app, "coordinator@example.org")
    response = _new_question(
        client, draft, kind="single_choice", text="Q", options="A\nB", options_cy="Un"
    )
    assert "Give a Welsh version of every option" in response.get_data(as_text=True)


def test_opening_needs_questions_and_dates_then_adds_to_the_register(
    app: Flask, draft: Consultation
) -> None:
    client = _staff(app, "coordinator@example.org")
    client.post(f"/consultations/{draft.id}/open")
    db.session.expire_all()
    assert draft.status == ConsultationStatus.DRAFT
    _new_question(client, draft, kind="yes_no", text="Do you agree?")
    client.post(f"/consultations/{draft.id}/open")
    db.session.expire_all()
    assert draft.status == ConsultationStatus.OPEN
    from engage.audit.models import EngagementActivity

    entry = db.session.scalar(
        db.select(EngagementActivity).where(
            EngagementActivity.source_type == "consultation",
            EngagementActivity.source_id == draft.id,
        )
    )
    assert entry is not None and entry.title == "Draft"


def _respond(consultation: Consultation, user=None) -> Response:  # type: ignore[no-untyped-def]
    response = operations.start_response(consultation, user, utcnow())
    first = consultation.questions[0]
    operations.save_draft(response, utcnow(), answers={str(first.id): "o1"})
    operations.submit_response(response, utcnow())
    db.session.commit()
    return response


def test_questions_are_fixed_once_anyone_has_responded_except_logged_typo_fixes(
    app: Flask, consultation: Consultation
) -> None:
    _respond(consultation)
    client = _staff(app, "coordinator@example.org")
    single = question(consultation, "single_choice")
    url = f"/consultations/{consultation.id}/questions/{single.id}/edit"
    base = {"kind": "single_choice", "page": "1", "is_required": "y", "options": "Parks\nBuses"}
    typo = client.post(url, data={**base, "text": "Which maters most?"})
    assert typo.status_code == 302
    db.session.expire_all()
    assert single.text == "Which maters most?"
    logged = db.session.scalar(
        db.select(AuditLog).where(AuditLog.action == "consultation.question_wording_fixed")
    )
    assert logged is not None and "Which matters most?" in logged.details["before"]
    rewrite = client.post(url, data={**base, "text": "How often do you visit the library?"})
    assert "only small corrections" in rewrite.get_data(as_text=True)
    more_options = client.post(
        url, data={**base, "text": "Which maters most?", "options": "Parks\nBuses\nTrains"}
    )
    assert "only small corrections" in more_options.get_data(as_text=True)
    not_required = client.post(
        url,
        data={k: v for k, v in base.items() if k != "is_required"} | {"text": "Which maters most?"},
    )
    assert "only small corrections" in not_required.get_data(as_text=True)
    added = _new_question(client, consultation, kind="yes_no", text="New?")
    assert added.status_code == 302
    removed = client.post(f"/consultations/{consultation.id}/questions/{single.id}/delete")
    assert removed.status_code == 302
    db.session.expire_all()
    assert len(consultation.questions) == 2
    assert single.settings["options"][0]["code"] == "o1"


def test_closing_then_publishing_the_outcome_emails_those_who_asked(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    resident = place.resident
    resident.locale = "cy"
    response = operations.start_response(consultation, resident, utcnow())
    operations.save_draft(
        response,
        utcnow(),
        answers={str(consultation.questions[0].id): "o1"},
        about={"wants_outcome_email": True},
    )
    operations.submit_response(response, utcnow())
    quiet = _respond(consultation, place.officer)  # did not ask to hear
    assert not quiet.wants_outcome_email
    db.session.commit()
    client = _staff(app, "officer@example.org")
    outcome = {
        "we_asked": "Which matters most.",
        "you_said": "Parks.",
        "we_did": "We will open the parks for longer.",
        "we_did_cy": "Byddwn yn agor y parciau am fwy o amser.",
    }
    assert client.post(f"/consultations/{consultation.id}/outcome", data=outcome).status_code == 302
    early = client.post(f"/consultations/{consultation.id}/outcome/publish")
    assert early.status_code == 302
    db.session.expire_all()
    assert consultation.status == ConsultationStatus.OPEN  # not closed yet: refused
    client.post(f"/consultations/{consultation.id}/close")
    client.post(f"/consultations/{consultation.id}/outcome/publish")
    db.session.expire_all()
    assert consultation.status == ConsultationStatus.OUTCOME_PUBLISHED
    mails = [m for m in outbox() if "Byddwn yn agor" in m.body]
    assert [m.to for m in mails] == [resident.email]
    public = app.test_client()
    archive = public.get(f"/partnerships/{place.partnership.slug}/have-your-say/closed").get_data(
        as_text=True
    )
    assert consultation.title in archive and "We will open the parks" in archive
    page = public.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "We asked" in page and "You said" in page and "We did" in page


def test_open_consultations_are_listed_for_residents(
    client: FlaskClient, consultation: Consultation, place: Place
) -> None:
    html = client.get(f"/partnerships/{place.partnership.slug}/have-your-say").get_data(
        as_text=True
    )
    assert consultation.title in html


def test_staff_see_the_list_with_response_counts(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    _respond(consultation)
    html = (
        _staff(app, "councillor@example.org")
        .get(f"/partnerships/{place.partnership.slug}/consultations")
        .get_data(as_text=True)
    )
    assert consultation.title in html
    assert "Create a consultation" not in html


def test_a_question_moves_within_its_page(app: Flask, draft: Consultation) -> None:
    client = _staff(app, "coordinator@example.org")
    for text in ("First", "Second"):
        _new_question(client, draft, kind="yes_no", text=text)
    db.session.expire_all()
    second = next(q for q in draft.questions if q.text == "Second")
    client.post(f"/consultations/{draft.id}/questions/{second.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [q.text for q in db.session.get(Consultation, draft.id).questions] == ["Second", "First"]


def test_question_rows_are_question_objects(draft: Consultation) -> None:
    assert all(isinstance(q, Question) for q in draft.questions)


def test_closing_and_publishing_keep_the_register_entry_in_step(
    consultation: Consultation, place: Place
) -> None:
    from engage.audit.models import EngagementActivity
    from engage.audit.overlap import Status

    _respond(consultation)
    _respond(consultation)
    coordinator = place.coordinator
    operations.close_consultation(coordinator, consultation, utcnow())
    db.session.commit()

    def entry() -> EngagementActivity:
        db.session.expire_all()
        return db.session.scalar(
            db.select(EngagementActivity).where(
                EngagementActivity.source_type == "consultation",
                EngagementActivity.source_id == consultation.id,
            )
        )

    closed = entry()
    assert closed.status == Status.CLOSED and closed.participants == 2
    assert closed.organisation_id == consultation.organisation_id
    assert [t.id for t in closed.themes] == [t.id for t in consultation.themes]
    assert closed.is_partnership_wide and closed.outcome_published_on is None
    operations.save_outcome(coordinator, consultation, operations.OutcomeText(
        we_asked="Which matters most.", you_said="Parks.", we_did="Longer park hours."))
    operations.publish_outcome(coordinator, consultation, utcnow())
    db.session.commit()
    published = entry()
    assert published.id == closed.id  # the same entry, updated in place
    assert published.status == Status.RESULTS_PUBLISHED
    assert published.outcome_statement == "Longer park hours."
    assert published.outcome_published_on is not None
