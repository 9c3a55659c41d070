"""Tests for the duplication finder (engage.audit.overlap)."""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, timedelta
from typing import Any

import pytest

from engage.audit.overlap import (
    ActivityRecord,
    OverlapConfig,
    OverlapPair,
    Reason,
    ReasonCode,
    TextIndex,
    days_apart,
    find_overlaps,
    iter_candidate_pairs,
    stem,
    terms,
    tokenise,
)

D0 = date(2024, 3, 1)


def make(activity_id: int, organisation_id: int, **changes: Any) -> ActivityRecord:
    fields: dict[str, Any] = {
        "id": activity_id,
        "organisation_id": organisation_id,
        "title": f"Activity {activity_id}",
        "description": "",
        "method": "survey",
        "theme_ids": frozenset({1}),
        "ward_ids": frozenset({10}),
        "target_groups": frozenset(),
        "start_date": D0,
        "end_date": D0 + timedelta(days=27),
        "status": "live",
    }
    fields.update(changes)
    return ActivityRecord(**fields)


def pair_ids(pairs: tuple[OverlapPair, ...]) -> set[tuple[int, int]]:
    return {(p.first_id, p.second_id) for p in pairs}


def planted_register() -> list[ActivityRecord]:
    skate_a = make(
        1,
        organisation_id=100,
        title="Young people's views on a new skate park",
        description="Survey of young people about a skate park and youth facilities in the park",
        theme_ids=frozenset({1, 2}),
        ward_ids=frozenset({10, 11}),
        target_groups=frozenset({"young_people"}),
        start_date=date(2024, 3, 1),
        end_date=date(2024, 3, 31),
    )
    skate_b = make(
        2,
        organisation_id=200,
        title="Skate park consultation with young people",
        description="We are consulting young people on skate park plans and youth facilities",
        theme_ids=frozenset({1}),
        ward_ids=frozenset({11, 12}),
        target_groups=frozenset({"young_people", "carers"}),
        start_date=date(2024, 4, 20),
        end_date=date(2024, 5, 20),
    )
    # Same organisation as skate_a, otherwise a near copy: must not be flagged.
    skate_a_again = make(
        3,
        organisation_id=100,
        title="Young people's views on a new skate park",
        description="Survey of young people about a skate park and youth facilities in the park",
        theme_ids=frozenset({1, 2}),
        ward_ids=frozenset({10, 11}),
        target_groups=frozenset({"young_people"}),
        start_date=date(2024, 3, 15),
        end_date=date(2024, 4, 15),
    )
    unrelated = make(
        4,
        organisation_id=300,
        title="Bin collection changes",
        description="Tell us about fortnightly bin collections",
        theme_ids=frozenset({7}),
        ward_ids=frozenset({10, 11, 12}),
        start_date=date(2024, 3, 1),
        end_date=date(2024, 3, 31),
    )
    return [skate_a, skate_b, skate_a_again, unrelated]


def test_a_planted_duplicate_pair_by_different_partners_is_found_with_its_reasons() -> None:
    pairs = find_overlaps(planted_register(), OverlapConfig(min_score=0.3))

    found = {(p.first_id, p.second_id): p for p in pairs}
    assert (1, 2) in found
    pair = found[1, 2]
    assert (pair.first_organisation_id, pair.second_organisation_id) == (100, 200)
    assert pair.reason_codes == (
        ReasonCode.SAME_THEMES,
        ReasonCode.SAME_WARDS,
        ReasonCode.SAME_GROUPS,
        ReasonCode.DATES_WITHIN,
        ReasonCode.SIMILAR_TEXT,
        ReasonCode.SAME_METHOD,
    )
    assert pair.reason(ReasonCode.SAME_THEMES) == Reason(
        ReasonCode.SAME_THEMES, ids=(1,), score=0.5
    )
    wards = pair.reason(ReasonCode.SAME_WARDS)
    assert wards is not None
    assert wards.ids == (11,)
    assert wards.score == pytest.approx(1 / 3, abs=1e-4)
    assert pair.reason(ReasonCode.SAME_GROUPS) == Reason(
        ReasonCode.SAME_GROUPS, codes=("young_people",), score=0.5
    )
    dates = pair.reason(ReasonCode.DATES_WITHIN)
    assert dates is not None
    assert dates.days == 20  # 31 March -> 20 April
    assert dates.score == pytest.approx(1 - 20 / 90, abs=1e-4)
    text = pair.reason(ReasonCode.SIMILAR_TEXT)
    assert text is not None
    assert text.score is not None
    assert text.score > 0.3


