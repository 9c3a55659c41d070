"""Casting, paper ballots, locking, counting, recounting and .pb round trips."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engage.accounts.models import Role
from engage.budgeting import operations
from engage.budgeting.models import BallotChannel, BudgetBallot, BudgetingProcess
from engage.core.errors import EngageError
from engage.core.time import utcnow
from engage.extensions import db
from tests.factories import make_budgeting_process, make_member, make_partnership, make_voter


@pytest.fixture
def place(app: Any) -> Any:
    with app.test_request_context():
        partnership = make_partnership("pb")
        process = make_budgeting_process(partnership)
        voter = make_voter(partnership, "voter@example.org")
        yield partnership, process, voter


def _count() -> int:
    return db.session.query(BudgetBallot).count()


def test_an_eligible_resident_casts_one_ballot_and_gets_a_receipt(place: Any) -> None:
    _, process, voter = place
    ballot = operations.cast_online(process, voter, ["A", "B"], None, True)
    assert ballot.receipt_code and ballot.channel == BallotChannel.ONLINE
    assert ballot.age_confirmed and _count() == 1


def test_a_second_ballot_replaces_the_first_when_changes_are_allowed(place: Any) -> None:
    _, process, voter = place
    operations.cast_online(process, voter, ["A"], None, True)
    operations.cast_online(process, voter, ["C"], None, True)
    assert _count() == 1
    assert operations.ballot_for_user(process, voter).choices["projects"] == ["C"]


def test_a_second_ballot_is_refused_when_changes_are_not_allowed(place: Any) -> None:
    _, process, voter = place
    process.allows_changes = False
    operations.cast_online(process, voter, ["A"], None, True)
    with pytest.raises(EngageError, match="already been recorded"):
        operations.cast_online(process, voter, ["C"], None, True)


def test_over_budget_and_forged_ballots_store_nothing(place: Any) -> None:
    _, process, voter = place
    with pytest.raises(EngageError, match="more than the budget"):
        operations.cast_online(process, voter, ["A", "C"], None, True)
    with pytest.raises(EngageError, match="not on this ballot"):
        operations.cast_online(process, voter, ["999"], None, True)
    assert _count() == 0


def test_a_vote_one_second_after_close_is_refused(place: Any) -> None:
    _, process, voter = place
    with pytest.raises(EngageError, match="closed"):
        operations.cast_online(process, voter, ["A"], None, True,
                               now=process.voting_close_at + timedelta(seconds=1))
    assert _count() == 0


def test_age_must_be_confirmed(place: Any) -> None:
    _, process, voter = place
    with pytest.raises(EngageError, match="16 or over"):
        operations.cast_online(process, voter, ["A"], None, False)


def test_unconfirmed_email_and_non_residents_cannot_vote(place: Any) -> None:
    _, process, voter = place
    voter.email_confirmed_at = None
    with pytest.raises(EngageError, match="Confirm your email"):
        operations.cast_online(process, voter, ["A"], None, True)
    outsider = make_voter(make_partnership("elsewhere"))
    with pytest.raises(EngageError, match="Only residents"):
        operations.cast_online(process, outsider, ["A"], None, True)


def test_rules_and_ballot_settings_lock_once_the_first_ballot_is_cast(place: Any) -> None:
    partnership, process, voter = place
    coordinator = make_member(partnership, Role.COORDINATOR)
    operations.update_process(process, {"rule": "mes-cost"}, coordinator)
    operations.cast_online(process, voter, ["A"], None, True)
    with pytest.raises(EngageError, match="cannot change"):
        operations.update_process(process, {"rule": "greedy-cost"}, coordinator)
    operations.update_process(process, {"title": "Renamed"}, coordinator)


def test_paper_ballots_need_a_second_officer_to_confirm(place: Any) -> None:
    partnership, process, _ = place
    first = make_member(partnership, Role.COORDINATOR)
    second = make_member(partnership, Role.COORDINATOR)
    ballot = operations.key_paper_ballot(process, first, codes=["B"], points=None,
                                         age_confirmed=True, name="Ann Jones",
                                         postcode="s3 8aa")
    assert not ballot.is_confirmed
    with pytest.raises(EngageError, match="different officer"):
        operations.confirm_paper_ballot(ballot, first)
    operations.confirm_paper_ballot(ballot, second)
    assert ballot.is_confirmed and ballot.confirmed_by_id == second.id
    with pytest.raises(EngageError, match="already been recorded"):
        operations.key_paper_ballot(process, second, codes=["A"], points=None,
                                    age_confirmed=True, name="ann  jones", postcode="S38AA")


def test_a_paper_voter_key_needs_the_secret_and_differs_between_processes(
    app: Any, place: Any
) -> None:
    import hashlib

    partnership, process, _ = place
    officer = make_member(partnership, Role.COORDINATOR)
    ballot = operations.key_paper_ballot(process, officer, codes=["B"], points=None,
                                         age_confirmed=True, name="Ann Jones", postcode="S3 8AA")
    unsalted = hashlib.sha256(b"ann jones|S38AA").hexdigest()
    assert unsalted[:40] not in ballot.voter_key  # a name and postcode alone cannot confirm it
    other = make_budgeting_process(partnership)
    assert operations.paper_voter_key(other, "Ann Jones", "S3 8AA") != ballot.voter_key
    app.config["ENGAGE_VOTER_KEY_SECRET"] = "another deployment"
    assert operations.paper_voter_key(process, "Ann Jones", "S3 8AA") != ballot.voter_key


def test_a_paper_ballot_keyed_before_the_secret_still_blocks_a_second_paper(place: Any) -> None:
    import hashlib

    partnership, process, _ = place
    officer = make_member(partnership, Role.COORDINATOR)
    legacy = "p" + hashlib.sha256(b"ann jones|S38AA").hexdigest()[:40]
    operations.cast_ballot(process, voter_key=legacy, channel=BallotChannel.PAPER, codes=["A"],
                           points=None, age_confirmed=True, keyed_by=officer)
    with pytest.raises(EngageError, match="already been recorded"):
        operations.key_paper_ballot(process, officer, codes=["B"], points=None,
                                    age_confirmed=True, name="Ann  Jones", postcode="s3 8aa")
    assert _count() == 1


def test_a_voter_who_voted_online_cannot_also_be_keyed_on_paper(place: Any) -> None:
    partnership, process, voter = place
    officer = make_member(partnership, Role.COORDINATOR)
    operations.cast_online(process, voter, ["A"], None, True)
    with pytest.raises(EngageError, match="already been recorded"):
        operations.key_paper_ballot(process, officer, codes=["B"], points=None,
                                    age_confirmed=True, voter=voter)
    assert _count() == 1


def test_voter_codes_are_single_use(place: Any) -> None:
    partnership, process, _ = place
    coordinator = make_member(partnership, Role.COORDINATOR)
    codes = operations.generate_voter_codes(process, 3, coordinator)
    assert len({c.code for c in codes}) == 3
    operations.cast_with_code(process, codes[0].code.lower(), ["A"], None, True)
    with pytest.raises(EngageError, match="already been used"):
        operations.cast_with_code(process, codes[0].code, ["B"], None, True)
    with pytest.raises(EngageError, match="valid voter code"):
        operations.cast_with_code(process, "NOPE", ["B"], None, True)


def _close(process: BudgetingProcess) -> None:
    process.voting_close_at = utcnow() - timedelta(seconds=1)


def test_counting_is_refused_before_close_and_recount_reproduces_the_result(place: Any) -> None:
    partnership, process, voter = place
    operations.cast_online(process, voter, ["A", "B"], None, True)
    for index in range(3):
        operations.cast_online(process, make_voter(partnership), ["C"] if index else ["B"],
                               None, True)
    with pytest.raises(EngageError, match="not closed"):
        operations.tally_process(process)
    _close(process)
    result = operations.tally_process(process)
    assert result.selected == ["B", "C"]  # C: 2 votes, B: 2 votes, A (1) no longer fits
    assert result.explanations["A"]["code"] == "over_budget_remaining"
    assert result.total_cost_pence == 100_000
    assert operations.recount(process, result)
    db.session.add(BudgetBallot(process_id=process.id, voter_key="late", channel="paper",
                                choices={"projects": ["A"], "points": None},
                                receipt_code="LATE", is_confirmed=True))
    db.session.flush()
    assert not operations.recount(process, result)


def test_mes_result_records_what_supporters_paid(place: Any) -> None:
    partnership, process, voter = place
    process.rule = "mes-cost"
    operations.cast_online(process, voter, ["A", "B"], None, True)
    operations.cast_online(process, make_voter(partnership), ["A"], None, True)
    _close(process)
    result = operations.tally_process(process)
    assert "A" in result.selected
    mes = result.explanations["A"]["mes"]
    assert mes["payers"] == 2
    assert mes["max_paid"] == mes["min_paid"] == mes["share"] == "20000"  # pence each


def test_pb_export_and_import_round_trip_the_anonymised_ballots(place: Any) -> None:
    partnership, process, voter = place
    coordinator = make_member(partnership, Role.COORDINATOR)
    operations.cast_online(process, voter, ["A", "B"], None, True)
    operations.cast_online(process, make_voter(partnership), ["C"], None, True)
    text = operations.export_pb(process)
    assert "voter@example.org" not in text
    copy = make_budgeting_process(partnership, title="Copy")
    for project in list(copy.projects):
        db.session.delete(project)
    db.session.flush()
    db.session.refresh(copy)
    assert operations.import_pb(copy, text, coordinator) == 2
    _, profile = operations.engine_inputs(copy)
    assert sorted(b.projects for b in profile.ballots) == [("A", "B"), ("C",)]
    with pytest.raises(EngageError, match=r"not a valid \.pb file"):
        operations.import_pb(copy, "nonsense", coordinator)
