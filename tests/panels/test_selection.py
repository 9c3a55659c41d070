"""Citizens' panel selection: leximin, legacy, feasibility, replacements, quota helper."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import highspy
import numpy as np
import pytest

from engage.panels.pool_files import (
    read_features_csv,
    read_panel_size,
    read_people_csv,
    read_settings_toml,
)
from engage.panels.selection import (
    Distribution,
    InfeasibleSelectionError,
    Person,
    Quota,
    SelectionRequest,
    SelectionResult,
    check_feasibility,
    find_leximin_distribution,
    quotas_from_profile,
    select_panel,
    select_replacements,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sortition"
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def person(pid: str, household: str | None = None, **features: str) -> Person:
    return Person.create(pid, features, household)


def meets_quotas(
    panel: Sequence[str], people: Sequence[Person], quotas: Sequence[Quota], k: int
) -> bool:
    by_id = {p.id: p for p in people}
    if len(panel) != k or len(set(panel)) != k:
        return False
    for quota in quotas:
        count = sum(1 for pid in panel if by_id[pid].value(quota.feature) == quota.value)
        if not quota.min <= count <= quota.max:
            return False
    return True


def one_per_household(panel: Sequence[str], people: Sequence[Person]) -> bool:
    by_id = {p.id: p for p in people}
    keys = [by_id[pid].household for pid in panel if by_id[pid].household is not None]
    return len(keys) == len(set(keys))


def check_distribution(
    dist: Distribution,
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    households: bool = True,
) -> None:
    assert dist.panels
    assert sum(p.weight for p in dist.panels) == pytest.approx(1.0, abs=1e-9)
    marginals: dict[str, float] = dict.fromkeys((p.id for p in people), 0.0)
    for panel in dist.panels:
        assert panel.weight > 0
        assert meets_quotas(panel.members, people, quotas, k)
        if households:
            assert one_per_household(panel.members, people)
        for pid in panel.members:
            marginals[pid] += panel.weight
    probabilities = dist.probability_map()
    assert set(probabilities) == {p.id for p in people}
    assert sum(probabilities.values()) == pytest.approx(k, abs=1e-7)
    for pid, probability in probabilities.items():
        assert probability == pytest.approx(marginals[pid], abs=1e-9)
        assert -1e-9 <= probability <= 1 + 1e-9


def _lp_max(
    n: int, panels: list[tuple[int, ...]], objective: int | None, rows: list[tuple[float, bool]]
) -> float:
    """Brute-force helper: max t (objective None) or max p_objective over explicit panels."""
    m = len(panels)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.addVars(m + 1, np.zeros(m + 1), np.ones(m + 1))
    incidence = np.zeros((n, m))
    for j, panel in enumerate(panels):
        incidence[list(panel), j] = 1.0
    cost = np.zeros(m + 1)
    if objective is None:
        cost[m] = 1.0
    else:
        cost[:m] = incidence[objective]
    h.changeColsCost(m + 1, np.arange(m + 1, dtype=np.int32), cost)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addRow(1.0, 1.0, m, np.arange(m, dtype=np.int32), np.ones(m))
    for i, (lower, with_t) in enumerate(rows):
        cols = [int(j) for j in np.flatnonzero(incidence[i])] + ([m] if with_t else [])
        values = [1.0] * (len(cols) - int(with_t)) + ([-1.0] if with_t else [])
        h.addRow(lower, highspy.kHighsInf, len(cols), np.array(cols, np.int32), np.array(values))
    h.run()
    return float(h.getInfo().objective_function_value)


def brute_force_leximin(
    people: Sequence[Person], quotas: Sequence[Quota], k: int
) -> dict[str, float]:
    """Leximin by enumerating every panel, fixing a person when no optimum lets them exceed
    the stage value (a per-person LP: slow, simple, independent of the module)."""
    ids = sorted(p.id for p in people)
    panels = [
        tuple(ids.index(pid) for pid in combo)
        for combo in itertools.combinations(ids, k)
        if meets_quotas(combo, people, quotas, k) and one_per_household(combo, people)
    ]
    n = len(ids)
    fixed: list[float | None] = [None] * n
    while any(f is None for f in fixed):
        rows = [(f - 1e-9, False) if f is not None else (0.0, True) for f in fixed]
        level = _lp_max(n, panels, None, rows)
        rows = [(f - 1e-9, False) if f is not None else (level - 1e-9, False) for f in fixed]
        stuck = [
            i for i in range(n) if fixed[i] is None and _lp_max(n, panels, i, rows) <= level + 1e-7
        ]
        assert stuck
        for i in stuck:
            fixed[i] = level
    return {pid: float(f) for pid, f in zip(ids, fixed, strict=True) if f is not None}


def random_instance(rng: random.Random) -> tuple[list[Person], list[Quota], int]:
    n = rng.randint(6, 10)
    k = rng.randint(2, 4)
    features = [f"f{j}" for j in range(rng.randint(2, 4))]
    n_values = rng.choice([2, 3])
    order = list(range(n))
    rng.shuffle(order)
    household = {}
    for pair in range(rng.randint(0, 2)):
        household[order[2 * pair]] = household[order[2 * pair + 1]] = f"h{pair}"
    people = [
        Person.create(
            f"p{i:02d}", {f: f"v{rng.randrange(n_values)}" for f in features}, household.get(i)
        )
        for i in range(n)
    ]
    quotas = []
    for feature in features:
        for value in range(n_values):
            low = rng.randint(0, k // 2)
            quotas.append(Quota(feature, f"v{value}", low, rng.randint(low, k)))
    return people, quotas, k


# --------------------------------------------------------------------------------------------
# leximin on hand-built pools with known answers
# --------------------------------------------------------------------------------------------


def test_symmetric_pool_gives_uniform_probabilities() -> None:
    people = [person(f"p{i}", group="a" if i < 3 else "b") for i in range(6)]
    quotas = [Quota("group", "a", 1, 1), Quota("group", "b", 1, 1)]
    dist = find_leximin_distribution(people, quotas, 2)
    check_distribution(dist, people, quotas, 2)
    for probability in dist.probability_map().values():
        assert probability == pytest.approx(1 / 3, abs=1e-7)


def test_no_quotas_is_uniform() -> None:
    people = [person(f"p{i}") for i in range(5)]
    dist = find_leximin_distribution(people, [], 2)
    check_distribution(dist, people, [], 2)
    assert all(p == pytest.approx(0.4, abs=1e-7) for p in dist.probability_map().values())


def test_scarce_category_forces_probability_one() -> None:
    people = [person("rare", age="16-24")] + [person(f"p{i}", age="25+") for i in range(7)]
    quotas = [Quota("age", "16-24", 1, 2), Quota("age", "25+", 0, 4)]
    dist = find_leximin_distribution(people, quotas, 4)
    check_distribution(dist, people, quotas, 4)
    probabilities = dist.probability_map()
    assert probabilities["rare"] == pytest.approx(1.0, abs=1e-7)
    for i in range(7):
        assert probabilities[f"p{i}"] == pytest.approx(3 / 7, abs=1e-7)


def test_two_groups_with_unequal_sizes() -> None:
    # one seat for 2 women, one seat for 4 men: 1/2 and 1/4 is the only fair answer
    people = [person(f"w{i}", gender="f") for i in range(2)]
    people += [person(f"m{i}", gender="m") for i in range(4)]
    quotas = [Quota("gender", "f", 1, 1), Quota("gender", "m", 1, 1)]
    dist = find_leximin_distribution(people, quotas, 2)
    check_distribution(dist, people, quotas, 2)
    probabilities = dist.probability_map()
    assert all(probabilities[f"w{i}"] == pytest.approx(0.5, abs=1e-7) for i in range(2))
    assert all(probabilities[f"m{i}"] == pytest.approx(0.25, abs=1e-7) for i in range(4))


def test_household_shares_one_seat() -> None:
    # a, b, c live together: together at most one seat, so 1/3 each; d and e get 1/2
    people = [person(x, "home") for x in "abc"] + [person("d"), person("e")]
    dist = find_leximin_distribution(people, [], 2)
    check_distribution(dist, people, [], 2)
    probabilities = dist.probability_map()
    for x in "abc":
        assert probabilities[x] == pytest.approx(1 / 3, abs=1e-7)
    assert probabilities["d"] == pytest.approx(0.5, abs=1e-7)
    assert probabilities["e"] == pytest.approx(0.5, abs=1e-7)
    ignoring = find_leximin_distribution(people, [], 2, respect_households=False)
    assert all(p == pytest.approx(0.4, abs=1e-7) for p in ignoring.probability_map().values())


def test_leximin_beyond_the_lp_relaxation() -> None:
    # The LP relaxation would give p00 and p04 some probability, but no real panel contains
    # them: the only panels are {p01, p03} and {p02, p05}.  Exercises the exact fallback.
    people = [
        person("p00", "h1", f0="v0", f1="v0"),
        person("p01", "h1", f0="v1", f1="v1"),
        person("p02", "h0", f0="v1", f1="v0"),
        person("p03", None, f0="v0", f1="v0"),
        person("p04", "h0", f0="v0", f1="v1"),
        person("p05", None, f0="v0", f1="v1"),
    ]
    quotas = [
        Quota("f0", "v0", 1, 2),
        Quota("f0", "v1", 1, 1),
        Quota("f1", "v0", 1, 1),
        Quota("f1", "v1", 0, 2),
    ]
    dist = find_leximin_distribution(people, quotas, 2)
    check_distribution(dist, people, quotas, 2)
    assert not dist.stats.relaxation_attained
    expected = {"p00": 0.0, "p01": 0.5, "p02": 0.5, "p03": 0.5, "p04": 0.0, "p05": 0.5}
    for pid, probability in dist.probability_map().items():
        assert probability == pytest.approx(expected[pid], abs=1e-7)


def test_matches_brute_force_on_random_small_pools() -> None:
    rng = random.Random(2024)
    checked = fallback = 0
    while checked < 30:
        people, quotas, k = random_instance(rng)
        if not check_feasibility(people, quotas, k).feasible:
            continue
        dist = find_leximin_distribution(people, quotas, k)
        check_distribution(dist, people, quotas, k)
        expected = brute_force_leximin(people, quotas, k)
        ours = dist.probability_map()
        for pid, probability in expected.items():
            assert ours[pid] == pytest.approx(probability, abs=1e-6), (people, quotas, k)
        checked += 1
        fallback += not dist.stats.relaxation_attained
    assert fallback > 0  # some of these pools need the exact stage-wise fallback


# --------------------------------------------------------------------------------------------
# the shared pool D
# --------------------------------------------------------------------------------------------


def relaxation_max_min(pool: Pool) -> float:
    """max t s.t. x in the LP relaxation of the panel polytope and x_i >= t for everyone."""
    people = sorted(pool.people, key=lambda p: p.id)
    n = len(people)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.addVars(n + 1, np.zeros(n + 1), np.ones(n + 1))
    h.changeColCost(n, 1.0)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def row(members: list[int], low: float, high: float) -> None:
        h.addRow(low, high, len(members), np.array(members, np.int32), np.ones(len(members)))

    row(list(range(n)), pool.k, pool.k)
    for q in pool.quotas:
        row([i for i, p in enumerate(people) if p.value(q.feature) == q.value], q.min, q.max)
    households: dict[str, list[int]] = {}
    for i, p in enumerate(people):
        if p.household is not None:
            households.setdefault(p.household, []).append(i)
    for members in households.values():
        row(members, 0.0, 1.0)
    for i in range(n):
        h.addRow(0.0, highspy.kHighsInf, 2, np.array([i, n], np.int32), np.array([1.0, -1.0]))
    h.run()
    return float(h.getInfo().objective_function_value)


class Pool:
    def __init__(self, name: str) -> None:
        if not (DATA / f"people_{name}.csv").exists():
            pytest.skip(f"shared sortition pool {name} not found under {DATA}")
        settings = read_settings_toml((DATA / f"settings_{name}.toml").read_bytes()).settings
        assert settings is not None
        features = read_features_csv((DATA / f"features_{name}.csv").read_bytes())
        assert features.ok
        k, _ = read_panel_size((DATA / f"k_{name}.txt").read_bytes())
        assert k is not None
        people = read_people_csv(
            (DATA / f"people_{name}.csv").read_bytes(),
            features.quotas,
            id_column=settings.id_column,
            address_columns=settings.household_columns,
        )
        assert people.ok
        self.people = people.people
        self.quotas = features.quotas
        self.k = k
        self.seed = settings.random_number_seed


@pytest.fixture(scope="module")
def pool_d() -> Pool:
    return Pool("D")


@pytest.fixture(scope="module")
def pool_d_result(pool_d: Pool) -> SelectionResult:
    return select_panel(SelectionRequest(pool_d.people, pool_d.quotas, pool_d.k, seed=pool_d.seed))


def test_pool_d_distribution_and_draw(pool_d: Pool, pool_d_result: SelectionResult) -> None:
    result = pool_d_result
    assert result.distribution is not None
    dist = Distribution(result.distribution, result.probabilities, result.stats)
    check_distribution(dist, pool_d.people, pool_d.quotas, pool_d.k)
    assert meets_quotas(result.panel, pool_d.people, pool_d.quotas, pool_d.k)
    assert one_per_household(result.panel, pool_d.people)
    assert result.panel in {p.members for p in result.distribution}
    assert len(result.distribution) <= len(pool_d.people) + 1
    # optimal minimum: no distribution can beat the LP relaxation's max-min (computed here
    # independently over people), and on pool D leximin reaches it
    probabilities = result.probability_map()
    assert result.min_probability >= relaxation_max_min(pool_d) - 1e-7
    assert sum(probabilities.values()) == pytest.approx(pool_d.k, abs=1e-7)


def test_pool_d_stagewise_column_generation_agrees(
    pool_d: Pool, pool_d_result: SelectionResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relaxation shortcut and the exact stage-wise algorithm give the same leximin."""
    from engage.panels import selection

    monkeypatch.setattr(selection, "_DECOMPOSED_TOL", -1.0)  # never accept the shortcut
    exact = find_leximin_distribution(pool_d.people, pool_d.quotas, pool_d.k)
    assert exact.stats.exact_stages > 1 and not exact.stats.relaxation_attained
    check_distribution(exact, pool_d.people, pool_d.quotas, pool_d.k)
    shortcut = pool_d_result.probability_map()
    for pid, probability in exact.probability_map().items():
        assert probability == pytest.approx(shortcut[pid], abs=1e-7)


