"""Background jobs of the panels domain: running the selection engine."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from engage.core.errors import EngageError
from engage.extensions import db
from engage.jobs import JobContext, JobFailed, job_handler
from engage.panels import operations
from engage.panels.models import Algorithm, Panel


def selection_path(slug: str, panel_id: int, selection_id: int) -> str:
    """The selection's page, built without a request (jobs run outside one)."""
    adapter = current_app.url_map.bind("localhost")
    return str(adapter.build(
        "panels.selection", {"slug": slug, "panel_id": panel_id, "selection_id": selection_id}
    ))


@job_handler("panels.select", title=_l("Selecting the citizens' panel"),
             messages={"selecting": _l("Finding the fairest way to choose the panel")})
def select_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Select a panel (payload: panel_id, algorithm, seed) and store the Selection."""
    panel = db.session.get(Panel, int(payload["panel_id"]))
    if panel is None or panel.partnership_id != ctx.partnership_id:
        raise JobFailed("not_found")
    ctx.progress(0, 1, message="selecting")
    try:
        selection = operations.select_members(
            panel, Algorithm(payload["algorithm"]), int(payload["seed"]), actor_id=ctx.owner_id
        )
    except EngageError as error:
        raise JobFailed("infeasible", str(error)) from error
    ctx.progress(1, 1)
    return {
        "selection_id": selection.id,
        "members": len(selection.selected),
        "next_url": selection_path(panel.partnership.slug, panel.id, selection.id),
    }


@job_handler("panels.purge", title=_l("Deleting volunteers past their panel's retention period"))
def purge_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The retention purge (operations.purge_unselected): all or nothing, safe to repeat."""
    ctx.progress(0, 1)
    removed = operations.purge_unselected()
    ctx.progress(1, 1)
    return {"removed": removed}
