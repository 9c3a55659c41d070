"""Tests for engage.priorities.aggregate: combining evidence about residents' priorities."""

from __future__ import annotations

import ast
import math
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from engage.priorities.aggregate import (
    METHOD,
    AggregationConfig,
    Area,
    AreaLevel,
    AreaTree,
    Direction,
    EvidenceItem,
    Period,
    RespondentSample,
    RespondentValues,
    SkipReason,
    SourceEstimate,
    SourceKind,
    StrengthLevel,
    aggregate,
    aggregate_periods,
    combine,
    distinctiveness,
    rank_themes,
    trend,
    wilson_interval,
)
from engage.weighting import CodedColumn

AS_OF = date(2025, 6, 30)
PANEL = SourceKind.PANEL_SURVEY
CONSULTATION = SourceKind.CONSULTATION
PARTNER = SourceKind.PARTNER_DATASET

AGE_SEX_PROFILE = {"age": {"young": 60.0, "old": 40.0}, "sex": {"f": 50.0, "m": 50.0}}


def tree() -> AreaTree:
    """P -> D1 (W1 pop 1000, W2 pop 3000), D2 (W3 pop 2000, W4 pop 2000)."""
    return AreaTree(
        (
            Area("P", AreaLevel.PARTNERSHIP, None, 8000.0),
            Area("D1", AreaLevel.DISTRICT, "P", 4000.0),
            Area("D2", AreaLevel.DISTRICT, "P", 4000.0),
            Area("W1", AreaLevel.WARD, "D1", 1000.0, AGE_SEX_PROFILE),
            Area("W2", AreaLevel.WARD, "D1", 3000.0, AGE_SEX_PROFILE),
            Area("W3", AreaLevel.WARD, "D2", 2000.0, AGE_SEX_PROFILE),
            Area("W4", AreaLevel.WARD, "D2", 2000.0, AGE_SEX_PROFILE),
        )
    )


def item(
    source_id: str,
    kind: SourceKind,
    value: float,
    base: int,
    *,
    theme: str = "T1",
    area: str = "W1",
    when: date = AS_OF,
    measure: str = "share_top_priority",
) -> EvidenceItem:
    return EvidenceItem(
        source_id=source_id,
        source_kind=kind,
        theme_id=theme,
        area_id=area,
        measure=measure,
        value=value,
        base=base,
        date=when,
    )


def config(**overrides: object) -> AggregationConfig:
    return replace(AggregationConfig(as_of=AS_OF), **overrides)  # type: ignore[arg-type]


def two_by_two_sample() -> RespondentSample:
    """Young f 40, young m 10, old f 20, old m 30: raked weights 1, 2, 0.5, 1 (by hand)."""
    age = np.array([0] * 50 + [1] * 50)
    sex = np.array([0] * 40 + [1] * 10 + [0] * 20 + [1] * 30)
    return RespondentSample(
        {"age": CodedColumn(age, ("young", "old")), "sex": CodedColumn(sex, ("f", "m"))}
    )


def respondent_item(
    source_id: str,
    kind: SourceKind,
    sample: RespondentSample,
    values: np.ndarray,
    *,
    theme: str = "T1",
    area: str = "W1",
    when: date = AS_OF,
) -> EvidenceItem:
    answered = values[~np.isnan(values)]
    return EvidenceItem(
        source_id=source_id,
        source_kind=kind,
        theme_id=theme,
        area_id=area,
        measure="share_top_priority",
        value=float(answered.mean()),
        base=int(answered.size),
        date=when,
        is_respondent_level=True,
        respondents=RespondentValues(sample, values),
    )


