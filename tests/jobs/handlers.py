"""Job handlers used by the job tests (registered when this module is imported)."""

from __future__ import annotations

import threading
from typing import Any

from engage.core.errors import EngageError, ImportFailed, RowError
from engage.extensions import db
from engage.jobs import JobContext, JobFailed, job_handler
from engage.partnerships.models import Organisation, Sector

CALLS: list[tuple[str, int]] = []
# Set by a test to let the "waits" handler finish.
RELEASE = threading.Event()
STARTED = threading.Event()


def _add_organisations(prefix: str, count: int, ctx: JobContext) -> None:
    for index in range(count):
        db.session.add(Organisation(name=f"{prefix} {index}", sector=Sector.VOLUNTARY))
        db.session.flush()
        ctx.progress(index + 1, count, message="adding")


@job_handler("testjobs.add", title="Adding organisations", messages={"adding": "Adding them"})
def add(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    CALLS.append(("add", ctx.job_id))
    _add_organisations(payload["prefix"], payload["count"], ctx)
    return {"added": payload["count"], "next_url": "/"}


@job_handler("testjobs.explodes")
def explodes(ctx: JobContext, payload: dict[str, Any]) -> None:
    _add_organisations(payload["prefix"], 3, ctx)
    raise RuntimeError("connection string postgresql://secret@db leaked")


@job_handler("testjobs.rejects")
def rejects(ctx: JobContext, payload: dict[str, Any]) -> None:
    _add_organisations(payload["prefix"], 2, ctx)
    raise EngageError("The dataset has no rows to import.")


@job_handler("testjobs.bad_file")
def bad_file(ctx: JobContext, payload: dict[str, Any]) -> None:
    raise ImportFailed([RowError(3, "population", "Population must be a whole number.")])


@job_handler("testjobs.declines")
def declines(ctx: JobContext, payload: dict[str, Any]) -> None:
    raise JobFailed("too_big", "The file has more than 10,000 rows.")


@job_handler("testjobs.flaky")
def flaky(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Fails on its first attempt after writing, succeeds on later ones."""
    CALLS.append(("flaky", ctx.attempt))
    _add_organisations(payload["prefix"], 3, ctx)
    if ctx.attempt == 1:
        raise RuntimeError("first attempt fails")
    return {"attempt": ctx.attempt}


@job_handler("testjobs.waits")
def waits(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    ctx.progress(2, 4, message="halfway")
    STARTED.set()
    if not RELEASE.wait(timeout=20):
        raise RuntimeError("never released")
    ctx.progress(4, 4)
    return {"waited": True}


@job_handler("testjobs.loses_its_claim")
def loses_its_claim(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Writes, then finds another attempt took the job over (its token replaced)."""
    from sqlalchemy import update

    from engage.jobs.models import Job

    _add_organisations(payload["prefix"], 2, ctx)
    db.session.execute(
        update(Job)
        .where(Job.id == ctx.job_id)
        .values(run_token="someone-else")
        .execution_options(synchronize_session=False)
    )
