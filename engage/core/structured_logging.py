"""Structured (JSON) logs: one object per line, with the request id or job id it belongs to.

On when `ENGAGE_LOG_FORMAT=json` (the default outside development). gunicorn's access log
uses the same shape through engage.core.gunicorn_logger.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request

# Set by the job runner while a job's handler runs, so its log lines carry the job id.
current_job_id: ContextVar[int | None] = ContextVar("engage_current_job_id", default=None)

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON; exceptions as a "exc" string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if has_request_context():
            entry.setdefault("request_id", g.get("request_id"))
            entry.setdefault("method", request.method)
            entry.setdefault("path", request.path)
        job_id = current_job_id.get()
        if job_id is not None:
            entry.setdefault("job_id", job_id)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the app's and the libraries' loggers (once per process)."""
    if app.config.get("ENGAGE_LOG_FORMAT") != "json" or app.testing:
        return
    root = logging.getLogger()
    level = os.environ.get("ENGAGE_LOG_LEVEL", "INFO").upper()
    root.setLevel(level)
    if not any(getattr(h, "_engage_json", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._engage_json = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Flask's own handler would print the same lines again, in plain text.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