def test_pool_d_at_least_as_fair_as_reference_maximin_subpool() -> None:
    sortition = pytest.importorskip("sortition_algorithms")
    from sortition_algorithms.committee_generation import find_distribution_maximin
    from sortition_algorithms.features import FeatureCollection, FeatureValueMinMax
    from sortition_algorithms.people import People

    rng = random.Random(5)
    people = [
        person(
            f"x{i:02d}",
            f"h{i // 2}" if i < 8 else None,
            a=rng.choice("pqr"),
            b=rng.choice("st"),
            c=rng.choice("uvw"),
        )
        for i in range(40)
    ]
    quotas = [Quota("a", v, 1, 3) for v in "pqr"]
    quotas += [Quota("b", v, 2, 4) for v in "st"]
    quotas += [Quota("c", v, 1, 3) for v in "uvw"]
    k = 6
    ours = find_leximin_distribution(people, quotas, k)
    check_distribution(ours, people, quotas, k)

    features: FeatureCollection = {
        f: {q.value: FeatureValueMinMax(min=q.min, max=q.max) for q in quotas if q.feature == f}
        for f in "abc"
    }
    ref_people = People(["home"])
    for row, p in enumerate(people, start=2):
        data = {**dict(p.features), "home": p.household or p.id}
        ref_people.add(p.id, data, features, row)
    sortition.utils.set_random_provider(11)
    committees, weights, _ = find_distribution_maximin(features, ref_people, k, ["home"])
    reference = dict.fromkeys(ref_people, 0.0)
    for committee, weight in zip(committees, weights, strict=True):
        for pid in committee:
            reference[pid] += weight
    our_sorted = sorted(ours.probability_map().values())
    ref_sorted = sorted(reference.values())
    assert our_sorted[0] >= ref_sorted[0] - 1e-7
    for a, b in zip(our_sorted, ref_sorted, strict=True):
        if abs(a - b) > 1e-7:
            assert a > b  # first difference in the leximin order is in our favour
            break


