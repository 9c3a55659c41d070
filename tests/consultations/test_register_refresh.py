"""Register entries owned by consultations and budgeting processes follow the clock and
participation on the scheduled refresh (engage.core.register_sources)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from engage.audit.models import EngagementActivity
from engage.audit.overlap import Status
from engage.consultations import operations as consultations
from engage.consultations.models import Consultation
from engage.core.register_sources import refresh_sources
from engage.core.time import utcnow
from engage.extensions import db
from tests.consultations.conftest import Place


def _entry(source_type: str, source_id: int) -> EngagementActivity:
    db.session.expire_all()
    found = db.session.scalar(db.select(EngagementActivity).where(
        EngagementActivity.source_type == source_type, EngagementActivity.source_id == source_id))
    assert found is not None
    return found


def _respond(consultation: Consultation) -> None:
    response = consultations.start_response(consultation, None, utcnow())
    first = consultation.questions[0]
    consultations.save_draft(response, utcnow(), answers={str(first.id): "o1"})
    consultations.submit_response(response, utcnow())
    db.session.commit()


def test_a_consultation_closed_by_the_clock_turns_closed_with_its_responses_counted(
    consultation: Consultation, place: Place
) -> None:
    consultations.sync_register(consultation, None)
    db.session.commit()
    before = _entry("consultation", consultation.id)
    assert (before.status, before.participants) == (Status.LIVE, 0)
    _respond(consultation)
    _respond(consultation)
    assert _entry("consultation", consultation.id).participants == 0  # not on every response

    assert refresh_sources(utcnow())["consultation"] == 1
    db.session.commit()
    assert _entry("consultation", consultation.id).participants == 2

    after_close = (consultation.closes_at or utcnow()) + timedelta(minutes=1)
    assert refresh_sources(after_close)["consultation"] == 1
    db.session.commit()
    closed = _entry("consultation", consultation.id)
    assert (closed.status, closed.participants) == (Status.CLOSED, 2)
    stamp = closed.updated_at
    assert refresh_sources(after_close)["consultation"] == 0  # up to date: not rewritten
    db.session.commit()
    assert _entry("consultation", consultation.id).updated_at == stamp


def test_the_command_runs_every_source(app: Flask, consultation: Consultation) -> None:
    consultations.sync_register(consultation, None)
    db.session.commit()
    _respond(consultation)
    result = app.test_cli_runner().invoke(args=["audit", "refresh-register"])
    assert result.exit_code == 0, result.output
    assert "consultation: 1 entries updated" in result.output
    assert "budgeting: 0 entries updated" in result.output
    assert _entry("consultation", consultation.id).participants == 1
