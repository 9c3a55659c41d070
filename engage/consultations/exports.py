"""Response exports (one row per response) and ward aggregate exports, as plain rows.

Cells are made formula-safe by engage.core.spreadsheets when written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from engage.consultations.labels import channel_label, equality_label
from engage.consultations.models import Answer, Consultation, Response, ResponseStatus
from engage.consultations.question_types import StoredItem
from engage.consultations.ward_feedback import WardConsultation
from engage.core.time import LONDON, as_utc
from engage.extensions import db
from engage.partnerships.models import Area


def response_header(
    consultation: Consultation, *, special_category: bool, locale: str
) -> list[str]:
    header = [
        _("Reference"),
        _("Sent (UK time)"),
        _("Channel"),
        _("Ward code"),
        _("Ward"),
        _("District"),
    ]
    header += [
        f"Q{number}. {q.display_text(locale)}" for number, q in enumerate(consultation.questions, 1)
    ]
    if consultation.has_equality_section:
        header += [_("Age"), _("Sex")]
        if special_category:
            header += [_("Ethnic group"), _("Disability"), _("Consent to special category data")]
    return header


def response_rows(
    consultation: Consultation, *, special_category: bool, locale: str
) -> Iterator[list[Any]]:
    """Every submitted response, its answers described as the respondent chose them."""
    questions = list(consultation.questions)
    areas: dict[int, Area] = {}
    responses = db.session.execute(
        select(
            Response.id,
            Response.reference,
            Response.submitted_at,
            Response.channel,
            Response.ward_id,
            Response.age_band,
            Response.sex,
            Response.ethnicity,
            Response.disability,
            Response.special_category_consent,
        )
        .where(
            Response.consultation_id == consultation.id,
            Response.status == ResponseStatus.SUBMITTED,
        )
        .order_by(Response.id)
    ).all()
    items: dict[int, dict[int, list[StoredItem]]] = {}
    for response_id, question_id, item, number, text in db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.item, Answer.number, Answer.text)
        .where(Answer.consultation_id == consultation.id)
        .order_by(Answer.response_id, Answer.id)
    ):
        items.setdefault(response_id, {}).setdefault(question_id, []).append(
            StoredItem(item, number, text)
        )
    for row in responses:
        ward = None
        if row.ward_id is not None:
            ward = areas.get(row.ward_id) or db.session.get(Area, row.ward_id)
            if ward is not None:
                areas[row.ward_id] = ward
        answers = items.get(row.id, {})
        cells: list[Any] = [
            row.reference,
            as_utc(row.submitted_at).astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
            if row.submitted_at
            else "",
            channel_label(row.channel),
            ward.gss_code if ward else "",
            ward.display_name(locale) if ward else "",
            ward.parent.display_name(locale) if ward and ward.parent else "",
        ]
        for question in questions:
            stored = answers.get(question.id)
            if not stored:
                cells.append("")
                continue
            value = question.type.load(question, stored)
            cells.append(question.type.describe(question, value, locale))
        if consultation.has_equality_section:
            cells += [
                equality_label("age_band", row.age_band) if row.age_band else "",
                equality_label("sex", row.sex) if row.sex else "",
            ]
            if special_category:
                cells += [
                    equality_label("ethnicity", row.ethnicity) if row.ethnicity else "",
                    equality_label("disability", row.disability) if row.disability else "",
                    _("Yes") if row.special_category_consent else _("No"),
                ]
        yield cells


def ward_header() -> list[str]:
    return [
        _("Consultation"),
        _("Question"),
        _("Answer"),
        _("Ward (%)"),
        _("Whole area (%)"),
        _("Ward (average)"),
        _("Whole area (average)"),
    ]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def ward_rows(feedback: list[WardConsultation], locale: str) -> Iterator[list[Any]]:
    """The ward's aggregates (suppressed cells are blank, as on the page)."""
    suppressed = _("suppressed")
    for item in feedback:
        title = item.consultation.display_title(locale)
        yield [
            title,
            _("Responses per 1,000 residents"),
            "",
            "",
            "",
            _number(item.ward_rate) if item.ward_rate is not None else suppressed,
            _number(item.area_rate),
        ]
        for question in item.questions:
            for row in question.rows:
                yield [
                    title,
                    question.question.display_text(locale),
                    row.label,
                    _percent(row.ward_share),
                    _percent(row.area_share),
                    _number(row.ward_value),
                    _number(row.area_value),
                ]
        for label, count in item.top_codes:
            yield [title, _("Coded comments: number in this ward"), label, "", "", str(count), ""]
