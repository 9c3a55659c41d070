"""Participatory budgeting tally engine: greedy rules and the Method of Equal Shares (MES).

Pure module: standard library only, frozen dataclasses in and out, results as codes and
numbers (the web layer turns codes into English or Welsh sentences). Every decision uses exact
integer or :class:`fractions.Fraction` arithmetic; no floating point.

Money
-----
All money is an integer number of *units*; ``Instance.unit_scale`` units make one currency unit
(``1`` for whole pounds, ``100`` for pence). :mod:`engage.budgeting.pabulib` picks the scale so
that decimal budgets such as ``2828094.61`` are exact integers. Amounts that need not be whole
units (MES payments, per-voter budgets) are ``Fraction``s of units.

Rules
-----
The rule names and semantics are those of the budgeting issue and of the shared
``reference-winners.tsv``, which was produced with pabutools 1.2.3; our results match pabutools
exactly (same winners, same tie-breaking).

``greedy-cost``
    pabutools ``greedy_utilitarian_welfare(sat_class=Cost_Sat)``: projects in decreasing order of
    supporters (a voter's satisfaction is the cost of the approved funded projects, so welfare
    per unit of money is the number of supporters); a project that no longer fits in the
    remaining budget is skipped and the next one is tried.
``greedy-approval``
    the same with ``Cardinality_Sat``: decreasing supporters per unit of cost.
``greedy-score``
    the same with satisfaction = score, i.e. decreasing score per unit of cost: pabutools
    ``Additive_Cardinal_Sat`` (the points) for cumulative and scoring ballots and
    ``Additive_Borda_Sat`` for ordinal ballots (a ballot of length K gives K-1, K-2, ..., 0).
    This is what ``reference-winners.tsv`` contains for every ballot with points or ranks
    (checked: Czestochowa 2024, Krakow 2021, 2022 and 2025 all match only this reading), even
    though its README describes the next rule.
``greedy-points``
    greedy by total points, satisfaction ``points x cost`` (an additive pabutools
    satisfaction): cumulative and scoring ballots give their points, an ordinal ballot of length
    K gives K, K-1, ..., 1 (Krakow style). Not in the reference table; it reproduces the cities'
    own ``selected`` column for Czestochowa 2024 and Krakow 2021, 2022, 2025.
``mes-cost``
    pabutools ``method_of_equal_shares(sat_class=Cost_Sat)``, no completion. Method of Equal
    Shares (Peters, Pierczynski & Skowron, "Proportional Participatory Budgeting with Additive
    Utilities", NeurIPS 2021; https://equalshares.net): every voter starts with an equal share
    ``budget / n`` of the budget; a project is bought by its supporters, who split the cost
    equally except that a supporter who cannot afford the equal share pays everything they have
    left; each round buys the project whose largest per-voter payment, relative to the
    satisfaction it gives (here: its cost), is smallest (``rho``). It stops when no project can
    be paid for.
``mes-cost-completed``
    pabutools ``completion_by_rule_combination([method_of_equal_shares,
    greedy_utilitarian_welfare], [{Cost_Sat, voter_budget_increment=1}, {Cost_Sat}])``: MES is
    re-run with every voter's budget raised by one currency unit at a time ("Add1") until the
    outcome is exhaustive among the projects somebody supports (then it is kept) or costs more
    than the budget (then the previous outcome is kept); if that outcome is not exhaustive it is
    completed with ``greedy-cost``.

A project without supporters is never bought by MES, but greedy rules (and the completion) buy
it if it fits, after every supported project (pabutools semantics). With cost satisfaction a
zero-cost project gives nobody any satisfaction, so MES never buys it either (pabutools); the
greedy rules and the completion do. ``min_supporters`` (not a pabutools option) removes
projects listed on fewer ballots before any rule runs; voters keep their equal shares.

Tie-breaking
------------
An explicit parameter. The default, :attr:`TieBreak.LEXICOGRAPHIC`, is pabutools' default:
ties go to the smallest project id compared as a string. ``min-cost``/``max-cost`` break ties by
cost, then id; a tuple of project ids gives an explicit priority order (e.g. a drawn lottery).

Implementation of MES
---------------------
Voters whose ballots approve the same eligible projects always have the same budget, so they
are merged into weighted *groups*, and groups with the same payment history share a budget
*class*: evaluating a project builds a histogram of its supporters' classes (C-level counting)
and finds the equal share by walking the classes in increasing budget. Budgets are integers over
a denominator that grows when a project is bought (per-voter budget
``(budget + k n unit_scale) / n`` to start with); each class keeps the denominator of its epoch,
so nothing is rescaled. ``rho`` values are compared exactly by cross-multiplication. Each round
only re-evaluates projects whose previous ``rho`` (a lower bound, since budgets only fall) could
still beat the best one found (the lazy scheme pabutools uses).

Add1 would naively re-run MES for every increment (hundreds to thousands of runs; Toulouse
needs 1,617). Instead each run is *certified*: with ``t`` further increments every budget,
equal share and ``rho`` of the run is an affine function of ``t`` as long as the same
comparisons come out the same way (which supporters pay everything in each bought project,
which project wins each round, which projects are unaffordable, which lower bounds allow
skipping). Budgets only grow with ``t`` and equal shares only shrink, so "pays the equal share"
never flips; only those comparisons need checking. Each round records the largest ``t`` for
which its comparisons provably keep their result; the next run starts at the first increment
where some round may change, and recomputes from that round only (earlier rounds are replayed
from a saved state, without evaluations). The outcome of every increment is therefore exactly
the outcome pabutools computes, with far fewer and much shorter runs.

Most of a recomputed round's work is showing again that the candidates left are unaffordable.
Two facts spare most of it. A candidate dropped in the first recomputed round keeps its own
certificate (its supporters' money is the same affine function as before). And if MES buys the
same projects in the same order up to a round at two increments, every budget at that round is
at least as large at the later one and all voters together hold exactly ``voters x increment``
more per increment, so a candidate's supporters gain at most that much (less the growth of the
other voters who still have money): the money counted in the previous run bounds it now, and an
exact count is needed only when that bound would shorten the run (:func:`_money_bound`).
"""

from __future__ import annotations

import collections
import heapq
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import partial
from itertools import accumulate, chain, compress, filterfalse, repeat
from math import gcd
from operator import add, mul, sub
from typing import NamedTuple, TypeAlias

__all__ = [
    "Ballot",
    "GroupPayment",
    "Instance",
    "MesFunding",
    "Points",
    "Profile",
    "Project",
    "ProjectExplanation",
    "ReasonCode",
    "Rule",
    "Stage",
    "TallyResult",
    "TieBreak",
    "VoteType",
    "applicable_rules",
    "tally",
]

Points: TypeAlias = int | Fraction
"""Points on a cumulative or scoring ballot (exact)."""


class VoteType(StrEnum):
    """Pabulib ``vote_type`` values. ``choose-1`` is approval with at most one project."""

    APPROVAL = "approval"
    CHOOSE_ONE = "choose-1"
    ORDINAL = "ordinal"
    CUMULATIVE = "cumulative"
    SCORING = "scoring"


class Rule(StrEnum):
    """Counting rules (see the module docstring)."""

    GREEDY_COST = "greedy-cost"
    GREEDY_APPROVAL = "greedy-approval"
    GREEDY_SCORE = "greedy-score"
    GREEDY_POINTS = "greedy-points"
    MES_COST = "mes-cost"
    MES_COST_COMPLETED = "mes-cost-completed"