def test_same_seed_same_panel_and_order_independent(
    pool_d: Pool, pool_d_result: SelectionResult
) -> None:
    shuffled = list(pool_d.people)
    random.Random(3).shuffle(shuffled)
    again = select_panel(
        SelectionRequest(tuple(shuffled), pool_d.quotas, pool_d.k, seed=pool_d.seed)
    )
    assert again == pool_d_result


def test_seeds_draw_different_panels_from_one_distribution() -> None:
    people = [person(f"p{i}", group="a" if i % 3 else "b") for i in range(12)]
    quotas = [Quota("group", "a", 2, 3), Quota("group", "b", 1, 2)]
    request = SelectionRequest(tuple(people), tuple(quotas), 4, seed=0)
    panels = set()
    for seed in range(12):
        result = select_panel(
            SelectionRequest(request.people, request.quotas, request.k, seed=seed)
        )
        assert (
            result.panel
            == select_panel(
                SelectionRequest(request.people, request.quotas, request.k, seed=seed)
            ).panel
        )
        assert meets_quotas(result.panel, people, quotas, 4)
        panels.add(result.panel)
    assert len(panels) > 3


def test_reproducible_across_processes() -> None:
    code = (
        "from engage.panels.selection import *\n"
        "people = tuple(Person.create(f'p{i}', {'g': 'abc'[i % 3], 'h': 'xy'[i % 2]},"
        " f'hh{i // 3}' if i < 6 else None) for i in range(30))\n"
        "quotas = (Quota('g','a',2,4), Quota('g','b',2,4), Quota('g','c',1,3),"
        " Quota('h','x',3,5), Quota('h','y',3,5))\n"
        "r = select_panel(SelectionRequest(people, quotas, 8, seed=99))\n"
        "print(r.panel, r.probabilities, r.distribution)\n"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env=env,
            timeout=120,
        )
        outputs.add(out.stdout)
    assert len(outputs) == 1


