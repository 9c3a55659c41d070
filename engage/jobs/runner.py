"""Running one attempt of a job: claim it, run its handler, record the outcome exactly once.

The handler's database work and the job's "succeeded" are committed in one transaction, and
only by the attempt holding the job's current run token, so a job killed part-way leaves
nothing behind, and an attempt that was presumed dead cannot also commit its work.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update

from engage.core.errors import EngageError, ImportFailed
from engage.core.structured_logging import current_job_id
from engage.core.time import utcnow
from engage.core.transactions import write_intent
from engage.extensions import db
from engage.jobs.context import JobContext, JobFailed
from engage.jobs.dispatch import dispatch_after_commit
from engage.jobs.models import Job, JobStatus
from engage.jobs.progress import ProgressStore, progress_store
from engage.jobs.registry import UnknownJob, get_job_type

logger = logging.getLogger("engage.jobs")


def perform(job_id: int) -> str:
    """RQ's entry point (the worker command provides the app): one app context per job."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        return run_job(job_id)


class _Heartbeat:
    """Tells the store every few seconds that this attempt is alive (for the stale sweep)."""

    def __init__(self, store: ProgressStore, job_id: int, token: str, interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            args=(store, job_id, token, interval),
            daemon=True,
            name=f"engage-job-{job_id}-heartbeat",
        )
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]

    def _run(self, store: ProgressStore, job_id: int, token: str, interval: float) -> None:
        with self._app.app_context():
            while not self._stop.wait(interval):
                try:
                    store.beat(job_id, token)
                except Exception:  # a missed beat is not fatal
                    logger.warning("heartbeat for job %s failed", job_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _claim(job_id: int, token: str) -> dict[str, Any] | None:
    """queued → running, atomically; None if someone else has it or it is gone."""
    now = utcnow()
    with write_intent():
        result = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                run_token=token,
                attempts=Job.attempts + 1,
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
                progress_done=0,
                message_code=None,
                error_code=None,
                error_message=None,
                result=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            db.session.rollback()
            return None
        row = db.session.execute(
            select(
                Job.name,
                Job.payload,
                Job.owner_id,
                Job.partnership_id,
                Job.attempts,
                Job.progress_total,
            ).where(Job.id == job_id)
        ).one()
        db.session.commit()
    return dict(row._mapping)


def _locale_for(owner_id: int | None) -> str:
    from engage.accounts.models import User

    if owner_id is None:
        return "en_GB"
    locale = db.session.scalar(select(User.locale).where(User.id == owner_id))
    db.session.rollback()
    return "cy" if locale == "cy" else "en_GB"


def _finish(job_id: int, token: str, **values: Any) -> bool:
    """Record the outcome in the current transaction, if this attempt still owns the job."""
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.run_token == token, Job.status == JobStatus.RUNNING)
        .values(finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _failure(exc: Exception, job_id: int) -> dict[str, Any]:
    """A failure as a code and a user-safe message; the exception's own text is only logged."""
    from rq.timeouts import JobTimeoutException

    if isinstance(exc, JobFailed):
        return {"error_code": exc.code, "error_message": exc.message, "result": exc.details}
    if isinstance(exc, ImportFailed):
        rows = [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors]
        return {
            "error_code": "import_failed",
            "error_message": None,
            "result": {"row_errors": rows},
        }
    if isinstance(exc, EngageError):
        return {"error_code": "rejected", "error_message": str(exc) or None, "result": None}
    if isinstance(exc, UnknownJob):
        return {"error_code": "unknown_job", "error_message": None, "result": None}
    if isinstance(exc, JobTimeoutException):
        return {"error_code": "timed_out", "error_message": None, "result": None}
    logger.error("job %s failed", job_id, exc_info=exc)
    return {"error_code": "internal", "error_message": None, "result": None}


def run_job(job_id: int) -> str:
    """Run one attempt of a queued job; returns "succeeded", "failed", "skipped" or "superseded"."""
    marker = current_job_id.set(job_id)  # log lines from here on carry the job id
    try:
        return _run_job(job_id)
    finally:
        current_job_id.reset(marker)


def _run_job(job_id: int) -> str:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = progress_store(app)
    token = secrets.token_hex(16)
    claimed = _claim(job_id, token)
    if claimed is None:
        return "skipped"
    locale = _locale_for(claimed["owner_id"])
    ctx = JobContext(
        job_id=job_id,
        name=claimed["name"],
        owner_id=claimed["owner_id"],
        partnership_id=claimed["partnership_id"],
        attempt=claimed["attempts"],
        payload=dict(claimed["payload"] or {}),
        store=store,
        token=token,
    )
    interval = float(app.config.get("ENGAGE_JOBS_HEARTBEAT_SECONDS", 10))
    logger.info("job %s (%s) attempt %s started", job_id, ctx.name, ctx.attempt)
    try:
        with _Heartbeat(store, job_id, token, interval), write_intent(), force_locale(locale):
            try:
                job_type = get_job_type(ctx.name)
                outcome = job_type.handler(ctx, dict(ctx.payload))
                if not _finish(
                    job_id,
                    token,
                    status=JobStatus.SUCCEEDED,
                    result=outcome,
                    progress_done=ctx.total if ctx.total is not None else ctx.done,
                    progress_total=ctx.total,
                    message_code=ctx.message,
                ):
                    db.session.rollback()
                    logger.warning(
                        "job %s attempt %s was superseded; its work is discarded",
                        job_id,
                        ctx.attempt,
                    )
                    return "superseded"
                db.session.commit()
            except Exception as exc:  # every failure is recorded for the user
                db.session.rollback()
                failure = _failure(exc, job_id)
                recorded = _finish(
                    job_id,
                    token,
                    status=JobStatus.FAILED,
                    progress_done=ctx.done,
                    progress_total=ctx.total,
                    **failure,
                )
                db.session.commit()
                logger.info(
                    "job %s (%s) attempt %s failed: %s",
                    job_id,
                    ctx.name,
                    ctx.attempt,
                    failure["error_code"],
                )
                return "failed" if recorded else "superseded"
    finally:
        if db.session().in_transaction():
            db.session.rollback()
    logger.info("job %s (%s) attempt %s succeeded", job_id, ctx.name, ctx.attempt)
    return "succeeded"


def recover_stale_jobs(stale_after: float | None = None) -> dict[str, list[int]]:
    """Running jobs whose attempt stopped beating (its worker died): queue them again while
    they have attempts left, else fail them as interrupted. Commits; then dispatches."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if stale_after is None:
        stale_after = float(app.config.get("ENGAGE_JOBS_STALE_SECONDS", 120))
    store = progress_store(app)
    cutoff = utcnow() - timedelta(seconds=stale_after)
    outcome: dict[str, list[int]] = {"requeued": [], "failed": []}
    # Look first without the write lock (on SQLite a running job may hold it for a while).
    rows = db.session.execute(
        select(
            Job.id, Job.name, Job.run_token, Job.heartbeat_at, Job.started_at, Job.attempts
        ).where(Job.status == JobStatus.RUNNING)
    ).all()
    db.session.rollback()
    stale = []
    for row in rows:
        snapshot = store.read(row.id, row.run_token)
        beat = snapshot.heartbeat_at if snapshot else (row.heartbeat_at or row.started_at)
        if beat is None or beat <= cutoff:
            stale.append(row)
    if not stale:
        return outcome
    with write_intent():
        for row in stale:
            try:
                job_type = get_job_type(row.name)
                max_attempts, timeout = job_type.max_attempts, job_type.timeout
            except UnknownJob:
                max_attempts, timeout = 0, 3600
            fence = (
                Job.id == row.id,
                Job.run_token == row.run_token,
                Job.status == JobStatus.RUNNING,
            )
            if row.attempts < max_attempts:
                values: dict[str, Any] = {
                    "status": JobStatus.QUEUED,
                    "run_token": None,
                    "message_code": None,
                }
                kind = "requeued"
            else:
                values = {
                    "status": JobStatus.FAILED,
                    "error_code": "interrupted",
                    "finished_at": utcnow(),
                }
                kind = "failed"
            result = db.session.execute(
                update(Job)
                .where(*fence)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                outcome[kind].append(row.id)
                logger.warning("job %s: worker stopped beating; %s", row.id, kind)
                if kind == "requeued":
                    dispatch_after_commit(db.session(), row.id, timeout)
        db.session.commit()
    return outcome


def redispatch_queued(older_than: float) -> list[int]:
    """Dispatch again the jobs still queued after `older_than` seconds (e.g. queued while Redis
    was unreachable). A job dispatched twice still runs once: the first run claims it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cutoff = utcnow() - timedelta(seconds=older_than)
    rows = db.session.execute(
        select(Job.id, Job.name).where(Job.status == JobStatus.QUEUED, Job.created_at < cutoff)
    ).all()
    db.session.rollback()
    from engage.jobs.dispatch import dispatch

    for row in rows:
        try:
            timeout = get_job_type(row.name).timeout
        except UnknownJob:
            timeout = 3600
        dispatch(app, row.id, timeout)
    return [row.id for row in rows]