def test_a_near_copy_by_the_same_organisation_is_not_flagged() -> None:
    pairs = find_overlaps(planted_register(), OverlapConfig(min_score=0.0))

    assert (1, 3) not in pair_ids(pairs)
    assert all(p.first_organisation_id != p.second_organisation_id for p in pairs)


def test_an_activity_on_another_theme_is_not_paired_even_in_the_same_wards() -> None:
    pairs = find_overlaps(planted_register(), OverlapConfig(min_score=0.0))

    assert not any(4 in (p.first_id, p.second_id) for p in pairs)


@pytest.mark.parametrize(
    ("days_between", "window_days", "flagged"),
    [
        (0, 90, True),
        (89, 90, True),
        (90, 90, True),
        (91, 90, False),
        (200, 90, False),
        (200, 365, True),
        (0, 0, True),
        (1, 0, False),
    ],
)
def test_a_pair_is_flagged_only_when_its_dates_fall_within_the_window(
    days_between: int, window_days: int, flagged: bool
) -> None:
    first = make(1, 100, start_date=date(2024, 1, 1), end_date=date(2024, 1, 31))
    gap_start = date(2024, 1, 31) + timedelta(days=days_between)
    second = make(2, 200, start_date=gap_start, end_date=gap_start + timedelta(days=10))
    assert days_apart(first, second) == days_between

    pairs = find_overlaps([first, second], OverlapConfig(window_days=window_days, min_score=0))

    assert ((1, 2) in pair_ids(pairs)) is flagged


@pytest.mark.parametrize(
    ("first_changes", "second_changes", "flagged"),
    [
        ({"ward_ids": frozenset({10})}, {"ward_ids": frozenset({11})}, False),
        ({"theme_ids": frozenset({1})}, {"theme_ids": frozenset({2})}, False),
        (
            {"target_groups": frozenset({"young_people"})},
            {"target_groups": frozenset({"older_people"})},
            False,
        ),
        ({"target_groups": frozenset({"young_people"})}, {"target_groups": frozenset()}, True),
        ({"target_groups": frozenset()}, {"target_groups": frozenset()}, True),
    ],
    ids=[
        "no shared ward",
        "no shared theme",
        "disjoint target groups",
        "general public against a targeted group",
        "both general public",
    ],
)
def test_a_pair_needs_a_shared_theme_a_shared_ward_and_compatible_groups(
    first_changes: dict[str, Any], second_changes: dict[str, Any], flagged: bool
) -> None:
    pairs = find_overlaps(
        [make(1, 100, **first_changes), make(2, 200, **second_changes)],
        OverlapConfig(min_score=0.0),
    )

    assert ((1, 2) in pair_ids(pairs)) is flagged


def test_disjoint_groups_are_scored_zero_when_group_overlap_is_not_required() -> None:
    pairs = find_overlaps(
        [
            make(1, 100, target_groups=frozenset({"young_people"})),
            make(2, 200, target_groups=frozenset({"older_people"})),
        ],
        OverlapConfig(min_score=0.0, require_group_overlap=False),
    )

    assert len(pairs) == 1
    assert pairs[0].components.groups == 0.0
    assert ReasonCode.SAME_GROUPS not in pairs[0].reason_codes


@pytest.mark.parametrize(
    ("first_groups", "second_groups", "code", "codes", "group_score"),
    [
        (set(), set(), ReasonCode.BOTH_GENERAL_PUBLIC, (), 1.0),
        ({"carers"}, set(), ReasonCode.GENERAL_AND_TARGETED, ("carers",), 0.5),
        (
            {"carers", "tenants"},
            {"tenants", "carers", "older_people"},
            ReasonCode.SAME_GROUPS,
            ("carers", "tenants"),
            2 / 3,
        ),
    ],
)
def test_the_audience_reason_says_which_groups_are_shared(
    first_groups: set[str],
    second_groups: set[str],
    code: ReasonCode,
    codes: tuple[str, ...],
    group_score: float,
) -> None:
    pairs = find_overlaps(
        [
            make(1, 100, target_groups=frozenset(first_groups)),
            make(2, 200, target_groups=frozenset(second_groups)),
        ],
        OverlapConfig(min_score=0.0),
    )

    reason = pairs[0].reason(code)
    assert reason is not None
    assert reason.codes == codes
    assert pairs[0].components.groups == pytest.approx(group_score)


