"""Fifty people writing at the same moment: no "database is locked" reaches anyone.

Each thread is one person with their own test client (their own app context, session and
database connection) on the suite's database file (SQLite in WAL mode with the busy timeout and
BEGIN IMMEDIATE of engage/app.py; or PostgreSQL with DATABASE_URL). All fifty sign in, vote
and then change their vote at once (a barrier before each step): 150 writes, every one must
succeed and be stored.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.budgeting.models import BudgetBallot
from engage.core.models import AuditLog
from engage.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.factories import make_budgeting_process, make_partnership, make_voter

WRITERS = 50
FIRST = (["A"], ["B"], ["C"])
SECOND = (["A", "B"], ["B"], ["A"])


def test_fifty_concurrent_writers_all_succeed_and_every_write_is_stored(app: Flask) -> None:
    assert not app.config["SQLALCHEMY_DATABASE_URI"].endswith(":memory:")
    partnership = make_partnership("crowd")
    process = make_budgeting_process(partnership)
    emails = [f"writer{n}@example.org" for n in range(WRITERS)]
    for email in emails:
        make_voter(partnership, email)
    db.session.commit()
    url = f"/budgeting/{process.id}/vote/confirm"
    clients = [app.test_client() for _ in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    outcomes: dict[str, list[tuple[int, str]]] = {}
    problems: list[str] = []
    lock = threading.Lock()

    def person(n: int) -> None:
        client, steps = clients[n], []
        try:
            for step in ("sign_in", "vote", "change"):
                barrier.wait(timeout=120)
                if step == "sign_in":
                    reply = client.post("/account/sign-in", data={
                        "email": emails[n], "password": TEST_PASSWORD})
                else:
                    choice = (FIRST if step == "vote" else SECOND)[n % 3]
                    reply = client.post(url, data={"projects": choice, "age_confirmed": "yes"})
                steps.append((reply.status_code, reply.location or ""))
                body = reply.get_data(as_text=True)
                if "locked" in body.lower() or reply.status_code >= 500:
                    with lock:
                        problems.append(f"{emails[n]} {step}: {reply.status_code}")
        except BaseException as error:
            with lock:
                problems.append(f"{emails[n]}: {error!r}")
        with lock:
            outcomes[emails[n]] = steps

    threads = [threading.Thread(target=person, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert problems == []
    assert len(outcomes) == WRITERS
    for email, steps in outcomes.items():
        assert [status for status, _ in steps] == [302, 302, 302], (email, steps)
        assert all(location.endswith("/receipt") for _, location in steps[1:]), (email, steps)
    db.session.rollback()  # end the test's read snapshot, taken before the writes
    stored: Any = dict(db.session.execute(
        select(User.email, BudgetBallot.choices).join(User, User.id == BudgetBallot.user_id)
        .where(BudgetBallot.process_id == process.id)).all())
    assert len(stored) == WRITERS
    for n, email in enumerate(emails):
        assert stored[email]["projects"] == SECOND[n % 3], email
    signed_in = db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "account.signed_in"))
    assert signed_in == WRITERS
