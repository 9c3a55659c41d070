"""Coordinators create a process and change its settings; the rules lock with the first ballot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engage.accounts.models import Role
from engage.budgeting import operations
from engage.budgeting.models import BallotKind, BudgetingProcess
from engage.core.time import LONDON, utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.factories import make_budgeting_process, make_member, make_partnership, make_voter


@pytest.fixture
def coordinator(app: Any, client: Any) -> Any:
    partnership = make_partnership("pbs")
    make_member(partnership, Role.COORDINATOR, "coordinator@example.org")
    db.session.commit()
    sign_in(client, "coordinator@example.org")
    return partnership


def _day(day: Any) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def _form(partnership: Any, **changes: Any) -> dict[str, Any]:
    start = (utcnow() + timedelta(days=2)).astimezone(LONDON).date()
    end = start + timedelta(days=14)
    data = {
        "title": "Play streets", "description": "£5,000 for play.",
        "area_id": str(partnership.areas[0].id), "budget": "5000",
        "voting_open_on": _day(start), "voting_open_time": "09:00",
        "voting_close_on": _day(end),
        "ballot_kind": "approval_budget", "rule": "mes-cost-completed", "minimum_age": "16",
        "allows_changes": "y",
    }
    data.update(changes)
    return data


def test_a_coordinator_creates_a_process_from_the_form(client: Any, coordinator: Any) -> None:
    page = client.get("/partnerships/pbs/budgeting/new")
    assert page.status_code == 200 and "Counting rule" in page.get_data(as_text=True)
    sent = client.post("/partnerships/pbs/budgeting/new", data=_form(coordinator))
    assert sent.status_code == 302
    process = db.session.query(BudgetingProcess).one()
    assert process.budget_pence == 500_000 and process.rule == "mes-cost-completed"
    assert process.voting_open_at.astimezone(LONDON).strftime("%H:%M") == "09:00"
    assert process.voting_close_at.astimezone(LONDON).strftime("%H:%M") == "23:59"
    assert client.get(f"/budgeting/{process.id}/settings").status_code == 200


@pytest.mark.parametrize(("changes", "message"), [
    ({"ballot_kind": "choose_k"}, "Enter the most projects a voter may choose or rank"),
    ({"ballot_kind": "points"}, "Enter the points each voter shares out"),
    ({"rule": "greedy-score"}, "This counting rule needs a ballot with points or rankings"),
    ({"voting_close_on": ["1", "1", "2000"]}, "Voting must close after it opens"),
    ({"budget": "0"}, "Enter a budget of £1 or more"),
])
def test_unworkable_settings_are_refused_with_a_message(
    client: Any, coordinator: Any, changes: dict[str, str], message: str
) -> None:
    page = client.post("/partnerships/pbs/budgeting/new", data=_form(coordinator, **changes))
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    assert db.session.query(BudgetingProcess).count() == 0


def test_after_the_first_ballot_the_settings_page_refuses_a_new_rule(
    app: Any, client: Any, coordinator: Any
) -> None:
    process = make_budgeting_process(coordinator)
    voter = make_voter(coordinator)
    with app.test_request_context():
        operations.cast_online(process, voter, ["A"], None, True)
    db.session.commit()
    open_day = process.voting_open_at.astimezone(LONDON)
    close_day = process.voting_close_at.astimezone(LONDON)
    data = _form(coordinator, budget="1000", rule="mes-cost", title="Pocket parks",
                 voting_open_on=_day(open_day), voting_open_time=open_day.strftime("%H:%M"),
                 voting_close_on=_day(close_day), voting_close_time=close_day.strftime("%H:%M"))
    page = client.post(f"/budgeting/{process.id}/settings", data=data)
    assert page.status_code == 400
    assert "the rules and ballot settings cannot change" in page.get_data(as_text=True)
    db.session.commit()
    db.session.refresh(process)
    assert process.rule == "greedy-cost" and process.ballot_kind == BallotKind.APPROVAL_BUDGET


def test_a_closed_process_can_be_renamed_without_touching_its_dates(
    app: Any, client: Any, coordinator: Any
) -> None:
    process = make_budgeting_process(coordinator)
    db.session.commit()
    client.post(f"/budgeting/{process.id}/close")
    page = client.get(f"/budgeting/{process.id}/settings")
    assert page.status_code == 200
    form = {"title": "Renamed", "area_id": str(process.area_id), "budget": "1000",
            "ballot_kind": "approval_budget", "rule": "greedy-cost", "minimum_age": "16",
            "allows_changes": "y"}
    db.session.commit()
    db.session.refresh(process)
    for name in ("voting_open", "voting_close"):
        local = getattr(process, f"{name}_at").astimezone(LONDON)
        form[f"{name}_on"] = _day(local)
        form[f"{name}_time"] = local.strftime("%H:%M")
    assert client.post(f"/budgeting/{process.id}/settings", data=form).status_code == 302
    moved = dict(form, voting_close_on=_day(utcnow() + timedelta(days=3)))
    page = client.post(f"/budgeting/{process.id}/settings", data=moved)
    assert "the voting dates cannot change" in page.get_data(as_text=True)
