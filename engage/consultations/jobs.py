"""Long work of the consultations domain, run by engage.jobs (in a worker or a thread)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from engage.consultations.models import Question
from engage.consultations.operations import compute_suggested_groups
from engage.extensions import db
from engage.jobs import JobContext, job_handler


@job_handler("consultations.group_answers", title=_l("Suggesting groups of similar answers"))
def group_answers_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Suggested groups for one free-text question (engage.consultations.grouping)."""
    question = db.session.get(Question, int(payload["question_id"]))
    if question is None or not question.type.is_free_text:
        return {"groups": 0}
    ctx.progress(0, 1)
    groups = compute_suggested_groups(question)
    ctx.progress(1, 1)
    return {"groups": len(groups), "question_id": question.id}


@job_handler("consultations.purge_drafts", title=_l("Deleting anonymous drafts never sent"))
def purge_drafts_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The retention purge of anonymous drafts untouched since `before` (ISO, UTC): fixed
    when queued, so a retry deletes the same set."""
    from datetime import datetime

    from engage.consultations.operations import purge_stale_drafts

    ctx.progress(0, 1)
    removed = purge_stale_drafts(datetime.fromisoformat(payload["before"]))
    ctx.progress(1, 1)
    return {"removed": removed}
