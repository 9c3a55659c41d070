"""What a job handler is given: who asked, for which partnership, and a way to report progress."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from engage.jobs.progress import ProgressStore


class JobFailed(Exception):
    """Raised by a handler to fail its job with a code and a message safe to show the user.

    ``details`` (JSON-able) is kept as the job's result, e.g. row-numbered import errors.
    """

    def __init__(
        self, code: str, message: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.details = details


@dataclass
class JobContext:
    job_id: int
    name: str
    owner_id: int | None
    partnership_id: int | None
    attempt: int
    payload: dict[str, Any]
    store: ProgressStore = field(repr=False)
    token: str = field(repr=False)
    # Writes are throttled to one per interval, except the first, the last and a new message.
    min_interval: float = 0.25
    done: int = 0
    total: int | None = None
    message: str | None = None
    _last_write: float = field(default=0.0, repr=False)

    def progress(self, done: int, total: int | None = None, *, message: str | None = None) -> None:
        """Report progress (`done` of `total`, and optionally a stage code for the status page).

        Each write is its own short transaction, separate from the handler's work, so the
        status page sees it at once; nothing the handler has written becomes visible.
        """
        if total is None:
            total = self.total
        changed_message = message is not None and message != self.message
        self.done, self.total = done, total
        if message is not None:
            self.message = message
        now = time.monotonic()
        finished = total is not None and done >= total
        if not (changed_message or finished or now - self._last_write >= self.min_interval):
            return
        self._last_write = now
        self.store.write(self.job_id, self.token, done, total, self.message)