def test_the_score_is_the_weighted_mean_of_hand_computed_components() -> None:
    first = make(
        1,
        100,
        title="Alpha",
        method="survey",
        theme_ids=frozenset({1, 2}),
        ward_ids=frozenset({10, 11}),
        target_groups=frozenset({"young_people", "carers"}),
        start_date=date(2024, 1, 1),
        end_date=date(2024, 1, 31),
    )
    second = make(
        2,
        200,
        title="Bravo",
        method="workshop",
        theme_ids=frozenset({1}),
        ward_ids=frozenset({11, 12, 13}),
        target_groups=frozenset({"young_people"}),
        start_date=date(2024, 3, 16),  # 45 days after 31 January
        end_date=date(2024, 3, 20),
    )

    (pair,) = find_overlaps([first, second], OverlapConfig(min_score=0.0, window_days=90))

    components = pair.components
    assert components.themes == pytest.approx(1 / 2)
    assert components.wards == pytest.approx(1 / 4)
    assert components.groups == pytest.approx(1 / 2)
    assert components.dates == pytest.approx(1 / 2)
    assert components.text == 0.0
    assert components.method == 0.0
    # 0.20*0.5 + 0.20*0.25 + 0.10*0.5 + 0.15*0.5 + 0.30*0 + 0.05*0
    assert pair.score == pytest.approx(0.275)
    assert ReasonCode.SIMILAR_TEXT not in pair.reason_codes
    assert ReasonCode.SAME_METHOD not in pair.reason_codes


@pytest.mark.parametrize(
    ("min_score", "flagged"),
    [(0.0, True), (0.64, True), (0.65, True), (0.66, False), (1.0, False)],
)
def test_pairs_below_the_minimum_score_are_left_out(min_score: float, flagged: bool) -> None:
    # Everything identical except method and text: 0.2 + 0.2 + 0.1 + 0.15 = 0.65.
    first = make(1, 100, title="Alpha", method="survey")
    second = make(2, 200, title="Bravo", method="workshop")

    pairs = find_overlaps([first, second], OverlapConfig(min_score=min_score))

    assert ((1, 2) in pair_ids(pairs)) is flagged


def test_identical_activities_by_two_partners_score_one() -> None:
    text = {"title": "Community safety survey", "description": "Tell us how safe you feel"}

    (pair,) = find_overlaps([make(1, 100, **text), make(2, 200, **text)])

    assert pair.score == pytest.approx(1.0)
    assert pair.reason(ReasonCode.SIMILAR_TEXT) == Reason(ReasonCode.SIMILAR_TEXT, score=1.0)


def test_a_pair_sharing_several_themes_is_reported_once() -> None:
    themes = frozenset({1, 2, 3})
    pairs = find_overlaps(
        [make(1, 100, theme_ids=themes), make(2, 200, theme_ids=themes)],
        OverlapConfig(min_score=0.0),
    )

    assert len(pairs) == 1
    assert pairs[0].reason(ReasonCode.SAME_THEMES) == Reason(
        ReasonCode.SAME_THEMES, ids=(1, 2, 3), score=1.0
    )


def test_results_are_sorted_best_first() -> None:
    pairs = find_overlaps([*planted_register(), make(9, 900)], OverlapConfig(min_score=0.0))

    scores = [p.score for p in pairs]
    assert len(pairs) >= 2
    assert scores == sorted(scores, reverse=True)


def test_the_status_filter_leaves_out_other_activities() -> None:
    activities = [make(1, 100, status="planned"), make(2, 200, status="closed")]

    assert find_overlaps(activities, OverlapConfig(min_score=0.0))
    assert not find_overlaps(
        activities, OverlapConfig(min_score=0.0, statuses=frozenset({"closed"}))
    )


def test_a_reason_becomes_a_json_ready_dict() -> None:
    reason = Reason(ReasonCode.SAME_WARDS, ids=(3, 7), score=0.5)

    assert reason.as_dict() == {"code": "same_wards", "ids": [3, 7], "score": 0.5}
    assert Reason(ReasonCode.DATES_WITHIN, days=0).as_dict() == {
        "code": "dates_within",
        "days": 0,
    }


def test_duplicate_activity_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        find_overlaps([make(1, 100), make(1, 200)])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start_date": date(2024, 2, 1), "end_date": date(2024, 1, 1)}, "end_date"),
        ({"participants": -1}, "participants"),
        ({"cost_pence": -5}, "cost"),
        ({"status": "cancelled"}, "status"),
    ],
)
def test_an_invalid_activity_is_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(1, 100, **changes)


def test_an_activity_accepts_plain_sets_and_stores_frozen_ones() -> None:
    activity = make(1, 100, ward_ids={3, 4}, target_groups=["carers"])

    assert activity.ward_ids == frozenset({3, 4})
    assert isinstance(activity.target_groups, frozenset)


