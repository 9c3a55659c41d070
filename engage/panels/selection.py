"""Citizens' panel selection by sortition.

Pure Python (standard library, numpy and highspy only): no Flask, no database, no other
``engage`` modules.  Everything that goes in and comes out is a frozen dataclass.

Algorithms
----------
``leximin``
    The distribution over quota-satisfying panels that maximises the smallest selection
    probability of any volunteer, then the second smallest, and so on (Flanigan, Gölz, Gupta,
    Hennig and Procaccia, "Fair algorithms for selecting citizens' assemblies", Nature 2021).
    One panel is then drawn from that distribution with ``random.Random(seed)``.

    How it is computed (all LPs and MIPs with HiGHS, single-threaded, fixed options):

    1. Volunteers who are interchangeable (same value on every feature and not in a
       multi-person household) are merged into *classes*; the leximin probabilities are equal
       inside a class, and a panel is described by how many people it takes from each class.
    2. The leximin point of the LP relaxation of the panel polytope is computed stage by stage
       (maximise the smallest unfixed probability, fix the classes that have a positive
       interior-point dual, repeat).  Because every distribution over panels gives a point of
       that relaxation, this point is an upper bound in the leximin order.
    3. Column generation tries to write that point as a distribution over real panels: an LP
       master over the panels found so far, a pricing problem (a MIP over class counts, tried
       first as its LP relaxation, then with a cheap fix-and-solve heuristic) that finds the
       panel maximising the dual-weighted sum, and "herding" (greedy panels chasing the
       running residual) to produce good initial panels.  When the master reaches the target
       the distribution is leximin-optimal, since nothing can beat the upper bound.
    4. Otherwise (the relaxation's point is not a mixture of panels) the exact stage-wise
       leximin column generation of Flanigan et al. runs, warm-started with all panels found:
       per stage an LP master with the fixed probabilities, exact MIP pricing, and fixing of the
       classes with positive interior-point duals.
    5. Class-count panels are turned into panels of people by rotating through each class so
       that class members get equal probability, and an LP picks a basic (small) distribution
       with the same selection probabilities.

``legacy``
    The sequential random method of the Sortition Foundation's original "stratified selection":
    repeatedly pick the category most in need (``(min - selected) / remaining``), pick a random
    remaining person in it, remove categories that are full and housemates of the selected
    person; retry on failure.  Fast, but with no fairness guarantee.

Besides selection: :func:`check_feasibility` (error codes and numbers, never English text),
:func:`select_replacements` and :func:`quotas_from_profile`.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import highspy
import numpy as np
import numpy.typing as npt

__all__ = [
    "ALGORITHMS",
    "Distribution",
    "FeasibilityIssue",
    "FeasibilityReport",
    "InfeasibleSelectionError",
    "PanelWeight",
    "Person",
    "Quota",
    "ReplacementResult",
    "SelectionRequest",
    "SelectionResult",
    "SolveStats",
    "check_feasibility",
    "find_leximin_distribution",
    "quotas_from_profile",
    "select_panel",
    "select_replacements",
]

Algorithm = Literal["leximin", "legacy"]
ALGORITHMS: Final[tuple[str, ...]] = ("leximin", "legacy")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Numerical tolerances (probabilities are in [0, 1]).
_RC_EPS: Final = 1e-8  # a column must improve the master by more than this to be added
_DECOMPOSED_TOL: Final = 1e-7  # master shortfall below which the target counts as reached
_POLISH_TOL: Final = 1e-9  # ... after which column generation polishes down to this
_POLISH_ROUNDS: Final = 200
_FIX_SLACKS: Final = (0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5)  # tried in turn if a stage is infeasible
_INTEGRAL_TOL: Final = 1e-6
_INF: Final = highspy.kHighsInf
_LEGACY_MAX_ATTEMPTS: Final = 100
_MAX_ENUMERATED: Final = 12
_REDUCTION_MAX_NONZEROS: Final = 100_000  # size cap for the LP that shrinks the distribution


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A volunteer in the pool.

    ``features`` holds ``(feature, value)`` pairs; ``household`` is a key shared by people who
    live at the same address (``None``: the person is their own household).
    """

    id: str
    features: tuple[tuple[str, str], ...]
    household: str | None = None

    @classmethod
    def create(
        cls, person_id: str, features: Mapping[str, str], household: str | None = None
    ) -> Person:
        """Build a person from a mapping of feature -> value."""
        return cls(person_id, tuple(features.items()), household)

    def value(self, feature: str) -> str | None:
        """This person's value for ``feature``, or ``None``."""
        for name, value in self.features:
            if name == feature:
                return value
        return None


@dataclass(frozen=True)
class Quota:
    """Panel target for one value of one feature: between ``min`` and ``max`` people.

    ``min_flex``/``max_flex`` (as in the Sortition Foundation's features files) bound how far
    :func:`check_feasibility` may suggest relaxing the quota; ``max_flex=None`` means no bound.
    """

    feature: str
    value: str
    min: int
    max: int
    min_flex: int = 0
    max_flex: int | None = None


@dataclass(frozen=True)
class FeasibilityIssue:
    """One reason why a selection cannot be made, as a code plus numbers.

    ``needed``/``available`` are counts whose meaning depends on ``code`` (for example
    ``too_few_volunteers``: the quota minimum and the number of volunteers with the value);
    ``current``/``suggested`` are used by the ``relax_min``/``relax_max`` suggestions.
    """

    code: str
    feature: str | None = None
    value: str | None = None
    needed: int | None = None
    available: int | None = None
    person_id: str | None = None
    current: int | None = None
    suggested: int | None = None

    def as_dict(self) -> dict[str, str | int]:
        """The issue as a dict without the unused fields."""
        out: dict[str, str | int] = {"code": self.code}
        for key in ("feature", "value", "needed", "available", "person_id", "current", "suggested"):
            item = getattr(self, key)
            if item is not None:
                out[key] = item
        return out


