"""Tests for engage.weighting: raking, trimming, Kish effective sample size."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from engage.weighting import (
    MISSING_CODE,
    CodedColumn,
    encode,
    kish_design_effect,
    kish_effective_sample_size,
    rake,
    weighted_share,
)

AGE_SEX_2X2 = (
    [{"age": "young", "sex": "f"}] * 40
    + [{"age": "young", "sex": "m"}] * 10
    + [{"age": "old", "sex": "f"}] * 20
    + [{"age": "old", "sex": "m"}] * 30
)
AGE_SEX_TARGETS = {"age": {"young": 60.0, "old": 40.0}, "sex": {"f": 50.0, "m": 50.0}}


def cell_weight(
    result_weights: np.ndarray, records: Sequence[Mapping[str, str]], age: str, sex: str
) -> float:
    """The (common) weight of respondents in one age x sex cell."""
    values = {
        float(w)
        for w, r in zip(result_weights, records, strict=True)
        if r["age"] == age and r["sex"] == sex
    }
    assert len(values) == 1
    return values.pop()


def achieved_shares(weights: np.ndarray, column: Sequence[str | None]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for w, c in zip(weights, column, strict=True):
        if c is not None:
            totals[c] = totals.get(c, 0.0) + float(w)
    known = sum(totals.values())
    return {c: t / known for c, t in totals.items()}


def reference_rake(
    columns: Mapping[str, Sequence[str | None]],
    targets: Mapping[str, Mapping[str, float]],
    sweeps: int,
) -> list[float]:
    """Textbook per-respondent IPF in pure Python (unknown categories left alone)."""
    n = len(next(iter(columns.values())))
    w = [1.0] * n
    for _ in range(sweeps):
        for variable, target in targets.items():
            column = [c if c is not None and c in target else "" for c in columns[variable]]
            present = {c for c in column if c in target}
            target_total = sum(v for c, v in target.items() if c in present)
            sums: dict[str, float] = {}
            for wi, c in zip(w, column, strict=True):
                if c in target:
                    sums[c] = sums.get(c, 0.0) + wi
            known = sum(sums.values())
            w = [
                wi * (target[c] / target_total * known / sums[c]) if c in target else wi
                for wi, c in zip(w, column, strict=True)
            ]
    return w


def random_columns(seed: int, n: int) -> dict[str, list[str | None]]:
    rng = np.random.default_rng(seed)
    age = rng.choice(["16-34", "35-64", "65+"], size=n, p=[0.2, 0.5, 0.3])
    # Tenure correlated with age so that raking needs several sweeps.
    owner_p = np.select([age == "16-34", age == "35-64"], [0.3, 0.6], 0.8)
    tenure = np.where(rng.random(n) < owner_p, "owner", "renter")
    sex = rng.choice(["f", "m"], size=n)
    missing = rng.random(n) < 0.05
    return {
        "age": [str(a) for a in age],
        "sex": [None if m else str(s) for s, m in zip(sex, missing, strict=True)],
        "tenure": [str(t) for t in tenure],
    }


RANDOM_TARGETS = {
    "age": {"16-34": 30.0, "35-64": 45.0, "65+": 25.0},
    "sex": {"f": 51.0, "m": 49.0},
    "tenure": {"owner": 65.0, "renter": 35.0},
}


def test_the_hand_worked_two_by_two_example_after_one_sweep() -> None:
    # Sample: young f 40, young m 10, old f 20, old m 30; targets young .6, old .4, f .5, m .5.
    # Age step: young 50 -> 60 (x1.2), old 50 -> 40 (x0.8).
    # Sex step: f = 40*1.2 + 20*0.8 = 64 -> 50 (x50/64); m = 10*1.2 + 30*0.8 = 36 -> 50 (x50/36).
    result = rake(AGE_SEX_2X2, AGE_SEX_TARGETS, max_iterations=1)
    w = result.weights
    assert cell_weight(w, AGE_SEX_2X2, "young", "f") == pytest.approx(1.2 * 50 / 64)
    assert cell_weight(w, AGE_SEX_2X2, "young", "m") == pytest.approx(1.2 * 50 / 36)
    assert cell_weight(w, AGE_SEX_2X2, "old", "f") == pytest.approx(0.8 * 50 / 64)
    assert cell_weight(w, AGE_SEX_2X2, "old", "m") == pytest.approx(0.8 * 50 / 36)
    assert result.iterations == 1
    assert not result.converged


def test_the_hand_worked_two_by_two_example_converges_to_the_odds_ratio_solution() -> None:
    # Raking keeps the sample odds ratio 40*30/(10*20) = 6.  The fitted table
    # [[x, 60-x], [50-x, x-10]] with x(x-10) = 6(60-x)(50-x) gives x^2 - 130x + 3600 = 0,
    # so x = 40 (x = 90 is infeasible): fitted cells 40, 20, 10, 30.
    result = rake(AGE_SEX_2X2, AGE_SEX_TARGETS, tolerance=1e-12)
    w = result.weights
    assert result.converged
    assert cell_weight(w, AGE_SEX_2X2, "young", "f") == pytest.approx(40 / 40, abs=1e-9)
    assert cell_weight(w, AGE_SEX_2X2, "young", "m") == pytest.approx(20 / 10, abs=1e-9)
    assert cell_weight(w, AGE_SEX_2X2, "old", "f") == pytest.approx(10 / 20, abs=1e-9)
    assert cell_weight(w, AGE_SEX_2X2, "old", "m") == pytest.approx(30 / 30, abs=1e-9)
    # Kish: sum w = 100, sum w^2 = 40*1 + 10*4 + 20*0.25 + 30*1 = 115.
    assert result.effective_sample_size == pytest.approx(100**2 / 115)
    assert result.design_effect == pytest.approx(1.15)


def test_a_sample_that_already_matches_the_targets_keeps_unit_weights() -> None:
    records = [{"age": a, "sex": s} for a in ("y", "o") for s in ("f", "m") for _ in range(5)]
    result = rake(records, {"age": {"y": 1, "o": 1}, "sex": {"f": 3, "m": 3}})
    assert result.converged
    assert result.iterations == 0
    assert np.array_equal(result.weights, np.ones(20))
    assert result.design_effect == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raked_weights_reproduce_every_target_margin(seed: int) -> None:
    columns = random_columns(seed, 5_000)
    result = rake(columns, RANDOM_TARGETS, tolerance=1e-9)
    assert result.converged
    assert result.max_error < 1e-9
    assert result.weights.sum() == pytest.approx(5_000)
    for variable, target in RANDOM_TARGETS.items():
        shares = achieved_shares(result.weights, columns[variable])
        total = sum(target.values())
        for category, value in target.items():
            assert shares[category] == pytest.approx(value / total, abs=1e-9)


@pytest.mark.parametrize("sweeps", [1, 2, 5])
def test_the_cell_based_implementation_matches_textbook_per_respondent_raking(
    sweeps: int,
) -> None:
    columns = random_columns(7, 600)
    expected = reference_rake(columns, RANDOM_TARGETS, sweeps)
    result = rake(columns, RANDOM_TARGETS, max_iterations=sweeps, tolerance=1e-15)
    assert result.iterations == sweeps
    np.testing.assert_allclose(result.weights, expected, rtol=1e-10)


def test_records_string_columns_and_coded_columns_give_identical_weights() -> None:
    columns = random_columns(11, 2_000)
    records = [
        {k: v for k, v in zip(columns, values, strict=True) if v is not None}
        for values in zip(*columns.values(), strict=True)
    ]
    coded = {k: encode(v) for k, v in columns.items()}
    from_columns = rake(columns, RANDOM_TARGETS).weights
    assert np.array_equal(rake(records, RANDOM_TARGETS).weights, from_columns)
    assert np.array_equal(rake(coded, RANDOM_TARGETS).weights, from_columns)


def test_respondents_with_a_missing_or_unknown_category_keep_their_weight_on_that_margin() -> None:
    records = (
        [{"age": "y", "sex": "f"}] * 30
        + [{"age": "o", "sex": "f"}] * 10
        + [{"age": "o", "sex": "m"}] * 20
        + [{"age": "y"}] * 5  # sex missing
        + [{"age": "o", "sex": "prefer_not_to_say"}] * 4  # not a target category
        + [{}] * 6  # nothing known: weight stays 1 throughout
    )
    result = rake(records, {"age": {"y": 50, "o": 50}, "sex": {"f": 1, "m": 1}}, tolerance=1e-12)
    assert result.converged
    sex = next(m for m in result.margins if m.variable == "sex")
    age = next(m for m in result.margins if m.variable == "age")
    assert sex.missing == 11
    assert sex.unmatched == (("prefer_not_to_say", 4),)
    assert age.missing == 6
    assert np.allclose(result.weights[-6:], 1.0)
    sex_column = [r.get("sex") if r.get("sex") in ("f", "m") else None for r in records]
    assert achieved_shares(result.weights, sex_column) == pytest.approx({"f": 0.5, "m": 0.5})
    age_column = [r.get("age") for r in records]
    assert achieved_shares(result.weights, age_column) == pytest.approx({"y": 0.5, "o": 0.5})


def test_target_categories_without_respondents_are_reported_and_the_rest_rescaled() -> None:
    records = [{"age": "y"}] * 10 + [{"age": "o"}] * 30
    result = rake(records, {"age": {"y": 30, "mid": 40, "o": 30}})
    assert result.converged
    (margin,) = result.margins
    assert margin.empty_targets == ("mid",)
    assert achieved_shares(result.weights, [r["age"] for r in records]) == pytest.approx(
        {"y": 0.5, "o": 0.5}
    )


def test_respondents_in_a_category_with_a_zero_target_get_zero_weight() -> None:
    records = [{"age": "y"}] * 10 + [{"age": "o"}] * 30 + [{"age": "child"}] * 2
    result = rake(records, {"age": {"y": 1, "o": 1, "child": 0}})
    assert result.margins[0].zero_target_respondents == 2
    assert np.all(result.weights[-2:] == 0.0)
    assert result.weights.sum() == pytest.approx(42)


def test_non_convergence_is_reported_not_raised() -> None:
    columns = random_columns(5, 3_000)
    result = rake(columns, RANDOM_TARGETS, max_iterations=1, tolerance=1e-12)
    assert result.iterations == 1
    assert not result.converged
    assert result.max_error >= 1e-12
    assert max(m.max_error for m in result.margins) == result.max_error


def test_contradictory_margins_do_not_converge() -> None:
    # Everybody young is female and everybody old is male, but the targets want 90% young
    # and 50% female: impossible.
    records = [{"age": "y", "sex": "f"}] * 10 + [{"age": "o", "sex": "m"}] * 10
    result = rake(records, {"age": {"y": 9, "o": 1}, "sex": {"f": 1, "m": 1}}, max_iterations=50)
    assert not result.converged
    assert result.iterations == 50


@pytest.mark.parametrize("cap", [1.5, 2.0, 3.0])
def test_capping_keeps_every_weight_within_the_cap_and_the_total(cap: float) -> None:
    columns = random_columns(3, 4_000)
    skewed = {**RANDOM_TARGETS, "age": {"16-34": 60.0, "35-64": 30.0, "65+": 10.0}}
    uncapped = rake(columns, skewed)
    assert uncapped.weights.max() > cap
    result = rake(columns, skewed, cap=cap, max_iterations=500)
    assert result.weights.max() <= cap * (1 + 1e-9)
    assert result.weights.sum() == pytest.approx(4_000)
    assert result.trimmed > 0
    assert result.design_effect < uncapped.design_effect


def test_capping_with_unequal_base_weights_caps_final_weights() -> None:
    columns = random_columns(4, 3_000)
    base = np.random.default_rng(4).choice([0.5, 1.0, 2.0], size=3_000)
    result = rake(columns, RANDOM_TARGETS, base_weights=base, cap=2.5, total=6_000.0)
    mean = 6_000.0 / 3_000
    assert result.weights.max() <= 2.5 * mean * (1 + 1e-9)
    assert result.weights.sum() == pytest.approx(6_000.0)
    assert result.converged


def test_base_weights_without_a_cap_are_multiplied_by_the_raking_factors() -> None:
    columns = random_columns(8, 1_000)
    base = np.random.default_rng(8).uniform(0.5, 2.0, size=1_000)
    result = rake(columns, RANDOM_TARGETS, base_weights=base, tolerance=1e-10)
    assert result.converged
    for variable, target in RANDOM_TARGETS.items():
        shares = achieved_shares(result.weights, columns[variable])
        total = sum(target.values())
        assert shares == pytest.approx({c: v / total for c, v in target.items()}, abs=1e-9)


def test_raking_is_deterministic() -> None:
    columns = random_columns(9, 2_000)
    first = rake(columns, RANDOM_TARGETS, cap=2.0)
    second = rake(columns, RANDOM_TARGETS, cap=2.0)
    assert np.array_equal(first.weights, second.weights)
    assert (first.iterations, first.max_error) == (second.iterations, second.max_error)


def test_weights_are_read_only() -> None:
    result = rake(AGE_SEX_2X2, AGE_SEX_TARGETS)
    with pytest.raises(ValueError, match="read-only"):
        result.weights[0] = 2.0


def test_no_respondents_gives_an_empty_converged_result() -> None:
    result = rake([], AGE_SEX_TARGETS)
    assert result.converged
    assert result.respondents == 0
    assert result.effective_sample_size == 0.0


@pytest.mark.parametrize(
    ("kwargs", "targets"),
    [
        ({"cap": 1.0}, AGE_SEX_TARGETS),
        ({"tolerance": 0.0}, AGE_SEX_TARGETS),
        ({"max_iterations": -1}, AGE_SEX_TARGETS),
        ({}, {"age": {"young": -1.0, "old": 2.0}}),
        ({}, {"age": {"young": 0.0, "old": 0.0}}),
        ({}, {"age": {"young": math.nan, "old": 1.0}}),
        ({"base_weights": [1.0] * 3}, AGE_SEX_TARGETS),
    ],
)
def test_invalid_arguments_are_rejected(
    kwargs: dict[str, object], targets: dict[str, dict[str, float]]
) -> None:
    with pytest.raises(ValueError):
        rake(AGE_SEX_2X2, targets, **kwargs)  # type: ignore[arg-type]


def test_columns_of_different_lengths_are_rejected() -> None:
    with pytest.raises(ValueError):
        rake({"age": ["y", "o"], "sex": ["f"]}, AGE_SEX_TARGETS)


@pytest.mark.parametrize(
    ("weights", "ess"),
    [([1, 1, 1, 1], 4.0), ([1, 1, 2, 2], 36 / 10), ([3], 1.0), ([0, 0], 0.0), ([1, 0, 0, 0], 1.0)],
)
def test_kish_effective_sample_size_by_hand(weights: list[float], ess: float) -> None:
    assert kish_effective_sample_size(weights) == pytest.approx(ess)
    if ess > 0:
        assert kish_design_effect(weights) == pytest.approx(len(weights) / ess)


def test_weighted_share_by_hand_ignores_non_answers_and_applies_the_mask() -> None:
    values = [1.0, 0.0, 1.0, math.nan, 0.5]
    weights = [1.0, 1.0, 2.0, 5.0, 4.0]
    share = weighted_share(values, weights)
    # (1*1 + 0*1 + 1*2 + 0.5*4) / (1 + 1 + 2 + 4) = 5 / 8
    assert share.share == pytest.approx(5 / 8)
    assert share.respondents == 4
    assert share.weight_total == pytest.approx(8.0)
    assert share.effective_sample_size == pytest.approx(64 / 22)
    masked = weighted_share(values, weights, mask=[True, True, False, True, False])
    assert masked.share == pytest.approx(0.5)
    assert weighted_share([math.nan], [1.0]).share is None


def test_weighted_share_rejects_values_outside_zero_to_one() -> None:
    with pytest.raises(ValueError):
        weighted_share([1.5], [1.0])


def test_encode_appends_unknown_values_and_codes_missing_answers() -> None:
    column = encode(["b", None, "z", "a", ""], categories=["a", "b"])
    assert column.categories == ("a", "b", "z")
    assert column.codes.tolist() == [1, MISSING_CODE, 2, 0, MISSING_CODE]


def test_coded_columns_validate_their_codes() -> None:
    with pytest.raises(ValueError):
        CodedColumn(np.array([0, 2]), ("a", "b"))
    with pytest.raises(ValueError):
        CodedColumn(np.array([0, 1]), ("a", "a"))


def test_the_module_imports_only_the_standard_library_and_numpy() -> None:
    source = Path(__file__).resolve().parent.parent / "engage" / "weighting.py"
    tree = ast.parse(source.read_text())
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {"__future__", "collections", "dataclasses", "math", "numpy"}
