"""Each evidence item's part in a score (engage.priorities.aggregate.item_shares)."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from engage.priorities.aggregate import (
    AggregationConfig,
    EvidenceItem,
    RespondentSample,
    RespondentValues,
    SourceKind,
    aggregate,
    item_shares,
)
from engage.weighting import CodedColumn
from tests.priorities.test_aggregate import AS_OF, config, item, scenario, tree

PANEL, CONSULTATION = SourceKind.PANEL_SURVEY, SourceKind.CONSULTATION


def test_item_shares_follow_the_hand_worked_district_combination() -> None:
    # W1 (pop 1000) 0.2 on 100 and W2 (pop 3000) 0.4 on 50, one source: shares 0.25, 0.75.
    items = [item("panel", PANEL, 0.2, 100, area="W1"), item("panel", PANEL, 0.4, 50, area="W2")]
    shares = {s.item.area_id: s.share for s in item_shares(items, tree(), config(), "T1", "D1")}
    assert shares == pytest.approx({"W1": 0.25, "W2": 0.75})


def test_items_of_one_source_in_one_area_share_by_their_bases() -> None:
    # Two panel items in W1: 0.6 on 300 and 0.2 on 100 → pooled 0.5, shares 0.75 and 0.25;
    # a consultation 0.3 on 50 (weight 25 against the panel's 400).
    items = [
        item("panel", PANEL, 0.6, 300, measure="a"),
        item("panel", PANEL, 0.2, 100, measure="b"),
        item("consultation", CONSULTATION, 0.3, 50),
    ]
    shares = item_shares(items, tree(), config(), "T1", "W1")
    by_measure = {(s.item.source_id, s.item.measure): s.share for s in shares}
    assert by_measure == pytest.approx(
        {
            ("panel", "a"): 0.75 * 400 / 425,
            ("panel", "b"): 0.25 * 400 / 425,
            ("consultation", "share_top_priority"): 25 / 425,
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_item_shares_sum_to_one_and_rebuild_every_score(seed: int) -> None:
    items = scenario(seed)
    cfg = config()
    result = aggregate(items, tree(), cfg)
    for score in result.scores:
        shares = item_shares(items, tree(), cfg, score.theme_id, score.area_id)
        assert math.fsum(s.share for s in shares) == pytest.approx(1.0)
        rebuilt = math.fsum(s.share * s.value for s in shares)
        assert rebuilt == pytest.approx(score.score, abs=1e-9)


def test_items_not_used_are_left_out() -> None:
    items = [
        item("panel", PANEL, 0.4, 100),
        item("late", PANEL, 0.4, 100, when=AS_OF + timedelta(days=1)),
        item("other", PANEL, 0.4, 100, theme="T2"),
        item("empty", PANEL, 0.0, 0),
    ]
    shares = item_shares(items, tree(), config(), "T1", "W1")
    assert [s.item.source_id for s in shares] == ["panel"]
    assert item_shares(items, tree(), config(), "T1", "W3") == ()


def test_a_weighted_respondent_item_reports_its_weighted_value() -> None:
    age = np.array([0] * 50 + [1] * 50)
    sex = np.array([0] * 40 + [1] * 10 + [0] * 20 + [1] * 30)
    sample = RespondentSample(
        {"age": CodedColumn(age, ("young", "old")), "sex": CodedColumn(sex, ("f", "m"))}
    )
    values = np.array([0.0] * 40 + [1.0] * 10 + [0.0] * 50)
    respondent = EvidenceItem(
        "panel", PANEL, "T1", "W1", "m", 0.1, 100, AS_OF, True, RespondentValues(sample, values)
    )
    cfg = AggregationConfig(as_of=AS_OF, rake_cap=None, rake_tolerance=1e-12)
    (share,) = item_shares([respondent], tree(), cfg, "T1", "W1")
    assert share.share == 1.0
    assert share.value == pytest.approx(0.2)
    assert share.effective_base == pytest.approx(10000 / 115)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_evidence_page_lists_the_same_items_with_or_without_their_shares(
    small, add_source, seed: int
) -> None:
    import random

    from engage.priorities.pipeline import compute_priorities
    from engage.priorities.presentation import evidence_view
    from tests.priorities.conftest import AS_OF as PIPELINE_AS_OF
    from tests.priorities.conftest import item as pipeline_item

    rng = random.Random(seed)
    areas = [small.w1.gss_code, small.w2.gss_code, small.root]
    add_source(
        "testpanel",
        [
            pipeline_item(
                f"testpanel:{rng.randint(1, 3)}",
                PANEL,
                rng.uniform(0.1, 0.9),
                rng.randint(1, 300),
                theme=small.theme,
                area=rng.choice(areas),
                when=PIPELINE_AS_OF - timedelta(days=rng.randint(0, 500)),
            )
            for _ in range(25)
        ],
    )
    picture = compute_priorities(small.partnership, PIPELINE_AS_OF)
    for area in areas:
        full = evidence_view(picture, small.theme, area, show_small=False, threshold=5)
        quick = evidence_view(
            picture, small.theme, area, show_small=False, threshold=5, with_shares=False
        )
        assert full is not None and quick is not None
        assert [(r.item, r.base) for r in full.items] == [(r.item, r.base) for r in quick.items]
        assert [r.base for r in full.sources] == [r.base for r in quick.sources]
