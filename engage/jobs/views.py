"""A job's status page (htmx polls its fragment; without JavaScript the page refreshes itself)
and "Try again" for a failed job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engage.core.security import is_safe_next
from engage.extensions import db
from engage.jobs import labels, policy
from engage.jobs.models import Job, JobStatus
from engage.jobs.operations import retry_job
from engage.jobs.progress import progress_store
from engage.jobs.registry import UnknownJob, get_job_type

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in user; each view then checks the policy."""


@dataclass(frozen=True)
class JobView:
    """What the status page shows: the row, with a running job's latest progress over it."""

    job: Job
    title: str
    status_label: str
    tag_class: str
    done: int
    total: int | None
    percent: int | None
    stage: str | None
    error: str | None
    row_errors: list[dict[str, Any]]
    next_url: str | None
    can_retry: bool

    @property
    def finished(self) -> bool:
        return self.job.is_finished


def job_view(job: Job) -> JobView:
    done, total, stage_code = job.progress_done, job.progress_total, job.message_code
    if job.status == JobStatus.RUNNING:
        snapshot = progress_store(current_app).read(job.id, job.run_token)
        if snapshot is not None:
            done, total, stage_code = snapshot.done, snapshot.total, snapshot.message_code
    try:
        job_type = get_job_type(job.name)
        title, messages = job_type.title or labels.DEFAULT_TITLE, job_type.messages
    except UnknownJob:
        title, messages = labels.DEFAULT_TITLE, {}
    percent = None
    if total:
        percent = max(0, min(100, (100 * done) // total))
    result = job.result or {}
    next_url = result.get("next_url") if job.status == JobStatus.SUCCEEDED else None
    failed = job.status == JobStatus.FAILED
    return JobView(
        job=job,
        title=str(title),
        status_label=str(labels.STATUS_LABELS[job.status]),
        tag_class=labels.STATUS_TAG_CLASSES[job.status],
        done=done,
        total=total,
        percent=percent,
        stage=labels.message_label(messages, stage_code),
        error=labels.error_text(job.error_code, job.error_message) if failed else None,
        row_errors=list(result.get("row_errors", [])) if failed else [],
        next_url=next_url if isinstance(next_url, str) and is_safe_next(next_url) else None,
        can_retry=policy.can_retry_job(current_user, job),
    )


def _job(job_id: int) -> Job:
    """The job, if the user may see it; otherwise 404, never a hint it exists."""
    job = db.session.get(Job, job_id)
    if job is None or not policy.can_view_job(current_user, job):
        abort(404)
    return job


def _wants_fragment() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


@bp.get("/<int:job_id>")
def status(job_id: int) -> Response | str:
    view = job_view(_job(job_id))
    if _wants_fragment():
        response = current_app.make_response(render_template("jobs/_status.html", view=view))
    else:
        response = current_app.make_response(
            render_template(
                "jobs/status.html",
                view=view,
                refresh_seconds=current_app.config.get("ENGAGE_JOBS_REFRESH_SECONDS", 3),
            )
        )
    response.vary.add("HX-Request")
    return response


@bp.post("/<int:job_id>/retry")
def retry(job_id: int) -> Response:
    job = _job(job_id)
    if not policy.can_retry_job(current_user, job):
        # Nothing to retry (already queued again, finished, or failed on its input).
        return redirect(url_for("jobs.status", job_id=job.id))
    retried = retry_job(job)
    db.session.commit()
    return redirect(url_for("jobs.status", job_id=retried.id))


from engage.jobs import cli as _cli  # noqa: E402,F401  (registers `flask jobs ...` on bp)
