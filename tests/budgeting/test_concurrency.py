"""One ballot per voter, even when 20 submissions by one voter arrive at once.

Each thread has its own test client and the database is a file (SQLite WAL, or PostgreSQL
with DATABASE_URL), so the requests race in separate connections and transactions.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from engage.budgeting.models import BudgetBallot
from engage.extensions import db
from tests.conftest import sign_in
from tests.factories import make_budgeting_process, make_partnership, make_voter

THREADS = 20


def test_twenty_concurrent_submissions_by_one_voter_store_exactly_one_ballot(app: Flask) -> None:
    assert not app.config["SQLALCHEMY_DATABASE_URI"].endswith(":memory:")
    partnership = make_partnership("race")
    process = make_budgeting_process(partnership)
    make_voter(partnership, "racer@example.org")
    db.session.commit()
    url = f"/budgeting/{process.id}/vote/confirm"
    clients = []
    for _ in range(THREADS):
        client = app.test_client()
        sign_in(client, "racer@example.org")
        clients.append(client)
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def vote(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            sent = clients[index].post(
                url,
                data={"projects": ["A"] if index % 2 else ["B"], "age_confirmed": "yes"})
            with lock:
                statuses.append(sent.status_code)
        except BaseException as error:  # reported below
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert all(status == 302 for status in statuses) and len(statuses) == THREADS
    db.session.expire_all()
    stored: Any = db.session.query(BudgetBallot).filter_by(process_id=process.id).all()
    assert len(stored) == 1