def scenario(seed: int) -> list[EvidenceItem]:
    """Respondent-level consultation and panel in every ward, plus aggregate datasets."""
    rng = np.random.default_rng(seed)
    items: list[EvidenceItem] = []
    for source_id, kind, when in (
        ("consult", CONSULTATION, date(2024, 2, 1)),
        ("panel", PANEL, date(2025, 3, 1)),
    ):
        for ward in ("W1", "W2", "W3", "W4"):
            n = int(rng.integers(80, 300))
            sample = RespondentSample(
                {
                    "age": CodedColumn(rng.integers(-1, 2, n), ("young", "old")),
                    "sex": CodedColumn(rng.integers(0, 2, n), ("f", "m")),
                }
            )
            for theme in ("T1", "T2", "T3"):
                values = (rng.random(n) < rng.uniform(0.1, 0.6)).astype(float)
                values[rng.random(n) < 0.05] = np.nan
                items.append(
                    respondent_item(
                        source_id, kind, sample, values, theme=theme, area=ward, when=when
                    )
                )
    for i in range(12):
        items.append(
            item(
                f"dataset-{i}",
                PARTNER,
                float(rng.uniform(0.05, 0.7)),
                int(rng.integers(30, 500)),
                theme=("T1", "T2", "T3")[i % 3],
                area=("W1", "W2", "W3", "W4", "D1", "D2")[i % 6],
                when=AS_OF - timedelta(days=int(rng.integers(0, 900))),
                measure="share_dissatisfied",
            )
        )
    return items


# --------------------------------------------------------------------------- hand-worked


def test_the_wilson_interval_matches_a_hand_computation() -> None:
    # 15 of 50, 95%: z = 1.959964, z^2 = 3.841459, denominator = 1 + z^2/50 = 1.076829,
    # centre = (0.3 + z^2/100) / 1.076829 = 0.314270,
    # half = z / 1.076829 * sqrt(0.3*0.7/50 + z^2/10000) = 1.820125 * 0.067706 = 0.123234.
    lower, upper = wilson_interval(0.3, 50)
    assert lower == pytest.approx(0.191036, abs=1e-6)
    assert upper == pytest.approx(0.437504, abs=1e-6)