@dataclass(frozen=True)
class FeasibilityReport:
    """Result of :func:`check_feasibility`."""

    feasible: bool
    issues: tuple[FeasibilityIssue, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(issue.code for issue in self.issues)

    def as_dicts(self) -> list[dict[str, str | int]]:
        return [issue.as_dict() for issue in self.issues]


class InfeasibleSelectionError(Exception):
    """Raised when no panel can be selected; ``report`` says why (as codes)."""

    def __init__(self, report: FeasibilityReport) -> None:
        super().__init__(", ".join(report.codes) or "infeasible")
        self.report = report


@dataclass(frozen=True)
class PanelWeight:
    """One panel of a distribution (sorted ids) and its probability."""

    members: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class SolveStats:
    """Diagnostics of a run (not part of result equality)."""

    seconds: float = 0.0
    classes: int = 0
    lp_solves: int = 0
    mip_solves: int = 0
    columns: int = 0
    herding_columns: int = 0
    relaxation_stages: int = 0
    exact_stages: int = 0
    relaxation_attained: bool = False
    legacy_attempts: int = 0
    expanded_panels: int = 0
    #: wall time per phase, e.g. ``(("relaxation", 0.1), ("herding", 2.0), ...)``
    phase_seconds: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Distribution:
    """A leximin distribution over panels and the resulting selection probabilities."""

    panels: tuple[PanelWeight, ...]
    probabilities: tuple[tuple[str, float], ...]
    stats: SolveStats = field(compare=False)

    def probability_map(self) -> dict[str, float]:
        return dict(self.probabilities)

    @property
    def min_probability(self) -> float:
        return min((p for _, p in self.probabilities), default=0.0)


@dataclass(frozen=True)
class SelectionRequest:
    """Everything a selection depends on."""

    people: tuple[Person, ...]
    quotas: tuple[Quota, ...]
    k: int
    seed: int
    algorithm: Algorithm = "leximin"
    respect_households: bool = True
    #: legacy only: number of extra simulated runs used to estimate selection probabilities
    legacy_estimate_runs: int = 100


@dataclass(frozen=True)
class SelectionResult:
    """A selected panel, with how it was chosen."""

    panel: tuple[str, ...]
    #: ``(person id, selection probability)`` for every person in the pool, sorted by id
    #: (legacy: a Monte Carlo estimate, empty when ``legacy_estimate_runs`` is 0)
    probabilities: tuple[tuple[str, float], ...]
    seed: int
    k: int
    quotas: tuple[Quota, ...]
    algorithm: str
    respect_households: bool
    #: leximin: the distribution the panel was drawn from; legacy: ``None``
    distribution: tuple[PanelWeight, ...] | None
    #: True for legacy, where probabilities are a Monte Carlo estimate
    probabilities_estimated: bool = False
    stats: SolveStats = field(default_factory=SolveStats, compare=False)

    def probability_map(self) -> dict[str, float]:
        return dict(self.probabilities)

    @property
    def min_probability(self) -> float:
        return min((p for _, p in self.probabilities), default=0.0)


@dataclass(frozen=True)
class ReplacementResult:
    """Replacements for withdrawn panel members."""

    replacements: tuple[str, ...]
    #: the new panel: staying members plus replacements, sorted
    panel: tuple[str, ...]
    #: quotas that the replacements had to meet, given who stays
    adjusted_quotas: tuple[Quota, ...]
    #: the selection among the remaining pool (``None`` when nobody needed replacing)
    selection: SelectionResult | None


# --------------------------------------------------------------------------------------------
# Validation and the internal instance
# --------------------------------------------------------------------------------------------


@dataclass
class _Instance:
    ids: tuple[str, ...]  # sorted
    k: int
    groups: tuple[tuple[str, str], ...]  # (feature, value) per group index
    group_feature: tuple[int, ...]  # feature index of each group
    features: tuple[str, ...]
    mins: IntArray
    maxs: IntArray
    value_group: IntArray  # n x F group index of each person's value
    households: tuple[tuple[int, ...], ...]  # households with >= 2 people (if respected)
    household_of: tuple[int, ...]  # household unit index of each person

    @property
    def n(self) -> int:
        return len(self.ids)


def _feature_order(quotas: Sequence[Quota]) -> tuple[tuple[str, ...], dict[str, list[int]]]:
    features: list[str] = []
    by_feature: dict[str, list[int]] = {}
    for index, quota in enumerate(quotas):
        if quota.feature not in by_feature:
            features.append(quota.feature)
            by_feature[quota.feature] = []
        by_feature[quota.feature].append(index)
    return tuple(features), by_feature


def _data_issues(
    people: Sequence[Person], quotas: Sequence[Quota], k: int
) -> list[FeasibilityIssue]:
    """Problems with the inputs themselves (bad ids, bad quotas, unknown values)."""
    issues: list[FeasibilityIssue] = []
    if k < 1:
        issues.append(FeasibilityIssue("invalid_panel_size", needed=1, available=k))
    seen_ids: set[str] = set()
    for person in people:
        if not person.id:
            issues.append(FeasibilityIssue("empty_person_id"))
        elif person.id in seen_ids:
            issues.append(FeasibilityIssue("duplicate_person_id", person_id=person.id))
        seen_ids.add(person.id)
    seen_pairs: set[tuple[str, str]] = set()
    for quota in quotas:
        pair = (quota.feature, quota.value)
        if pair in seen_pairs:
            issues.append(FeasibilityIssue("duplicate_quota", quota.feature, quota.value))
        seen_pairs.add(pair)
        if quota.min < 0 or quota.max < 0:
            issues.append(
                FeasibilityIssue("negative_quota", quota.feature, quota.value, quota.min, quota.max)
            )
        elif quota.min > quota.max:
            issues.append(
                FeasibilityIssue(
                    "min_greater_than_max", quota.feature, quota.value, quota.min, quota.max
                )
            )
    features, by_feature = _feature_order(quotas)
    values = {f: {quotas[i].value for i in idx} for f, idx in by_feature.items()}
    for person in sorted(people, key=lambda p: p.id):
        own = dict(person.features)
        for feature in features:
            value = own.get(feature)
            if value is None:
                issues.append(
                    FeasibilityIssue("missing_feature_value", feature, person_id=person.id)
                )
            elif value not in values[feature]:
                issues.append(
                    FeasibilityIssue("value_without_quota", feature, value, person_id=person.id)
                )
    return issues


def _build_instance(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    respect_households: bool,
    *,
    keep_quota_order: bool = False,
) -> _Instance:
    """Index the (validated) inputs.  People are sorted by id and, unless
    ``keep_quota_order``, quotas by feature and value, so that input order does not matter."""
    ordered = sorted(people, key=lambda p: p.id)
    if not keep_quota_order:
        quotas = sorted(quotas, key=lambda q: (q.feature, q.value))
    features, by_feature = _feature_order(quotas)
    groups: list[tuple[str, str]] = []
    group_feature: list[int] = []
    mins: list[int] = []
    maxs: list[int] = []
    group_index: dict[tuple[str, str], int] = {}
    for f_index, feature in enumerate(features):
        for q_index in by_feature[feature]:
            quota = quotas[q_index]
            group_index[(feature, quota.value)] = len(groups)
            groups.append((feature, quota.value))
            group_feature.append(f_index)
            mins.append(quota.min)
            maxs.append(quota.max)
    value_group = np.zeros((len(ordered), len(features)), dtype=np.int64)
    for p_index, person in enumerate(ordered):
        own = dict(person.features)
        for f_index, feature in enumerate(features):
            value_group[p_index, f_index] = group_index[(feature, own[feature])]
    unit_of_key: dict[str, int] = {}
    household_of: list[int] = []
    members: list[list[int]] = []
    for p_index, person in enumerate(ordered):
        key = person.household if respect_households else None
        if key is None:
            household_of.append(len(members))
            members.append([p_index])
        else:
            if key not in unit_of_key:
                unit_of_key[key] = len(members)
                members.append([])
            household_of.append(unit_of_key[key])
            members[unit_of_key[key]].append(p_index)
    return _Instance(
        ids=tuple(p.id for p in ordered),
        k=k,
        groups=tuple(groups),
        group_feature=tuple(group_feature),
        features=features,
        mins=np.array(mins, dtype=np.int64),
        maxs=np.array(maxs, dtype=np.int64),
        value_group=value_group,
        households=tuple(tuple(m) for m in members if len(m) > 1),
        household_of=tuple(household_of),
    )


def _count_issues(inst: _Instance, respect_households: bool) -> list[FeasibilityIssue]:
    """Necessary conditions checked by counting (no solver)."""
    issues: list[FeasibilityIssue] = []
    n_groups = len(inst.groups)
    counts = np.zeros(n_groups, dtype=np.int64)
    units: list[set[int]] = [set() for _ in range(n_groups)]
    for p_index in range(inst.n):
        for g in inst.value_group[p_index]:
            counts[g] += 1
            units[g].add(inst.household_of[p_index])
    for g, (feature, value) in enumerate(inst.groups):
        need = int(inst.mins[g])
        if counts[g] < need:
            issues.append(
                FeasibilityIssue("too_few_volunteers", feature, value, need, int(counts[g]))
            )
        elif respect_households and len(units[g]) < need:
            issues.append(
                FeasibilityIssue("too_few_households", feature, value, need, len(units[g]))
            )
    for f_index, feature in enumerate(inst.features):
        members = [g for g in range(n_groups) if inst.group_feature[g] == f_index]
        sum_min = int(sum(int(inst.mins[g]) for g in members))
        sum_max = int(sum(int(inst.maxs[g]) for g in members))
        if sum_min > inst.k:
            issues.append(
                FeasibilityIssue("minimums_exceed_panel_size", feature, None, sum_min, inst.k)
            )
        if sum_max < inst.k:
            issues.append(
                FeasibilityIssue("maximums_below_panel_size", feature, None, inst.k, sum_max)
            )
        else:
            fillable = int(sum(min(int(inst.maxs[g]), int(counts[g])) for g in members))
            if fillable < inst.k:
                issues.append(
                    FeasibilityIssue(
                        "too_few_volunteers_for_panel", feature, None, inst.k, fillable
                    )
                )
    available_units = len(set(inst.household_of)) if respect_households else inst.n
    if available_units < inst.k:
        code = "too_few_households" if available_units < inst.n else "pool_too_small"
        issues.append(FeasibilityIssue(code, needed=inst.k, available=available_units))
    return issues


# --------------------------------------------------------------------------------------------
# HiGHS helpers
# --------------------------------------------------------------------------------------------


class _Counter:
    def __init__(self) -> None:
        self.lp = 0
        self.mip = 0


def _new_highs() -> highspy.Highs:
    """A silent, single-threaded, deterministic HiGHS instance."""
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    options: tuple[tuple[str, bool | int | float | str], ...] = (
        ("output_flag", False),
        ("log_to_console", False),
        ("threads", 1),
        ("parallel", "off"),
        ("random_seed", 0),
        ("mip_rel_gap", 1e-7),
        ("mip_abs_gap", 1e-10),
    )
    for name, value in options:
        h.setOptionValue(name, value)
    return h


def _i32(values: Iterable[int] | IntArray) -> npt.NDArray[np.int32]:
    return np.asarray(list(values) if not isinstance(values, np.ndarray) else values, np.int32)


def _f64(values: Iterable[float] | FloatArray) -> FloatArray:
    if isinstance(values, np.ndarray):
        return np.asarray(values, dtype=np.float64)
    return np.asarray(list(values), dtype=np.float64)


def _add_rows(
    h: highspy.Highs, rows: Sequence[Sequence[int]], lower: Sequence[float], upper: Sequence[float]
) -> None:
    if not rows:
        return
    starts = np.zeros(len(rows), dtype=np.int32)
    total = 0
    for r, row in enumerate(rows):
        starts[r] = total
        total += len(row)
    index = np.fromiter((c for row in rows for c in row), dtype=np.int32, count=total)
    h.addRows(len(rows), _f64(lower), _f64(upper), total, starts, index, np.ones(total))


# --------------------------------------------------------------------------------------------
# Classes of interchangeable people and the pricing problem over class counts
# --------------------------------------------------------------------------------------------


@dataclass
class _ClassModel:
    inst: _Instance
    members: list[IntArray]  # person indices of each class (sorted)
    size: FloatArray
    size_int: IntArray
    class_groups: IntArray  # C x F
    households: list[list[int]]  # classes (singletons) forming a household

    @property
    def count(self) -> int:
        return len(self.members)


def _build_classes(inst: _Instance) -> _ClassModel:
    in_household = {p for household in inst.households for p in household}
    key_to_class: dict[tuple[int, ...], int] = {}
    members: list[list[int]] = []
    for p_index in range(inst.n):
        if p_index in in_household:
            key: tuple[int, ...] = (-1 - p_index,)
        else:
            key = tuple(int(g) for g in inst.value_group[p_index])
        if key not in key_to_class:
            key_to_class[key] = len(members)
            members.append([])
        members[key_to_class[key]].append(p_index)
    class_of = np.zeros(inst.n, dtype=np.int64)
    for c, people in enumerate(members):
        class_of[people] = c
    size_int = np.array([len(m) for m in members], dtype=np.int64)
    n_features = inst.value_group.shape[1]
    class_groups = np.zeros((len(members), n_features), dtype=np.int64)
    for c, people in enumerate(members):
        class_groups[c] = inst.value_group[people[0]]
    households = [[int(class_of[p]) for p in household] for household in inst.households]
    return _ClassModel(
        inst=inst,
        members=[np.array(m, dtype=np.int64) for m in members],
        size=size_int.astype(np.float64),
        size_int=size_int,
        class_groups=class_groups,
        households=households,
    )


def _panel_rows(cm: _ClassModel) -> tuple[list[list[int]], list[float], list[float]]:
    """Constraint rows over class-count variables: panel size, quotas, households."""
    inst = cm.inst
    rows: list[list[int]] = [list(range(cm.count))]
    lower: list[float] = [float(inst.k)]
    upper: list[float] = [float(inst.k)]
    by_group: list[list[int]] = [[] for _ in inst.groups]
    for c in range(cm.count):
        for g in cm.class_groups[c]:
            by_group[int(g)].append(c)
    for g in range(len(inst.groups)):
        rows.append(by_group[g])
        lower.append(float(inst.mins[g]))
        upper.append(float(inst.maxs[g]))
    for household in cm.households:
        rows.append(household)
        lower.append(0.0)
        upper.append(1.0)
    return rows, lower, upper


class _Pricer:
    """Finds panels (class-count vectors) maximising a weighted sum."""

    def __init__(self, cm: _ClassModel, counter: _Counter) -> None:
        self.cm = cm
        self.counter = counter
        self.indices = np.arange(cm.count, dtype=np.int32)
        self.lp = self._build(integer=False)
        self.mip = self._build(integer=True)

    def _build(self, *, integer: bool) -> highspy.Highs:
        h = _new_highs()
        count = self.cm.count
        h.addVars(count, np.zeros(count), self.cm.size.copy())
        if integer:
            h.changeColsIntegrality(count, self.indices, np.ones(count, dtype=np.uint8))
        else:
            h.setOptionValue("solver", "simplex")
        rows, lower, upper = _panel_rows(self.cm)
        _add_rows(h, rows, lower, upper)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        return h

    def _set_weights(self, h: highspy.Highs, weights: FloatArray) -> None:
        h.changeColsCost(self.cm.count, self.indices, _f64(weights))

    def is_panel(self, col: IntArray) -> bool:
        if col.min() < 0 or np.any(col > self.cm.size_int) or int(col.sum()) != self.cm.inst.k:
            return False
        group_counts = np.zeros(len(self.cm.inst.groups), dtype=np.int64)
        for f in range(self.cm.class_groups.shape[1]):
            np.add.at(group_counts, self.cm.class_groups[:, f], col)
        if np.any(group_counts < self.cm.inst.mins) or np.any(group_counts > self.cm.inst.maxs):
            return False
        return all(int(col[household].sum()) <= 1 for household in self.cm.households)

    def relaxation(self, weights: FloatArray) -> tuple[FloatArray, float] | None:
        self._set_weights(self.lp, weights)
        self.lp.run()
        self.counter.lp += 1
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.array(self.lp.getSolution().col_value, dtype=np.float64)
        return x, float(weights @ x)

    def exact(self, weights: FloatArray) -> IntArray | None:
        self._set_weights(self.mip, weights)
        self.mip.run()
        self.counter.mip += 1
        status = self.mip.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        col = np.rint(np.array(self.mip.getSolution().col_value)).astype(np.int64)
        return col if self.is_panel(col) else None

    def round_small(self, weights: FloatArray, x: FloatArray) -> IntArray | None:
        """Best rounding of a few fractional LP values, by enumerating floor/ceil choices."""
        frac = np.flatnonzero(np.abs(x - np.rint(x)) > _INTEGRAL_TOL)
        if len(frac) > _MAX_ENUMERATED:
            return None
        base = np.where(np.abs(x - np.rint(x)) > _INTEGRAL_TOL, np.floor(x), np.rint(x))
        base_int = base.astype(np.int64)
        choices = (np.arange(2 ** len(frac))[:, None] >> np.arange(len(frac))[None, :]) & 1
        inst = self.cm.inst
        ok = base_int.sum() + choices.sum(axis=1) == inst.k
        ok &= np.all(base_int[frac] + choices <= self.cm.size_int[frac], axis=1)
        group_base = np.zeros(len(inst.groups), dtype=np.int64)
        incidence = np.zeros((len(frac), len(inst.groups)), dtype=np.int64)
        for f in range(self.cm.class_groups.shape[1]):
            np.add.at(group_base, self.cm.class_groups[:, f], base_int)
            incidence[np.arange(len(frac)), self.cm.class_groups[frac, f]] = 1
        groups = group_base[None, :] + choices @ incidence
        ok &= np.all((groups >= inst.mins) & (groups <= inst.maxs), axis=1)
        frac_set = {int(c): i for i, c in enumerate(frac)}
        for household in self.cm.households:
            inside = [frac_set[c] for c in household if c in frac_set]
            if inside:
                fixed_part = int(sum(base_int[c] for c in household if c not in frac_set))
                fixed_part += int(sum(base_int[frac[i]] for i in inside))
                ok &= fixed_part + choices[:, inside].sum(axis=1) <= 1
        if not ok.any():
            return None
        scores = np.where(ok, choices @ weights[frac], -np.inf)
        best = choices[int(np.argmax(scores))]
        col = base_int.copy()
        col[frac] += best
        return col if self.is_panel(col) else None

    def fix_and_solve(self, weights: FloatArray, x: FloatArray) -> IntArray | None:
        """Keep the integral part of an LP solution, solve the MIP for the rest (RENS)."""
        small = self.round_small(weights, x)
        if small is not None:
            return small
        lower = np.floor(x + _INTEGRAL_TOL)
        upper = np.ceil(x - _INTEGRAL_TOL)
        count = self.cm.count
        self.mip.changeColsBounds(count, self.indices, lower, upper)
        try:
            col = self.exact(weights)
        finally:
            self.mip.changeColsBounds(count, self.indices, np.zeros(count), self.cm.size.copy())
        return col

    def best(self, weights: FloatArray) -> IntArray:
        """A good (not necessarily optimal) panel for the weights."""
        relaxed = self.relaxation(weights)
        if relaxed is not None:
            x = relaxed[0]
            if np.abs(x - np.rint(x)).max(initial=0.0) < _INTEGRAL_TOL:
                rounded = np.rint(x).astype(np.int64)
                if self.is_panel(rounded):
                    return rounded
            fixed = self.fix_and_solve(weights, x)
            if fixed is not None:
                return fixed
        col = self.exact(weights)
        if col is None:  # pragma: no cover - instance was checked feasible
            raise RuntimeError("pricing MIP failed")
        return col

    def improving(self, weights: FloatArray, threshold: float) -> IntArray | None:
        """A panel whose weighted sum exceeds ``threshold``, or ``None`` if there is none."""
        relaxed = self.relaxation(weights)
        if relaxed is not None:
            x, bound = relaxed
            if bound <= threshold:
                return None
            if np.abs(x - np.rint(x)).max(initial=0.0) < _INTEGRAL_TOL:
                rounded = np.rint(x).astype(np.int64)
                if self.is_panel(rounded):
                    return rounded
            fixed = self.fix_and_solve(weights, x)
            if fixed is not None and float(weights @ fixed) > threshold:
                return fixed
        col = self.exact(weights)
        if col is None or float(weights @ col) <= threshold:
            return None
        return col


def _find_any_panel(cm: _ClassModel, counter: _Counter) -> IntArray | None:
    pricer = _Pricer(cm, counter)
    return pricer.exact(np.zeros(cm.count))


# --------------------------------------------------------------------------------------------
# Leximin of the LP relaxation (an upper bound in the leximin order)
# --------------------------------------------------------------------------------------------


def _tight_classes(duals: FloatArray, unfixed: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Classes whose interior-point dual is clearly positive (their constraint binds in every
    optimal solution, so their probability can be fixed)."""
    masked = np.where(unfixed, duals, -np.inf)
    top = float(masked.max(initial=-np.inf))
    tight = unfixed & (masked > max(1e-7, 1e-5 * top))
    if not tight.any():
        tight = unfixed & (masked >= top)
    return tight


def _relaxed_leximin(cm: _ClassModel, counter: _Counter) -> tuple[FloatArray, int]:
    """Leximin probabilities (per class) over the LP relaxation of the panel polytope."""
    count = cm.count
    t_col = count

    def build(interior: bool) -> highspy.Highs:
        h = _new_highs()
        if interior:
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("run_crossover", "off")
            h.setOptionValue("presolve", "off")
        else:
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.addVars(count + 1, np.zeros(count + 1), np.append(cm.size, 1.0))
        h.changeColCost(t_col, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        rows, lower, upper = _panel_rows(cm)
        _add_rows(h, rows, lower, upper)
        # class rows: m_c - s_c * t >= 0
        starts = np.arange(0, 2 * count, 2, dtype=np.int32)
        index = np.empty(2 * count, dtype=np.int32)
        index[0::2] = np.arange(count)
        index[1::2] = t_col
        values = np.empty(2 * count)
        values[0::2] = 1.0
        values[1::2] = -cm.size
        h.addRows(count, np.zeros(count), np.full(count, _INF), 2 * count, starts, index, values)
        return h

    simplex = build(interior=False)
    interior = build(interior=True)
    first_class_row = simplex.getNumRow() - count
    fixed = np.full(count, np.nan)
    stages = 0
    while np.isnan(fixed).any():
        stages += 1
        simplex.run()
        interior.run()
        counter.lp += 2
        if simplex.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError("relaxation LP failed")  # pragma: no cover
        level = float(simplex.getSolution().col_value[t_col])
        source = simplex
        if interior.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            source = interior
        duals = -np.array(source.getSolution().row_dual[first_class_row:], dtype=np.float64)
        unfixed = np.isnan(fixed)
        tight = _tight_classes(duals * cm.size, unfixed)
        level = min(max(level, 0.0), 1.0)
        fixed[tight] = level
        rows = np.flatnonzero(tight)
        for h in (simplex, interior):
            for c in rows:
                h.changeCoeff(int(first_class_row + c), t_col, 0.0)
            lower = cm.size[rows] * level
            h.changeRowsBounds(  # type: ignore[attr-defined]
                len(rows), _i32(rows + first_class_row), lower, np.full(len(rows), _INF)
            )
    return np.clip(fixed, 0.0, 1.0), stages


# --------------------------------------------------------------------------------------------
# Column generation over panels
# --------------------------------------------------------------------------------------------


@dataclass
class _MasterSolution:
    t: float
    duals: FloatArray  # y_c >= 0 per class row
    mu: float  # dual of the convexity row
    weights: FloatArray  # lambda per column


class _Master:
    """LP over known panels: maximise t s.t. sum_P lambda_P m_c(P)/s_c - coef_c t >= rhs_c,
    sum_P lambda_P = 1.  With coef = 1 and rhs = target it measures how far a target is from
    the mixtures of known panels; with coef = 1 (unfixed) / 0 (fixed) and rhs = 0 / fixed it is
    one stage of the leximin column generation."""

    def __init__(self, cm: _ClassModel, counter: _Counter) -> None:
        self.cm = cm
        self.counter = counter
        count = cm.count
        h = _new_highs()
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 4)  # primal simplex: warm start after new columns
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.addVars(1, np.array([-1.0]), np.array([1.0]))
        h.changeColCost(0, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addRows(
            count,
            np.zeros(count),
            np.full(count, _INF),
            count,
            np.arange(count, dtype=np.int32),
            np.zeros(count, dtype=np.int32),
            np.full(count, -1.0),
        )
        h.addRow(1.0, 1.0, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        self.h = h
        self.coef = np.ones(count)
        self.columns: list[IntArray] = []
        self._keys: set[bytes] = set()

    def configure(self, coef: FloatArray, rhs: FloatArray) -> None:
        for c in np.flatnonzero(coef != self.coef):
            self.h.changeCoeff(int(c), 0, -float(coef[c]))
        self.coef = coef.copy()
        count = self.cm.count
        self.h.changeRowsBounds(  # type: ignore[attr-defined]
            count, np.arange(count, dtype=np.int32), _f64(rhs), np.full(count, _INF)
        )

    def add(self, col: IntArray) -> bool:
        key = col.tobytes()
        if key in self._keys:
            return False
        self._keys.add(key)
        self.columns.append(col.copy())
        nz = np.flatnonzero(col)
        index = np.append(nz, self.cm.count).astype(np.int32)
        values = np.append(col[nz] / self.cm.size[nz], 1.0)
        self.h.addCol(0.0, 0.0, _INF, len(index), index, values)
        return True

    def solve(self) -> _MasterSolution | None:
        self.h.run()
        self.counter.lp += 1
        status = self.h.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible):
            # the warm-started primal simplex gave up: solve again from scratch with dual simplex
            self.h.clearSolver()
            self.h.setOptionValue("simplex_strategy", 1)
            self.h.run()
            self.counter.lp += 1
            self.h.setOptionValue("simplex_strategy", 4)
            status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        return self._solution()

    def _solution(self) -> _MasterSolution:
        sol = self.h.getSolution()
        row_dual = np.array(sol.row_dual, dtype=np.float64)
        col_value = np.array(sol.col_value, dtype=np.float64)
        count = self.cm.count
        return _MasterSolution(
            t=float(col_value[0]),
            duals=np.maximum(-row_dual[:count], 0.0),
            mu=float(row_dual[count]),
            weights=np.maximum(col_value[1:], 0.0),
        )

    def solve_interior(self) -> _MasterSolution | None:
        """Solve by interior point without crossover (strictly complementary duals)."""
        basis = self.h.getBasis()
        self.h.setOptionValue("solver", "ipm")
        self.h.setOptionValue("run_crossover", "off")
        try:
            self.h.run()
            self.counter.lp += 1
            ok = self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            result = self._solution() if ok else None
        finally:
            self.h.setOptionValue("solver", "simplex")
            self.h.setOptionValue("run_crossover", "on")
            self.h.setBasis(basis)
        return result


def _generate_columns(
    master: _Master, pricer: _Pricer, stop_at: float | None, max_rounds: int = 100_000
) -> _MasterSolution | None:
    """Column generation to optimality (or until t >= stop_at)."""
    size = master.cm.size
    solution: _MasterSolution | None = None
    for _ in range(max_rounds):
        solution = master.solve()
        if solution is None:
            return None
        if stop_at is not None and solution.t >= stop_at:
            return solution
        col = pricer.improving(solution.duals / size, solution.mu + _RC_EPS)
        if col is None or not master.add(col):
            return solution
    return solution


def _herd(
    master: _Master, pricer: _Pricer, target: FloatArray, limit: int, batch: int, first_check: int
) -> tuple[_MasterSolution | None, int]:
    """Herding: panels chasing the running residual between the target and the panels so far.

    Returns the master solution once it reaches the target (or ``None``) and the number of
    panels produced.
    """
    size = master.cm.size
    counts = np.zeros(master.cm.count)
    produced = 0
    while produced < limit:
        for _ in range(batch if produced >= first_check else first_check - produced):
            produced += 1
            weights = produced * target - counts / size
            col = pricer.best(weights)
            counts += col
            master.add(col)
        solution = master.solve()
        if solution is not None and solution.t >= -_DECOMPOSED_TOL:
            return solution, produced
    return None, produced


def _exact_leximin(master: _Master, pricer: _Pricer) -> tuple[_MasterSolution, FloatArray, int]:
    """Stage-wise leximin by column generation (Flanigan et al.), on the master's panels."""
    cm = master.cm
    count = cm.count
    fixed = np.full(count, np.nan)
    stages = 0
    slack_index = 0
    while np.isnan(fixed).any():
        stages += 1
        unfixed = np.isnan(fixed)
        coef = unfixed.astype(np.float64)
        rhs = np.where(unfixed, 0.0, np.nan_to_num(fixed) - _FIX_SLACKS[slack_index])
        master.configure(coef, np.maximum(rhs, 0.0))
        solution = _generate_columns(master, pricer, stop_at=None)
        if solution is None:
            # fixed probabilities numerically just out of reach: impose them a little lower
            slack_index += 1
            if slack_index == len(_FIX_SLACKS):  # pragma: no cover - numerical breakdown
                raise RuntimeError("leximin master became infeasible")
            stages -= 1
            continue
        level = min(max(solution.t, 0.0), 1.0)
        while True:
            interior = master.solve_interior()
            if interior is None:
                duals = solution.duals
                break
            col = pricer.improving(interior.duals / cm.size, interior.mu + _RC_EPS)
            if col is None or not master.add(col):
                duals = interior.duals
                break
            refreshed = _generate_columns(master, pricer, stop_at=None)
            if refreshed is not None:
                solution = refreshed
                level = min(max(solution.t, 0.0), 1.0)
        tight = _tight_classes(duals, unfixed)
        fixed[tight] = level
    master.configure(
        np.zeros(count), np.maximum(np.nan_to_num(fixed) - _FIX_SLACKS[slack_index], 0.0)
    )
    final = master.solve()
    if final is None:  # pragma: no cover - the last stage's solution satisfies these rows
        raise RuntimeError("final leximin LP failed")
    return final, fixed, stages


# --------------------------------------------------------------------------------------------
# From class-count panels to panels of people
# --------------------------------------------------------------------------------------------


def _expand(
    cm: _ClassModel, columns: Sequence[IntArray], weights: FloatArray
) -> dict[tuple[int, ...], float]:
    """Turn a distribution over class counts into one over people with equal probabilities
    within each class.  For a class of ``s`` people and each count ``m`` (0 < m < s) that
    panels take from it, the probability mass of those panels is cut into ``s / gcd(m, s)``
    equal parts and part ``r`` takes the members ``r*m, ..., r*m + m - 1`` (cyclically): the
    blocks wrap around the class ``m / gcd(m, s)`` times, so every member gets ``m / s`` of the
    mass."""
    keep = weights > 1e-13
    cols = np.array([columns[int(j)] for j in np.flatnonzero(keep)], dtype=np.int64)
    lam = weights[keep] / weights[keep].sum()
    n_cols = len(lam)
    starts = np.concatenate(([0.0], np.cumsum(lam)[:-1]))
    cuts: list[float] = list(starts)
    # per (class, level): total mass and each column's offset inside the level
    level_mass: dict[tuple[int, int], float] = {}
    level_offset: dict[tuple[int, int], FloatArray] = {}
    for c in range(cm.count):
        s = int(cm.size_int[c])
        if s < 2:
            continue
        col_c = cols[:, c]
        for m in np.unique(col_c):
            if m <= 0 or m >= s:
                continue
            idx = np.flatnonzero(col_c == m)
            mass = lam[idx]
            total = float(mass.sum())
            within = np.concatenate(([0.0], np.cumsum(mass)[:-1]))
            offsets = np.full(n_cols, np.nan)
            offsets[idx] = within
            level_mass[(c, int(m))] = total
            level_offset[(c, int(m))] = offsets
            ends = within + mass
            parts = s // math.gcd(int(m), s)
            for part in range(1, parts):
                theta = part * total / parts
                j = int(np.searchsorted(ends, theta, side="left"))
                j = min(j, len(idx) - 1)
                cuts.append(float(starts[idx[j]] + theta - within[j]))
    cuts.append(1.0)
    points = np.unique(np.clip(np.array(cuts), 0.0, 1.0))
    distribution: dict[tuple[int, ...], float] = {}
    for a, b in itertools.pairwise(points):
        length = float(b - a)
        if length <= 1e-15:
            continue
        u = float((a + b) / 2.0)
        j = int(np.searchsorted(starts, u, side="right")) - 1
        panel: list[int] = []
        for c in (int(c) for c in np.flatnonzero(cols[j])):
            m = int(cols[j, c])
            members = cm.members[c]
            s = len(members)
            if m >= s:
                panel.extend(int(p) for p in members)
                continue
            theta = float(level_offset[(c, m)][j]) + (u - float(starts[j]))
            parts = s // math.gcd(m, s)
            r = min(parts - 1, int(theta * parts / level_mass[(c, m)]))
            panel.extend(int(members[(r * m + t) % s]) for t in range(m))
        key = tuple(sorted(panel))
        distribution[key] = distribution.get(key, 0.0) + length
    return distribution


def _marginals(n: int, distribution: Mapping[tuple[int, ...], float]) -> FloatArray:
    p = np.zeros(n)
    for panel, weight in distribution.items():
        p[list(panel)] += weight
    return p


def _basic_distribution(
    n: int, distribution: dict[tuple[int, ...], float], counter: _Counter
) -> dict[tuple[int, ...], float]:
    """A vertex of {weights >= 0 : same selection probabilities, sum 1}: at most n + 1 panels.

    Skipped (the longer distribution is kept, it is just as exact) when the LP would be large.
    """
    if len(distribution) <= n + 1:
        return distribution
    if len(distribution) * (len(next(iter(distribution))) + 1) > _REDUCTION_MAX_NONZEROS:
        return distribution
    panels = sorted(distribution)
    target = _marginals(n, distribution)
    h = _new_highs()
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("presolve", "off")
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.addRows(n, target, target, 0, np.zeros(n, dtype=np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.addRow(1.0, 1.0, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
    k = len(panels[0])
    n_panels = len(panels)
    starts = np.arange(0, n_panels * (k + 1), k + 1, dtype=np.int32)
    index = np.empty(n_panels * (k + 1), dtype=np.int32)
    for j, panel in enumerate(panels):
        index[j * (k + 1) : j * (k + 1) + k] = panel
        index[j * (k + 1) + k] = n
    h.addCols(
        n_panels,
        np.zeros(n_panels),
        np.zeros(n_panels),
        np.full(n_panels, _INF),
        len(index),
        starts,
        index,
        np.ones(len(index)),
    )
    h.run()
    counter.lp += 1
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return distribution
    values = np.array(h.getSolution().col_value, dtype=np.float64)
    reduced = {panels[j]: float(values[j]) for j in np.flatnonzero(values > 1e-12)}
    total = sum(reduced.values())
    reduced = {panel: weight / total for panel, weight in reduced.items()}
    if np.abs(_marginals(n, reduced) - target).max() > 1e-8:
        return distribution  # numerically unsafe: keep the longer, exact distribution
    return reduced


# --------------------------------------------------------------------------------------------
# Leximin
# --------------------------------------------------------------------------------------------


def find_leximin_distribution(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    *,
    respect_households: bool = True,
) -> Distribution:
    """The leximin distribution over quota-satisfying panels.

    Deterministic: the same people (in any order), quotas and k give the same distribution.
    Raises :class:`InfeasibleSelectionError` when no panel satisfies the quotas.
    """
    started = time.perf_counter()
    phases: list[tuple[str, float]] = []
    clock = started

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases.append((name, now - clock))
        clock = now

    inst, cm = _checked_model(people, quotas, k, respect_households)
    counter = _Counter()
    pricer = _Pricer(cm, counter)
    master = _Master(cm, counter)
    lap("setup")

    target, relaxation_stages = _relaxed_leximin(cm, counter)
    master.configure(np.ones(cm.count), target)
    lap("relaxation")
    limit = 3 * cm.count + 50
    batch = max(20, cm.count // 5)
    solution, herded = _herd(master, pricer, target, limit, batch, first_check=cm.count)
    lap("herding")
    exact_stages = 0
    if solution is None:
        solution = _generate_columns(master, pricer, stop_at=-_DECOMPOSED_TOL)
    attained = solution is not None and solution.t >= -_DECOMPOSED_TOL
    if attained:
        polished = _generate_columns(master, pricer, -_POLISH_TOL, max_rounds=_POLISH_ROUNDS)
        if polished is not None and solution is not None and polished.t >= solution.t:
            solution = polished
    else:
        solution, _, exact_stages = _exact_leximin(master, pricer)
    assert solution is not None
    lap("column_generation")
    expanded = _expand(cm, master.columns, solution.weights)
    lap("expansion")
    reduced = _basic_distribution(inst.n, expanded, counter)
    lap("reduction")
    probabilities = _marginals(inst.n, reduced)
    panels = tuple(
        sorted(
            (
                PanelWeight(tuple(inst.ids[p] for p in panel), weight)
                for panel, weight in reduced.items()
            ),
            key=lambda pw: pw.members,
        )
    )
    stats = SolveStats(
        seconds=time.perf_counter() - started,
        classes=cm.count,
        lp_solves=counter.lp,
        mip_solves=counter.mip,
        columns=len(master.columns),
        herding_columns=herded,
        relaxation_stages=relaxation_stages,
        exact_stages=exact_stages,
        relaxation_attained=attained,
        expanded_panels=len(expanded),
        phase_seconds=tuple(phases),
    )
    return Distribution(
        panels=panels,
        probabilities=tuple((inst.ids[i], float(probabilities[i])) for i in range(inst.n)),
        stats=stats,
    )


def _checked_model(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    respect_households: bool,
    *,
    keep_quota_order: bool = False,
) -> tuple[_Instance, _ClassModel]:
    report = check_feasibility(people, quotas, k, respect_households=respect_households)
    if not report.feasible:
        raise InfeasibleSelectionError(report)
    inst = _build_instance(people, quotas, k, respect_households, keep_quota_order=keep_quota_order)
    return inst, _build_classes(inst)


def _draw(panels: Sequence[PanelWeight], rng: random.Random) -> tuple[str, ...]:
    total = math.fsum(p.weight for p in panels)
    point = rng.random() * total
    running = 0.0
    for panel in panels:
        running += panel.weight
        if point < running:
            return panel.members
    return panels[-1].members


# --------------------------------------------------------------------------------------------
# Legacy
# --------------------------------------------------------------------------------------------


def _legacy_attempt(inst: _Instance, rng: random.Random) -> list[int] | None:
    n_groups = len(inst.groups)
    group_members: list[list[int]] = [[] for _ in range(n_groups)]
    for p_index in range(inst.n):
        for g in inst.value_group[p_index]:
            group_members[int(g)].append(p_index)
    alive = [True] * inst.n
    remaining = [len(m) for m in group_members]
    selected = [0] * n_groups
    mins = [int(v) for v in inst.mins]
    maxs = [int(v) for v in inst.maxs]
    housemates: dict[int, tuple[int, ...]] = {}
    for household in inst.households:
        for p_index in household:
            housemates[p_index] = household
    alive_count = inst.n

    def remove(p_index: int) -> bool:
        nonlocal alive_count
        alive[p_index] = False
        alive_count -= 1
        ok = True
        for g in inst.value_group[p_index]:
            remaining[int(g)] -= 1
            if remaining[int(g)] == 0 and selected[int(g)] < mins[int(g)]:
                ok = False
        return ok

    def delete_group(g: int) -> bool:
        ok = True
        for p_index in group_members[g]:
            if alive[p_index]:
                ok = remove(p_index) and ok
        return ok

    for g in range(n_groups):
        if maxs[g] == 0 and not delete_group(g):
            return None
    chosen: list[int] = []
    for step in range(inst.k):
        best = -1
        best_ratio = -100.0
        position = 0
        for g in range(n_groups):
            needed = max(mins[g] - selected[g], 0)
            if selected[g] < mins[g] and remaining[g] < needed:
                return None
            if remaining[g] == 0 or maxs[g] == 0:
                continue
            ratio = needed / remaining[g]
            if ratio > best_ratio:
                best_ratio = ratio
                best = g
                position = rng.randrange(remaining[g])
        if n_groups == 0 and alive_count > 0:  # no quotas at all: anyone remaining
            candidates = [p for p in range(inst.n) if alive[p]]
            person = candidates[rng.randrange(len(candidates))]
        elif best < 0:
            return None
        else:
            remaining_members = [p for p in group_members[best] if alive[p]]
            person = remaining_members[position]
        chosen.append(person)
        alive[person] = False
        alive_count -= 1
        for g in inst.value_group[person]:
            remaining[int(g)] -= 1
            selected[int(g)] += 1
        ok = True
        for mate in housemates.get(person, ()):
            if alive[mate]:
                ok = remove(mate) and ok
        if not ok:
            return None
        for g in inst.value_group[person]:
            if selected[int(g)] == maxs[int(g)] and not delete_group(int(g)):
                return None
        if step < inst.k - 1 and alive_count == 0:
            return None
    if any(not mins[g] <= selected[g] <= maxs[g] for g in range(n_groups)):
        return None
    return chosen


def _legacy_select(inst: _Instance, rng: random.Random) -> tuple[list[int], int]:
    for attempt in range(1, _LEGACY_MAX_ATTEMPTS + 1):
        chosen = _legacy_attempt(inst, rng)
        if chosen is not None:
            return chosen, attempt
    report = FeasibilityReport(
        False, (FeasibilityIssue("legacy_failed", needed=_LEGACY_MAX_ATTEMPTS),)
    )
    raise InfeasibleSelectionError(report)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def select_panel(request: SelectionRequest) -> SelectionResult:
    """Select one panel.  Same request (people in any order) -> same panel.

    Raises :class:`InfeasibleSelectionError` (with a report of codes) when the quotas cannot
    be met, and ``ValueError`` for an unknown algorithm.
    """
    if request.algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {request.algorithm!r}")
    started = time.perf_counter()
    rng = random.Random(request.seed)  # noqa: S311 - a published seed must reproduce the draw
    if request.algorithm == "leximin":
        distribution = find_leximin_distribution(
            request.people,
            request.quotas,
            request.k,
            respect_households=request.respect_households,
        )
        panel = _draw(distribution.panels, rng)
        return SelectionResult(
            panel=tuple(sorted(panel)),
            probabilities=distribution.probabilities,
            seed=request.seed,
            k=request.k,
            quotas=tuple(request.quotas),
            algorithm="leximin",
            respect_households=request.respect_households,
            distribution=distribution.panels,
            probabilities_estimated=False,
            stats=distribution.stats,
        )
    # legacy keeps the quota order: like the Sortition Foundation's original, ties between
    # equally urgent categories go to the one listed first
    inst, _ = _checked_model(
        request.people,
        request.quotas,
        request.k,
        request.respect_households,
        keep_quota_order=True,
    )
    chosen, attempts = _legacy_select(inst, rng)
    # legacy has no closed form for selection probabilities: estimate them by simulation
    # (with a generator derived from the seed, so the estimate is reproducible too)
    runs = max(request.legacy_estimate_runs, 0)
    estimate: tuple[tuple[str, float], ...] = ()
    if runs:
        counts = np.zeros(inst.n)
        estimate_rng = random.Random(f"legacy-estimate:{request.seed}")  # noqa: S311
        for _ in range(runs):
            counts[_legacy_select(inst, estimate_rng)[0]] += 1
        estimate = tuple((inst.ids[i], float(counts[i] / runs)) for i in range(inst.n))
    stats = SolveStats(seconds=time.perf_counter() - started, legacy_attempts=attempts)
    return SelectionResult(
        panel=tuple(sorted(inst.ids[p] for p in chosen)),
        probabilities=estimate,
        seed=request.seed,
        k=request.k,
        quotas=tuple(request.quotas),
        algorithm="legacy",
        respect_households=request.respect_households,
        distribution=None,
        probabilities_estimated=True,
        stats=stats,
    )


def _reduction_weight(minimum: int) -> float:
    # as in sortition-algorithms: lowering an already low minimum is more salient
    return 0.0 if minimum == 0 else 1.0 + 2.0 / minimum


def _relaxation_issues(
    cm: _ClassModel, quotas: Sequence[Quota], counter: _Counter
) -> list[FeasibilityIssue]:
    """Smallest weighted relaxation of the quotas that makes a panel exist (one MIP)."""
    inst = cm.inst
    flex = {(q.feature, q.value): q for q in quotas}
    count = cm.count
    n_groups = len(inst.groups)
    h = _new_highs()
    total = count + 2 * n_groups
    lower = np.zeros(total)
    upper = np.concatenate((cm.size, np.zeros(2 * n_groups)))
    cost = np.zeros(total)
    for g, pair in enumerate(inst.groups):
        quota = flex[pair]
        upper[count + g] = max(int(inst.mins[g]) - max(quota.min_flex, 0), 0)
        max_flex = inst.k if quota.max_flex is None else quota.max_flex
        upper[count + n_groups + g] = max(max_flex - int(inst.maxs[g]), 0)
        cost[count + g] = _reduction_weight(int(inst.mins[g]))
        cost[count + n_groups + g] = 1.0
    h.addVars(total, lower, upper)
    h.changeColsIntegrality(total, np.arange(total, dtype=np.int32), np.ones(total, np.uint8))
    h.changeColsCost(total, np.arange(total, dtype=np.int32), cost)
    rows, row_lower, row_upper = _panel_rows(cm)
    # size row and households unchanged; quota rows get the slack variables
    _add_rows(h, [rows[0]], [row_lower[0]], [row_upper[0]])
    for g in range(n_groups):
        members = rows[1 + g]
        _add_rows(h, [[*members, count + g]], [float(inst.mins[g])], [_INF])
        index = _i32([*members, count + n_groups + g])
        values = np.append(np.ones(len(members)), -1.0)
        h.addRow(-_INF, float(inst.maxs[g]), len(index), index, values)
    _add_rows(h, rows[1 + n_groups :], row_lower[1 + n_groups :], row_upper[1 + n_groups :])
    h.changeObjectiveSense(highspy.ObjSense.kMinimize)
    h.run()
    counter.mip += 1
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return [FeasibilityIssue("infeasible_within_flex")]
    values = np.rint(np.array(h.getSolution().col_value))
    issues: list[FeasibilityIssue] = []
    for g, (feature, value) in enumerate(inst.groups):
        down = int(values[count + g])
        up = int(values[count + n_groups + g])
        if down:
            minimum = int(inst.mins[g])
            issues.append(
                FeasibilityIssue(
                    "relax_min", feature, value, current=minimum, suggested=minimum - down
                )
            )
        if up:
            maximum = int(inst.maxs[g])
            issues.append(
                FeasibilityIssue(
                    "relax_max", feature, value, current=maximum, suggested=maximum + up
                )
            )
    return issues


def check_feasibility(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    *,
    respect_households: bool = True,
    use_solver: bool = True,
) -> FeasibilityReport:
    """Can a panel of ``k`` meeting the quotas be drawn from ``people``?  If not, why.

    Issues are codes with numbers, for example
    ``{"code": "too_few_volunteers", "feature": "age", "value": "16-24", "needed": 6,
    "available": 3}``.  Counting checks come first; when they pass and ``use_solver`` is set,
    a MIP decides, and if no panel exists a second MIP suggests the smallest relaxation of the
    quotas (``relax_min``/``relax_max`` with ``current`` and ``suggested``), within
    ``min_flex``/``max_flex``.
    """
    issues = _data_issues(people, quotas, k)
    if issues:
        return FeasibilityReport(False, tuple(issues))
    inst = _build_instance(people, quotas, k, respect_households)
    issues = _count_issues(inst, respect_households)
    if issues:
        return FeasibilityReport(False, tuple(issues))
    if not use_solver:
        return FeasibilityReport(True)
    cm = _build_classes(inst)
    counter = _Counter()
    if _find_any_panel(cm, counter) is not None:
        return FeasibilityReport(True)
    relaxed = _relaxation_issues(cm, quotas, counter)
    return FeasibilityReport(False, (FeasibilityIssue("quotas_jointly_infeasible"), *relaxed))


def select_replacements(
    pool: Sequence[Person],
    current_panel: Iterable[str],
    withdrawn_ids: Iterable[str],
    quotas: Sequence[Quota],
    k: int,
    seed: int,
    *,
    algorithm: Algorithm = "leximin",
    respect_households: bool = True,
) -> ReplacementResult:
    """Replace withdrawn panel members from the rest of the pool so the quotas stay met.

    The people still on the panel are kept; replacements come from pool members not on the
    panel (and, with households respected, not living with someone who stays).  The
    replacements are selected (leximin by default, reproducible by ``seed``) among them with
    the quotas reduced by the staying members.  Raises :class:`InfeasibleSelectionError`.
    """
    panel = list(dict.fromkeys(current_panel))
    withdrawn = set(withdrawn_ids)
    by_id = {person.id: person for person in pool}
    issues = [
        FeasibilityIssue("unknown_panel_member", person_id=i) for i in panel if i not in by_id
    ]
    panel_set = set(panel)
    issues += [
        FeasibilityIssue("withdrawn_not_in_panel", person_id=i)
        for i in sorted(withdrawn - panel_set)
    ]
    if issues:
        raise InfeasibleSelectionError(FeasibilityReport(False, tuple(issues)))
    staying = [by_id[i] for i in panel if i not in withdrawn]
    needed = k - len(staying)
    adjusted: list[Quota] = []
    for quota in quotas:
        have = sum(1 for person in staying if person.value(quota.feature) == quota.value)
        if have > quota.max:
            issues.append(
                FeasibilityIssue(
                    "panel_exceeds_maximum", quota.feature, quota.value, have, quota.max
                )
            )
        max_flex = None if quota.max_flex is None else max(quota.max_flex - have, 0)
        adjusted.append(
            Quota(
                quota.feature,
                quota.value,
                max(quota.min - have, 0),
                max(quota.max - have, 0),
                max(quota.min_flex - have, 0),
                max_flex,
            )
        )
    if needed < 0:
        issues.append(FeasibilityIssue("panel_larger_than_k", needed=k, available=len(staying)))
    if issues:
        raise InfeasibleSelectionError(FeasibilityReport(False, tuple(issues)))
    staying_ids = tuple(sorted(p.id for p in staying))
    if needed == 0:
        return ReplacementResult((), staying_ids, tuple(adjusted), None)
    blocked_households = {p.household for p in staying if p.household is not None}
    candidates = tuple(
        person
        for person in pool
        if person.id not in panel_set
        and not (respect_households and person.household in blocked_households)
    )
    selection = select_panel(
        SelectionRequest(
            people=candidates,
            quotas=tuple(adjusted),
            k=needed,
            seed=seed,
            algorithm=algorithm,
            respect_households=respect_households,
            legacy_estimate_runs=0,
        )
    )
    return ReplacementResult(
        replacements=selection.panel,
        panel=tuple(sorted(staying_ids + selection.panel)),
        adjusted_quotas=tuple(adjusted),
        selection=selection,
    )


def quotas_from_profile(
    census_counts_per_feature: Mapping[str, Mapping[str, int | float]],
    k: int,
    tolerance: int,
) -> tuple[Quota, ...]:
    """Per-value quotas for a panel of ``k`` matching a population profile.

    For each feature the target seats are apportioned by largest remainder (Hamilton) from the
    census counts; ``min``/``max`` are the target minus/plus ``tolerance``, clipped to 0..k.
    Ties in remainders go to the larger count, then to the earlier value.  Features and values
    keep the order given.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    quotas: list[Quota] = []
    for feature, counts in census_counts_per_feature.items():
        values = list(counts.items())
        if any(count < 0 or not math.isfinite(count) for _, count in values):
            raise ValueError(f"negative or non-finite count for feature {feature!r}")
        total = math.fsum(count for _, count in values)
        if total <= 0:
            raise ValueError(f"no census counts for feature {feature!r}")
        exact = [k * count / total for _, count in values]
        seats = [math.floor(x) for x in exact]
        order = sorted(range(len(values)), key=lambda i: (-(exact[i] - seats[i]), -values[i][1], i))
        for i in order[: k - sum(seats)]:
            seats[i] += 1
        for (value, _), target in zip(values, seats, strict=True):
            quotas.append(
                Quota(feature, value, max(target - tolerance, 0), min(target + tolerance, k))
            )
    return tuple(quotas)