# --------------------------------------------------------------------------------------------
# legacy
# --------------------------------------------------------------------------------------------


def test_legacy_meets_quotas_and_is_reproducible(pool_d: Pool) -> None:
    request = SelectionRequest(
        pool_d.people,
        pool_d.quotas,
        pool_d.k,
        seed=17,
        algorithm="legacy",
        legacy_estimate_runs=20,
    )
    result = select_panel(request)
    assert result.algorithm == "legacy"
    assert result.distribution is None
    assert result.probabilities_estimated
    assert meets_quotas(result.panel, pool_d.people, pool_d.quotas, pool_d.k)
    assert one_per_household(result.panel, pool_d.people)
    assert sum(result.probability_map().values()) == pytest.approx(pool_d.k)
    assert select_panel(request) == result
    other = select_panel(
        SelectionRequest(
            pool_d.people,
            pool_d.quotas,
            pool_d.k,
            seed=18,
            algorithm="legacy",
            legacy_estimate_runs=0,
        )
    )
    assert other.panel != result.panel
    assert other.probabilities == ()  # no estimate asked for


def test_legacy_households() -> None:
    people = [person(x, "home") for x in "abc"] + [person(f"p{i}") for i in range(3)]
    for seed in range(20):
        result = select_panel(SelectionRequest(tuple(people), (), 4, seed=seed, algorithm="legacy"))
        assert one_per_household(result.panel, people)


