"""When a transaction should take SQLite's write lock up front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request

_write_intent: ContextVar[bool] = ContextVar("engage_write_intent", default=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def wants_write_lock() -> bool:
    if _write_intent.get():
        return True
    return has_request_context() and request.method not in SAFE_METHODS


@contextmanager
def write_intent() -> Iterator[None]:
    """Mark work outside a request (CLI, jobs) as writing, for SQLite's BEGIN IMMEDIATE."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)
