"""One person, one vote under pressure: codes raced, the close second, closing, recounts, exports.

Races use one test client per thread against a database file (SQLite WAL, or PostgreSQL with
DATABASE_URL), so requests run in separate connections and transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from engage.accounts.models import Role, User
from engage.budgeting import operations
from engage.budgeting.models import BallotChannel, BudgetBallot, BudgetingProcess
from engage.core.errors import EngageError
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.factories import make_budgeting_process, make_member, make_partnership, make_voter


@pytest.fixture
def place(app: Flask) -> Any:
    partnership = make_partnership("pbi")
    process = make_budgeting_process(partnership)
    voter = make_voter(partnership, "voter@example.org")
    first = make_member(partnership, Role.COORDINATOR, "first@example.org")
    second = make_member(partnership, Role.COORDINATOR, "second@example.org")
    db.session.commit()
    return partnership, process, voter, first, second


def _stored(process: BudgetingProcess) -> list[BudgetBallot]:
    db.session.commit()  # end the test's transaction: SQLite readers keep their snapshot
    return db.session.query(BudgetBallot).filter_by(process_id=process.id).all()


def _race(count: int, send: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = send(index)
            with lock:
                results.append(outcome)
        except BaseException as error:  # reported below
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_one_voter_code_typed_at_once_in_ten_browsers_stores_one_ballot(
    app: Flask, place: Any
) -> None:
    _, process, _, first, _ = place
    with app.test_request_context():
        code = operations.generate_voter_codes(process, 1, first)[0].code
    db.session.commit()
    clients = [app.test_client() for _ in range(10)]
    url = f"/budgeting/{process.id}/code/confirm"

    def send(index: int) -> int:
        choice = ["A"] if index % 2 else ["B"]
        return clients[index].post(url, data={"voter_code": code, "projects": choice,
                                              "age_confirmed": "yes"}).status_code

    statuses = _race(10, send)
    assert sorted(statuses) == [200] + [302] * 9  # one receipt; nine sent back, refused
    stored = _stored(process)
    assert len(stored) == 1 and stored[0].channel == BallotChannel.VOTER_CODE


def test_a_voter_code_cannot_overwrite_its_ballot_even_when_changes_are_allowed(
    app: Flask, place: Any
) -> None:
    _, process, _, first, _ = place
    with app.test_request_context():
        code = operations.generate_voter_codes(process, 1, first)[0]
        ballot = operations.cast_with_code(process, code.code, ["A"], None, True)
        # The race the check before casting cannot see: go straight to the constraint.
        with pytest.raises(EngageError, match="already been used"):
            operations.cast_ballot(process, voter_key=f"c{code.id}",
                                   channel=BallotChannel.VOTER_CODE, codes=["B"], points=None,
                                   age_confirmed=True, voter_code=code)
    assert ballot.choices["projects"] == ["A"]


def test_twenty_voters_without_changes_allowed_racing_twice_each_store_one_each(
    app: Flask, place: Any
) -> None:
    partnership, process, _, _, _ = place
    process.allows_changes = False
    emails = [f"racer{i}@example.org" for i in range(10)]
    for email in emails:
        make_voter(partnership, email)
    db.session.commit()
    clients = []
    for index in range(20):
        client = app.test_client()
        sign_in(client, emails[index // 2])
        clients.append(client)
    url = f"/budgeting/{process.id}/vote/confirm"
    statuses = _race(20, lambda i: clients[i].post(
        url, data={"projects": ["A"], "age_confirmed": "yes"}).status_code)
    assert statuses == [302] * 20  # no server errors: the loser is told, not crashed
    stored = _stored(process)
    assert len(stored) == 10 and len({b.voter_key for b in stored}) == 10


def test_a_vote_at_the_closing_second_is_refused(app: Flask, place: Any) -> None:
    _, process, voter, _, _ = place
    with app.test_request_context():
        with pytest.raises(EngageError, match="closed"):
            operations.cast_online(process, voter, ["A"], None, True,
                                   now=process.voting_close_at)
        ballot = operations.cast_online(process, voter, ["A"], None, True,
                                        now=process.voting_close_at - timedelta(seconds=1))
    assert ballot.id and len(_stored(process)) == 1


def test_after_close_the_pages_refuse_votes_and_store_nothing(
    client: Any, place: Any
) -> None:
    _, process, _, _, _ = place
    process.voting_close_at = utcnow()
    db.session.commit()
    sign_in(client, "voter@example.org")
    assert client.post(f"/budgeting/{process.id}/vote",
                       data={"projects": ["A"], "age_confirmed": "yes"}).status_code == 409
    sent = client.post(f"/budgeting/{process.id}/vote/confirm",
                       data={"projects": ["A"], "age_confirmed": "yes"})
    assert sent.status_code == 302
    assert client.get(f"/budgeting/{process.id}/code").status_code == 409
    assert _stored(process) == []


def test_a_coordinator_closes_the_vote_which_cannot_then_be_reopened(
    client: Any, place: Any
) -> None:
    _, process, voter, first, _ = place
    sign_in(client, "first@example.org")
    assert "Close voting now" in client.get(f"/budgeting/{process.id}/manage").get_data(
        as_text=True)
    client.post(f"/budgeting/{process.id}/close")
    db.session.expire_all()
    assert process.is_closed(utcnow())
    with pytest.raises(EngageError, match="cannot change"):
        operations.update_process(process, {"voting_close_at": utcnow() + timedelta(days=1)},
                                  first)
    with pytest.raises(EngageError, match="already closed"):
        operations.close_voting(process, first)
    with pytest.raises(EngageError, match="closed"):
        operations.cast_online(process, voter, ["A"], None, True)


def test_recount_reproduces_the_published_result_and_notices_changed_ballots(
    app: Flask, client: Any, place: Any
) -> None:
    partnership, process, voter, _, _ = place
    with app.test_request_context():
        operations.cast_online(process, voter, ["A", "B"], None, True)
        operations.cast_online(process, make_voter(partnership), ["C"], None, True)
    process.voting_close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    sign_in(client, "first@example.org")
    status = client.post(f"/budgeting/{process.id}/tally", follow_redirects=True)
    assert f'href="/budgeting/{process.id}/results"' in status.get_data(as_text=True)
    page = client.post(f"/budgeting/{process.id}/recount", follow_redirects=True)
    assert "reproduces the published result" in page.get_data(as_text=True)
    db.session.add(BudgetBallot(process_id=process.id, voter_key="late", channel="paper",
                                choices={"projects": ["A"], "points": None},
                                receipt_code="LATE1", is_confirmed=True))
    db.session.commit()
    page = client.post(f"/budgeting/{process.id}/recount", follow_redirects=True)
    assert "does not match" in page.get_data(as_text=True)


def test_the_results_csv_cannot_smuggle_a_formula(app: Flask, client: Any, place: Any) -> None:
    _, process, voter, _, _ = place
    process.projects[0].title = "=HYPERLINK(\"http://evil.example\",\"x\")"
    with app.test_request_context():
        operations.cast_online(process, voter, ["A"], None, True)
    process.voting_close_at = utcnow() - timedelta(seconds=1)
    with app.test_request_context():
        operations.tally_process(process)
    db.session.commit()
    text = client.get(f"/budgeting/{process.id}/results.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_without_javascript_a_resident_votes_with_a_letter_code_once(
    app: Flask, client: Any, place: Any
) -> None:
    _, process, _, first, _ = place
    with app.test_request_context():
        code = operations.generate_voter_codes(process, 1, first)[0].code
    db.session.commit()
    url = f"/budgeting/{process.id}/code"
    wrong = client.post(url, data={"voter_code": "NOTACODE", "projects": ["A"],
                                   "age_confirmed": "yes"})
    assert wrong.status_code == 400 and "Enter a valid voter code" in wrong.get_data(as_text=True)
    over = client.post(url, data={"voter_code": code, "projects": ["A", "C"],
                                  "age_confirmed": "yes"})
    assert over.status_code == 400 and "cost more than the budget" in over.get_data(as_text=True)
    spaced = f"{code[:4]} {code[4:8]}-{code[8:]}".lower()
    review = client.post(url, data={"voter_code": spaced, "projects": ["A", "B"],
                                    "age_confirmed": "yes"})
    assert "Check your vote" in review.get_data(as_text=True)
    assert _stored(process) == []
    receipt = client.post(f"{url}/confirm", data={"voter_code": spaced, "projects": ["A", "B"],
                                                  "age_confirmed": "yes"})
    ballot = _stored(process)[0]
    assert receipt.status_code == 200 and ballot.receipt_code in receipt.get_data(as_text=True)
    again = client.post(url, data={"voter_code": code, "projects": ["B"],
                                   "age_confirmed": "yes"})
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)


def test_a_second_officer_confirms_paper_ballots_from_the_paper_page(
    client: Any, place: Any
) -> None:
    _, process, _, _, _ = place
    sign_in(client, "first@example.org")
    saved = client.post(f"/budgeting/{process.id}/paper",
                        data={"name": "Ann Jones", "postcode": "S3 8AA", "projects": ["B"],
                              "age_confirmed": "yes"}, follow_redirects=True)
    text = saved.get_data(as_text=True)
    assert "Keyed by you" in text and "Bulbs" in text
    ballot = _stored(process)[0]
    client.post(f"/budgeting/{process.id}/paper/{ballot.id}/confirm")
    assert not _stored(process)[0].is_confirmed
    other = client.application.test_client()
    sign_in(other, "second@example.org")
    page = other.get(f"/budgeting/{process.id}/paper").get_data(as_text=True)
    assert ballot.receipt_code in page and "Keyed by you" not in page
    other.post(f"/budgeting/{process.id}/paper/{ballot.id}/confirm")
    assert _stored(process)[0].is_confirmed
    # The same person on paper again, spelt differently, is refused.
    again = other.post(f"/budgeting/{process.id}/paper",
                       data={"name": "ann  jones", "postcode": "s38aa", "projects": ["A"],
                             "age_confirmed": "yes"})
    assert again.status_code == 400 and "already been recorded" in again.get_data(as_text=True)
    assert len(_stored(process)) == 1


def test_paper_for_a_registered_voter_who_voted_online_is_refused(
    app: Flask, place: Any
) -> None:
    _, process, voter, first, _ = place
    with app.test_request_context():
        operations.cast_online(process, voter, ["A"], None, True)
        with pytest.raises(EngageError, match="already been recorded"):
            operations.key_paper_ballot(process, first, codes=["B"], points=None,
                                        age_confirmed=True, voter=voter)
        outsider: User = make_voter(make_partnership("pbo"))
        assert operations.eligibility_problem(process, outsider)


def test_home_pages_lead_residents_to_the_vote_and_coordinators_to_their_processes(
    client: Any, place: Any
) -> None:
    _, process, _, _, _ = place
    sign_in(client, "voter@example.org")
    assert f'href="/budgeting/{process.id}"' in client.get("/").get_data(as_text=True)
    coordinator = client.application.test_client()
    sign_in(coordinator, "first@example.org")
    home = coordinator.get("/").get_data(as_text=True)
    assert "/partnerships/pbi/budgeting" in home
    listed = coordinator.get("/partnerships/pbi/budgeting").get_data(as_text=True)
    assert f'href="/budgeting/{process.id}/manage"' in listed


def test_funded_projects_get_public_delivery_updates_others_do_not(
    app: Flask, client: Any, place: Any
) -> None:
    _, process, voter, _, _ = place
    with app.test_request_context():
        operations.cast_online(process, voter, ["A"], None, True)
    process.voting_close_at = utcnow() - timedelta(seconds=1)
    with app.test_request_context():
        operations.tally_process(process)
    db.session.commit()
    funded, unfunded = process.projects[0], process.projects[2]
    sign_in(client, "first@example.org")
    client.post(f"/budgeting/{process.id}/projects/{funded.id}/updates",
                data={"text": "Benches ordered.", "text_cy": "Meinciau wedi eu harchebu."})
    refused = client.post(f"/budgeting/{process.id}/projects/{unfunded.id}/updates",
                          data={"text": "Nope."}, follow_redirects=True)
    assert "Only funded projects have delivery updates" in refused.get_data(as_text=True)
    public = app.test_client().get(f"/budgeting/{process.id}/results").get_data(as_text=True)
    assert "Benches ordered." in public and "Nope." not in public
    assert "Post a delivery update" not in public


def test_the_ward_page_shows_the_wards_votes_with_small_counts_hidden(
    app: Flask, client: Any, place: Any
) -> None:
    partnership, process, _, _, _ = place
    threshold = int(app.config["ENGAGE_DISCLOSURE_THRESHOLD"])
    ward = partnership.areas[0].wards()[0]
    for index in range(threshold):
        db.session.add(BudgetBallot(
            process_id=process.id, voter_key=f"w{index}", channel="online", ward_id=ward.id,
            choices={"projects": ["A"] if index else ["A", "B"], "points": None},
            receipt_code=f"W{index}"))
    url = f"/partnerships/pbi/wards/{ward.gss_code}"
    sign_in(client, "first@example.org")
    db.session.commit()
    assert "Participatory budgeting votes" not in client.get(url).get_data(as_text=True)
    process.voting_close_at = utcnow() - timedelta(seconds=1)
    with app.test_request_context():
        operations.tally_process(process)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Participatory budgeting votes from this ward" in page
    assert f"{threshold} ballots from this ward" in page
    assert page.count("Fewer than the threshold (hidden)") == 2  # Bulbs (1) and Play area (0)
