"""Writing to the audit log. Never write special-category values into details."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from engage.core.models import AuditLog
from engage.extensions import db


def record_audit(
    action: str,
    *,
    actor_id: int | None,
    target: Any = None,
    partnership_id: int | None = None,
    **details: Any,
) -> AuditLog:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditLog(
        action=action,
        actor_id=actor_id,
        partnership_id=partnership_id,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        details=details,
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
