"""Voting pages end to end, the htmx running total, and results hidden until close."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engage.accounts.models import Role
from engage.budgeting import operations
from engage.budgeting.models import BudgetBallot
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.factories import make_budgeting_process, make_member, make_partnership, make_voter


@pytest.fixture
def process(app: Any) -> Any:
    partnership = make_partnership("pbv")
    found = make_budgeting_process(partnership)
    make_voter(partnership, "voter@example.org")
    make_member(partnership, Role.ADMIN, "admin@example.org")
    db.session.commit()
    return found


def test_a_resident_reviews_confirms_and_sees_a_receipt(client: Any, process: Any) -> None:
    sign_in(client, "voter@example.org")
    assert "Benches" in client.get(f"/budgeting/{process.id}/vote").get_data(as_text=True)
    review = client.post(f"/budgeting/{process.id}/vote",
                         data={"projects": ["A", "B"], "age_confirmed": "yes"})
    assert "Check your vote" in review.get_data(as_text=True)
    assert db.session.query(BudgetBallot).count() == 0
    sent = client.post(f"/budgeting/{process.id}/vote/confirm",
                       data={"projects": ["A", "B"], "age_confirmed": "yes"})
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    ballot = db.session.query(BudgetBallot).one()
    assert ballot.receipt_code in page


def test_without_javascript_an_over_budget_ballot_is_explained_and_not_stored(
    client: Any, process: Any
) -> None:
    sign_in(client, "voter@example.org")
    page = client.post(f"/budgeting/{process.id}/vote",
                       data={"projects": ["A", "C"], "age_confirmed": "yes"})
    assert page.status_code == 400
    assert "cost more than the budget" in page.get_data(as_text=True)
    forged = client.post(f"/budgeting/{process.id}/vote/confirm",
                         data={"projects": ["A", "C"], "age_confirmed": "yes"})
    assert forged.status_code == 302
    assert db.session.query(BudgetBallot).count() == 0


def test_htmx_gets_the_running_total_partial(client: Any, process: Any) -> None:
    sign_in(client, "voter@example.org")
    response = client.post(f"/budgeting/{process.id}/vote", data={"projects": ["A"]},
                           headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert "<html" not in text and "£400.00" in text and "£600.00" in text
    assert "HX-Request" in response.headers["Vary"]


def test_nobody_sees_results_before_close_not_even_an_admin(client: Any, process: Any) -> None:
    sign_in(client, "admin@example.org")
    page = client.get(f"/budgeting/{process.id}/results").get_data(as_text=True)
    assert "No results yet" in page and "Supporters" not in page
    assert client.get(f"/budgeting/{process.id}/results.csv").status_code == 302
    assert client.get(f"/budgeting/{process.id}/ballots.pb").status_code == 302
    assert client.post(f"/budgeting/{process.id}/tally").status_code == 302
    assert operations.latest_result(process) is None


def test_after_close_the_count_job_publishes_results_with_csv_and_pb(
    app: Any, client: Any, process: Any
) -> None:
    voter = db.session.query(type(process.partnership.memberships[0].user)).filter_by(
        email="voter@example.org").one()
    with app.test_request_context():
        operations.cast_online(process, voter, ["A", "B"], None, True)
    process.voting_close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    sign_in(client, "admin@example.org")
    assert client.post(f"/budgeting/{process.id}/tally").status_code == 302
    page = client.get(f"/budgeting/{process.id}/results").get_data(as_text=True)
    assert "Funded projects" in page and "Benches" in page
    csv = client.get(f"/budgeting/{process.id}/results.csv").get_data(as_text=True)
    assert "Benches" in csv
    pb = client.get(f"/budgeting/{process.id}/ballots.pb").get_data(as_text=True)
    assert "vote_type;approval" in pb and "voter@example.org" not in pb
