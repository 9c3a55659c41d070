"""Translated labels for job statuses and failure codes (codes are stored)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from engage.jobs.models import JobStatus

STATUS_LABELS = {
    JobStatus.QUEUED: _l("Waiting to start"),
    JobStatus.RUNNING: _l("In progress"),
    JobStatus.SUCCEEDED: _l("Finished"),
    JobStatus.FAILED: _l("Failed"),
}

STATUS_TAG_CLASSES = {
    JobStatus.QUEUED: "govuk-tag--grey",
    JobStatus.RUNNING: "govuk-tag--blue",
    JobStatus.SUCCEEDED: "govuk-tag--green",
    JobStatus.FAILED: "govuk-tag--red",
}

ERROR_LABELS = {
    "internal": _l("Something went wrong on our side. Nothing was half-saved. You can try again."),
    "interrupted": _l(
        "The task was interrupted before it finished. Nothing was half-saved. You can try again."
    ),
    "timed_out": _l("The task took too long and was stopped. Nothing was half-saved."),
    "unknown_job": _l("This kind of task is no longer available."),
    "import_failed": _l("The file has problems, so nothing was imported."),
}

DEFAULT_TITLE = _l("Background task")

# Failures worth trying again as they are; a bad file or a broken rule fails the same way again.
RETRYABLE_CODES = frozenset({"internal", "interrupted", "timed_out"})


def error_text(code: str | None, message: str | None) -> str:
    """The handler's own user-safe message if it gave one, else the label for the code."""
    if message:
        return message
    return str(ERROR_LABELS.get(code or "internal", ERROR_LABELS["internal"]))


def message_label(messages: Mapping[str, Any], code: str | None) -> str | None:
    if code is None:
        return None
    label = messages.get(code)
    return str(label) if label is not None else None
