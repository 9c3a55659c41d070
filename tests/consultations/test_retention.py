"""The retention purge of anonymous drafts runs as a job from `flask consultations purge-drafts`."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from engage.consultations import operations
from engage.consultations.models import Consultation, Response
from engage.core.time import utcnow
from engage.extensions import db
from engage.jobs import Job, JobStatus


def test_purge_drafts_command_deletes_old_anonymous_drafts_through_a_job(
    app: Flask, consultation: Consultation
) -> None:
    now = utcnow()
    old = operations.start_response(consultation, None, now)
    recent = operations.start_response(consultation, None, now)
    db.session.flush()
    old.updated_at = now - timedelta(days=31)
    db.session.commit()
    old_id, recent_id = old.id, recent.id

    result = app.test_cli_runner().invoke(args=["consultations", "purge-drafts"])
    assert result.exit_code == 0, result.output
    job = db.session.scalar(select(Job).where(Job.name == "consultations.purge_drafts"))
    assert job is not None and job.status == JobStatus.SUCCEEDED
    assert job.result == {"removed": 1}
    assert f"1 stale drafts removed (job {job.id})" in result.output
    assert db.session.get(Response, old_id) is None
    assert db.session.get(Response, recent_id) is not None

    again = app.test_cli_runner().invoke(args=["consultations", "purge-drafts"])
    assert again.exit_code == 0 and "0 stale drafts removed" in again.output
