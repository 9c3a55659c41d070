"""Tests for the participatory budgeting tally engine (engage.budgeting.rules).

Hand-worked cases first (the expected answers are derived in the comments), then invariants
on random instances (cross-checked against pabutools when it is installed, and against a naive
Add1 loop written with the public API), then the shared Pabulib reference winners.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import pytest

from engage.budgeting.pabulib import parse_pb, read_pb
from engage.budgeting.rules import (
    Ballot,
    Instance,
    Profile,
    Project,
    ReasonCode,
    Rule,
    Stage,
    TallyResult,
    TieBreak,
    VoteType,
    applicable_rules,
    tally,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pabulib"
REFERENCE = DATA / "reference-winners.tsv"
ALL_REFERENCE = os.environ.get("ENGAGE_PB_ALL") == "1"  # also the slow rows (minutes)


def instance(budget: int, costs: dict[str, int], unit_scale: int = 1) -> Instance:
    return Instance(budget, tuple(Project(pid, c) for pid, c in costs.items()), unit_scale)


def approval(*ballots: str) -> Profile:
    """Approval ballots written as "A,B" ("" for an empty ballot)."""
    return Profile(VoteType.APPROVAL, tuple(Ballot(tuple(filter(None, b.split(",")))) for b in ballots))


def codes(result: TallyResult) -> dict[str, ReasonCode]:
    return {e.project_id: e.code for e in result.explanations}


# --------------------------------------------------------------------------------------------
# Greedy rules, worked by hand


def test_greedy_cost_skips_a_project_that_no_longer_fits() -> None:
    # A has 3 supporters, B 2, C 1. A (6) leaves 4; B (5) does not fit; C (4) still does.
    result = tally(instance(10, {"A": 6, "B": 5, "C": 4}), approval("A", "A", "A", "B", "B", "C"),
                   Rule.GREEDY_COST)
    assert result.selected == ("A", "C")
    assert result.total_cost == 10
    b = result.explanation("B")
    assert b.code is ReasonCode.OVER_BUDGET_REMAINING
    assert b.remaining_budget == 4
    assert b.greedy_key == 2
    assert b.stage is Stage.GREEDY
    assert result.explanation("C").remaining_budget == 4


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # greedy-cost orders by supporters: A (4) first, then B (cost 2) no longer fits in 1.
        (Rule.GREEDY_COST, ("A",)),
        # greedy-approval orders by supporters per unit of cost: B 2/2 = 1 beats A 4/8.
        (Rule.GREEDY_APPROVAL, ("B",)),
    ],
)
def test_greedy_cost_and_approval_order_differently(rule: Rule, expected: tuple[str, ...]) -> None:
    result = tally(instance(9, {"A": 8, "B": 2}), approval("A", "A", "A", "A", "B", "B"), rule)
    assert result.selected == expected


@pytest.mark.parametrize(
    ("tie_break", "expected"),
    [
        # Equal support: ids compare as strings, so "10" < "9" (pabutools' default).
        (TieBreak.LEXICOGRAPHIC, ("10",)),
        ("lexicographic", ("10",)),
        (TieBreak.MIN_COST, ("9",)),  # "9" is cheaper; then "10" (5) no longer fits in 1
        (TieBreak.MAX_COST, ("10",)),
        (("9", "10"), ("9",)),  # an explicit priority order
    ],
)
def test_greedy_tie_breaking(tie_break: object, expected: tuple[str, ...]) -> None:
    result = tally(instance(5, {"10": 5, "9": 4}), approval("10", "9"), Rule.GREEDY_COST,
                   tie_break=tie_break)  # type: ignore[arg-type]
    assert result.selected == expected


def test_threshold_makes_projects_ineligible() -> None:
    votes = approval("A", "A", "A", "B", "B", "C")
    costs = {"A": 6, "B": 6, "C": 4}
    assert tally(instance(10, costs), votes, Rule.GREEDY_COST).selected == ("A", "C")
    result = tally(instance(10, costs), votes, Rule.GREEDY_COST, min_supporters=2)
    assert result.selected == ("A",)
    c = result.explanation("C")
    assert c.code is ReasonCode.BELOW_THRESHOLD
    assert c.stage is None
    assert c.supporters == 1
    assert codes(result)["B"] is ReasonCode.OVER_BUDGET_REMAINING


def test_zero_cost_and_unsupported_projects() -> None:
    # One voter approving A (cost 0) and D (cost 5); B (cost 0) and C (cost 10) unsupported.
    inst = instance(10, {"A": 0, "B": 0, "C": 10, "D": 5})
    votes = approval("A,D")
    # Cost satisfaction of a zero-cost project is 0 (pabutools), so A sorts with B and C.
    assert tally(inst, votes, Rule.GREEDY_COST).selected == ("D", "A", "B")
    # Cardinality satisfaction per unit of cost is infinite for A.
    assert tally(inst, votes, Rule.GREEDY_APPROVAL).selected == ("A", "D", "B")
    # MES with cost satisfaction ignores zero-cost projects (they satisfy nobody) and
    # unsupported ones: only D, which the voter pays in full (rho 5/5).
    mes = tally(inst, votes, Rule.MES_COST)
    assert mes.selected == ("D",)
    assert {p: c for p, c in codes(mes).items() if p != "D"} == dict.fromkeys(
        "ABC", ReasonCode.MES_INSUFFICIENT_SUPPORT)
    # The greedy completion then adds the free projects A and B; C (10) does not fit in 5.
    completed = tally(inst, votes, Rule.MES_COST_COMPLETED)
    assert completed.selected == ("D", "A", "B")
    assert completed.explanation("A").stage is Stage.COMPLETION
    assert completed.explanation("C").code is ReasonCode.OVER_BUDGET_REMAINING


def test_nobody_voted() -> None:
    inst = instance(10, {"A": 5, "B": 6})
    empty = Profile(VoteType.APPROVAL, ())
    assert tally(inst, empty, Rule.GREEDY_COST).selected == ("A",)
    mes = tally(inst, empty, Rule.MES_COST)
    assert mes.selected == ()
    assert mes.voter_budget is None
    assert tally(inst, empty, Rule.MES_COST_COMPLETED).selected == ("A",)


ORDINAL = Profile(VoteType.ORDINAL, (Ballot(("A", "B", "C")), Ballot(("B", "A")), Ballot(("B", "C"))))
CUMULATIVE = Profile(
    VoteType.CUMULATIVE,
    (Ballot(("A", "B"), (3, 1)), Ballot(("B",), (2,)), Ballot(("C",), (1,))),
)


@pytest.mark.parametrize(
    ("profile", "rule", "expected", "points"),
    [
        # Krakow points K..1: A 3+1 = 4, B 2+2+2 = 6, C 1+1 = 2. B (20) leaves 5: A (10) does
        # not fit, C (5) does.
        (ORDINAL, Rule.GREEDY_POINTS, ("B", "C"), {"A": 4, "B": 6, "C": 2}),
        # Borda K-1..0 per unit of cost: A 2/10, B 3/20, C 0/5. A leaves 15: B (20) does not
        # fit, C does.
        (ORDINAL, Rule.GREEDY_SCORE, ("A", "C"), {"A": 2, "B": 3, "C": 0}),
        # Cumulative points: A 3, B 3 (tie, A first by id), C 1: A leaves 15, B skipped, C.
        (CUMULATIVE, Rule.GREEDY_POINTS, ("A", "C"), {"A": 3, "B": 3, "C": 1}),
        # Per unit of cost: A 3/10, C 1/5, B 3/20.
        (CUMULATIVE, Rule.GREEDY_SCORE, ("A", "C"), {"A": 3, "B": 3, "C": 1}),
    ],
)
def test_score_rules(
    profile: Profile, rule: Rule, expected: tuple[str, ...], points: dict[str, int]
) -> None:
    result = tally(instance(25, {"A": 10, "B": 20, "C": 5}), profile, rule)
    assert result.selected == expected
    assert {e.project_id: e.total_points for e in result.explanations} == points


def test_greedy_score_per_cost_can_differ_from_total_points() -> None:
    profile = Profile(VoteType.CUMULATIVE, (Ballot(("A", "B"), (5, 4)),))
    inst = instance(10, {"A": 10, "B": 2})
    assert tally(inst, profile, Rule.GREEDY_POINTS).selected == ("A",)  # 5 points > 4
    assert tally(inst, profile, Rule.GREEDY_SCORE).selected == ("B",)  # 4/2 > 5/10


# --------------------------------------------------------------------------------------------
# Method of Equal Shares, worked by hand

# Four voters, budget 400, so 100 each. v1-v3 approve X and Y, v4 approves Y and Z.
MES_INST = instance(400, {"X": 200, "Y": 300, "Z": 100})
MES_VOTES = approval("X,Y", "X,Y", "X,Y", "Y,Z")


def test_mes_picks_smallest_rho_and_stops_when_nothing_is_affordable() -> None:
    # rho = equal share / cost: X (200/3)/200 = 1/3, Y 75/300 = 1/4, Z 100/100 = 1. Y is
    # bought, everyone pays 75 and keeps 25: X (75 < 200) and Z (25 < 100) are unaffordable.
    result = tally(MES_INST, MES_VOTES, Rule.MES_COST)
    assert result.selected == ("Y",)
    assert result.voter_budget == 100
    y = result.explanation("Y").mes
    assert y is not None
    assert (y.round, y.rho, y.share) == (1, Fraction(1, 4), 75)
    assert {result.groups[p.group]: y.per_voter(p) for p in y.payments} == {
        (0, 1, 2): 75,
        (3,): 75,
    }
    assert not any(p.exhausted for p in y.payments)
    assert y.total() == 300
    x = result.explanation("X")
    assert x.code is ReasonCode.MES_INSUFFICIENT_SUPPORT
    assert x.supporters_budget_left == 75
    assert result.explanation("Z").supporters_budget_left == 25


def test_mes_completed_add1_then_greedy() -> None:
    # With every voter's budget raised to 100 + k, Y is still bought first (75 each); X
    # becomes affordable once 3 * (100 + k - 75) >= 200, i.e. k >= 42, and then X + Y = 500
    # exceeds the budget, so pabutools keeps the outcome of k = 41: {Y}. The greedy completion
    # then tries X (3 supporters, 200 > 100 left: skipped) and Z (100: bought).
    result = tally(MES_INST, MES_VOTES, Rule.MES_COST_COMPLETED)
    assert result.selected == ("Y", "Z")
    assert result.budget_increments == 41
    assert result.voter_budget == 141
    assert result.explanation("Y").stage is Stage.MES
    z = result.explanation("Z")
    assert (z.stage, z.remaining_budget) == (Stage.COMPLETION, 100)
    x = result.explanation("X")
    assert (x.code, x.stage, x.remaining_budget) == (
        ReasonCode.OVER_BUDGET_REMAINING, Stage.COMPLETION, 100)


def test_add1_increment_is_one_currency_unit() -> None:
    # The same election in pence: budget 400.00, unit_scale 100. Add1 raises budgets by one
    # pound (100 units), so the answer is the same 41 increments.
    scaled = instance(40000, {"X": 20000, "Y": 30000, "Z": 10000}, unit_scale=100)
    result = tally(scaled, MES_VOTES, Rule.MES_COST_COMPLETED)
    assert result.selected == ("Y", "Z")
    assert result.budget_increments == 41
    assert result.voter_budget == 14100


@pytest.mark.parametrize("rule", list(Rule))
def test_explain_false_gives_the_same_decisions(rule: Rule) -> None:
    inst = instance(25, {"A": 10, "B": 20, "C": 5})
    full = tally(inst, ORDINAL, rule)
    lean = tally(inst, ORDINAL, rule, explain=False)
    assert lean.selected == full.selected
    assert codes(lean) == codes(full)
    assert all(e.mes is None or not e.mes.payments for e in lean.explanations)


def test_mes_exhausted_supporter_pays_what_is_left() -> None:
    # 100 each. Q (240) by v1-v3: share 80, rho 1/3; P (110) by v1, v4: share 55, rho 1/2.
    # Q first: v1-v3 keep 20. P: the equal share 55 exceeds v1's 20, so v1 pays 20 and v4
    # pays 90 (<= 100): rho 90/110.
    votes = approval("Q,P", "Q", "Q", "P")
    result = tally(instance(400, {"Q": 240, "P": 110}), votes, Rule.MES_COST)
    assert result.selected == ("Q", "P")
    p = result.explanation("P").mes
    assert p is not None
    assert (p.round, p.rho, p.share) == (2, Fraction(9, 11), 90)
    paid = {result.groups[x.group]: (p.per_voter(x), x.exhausted) for x in p.payments}
    assert paid == {(0,): (20, True), (3,): (90, False)}
    assert p.total() == 110
    q = result.explanation("Q").mes
    assert q is not None
    assert {result.groups[x.group]: q.per_voter(x) for x in q.payments} == {(0,): 80, (1, 2): 80}


@pytest.mark.parametrize(
    ("tie_break", "expected"),
    [(TieBreak.LEXICOGRAPHIC, ("10", "9")), (("9", "10"), ("9", "10"))],
)
def test_mes_tie_breaking(tie_break: object, expected: tuple[str, ...]) -> None:
    # Two voters with 5 each; both projects cost 5 and have rho 1: a tie in round 1.
    result = tally(instance(10, {"10": 5, "9": 5}), approval("10", "9"), Rule.MES_COST,
                   tie_break=tie_break)  # type: ignore[arg-type]
    assert result.selected == expected


def test_decimal_amounts_are_exact() -> None:
    # 50.02 + 50.03 == 100.05 exactly (in floating point it is 100.05000000000001 > 100.05).
    text = (
        "META\nkey;value\ndescription;x\ncountry;x\nunit;x\ninstance;x\nnum_projects;3\n"
        "num_votes;3\nbudget;100.05\nvote_type;approval\n"
        "PROJECTS\nproject_id;cost\na;50.02\nb;50.03\nc;0.01\n"
        "VOTES\nvoter_id;vote\n1;a,b,c\n2;a,b,c\n3;a,b\n"
    )
    election = parse_pb(text)
    inst, votes = election.instance, election.profile
    assert (inst.unit_scale, inst.budget) == (100, 10005)
    assert tally(inst, votes, Rule.GREEDY_COST).selected == ("a", "b")
    mes = tally(inst, votes, Rule.MES_COST)
    assert mes.voter_budget == Fraction(10005, 3)
    for e in mes.explanations:
        if e.mes is not None:
            assert e.mes.total() == e.cost


def test_inputs_are_validated() -> None:
    inst = instance(10, {"A": 5})
    with pytest.raises(ValueError, match="unknown project"):
        tally(inst, approval("B"), Rule.GREEDY_COST)
    with pytest.raises(ValueError, match="twice"):
        Ballot(("A", "A"))
    with pytest.raises(ValueError, match="does not apply"):
        tally(inst, approval("A"), Rule.GREEDY_SCORE)
    with pytest.raises(ValueError, match="need points"):
        tally(inst, Profile(VoteType.CUMULATIVE, (Ballot(("A",)),)), Rule.GREEDY_SCORE)
    with pytest.raises(ValueError, match="every project id"):
        tally(inst, approval("A"), Rule.GREEDY_COST, tie_break=("B",))
    with pytest.raises(ValueError, match="duplicate"):
        Instance(10, (Project("A", 1), Project("A", 2)))
    with pytest.raises(ValueError):
        Project("A", -1)
    with pytest.raises(ValueError):
        tally(inst, approval("A"), "greedy-nonsense")


def test_applicable_rules() -> None:
    assert Rule.GREEDY_SCORE not in applicable_rules("approval")
    assert Rule.GREEDY_SCORE not in applicable_rules(VoteType.CHOOSE_ONE)
    assert set(applicable_rules(VoteType.ORDINAL)) == set(Rule)


# --------------------------------------------------------------------------------------------
# Invariants on random instances


def random_election(
    rng: random.Random, vote_type: VoteType = VoteType.APPROVAL
) -> tuple[Instance, Profile]:
    m = rng.randint(2, 7)
    costs = {f"p{i}": 0 if rng.random() < 0.08 else rng.randint(1, 30) for i in range(m)}
    budget = rng.randint(10, max(11, sum(costs.values())))
    ballots = []
    for _ in range(rng.randint(0, 14) if rng.random() < 0.7 else rng.randint(15, 60)):
        chosen = rng.sample(sorted(costs), rng.randint(0 if rng.random() < 0.1 else 1, m))
        if vote_type is VoteType.CUMULATIVE:
            ballots.append(Ballot(tuple(chosen), tuple(rng.randint(1, 5) for _ in chosen)))
        else:
            ballots.append(Ballot(tuple(chosen)))
    return instance(budget, costs), Profile(vote_type, tuple(ballots))


SEEDS = range(60)


@pytest.mark.parametrize("seed", SEEDS)
def test_mes_invariants(seed: int) -> None:
    rng = random.Random(seed)
    inst, votes = random_election(rng)
    for rule in (Rule.MES_COST, Rule.MES_COST_COMPLETED):
        result = tally(inst, votes, rule)
        assert result.total_cost <= inst.budget
        assert sorted(e.project_id for e in result.explanations if e.code is ReasonCode.FUNDED) \
            == sorted(result.selected)
        if result.voter_budget is None:
            continue
        spent: dict[int, Fraction] = {}
        rhos = []
        for e in sorted((e for e in result.explanations if e.mes and e.mes.round),
                        key=lambda e: e.mes.round if e.mes else 0):
            assert e.mes is not None
            rhos.append(e.mes.rho)
            assert e.mes.total() == e.cost  # payments sum to the cost
            for p in e.mes.payments:
                share = e.mes.per_voter(p)
                assert 0 < share <= e.mes.share  # nobody pays more than the equal share
                assert p.voters == len(result.groups[p.group])
                spent[p.group] = spent.get(p.group, Fraction(0)) + share
        assert rhos == sorted(rhos)  # budgets only fall, so rho never decreases
        for total in spent.values():
            assert total <= result.voter_budget  # nobody pays more than their budget


@pytest.mark.parametrize("seed", SEEDS)
def test_greedy_invariants(seed: int) -> None:
    rng = random.Random(seed)
    inst, votes = random_election(rng)
    for rule in (Rule.GREEDY_COST, Rule.GREEDY_APPROVAL):
        result = tally(inst, votes, rule)
        assert result.total_cost <= inst.budget
        for e in result.explanations:
            assert e.remaining_budget is not None
            if e.code is ReasonCode.OVER_BUDGET_REMAINING:
                assert e.cost > e.remaining_budget


def naive_add1(inst: Instance, votes: Profile) -> tuple[tuple[str, ...], int | None]:
    """pabutools' Add1 + greedy completion, run increment by increment with the public API:
    MES with per-voter budget (B + k*n)/n is mes-cost on an instance with budget B + k*n.
    Returns the selection and the increment of the kept MES outcome."""
    n = len(votes.ballots)
    supporters: dict[str, int] = {p.id: 0 for p in inst.projects}
    for ballot in votes.ballots:
        for pid in ballot.projects:
            supporters[pid] += 1
    cost = {p.id: p.cost for p in inst.projects}
    outcome: tuple[str, ...] = ()
    kept: int | None = None
    if n:
        candidates = [p for p in cost if cost[p] > 0 and supporters[p] > 0]
        k = 0
        while True:
            raised = Instance(inst.budget + k * n, inst.projects)
            chosen = tally(raised, votes, Rule.MES_COST).selected
            total = sum(cost[p] for p in chosen)
            if total > inst.budget:
                break
            outcome, kept = chosen, k
            if all(total + cost[p] > inst.budget for p in candidates if p not in chosen):
                break
            k += 1
    left = inst.budget - sum(cost[p] for p in outcome)
    rest = sorted((p for p in cost if p not in outcome),
                  key=lambda p: (-(supporters[p] if cost[p] else 0), p))
    extra = []
    for p in rest:
        if cost[p] <= left:
            extra.append(p)
            left -= cost[p]
    return outcome + tuple(extra), kept


@pytest.mark.parametrize("seed", SEEDS)
def test_certified_add1_equals_naive_add1(seed: int) -> None:
    rng = random.Random(1000 + seed)
    inst, votes = random_election(rng)
    result = tally(inst, votes, Rule.MES_COST_COMPLETED)
    assert (result.selected, result.budget_increments) == naive_add1(inst, votes)


def add1_heavy_election(rng: random.Random) -> tuple[Instance, Profile]:
    """Larger elections that need tens to hundreds of Add1 increments, with popular and
    unpopular projects: they exercise the certificates carried from run to run and the
    money bounds between runs (see rules._money_bound)."""
    m = rng.randint(8, 18)
    costs = {f"p{i}": rng.randint(100, 2000) for i in range(m)}
    budget = rng.randint(sum(costs.values()) // 5, sum(costs.values()) // 2)
    popularity = [rng.random() ** 2 for _ in costs]
    ballots = []
    for _ in range(rng.randint(30, 200)):
        chosen: set[str] = set()
        size = rng.randint(1, 6)
        while len(chosen) < size:
            chosen.add(rng.choices(sorted(costs), popularity)[0])
        ballots.append(Ballot(tuple(sorted(chosen))))
    return instance(budget, costs), Profile(VoteType.APPROVAL, tuple(ballots))


def test_certified_add1_equals_naive_add1_on_long_runs() -> None:
    # One test over many seeds (a parametrised test per seed would cost more to collect
    # than to run); a seed that differs is named in the message.
    differ = []
    for seed in range(150):
        inst, votes = add1_heavy_election(random.Random(3000 + seed))
        result = tally(inst, votes, Rule.MES_COST_COMPLETED)
        if (result.selected, result.budget_increments) != naive_add1(inst, votes):
            differ.append(seed)
    assert differ == []


def test_add1_stops_exactly_when_a_project_becomes_affordable() -> None:
    # Two voters with 5 each. k = 0: B (4, voter 2) is bought; A (6, voter 1) is
    # unaffordable, and A still fits in the budget, so budgets are raised. At k = 1 voter 1
    # has exactly 6: A becomes affordable (money == cost) and both are bought (10 <= 10),
    # which is exhaustive: pabutools keeps k = 1, not a later increment.
    result = tally(instance(10, {"A": 6, "B": 4}), approval("A", "B"), Rule.MES_COST_COMPLETED)
    assert result.selected == ("A", "B")  # rho 1 each at k = 1; the tie goes to "A"
    assert (result.budget_increments, result.voter_budget) == (1, 6)


def pabutools_winners(inst: Instance, votes: Profile, rule: Rule) -> list[str]:
    from pabutools import election as pe
    from pabutools import rules as pr

    projects = {p.id: pe.Project(p.id, p.cost) for p in inst.projects}
    pinst = pe.Instance(projects.values(), budget_limit=inst.budget)
    profile: pe.AbstractProfile
    if votes.vote_type is VoteType.CUMULATIVE:
        profile = pe.CumulativeProfile(
            [pe.CumulativeBallot({projects[i]: pt for i, pt in zip(b.projects, b.points or (),
                                                                    strict=True)})
             for b in votes.ballots], instance=pinst)
    else:
        profile = pe.ApprovalProfile(
            [pe.ApprovalBallot(projects[i] for i in b.projects) for b in votes.ballots],
            instance=pinst)
    if rule is Rule.GREEDY_COST:
        out = pr.greedy_utilitarian_welfare(pinst, profile, sat_class=pe.Cost_Sat)
    elif rule is Rule.GREEDY_APPROVAL:
        out = pr.greedy_utilitarian_welfare(pinst, profile, sat_class=pe.Cardinality_Sat)
    elif rule is Rule.GREEDY_SCORE:
        out = pr.greedy_utilitarian_welfare(pinst, profile, sat_class=pe.Additive_Cardinal_Sat)
    elif rule is Rule.MES_COST:
        out = pr.method_of_equal_shares(pinst, profile, sat_class=pe.Cost_Sat)
    else:
        out = pr.completion_by_rule_combination(
            pinst, profile, [pr.method_of_equal_shares, pr.greedy_utilitarian_welfare],
            [{"sat_class": pe.Cost_Sat, "voter_budget_increment": 1}, {"sat_class": pe.Cost_Sat}])
    return sorted(p.name for p in out)


@pytest.mark.parametrize("seed", range(40))
def test_random_instances_match_pabutools(seed: int) -> None:
    pytest.importorskip("pabutools")
    rng = random.Random(2000 + seed)
    vote_type = VoteType.CUMULATIVE if seed % 4 == 3 else VoteType.APPROVAL
    inst, votes = random_election(rng, vote_type)
    if not votes.ballots:
        return  # pabutools' profiles need at least one ballot for some rules
    for rule in applicable_rules(vote_type):
        if rule is Rule.GREEDY_POINTS:
            continue  # not a pabutools rule (see the benchmark for a pabutools model of it)
        assert sorted(tally(inst, votes, rule).selected) == pabutools_winners(inst, votes, rule)


# --------------------------------------------------------------------------------------------
# Shared Pabulib instances against pabutools' reference winners


def reference_rows() -> Iterable[object]:
    if not REFERENCE.is_file():
        yield pytest.param(None, None, None, None, id="no-shared-data")
        return
    with REFERENCE.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            seconds = float(row["pabutools_rule_seconds"])
            yield pytest.param(row["file"], row["rule"], row["winners"], seconds,
                               id=f"{row['file'][:-3]}-{row['rule']}")


_ELECTIONS: dict[str, object] = {}


@pytest.mark.parametrize(("name", "rule", "winners", "seconds"), list(reference_rows()))
def test_reference_winners(name: str | None, rule: str | None, winners: str | None,
                           seconds: float | None) -> None:
    if name is None or rule is None or seconds is None:
        pytest.skip(f"shared Pabulib data not found at {DATA}")
    path = DATA / name
    big = path.stat().st_size > 1_300_000  # Krakow 2021, Warszawa 2026, Wroclaw
    if not ALL_REFERENCE and (big or seconds > 30):
        pytest.skip("slow instance: checked by bench/pb_tally.py (ENGAGE_PB_ALL=1 runs it here)")
    election = _ELECTIONS.get(name)
    if election is None:
        election = _ELECTIONS[name] = read_pb(path)
    result = tally(election.instance, election.profile, rule)  # type: ignore[attr-defined]
    assert ",".join(result.winners) == winners


def test_greedy_points_reproduces_the_cities_selection() -> None:
    """Krakow and Czestochowa count by total points (K..1 for ordinal ballots)."""
    if not REFERENCE.is_file():
        pytest.skip(f"shared Pabulib data not found at {DATA}")
    for name in ("Poland_Czestochowa_2024_Grabowka.pb", "Poland_Krakow_2022_Zwierzyniec.pb",
                 "Poland_Krakow_2025_Pradnik_Bialy.pb"):
        election = read_pb(DATA / name)
        at = [c for c in election.project_header if c not in ("project_id", "cost")].index(
            "selected")
        official = sorted(p.id for p, f in zip(election.instance.projects,
                                               election.project_fields, strict=True)
                          if f[at] == "1")
        result = tally(election.instance, election.profile, Rule.GREEDY_POINTS)
        assert list(result.winners) == official, name
