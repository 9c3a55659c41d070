"""Strategy exports are long jobs: DOCX and PDF rendering runs through engage.jobs."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from engage.extensions import db
from engage.jobs import JobContext, JobFailed, job_handler
from engage.strategy.models import ExportFormat, StrategyDraft

EXPORT_JOB = "strategy.export_draft"


def run_export(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Render one export of a draft and keep it; the status page then links to the exports."""
    from engage.strategy.exports import export_draft

    draft = db.session.get(StrategyDraft, int(payload["draft_id"]))
    if draft is None:
        raise JobFailed("not_found", str(_l("The strategy draft no longer exists.")))
    ctx.progress(0, 1, message="rendering")
    export = export_draft(
        draft, ExportFormat(payload["format"]), str(payload["language"]), ctx.owner_id
    )
    ctx.progress(1, 1, message="rendering")
    return {
        "export_id": export.id,
        "next_url": f"{payload['exports_url']}#export-{export.id}",
    }


job_handler(
    EXPORT_JOB,
    title=_l("Exporting the strategy"),
    messages={"rendering": _l("Writing the document")},
)(run_export)
