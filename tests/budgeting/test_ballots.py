"""Ballot types: each validates, stores and summarises one kind of ballot."""

from __future__ import annotations

from typing import Any

import pytest

from engage.budgeting.ballot_types import ballot_type
from engage.budgeting.models import BallotKind, BudgetingProcess
from engage.budgeting.rules import VoteType
from engage.core.errors import EngageError

COSTS = {"A": 40_000, "B": 30_000, "C": 70_000}


def _kind(kind: BallotKind, **values: Any):  # type: ignore[no-untyped-def]
    process = BudgetingProcess(ballot_kind=kind, budget_pence=100_000, **values)
    return ballot_type(process, COSTS)


def test_approval_within_budget_accepts_choices_that_fit(app: Any) -> None:
    with app.test_request_context():
        assert _kind(BallotKind.APPROVAL_BUDGET).validate(["A", "B"]) == {
            "projects": ["A", "B"], "points": None}


def test_approval_within_budget_refuses_choices_over_the_budget(app: Any) -> None:
    with app.test_request_context(), pytest.raises(EngageError, match="more than the budget"):
        _kind(BallotKind.APPROVAL_BUDGET).validate(["A", "C"])


def test_a_forged_project_id_is_refused(app: Any) -> None:
    with app.test_request_context(), pytest.raises(EngageError, match="not on this ballot"):
        _kind(BallotKind.APPROVAL_BUDGET).validate(["A", "Z"])


def test_approval_summary_shows_money_used_and_left(app: Any) -> None:
    with app.test_request_context():
        summary = _kind(BallotKind.APPROVAL_BUDGET).summarise(["A", "C"])
    assert (summary.used, summary.left) == (110_000, -10_000)
    assert summary.problem


def test_choose_up_to_k_refuses_too_many_and_too_few(app: Any) -> None:
    kind = _kind(BallotKind.CHOOSE_K, max_choices=2, min_choices=2)
    with app.test_request_context():
        assert kind.validate(["A", "C"])["projects"] == ["A", "C"]
        with pytest.raises(EngageError, match="no more than 2"):
            kind.validate(["A", "B", "C"])
        with pytest.raises(EngageError, match="at least 2"):
            kind.validate(["A"])


def test_rank_top_k_stores_projects_best_first_as_an_ordinal_ballot(app: Any) -> None:
    kind = _kind(BallotKind.RANK_K, max_choices=3)
    with app.test_request_context():
        choices = kind.validate([], {"A": 2, "C": 1})
        assert choices == {"projects": ["C", "A"], "points": None}
        assert kind.vote_type == VoteType.ORDINAL
        assert kind.store(choices).projects == ("C", "A")
        with pytest.raises(EngageError, match="each number once"):
            kind.validate([], {"A": 1, "C": 1})


def test_share_points_refuses_more_points_than_allowed(app: Any) -> None:
    kind = _kind(BallotKind.POINTS, total_points=10)
    with app.test_request_context():
        assert kind.validate([], {"A": 7, "B": 3}) == {"projects": ["A", "B"], "points": [7, 3]}
        assert kind.summarise([], {"A": 7}).left == 3
        with pytest.raises(EngageError, match="more than 10 points"):
            kind.validate([], {"A": 7, "B": 4})
        with pytest.raises(EngageError, match="negative"):
            kind.validate([], {"A": -1, "B": 4})
