"""Coding free text, suggested groups, redaction, exports and personal data."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engage.accounts import operations as account_operations
from engage.consultations import operations
from engage.consultations.models import (
    Answer,
    Channel,
    Consultation,
    FrameCode,
    Response,
    SuggestedGroup,
)
from engage.core.models import AuditLog
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.consultations.conftest import Place, question

TEXTS = [
    "Parking in the town centre is far too expensive",
    "The car parking charges in town are too expensive",
    "Cheaper parking please, the town centre car park costs too much",
    "The buses do not run late enough in the evening",
    "More evening buses to the villages please",
    "Call me on 07700 900123, John Smith, 4 Mill Lane",
]


def _submit(consultation: Consultation, text: str, user: Any = None, **about: Any) -> Response:
    response = operations.start_response(consultation, user, utcnow())
    operations.save_draft(
        response,
        utcnow(),
        answers={
            str(question(consultation, "single_choice").id): "o1",
            str(question(consultation, "free_text").id): text,
        },
        about=about,
    )
    operations.submit_response(response, utcnow())
    return response


def _staff(app: Flask, email: str = "officer@example.org") -> FlaskClient:
    client = app.test_client()
    sign_in(client, email)
    return client


def _text_answers(consultation: Consultation) -> list[Answer]:
    db.session.expire_all()
    text = question(consultation, "free_text")
    return list(
        db.session.scalars(
            db.select(Answer).where(Answer.question_id == text.id).order_by(Answer.id)
        )
    )


def test_staff_build_a_coding_frame_and_tag_answers_with_codes_and_themes(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    for text in TEXTS:
        _submit(consultation, text)
    db.session.commit()
    client = _staff(app)
    url = f"/consultations/{consultation.id}/coding-frame"
    theme = place.partnership.themes[0]
    assert (
        client.post(url, data={"label": "Parking costs", "theme": str(theme.id)}).status_code == 302
    )
    assert "already a code" in client.post(url, data={"label": "parking costs"}).get_data(
        as_text=True
    )
    code = db.session.scalar(db.select(FrameCode))
    first = _text_answers(consultation)[0]
    text = question(consultation, "free_text")
    coding_url = f"/consultations/{consultation.id}/questions/{text.id}/coding"
    page = client.get(coding_url).get_data(as_text=True)
    assert TEXTS[0] in page
    saved = client.post(
        coding_url,
        data={
            "answer": str(first.id),
            f"codes-{first.id}": str(code.id),
            f"themes-{first.id}": str(theme.id),
        },
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200 and "Saved" in saved.get_data(as_text=True)
    db.session.expire_all()
    answer = db.session.get(Answer, first.id)
    assert [c.id for c in answer.codes] == [code.id]
    assert [t.id for t in answer.themes] == [theme.id]


def test_suggested_groups_gather_similar_answers_and_code_them_at_once(
    app: Flask, consultation: Consultation
) -> None:
    for text in TEXTS:
        _submit(consultation, text)
    db.session.add(FrameCode(consultation_id=consultation.id, label="Parking"))
    db.session.commit()
    client = _staff(app)
    text = question(consultation, "free_text")
    response = client.post(f"/consultations/{consultation.id}/questions/{text.id}/groups")
    assert response.status_code == 302
    groups = db.session.scalars(db.select(SuggestedGroup).order_by(SuggestedGroup.position)).all()
    assert groups
    answers = _text_answers(consultation)
    parking = next(g for g in groups if answers[0].id in g.answer_ids)
    assert set(parking.answer_ids) >= {answers[0].id, answers[1].id}
    code = db.session.scalar(db.select(FrameCode))
    client.post(
        f"/consultations/{consultation.id}/groups/{parking.id}/code", data={"code": str(code.id)}
    )
    for answer in _text_answers(consultation):
        assert (code.id in [c.id for c in answer.codes]) == (answer.id in parking.answer_ids)


def test_redaction_replaces_personal_details_and_keeps_the_original_only_in_the_audit_log(
    app: Flask, consultation: Consultation
) -> None:
    _submit(consultation, TEXTS[-1])
    db.session.commit()
    (answer,) = _text_answers(consultation)
    client = _staff(app)
    url = f"/consultations/{consultation.id}/answers/{answer.id}/redact"
    missing = client.post(url, data={"phrases": "Jane Doe"})
    assert "not in the answer" in missing.get_data(as_text=True)
    done = client.post(url, data={"phrases": "07700 900123\njohn smith\n4 Mill Lane"})
    assert done.status_code == 302
    (answer,) = _text_answers(consultation)
    assert answer.text == "Call me on [redacted], [redacted], [redacted]"
    assert answer.redacted_at is not None
    entry = db.session.scalar(
        db.select(AuditLog).where(AuditLog.action == "consultation.answer_redacted")
    )
    assert entry.details["original"] == TEXTS[-1]


def _csv(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_exports_are_formula_safe_and_special_category_columns_are_for_coordinators(
    app: Flask, consultation: Consultation
) -> None:
    _submit(
        consultation,
        '=HYPERLINK("http://evil")',
        age_band="25-44",
        sex="female",
        special_category_consent=True,
        ethnicity="asian",
        disability="not_disabled",
    )
    db.session.commit()
    officer = _csv(_staff(app).get(f"/consultations/{consultation.id}/export.csv"))
    coordinator = _csv(
        _staff(app, "coordinator@example.org").get(f"/consultations/{consultation.id}/export.csv")
    )
    assert "Ethnic group" not in officer[0] and "Disability" not in officer[0]
    assert "Ethnic group" in coordinator[0] and "Disability" in coordinator[0]
    row = dict(zip(coordinator[0], coordinator[1], strict=True))
    assert row["Ethnic group"] == "Asian or Asian British"
    assert row["Age"] == "25 to 44"
    text_column = next(h for h in coordinator[0] if "Anything else?" in h)
    assert row[text_column].startswith("'=")  # neutralised
    xlsx = _staff(app, "coordinator@example.org").get(
        f"/consultations/{consultation.id}/export.xlsx"
    )
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    from openpyxl import load_workbook

    rows = [list(r) for r in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows()]
    header = [c.value for c in rows[0]]
    assert "Ethnic group" in header
    cell = rows[1][header.index(text_column)]
    assert cell.data_type == "s" and str(cell.value).startswith("'=")  # text, not a formula
    officer_xlsx = load_workbook(io.BytesIO(
        _staff(app).get(f"/consultations/{consultation.id}/export.xlsx").data)).active
    officer_header = [c.value for c in next(officer_xlsx.iter_rows())]
    assert "Ethnic group" not in officer_header and "Disability" not in officer_header
    assert _staff(app).get(f"/consultations/{consultation.id}/export.pdf").status_code == 404
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "consultation.responses_exported")
        )
        == 4
    )


def test_councillors_cannot_read_or_export_individual_responses(
    app: Flask, consultation: Consultation
) -> None:
    _submit(consultation, TEXTS[0])
    db.session.commit()
    client = _staff(app, "councillor@example.org")
    text = question(consultation, "free_text")
    for url in (
        f"/consultations/{consultation.id}/responses",
        f"/consultations/{consultation.id}/export.csv",
        f"/consultations/{consultation.id}/questions/{text.id}/coding",
    ):
        assert client.get(url).status_code == 404, url
    assert TEXTS[0] not in client.get(f"/consultations/{consultation.id}/results").get_data(
        as_text=True
    )


def test_staff_key_in_paper_responses_marked_as_paper(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    client = _staff(app)
    ward = place.partnership.areas[0].wards()[2]
    single = question(consultation, "single_choice")
    response = client.post(
        f"/consultations/{consultation.id}/paper",
        data={single.field_name: "o2", "ward": str(ward.id), "age_band": "75+"},
    )
    assert response.status_code == 302
    (paper,) = db.session.scalars(db.select(Response)).all()
    assert paper.channel == Channel.PAPER and paper.entered_by_id == place.officer.id
    assert paper.ward_id == ward.id and paper.age_band == "75+" and paper.reference
    listing = client.get(f"/consultations/{consultation.id}/responses").get_data(as_text=True)
    assert "Paper" in listing and paper.reference in listing


def test_download_my_data_includes_responses_and_erasure_keeps_them_unlinked(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    _submit(consultation, "My view", user=place.resident, wants_outcome_email=True)
    db.session.commit()
    exported = account_operations.export_account(place.resident)
    (mine,) = exported["consultations"]["responses"]
    assert mine["consultation"] == consultation.title
    assert {"question": "Anything else?", "answer": "My view"} in mine["answers"]
    account_operations.erase_account(place.resident)
    db.session.commit()
    (kept,) = db.session.scalars(db.select(Response)).all()
    assert kept.user_id is None and not kept.wants_outcome_email
    assert any(a.text == "My view" for a in _text_answers(consultation))
