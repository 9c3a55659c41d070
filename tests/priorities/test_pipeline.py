"""The whole pipeline through the evidence interface: sources → geography → aggregation.

Small cases worked by hand (the same figures as tests/priorities/test_aggregate.py, but
arriving through registered sources and the partnership's own areas), then invariants.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from engage.extensions import db
from engage.priorities import operations
from engage.priorities.aggregate import SourceKind, StrengthLevel
from engage.priorities.evidence import (
    collect_evidence,
    evidence_fingerprint,
    evidence_sources,
    register_evidence_source,
    unregister_evidence_source,
)
from engage.priorities.geography import build_geography, partnership_key
from engage.priorities.pipeline import compute_priorities, trend_periods
from tests.priorities.conftest import AS_OF, FixtureSource, item

PANEL, CONSULTATION, PARTNER = (
    SourceKind.PANEL_SURVEY,
    SourceKind.CONSULTATION,
    SourceKind.PARTNER_DATASET,
)


def test_the_geography_is_the_partnerships_district_with_its_wards(small) -> None:
    geography = build_geography(small.partnership)
    assert geography.root_id == small.root == partnership_key(small.partnership)
    assert set(geography.tree.children(small.root)) == {small.w1.gss_code, small.w2.gss_code}
    assert geography.tree.get(small.root).population == 4000  # its wards, as it has none


def test_two_sources_in_a_ward_combine_as_worked_by_hand(small, add_source) -> None:
    # Panel 0.6 on 100 (weight 1): 100; consultation 0.3 on 50 (weight 0.5): 25.
    # Score (100*0.6 + 25*0.3) / 125 = 0.54; Q = 7.2464 so the interval base is 17.25;
    # Wilson on 17.25 gives 0.319888 to 0.745541.
    w1 = small.w1.gss_code
    add_source("testpanel", [item("testpanel:1", PANEL, 0.6, 100, theme=small.theme, area=w1)])
    add_source(
        "testconsult",
        [item("testconsult:7", CONSULTATION, 0.3, 50, theme=small.theme, area=w1)],
    )
    picture = compute_priorities(small.partnership, AS_OF)
    score = picture.result.get(small.theme, w1)
    assert score is not None
    assert score.score == pytest.approx(0.54)
    assert (score.lower, score.upper) == pytest.approx((0.319888, 0.745541), abs=1e-6)
    assert {c.source_id: c.share for c in score.contributions} == pytest.approx(
        {"testpanel:1": 0.8, "testconsult:7": 0.2}
    )
    assert picture.evidence.description("testpanel:1").title == "Title of testpanel:1"


def test_the_partnership_adds_up_its_wards_by_population_as_worked_by_hand(
    small, add_source
) -> None:
    # W1 (1,000): 0.2 on 100; W2 (3,000): 0.4 on 50. Shares 0.25 and 0.75:
    # p = 0.05 + 0.3 = 0.35; n = 1 / (0.0625/100 + 0.5625/50) = 84.21.
    add_source(
        "testpanel",
        [
            item("testpanel:1", PANEL, 0.2, 100, theme=small.theme, area=small.w1.gss_code),
            item("testpanel:1", PANEL, 0.4, 50, theme=small.theme, area=small.w2.gss_code),
        ],
    )
    score = compute_priorities(small.partnership, AS_OF).result.get(small.theme, small.root)
    assert score is not None
    assert score.score == pytest.approx(0.35)
    assert score.strength.effective_base == pytest.approx(1 / 0.011875)
    assert score.strength.total_base == 150


def test_a_coordinators_weight_changes_the_combination(small, add_source) -> None:
    w1 = small.w1.gss_code
    add_source("testpanel", [item("testpanel:1", PANEL, 0.6, 100, theme=small.theme, area=w1)])
    add_source(
        "testconsult",
        [item("testconsult:7", CONSULTATION, 0.3, 50, theme=small.theme, area=w1)],
    )
    coordinator = small.users[next(iter(small.users))]
    operations.save_weight_settings(
        coordinator.id,
        small.partnership,
        kind_weights={PANEL: 1.0, CONSULTATION: 0.0, PARTNER: 0.75, SourceKind.BUDGETING: 0.5},
        half_life_days=None,
    )
    score = compute_priorities(small.partnership, AS_OF).result.get(small.theme, w1)
    assert score is not None and score.score == pytest.approx(0.6)
    # One source's own weight overrides its kind's: consultation back to 0.5 → 0.54 again.
    operations.save_source_weight(coordinator.id, small.partnership, "testconsult:7", 0.5)
    score = compute_priorities(small.partnership, AS_OF).result.get(small.theme, w1)
    assert score is not None and score.score == pytest.approx(0.54)


def test_evidence_entered_by_hand_gives_the_same_hand_worked_score(small) -> None:
    from engage.priorities.models import Measure

    coordinator = next(iter(small.users.values()))
    theme = small.partnership.themes[0]
    for title, kind, percent, base in (
        ("Panel", PANEL, 60, 100),
        ("Consultation", CONSULTATION, 30, 50),
    ):
        evidence = operations.save_entered_evidence(
            coordinator.id,
            small.partnership,
            title=title,
            source_kind=kind,
            collected_on=AS_OF,
        )
        operations.save_figure(
            coordinator.id,
            evidence,
            theme=theme,
            area=small.w1,
            measure=Measure.TOP_PRIORITY,
            percent=percent,
            base=base,
        )
    db.session.commit()
    picture = compute_priorities(small.partnership, AS_OF)
    score = picture.result.get(small.theme, small.w1.gss_code)
    assert score is not None
    assert score.score == pytest.approx(0.54)
    assert {d.title for d in picture.evidence.descriptions.values()} == {"Panel", "Consultation"}


def test_a_whole_partnership_figure_counts_at_the_partnership_only(small, add_source) -> None:
    add_source(
        "testdata",
        [item("testdata:3", PARTNER, 0.5, 400, theme=small.theme, area=small.root)],
    )
    result = compute_priorities(small.partnership, AS_OF).result
    assert result.get(small.theme, small.root) is not None
    assert result.get(small.theme, small.w1.gss_code) is None


def test_evidence_about_a_theme_the_partnership_does_not_have_is_set_aside(
    small, add_source
) -> None:
    add_source(
        "testpanel",
        [
            item("testpanel:1", PANEL, 0.4, 100, theme="not-a-theme", area=small.w1.gss_code),
            item("testpanel:1", PANEL, 0.4, 100, theme=small.theme, area=small.w1.gss_code),
        ],
    )
    picture = compute_priorities(small.partnership, AS_OF)
    assert [i.theme_id for i in picture.unmatched_items] == ["not-a-theme"]
    assert picture.result.themes == (small.theme,)


def test_a_source_may_only_return_items_under_its_own_name(small, add_source) -> None:
    add_source(
        "testpanel",
        [item("budgeting:1", PANEL, 0.4, 10, theme=small.theme, area=small.w1.gss_code)],
    )
    with pytest.raises(ValueError, match="testpanel"):
        collect_evidence(small.partnership, AS_OF)


def test_registering_checks_the_interface() -> None:
    with pytest.raises(TypeError):
        register_evidence_source(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        register_evidence_source(FixtureSource("bad:name"))
    source = register_evidence_source(FixtureSource("fixture-x"))
    assert source in evidence_sources()
    unregister_evidence_source("fixture-x")
    assert source not in evidence_sources()


def test_the_hand_entered_source_is_always_registered() -> None:
    assert "entered" in {s.name for s in evidence_sources()}


def test_scores_change_year_by_year_from_each_years_own_evidence(small, add_source) -> None:
    w1 = small.w1.gss_code
    add_source(
        "testpanel",
        [
            item(
                "testpanel:2023", PANEL, 0.2, 400, theme=small.theme, area=w1, when=date(2023, 5, 1)
            ),
            item(
                "testpanel:2024", PANEL, 0.5, 400, theme=small.theme, area=w1, when=date(2024, 5, 1)
            ),
        ],
    )
    picture = compute_priorities(small.partnership, AS_OF)
    assert [p.label for p in trend_periods(AS_OF)] == ["2023", "2024", "2025"]
    from engage.priorities.pipeline import period_results

    results = period_results(picture)
    scores = [r.result.get(small.theme, w1) for r in results]
    assert [s.score if s else None for s in scores] == pytest.approx([0.2, 0.5, None])


# --------------------------------------------------------------------------- invariants


def _random_items(rng: random.Random, small, source: str, kind: SourceKind, themes: list[str]):
    areas = [small.w1.gss_code, small.w2.gss_code, small.root]
    return [
        item(
            f"{source}:{rng.randint(1, 3)}",
            kind,
            round(rng.uniform(0.05, 0.9), 3),
            rng.randint(20, 400),
            theme=rng.choice(themes),
            area=rng.choice(areas),
            when=AS_OF - timedelta(days=rng.randint(0, 900)),
        )
        for _ in range(30)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adding_a_source_never_changes_other_themes(small, add_source, seed: int) -> None:
    rng = random.Random(seed)
    both = [small.theme, small.other_theme]
    add_source("testpanel", _random_items(rng, small, "testpanel", PANEL, both))
    add_source("testconsult", _random_items(rng, small, "testconsult", CONSULTATION, both))
    before = compute_priorities(small.partnership, AS_OF).result
    # A new source with evidence about the other theme only.
    add_source("testdata", _random_items(rng, small, "testdata", PARTNER, [small.other_theme]))
    after = compute_priorities(small.partnership, AS_OF).result
    old = [s for s in before.scores if s.theme_id == small.theme]
    new = [s for s in after.scores if s.theme_id == small.theme]
    assert old and old == new
    assert [s.strength.total_base for s in old] == [s.strength.total_base for s in new]
    assert [s for s in after.scores if s.theme_id == small.other_theme] != [
        s for s in before.scores if s.theme_id == small.other_theme
    ]


@pytest.mark.parametrize("seed", [4, 5])
def test_scores_are_reproducible_whatever_order_sources_answer_in(small, seed: int) -> None:
    rng = random.Random(seed)
    both = [small.theme, small.other_theme]
    first = FixtureSource("testpanel", _random_items(rng, small, "testpanel", PANEL, both))
    second = FixtureSource(
        "testconsult", _random_items(rng, small, "testconsult", CONSULTATION, both)
    )
    one = compute_priorities(small.partnership, AS_OF, sources=[first, second])
    shuffled_first = FixtureSource("testpanel", list(reversed(first.items)))
    two = compute_priorities(small.partnership, AS_OF, sources=[second, shuffled_first])
    assert one.result == two.result
    assert repr(one.result.scores) == repr(two.result.scores)
    assert evidence_fingerprint(one.used_items) == evidence_fingerprint(two.used_items)
    snapshot = operations.snapshot_scores(one)
    assert snapshot == operations.snapshot_scores(two)


def test_strength_reflects_the_amount_of_evidence(small, add_source) -> None:
    add_source(
        "testpanel",
        [
            item("testpanel:1", PANEL, 0.4, 300, theme=small.theme, area=small.w1.gss_code),
            item("testpanel:2", PANEL, 0.4, 200, theme=small.theme, area=small.w1.gss_code),
            item("testpanel:3", PANEL, 0.4, 60, theme=small.other_theme, area=small.w1.gss_code),
        ],
    )
    result = compute_priorities(small.partnership, AS_OF).result
    assert result.get(small.theme, small.w1.gss_code).strength.level is StrengthLevel.STRONG
    assert result.get(small.other_theme, small.w1.gss_code).strength.level is StrengthLevel.LIMITED
