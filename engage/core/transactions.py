"""When a transaction should take SQLite's write lock up front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

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


def end_read_only_transaction(session: Any) -> None:
    """End a transaction that has only read, before deliberately slow work (password hashing).

    Non-GET requests take SQLite's write lock with their first statement (BEGIN IMMEDIATE), so
    a sign-in would otherwise hold every other writer off for the whole argon2 check. The next
    statement opens a fresh transaction. Refuses if anything is waiting to be written.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_only_transaction: the session has unsaved changes")
    session.rollback()