class TieBreak(StrEnum):
    """Named tie-breaking orders; the first project in the order wins a tie."""

    LEXICOGRAPHIC = "lexicographic"  # smallest id (as a string): pabutools' default
    MIN_COST = "min-cost"  # cheapest, then smallest id
    MAX_COST = "max-cost"  # most expensive, then smallest id


class ReasonCode(StrEnum):
    """Why a project was or was not funded."""

    FUNDED = "funded"
    OVER_BUDGET_REMAINING = "over_budget_remaining"  # cost > budget left when its turn came
    BELOW_THRESHOLD = "below_threshold"  # fewer supporters than min_supporters: not eligible
    MES_INSUFFICIENT_SUPPORT = "mes_insufficient_support"  # supporters could not pay for it


class Stage(StrEnum):
    """Which part of a rule made the decision about a project."""

    GREEDY = "greedy"
    MES = "mes"
    COMPLETION = "completion"  # greedy completion after MES (mes-cost-completed)


_APPROVAL_RULES = (Rule.GREEDY_COST, Rule.GREEDY_APPROVAL, Rule.MES_COST, Rule.MES_COST_COMPLETED)
_ALL_RULES = (*_APPROVAL_RULES[:2], Rule.GREEDY_SCORE, Rule.GREEDY_POINTS, *_APPROVAL_RULES[2:])


def applicable_rules(vote_type: VoteType | str) -> tuple[Rule, ...]:
    """Rules that apply to a vote type: all of them, except that ``greedy-score`` and
    ``greedy-points`` need points or ranks (ordinal, cumulative, scoring ballots), as in
    ``reference-winners.tsv``."""
    vt = VoteType(vote_type)
    if vt in (VoteType.APPROVAL, VoteType.CHOOSE_ONE):
        return _APPROVAL_RULES
    return _ALL_RULES


# --------------------------------------------------------------------------------------------
# Inputs


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Project:
    """A project: its id (unique in the instance) and its cost in units."""

    id: str
    cost: int

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("project id must be a non-empty string")
        if not _is_int(self.cost) or self.cost < 0:
            raise ValueError(f"project {self.id!r}: cost must be a non-negative integer")