def test_unknown_algorithm() -> None:
    request = SelectionRequest((person("a"),), (), 1, seed=1, algorithm="nash")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown algorithm"):
        select_panel(request)


# --------------------------------------------------------------------------------------------
# feasibility
# --------------------------------------------------------------------------------------------


def _issue_dicts(people: list[Person], quotas: list[Quota], k: int) -> list[dict[str, str | int]]:
    report = check_feasibility(people, quotas, k)
    assert not report.feasible
    return report.as_dicts()


def test_too_few_volunteers() -> None:
    people = [person(f"y{i}", age="16-24") for i in range(3)]
    people += [person(f"o{i}", age="25+") for i in range(20)]
    quotas = [Quota("age", "16-24", 6, 8), Quota("age", "25+", 2, 10)]
    issues = _issue_dicts(people, quotas, 10)
    assert {
        "code": "too_few_volunteers",
        "feature": "age",
        "value": "16-24",
        "needed": 6,
        "available": 3,
    } in issues
    with pytest.raises(InfeasibleSelectionError) as caught:
        select_panel(SelectionRequest(tuple(people), tuple(quotas), 10, seed=1))
    assert "too_few_volunteers" in caught.value.report.codes


def test_sums_of_minimums_and_maximums() -> None:
    people = [person(f"p{i}", g="ab"[i % 2], h="xy"[i % 2]) for i in range(20)]
    quotas = [
        Quota("g", "a", 4, 5),
        Quota("g", "b", 4, 5),  # sum of mins 8 > k
        Quota("h", "x", 0, 2),
        Quota("h", "y", 0, 3),  # sum of maxes 5 < k
    ]
    issues = _issue_dicts(people, quotas, 6)
    assert {
        "code": "minimums_exceed_panel_size",
        "feature": "g",
        "needed": 8,
        "available": 6,
    } in issues
    assert {
        "code": "maximums_below_panel_size",
        "feature": "h",
        "needed": 6,
        "available": 5,
    } in issues


