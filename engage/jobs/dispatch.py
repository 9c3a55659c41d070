"""Getting a queued job to something that runs it, once the transaction that queued it commits.

- `ENGAGE_JOBS_INLINE` (tests): run at once, before the commit returns, in a fresh app context.
- `REDIS_URL` set: put it on the RQ queue for `flask --app engage jobs worker` processes.
- otherwise: a background thread in this process (the one-machine default).

Dispatching twice is harmless: a run first claims the job atomically (queued → running).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger("engage.jobs")

QUEUE_NAME = "engage"
_PENDING = "engage_jobs_to_dispatch"


def dispatch_after_commit(session: Session, job_id: int, timeout: int = 3600) -> None:
    """Dispatch the job when this session's transaction commits (never if it rolls back)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session.info.setdefault(_PENDING, []).append((app, job_id, timeout))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the real commit is still to come
    pending = session.info.pop(_PENDING, None)
    for app, job_id, timeout in pending or ():
        try:
            dispatch(app, job_id, timeout)
        except Exception:
            if app.config.get("ENGAGE_JOBS_INLINE"):
                raise  # tests: a broken run must fail the test that committed
            logger.exception("could not dispatch job %s", job_id)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)


def dispatch(app: Flask, job_id: int, timeout: int = 3600) -> None:
    if app.config.get("ENGAGE_JOBS_INLINE"):
        # A thread of its own gives the run its own app context and database session,
        # apart from the caller's; joining it keeps tests deterministic.
        errors: list[BaseException] = []

        def run() -> None:
            try:
                run_in_app(app, job_id)
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
    elif app.config.get("REDIS_URL"):
        enqueue_on_rq(app, job_id, timeout)
    else:
        ensure_sweeper(app)
        threading.Thread(
            target=run_in_app, args=(app, job_id), name=f"engage-job-{job_id}", daemon=True
        ).start()


_sweeper_lock = threading.Lock()


def ensure_sweeper(app: Flask) -> None:
    """Without RQ workers, each web process that runs jobs also looks, every heartbeat, for jobs
    whose process died (e.g. a recycled gunicorn worker) and starts them again. The requeue is
    fenced by the run token, so several processes sweeping at once do no harm."""
    if app.testing or app.config.get("REDIS_URL"):
        return
    with _sweeper_lock:
        if app.extensions.get("engage_jobs_sweeper"):
            return
        every = float(app.config.get("ENGAGE_JOBS_HEARTBEAT_SECONDS", 10))

        def sweep_forever() -> None:
            from engage.jobs.runner import recover_stale_jobs

            while True:
                time.sleep(every)
                try:
                    with app.app_context():
                        recover_stale_jobs()
                except Exception:  # try again next round
                    logger.exception("stale-job sweep failed")

        thread = threading.Thread(target=sweep_forever, name="engage-jobs-sweep", daemon=True)
        thread.start()
        app.extensions["engage_jobs_sweeper"] = thread


def run_in_app(app: Flask, job_id: int) -> str:
    from engage.jobs.runner import run_job

    with app.app_context():
        return run_job(job_id)


def redis_connection(app: Flask) -> Any:
    from redis import Redis

    connection = app.extensions.get("engage_redis")
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"])
        app.extensions["engage_redis"] = connection
    return connection


def rq_queue(app: Flask) -> Any:
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis_connection(app))


def enqueue_on_rq(app: Flask, job_id: int, timeout: int) -> None:
    rq_queue(app).enqueue(
        "engage.jobs.runner.perform",
        job_id,
        job_id=f"engage-job-{job_id}-{secrets.token_hex(4)}",
        job_timeout=timeout,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=f"engage job {job_id}",
    )
