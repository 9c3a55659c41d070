"""Long budgeting work as jobs: tallying a large process."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from engage.budgeting import operations
from engage.budgeting.models import BudgetingProcess
from engage.extensions import db
from engage.jobs import JobContext, JobFailed, job_handler


@job_handler("budgeting.tally", title=_l("Counting a participatory budgeting vote"))
def tally_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    process = db.session.get(BudgetingProcess, int(payload["process_id"]))
    if process is None:
        raise JobFailed("not_found")
    ctx.progress(0, 1)
    result = operations.tally_process(process)
    ctx.progress(1, 1)
    # The results page, built without a request (jobs run outside one): the status page's
    # "Continue" link.
    results = current_app.url_map.bind("localhost").build(
        "budgeting.results", {"process_id": process.id})
    return {"result_id": result.id, "selected": result.selected, "ballots": result.ballots,
            "next_url": str(results)}
