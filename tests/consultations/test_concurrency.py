"""One response per signed-in resident, even when 20 submissions arrive at once.

Each thread has its own test client (its own session cookie and request context) and the
app's database is a file (SQLite in WAL mode, or PostgreSQL when DATABASE_URL is set), so the
requests really do race each other in separate connections and transactions.
"""

from __future__ import annotations

import threading

from flask import Flask

from engage.consultations.models import Answer, Consultation, Response, ResponseStatus
from engage.extensions import db
from tests.conftest import sign_in
from tests.consultations.conftest import Place, question

THREADS = 20


def test_twenty_concurrent_submits_by_one_resident_store_exactly_one_response(
    app: Flask, consultation: Consultation, place: Place
) -> None:
    assert not app.config["SQLALCHEMY_DATABASE_URI"].endswith(":memory:")
    clients = []
    for _ in range(THREADS):
        client = app.test_client()
        sign_in(client, "resident@example.org")
        clients.append(client)
    single = question(consultation, "single_choice")
    text = question(consultation, "free_text")
    barrier = threading.Barrier(THREADS)
    statuses: list[tuple[int, int]] = []
    locations: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def respond(index: int) -> None:
        client = clients[index]
        try:
            barrier.wait(timeout=30)
            page = client.post(
                f"/consultations/{consultation.id}/respond/1",
                data={
                    single.field_name: "o1" if index % 2 else "o2",
                    text.field_name: f"Answer {index}",
                },
            )
            sent = client.post(f"/consultations/{consultation.id}/respond/check")
            with lock:
                statuses.append((page.status_code, sent.status_code))
                locations.append(sent.headers.get("Location", ""))
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=respond, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(statuses) == THREADS
    assert all(page == 302 and sent == 302 for page, sent in statuses), statuses
    assert all(location.endswith("/receipt") for location in locations), locations

    db.session.commit()  # end the test's own read snapshot
    responses = db.session.scalars(
        db.select(Response).where(
            Response.consultation_id == consultation.id, Response.user_id == place.resident.id
        )
    ).all()
    assert len(responses) == 1
    (response,) = responses
    assert response.status == ResponseStatus.SUBMITTED and response.reference
    answers = db.session.scalars(db.select(Answer).where(Answer.response_id == response.id)).all()
    assert sorted(a.question_id for a in answers) == sorted([single.id, text.id])
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 1
