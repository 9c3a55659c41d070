"""Background jobs: one row per long piece of work, the single source of truth for its state."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engage.core.time import utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})

# Idempotency: at most one job per (name, key) that has not failed.
_ACTIVE_KEY = text("status != 'FAILED' AND key IS NOT NULL")


class Job(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_active_key",
            "name",
            "key",
            unique=True,
            sqlite_where=_ACTIVE_KEY,
            postgresql_where=_ACTIVE_KEY,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20), default=JobStatus.QUEUED, index=True
    )
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    # A code the handler chose for its current stage; the status page translates it.
    message_code: Mapped[str | None] = mapped_column(String(80))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(80))
    # Text safe to show the user (never an exception's text or a traceback).
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # Fencing token of the attempt now running: only that attempt may record the outcome.
    run_token: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        """Progress as a whole percentage, when the handler said how much there is."""
        if not self.progress_total:
            return None
        return max(0, min(100, (100 * self.progress_done) // self.progress_total))

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name} {self.status}>"
