"""Where a running job's progress and heartbeat go, each write in its own short transaction.

On PostgreSQL they are written to the job's row through a separate connection, so they are
visible at once while the handler's own transaction stays open. On SQLite a second writer to
the same file would wait on the handler's write lock (or break its snapshot), so they go to a
small side file next to the database instead; the job's row gets the final figures when the
job finishes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import Flask
from sqlalchemy import update
from sqlalchemy.engine import make_url

from engage.core.time import utcnow
from engage.extensions import db
from engage.jobs.models import Job, JobStatus


@dataclass(frozen=True)
class Snapshot:
    done: int
    total: int | None
    message_code: str | None
    heartbeat_at: datetime | None


class ProgressStore(Protocol):
    def write(
        self, job_id: int, token: str, done: int, total: int | None, message: str | None
    ) -> None: ...

    def beat(self, job_id: int, token: str) -> None: ...

    def read(self, job_id: int, token: str | None) -> Snapshot | None: ...


class RowProgress:
    """Progress in the job's row, through its own connection and transaction."""

    def write(
        self, job_id: int, token: str, done: int, total: int | None, message: str | None
    ) -> None:
        self._update(
            job_id,
            token,
            progress_done=done,
            progress_total=total,
            message_code=message,
            heartbeat_at=utcnow(),
        )

    def beat(self, job_id: int, token: str) -> None:
        self._update(job_id, token, heartbeat_at=utcnow())

    def read(self, job_id: int, token: str | None) -> Snapshot | None:
        return None  # the row itself is current

    @staticmethod
    def _update(job_id: int, token: str, **values: object) -> None:
        table = Job.__table__
        with db.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(
                    table.c.id == job_id,
                    table.c.run_token == token,
                    table.c.status == JobStatus.RUNNING.name,
                )
                .values(**values)
            )


class SideFileProgress:
    """Progress in a small SQLite file beside the database (autocommit, WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS job_progress (job_id INTEGER PRIMARY KEY, "
                "run_token TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER, "
                "message_code TEXT, heartbeat REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        return connection

    def write(
        self, job_id: int, token: str, done: int, total: int | None, message: str | None
    ) -> None:
        connection = self._connect()
        try:
            connection.execute(
                "INSERT OR REPLACE INTO job_progress VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, token, done, total, message, time.time()),
            )
        finally:
            connection.close()

    def beat(self, job_id: int, token: str) -> None:
        connection = self._connect()
        try:
            cursor = connection.execute(
                "UPDATE job_progress SET heartbeat = ? WHERE job_id = ? AND run_token = ?",
                (time.time(), job_id, token),
            )
            if cursor.rowcount == 0:
                connection.execute(
                    "INSERT OR REPLACE INTO job_progress VALUES (?, ?, 0, NULL, NULL, ?)",
                    (job_id, token, time.time()),
                )
        finally:
            connection.close()

    def read(self, job_id: int, token: str | None) -> Snapshot | None:
        if token is None:
            return None
        connection = self._connect()
        try:
            row = connection.execute(
                "SELECT done, total, message_code, heartbeat FROM job_progress "
                "WHERE job_id = ? AND run_token = ?",
                (job_id, token),
            ).fetchone()
        finally:
            connection.close()
        if row is None:
            return None
        return Snapshot(row[0], row[1], row[2], datetime.fromtimestamp(row[3], UTC))


class MemoryProgress:
    """For an in-memory SQLite database: one process, so a dict will do."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, tuple[str, Snapshot]] = {}

    def write(
        self, job_id: int, token: str, done: int, total: int | None, message: str | None
    ) -> None:
        with self._lock:
            self._rows[job_id] = (token, Snapshot(done, total, message, utcnow()))

    def beat(self, job_id: int, token: str) -> None:
        with self._lock:
            old = self._rows.get(job_id)
            if old is not None and old[0] == token:
                snap = old[1]
                self._rows[job_id] = (
                    token,
                    Snapshot(snap.done, snap.total, snap.message_code, utcnow()),
                )
            else:
                self._rows[job_id] = (token, Snapshot(0, None, None, utcnow()))

    def read(self, job_id: int, token: str | None) -> Snapshot | None:
        with self._lock:
            found = self._rows.get(job_id)
        if found is None or found[0] != token:
            return None
        return found[1]


def progress_store(app: Flask) -> ProgressStore:
    """The app's progress store (made once per app)."""
    store: ProgressStore | None = app.extensions.get("engage_jobs_progress")
    if store is not None:
        return store
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        store = RowProgress()
    elif url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        store = SideFileProgress(Path(url.database + "-jobs"))
    else:
        store = MemoryProgress()
    app.extensions["engage_jobs_progress"] = store
    return store
