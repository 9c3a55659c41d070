"""The demo consultations load quickly, idempotently, and cover the five kinds the issue asks."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import func, select

from engage.consultations.demo import load_consultations
from engage.consultations.models import (
    Answer,
    Audience,
    Channel,
    Consultation,
    ConsultationStatus,
    Response,
    ResponseTally,
    Tally,
)
from engage.demo.foundation import load_foundation
from engage.extensions import db


def test_demo_consultations_load_quickly_and_idempotently(app: Flask) -> None:
    load_foundation()
    db.session.commit()
    started = time.perf_counter()
    first = load_consultations()
    db.session.commit()
    assert time.perf_counter() - started < 20
    assert first["consultations created"] == 6
    assert 2_900 <= first["responses in total"] <= 3_450
    again = load_consultations()
    db.session.commit()
    assert again["consultations created"] == 0
    assert again["responses in total"] == first["responses in total"]

    consultations = {c.title: c for c in db.session.scalars(select(Consultation))}
    statuses = {c.status for c in consultations.values()}
    assert ConsultationStatus.OPEN in statuses
    assert ConsultationStatus.OUTCOME_PUBLISHED in statuses
    published = next(
        c for c in consultations.values() if c.status == ConsultationStatus.OUTCOME_PUBLISHED
    )
    assert published.outcome is not None and published.outcome.we_did_cy
    panel = next(c for c in consultations.values() if c.audience == Audience.PANEL)
    assert {
        r.channel
        for r in db.session.scalars(select(Response).where(Response.consultation_id == panel.id))
    } == {Channel.PAPER}
    assert any(c.title_cy and all(q.text_cy for q in c.questions) for c in consultations.values())
    texts = {
        c.title: db.session.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.consultation_id == c.id, Answer.text.is_not(None))
        )
        for c in consultations.values()
    }
    assert max(texts.values()) >= 1_000  # one consultation with lots of free text

    # Responses are spread unevenly across wards.
    per_ward = [
        n
        for _ward, n in db.session.execute(
            select(Response.ward_id, func.count()).group_by(Response.ward_id)
        )
    ]
    assert len(per_ward) == 30 and max(per_ward) > 3 * min(per_ward)

    # The bulk load leaves the running tallies in step with the rows.
    for consultation in consultations.values():
        answers = db.session.scalar(
            select(func.sum(Tally.answers)).where(Tally.consultation_id == consultation.id)
        )
        rows = db.session.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.consultation_id == consultation.id)
        )
        assert answers == rows
        responses = db.session.scalar(
            select(func.sum(ResponseTally.responses)).where(
                ResponseTally.consultation_id == consultation.id
            )
        )
        assert responses == db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.consultation_id == consultation.id)
        )
