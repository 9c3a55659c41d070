"""An import-like job for the scale-out test: N organisations in one transaction, slowly.

Loaded by the app and worker processes through ENGAGE_JOB_MODULES=tests.scaleout.handlers.
"""

from __future__ import annotations

import os
import time
from typing import Any

from engage.extensions import db
from engage.jobs import JobContext, job_handler
from engage.partnerships.models import Organisation, Sector


@job_handler("scaleout.import_organisations")
def import_organisations(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    prefix, count, delay = payload["prefix"], int(payload["count"]), float(payload["delay"])
    for index in range(count):
        db.session.add(Organisation(name=f"{prefix} {index:03d}", sector=Sector.COMMUNITY))
        db.session.flush()
        # The stage code names this process, so the test knows which worker to kill.
        ctx.progress(index + 1, count, message=f"pid-{os.getpid()}")
        time.sleep(delay)
    return {"imported": count, "attempt": ctx.attempt}