@pytest.mark.parametrize(
    ("config_changes", "message"),
    [
        ({"window_days": -1}, "window_days"),
        ({"min_score": 1.5}, "min_score"),
        ({"general_public_group_score": -0.1}, "general_public_group_score"),
    ],
)
def test_an_invalid_configuration_is_rejected(config_changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OverlapConfig(**config_changes)


# --- text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["consult", "consults", "consulted", "consulting", "consultation"], "consult"),
        (["house", "houses", "housing"], "hous"),
        (["family", "families"], "family"),
        (["business", "businesses"], "business"),
        (["plan", "planned", "planning"], "plan"),
        (["service", "services"], "servic"),
        (["bus"], "bus"),
    ],
)
def test_the_stemmer_conflates_word_forms(words: list[str], expected: str) -> None:
    assert {stem(w) for w in words} == {expected}


def test_tokenising_drops_stop_words_and_case() -> None:
    assert tokenise("The PARKS of Riverside, and their 2 toilets") == [
        "park",
        "riversid",
        "2",
        "toilet",
    ]


def test_text_similarity_is_one_for_identical_zero_for_disjoint_and_ordered_between() -> None:
    index = TextIndex.build(
        {
            1: "skate park for young people",
            2: "skate park for young people",
            3: "young people and a new skate park",
            4: "bin collections and recycling",
            5: "the and of",
        }
    )

    assert index.similarity(1, 2) == pytest.approx(1.0)
    assert index.similarity(1, 4) == 0.0
    assert index.similarity(1, 5) == 0.0  # only stop words: empty vector
    assert 0.0 < index.similarity(1, 3) < 1.0
    assert [doc for doc, _ in index.most_similar(1)] == [2, 3]


def test_text_similarity_matches_a_tf_idf_cosine_computed_by_hand() -> None:
    index = TextIndex.build({1: "park park safety", 2: "park lighting"})

    # Terms: 1 -> park x2, safety, "park park", "park safety"; 2 -> park, light, "park light".
    # idf = ln((1 + 2) / (1 + df)) + 1: 1.0 for "park" (df 2), ln(1.5) + 1 for the rest.
    rare = math.log(1.5) + 1
    park_in_1 = 1 + math.log(2)  # sublinear tf
    norm_1 = math.sqrt(park_in_1**2 + 3 * rare**2)
    norm_2 = math.sqrt(1 + 2 * rare**2)
    assert index.similarity(1, 2) == pytest.approx(park_in_1 / norm_1 * 1 / norm_2)
    # Terms found in one document only cannot meet another document: not stored.
    assert {index.term_names[t] for t in index.vectors[1]} == {"park"}
    assert index.postings["safety"] == (1,)


def test_bigrams_do_not_cross_a_line_break() -> None:
    assert terms("skate park\nyouth club") == [
        "skat",
        "park",
        "skat park",
        "youth",
        "club",
        "youth club",
    ]


def test_bigrams_make_word_order_count() -> None:
    index = TextIndex.build({1: "park safety plan", 2: "safety plan park", 3: "plan park safety"})

    # 1 and 2 share the bigram "safety plan"; 1 and 3 share the bigram "park safety".
    assert index.similarity(1, 2) < 1.0
    assert "safety plan" in index.postings
    assert set(index.postings["safety plan"]) == {1, 2}


# --- blocking is exact ---------------------------------------------------------------------


def _random_register(seed: int, size: int) -> list[ActivityRecord]:
    rng = random.Random(seed)
    activities = []
    for i in range(size):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        activities.append(
            make(
                i,
                rng.randrange(6),
                theme_ids=frozenset(rng.sample(range(8), rng.randint(1, 3))),
                ward_ids=frozenset(rng.sample(range(12), rng.randint(1, 4))),
                start_date=start,
                end_date=start + timedelta(days=rng.randrange(60)),
            )
        )
    return activities


@pytest.mark.parametrize("window_days", [0, 30, 90])
@pytest.mark.parametrize("different_organisations", [True, False])
def test_blocking_returns_exactly_the_pairs_a_brute_force_comparison_finds(
    window_days: int, different_organisations: bool
) -> None:
    activities = _random_register(seed=window_days + 7, size=250)
    expected = {
        tuple(sorted((a.id, b.id)))
        for a, b in itertools.combinations(activities, 2)
        if a.theme_ids & b.theme_ids
        and a.ward_ids & b.ward_ids
        and days_apart(a, b) <= window_days
        and (not different_organisations or a.organisation_id != b.organisation_id)
    }

    found = [
        tuple(sorted((a.id, b.id)))
        for a, b in iter_candidate_pairs(
            activities, window_days, different_organisations=different_organisations
        )
    ]

    assert len(found) == len(set(found))  # each pair once
    assert set(found) == expected
    assert expected  # the random register is not trivially empty