@dataclass(frozen=True, slots=True)
class Instance:
    """Budget (units), projects, and how many units make one currency unit."""

    budget: int
    projects: tuple[Project, ...]
    unit_scale: int = 1

    def __post_init__(self) -> None:
        if not _is_int(self.budget) or self.budget < 0:
            raise ValueError("budget must be a non-negative integer (units)")
        if not _is_int(self.unit_scale) or self.unit_scale < 1:
            raise ValueError("unit_scale must be a positive integer")
        object.__setattr__(self, "projects", tuple(self.projects))
        ids = [p.id for p in self.projects]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"duplicate project ids: {dupes}")

    def project(self, project_id: str) -> Project:
        for p in self.projects:
            if p.id == project_id:
                return p
        raise KeyError(project_id)


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's ballot.

    ``projects``: approved projects (approval, choose-1), the ranking best first (ordinal), or
    the projects given points (cumulative, scoring). ``points``: aligned with ``projects`` for
    cumulative and scoring ballots; optional and ignored by the rules for ordinal ballots (which
    score by rank); ``None`` for approval and for an empty ballot (canonical form, so equal
    ballots compare equal). For the cost-satisfaction rules (greedy-cost,
    greedy-approval, MES) a voter supports every project on the ballot.
    """

    projects: tuple[str, ...]
    points: tuple[Points, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "projects", tuple(self.projects))
        if len(set(self.projects)) != len(self.projects):
            raise ValueError(f"a ballot lists a project twice: {self.projects}")
        if self.points is not None:
            object.__setattr__(self, "points", tuple(self.points) if self.projects else None)
            if self.points is not None and len(self.points) != len(self.projects):
                raise ValueError("ballot points must match its projects one to one")


@dataclass(frozen=True, slots=True)
class Profile:
    """All ballots of one vote, in a fixed order (indices are used in MES payment groups)."""

    vote_type: VoteType
    ballots: tuple[Ballot, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "vote_type", VoteType(self.vote_type))
        object.__setattr__(self, "ballots", tuple(self.ballots))


# --------------------------------------------------------------------------------------------
# Outputs


class GroupPayment(NamedTuple):
    """What each voter of one group paid towards a project bought by MES (see
    MesFunding.payments)."""

    group: int  # index into TallyResult.groups
    voters: int
    amount: int  # per voter, in units of 1 / MesFunding.unit (exact, no rounding)
    exhausted: bool  # paid everything they had left (could not afford the equal share)


_new_payment = partial(tuple.__new__, GroupPayment)  # GroupPayment(*fields), no Python call
_Payments: TypeAlias = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[bool, ...]]


@dataclass(frozen=True, slots=True)
class MesFunding:
    """How MES paid for a project. Payments sum to the cost; nobody pays more than they had.

    Payment amounts are integers over the common denominator ``unit`` (so that itemising
    thousands of groups needs no fraction arithmetic); :meth:`per_voter` gives the Fraction.
    The payments are kept as columns (one entry per paying group, in group order): MES can
    itemise hundreds of thousands of them; :attr:`payments` gives them as rows.
    """

    round: int  # 1-based MES round
    rho: Fraction  # share / cost: price per unit of satisfaction
    share: Fraction  # units paid by each supporter who was not exhausted
    unit: int
    groups: tuple[int, ...] = ()  # groups that paid something (index into TallyResult.groups)
    voters: tuple[int, ...] = ()  # voters in each of those groups
    amounts: tuple[int, ...] = ()  # what each of their voters paid, over ``unit``
    exhausted: tuple[bool, ...] = ()  # whether they paid everything they had left

    @property
    def payments(self) -> tuple[GroupPayment, ...]:
        return tuple(map(_new_payment, zip(self.groups, self.voters, self.amounts,
                                           self.exhausted, strict=True)))

    def per_voter(self, payment: GroupPayment) -> Fraction:
        """Units each voter of the group paid."""
        return Fraction(payment.amount, self.unit)

    def payers(self) -> int:
        return sum(self.voters)

    def least_and_most_paid(self) -> tuple[Fraction, Fraction] | None:
        """Units paid by the voter who paid least and by the one who paid most."""
        if not self.amounts:
            return None
        return Fraction(min(self.amounts), self.unit), Fraction(max(self.amounts), self.unit)

    def total(self) -> Fraction:
        """Units paid by everyone (equals the project's cost)."""
        return Fraction(sum(map(mul, self.voters, self.amounts)), self.unit)


@dataclass(frozen=True, slots=True)
class ProjectExplanation:
    """The decision about one project, as a code plus the numbers behind it."""

    project_id: str
    code: ReasonCode
    cost: int
    supporters: int  # ballots listing the project
    stage: Stage | None = None  # None: not eligible (below_threshold)
    selection_index: int | None = None  # position in TallyResult.selected
    total_points: Points | None = None  # greedy-score: total points
    greedy_key: Fraction | None = None  # value greedy sorted on (None if infinite or unused)
    remaining_budget: int | None = None  # greedy: budget left (units) when its turn came
    mes: MesFunding | None = None  # bought by MES: payments
    supporters_budget_left: Fraction | None = None  # not bought by MES: supporters' money left


@dataclass(frozen=True, slots=True)
class TallyResult:
    """Outcome of :func:`tally`.

    ``selected`` is in the order projects were bought; ``explanations`` follow the instance's
    project order. ``groups`` (MES rules) lists, for each payment group, the indices in
    ``profile.ballots`` of its voters (voters who approve the same eligible projects).
    ``voter_budget`` is each voter's starting budget in the MES run that produced the outcome
    (units), ``budget_increments`` how many Add1 increments it includes and ``mes_runs`` how many
    MES runs were needed to find it.
    """

    rule: Rule
    tie_break: TieBreak | tuple[str, ...]
    budget: int
    unit_scale: int
    selected: tuple[str, ...]
    total_cost: int
    explanations: tuple[ProjectExplanation, ...]
    groups: tuple[tuple[int, ...], ...] = ()
    voter_budget: Fraction | None = None
    budget_increments: int | None = None
    mes_runs: int | None = None

    @property
    def winners(self) -> tuple[str, ...]:
        """Selected project ids sorted as strings (the reference-winners.tsv format)."""
        return tuple(sorted(self.selected))

    def explanation(self, project_id: str) -> ProjectExplanation:
        for e in self.explanations:
            if e.project_id == project_id:
                return e
        raise KeyError(project_id)


# --------------------------------------------------------------------------------------------
# Preparation


def _count_into(counts: dict[int, int], items: Iterable[int]) -> None:
    """Add one per item (the pure-Python fallback of CPython's C counting helper)."""
    for item in items:
        counts[item] = counts.get(item, 0) + 1


# collections.Counter counts with this C helper; calling it directly skips Counter's per-call
# overhead, which dominates for the many small histograms MES builds.
_count: Callable[[dict[int, int], Iterable[int]], None] = getattr(
    collections, "_count_elements", _count_into)


@dataclass(slots=True)
class _Prepared:
    n: int
    distinct: list[Ballot]  # distinct ballot contents
    counts: list[int]  # voters per distinct ballot
    ballot_slots: list[int] | None  # distinct-ballot index of every ballot (when needed)
    positions: list[tuple[int, ...]]  # project positions per distinct ballot
    supporters: list[int]  # per project position


def _prepare(instance: Instance, profile: Profile, *, want_members: bool) -> _Prepared:
    ballots = profile.ballots
    index = {p.id: i for i, p in enumerate(instance.projects)}
    # Parsers share one object per distinct ballot: count by identity first (C level), then
    # merge equal contents (keyed by plain tuples, hashed in C).
    by_id = Counter(map(id, ballots))
    objects = {id(b): b for b in ballots}
    merged: dict[tuple[tuple[str, ...], tuple[Points, ...] | None], int] = {}
    slot_of_id: dict[int, int] = {}
    distinct: list[Ballot] = []
    counts: list[int] = []
    for obj_id, count in by_id.items():
        ballot = objects[obj_id]
        key = (ballot.projects, ballot.points)
        slot = merged.get(key)
        if slot is None:
            slot = merged[key] = len(distinct)
            distinct.append(ballot)
            counts.append(count)
        else:
            counts[slot] += count
        slot_of_id[obj_id] = slot
    positions: list[tuple[int, ...]] = []
    supporters = [0] * len(instance.projects)
    get = index.__getitem__
    for ballot, count in zip(distinct, counts, strict=True):
        try:
            pos = tuple(map(get, ballot.projects))
        except KeyError as exc:
            raise ValueError(f"a ballot names an unknown project: {exc.args[0]!r}") from None
        positions.append(pos)
        if count != 1:
            for i in pos:
                supporters[i] += count
    once: dict[int, int] = {}
    _count(once, chain.from_iterable(compress(positions, map((1).__eq__, counts))))
    for i, c in once.items():
        supporters[i] += c
    ballot_slots = list(map(slot_of_id.__getitem__, map(id, ballots))) if want_members else None
    return _Prepared(len(ballots), distinct, counts, ballot_slots, positions, supporters)


def _tie_ranks(instance: Instance, tie_break: TieBreak | str | Sequence[str]) -> list[int]:
    """Rank of each project (by instance position) in the tie-breaking order; 0 wins ties."""
    projects = instance.projects
    if isinstance(tie_break, str):
        tb = TieBreak(tie_break)
        if tb is TieBreak.LEXICOGRAPHIC:
            order = sorted(range(len(projects)), key=lambda i: projects[i].id)
        elif tb is TieBreak.MIN_COST:
            order = sorted(range(len(projects)), key=lambda i: (projects[i].cost, projects[i].id))
        else:
            order = sorted(range(len(projects)), key=lambda i: (-projects[i].cost, projects[i].id))
    else:
        index = {p.id: i for i, p in enumerate(projects)}
        if sorted(tie_break) != sorted(index):
            raise ValueError("an explicit tie-break order must list every project id once")
        order = [index[pid] for pid in tie_break]
    ranks = [0] * len(projects)
    for r, i in enumerate(order):
        ranks[i] = r
    return ranks


def _total_points(prep: _Prepared, vote_type: VoteType, m: int, offset: int) -> list[Points]:
    """Total points per project: the ballot's points, or for an ordinal ballot of length K,
    ``K - offset`` for its first project, then one less per place."""
    totals: list[Points] = [0] * m
    for ballot, pos, count in zip(prep.distinct, prep.positions, prep.counts, strict=True):
        if vote_type is VoteType.ORDINAL:
            top = len(pos) - offset
            for r, i in enumerate(pos):
                totals[i] += (top - r) * count
        else:
            if ballot.points is None:
                if pos:
                    raise ValueError(f"{vote_type} ballots need points")
                continue
            for i, pts in zip(pos, ballot.points, strict=True):
                totals[i] += pts * count
    return totals


# --------------------------------------------------------------------------------------------
# Greedy


def _greedy_key(
    rule: Rule, vote_type: VoteType, supporters: int, points: Points, cost: int
) -> Fraction | None:
    """pabutools' satisfaction density: total satisfaction / cost, ``None`` for infinite.

    Additive satisfactions (pabutools' additive scheme) give 0 when the total is not
    positive and infinity for a positive total at zero cost; the Borda satisfaction used for
    ordinal greedy-score goes through pabutools' general scheme (infinite at zero cost).
    """
    if rule is Rule.GREEDY_APPROVAL:  # Cardinality_Sat
        if supporters > 0:
            return Fraction(supporters, cost) if cost > 0 else None
        return Fraction(0)
    if rule is Rule.GREEDY_SCORE:  # Additive_Borda_Sat / Additive_Cardinal_Sat
        if vote_type is VoteType.ORDINAL:
            return Fraction(points, cost) if cost > 0 else None
        if points > 0:
            return Fraction(points, cost) if cost > 0 else None
        return Fraction(0)
    if rule is Rule.GREEDY_POINTS:  # satisfaction points x cost
        return Fraction(points) if points > 0 and cost > 0 else Fraction(0)
    return Fraction(supporters) if supporters > 0 and cost > 0 else Fraction(0)  # Cost_Sat


def _greedy(
    rule: Rule,
    vote_type: VoteType,
    candidates: Iterable[int],
    instance: Instance,
    supporters: Sequence[int],
    points: Sequence[Points],
    ranks: Sequence[int],
    remaining: int,
) -> list[tuple[int, bool, int, Fraction | None]]:
    """Greedy pass: (position, bought, budget left before, key) in consideration order."""
    projects = instance.projects
    keyed = []
    for i in candidates:
        key = _greedy_key(rule, vote_type, supporters[i], points[i], projects[i].cost)
        keyed.append(((0, Fraction(0)) if key is None else (1, -key), ranks[i], i, key))
    keyed.sort(key=lambda item: (item[0], item[1]))
    out = []
    for _, _, i, key in keyed:
        cost = projects[i].cost
        fits = cost <= remaining
        out.append((i, fits, remaining, key))
        if fits:
            remaining -= cost
    return out


# --------------------------------------------------------------------------------------------
# Method of Equal Shares


@dataclass(slots=True)
class _MesContext:
    costs: list[int]  # per candidate (positive)
    ranks: list[int]  # per candidate
    supporters: list[list[int]]  # per candidate: supporting group ids
    light: list[list[int]]  # per candidate: supporting groups of one voter
    heavy: list[list[int]]  # per candidate: supporting groups of several voters
    weights: list[int]  # per candidate: supporting voters
    group_weights: list[int]  # voters per group
    group_projects: list[tuple[int, ...]]  # candidates each group supports
    n: int  # all voters (including those supporting no candidate)
    voters: int  # voters supporting some candidate
    budget: int
    increment: int  # Add1 step per voter, in units (one currency unit)


@dataclass(slots=True)
class _Bought:
    project: int  # candidate index
    round: int
    rho: Fraction
    num: int  # equal share = num / unit
    unit: int
    payments: _Payments


_DEAD = 0  # budget class of voters who paid everything they had (budget 0 at every increment)


@dataclass(slots=True)
class _State:
    """Everything MES needs at the start of a round; affine data expressed at ``base``.

    Voters with the same payment history have the same budget, so budgets live in a table of
    *classes*: group g is in class ``c = cls[g]``, whose budget is ``CV[c] / dens[CE[c]]`` units
    and slope per further increment ``CS[c] / dens[CE[c]]``. A class keeps the denominator that
    was current when it was created (its epoch), so buying a project only appends a
    denominator; evaluating a project needs a histogram of its supporters' classes.
    """

    base: int  # k of the run that produced it
    dens: list[int]  # denominator of each epoch; the last one is current
    mult: list[int]  # per epoch: factor to the current denominator (dens[-1] // dens[e])
    cls: list[int]  # per group
    CV: list[int]  # per class
    CS: list[int]  # per class (tracking only)
    CE: list[int]  # per class: epoch
    light: list[list[int]]  # per candidate: live supporting groups of one voter
    heavy: list[list[int]]  # per candidate: live groups of several (lists are never mutated)
    W: list[int]  # per candidate: voters in light and heavy
    dead: bytearray  # per group: in class _DEAD
    live: int  # voters not in class _DEAD
    remaining: list[int]  # candidates still in play
    low_a: list[int]  # lower bound on rho per candidate: (low_a + t * low_s) / low_d
    low_s: list[int]
    low_d: list[int]

    def copy(self) -> _State:
        return _State(self.base, self.dens[:], self.mult[:], self.cls[:], self.CV[:], self.CS[:],
                      self.CE[:], self.light[:], self.heavy[:], self.W[:],
                      bytearray(self.dead), self.live, self.remaining[:],
                      self.low_a[:], self.low_s[:], self.low_d[:])



_Anchor: TypeAlias = tuple[int, int | None, int, int, int]
"""Money of a candidate's supporters at the start of a round: ``(a, s, D, k, live)``. With a
slope ``s`` it is ``(a + s*t) / D`` at increment ``k + t`` while the run that computed it stays
certified; with ``s = None`` it is a point, ``a / D`` at increment ``k`` only. ``live``: voters
who had not run out of money by then."""


@dataclass(slots=True)
class _Round:
    """One MES round as decided at increment ``base``; valid up to ``base + bound``."""

    base: int
    bound: int | None  # None: unbounded
    selected: int  # candidate bought, -1 for the final round (nothing affordable)
    removed: list[int]  # candidates found unaffordable in this round
    drops: dict[int, int | None]  # removed candidate -> last increment it stays unaffordable
    anchors: dict[int, _Anchor]  # removed candidate -> its supporters' money (see _Anchor)
    poor: list[int]  # budget classes that paid everything
    num: int  # equal share (num + t*nums) / (wr*D); after rescaling by f, exact over g0
    nums: int
    wr: int
    g0: int
    f: int
    lows: list[tuple[int, int, int, int]]  # re-evaluated rivals: (candidate, a, s, d)


@dataclass(slots=True)
class _Eval:
    """A candidate's equal share now: (num + t*nums) / (wr*D); ``poor`` classes pay all.

    ``rho = num / den`` with ``den = wr * cost * D``; ``key`` orders the heap (see _key).
    """

    project: int
    rank: int
    num: int
    nums: int
    wr: int
    den: int
    key: int
    poor: list[int]
    hist: dict[int, int]  # supporters' voters per budget class
    vals: dict[int, int]  # current-denominator budget of those classes

    def beats(self, other: _Eval) -> bool:
        """Smaller rho, ties to the better tie-break rank (exact cross-multiplication)."""
        x = self.num * other.den - other.num * self.den
        return x < 0 or (x == 0 and self.rank < other.rank)


def _cap(steps: int | None, a: int, s: int, strict: bool) -> int | None:
    """Tighten ``steps`` so that ``a + s*t >= 0`` (``> 0`` if strict) holds for t=0..steps."""
    if s >= 0:
        return steps
    t = (a - 1) // -s if strict else a // -s
    if t < 0:  # the comparison does not even hold at t=0: a bug, never silently skip
        raise AssertionError("MES certificate violated at its own run")
    return t if steps is None or t < steps else steps


def _min_bound(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


def _point(anchor: _Anchor, k: int) -> _Anchor:
    """The anchor as a point; one with a slope is taken at increment k (where it holds)."""
    a, s, d, base, live = anchor
    return anchor if s is None else (a + s * (k - base), None, d, k, live)


def _money_bound(ctx: _MesContext, j: int, point: _Anchor, k: int) -> int | None:
    """How many further increments (0 = only k) candidate j stays unaffordable, by a bound.

    Run MES at two increments k1 < k2 and suppose it buys the same projects in the same order
    up to some round. Every budget at the start of that round is then at least as large at k2
    as at k1 (more money means smaller equal shares, by induction over the rounds); a voter
    who has not run out of money at k1 has at least ``(k2 - k1) * increment`` more (the
    equal shares paid were no larger); and all voters together hold exactly
    ``(k2 - k1) * voters * increment`` more (the same projects were paid for in full). So the
    supporters of j, at most ``weights[j]`` voters, gain at most ``voters - live + weights[j]``
    increments' worth, where ``live`` voters had money left at k1: a candidate whose
    supporters had ``a / D`` at increment ``kx`` stays unaffordable while
    ``a / D + (k + t - kx) * rise < cost``. None: not even at k.
    """
    a, _, d, kx, live = point
    step = min(ctx.voters, ctx.voters - live + ctx.weights[j]) * ctx.increment * d
    cost = ctx.costs[j]
    gap = cost * d - a - (k - kx) * step
    return (gap - 1) // step if gap > 0 else None


def _covers(last: int | None, k: int) -> bool:
    """An unaffordability certificate valid up to increment ``last`` (None: for ever) holds at k."""
    return last is None or k <= last


def _until(last: int | None, k: int) -> int | None:
    return None if last is None else last - k


_Entry: TypeAlias = tuple[int, int, int]  # (key of a rho lower bound, tie rank, candidate)
_REFRESH = 3  # skipped rivals re-evaluated per round to lengthen a certificate
_SNAP_EVERY = 4  # Add1 saves the state at the start of every 4th round...
_SNAP_ALL_GROUPS = 1000  # ...or of every round when there are at most this many voter groups
_SHIFT = 96


def _key(a: int, d: int) -> int:
    """Integer heap key of the rational a/d >= 0: floor(a/d * 2**96).

    Keys only order the lazy evaluation; the one decision taken on keys, "the smallest
    remaining lower bound cannot beat the best rho", is taken only when its key exceeds the
    best's key by more than 1, which implies the strict exact inequality (keys are floors).
    """
    return (a << _SHIFT) // d


def _initial_state(ctx: _MesContext, k: int, track: bool) -> _State:
    groups, m, n = len(ctx.group_weights), len(ctx.costs), ctx.n
    return _State(
        base=k,
        dens=[n],
        mult=[1],
        cls=[1] * groups,
        CV=[0, ctx.budget + k * n * ctx.increment],
        CS=[0, n * ctx.increment] if track else [0, 0],
        CE=[0, 0],
        light=list(ctx.light),
        heavy=list(ctx.heavy),
        W=list(ctx.weights),
        dead=bytearray(groups),
        live=ctx.voters,
        remaining=list(range(m)),
        low_a=[1] * m,  # rho >= cost / (cost * supporters)
        low_s=[0] * m,
        low_d=list(ctx.weights),
    )


def _histogram(
    cls: list[int], light: list[int], heavy: list[int], gw: list[int], voters: int
) -> dict[int, int]:
    """Voters per budget class among the given supporting groups (``voters`` in total)."""
    hist: dict[int, int] = {}
    _count(hist, map(cls.__getitem__, light))
    if heavy:
        if voters - len(light) <= 8 * len(heavy):  # expand into voters: C level
            _count(hist, chain.from_iterable(
                map(repeat, map(cls.__getitem__, heavy), map(gw.__getitem__, heavy))))
        else:
            for g in heavy:
                c = cls[g]
                hist[c] = hist.get(c, 0) + gw[g]
    return hist


def _pay(ctx: _MesContext, st: _State, s: int, poor: list[int], q: int, qs: int, f: int,
         track: bool) -> None:
    """Charge the live supporters of s: the equal share ``q / (D*f)`` (slope ``qs``) moves
    each rich class to a new class of the new epoch; poor classes pay all (class _DEAD)."""
    cls, CV, CS, CE, dead = st.cls, st.CV, st.CS, st.CE, st.dead
    if f != 1:
        st.dens.append(st.dens[-1] * f)
        st.mult = [x * f for x in st.mult]
        st.mult.append(1)
    mult = st.mult
    epoch = len(st.dens) - 1
    sp = list(filterfalse(dead.__getitem__, chain(st.light[s], st.heavy[s])))
    old = list(map(cls.__getitem__, sp))
    poor_set = set(poor)
    rich = sorted(set(old) - poor_set)
    first = len(CV)
    scale = list(map(mult.__getitem__, map(CE.__getitem__, rich)))
    CV.extend(map(sub, map(mul, map(CV.__getitem__, rich), scale), repeat(q)))
    if track:
        CS.extend(map(sub, map(mul, map(CS.__getitem__, rich), scale), repeat(qs)))
    else:
        CS.extend(repeat(0, len(rich)))
    CE.extend(repeat(epoch, len(rich)))
    child = dict(zip(rich, range(first, first + len(rich)), strict=True))
    deque(map(cls.__setitem__, sp, map(child.get, old, repeat(_DEAD))), maxlen=0)
    if poor:
        died = list(compress(sp, map(poor_set.__contains__, old)))
        deque(map(dead.__setitem__, died, repeat(1)), maxlen=0)
        st.live -= sum(map(ctx.group_weights.__getitem__, died))


def _rounds(
    ctx: _MesContext,
    st: _State,
    first_round: int,
    *,
    track: bool,
    explain: bool,
    log: list[_Round] | None = None,
    snaps: dict[int, _State] | None = None,
    snap_every: int = 1,
    bound_so_far: int | None = None,
    carried: dict[int, int | None] | None = None,
    previous: list[_Round] | None = None,
) -> tuple[list[int], list[_Bought]]:
    """Run MES rounds from state ``st`` (mutated) until nothing is affordable.

    With ``track`` every round's certificate bound is appended to ``log`` (with what a replay
    needs) and the state at the start of every ``snap_every``-th round is saved in ``snaps``.
    ``bound_so_far`` is the bound of rounds already fixed; work that cannot lower it is skipped.
    ``carried``: unaffordability certificates (candidate -> last increment) of the first round,
    from an earlier run that started this round from the same affine state; the candidates
    they still cover are dropped without being evaluated. ``previous``: the rounds from
    ``first_round`` on of the run before this one (at increment ``k - 1`` at the latest); while
    this run buys the same projects in the same order, their money anchors bound the money of
    the candidates they dropped (see :func:`_money_bound`).
    """
    costs, ranks, gw = ctx.costs, ctx.ranks, ctx.group_weights
    light, heavy, W, dead = st.light, st.heavy, st.W, st.dead
    low_a, low_s, low_d, dens = st.low_a, st.low_s, st.low_d, st.dens
    k = st.base
    heap: list[_Entry] = [(_key(low_a[j], low_d[j]), ranks[j], j) for j in st.remaining]
    heapq.heapify(heap)
    bought: list[_Bought] = []
    selected: list[int] = []
    glob = bound_so_far
    rnd = first_round
    removed: list[int] = []
    drops: dict[int, int | None] = {}
    anchors: dict[int, _Anchor] = {}
    earlier: dict[int, _Anchor] = {}  # anchors of this round in the previous run
    rb: int | None = None

    def evaluate(j: int) -> _Eval | None:
        """Equal share of candidate j now; None (and j is dropped) if unaffordable."""
        nonlocal rb
        if j in earlier:
            point = _point(earlier[j], k - 1)
            t_j = _money_bound(ctx, j, point, k)
            limit = _min_bound(glob, rb)
            if t_j is not None and (rb == 0 or (limit is not None and t_j >= limit)):
                removed.append(j)  # as good as an exact count: no need for one
                anchors[j] = point
                if rb != 0:
                    rb = _min_bound(rb, t_j)  # not carried (see ``carried``): checked again
                return None
        c = costs[j]
        CV, CE, mult = st.CV, st.CE, st.mult
        D = dens[-1]
        num = c * D  # cost minus what exhausted supporters pay, times D
        wr = W[j]  # voters paying the equal share
        hist = _histogram(st.cls, light[j], heavy[j], gw, wr)
        if 2 * hist.get(_DEAD, 0) >= wr:
            # Exhausted supporters (class _DEAD, budget 0) change nothing but cost counting:
            # drop them from j's lists once they are half its voters (pruning earlier cost
            # more than it saved on the shared instances; every run prunes its own states).
            light[j] = list(filterfalse(dead.__getitem__, light[j]))
            heavy[j] = list(filterfalse(dead.__getitem__, heavy[j]))
            W[j] = len(light[j]) + sum(map(gw.__getitem__, heavy[j]))
        vals = {cl: CV[cl] * mult[CE[cl]] for cl in hist}
        money = sum([hist[cl] * v for cl, v in vals.items()])
        if money < num:  # unaffordable: dropped for good; stays so while a + s*t > 0
            removed.append(j)
            if track and rb != 0:
                CS = st.CS
                slope = sum([hist[cl] * CS[cl] * mult[CE[cl]] for cl in hist])
                t_j = _cap(None, num - money, -slope, True)
                drops[j] = None if t_j is None else k + t_j
                rb = _min_bound(rb, t_j)
                anchors[j] = (money, slope, D, k, st.live)
            elif track:
                anchors[j] = (money, None, D, k, st.live)
            return None
        poor: list[int] = []
        nums = 0
        if min(vals.values()) * wr < num:  # somebody cannot pay the equal share
            order = sorted(vals, key=vals.__getitem__)
            if len(order) <= 24:
                for cl in order:
                    v = vals[cl]
                    if num <= v * wr:
                        break
                    w = hist[cl]
                    num -= w * v
                    wr -= w
                    poor.append(cl)
            else:  # many classes: prefix sums and bisection (C level)
                vs = list(map(vals.__getitem__, order))
                ws = list(map(hist.__getitem__, order))
                cw = list(accumulate(ws))
                cwv: list[int] = list(accumulate(map(mul, ws, vs)))

                def rich(x: int) -> bool:
                    if x == 0:
                        return num <= vs[0] * wr
                    return num - cwv[x - 1] <= vs[x] * (wr - cw[x - 1])

                x = bisect_left(range(len(order)), True, key=rich)
                if x:
                    num -= cwv[x - 1]
                    wr -= cw[x - 1]
                    poor = order[:x]
            if track and poor and rb != 0:
                CS = st.CS
                nums = -sum([hist[cl] * CS[cl] * mult[CE[cl]] for cl in poor])
        den = wr * c * D
        return _Eval(j, ranks[j], num, nums, wr, den, _key(num, den), poor, hist, vals)

    while True:
        if snaps is not None and rnd % snap_every == 0 and rnd not in snaps and glob != 0:
            saved = st.copy()
            saved.remaining = [e[2] for e in heap]
            saved.base = k
            snaps[rnd] = saved
        removed = []
        drops = {}
        anchors = {}
        rb = None
        if track and glob == 0:
            rb = 0  # an earlier round already fails at the next increment: skip certificates
        earlier = {}
        if previous is not None and rnd - first_round < len(previous):
            earlier = previous[rnd - first_round].anchors
        if carried:
            covered = {p for p, last in carried.items() if _covers(last, k)}
            for p in [e[2] for e in heap if e[2] in covered]:
                removed.append(p)
                drops[p] = carried[p]
                if p in earlier:
                    anchors[p] = _point(earlier[p], k - 1)
                rb = _min_bound(rb, _until(carried[p], k))
            if removed:
                heap = [e for e in heap if e[2] not in covered]
                heapq.heapify(heap)
            carried = None
        best: _Eval | None = None
        evaluated: list[_Eval] = []
        while heap:
            if best is not None and heap[0][0] > best.key + 1:
                break  # every remaining lower bound exceeds the best rho (see _key)
            ev = evaluate(heapq.heappop(heap)[2])
            if ev is None:
                continue
            evaluated.append(ev)
            if best is None or ev.beats(best):
                best = ev
        if best is None:
            if log is not None:
                log.append(_Round(k, rb, -1, removed, drops, anchors, [], 0, 0, 1, 1, 1, []))
            break
        D = dens[-1]
        s = best.project
        if previous is not None:
            at = rnd - first_round
            if at >= len(previous) or previous[at].selected != s:
                previous = None  # a different purchase: the anchors no longer apply
        num_s, nums_s, wr_s, poor_s, den_s = best.num, best.nums, best.wr, best.poor, best.den
        lows: list[tuple[int, int, int, int]] = []
        refreshed_ids: set[int] = set()
        if track and rb != 0:
            CS, CE, mult = st.CS, st.CE, st.mult
            # 1. Exhausted supporters of s stay unable to pay the equal share.
            for cl in poor_s:
                if cl != _DEAD:
                    rb = _cap(rb, num_s - best.vals[cl] * wr_s,
                              nums_s - CS[cl] * mult[CE[cl]] * wr_s, True)
            # 2. Evaluated rivals keep losing (their rho is exact, or a lower bound).
            for ev in evaluated:
                if ev is not best:
                    rb = _cap(rb, ev.num * den_s - num_s * ev.den,
                              ev.nums * den_s - nums_s * ev.den, ev.rank < best.rank)
            # 3. Skipped rivals: their lower bound keeps losing. The few whose bound would
            #    limit the run most are evaluated now, for an exact (later) bound.
            crossings: list[tuple[int, int, bool]] = []
            for _, rank_p, p in heap:
                strict = rank_p < best.rank
                t_p = _cap(None, low_a[p] * den_s - num_s * low_d[p],
                           low_s[p] * den_s - nums_s * low_d[p], strict)
                if t_p is not None:
                    crossings.append((t_p, p, strict))
            crossings.sort()
            gone: set[int] = set()
            for t_p, p, strict in crossings:
                limit = _min_bound(glob, rb)
                if limit is not None and t_p >= limit:
                    break
                if len(gone) >= _REFRESH:
                    rb = _min_bound(rb, t_p)
                    continue
                gone.add(p)
                ev2 = evaluate(p)
                if ev2 is None:
                    continue
                rb = _cap(rb, ev2.num * den_s - num_s * ev2.den,
                          ev2.nums * den_s - nums_s * ev2.den, strict)
                low_a[p], low_s[p], low_d[p] = ev2.num, ev2.nums, ev2.den
                lows.append((p, ev2.num, ev2.nums, ev2.den))
                refreshed_ids.add(p)
                evaluated.append(ev2)
            if gone:
                heap = [item for item in heap if item[2] not in gone]
                heapq.heapify(heap)
        for ev in evaluated:
            if ev is best:
                continue
            p = ev.project
            heapq.heappush(heap, (ev.key, ev.rank, p))
            if p in refreshed_ids:
                continue
            low_a[p], low_s[p], low_d[p] = ev.num, ev.nums, ev.den
            lows.append((p, ev.num, ev.nums, ev.den))
        if explain:
            bought.append(_Bought(s, rnd + 1, Fraction(num_s, den_s), num_s, wr_s * D,
                                  _payments(st, s, best.vals, set(poor_s), num_s, wr_s, gw)))
        # Pay. The new budgets are whole numbers over D * f.
        g0 = gcd(num_s, wr_s, nums_s)
        f = wr_s // g0
        # A round bounded to its own increment is never replayed at another one, and the
        # states after it are never reused: slopes are not needed from here on.
        _pay(ctx, st, s, poor_s, num_s // g0, nums_s // g0, f, track and rb != 0)
        if log is not None:
            log.append(_Round(k, rb, s, removed, drops, anchors, poor_s, num_s, nums_s, wr_s, g0, f, lows))
        glob = _min_bound(glob, rb)
        selected.append(s)
        rnd += 1
    st.remaining = [e[2] for e in heap]
    return selected, bought


def _replay(ctx: _MesContext, st: _State, rec: _Round) -> None:
    """Apply a logged round to ``st`` (at increment ``st.base``, within the round's bound)."""
    if rec.removed or rec.selected >= 0:
        gone = {*rec.removed, rec.selected}
        st.remaining = [j for j in st.remaining if j not in gone]
    delta = st.base - rec.base
    for p, a, s_, d in rec.lows:
        st.low_a[p], st.low_s[p], st.low_d[p] = a + delta * s_, s_, d
    if rec.selected >= 0:
        _pay(ctx, st, rec.selected, rec.poor, (rec.num + delta * rec.nums) // rec.g0,
             rec.nums // rec.g0, rec.f, True)


def _payments(st: _State, s: int, vals: dict[int, int], poor: set[int], num: int, wr: int,
              gw: list[int]) -> _Payments:
    """Per-group payments for s (amounts over wr * D): the equal share, or all they have."""
    live = sorted(filterfalse(st.dead.__getitem__, chain(st.light[s], st.heavy[s])))
    classes = list(map(st.cls.__getitem__, live))
    exhausted = list(map(poor.__contains__, classes))
    amounts = [num] * len(live)
    for i in compress(range(len(live)), exhausted):
        amounts[i] = vals[classes[i]] * wr
    if 0 in amounts:  # exhausted with nothing left: they paid nothing
        paid = amounts
        live = list(compress(live, paid))
        exhausted = list(compress(exhausted, paid))
        amounts = list(compress(amounts, paid))
    return tuple(live), tuple(map(gw.__getitem__, live)), tuple(amounts), tuple(exhausted)


def _rebase(st: _State, k: int) -> _State:
    """A copy of a saved state evaluated at increment k (affine data re-expressed at k)."""
    out = st.copy()
    delta = k - st.base
    out.base = k
    if delta:
        out.CV = list(map(add, st.CV, map(delta.__mul__, st.CS)))
        out.low_a = list(map(add, st.low_a, map(delta.__mul__, st.low_s)))
    return out


def _replay_explained(
    ctx: _MesContext, rounds: list[_Round], k: int
) -> tuple[list[int], list[_Bought], _State]:
    """Payments of a certified run at increment k, by replaying its log (no evaluations)."""
    st = _initial_state(ctx, k, False)
    gw, costs = ctx.group_weights, ctx.costs
    selected: list[int] = []
    bought: list[_Bought] = []
    for number, rec in enumerate(rounds, start=1):
        s = rec.selected
        if s < 0:
            break
        num = rec.num + (k - rec.base) * rec.nums
        D, mult = st.dens[-1], st.mult
        vals = {cl: st.CV[cl] * mult[st.CE[cl]] for cl in rec.poor}  # what the poor pay
        pays = _payments(st, s, vals, set(rec.poor), num, rec.wr, gw)
        bought.append(_Bought(s, number, Fraction(num, rec.wr * costs[s] * D), num,
                              rec.wr * D, pays))
        _pay(ctx, st, s, rec.poor, num // rec.g0, 0, rec.f, False)
        selected.append(s)
    return selected, bought, st


class _Add1:
    """pabutools' iterated MES (``voter_budget_increment`` of one currency unit), certified.

    Each run logs, per round, up to which increment its decisions provably stay the same, and
    saves the state at round starts. The next run jumps to the first increment where some round
    may change and recomputes from that round only (replaying logged rounds from the nearest
    saved state), so most of the work of consecutive increments is shared.
    """

    def __init__(self, ctx: _MesContext) -> None:
        self.ctx = ctx
        self.log: list[_Round] = []
        self.snaps: dict[int, _State] = {}
        # Saved states hold one class id per group plus the class tables; replaying a few
        # logged rounds is cheaper than saving every round, except for small states, where
        # a replayed round's fixed cost exceeds a copy's (measured on the shared instances).
        small = len(ctx.group_weights) <= _SNAP_ALL_GROUPS
        self.snap_every = 1 if small else _SNAP_EVERY
        self.runs = 0

    def run(self, k: int) -> tuple[list[int], int | None]:
        """Outcome at increment k, and how many further increments keep it."""
        self.runs += 1
        log = self.log
        r0 = 0
        while r0 < len(log):
            rec = log[r0]
            if rec.bound is not None and k > rec.base + rec.bound:
                break
            r0 += 1
        if r0 == len(log) and log:
            raise AssertionError("Add1 re-ran an increment its certificate covers")
        for r in [r for r in self.snaps if r > r0]:
            del self.snaps[r]
        carried: dict[int, int | None] | None = None
        previous: list[_Round] | None = None
        if not log:
            st = _initial_state(self.ctx, k, True)
            start = 0
        else:
            start = max(r for r in self.snaps if r <= r0)
            st = _rebase(self.snaps[start], k)
            for r in range(start, r0):
                _replay(self.ctx, st, log[r])
            carried = log[r0].drops
            previous = log[r0:]
            del log[r0:]
            start = r0
        fixed: int | None = None
        for rec in log:
            if rec.bound is not None:
                fixed = _min_bound(fixed, rec.base + rec.bound - k)
        _rounds(self.ctx, st, start, track=True, explain=False, log=log, snaps=self.snaps,
                snap_every=self.snap_every, bound_so_far=fixed,
                carried=carried, previous=previous)
        steps: int | None = None
        for rec in log:
            if rec.bound is not None:
                steps = _min_bound(steps, rec.base + rec.bound - k)
        return [rec.selected for rec in log if rec.selected >= 0], steps

    def outcome(self, budget: int) -> tuple[list[int], int, list[_Round]]:
        """(kept outcome, its increment, its certified log) by pabutools' stopping rule."""
        costs = self.ctx.costs
        # Once every voter alone holds the cost of all candidates, MES buys them all: the
        # outcome is then over budget or exhaustive, so the loop must have stopped by then.
        last = sum(costs) // self.ctx.increment + 1
        k = 0
        prev: list[int] = []
        prev_log: list[_Round] = []
        while True:
            if k > last:
                raise AssertionError("Add1 ran past the increment where it must stop")
            selected, steps = self.run(k)
            chosen = set(selected)
            total = sum(costs[j] for j in chosen)
            if total > budget:
                return prev, k - 1, prev_log
            if all(total + costs[j] > budget for j in range(len(costs)) if j not in chosen):
                return selected, k, list(self.log)
            if steps is None:  # cannot happen: affordability constraints always bound t
                raise RuntimeError("Add1 made no progress")
            prev, prev_log = selected, list(self.log)
            k += steps + 1


def _mes_once(
    ctx: _MesContext, k: int, explain: bool
) -> tuple[list[int], list[_Bought], _State]:
    st = _initial_state(ctx, k, False)
    selected, bought = _rounds(ctx, st, 0, track=False, explain=explain)
    return selected, bought, st


def _mes_context(
    instance: Instance, prep: _Prepared, eligible: list[int], ranks: list[int], merge: bool
) -> tuple[_MesContext, list[int], list[int]]:
    """Candidates (eligible, supported, positive cost) and voter groups for MES.

    Voters who support the same candidates form one group. Returns the context, the candidates
    (instance positions) and each distinct ballot's group (-1: supports no candidate). Without
    ``merge`` (approval ballots, every project a candidate) each distinct ballot is a group.
    """
    projects = instance.projects
    cand = [i for i in eligible if projects[i].cost > 0 and prep.supporters[i] > 0]
    group_weights: list[int]
    group_projects: list[tuple[int, ...]]
    if not merge and len(cand) == len(projects):  # candidate j is project j
        group_weights = list(prep.counts)
        group_projects = prep.positions
        group_of_slot = list(range(len(prep.positions)))
    else:
        loc = [-1] * len(projects)
        for j, i in enumerate(cand):
            loc[i] = j
        outside = frozenset({-1})
        group_of: dict[frozenset[int], int] = {}
        group_weights, group_projects, group_of_slot = [], [], []
        get = loc.__getitem__
        for pos, count in zip(prep.positions, prep.counts, strict=True):
            key = frozenset(map(get, pos))
            if -1 in key:
                key = key - outside
            if not key:
                group_of_slot.append(-1)
                continue
            g = group_of.get(key)
            if g is None:
                g = group_of[key] = len(group_weights)
                group_weights.append(count)
                group_projects.append(tuple(sorted(key)))
            else:
                group_weights[g] += count
            group_of_slot.append(g)
    supporters: list[list[int]] = [[] for _ in cand]
    for g, members in enumerate(group_projects):
        for j in members:
            supporters[j].append(g)
    weights = [sum(map(group_weights.__getitem__, sup)) for sup in supporters]
    single = [w == 1 for w in group_weights]
    ctx = _MesContext(
        costs=[projects[i].cost for i in cand],
        ranks=[ranks[i] for i in cand],
        supporters=supporters,
        light=[list(compress(sup, map(single.__getitem__, sup))) for sup in supporters],
        heavy=[list(filterfalse(single.__getitem__, sup)) for sup in supporters],
        weights=weights,
        group_weights=group_weights,
        group_projects=group_projects,
        n=prep.n,
        voters=sum(group_weights),
        budget=instance.budget,
        increment=instance.unit_scale,
    )
    return ctx, cand, group_of_slot


def _group_members(
    prep: _Prepared, group_of_slot: list[int], group_weights: list[int]
) -> tuple[tuple[int, ...], ...]:
    """Ballot indices of each group, ascending (one C-level stable sort by group)."""
    assert prep.ballot_slots is not None
    gids = list(map(group_of_slot.__getitem__, prep.ballot_slots))
    order = sorted(range(len(gids)), key=gids.__getitem__)
    start = len(gids) - sum(group_weights)  # voters supporting no candidate sort first (-1)
    out = []
    for w in group_weights:
        out.append(tuple(order[start:start + w]))
        start += w
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Entry point


def tally(
    instance: Instance,
    profile: Profile,
    rule: Rule | str,
    *,
    tie_break: TieBreak | str | Sequence[str] = TieBreak.LEXICOGRAPHIC,
    min_supporters: int | None = None,
    explain: bool = True,
) -> TallyResult:
    """Count a participatory budgeting vote with one of the :class:`Rule` s.

    ``tie_break``: a :class:`TieBreak` name or an explicit order of all project ids (first wins).
    ``min_supporters``: projects listed on fewer ballots are not eligible (``below_threshold``).
    ``explain``: with ``False`` MES payments are not itemised (faster); codes are always given.
    Raises ``ValueError`` for a rule that does not apply to the vote type, unknown project ids
    in ballots, or missing points.
    """
    rule = Rule(rule)
    vote_type = VoteType(profile.vote_type)
    if rule not in applicable_rules(vote_type):
        raise ValueError(f"rule {rule} does not apply to {vote_type} ballots")
    if min_supporters is not None and (not _is_int(min_supporters) or min_supporters < 0):
        raise ValueError("min_supporters must be a non-negative integer")
    ranks = _tie_ranks(instance, tie_break)
    normalised_tb: TieBreak | tuple[str, ...] = (
        TieBreak(tie_break) if isinstance(tie_break, str) else tuple(tie_break)
    )
    is_mes = rule in (Rule.MES_COST, Rule.MES_COST_COMPLETED)
    prep = _prepare(instance, profile, want_members=is_mes and explain)
    projects = instance.projects
    m = len(projects)
    if rule in (Rule.GREEDY_SCORE, Rule.GREEDY_POINTS):
        offset = 1 if rule is Rule.GREEDY_SCORE else 0  # Borda K-1..0 / Krakow K..1
        points = _total_points(prep, vote_type, m, offset)
    else:
        points = [0] * m
    threshold = min_supporters or 0
    eligible = [i for i in range(m) if prep.supporters[i] >= threshold]
    by_rank = sorted(eligible, key=ranks.__getitem__)

    decided: dict[int, ProjectExplanation] = {}
    selected: list[int] = []

    def record(i: int, code: ReasonCode, stage: Stage, **numbers: object) -> None:
        if code is ReasonCode.FUNDED:
            numbers["selection_index"] = len(selected)
            selected.append(i)
        decided[i] = ProjectExplanation(
            project_id=projects[i].id,
            code=code,
            cost=projects[i].cost,
            supporters=prep.supporters[i],
            stage=stage,
            **numbers,  # type: ignore[arg-type]
        )

    def greedy_pass(stage: Stage, candidates: list[int], remaining: int, grule: Rule) -> None:
        for i, fits, before, key in _greedy(
            grule, vote_type, candidates, instance, prep.supporters, points, ranks, remaining
        ):
            extra: dict[str, object] = {"remaining_budget": before, "greedy_key": key}
            if grule in (Rule.GREEDY_SCORE, Rule.GREEDY_POINTS):
                extra["total_points"] = points[i]
            code = ReasonCode.FUNDED if fits else ReasonCode.OVER_BUDGET_REMAINING
            record(i, code, stage, **extra)

    groups: tuple[tuple[int, ...], ...] = ()
    voter_budget: Fraction | None = None
    increments: int | None = None
    runs: int | None = None
    if not is_mes:
        greedy_pass(Stage.GREEDY, by_rank, instance.budget, rule)
    else:
        merge = vote_type not in (VoteType.APPROVAL, VoteType.CHOOSE_ONE)
        ctx, cand, group_of_slot = _mes_context(instance, prep, eligible, ranks, merge)
        left: dict[int, Fraction] = {}
        runs = 0
        if prep.n:  # pabutools returns the empty outcome when nobody voted
            k = 0
            if rule is Rule.MES_COST_COMPLETED:
                engine = _Add1(ctx)
                outcome, k, certified = engine.outcome(instance.budget)
                runs = engine.runs
                bought: list[_Bought] = []
                if explain:
                    order, bought, state = _replay_explained(ctx, certified, k)
                    if order != outcome:
                        raise AssertionError("MES replay disagrees with its certified outcome")
            else:
                outcome, bought, state = _mes_once(ctx, k, explain)
                runs = 1
                if explain:
                    chosen = set(outcome)
                    gw, cls, CV, CE = ctx.group_weights, state.cls, state.CV, state.CE
                    mult = state.mult
                    for j in range(len(cand)):
                        if j not in chosen:
                            money = sum(gw[g] * CV[cls[g]] * mult[CE[cls[g]]]
                                        for g in ctx.supporters[j])
                            left[j] = Fraction(money, state.dens[-1])
            if explain:
                for b in bought:
                    record(cand[b.project], ReasonCode.FUNDED, Stage.MES,
                           mes=MesFunding(b.round, b.rho, Fraction(b.num, b.unit), b.unit,
                                          *b.payments))
                groups = _group_members(prep, group_of_slot, ctx.group_weights)
            else:
                for j in outcome:
                    record(cand[j], ReasonCode.FUNDED, Stage.MES)
            voter_budget = Fraction(instance.budget + k * prep.n * instance.unit_scale, prep.n)
            increments = k
        if rule is Rule.MES_COST:
            local = {i: j for j, i in enumerate(cand)}
            for i in by_rank:
                if i not in decided:
                    cj = local.get(i)
                    record(i, ReasonCode.MES_INSUFFICIENT_SUPPORT, Stage.MES,
                           supporters_budget_left=left.get(cj) if cj is not None else None)
        else:
            spent = sum(projects[i].cost for i in selected)
            rest = [i for i in by_rank if i not in decided]
            greedy_pass(Stage.COMPLETION, rest, instance.budget - spent, Rule.GREEDY_COST)

    explanations = []
    for i, p in enumerate(projects):
        e = decided.get(i)
        if e is None:
            e = ProjectExplanation(p.id, ReasonCode.BELOW_THRESHOLD, p.cost, prep.supporters[i])
        explanations.append(e)
    return TallyResult(
        rule=rule,
        tie_break=normalised_tb,
        budget=instance.budget,
        unit_scale=instance.unit_scale,
        selected=tuple(projects[i].id for i in selected),
        total_cost=sum(projects[i].cost for i in selected),
        explanations=tuple(explanations),
        groups=groups,
        voter_budget=voter_budget,
        budget_increments=increments,
        mes_runs=runs,
    )
