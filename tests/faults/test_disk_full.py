"""Disk full: SQLite capped with PRAGMA max_page_count (on every connection of a test-only
database), then a write that needs more room. The user gets a plain 503 page saying nothing
was saved — no traceback, no "saved" message — and nothing is half-stored."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text

from engage import create_app
from engage.accounts.models import Role
from engage.audit.models import EngagementActivity
from engage.budgeting.models import BudgetBallot
from engage.core.models import AuditLog
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import IsolatedClient, app_overrides, sign_in
from tests.factories import make_budgeting_process, make_member, make_partnership, make_voter
from tests.faults import worker

FULL_MESSAGE = "run out of storage space"
NOTHING_SAVED = "Nothing you sent was saved"


class Capped:
    """The page limit put on every new connection (None: no limit)."""

    pages: int | None = None


@pytest.fixture
def full_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, Path]]:
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path))
    path = tmp_path / "full.sqlite3"
    app = create_app(app_overrides(f"sqlite:///{path}", str(tmp_path)))
    app.test_client_class = IsolatedClient
    cap = Capped()
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _cap(dbapi_connection: Any, _record: Any) -> None:
            if cap.pages is not None:
                cursor = dbapi_connection.cursor()
                cursor.execute(f"PRAGMA max_page_count = {cap.pages}")
                cursor.close()

        db.create_all()
        app.extensions["faults_cap"] = cap
        yield app, path
        db.session.remove()
        engine.dispose()


def _cap_at_current_size(app: Flask) -> None:
    """From now on the database cannot grow: every new connection gets the limit."""
    db.session.commit()
    with db.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    app.extensions["faults_cap"].pages = pages
    db.session.remove()
    db.engine.dispose()


def _fill_ballots(process_id: int) -> int:
    """Add filler ballots one at a time until the table cannot take one more (ten refusals
    in a row), so the next ballot really needs a page the database cannot have."""
    added, refusals, n = 0, 0, 0
    now = utcnow()
    while refusals < 10:
        n += 1
        try:
            with db.engine.begin() as connection:
                connection.execute(BudgetBallot.__table__.insert(), {
                    "process_id": process_id, "voter_key": f"filler{n}", "channel": "PAPER",
                    "age_confirmed": True, "is_confirmed": True, "receipt_code": f"F{n:08d}",
                    "choices": {"projects": ["A"], "points": None},
                    "cast_at": now, "updated_at": now})
            added += 1
            refusals = 0
        except Exception as error:
            assert "database or disk is full" in str(error)
            refusals += 1
    return added


def _assert_intact(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()


def _assert_plain_503(response: Any) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert FULL_MESSAGE in page and NOTHING_SAVED in page
    assert "Traceback" not in page and "OperationalError" not in page and "sqlite" not in page


def test_an_import_when_the_disk_is_full_shows_a_clear_error_and_stores_nothing(
    full_app: tuple[Flask, Path],
) -> None:
    app, path = full_app
    partnership = make_partnership("full")
    make_member(partnership, Role.COORDINATOR, "coordinator@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    info = {"organisation": partnership.organisations[0].name,
            "theme": partnership.themes[0].name}
    _cap_at_current_size(app)

    # (Under 500 KB: a larger body makes the test client spool it to a file it never closes.)
    response = client.post(
        "/partnerships/full/register/import",
        data={"file": (io.BytesIO(worker.import_file(0, 0, info, rows=2000)), "register.csv")},
        content_type="multipart/form-data")

    _assert_plain_503(response)
    assert "Import finished" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EngagementActivity)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "activities.imported")) == 0
    # The next page after the failure does not claim anything was saved either.
    register = client.get("/partnerships/full/register").get_data(as_text=True)
    assert "Import finished" not in register
    _assert_intact(path)


def test_a_ballot_when_the_disk_is_full_shows_a_clear_error_and_no_receipt(
    full_app: tuple[Flask, Path],
) -> None:
    app, path = full_app
    partnership = make_partnership("fullvote")
    process = make_budgeting_process(partnership)
    filler = make_budgeting_process(
        partnership, title="Filler", voting_open_at=utcnow() - timedelta(days=9),
        voting_close_at=utcnow() - timedelta(days=2))
    make_voter(partnership, "voter@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "voter@example.org")
    process_id, filler_id = process.id, filler.id
    _cap_at_current_size(app)
    assert _fill_ballots(filler_id) > 0

    response = client.post(f"/budgeting/{process_id}/vote/confirm",
                           data={"projects": ["A"], "age_confirmed": "yes"})

    _assert_plain_503(response)
    assert db.session.scalar(select(func.count()).select_from(BudgetBallot).where(
        BudgetBallot.process_id == process_id)) == 0
    receipt = client.get(f"/budgeting/{process_id}/receipt")
    assert receipt.status_code == 302, "no receipt: the ballot was not stored"
    _assert_intact(path)
    # Once there is room again, the same voter can vote.
    app.extensions["faults_cap"].pages = None
    db.session.remove()
    db.engine.dispose()
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM budgeting_ballots WHERE process_id = :p"),
                           {"p": filler_id})
    again = client.post(f"/budgeting/{process_id}/vote/confirm",
                        data={"projects": ["A"], "age_confirmed": "yes"})
    assert again.status_code == 302 and again.location.endswith("/receipt")


def test_storage_full_and_lock_timeouts_are_recognised_on_both_databases() -> None:
    import psycopg.errors
    from sqlalchemy.exc import IntegrityError, OperationalError

    from engage.main.errors import database_unavailable

    def wrapped(original: Exception) -> OperationalError:
        return OperationalError("INSERT ...", {}, original)

    assert database_unavailable(wrapped(sqlite3.OperationalError("database or disk is full"))) \
        == "full"
    assert database_unavailable(wrapped(psycopg.errors.DiskFull("could not extend file"))) \
        == "full"
    assert database_unavailable(wrapped(sqlite3.OperationalError("database is locked"))) == "busy"
    assert database_unavailable(wrapped(psycopg.errors.LockNotAvailable("lock timeout"))) \
        == "busy"
    # SQLite rolled back on SQLITE_FULL, so leaving the savepoint failed: the cause is chained.
    try:
        try:
            raise wrapped(sqlite3.OperationalError("database or disk is full"))
        except OperationalError:
            raise wrapped(sqlite3.OperationalError("no such savepoint: sa_savepoint_1"))  # noqa: B904
    except OperationalError as error:
        assert database_unavailable(error) == "full"
    assert database_unavailable(wrapped(sqlite3.OperationalError("no such savepoint"))) is None
    assert database_unavailable(IntegrityError("INSERT ...", {}, sqlite3.IntegrityError(
        "UNIQUE constraint failed"))) is None