def test_wilson_interval_edge_cases_stay_inside_zero_to_one() -> None:
    assert wilson_interval(0.0, 20)[0] == 0.0
    assert wilson_interval(1.0, 20)[1] == 1.0
    assert wilson_interval(0.5, 0.0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(1.2, 10)


def test_two_sources_combine_by_precision_weighting_as_worked_by_hand() -> None:
    # w1 = 1.0 * 100 = 100, w2 = 0.5 * 50 = 25; score = (100*0.6 + 25*0.3) / 125 = 0.54.
    # Q = (100 * 0.06^2 + 25 * 0.24^2) / (0.54 * 0.46) = 1.8 / 0.2484 = 7.2464 (df = 1),
    # so the interval base is 125 / 7.2464 = 17.25 and I^2 = (7.2464 - 1) / 7.2464 = 0.862.
    combination = combine(
        [SourceEstimate("panel", 0.6, 100.0, 1.0), SourceEstimate("consultation", 0.3, 50.0, 0.5)]
    )
    assert combination.score == pytest.approx(0.54)
    assert combination.effective_base == pytest.approx(125.0)
    assert combination.interval_base == pytest.approx(17.25)
    assert combination.heterogeneity == pytest.approx(1 - 0.2484 / 1.8)
    assert dict(combination.shares) == pytest.approx({"panel": 0.8, "consultation": 0.2})
    # Wilson on 17.25: centre = (0.54 + 0.111346) / 1.222693 = 0.532716,
    # half = 1.602990 * sqrt(0.2484/17.25 + 3.841459/1190.25) = 0.212826.
    assert combination.lower == pytest.approx(0.319888, abs=1e-6)
    assert combination.upper == pytest.approx(0.745541, abs=1e-6)


def test_aggregate_reproduces_the_hand_worked_two_source_combination() -> None:
    items = [item("panel", PANEL, 0.6, 100), item("consultation", CONSULTATION, 0.3, 50)]
    score = aggregate(items, tree(), config()).get("T1", "W1")
    assert score is not None
    assert score.score == pytest.approx(0.54)
    assert (score.lower, score.upper) == pytest.approx((0.319888, 0.745541), abs=1e-6)
    shares = {c.source_id: c.share for c in score.contributions}
    assert shares == pytest.approx({"panel": 0.8, "consultation": 0.2})
    assert score.strength.total_base == 150
    assert score.strength.effective_base == pytest.approx(125.0)


def test_without_the_heterogeneity_allowance_the_interval_uses_the_full_effective_base() -> None:
    items = [item("panel", PANEL, 0.6, 100), item("consultation", CONSULTATION, 0.3, 50)]
    score = aggregate(items, tree(), config(heterogeneity_inflation=False)).get("T1", "W1")
    assert score is not None
    assert (score.lower, score.upper) == pytest.approx(wilson_interval(0.54, 125.0))


def test_evidence_one_half_life_old_counts_half() -> None:
    # Old panel: 100 respondents a year ago -> 50; new panel 50 today -> 50. Equal weights.
    items = [
        item("old", PANEL, 0.6, 100, when=AS_OF - timedelta(days=365)),
        item("new", PANEL, 0.3, 50),
    ]
    score = aggregate(items, tree(), config(half_life_days=365.0)).get("T1", "W1")
    assert score is not None
    assert score.score == pytest.approx(0.45)
    old = next(c for c in score.contributions if c.source_id == "old")
    assert old.recency == pytest.approx(0.5)
    assert old.effective_base == pytest.approx(100.0)
    assert old.weight == pytest.approx(50.0)
    assert score.strength.most_recent == AS_OF
    assert score.strength.oldest == AS_OF - timedelta(days=365)


def test_respondent_level_data_is_raked_to_the_census_profile_as_worked_by_hand() -> None:
    # Raked weights (see tests/test_weighting.py): young f 1, young m 2, old f 0.5, old m 1.
    # Young men say 1, everybody else 0: unweighted 10/100 = 0.1, weighted 20/100 = 0.2.
    # Kish: sum w = 100, sum w^2 = 115, so the effective base is 10000/115 = 86.96.
    values = np.array([0.0] * 40 + [1.0] * 10 + [0.0] * 50)
    items = [respondent_item("panel", PANEL, two_by_two_sample(), values)]
    cfg = config(rake_cap=None, rake_tolerance=1e-12)
    score = aggregate(items, tree(), cfg).get("T1", "W1")
    assert score is not None
    assert score.score == pytest.approx(0.2)
    (contribution,) = score.contributions
    assert contribution.effective_base == pytest.approx(10000 / 115)
    assert contribution.weighted_fraction == 1.0
    assert contribution.weighting_converged
    assert score.strength.design_effect == pytest.approx(1.15)
    assert (score.lower, score.upper) == pytest.approx(wilson_interval(0.2, 10000 / 115))


def test_non_answers_are_left_out_of_the_base() -> None:
    values = np.array([0.0] * 40 + [1.0] * 10 + [0.0] * 50)
    values[:20] = np.nan
    items = [respondent_item("panel", PANEL, two_by_two_sample(), values)]
    score = aggregate(items, tree(), config()).get("T1", "W1")
    assert score is not None
    assert score.strength.total_base == 80


def test_without_matching_census_margins_respondents_are_used_unweighted() -> None:
    sample = RespondentSample({"tenure": CodedColumn(np.array([0, 1, 0, 1]), ("own", "rent"))})
    items = [respondent_item("panel", PANEL, sample, np.array([1.0, 0.0, 0.0, 0.0]))]
    score = aggregate(items, tree(), config()).get("T1", "W1")
    assert score is not None
    assert score.score == pytest.approx(0.25)
    assert score.contributions[0].weighted_fraction == 0.0


def test_a_declared_design_effect_shrinks_the_effective_base_of_aggregate_data() -> None:
    survey = replace(item("survey", PANEL, 0.4, 300), design_effect=1.5)
    score = aggregate([survey], tree(), config()).get("T1", "W1")
    assert score is not None
    assert score.strength.effective_base == pytest.approx(200.0)
    assert score.strength.design_effect == pytest.approx(1.5)


def test_a_respondent_level_item_without_respondents_is_used_as_aggregate_data() -> None:
    flagged = replace(item("panel", PANEL, 0.4, 120), is_respondent_level=True)
    score = aggregate([flagged], tree(), config()).get("T1", "W1")
    assert score is not None
    assert score.score == pytest.approx(0.4)
    assert score.strength.effective_base == pytest.approx(120.0)
    assert score.strength.weighted_fraction == 0.0


def test_a_district_combines_its_wards_in_proportion_to_population() -> None:
    # W1 (pop 1000): 0.2 on 100; W2 (pop 3000): 0.4 on 50.  Shares 0.25 and 0.75:
    # p = 0.25*0.2 + 0.75*0.4 = 0.35; n = 1 / (0.25^2/100 + 0.75^2/50) = 1/0.011875 = 84.21.
    items = [item("panel", PANEL, 0.2, 100, area="W1"), item("panel", PANEL, 0.4, 50, area="W2")]
    result = aggregate(items, tree(), config())
    district = result.get("T1", "D1")
    assert district is not None
    assert district.score == pytest.approx(0.35)
    assert district.strength.effective_base == pytest.approx(1 / 0.011875)
    assert district.strength.total_base == 150
    assert district.strength.coverage == 1.0
    partnership = result.get("T1", "P")
    assert partnership is not None
    assert partnership.score == pytest.approx(0.35)
    assert partnership.strength.coverage == pytest.approx(0.5)
    assert result.get("T1", "D2") is None
    assert result.get("T1", "W3") is None


def test_a_district_level_dataset_counts_for_the_district_and_partnership_but_not_its_wards() -> (
    None
):
    items = [
        item("panel", PANEL, 0.2, 100, area="W1"),
        item("partner", PARTNER, 0.5, 400, area="D1"),
    ]
    result = aggregate(items, tree(), config())
    ward = result.get("T1", "W1")
    district = result.get("T1", "D1")
    assert ward is not None and district is not None
    assert [c.source_id for c in ward.contributions] == ["panel"]
    assert [c.source_id for c in district.contributions] == ["panel", "partner"]
    # Partner: 0.75 * 400 = 300; panel at D1 from W1 alone (share 1): 100.
    assert district.score == pytest.approx((100 * 0.2 + 300 * 0.5) / 400)
    panel = next(c for c in district.contributions if c.source_id == "panel")
    assert panel.coverage == pytest.approx(0.25)
    assert district.strength.coverage == 1.0


def test_source_weights_can_be_overridden_and_a_zero_weight_source_has_no_share() -> None:
    items = [item("panel", PANEL, 0.6, 100), item("consultation", CONSULTATION, 0.3, 50)]
    score = aggregate(items, tree(), config(source_weights={"consultation": 0.0})).get("T1", "W1")
    assert score is not None
    assert score.score == pytest.approx(0.6)
    assert {c.source_id: c.share for c in score.contributions} == {
        "panel": 1.0,
        "consultation": 0.0,
    }
    assert score.strength.sources == 1
    nothing = aggregate(items, tree(), config(source_weights={"consultation": 0.0, "panel": 0.0}))
    assert nothing.get("T1", "W1") is None


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adding_a_source_for_one_theme_never_changes_other_themes(seed: int) -> None:
    items = scenario(seed)
    before = aggregate(items, tree(), config())
    rng = np.random.default_rng(seed + 100)
    sample = RespondentSample(
        {
            "age": CodedColumn(rng.integers(0, 2, 150), ("young", "old")),
            "sex": CodedColumn(rng.integers(0, 2, 150), ("f", "m")),
        }
    )
    extra = [
        respondent_item(
            "new-survey",
            PANEL,
            sample,
            (rng.random(150) < 0.8).astype(float),
            theme="T2",
            area="W3",
        ),
        item("new-dataset", PARTNER, 0.9, 800, theme="T2", area="D1"),
    ]
    after = aggregate(items + extra, tree(), config())
    for theme in ("T1", "T3"):
        old = [s for s in before.scores if s.theme_id == theme]
        new = [s for s in after.scores if s.theme_id == theme]
        assert old == new
        assert [s.strength.total_base for s in old] == [s.strength.total_base for s in new]
    changed = after.get("T2", "W3")
    assert changed is not None and changed != before.get("T2", "W3")


@pytest.mark.parametrize("seed", [4, 5])
def test_results_are_reproducible_and_do_not_depend_on_input_order(seed: int) -> None:
    items = scenario(seed)
    first = aggregate(items, tree(), config())
    second = aggregate(list(items), tree(), config())
    order = np.random.default_rng(seed).permutation(len(items))
    shuffled = [items[int(i)] for i in order]
    third = aggregate(shuffled, tree(), config())
    assert first == second == third
    assert repr(first.scores) == repr(third.scores)


@pytest.mark.parametrize("seed", [6, 7])
def test_every_breakdown_has_shares_summing_to_one(seed: int) -> None:
    result = aggregate(scenario(seed), tree(), config())
    assert len(result.scores) == 3 * 7
    for score in result.scores:
        assert math.fsum(c.share for c in score.contributions) == pytest.approx(1.0)
        assert 0.0 <= score.lower <= score.score <= score.upper <= 1.0
        assert score.strength.total_base == sum(c.base for c in score.contributions)
        assert score.strength.sources == len(score.contributions)
        assert score.strength.effective_base <= score.strength.total_base


@pytest.mark.parametrize(("larger", "smaller"), [(1000, 300), (300, 100), (100, 30), (30, 10)])
def test_the_interval_widens_as_the_base_shrinks(larger: int, smaller: int) -> None:
    def width(base: int) -> float:
        score = aggregate([item("panel", PANEL, 0.3, base)], tree(), config()).get("T1", "W1")
        assert score is not None
        return score.upper - score.lower

    assert width(smaller) > width(larger)


def test_agreeing_sources_show_no_heterogeneity() -> None:
    items = [item("a", PANEL, 0.4, 100), item("b", PANEL, 0.4, 300)]
    score = aggregate(items, tree(), config()).get("T1", "W1")
    assert score is not None
    assert score.strength.heterogeneity == 0.0
    assert score.strength.interval_base == pytest.approx(400.0)


@pytest.mark.parametrize(
    ("items", "level"),
    [
        ([item("a", PANEL, 0.4, 300), item("b", PANEL, 0.4, 200)], StrengthLevel.STRONG),
        ([item("a", PANEL, 0.4, 500)], StrengthLevel.MODERATE),
        ([item("a", PANEL, 0.4, 150)], StrengthLevel.MODERATE),
        ([item("a", PANEL, 0.4, 60)], StrengthLevel.LIMITED),
        ([item("a", CONSULTATION, 0.4, 150)], StrengthLevel.LIMITED),
    ],
)
def test_evidence_strength_codes_follow_the_documented_thresholds(
    items: list[EvidenceItem], level: StrengthLevel
) -> None:
    score = aggregate(items, tree(), config()).get("T1", "W1")
    assert score is not None
    assert score.strength.level is level


# --------------------------------------------------------------------------- views


def test_themes_are_ranked_with_plausible_rank_ranges() -> None:
    items = [
        item("a", PANEL, 0.50, 2000, theme="T1"),
        item("a", PANEL, 0.48, 2000, theme="T2"),
        item("a", PANEL, 0.10, 2000, theme="T3"),
    ]
    ranks = rank_themes(aggregate(items, tree(), config()), "W1")
    assert [(r.theme_id, r.rank, r.best_rank, r.worst_rank) for r in ranks] == [
        ("T1", 1, 1, 2),
        ("T2", 2, 1, 2),
        ("T3", 3, 3, 3),
    ]


def test_local_distinctiveness_compares_a_district_with_its_partnership() -> None:
    items = [
        item("a", PANEL, 0.6, 2000, area="W1"),
        item("a", PANEL, 0.6, 2000, area="W2"),
        item("a", PANEL, 0.2, 2000, area="W3"),
        item("a", PANEL, 0.2, 2000, area="W4"),
        item("a", PANEL, 0.3, 2000, area="W1", theme="T2"),
        item("a", PANEL, 0.3, 2000, area="W3", theme="T2"),
    ]
    result = aggregate(items, tree(), config())
    by_theme = {d.theme_id: d for d in distinctiveness(result, "D1")}
    d1 = result.get("T1", "D1")
    p = result.get("T1", "P")
    assert d1 is not None and p is not None
    assert by_theme["T1"].reference_area_id == "P"
    assert by_theme["T1"].difference == pytest.approx(d1.score - p.score)
    assert by_theme["T1"].difference == pytest.approx(0.2)
    assert not by_theme["T1"].intervals_overlap
    assert by_theme["T1"].direction is Direction.HIGHER
    assert by_theme["T2"].intervals_overlap
    assert by_theme["T2"].direction is Direction.SIMILAR
    lower = {d.theme_id: d for d in distinctiveness(result, "D2")}
    assert lower["T1"].direction is Direction.LOWER
    assert distinctiveness(result, "P") == ()


def test_scores_per_period_show_change_over_time() -> None:
    items = [
        item("2023", PANEL, 0.2, 400, when=date(2023, 5, 1)),
        item("2024", PANEL, 0.5, 400, when=date(2024, 5, 1)),
    ]
    periods = [
        Period("2023", date(2023, 1, 1), date(2023, 12, 31)),
        Period("2024", date(2024, 1, 1), date(2024, 12, 31)),
        Period("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ]
    results = aggregate_periods(items, tree(), periods, config())
    assert [r.result.as_of for r in results] == [p.end for p in periods]
    points = trend(results, "T1", "W1")
    assert [p.score for p in points] == pytest.approx([0.2, 0.5, None])
    assert points[0].change is None
    assert points[1].change == pytest.approx(0.3)
    assert points[1].change_intervals_overlap is False
    assert points[2].score is None and points[2].change is None


def test_unusable_items_are_reported_with_reason_codes() -> None:
    items = [
        item("a", PANEL, 0.4, 100),
        item("b", PANEL, 0.4, 100, area="nowhere"),
        item("c", PANEL, 0.4, 100, when=AS_OF + timedelta(days=1)),
        item("d", PANEL, 0.0, 0),
    ]
    result = aggregate(items, tree(), config())
    assert {(s.source_id, s.reason) for s in result.skipped} == {
        ("b", SkipReason.UNKNOWN_AREA),
        ("c", SkipReason.AFTER_AS_OF),
        ("d", SkipReason.EMPTY_BASE),
    }
    score = result.get("T1", "W1")
    assert score is not None
    assert [c.source_id for c in score.contributions] == ["a"]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs",
    [{"value": 1.2}, {"value": -0.1}, {"base": -1}, {"value": math.nan}, {"design_effect": 0.0}],
)
def test_invalid_evidence_is_rejected(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "source_id": "a",
        "source_kind": PANEL,
        "theme_id": "T1",
        "area_id": "W1",
        "measure": "m",
        "value": 0.5,
        "base": 10,
        "date": AS_OF,
        **kwargs,
    }
    with pytest.raises(ValueError):
        EvidenceItem(**fields)  # type: ignore[arg-type]


def test_respondent_values_must_be_proportions_matching_the_sample() -> None:
    sample = two_by_two_sample()
    with pytest.raises(ValueError):
        RespondentValues(sample, np.ones(99))
    with pytest.raises(ValueError):
        RespondentValues(sample, np.full(100, 2.0))


def test_a_source_cannot_have_two_kinds() -> None:
    with pytest.raises(ValueError):
        aggregate(
            [item("a", PANEL, 0.4, 10), item("a", PARTNER, 0.4, 10, theme="T2")], tree(), config()
        )


@pytest.mark.parametrize(
    "areas",
    [
        (Area("P", AreaLevel.PARTNERSHIP, None, 1.0), Area("P", AreaLevel.DISTRICT, None, 1.0)),
        (Area("W", AreaLevel.WARD, "missing", 1.0),),
        (Area("D", AreaLevel.DISTRICT, None, 1.0), Area("P", AreaLevel.PARTNERSHIP, "D", 1.0)),
    ],
)
def test_invalid_area_trees_are_rejected(areas: tuple[Area, ...]) -> None:
    with pytest.raises(ValueError):
        AreaTree(areas)


@pytest.mark.parametrize(
    "overrides",
    [{"half_life_days": 0.0}, {"confidence": 1.0}, {"source_weights": {"a": 1.5}}],
)
def test_invalid_settings_are_rejected(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        config(**overrides)


def test_the_method_text_explains_what_how_and_limits() -> None:
    for phrase in (
        "What is combined",
        "How it is combined",
        "Assumptions and limits",
        "Wilson",
        "census",
        "half",
    ):
        assert phrase in METHOD


def test_the_module_imports_only_the_standard_library_numpy_and_weighting() -> None:
    source = Path(__file__).resolve().parents[2] / "engage" / "priorities" / "aggregate.py"
    module = ast.parse(source.read_text())
    imported = {
        node.module or "" for node in ast.walk(module) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(module)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "collections.abc",
        "dataclasses",
        "datetime",
        "enum",
        "math",
        "statistics",
        "types",
        "typing",
        "numpy",
        "numpy.typing",
        "engage.weighting",
    }
