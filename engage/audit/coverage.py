"""Coverage, gaps, fatigue, calendar, feedback loop and spend for the engagement register.

Pure module: standard library only, :class:`~engage.audit.overlap.ActivityRecord` in,
frozen dataclasses of codes and numbers out.

Conventions
-----------
* **Participants by ward.** An activity reports one participant total for all the wards it
  covers. That total is apportioned across the covered wards in proportion to ward
  population (equally if none of them has a known population). Only wards present in
  ``ward_populations`` count; an activity whose wards are all unknown is left out of
  ward-level figures. Participants are *not* split across themes: everyone at a two-theme
  event was consulted on both, so the theme columns of one ward are not additive.
* **Participants by target group.** Apportioned across the activity's target groups by
  ``group_populations`` when given, otherwise equally. Activities with no target group are
  "general public" and appear in the group grid under :data:`GENERAL_PUBLIC`.
* **Rates.** ``*_per_1000`` = value / population x 1,000, and ``None`` when the population is
  unknown or zero (never a division error).
* **Cost per participant** is in pence (float), ``None`` when there are no participants.
* Every function takes the activities to analyse; use :func:`select_activities` to restrict
  by period, status or organisation first.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Generic, TypeVar

from engage.audit.overlap import (
    ActivityRecord,
    Status,
    iter_candidate_pairs,
)

__all__ = [
    "GENERAL_PUBLIC",
    "Clash",
    "ClashKind",
    "CoverageGrid",
    "FatigueMetric",
    "FatigueReport",
    "FatigueRow",
    "FeedbackReport",
    "GridCell",
    "GridMetric",
    "MonthCount",
    "OverdueOutcome",
    "PartnerFeedback",
    "SpendReach",
    "activities_per_month",
    "consultation_fatigue",
    "feedback_loop",
    "find_clashes",
    "group_theme_grid",
    "months_before",
    "outcome_published_by",
    "select_activities",
    "spend_and_reach_by_method",
    "spend_and_reach_by_partner",
    "spend_and_reach_total",
    "ward_theme_grid",
]

GENERAL_PUBLIC = "general_public"
"""Row code of the group grid for activities with no target group."""

RowT = TypeVar("RowT", int, str)
_K = TypeVar("_K", bound=Hashable)


def _per_1000(value: float, population: int | None) -> float | None:
    if not population:
        return None
    return value * 1000.0 / population


def _shares(keys: Collection[_K], populations: Mapping[_K, int] | None) -> dict[_K, float]:
    """Split 1.0 across ``keys`` by population (equally if no population is known)."""
    if not keys:
        return {}
    if populations is not None:
        weights = {k: max(0, populations.get(k, 0)) for k in keys}
        total = sum(weights.values())
        if total > 0:
            return {k: w / total for k, w in weights.items()}
    return dict.fromkeys(keys, 1.0 / len(keys))


def select_activities(
    activities: Iterable[ActivityRecord],
    *,
    period_start: date | None = None,
    period_end: date | None = None,
    statuses: Collection[str] | None = None,
    organisation_ids: Collection[int] | None = None,
) -> tuple[ActivityRecord, ...]:
    """Activities running at some point in ``[period_start, period_end]`` (inclusive, either
    bound optional) with one of ``statuses`` and owned by one of ``organisation_ids``."""
    return tuple(
        a
        for a in activities
        if (period_start is None or a.end_date >= period_start)
        and (period_end is None or a.start_date <= period_end)
        and (statuses is None or a.status in statuses)
        and (organisation_ids is None or a.organisation_id in organisation_ids)
    )


# --------------------------------------------------------------------------------------------
# Grids and gaps
# --------------------------------------------------------------------------------------------


class GridMetric(StrEnum):
    """Which value decides the "thinnest" cells."""

    ACTIVITY_COUNT = "activity_count"
    PARTICIPANTS = "participants"
    PARTICIPANTS_PER_1000 = "participants_per_1000"


@dataclass(frozen=True)
class GridCell(Generic[RowT]):
    row: RowT  # ward id (ward grid) or target-group code (group grid)
    theme_id: int
    activity_count: int
    activity_ids: tuple[int, ...]
    participants: float  # apportioned, see module docstring
    population: int | None
    participants_per_1000: float | None

    @property
    def is_empty(self) -> bool:
        return self.activity_count == 0


@dataclass(frozen=True)
class CoverageGrid(Generic[RowT]):
    """Rows x themes. ``cells`` is row-major in the order of ``rows`` and ``theme_ids``.

    ``empty`` lists the cells with no activity. ``thinnest`` lists the thinnest *non-empty*
    cells by ``metric``, thinnest first: with a fraction, every cell whose value is at or below
    the value of the ``ceil(fraction x non-empty)``-th thinnest (ties kept together); with a
    count, exactly that many (ties broken by row, then theme).
    """

    rows: tuple[RowT, ...]
    theme_ids: tuple[int, ...]
    cells: tuple[GridCell[RowT], ...]
    empty: tuple[GridCell[RowT], ...]
    thinnest: tuple[GridCell[RowT], ...]
    metric: GridMetric

    def cell(self, row: RowT, theme_id: int) -> GridCell[RowT]:
        r = self.rows.index(row)
        c = self.theme_ids.index(theme_id)
        return self.cells[r * len(self.theme_ids) + c]

    def row_totals(self, row: RowT) -> tuple[GridCell[RowT], ...]:
        r = self.rows.index(row)
        n = len(self.theme_ids)
        return self.cells[r * n : (r + 1) * n]


def _metric_value(cell: GridCell[RowT], metric: GridMetric) -> float:
    if metric is GridMetric.ACTIVITY_COUNT:
        return float(cell.activity_count)
    if metric is GridMetric.PARTICIPANTS:
        return cell.participants
    # Unknown rate sorts last: a cell with no population cannot be called thin by rate.
    return math.inf if cell.participants_per_1000 is None else cell.participants_per_1000


def _thinnest(
    cells: Sequence[GridCell[RowT]],
    metric: GridMetric,
    thin_fraction: float,
    thin_count: int | None,
    row_order: Mapping[RowT, int],
    theme_order: Mapping[int, int],
) -> tuple[GridCell[RowT], ...]:
    candidates = [c for c in cells if not c.is_empty]
    if metric is GridMetric.PARTICIPANTS_PER_1000:
        candidates = [c for c in candidates if c.participants_per_1000 is not None]
    candidates.sort(
        key=lambda c: (_metric_value(c, metric), row_order[c.row], theme_order[c.theme_id])
    )
    if not candidates:
        return ()
    if thin_count is not None:
        return tuple(candidates[:thin_count])
    k = max(1, math.ceil(thin_fraction * len(candidates)))
    cut = _metric_value(candidates[k - 1], metric)
    return tuple(c for c in candidates if _metric_value(c, metric) <= cut)


def _check_thin(thin_fraction: float, thin_count: int | None) -> None:
    if not 0.0 < thin_fraction <= 1.0:
        raise ValueError("thin_fraction must be in (0, 1]")
    if thin_count is not None and thin_count < 0:
        raise ValueError("thin_count must be >= 0")


def _build_grid(
    rows: Sequence[RowT],
    theme_ids: Sequence[int],
    populations: Mapping[RowT, int] | None,
    contributions: Iterable[tuple[ActivityRecord, Mapping[RowT, float]]],
    metric: GridMetric,
    thin_fraction: float,
    thin_count: int | None,
) -> CoverageGrid[RowT]:
    _check_thin(thin_fraction, thin_count)
    theme_set = set(theme_ids)
    ids: dict[tuple[RowT, int], list[int]] = defaultdict(list)
    people: dict[tuple[RowT, int], float] = defaultdict(float)
    for activity, row_shares in contributions:
        themes = activity.theme_ids & theme_set
        for row, share in row_shares.items():
            for theme in themes:
                ids[row, theme].append(activity.id)
                people[row, theme] += activity.participants * share
    cells: list[GridCell[RowT]] = []
    for row in rows:
        population = populations.get(row) if populations is not None else None
        for theme in theme_ids:
            participants = people.get((row, theme), 0.0)
            cells.append(
                GridCell(
                    row=row,
                    theme_id=theme,
                    activity_count=len(ids.get((row, theme), ())),
                    activity_ids=tuple(sorted(ids.get((row, theme), ()))),
                    participants=participants,
                    population=population,
                    participants_per_1000=_per_1000(participants, population),
                )
            )
    row_order = {row: i for i, row in enumerate(rows)}
    theme_order = {theme: i for i, theme in enumerate(theme_ids)}
    return CoverageGrid(
        rows=tuple(rows),
        theme_ids=tuple(theme_ids),
        cells=tuple(cells),
        empty=tuple(c for c in cells if c.is_empty),
        thinnest=_thinnest(cells, metric, thin_fraction, thin_count, row_order, theme_order),
        metric=metric,
    )


def _ward_shares(activity: ActivityRecord, ward_populations: Mapping[int, int]) -> dict[int, float]:
    known = [w for w in activity.ward_ids if w in ward_populations]
    return _shares(known, ward_populations)


def ward_theme_grid(
    activities: Iterable[ActivityRecord],
    ward_populations: Mapping[int, int],
    theme_ids: Sequence[int],
    *,
    metric: GridMetric = GridMetric.ACTIVITY_COUNT,
    thin_fraction: float = 0.1,
    thin_count: int | None = None,
) -> CoverageGrid[int]:
    """Ward x theme grid: activity counts and participants per 1,000 residents.

    Rows are the wards of ``ward_populations`` (sorted by id), columns ``theme_ids`` in the
    order given.
    """
    wards = sorted(ward_populations)
    return _build_grid(
        wards,
        theme_ids,
        ward_populations,
        ((a, _ward_shares(a, ward_populations)) for a in activities),
        metric,
        thin_fraction,
        thin_count,
    )


def _group_shares(
    activity: ActivityRecord,
    groups: Collection[str],
    group_populations: Mapping[str, int] | None,
) -> dict[str, float]:
    if not activity.target_groups:
        return {GENERAL_PUBLIC: 1.0} if GENERAL_PUBLIC in groups else {}
    known = [g for g in activity.target_groups if g in groups]
    # Share over *all* the activity's groups so unknown groups keep their part.
    shares = _shares(list(activity.target_groups), group_populations)
    return {g: shares[g] for g in known}


def group_theme_grid(
    activities: Iterable[ActivityRecord],
    groups: Sequence[str],
    theme_ids: Sequence[int],
    *,
    group_populations: Mapping[str, int] | None = None,
    include_general_public: bool = True,
    metric: GridMetric = GridMetric.ACTIVITY_COUNT,
    thin_fraction: float = 0.1,
    thin_count: int | None = None,
) -> CoverageGrid[str]:
    """Target group x theme grid. Rows are ``groups`` in the order given, followed by
    :data:`GENERAL_PUBLIC` when ``include_general_public``."""
    rows = list(dict.fromkeys(groups))
    if include_general_public and GENERAL_PUBLIC not in rows:
        rows.append(GENERAL_PUBLIC)
    row_set = frozenset(rows)
    return _build_grid(
        rows,
        theme_ids,
        group_populations,
        ((a, _group_shares(a, row_set, group_populations)) for a in activities),
        metric,
        thin_fraction,
        thin_count,
    )


# --------------------------------------------------------------------------------------------
# Consultation fatigue
# --------------------------------------------------------------------------------------------


class FatigueMetric(StrEnum):
    ACTIVITY_COUNT = "activity_count"
    ACTIVITIES_PER_1000 = "activities_per_1000"
    PARTICIPANTS_PER_1000 = "participants_per_1000"


@dataclass(frozen=True)
class FatigueRow(Generic[RowT]):
    key: RowT  # ward id or target-group code
    rank: int  # 1 = asked most; ties share a rank (1, 2, 2, 4)
    activity_count: int
    activity_ids: tuple[int, ...]
    participants: float
    population: int | None
    activities_per_1000: float | None
    participants_per_1000: float | None


@dataclass(frozen=True)
class FatigueReport:
    as_of: date
    window_start: date  # inclusive; the window ends on as_of inclusive
    metric: FatigueMetric
    wards: tuple[FatigueRow[int], ...]  # every ward of ward_populations, most asked first
    groups: tuple[FatigueRow[str], ...]  # targeted groups only (general public excluded)


def months_before(day: date, months: int) -> date:
    """``day`` moved back ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(index, 12)
    first_of_next = date(year + (month0 + 1) // 12, (month0 + 1) % 12 + 1, 1)
    last_day = (first_of_next - timedelta(days=1)).day
    return date(year, month0 + 1, min(day.day, last_day))


def _fatigue_value(row: FatigueRow[RowT], metric: FatigueMetric) -> float:
    if metric is FatigueMetric.ACTIVITY_COUNT:
        return float(row.activity_count)
    value = (
        row.activities_per_1000
        if metric is FatigueMetric.ACTIVITIES_PER_1000
        else row.participants_per_1000
    )
    return -math.inf if value is None else value


def _rank_rows(rows: list[FatigueRow[RowT]], metric: FatigueMetric) -> tuple[FatigueRow[RowT], ...]:
    rows.sort(key=lambda r: (-_fatigue_value(r, metric), -r.activity_count, r.key))
    ranked: list[FatigueRow[RowT]] = []
    previous: float | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        value = _fatigue_value(row, metric)
        if value != previous:
            rank, previous = position, value
        ranked.append(
            FatigueRow(
                key=row.key,
                rank=rank,
                activity_count=row.activity_count,
                activity_ids=row.activity_ids,
                participants=row.participants,
                population=row.population,
                activities_per_1000=row.activities_per_1000,
                participants_per_1000=row.participants_per_1000,
            )
        )
    return tuple(ranked)


def _fatigue_rows(
    keys: Iterable[RowT],
    ids: Mapping[RowT, list[int]],
    people: Mapping[RowT, float],
    populations: Mapping[RowT, int] | None,
) -> list[FatigueRow[RowT]]:
    rows: list[FatigueRow[RowT]] = []
    for key in keys:
        population = populations.get(key) if populations is not None else None
        count = len(ids.get(key, ()))
        participants = people.get(key, 0.0)
        rows.append(
            FatigueRow(
                key=key,
                rank=0,
                activity_count=count,
                activity_ids=tuple(sorted(ids.get(key, ()))),
                participants=participants,
                population=population,
                activities_per_1000=_per_1000(count, population),
                participants_per_1000=_per_1000(participants, population),
            )
        )
    return rows


def consultation_fatigue(
    activities: Iterable[ActivityRecord],
    as_of: date,
    ward_populations: Mapping[int, int],
    *,
    group_populations: Mapping[str, int] | None = None,
    months: int = 12,
    metric: FatigueMetric = FatigueMetric.ACTIVITY_COUNT,
) -> FatigueReport:
    """Wards and target groups asked most often in the ``months`` up to ``as_of``.

    An activity counts when it ran on at least one day of ``[as_of - months, as_of]``.
    Ranked by ``metric`` (descending; ties share a rank), then by count, then key.
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    window_start = months_before(as_of, months)
    recent = select_activities(activities, period_start=window_start, period_end=as_of)
    ward_ids: dict[int, list[int]] = defaultdict(list)
    ward_people: dict[int, float] = defaultdict(float)
    group_ids: dict[str, list[int]] = defaultdict(list)
    group_people: dict[str, float] = defaultdict(float)
    for activity in recent:
        for ward, share in _ward_shares(activity, ward_populations).items():
            ward_ids[ward].append(activity.id)
            ward_people[ward] += activity.participants * share
        group_share = _shares(list(activity.target_groups), group_populations)
        for group, share in group_share.items():
            group_ids[group].append(activity.id)
            group_people[group] += activity.participants * share
    group_keys = sorted(set(group_ids) | set(group_populations or ()))
    return FatigueReport(
        as_of=as_of,
        window_start=window_start,
        metric=metric,
        wards=_rank_rows(
            _fatigue_rows(sorted(ward_populations), ward_ids, ward_people, ward_populations),
            metric,
        ),
        groups=_rank_rows(
            _fatigue_rows(group_keys, group_ids, group_people, group_populations), metric
        ),
    )


# --------------------------------------------------------------------------------------------
# Calendar and clashes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthCount:
    year: int
    month: int
    running: int  # activities open on at least one day of the month
    starting: int  # activities starting in the month
    activity_ids: tuple[int, ...]  # the running ones


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def activities_per_month(
    activities: Iterable[ActivityRecord],
    *,
    first_month: date | None = None,
    last_month: date | None = None,
) -> tuple[MonthCount, ...]:
    """One row per calendar month (zero months included) from ``first_month`` to
    ``last_month`` (any day of the month; default: earliest start to latest end)."""
    pool = list(activities)
    if not pool and (first_month is None or last_month is None):
        return ()
    lo = _month_index(first_month or min(a.start_date for a in pool))
    hi = _month_index(last_month or max(a.end_date for a in pool))
    running: dict[int, list[int]] = defaultdict(list)
    starting: dict[int, int] = defaultdict(int)
    for activity in pool:
        start, end = _month_index(activity.start_date), _month_index(activity.end_date)
        starting[start] += 1
        for index in range(max(start, lo), min(end, hi) + 1):
            running[index].append(activity.id)
    return tuple(
        MonthCount(
            year=index // 12,
            month=index % 12 + 1,
            running=len(running.get(index, ())),
            starting=starting.get(index, 0),
            activity_ids=tuple(sorted(running.get(index, ()))),
        )
        for index in range(lo, hi + 1)
    )


class ClashKind(StrEnum):
    SAME_PARTNER = "same_partner"
    DIFFERENT_PARTNERS = "different_partners"


@dataclass(frozen=True, slots=True)
class Clash:
    """Two activities on a shared theme in a shared ward running at the same time."""

    first_id: int  # first_id < second_id
    second_id: int
    kind: ClashKind
    theme_ids: tuple[int, ...]
    ward_ids: tuple[int, ...]
    overlap_start: date
    overlap_end: date

    @property
    def overlap_days(self) -> int:
        return (self.overlap_end - self.overlap_start).days + 1


def find_clashes(
    activities: Iterable[ActivityRecord],
    *,
    include_same_partner: bool = True,
) -> tuple[Clash, ...]:
    """Clashing pairs, sorted by overlap start, then ids."""
    pool = list(activities)
    clashes: list[Clash] = []
    for a, b in iter_candidate_pairs(pool, 0, different_organisations=not include_same_partner):
        low, high = (a, b) if a.id < b.id else (b, a)
        clashes.append(
            Clash(
                first_id=low.id,
                second_id=high.id,
                kind=(
                    ClashKind.SAME_PARTNER
                    if a.organisation_id == b.organisation_id
                    else ClashKind.DIFFERENT_PARTNERS
                ),
                theme_ids=tuple(sorted(a.theme_ids & b.theme_ids)),
                ward_ids=tuple(sorted(a.ward_ids & b.ward_ids)),
                overlap_start=max(a.start_date, b.start_date),
                overlap_end=min(a.end_date, b.end_date),
            )
        )
    clashes.sort(key=lambda c: (c.overlap_start, c.first_id, c.second_id))
    return tuple(clashes)


# --------------------------------------------------------------------------------------------
# Feedback loop ("you said, we did")
# --------------------------------------------------------------------------------------------


def outcome_published_by(activity: ActivityRecord, as_of: date) -> bool:
    """Whether the outcome was public on ``as_of``. A publication date decides when known;
    otherwise the flag or the ``results_published`` status."""
    if activity.outcome_published_on is not None:
        return activity.outcome_published_on <= as_of
    return activity.outcome_published or activity.status == Status.RESULTS_PUBLISHED


@dataclass(frozen=True, slots=True)
class OverdueOutcome:
    activity_id: int
    organisation_id: int
    closed_on: date  # the activity's end date
    days_since_close: int
    days_overdue: int  # days_since_close - overdue_after_days (> 0)


@dataclass(frozen=True, slots=True)
class PartnerFeedback:
    organisation_id: int
    closed_count: int  # status closed or results_published
    published_count: int  # of those, outcome public by as_of
    published_share: float | None  # None when nothing closed
    overdue: tuple[OverdueOutcome, ...]  # most overdue first
    median_days_to_publish: float | None  # end date -> publication date, where both known


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    as_of: date
    overdue_after_days: int
    partners: tuple[PartnerFeedback, ...]  # by organisation id
    closed_count: int
    published_count: int
    published_share: float | None
    overdue: tuple[OverdueOutcome, ...]  # all partners, most overdue first


def _overdue_key(o: OverdueOutcome) -> tuple[int, int]:
    return (-o.days_overdue, o.activity_id)


def feedback_loop(
    activities: Iterable[ActivityRecord],
    as_of: date,
    *,
    overdue_after_days: int = 90,
) -> FeedbackReport:
    """Per partner: share of closed activities with a published outcome, and the closed
    ones with no outcome more than ``overdue_after_days`` days after their end date."""
    if overdue_after_days < 0:
        raise ValueError("overdue_after_days must be >= 0")
    by_org: dict[int, list[ActivityRecord]] = defaultdict(list)
    for activity in activities:
        by_org[activity.organisation_id].append(activity)
    partners: list[PartnerFeedback] = []
    for org in sorted(by_org):
        closed = [a for a in by_org[org] if a.is_closed]
        published = [a for a in closed if outcome_published_by(a, as_of)]
        overdue = [
            OverdueOutcome(
                activity_id=a.id,
                organisation_id=org,
                closed_on=a.end_date,
                days_since_close=(as_of - a.end_date).days,
                days_overdue=(as_of - a.end_date).days - overdue_after_days,
            )
            for a in closed
            if not outcome_published_by(a, as_of) and (as_of - a.end_date).days > overdue_after_days
        ]
        lags = [
            (a.outcome_published_on - a.end_date).days
            for a in published
            if a.outcome_published_on is not None
        ]
        partners.append(
            PartnerFeedback(
                organisation_id=org,
                closed_count=len(closed),
                published_count=len(published),
                published_share=len(published) / len(closed) if closed else None,
                overdue=tuple(sorted(overdue, key=_overdue_key)),
                median_days_to_publish=float(statistics.median(lags)) if lags else None,
            )
        )
    closed_total = sum(p.closed_count for p in partners)
    published_total = sum(p.published_count for p in partners)
    return FeedbackReport(
        as_of=as_of,
        overdue_after_days=overdue_after_days,
        partners=tuple(partners),
        closed_count=closed_total,
        published_count=published_total,
        published_share=published_total / closed_total if closed_total else None,
        overdue=tuple(sorted((o for p in partners for o in p.overdue), key=_overdue_key)),
    )


# --------------------------------------------------------------------------------------------
# Spend and reach
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendReach(Generic[RowT]):
    key: RowT  # organisation id, method code, or "all" for the total
    activity_count: int
    total_cost_pence: int
    participants: int
    cost_per_participant_pence: float | None  # None when participants == 0
    activities_without_participants: int  # cost with no recorded reach inflates the ratio
    activities_without_cost: int


def _spend(key: RowT, pool: Sequence[ActivityRecord]) -> SpendReach[RowT]:
    cost = sum(a.cost_pence for a in pool)
    people = sum(a.participants for a in pool)
    return SpendReach(
        key=key,
        activity_count=len(pool),
        total_cost_pence=cost,
        participants=people,
        cost_per_participant_pence=cost / people if people else None,
        activities_without_participants=sum(1 for a in pool if a.participants == 0),
        activities_without_cost=sum(1 for a in pool if a.cost_pence == 0),
    )


def _spend_by(
    activities: Iterable[ActivityRecord], key: Callable[[ActivityRecord], RowT]
) -> tuple[SpendReach[RowT], ...]:
    groups: dict[RowT, list[ActivityRecord]] = defaultdict(list)
    for activity in activities:
        groups[key(activity)].append(activity)
    return tuple(_spend(k, groups[k]) for k in sorted(groups))


def spend_and_reach_by_partner(
    activities: Iterable[ActivityRecord],
) -> tuple[SpendReach[int], ...]:
    """One row per organisation id, sorted by id."""
    return _spend_by(activities, lambda a: a.organisation_id)


def spend_and_reach_by_method(
    activities: Iterable[ActivityRecord],
) -> tuple[SpendReach[str], ...]:
    """One row per method code, sorted by code."""
    return _spend_by(activities, lambda a: str(a.method))


def spend_and_reach_total(activities: Iterable[ActivityRecord]) -> SpendReach[str]:
    return _spend("all", list(activities))
