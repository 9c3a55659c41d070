"""Tests for the red/amber/green self-assessment helper (engage.audit.self_assessment)."""

from __future__ import annotations

from datetime import date

import pytest

from engage.audit.self_assessment import (
    DEFAULT_DIMENSIONS,
    Assessment,
    Rating,
    Trend,
    rating_history,
    summarise,
)

R, A, G = Rating.RED, Rating.AMBER, Rating.GREEN
DIM = "community_engagement"


def series(dimension: str, *ratings: Rating) -> list[Assessment]:
    """One rating per quarter from January 2023."""
    return [
        Assessment(dimension, rating, date(2023 + i // 4, 1 + 3 * (i % 4), 1))
        for i, rating in enumerate(ratings)
    ]


def test_the_default_dimensions_are_the_six_lsp_dimensions() -> None:
    assert DEFAULT_DIMENSIONS == (
        "leadership_and_governance",
        "community_engagement",
        "delivery",
        "performance_management",
        "partner_involvement",
        "communications",
    )


def test_the_history_lists_each_dimension_oldest_first_in_the_order_given() -> None:
    assessments = [
        Assessment("delivery", G, date(2024, 6, 1)),
        Assessment("delivery", R, date(2024, 1, 1)),
        Assessment(DIM, A, date(2024, 3, 1)),
    ]

    histories = rating_history(assessments)

    assert [h.dimension for h in histories] == list(DEFAULT_DIMENSIONS)
    delivery = histories[DEFAULT_DIMENSIONS.index("delivery")]
    assert [(p.assessed_on, p.rating, p.score) for p in delivery.points] == [
        (date(2024, 1, 1), R, 1),
        (date(2024, 6, 1), G, 3),
    ]
    assert histories[0].points == ()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 12, 31), None),
        (date(2024, 1, 1), R),
        (date(2024, 5, 31), R),
        (date(2024, 6, 1), G),
        (date(2030, 1, 1), G),
    ],
)
def test_the_rating_in_force_on_a_day_is_the_latest_on_or_before_it(
    day: date, expected: Rating | None
) -> None:
    (history,) = rating_history(
        [Assessment(DIM, R, date(2024, 1, 1)), Assessment(DIM, G, date(2024, 6, 1))], [DIM]
    )

    assert history.rating_on(day) == expected


def test_a_same_day_correction_with_a_higher_sequence_wins() -> None:
    assessments = [
        Assessment(DIM, G, date(2024, 1, 1), sequence=7),
        Assessment(DIM, R, date(2024, 1, 1), sequence=3),
    ]

    (history,) = rating_history(assessments, [DIM])

    assert [p.rating for p in history.points] == [G]


def test_ratings_after_as_of_are_ignored() -> None:
    assessments = series(DIM, R, A, G)

    (history,) = rating_history(assessments, [DIM], as_of=date(2023, 4, 1))

    assert [p.rating for p in history.points] == [R, A]


@pytest.mark.parametrize(
    ("ratings", "latest", "trend", "change"),
    [
        ((R, A), A, Trend.IMPROVING, 1),
        ((R, G), G, Trend.IMPROVING, 2),
        ((G, A), A, Trend.WORSENING, -1),
        ((A, A), A, Trend.STEADY, 0),
        ((G, R, R), R, Trend.STEADY, 0),
        ((R, G, A), A, Trend.WORSENING, -1),
        ((G,), G, Trend.NOT_ENOUGH_DATA, 0),
        ((), None, Trend.NOT_ENOUGH_DATA, 0),
    ],
)
def test_the_trend_compares_the_latest_rating_with_the_previous_one(
    ratings: tuple[Rating, ...], latest: Rating | None, trend: Trend, change: int
) -> None:
    summary = summarise(series(DIM, *ratings), [DIM])

    (row,) = summary.dimensions
    assert (row.latest, row.trend, row.change) == (latest, trend, change)
    assert row.assessment_count == len(ratings)


@pytest.mark.parametrize(
    ("lookback_days", "baseline", "trend"),
    [
        (None, A, Trend.IMPROVING),  # previous rating: amber on 1 June
        (30, A, Trend.IMPROVING),  # in force on 1 June: amber
        (90, R, Trend.IMPROVING),  # in force on 2 April: red
        (365, None, Trend.NOT_ENOUGH_DATA),  # nothing before 1 July 2023
    ],
)
def test_a_lookback_compares_with_the_rating_in_force_that_many_days_earlier(
    lookback_days: int | None, baseline: Rating | None, trend: Trend
) -> None:
    assessments = [
        Assessment(DIM, R, date(2024, 1, 1)),
        Assessment(DIM, A, date(2024, 6, 1)),
        Assessment(DIM, G, date(2024, 7, 1)),
    ]

    (row,) = summarise(assessments, [DIM], lookback_days=lookback_days).dimensions

    assert (row.baseline, row.trend) == (baseline, trend)


def test_the_summary_counts_latest_ratings_and_trends() -> None:
    assessments = (
        series("leadership_and_governance", R, G)
        + series("community_engagement", G, R)
        + series("delivery", A, A)
        + series("performance_management", A)
        + series("partner_involvement", G, G, G)
    )

    summary = summarise(assessments)

    assert (summary.red, summary.amber, summary.green, summary.unrated) == (1, 2, 2, 1)
    assert (summary.improving, summary.steady, summary.worsening) == (1, 2, 1)
    assert [d.dimension for d in summary.dimensions] == list(DEFAULT_DIMENSIONS)


def test_custom_dimensions_replace_the_defaults() -> None:
    summary = summarise(series("housing_board", R, A), ["housing_board"])

    assert [(d.dimension, d.trend) for d in summary.dimensions] == [
        ("housing_board", Trend.IMPROVING)
    ]


def test_a_rating_of_an_unknown_dimension_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown dimension"):
        rating_history(series("not_a_dimension", R))


def test_a_rating_given_as_a_code_is_accepted_and_an_unknown_code_is_rejected() -> None:
    assert Assessment(DIM, "amber", date(2024, 1, 1)).rating is Rating.AMBER  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="purple"):
        Assessment(DIM, "purple", date(2024, 1, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("lookback_days", [0, -5])
def test_a_lookback_of_less_than_a_day_is_rejected(lookback_days: int) -> None:
    with pytest.raises(ValueError, match="lookback_days"):
        summarise([], lookback_days=lookback_days)


def test_repeated_dimensions_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        rating_history([], ["delivery", "delivery"])
