"""`flask --app engage jobs ...`: RQ workers, retrying, and recovering jobs whose worker died."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask, current_app

from engage.extensions import db
from engage.jobs.views import bp

logger = logging.getLogger("engage.jobs")


def _sweep_forever(app: Flask, stop: threading.Event, every: float) -> None:
    from engage.jobs.runner import recover_stale_jobs

    while not stop.wait(every):
        try:
            with app.app_context():
                recover_stale_jobs()
        except Exception:  # try again next round
            logger.exception("stale-job sweep failed")


@bp.cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="Worker name (RQ makes one up otherwise).")
def worker(burst: bool, name: str | None) -> None:
    """Run jobs from Redis (needs REDIS_URL). Run as many of these as you like, on any host."""
    from rq import SimpleWorker

    from engage.jobs.dispatch import redis_connection, rq_queue

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set: without it jobs run inside the web process")
    # Each job runs in this process (no fork), so killing the worker stops its job too, and
    # the job's database connections are never shared with a forked child.
    stop = threading.Event()
    every = float(app.config.get("ENGAGE_JOBS_HEARTBEAT_SECONDS", 10))
    sweeper = threading.Thread(
        target=_sweep_forever, args=(app, stop, every), daemon=True, name="engage-jobs-sweep"
    )
    sweeper.start()
    try:
        SimpleWorker([rq_queue(app)], connection=redis_connection(app), name=name).work(
            burst=burst, logging_level="INFO", with_scheduler=False
        )
    finally:
        stop.set()


@bp.cli.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Queue a failed job again (does nothing to a job that has not failed)."""
    from engage.core.transactions import write_intent
    from engage.jobs.operations import retry_job

    with write_intent():
        job = retry_job(job_id)
        status = job.status
        db.session.commit()
    click.echo(f"job {job.id}: {status}")


@bp.cli.command("recover")
@click.option(
    "--stale-after",
    type=float,
    default=None,
    help="Seconds without a heartbeat before a running job counts as abandoned.",
)
def recover(stale_after: float | None) -> None:
    """Queue again (or fail) running jobs whose worker stopped beating."""
    from engage.jobs.runner import recover_stale_jobs

    outcome = recover_stale_jobs(stale_after)
    click.echo(f"requeued: {outcome['requeued']}; failed: {outcome['failed']}")


@bp.cli.command("run")
@click.argument("job_id", type=int)
def run(job_id: int) -> None:
    """Run one queued job in this process (for debugging)."""
    from engage.jobs.runner import run_job

    click.echo(run_job(job_id))


@bp.cli.command("dispatch-queued")
@click.option(
    "--older-than",
    type=float,
    default=300,
    show_default=True,
    help="Seconds a job has waited in the queued state.",
)
def dispatch_queued(older_than: float) -> None:
    """Dispatch again jobs still waiting (e.g. queued while Redis was unreachable)."""
    from engage.jobs.runner import redispatch_queued

    click.echo(f"dispatched: {redispatch_queued(older_than)}")