def test_data_problems_are_reported_as_codes() -> None:
    people = [
        person("a", g="x"),
        person("a", g="x"),
        person("b", g="zzz"),
        person("c"),
    ]
    quotas = [Quota("g", "x", 3, 1), Quota("g", "x", 0, 1)]
    codes = check_feasibility(people, quotas, 0).codes
    for code in (
        "invalid_panel_size",
        "duplicate_person_id",
        "duplicate_quota",
        "min_greater_than_max",
        "value_without_quota",
        "missing_feature_value",
    ):
        assert code in codes


def test_pool_and_households_too_small() -> None:
    assert _issue_dicts([person("a"), person("b")], [], 3) == [
        {"code": "pool_too_small", "needed": 3, "available": 2}
    ]
    people = [person(x, "h") for x in "abc"] + [person("d")]
    assert _issue_dicts(people, [], 3) == [
        {"code": "too_few_households", "needed": 3, "available": 2}
    ]
    people = [person(x, "h", g="v") for x in "ab"] + [person("c", g="w")]
    quotas = [Quota("g", "v", 2, 2), Quota("g", "w", 0, 1)]
    assert {
        "code": "too_few_households",
        "feature": "g",
        "value": "v",
        "needed": 2,
        "available": 1,
    } in _issue_dicts(people, quotas, 2)


def test_jointly_infeasible_quotas_suggest_a_working_relaxation() -> None:
    # every "x" is also an "a", but we want two x and at most one a
    people = [person(f"ax{i}", f="a", g="x") for i in range(3)]
    people += [person(f"by{i}", f="b", g="y") for i in range(3)]
    quotas = [
        Quota("f", "a", 1, 1),
        Quota("f", "b", 1, 1),
        Quota("g", "x", 2, 2),
        Quota("g", "y", 0, 0),
    ]
    assert check_feasibility(people, quotas, 2, use_solver=False).feasible
    report = check_feasibility(people, quotas, 2)
    assert not report.feasible
    assert report.codes[0] == "quotas_jointly_infeasible"
    suggestions = [i for i in report.issues if i.code in ("relax_min", "relax_max")]
    assert suggestions
    relaxed = {(q.feature, q.value): q for q in quotas}
    for issue in suggestions:
        assert issue.feature is not None and issue.value is not None
        assert issue.suggested is not None
        old = relaxed[(issue.feature, issue.value)]
        if issue.code == "relax_min":
            assert issue.current == old.min and issue.suggested < old.min
            relaxed[(issue.feature, issue.value)] = Quota(
                old.feature, old.value, issue.suggested, old.max
            )
        else:
            assert issue.current == old.max and issue.suggested > old.max
            relaxed[(issue.feature, issue.value)] = Quota(
                old.feature, old.value, old.min, issue.suggested
            )
    assert check_feasibility(people, list(relaxed.values()), 2).feasible


def test_relaxation_respects_flex_bounds() -> None:
    people = [person(f"ax{i}", f="a", g="x") for i in range(3)]
    people += [person(f"by{i}", f="b", g="y") for i in range(3)]
    quotas = [
        Quota("f", "a", 1, 1, min_flex=1, max_flex=1),
        Quota("f", "b", 1, 1, min_flex=1, max_flex=1),
        Quota("g", "x", 2, 2, min_flex=2, max_flex=2),
        Quota("g", "y", 0, 0, min_flex=0, max_flex=0),
    ]
    assert check_feasibility(people, quotas, 2).codes == (
        "quotas_jointly_infeasible",
        "infeasible_within_flex",
    )


# --------------------------------------------------------------------------------------------
# replacements
# --------------------------------------------------------------------------------------------


