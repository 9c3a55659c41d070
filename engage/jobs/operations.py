"""Queueing and retrying jobs. These flush, never commit: the job is dispatched when the
caller's transaction commits, so a worker never sees a job whose request rolled back."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from engage.core.personal_data import register_personal_data
from engage.core.time import utcnow
from engage.extensions import db
from engage.jobs.dispatch import dispatch_after_commit
from engage.jobs.models import FINISHED, Job, JobStatus
from engage.jobs.registry import get_job_type


def _active_with_key(name: str, key: str) -> Job | None:
    return db.session.scalar(
        select(Job).where(Job.name == name, Job.key == key, Job.status != JobStatus.FAILED)
    )


def enqueue_job(
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    owner_id: int | None,
    partnership_id: int | None,
    key: str | None = None,
) -> Job:
    """Queue a job for the handler registered as `name`; it starts once the caller commits.

    With a `key`, a job of the same name and key that has not failed is returned instead of
    a new one (queued, running or succeeded: the same work is never done twice). A failed
    job's key is free again. The payload must be JSON-able; keep personal data out of it.
    """
    job_type = get_job_type(name)  # unknown names fail here, not in a worker
    payload = dict(payload or {})
    json.dumps(payload)  # not JSON-able → TypeError now, at the caller
    if key is not None:
        existing = _active_with_key(name, key)
        if existing is not None:
            return existing
    job = Job(
        name=name,
        payload=payload,
        key=key,
        status=JobStatus.QUEUED,
        owner_id=owner_id,
        partnership_id=partnership_id,
        created_at=utcnow(),
        attempts=0,
        progress_done=0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:
        # Someone else queued the same key between our look and our insert.
        existing = _active_with_key(name, key) if key is not None else None
        if existing is None:
            raise
        return existing
    dispatch_after_commit(db.session(), job.id, job_type.timeout)
    return job


def retry_job(job: Job | int) -> Job:
    """Queue a failed job again; for any other status this changes nothing (idempotent).

    If the failed job's key has since been taken by another job, that job is returned.
    """
    job_id = job if isinstance(job, int) else job.id
    found = db.session.get(Job, job_id)
    if found is None:
        raise LookupError(job_id)
    if found.status != JobStatus.FAILED:
        return found
    if found.key is not None:
        other = _active_with_key(found.name, found.key)
        if other is not None:
            return other
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.FAILED)
                .values(
                    status=JobStatus.QUEUED,
                    run_token=None,
                    error_code=None,
                    error_message=None,
                    result=None,
                    progress_done=0,
                    progress_total=None,
                    message_code=None,
                    started_at=None,
                    finished_at=None,
                    heartbeat_at=None,
                )
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        other = _active_with_key(found.name, found.key) if found.key else None
        if other is None:
            raise
        return other
    db.session.refresh(found)
    if result.rowcount == 1:  # type: ignore[attr-defined]
        try:
            timeout = get_job_type(found.name).timeout
        except LookupError:
            timeout = 3600
        dispatch_after_commit(db.session(), job_id, timeout)
    return found


def wait_for_job(job_id: int, timeout: float = 3600.0, every: float = 0.2) -> Job:
    """Wait until the job has succeeded or failed (or `timeout` seconds pass): for commands
    that queue work and report its outcome, whether a worker or a thread of this process runs
    it. Ends the caller's transaction on every look, to see the runner's commits."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None:
            raise LookupError(job_id)
        if job.status in FINISHED or time.monotonic() >= deadline:
            return job
        time.sleep(every)


def get_job(job_id: int) -> Job | None:
    return db.session.get(Job, job_id)


def export_job_data(user: Any) -> dict[str, Any]:
    """The jobs a person started (names and outcomes; payloads are internal references)."""
    jobs = db.session.scalars(select(Job).where(Job.owner_id == user.id).order_by(Job.id)).all()
    return {
        "jobs": [
            {
                "id": j.id,
                "name": j.name,
                "status": str(j.status),
                "created_at": j.created_at.isoformat(),
                "finished_at": j.finished_at.isoformat() if j.finished_at else None,
            }
            for j in jobs
        ]
    }


def erase_job_data(user: Any) -> None:
    """Jobs stay (their work belongs to the partnership), unlinked from the person."""
    db.session.execute(
        update(Job)
        .where(Job.owner_id == user.id)
        .values(owner_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data("jobs", export_job_data, erase_job_data)
