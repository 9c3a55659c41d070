"""Red/amber/green self-assessment of the partnership, its history and trend.

Pure module: standard library only, frozen dataclasses in and out, codes and numbers only.

* An :class:`Assessment` is one rating of one dimension on one day. Several ratings of the
  same dimension on the same day collapse to the one with the highest ``sequence`` (pass the
  row id, so a same-day correction wins).
* :func:`rating_history` gives, per dimension, the dated ratings in order.
* :func:`summarise` gives, per dimension, the latest rating and a trend: the latest rating
  compared with a baseline, which is the previous assessment, or, with ``lookback_days``,
  the rating in force ``lookback_days`` before the latest one. Red < amber < green; a higher
  rating than the baseline is ``improving``, lower ``worsening``, equal ``steady``; no
  baseline is ``not_enough_data``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "DEFAULT_DIMENSIONS",
    "RATING_SCORE",
    "Assessment",
    "DimensionHistory",
    "DimensionSummary",
    "Rating",
    "RatingPoint",
    "SelfAssessmentSummary",
    "Trend",
    "rating_history",
    "summarise",
]


class Rating(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


RATING_SCORE: dict[Rating, int] = {Rating.RED: 1, Rating.AMBER: 2, Rating.GREEN: 3}


class Trend(StrEnum):
    IMPROVING = "improving"
    STEADY = "steady"
    WORSENING = "worsening"
    NOT_ENOUGH_DATA = "not_enough_data"


DEFAULT_DIMENSIONS: tuple[str, ...] = (
    "leadership_and_governance",
    "community_engagement",
    "delivery",
    "performance_management",
    "partner_involvement",
    "communications",
)


@dataclass(frozen=True, slots=True)
class Assessment:
    dimension: str
    rating: Rating
    assessed_on: date
    sequence: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.rating, Rating):
            object.__setattr__(self, "rating", Rating(self.rating))  # ValueError if unknown


@dataclass(frozen=True, slots=True)
class RatingPoint:
    assessed_on: date
    rating: Rating

    @property
    def score(self) -> int:
        return RATING_SCORE[self.rating]


@dataclass(frozen=True, slots=True)
class DimensionHistory:
    dimension: str
    points: tuple[RatingPoint, ...]  # oldest first, one per day

    def rating_on(self, day: date) -> Rating | None:
        """The rating in force on ``day`` (the latest assessed on or before it)."""
        current: Rating | None = None
        for point in self.points:
            if point.assessed_on > day:
                break
            current = point.rating
        return current


@dataclass(frozen=True, slots=True)
class DimensionSummary:
    dimension: str
    latest: Rating | None
    latest_on: date | None
    baseline: Rating | None  # what the latest is compared with
    baseline_on: date | None
    trend: Trend
    change: int  # RATING_SCORE difference latest - baseline (0 without baseline)
    assessment_count: int


@dataclass(frozen=True, slots=True)
class SelfAssessmentSummary:
    as_of: date | None
    dimensions: tuple[DimensionSummary, ...]  # in the order of the dimensions given
    red: int
    amber: int
    green: int
    unrated: int
    improving: int
    steady: int
    worsening: int


def _check_dimensions(dimensions: Sequence[str]) -> None:
    if len(set(dimensions)) != len(dimensions):
        raise ValueError("dimensions must be unique")


def rating_history(
    assessments: Iterable[Assessment],
    dimensions: Sequence[str] = DEFAULT_DIMENSIONS,
    *,
    as_of: date | None = None,
) -> tuple[DimensionHistory, ...]:
    """One history per dimension (in the order given), ignoring ratings after ``as_of``.

    Raises ``ValueError`` for an assessment of a dimension not in ``dimensions``.
    """
    _check_dimensions(dimensions)
    known = set(dimensions)
    by_day: dict[str, dict[date, Assessment]] = defaultdict(dict)
    for assessment in assessments:
        if assessment.dimension not in known:
            raise ValueError(f"unknown dimension {assessment.dimension!r}")
        if as_of is not None and assessment.assessed_on > as_of:
            continue
        days = by_day[assessment.dimension]
        kept = days.get(assessment.assessed_on)
        if kept is None or assessment.sequence >= kept.sequence:
            days[assessment.assessed_on] = assessment
    return tuple(
        DimensionHistory(
            dimension=dimension,
            points=tuple(
                RatingPoint(assessed_on=day, rating=a.rating)
                for day, a in sorted(by_day[dimension].items())
            ),
        )
        for dimension in dimensions
    )


def _summarise_one(history: DimensionHistory, lookback_days: int | None) -> DimensionSummary:
    points = history.points
    if not points:
        return DimensionSummary(
            dimension=history.dimension,
            latest=None,
            latest_on=None,
            baseline=None,
            baseline_on=None,
            trend=Trend.NOT_ENOUGH_DATA,
            change=0,
            assessment_count=0,
        )
    latest = points[-1]
    baseline: RatingPoint | None
    if lookback_days is None:
        baseline = points[-2] if len(points) > 1 else None
    else:
        cutoff = latest.assessed_on - timedelta(days=lookback_days)
        earlier = [p for p in points[:-1] if p.assessed_on <= cutoff]
        baseline = earlier[-1] if earlier else None
    if baseline is None:
        trend, change = Trend.NOT_ENOUGH_DATA, 0
    else:
        change = latest.score - baseline.score
        trend = Trend.IMPROVING if change > 0 else Trend.WORSENING if change < 0 else Trend.STEADY
    return DimensionSummary(
        dimension=history.dimension,
        latest=latest.rating,
        latest_on=latest.assessed_on,
        baseline=baseline.rating if baseline else None,
        baseline_on=baseline.assessed_on if baseline else None,
        trend=trend,
        change=change,
        assessment_count=len(points),
    )


def summarise(
    assessments: Iterable[Assessment],
    dimensions: Sequence[str] = DEFAULT_DIMENSIONS,
    *,
    as_of: date | None = None,
    lookback_days: int | None = None,
) -> SelfAssessmentSummary:
    """Latest rating and trend per dimension, with RAG and trend counts."""
    if lookback_days is not None and lookback_days < 1:
        raise ValueError("lookback_days must be >= 1")
    summaries = tuple(
        _summarise_one(h, lookback_days)
        for h in rating_history(assessments, dimensions, as_of=as_of)
    )

    def count_rating(rating: Rating | None) -> int:
        return sum(1 for s in summaries if s.latest == rating)

    def count_trend(trend: Trend) -> int:
        return sum(1 for s in summaries if s.trend is trend)

    return SelfAssessmentSummary(
        as_of=as_of,
        dimensions=summaries,
        red=count_rating(Rating.RED),
        amber=count_rating(Rating.AMBER),
        green=count_rating(Rating.GREEN),
        unrated=count_rating(None),
        improving=count_trend(Trend.IMPROVING),
        steady=count_trend(Trend.STEADY),
        worsening=count_trend(Trend.WORSENING),
    )
