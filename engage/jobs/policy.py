"""Who may see a job's progress and start it again: its owner, and the coordinators and
administrators of its partnership (and of the partnerships above it)."""

from __future__ import annotations

from typing import Any

from engage.accounts.models import Role, User
from engage.extensions import db
from engage.jobs.models import Job
from engage.partnerships.models import Partnership
from engage.partnerships.policy import has_role


def _real_user(user: Any) -> User | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user if isinstance(user, User) and user.is_active else None


def can_view_job(user: Any, job: Job) -> bool:
    real = _real_user(user)
    if real is None:
        return False
    if job.owner_id is not None and job.owner_id == real.id:
        return True
    if job.partnership_id is None:
        return real.is_platform_admin
    partnership = db.session.get(Partnership, job.partnership_id)
    return partnership is not None and has_role(real, partnership, Role.ADMIN, Role.COORDINATOR)


def can_retry_job(user: Any, job: Job) -> bool:
    """Those who may see it may start a failed job again, when its failure was not its input's."""
    from engage.jobs.labels import RETRYABLE_CODES
    from engage.jobs.models import JobStatus

    return (
        job.status == JobStatus.FAILED
        and job.error_code in RETRYABLE_CODES
        and can_view_job(user, job)
    )