def test_replacements_keep_quotas(pool_d: Pool, pool_d_result: SelectionResult) -> None:
    panel = pool_d_result.panel
    withdrawn = panel[:3]
    first = select_replacements(pool_d.people, panel, withdrawn, pool_d.quotas, pool_d.k, 5)
    assert len(first.replacements) == 3
    assert set(first.panel) == (set(panel) - set(withdrawn)) | set(first.replacements)
    assert not set(first.replacements) & set(panel)
    assert meets_quotas(first.panel, pool_d.people, pool_d.quotas, pool_d.k)
    assert one_per_household(first.panel, pool_d.people)
    again = select_replacements(pool_d.people, panel, withdrawn, pool_d.quotas, pool_d.k, 5)
    assert again == first
    legacy = select_replacements(
        pool_d.people, panel, withdrawn, pool_d.quotas, pool_d.k, 5, algorithm="legacy"
    )
    assert meets_quotas(legacy.panel, pool_d.people, pool_d.quotas, pool_d.k)
    nobody = select_replacements(pool_d.people, panel, [], pool_d.quotas, pool_d.k, 5)
    assert nobody.replacements == () and nobody.panel == panel


def test_replacement_matches_the_withdrawn_category() -> None:
    people = [person("young1", age="young"), person("young2", "hh", age="young")]
    people += [person(f"old{i}", age="old") for i in range(5)]
    people += [person("young3", "hh", age="young")]
    quotas = [Quota("age", "young", 1, 1), Quota("age", "old", 2, 2)]
    result = select_replacements(people, ["young1", "old0", "old1"], ["young1"], quotas, 3, 1)
    # young3 shares a household with young2, so both remain possible; one young is needed
    assert len(result.replacements) == 1
    assert result.replacements[0] in {"young2", "young3"}
    assert result.adjusted_quotas[0] == Quota("age", "young", 1, 1)


def test_replacement_infeasible_and_bad_ids() -> None:
    people = [person("young1", age="young")] + [person(f"old{i}", age="old") for i in range(5)]
    quotas = [Quota("age", "young", 1, 1), Quota("age", "old", 2, 2)]
    with pytest.raises(InfeasibleSelectionError) as caught:
        select_replacements(people, ["young1", "old0", "old1"], ["young1"], quotas, 3, 1)
    assert caught.value.report.as_dicts()[0] == {
        "code": "too_few_volunteers",
        "feature": "age",
        "value": "young",
        "needed": 1,
        "available": 0,
    }
    with pytest.raises(InfeasibleSelectionError) as caught:
        select_replacements(people, ["young1", "ghost"], ["old3"], quotas, 3, 1)
    assert caught.value.report.codes == ("unknown_panel_member", "withdrawn_not_in_panel")


# --------------------------------------------------------------------------------------------
# quotas from a census profile
# --------------------------------------------------------------------------------------------


def test_quotas_from_profile_largest_remainder() -> None:
    quotas = quotas_from_profile({"tenure": {"own": 50, "social": 30, "private": 20}}, 7, 1)
    # exact shares 3.5, 2.1, 1.4 -> floors 3, 2, 1 -> the spare seat goes to "own"
    assert quotas == (
        Quota("tenure", "own", 3, 5),
        Quota("tenure", "social", 1, 3),
        Quota("tenure", "private", 0, 2),
    )
    clipped = quotas_from_profile({"g": {"a": 99, "b": 1}}, 3, 2)
    assert clipped == (Quota("g", "a", 1, 3), Quota("g", "b", 0, 2))


def test_quotas_from_profile_targets_sum_to_k() -> None:
    rng = random.Random(1)
    for _ in range(200):
        k = rng.randint(1, 60)
        counts = {f"v{i}": rng.randint(0, 1000) for i in range(rng.randint(1, 8))}
        counts["v0"] += 1
        quotas = quotas_from_profile({"f": counts}, k, 0)
        assert sum(q.min for q in quotas) == k
        assert all(q.min == q.max for q in quotas)
        total = sum(counts.values())
        for q in quotas:
            assert abs(q.min - k * counts[q.value] / total) < 1


def test_quotas_from_profile_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        quotas_from_profile({"f": {"a": 0}}, 5, 1)
    with pytest.raises(ValueError):
        quotas_from_profile({"f": {"a": 3}}, 0, 1)
    with pytest.raises(ValueError):
        quotas_from_profile({"f": {"a": 3}}, 5, -1)
