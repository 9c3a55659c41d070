"""Tests for coverage, gaps, fatigue, calendar, feedback loop and spend
(engage.audit.coverage)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engage.audit.coverage import (
    GENERAL_PUBLIC,
    ClashKind,
    FatigueMetric,
    GridMetric,
    activities_per_month,
    consultation_fatigue,
    feedback_loop,
    find_clashes,
    group_theme_grid,
    months_before,
    outcome_published_by,
    select_activities,
    spend_and_reach_by_method,
    spend_and_reach_by_partner,
    spend_and_reach_total,
    ward_theme_grid,
)
from engage.audit.overlap import ActivityRecord

D0 = date(2024, 3, 1)


def make(activity_id: int, organisation_id: int = 100, **changes: Any) -> ActivityRecord:
    fields: dict[str, Any] = {
        "id": activity_id,
        "organisation_id": organisation_id,
        "title": f"Activity {activity_id}",
        "method": "survey",
        "theme_ids": frozenset({10}),
        "ward_ids": frozenset({1}),
        "start_date": D0,
        "end_date": D0 + timedelta(days=27),
        "status": "live",
    }
    fields.update(changes)
    return ActivityRecord(**fields)


# --- ward x theme grid ----------------------------------------------------------------------

WARD_POPULATIONS = {1: 2000, 2: 500, 3: 1000}
THEMES = [10, 20]


def grid_register() -> list[ActivityRecord]:
    return [
        # 250 people across wards 1 and 2: 2000/2500 -> 200 in ward 1, 50 in ward 2.
        make(1, ward_ids=frozenset({1, 2}), theme_ids=frozenset({10}), participants=250),
        # 30 people in ward 2, consulted on both themes.
        make(2, ward_ids=frozenset({2}), theme_ids=frozenset({10, 20}), participants=30),
        # Planned, nobody reached yet.
        make(3, ward_ids=frozenset({3}), theme_ids=frozenset({20}), participants=0),
        # Theme 99 is not in the grid: ignored.
        make(4, ward_ids=frozenset({1}), theme_ids=frozenset({99}), participants=500),
    ]


@pytest.mark.parametrize(
    ("ward", "theme", "count", "participants", "per_1000"),
    [
        (1, 10, 1, 200.0, 100.0),  # 200 / 2000 x 1000
        (2, 10, 2, 80.0, 160.0),  # (50 + 30) / 500 x 1000
        (2, 20, 1, 30.0, 60.0),
        (3, 20, 1, 0.0, 0.0),
        (1, 20, 0, 0.0, 0.0),
        (3, 10, 0, 0.0, 0.0),
    ],
)
def test_the_ward_grid_counts_activities_and_participants_per_1000_residents(
    ward: int, theme: int, count: int, participants: float, per_1000: float
) -> None:
    grid = ward_theme_grid(grid_register(), WARD_POPULATIONS, THEMES)

    cell = grid.cell(ward, theme)
    assert cell.activity_count == count
    assert cell.participants == pytest.approx(participants)
    assert cell.participants_per_1000 == pytest.approx(per_1000)
    assert cell.population == WARD_POPULATIONS[ward]


def test_a_planted_gap_is_listed_among_the_empty_cells() -> None:
    grid = ward_theme_grid(grid_register(), WARD_POPULATIONS, THEMES)

    assert [(c.row, c.theme_id) for c in grid.empty] == [(1, 20), (3, 10)]
    assert grid.rows == (1, 2, 3)
    assert len(grid.cells) == 6


@pytest.mark.parametrize(
    ("metric", "thin_fraction", "thin_count", "expected"),
    [
        # Non-empty counts: (1,10)=1, (2,10)=2, (2,20)=1, (3,20)=1. Bottom decile of four
        # cells is the single thinnest value, 1, shared by three cells.
        (GridMetric.ACTIVITY_COUNT, 0.1, None, [(1, 10), (2, 20), (3, 20)]),
        (GridMetric.ACTIVITY_COUNT, 1.0, None, [(1, 10), (2, 20), (3, 20), (2, 10)]),
        (GridMetric.ACTIVITY_COUNT, 0.1, 2, [(1, 10), (2, 20)]),
        (GridMetric.ACTIVITY_COUNT, 0.1, 0, []),
        # Per 1,000: 100, 160, 60, 0.
        (GridMetric.PARTICIPANTS_PER_1000, 0.1, None, [(3, 20)]),
        (GridMetric.PARTICIPANTS_PER_1000, 0.5, None, [(3, 20), (2, 20)]),
        (GridMetric.PARTICIPANTS, 0.1, 3, [(3, 20), (2, 20), (2, 10)]),
    ],
)
def test_the_thinnest_non_empty_cells_are_called_out(
    metric: GridMetric,
    thin_fraction: float,
    thin_count: int | None,
    expected: list[tuple[int, int]],
) -> None:
    grid = ward_theme_grid(
        grid_register(),
        WARD_POPULATIONS,
        THEMES,
        metric=metric,
        thin_fraction=thin_fraction,
        thin_count=thin_count,
    )

    assert [(c.row, c.theme_id) for c in grid.thinnest] == expected
    assert grid.metric is metric


def test_participants_go_only_to_wards_with_a_known_population() -> None:
    activities = [
        make(1, ward_ids=frozenset({1, 99}), participants=100),
        make(2, ward_ids=frozenset({99}), participants=100),
    ]

    grid = ward_theme_grid(activities, {1: 1000}, [10])

    cell = grid.cell(1, 10)
    assert cell.activity_ids == (1,)
    assert cell.participants == pytest.approx(100.0)


def test_wards_without_population_share_participants_equally_and_have_no_rate() -> None:
    activity = make(1, ward_ids=frozenset({1, 2}), participants=90)

    grid = ward_theme_grid([activity], {1: 0, 2: 0}, [10])

    assert grid.cell(1, 10).participants == pytest.approx(45.0)
    assert grid.cell(1, 10).participants_per_1000 is None


@pytest.mark.parametrize(("thin_fraction", "thin_count"), [(0.0, None), (1.5, None), (0.1, -1)])
def test_invalid_thinness_settings_are_rejected(
    thin_fraction: float, thin_count: int | None
) -> None:
    with pytest.raises(ValueError, match="thin"):
        ward_theme_grid([], {1: 1}, [10], thin_fraction=thin_fraction, thin_count=thin_count)


# --- group x theme grid ---------------------------------------------------------------------

GROUPS = ["young_people", "older_people", "carers"]


def group_register() -> list[ActivityRecord]:
    return [
        make(
            1,
            target_groups=frozenset({"young_people", "carers"}),
            theme_ids=frozenset({10}),
            participants=100,
        ),
        make(2, target_groups=frozenset(), theme_ids=frozenset({20}), participants=40),
    ]


@pytest.mark.parametrize(
    ("group_populations", "young", "carers", "young_per_1000"),
    [
        (None, 50.0, 50.0, None),
        ({"young_people": 3000, "carers": 1000}, 75.0, 25.0, 25.0),
    ],
    ids=["equal split without populations", "split by population"],
)
def test_the_group_grid_apportions_participants_between_target_groups(
    group_populations: dict[str, int] | None,
    young: float,
    carers: float,
    young_per_1000: float | None,
) -> None:
    grid = group_theme_grid(group_register(), GROUPS, THEMES, group_populations=group_populations)

    assert grid.cell("young_people", 10).participants == pytest.approx(young)
    assert grid.cell("carers", 10).participants == pytest.approx(carers)
    assert grid.cell("young_people", 10).participants_per_1000 == (
        None if young_per_1000 is None else pytest.approx(young_per_1000)
    )


def test_the_group_grid_shows_general_public_and_never_asked_groups() -> None:
    grid = group_theme_grid(group_register(), GROUPS, THEMES)

    assert grid.rows == ("young_people", "older_people", "carers", GENERAL_PUBLIC)
    assert grid.cell(GENERAL_PUBLIC, 20).activity_ids == (2,)
    assert [c.theme_id for c in grid.empty if c.row == "older_people"] == [10, 20]


def test_the_group_grid_can_leave_out_general_public() -> None:
    grid = group_theme_grid(group_register(), GROUPS, THEMES, include_general_public=False)

    assert GENERAL_PUBLIC not in grid.rows
    assert all(c.activity_ids != (2,) for c in grid.cells)


# --- consultation fatigue -------------------------------------------------------------------

AS_OF = date(2024, 6, 30)
FATIGUE_POPULATIONS = {1: 1000, 2: 4000, 3: 2000}


def fatigue_register() -> list[ActivityRecord]:
    def ran(activity_id: int, start: date, end: date, **changes: Any) -> ActivityRecord:
        return make(activity_id, start_date=start, end_date=end, **changes)

    young = frozenset({"young_people"})
    return [
        ran(1, date(2024, 1, 1), date(2024, 1, 31), ward_ids={2}, participants=400),
        ran(2, date(2024, 2, 1), date(2024, 2, 28), ward_ids={2}, participants=0),
        # Straddles the window start (30 June 2023): counts.
        ran(3, date(2023, 6, 1), date(2023, 7, 1), ward_ids={2}, participants=0),
        ran(4, date(2024, 3, 1), date(2024, 3, 31), ward_ids={1}, target_groups=young),
        ran(5, date(2024, 4, 1), date(2024, 4, 30), ward_ids={1}, target_groups=young),
        # Ended the day before the window: does not count.
        ran(6, date(2023, 5, 1), date(2023, 6, 29), ward_ids={3}, participants=900),
        # Starts after as_of: does not count.
        ran(7, date(2024, 7, 1), date(2024, 7, 31), ward_ids={3}, participants=900),
        ran(
            8,
            date(2024, 5, 1),
            date(2024, 5, 31),
            ward_ids={1, 2},
            target_groups={"carers"},
            participants=100,
        ),
    ]


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        # counts: ward 2 -> 4 (1, 2, 3, 8), ward 1 -> 3 (4, 5, 8), ward 3 -> 0
        (FatigueMetric.ACTIVITY_COUNT, [(2, 1, 4), (1, 2, 3), (3, 3, 0)]),
        # per 1,000: ward 1 -> 3.0, ward 2 -> 1.0, ward 3 -> 0.0
        (FatigueMetric.ACTIVITIES_PER_1000, [(1, 1, 3), (2, 2, 4), (3, 3, 0)]),
        # participants: ward 2 -> 400 + 80 = 480 -> 120 per 1,000; ward 1 -> 20 -> 20.
        (FatigueMetric.PARTICIPANTS_PER_1000, [(2, 1, 4), (1, 2, 3), (3, 3, 0)]),
    ],
)
def test_fatigue_ranks_the_wards_asked_most_in_the_last_twelve_months(
    metric: FatigueMetric, expected: list[tuple[int, int, int]]
) -> None:
    report = consultation_fatigue(fatigue_register(), AS_OF, FATIGUE_POPULATIONS, metric=metric)

    assert report.window_start == date(2023, 6, 30)
    assert [(r.key, r.rank, r.activity_count) for r in report.wards] == expected


def test_fatigue_gives_rates_per_1000_residents_computed_by_hand() -> None:
    report = consultation_fatigue(fatigue_register(), AS_OF, FATIGUE_POPULATIONS)

    ward_2 = next(r for r in report.wards if r.key == 2)
    assert ward_2.activity_ids == (1, 2, 3, 8)
    assert ward_2.activities_per_1000 == pytest.approx(1.0)  # 4 / 4000 x 1000
    assert ward_2.participants == pytest.approx(480.0)  # 400 + 100 x 4000/5000
    assert ward_2.participants_per_1000 == pytest.approx(120.0)


def test_fatigue_ranks_target_groups_and_shares_ranks_on_ties() -> None:
    report = consultation_fatigue(
        fatigue_register(),
        AS_OF,
        FATIGUE_POPULATIONS,
        group_populations={"young_people": 500, "carers": 200, "tenants": 100},
    )

    assert [(r.key, r.rank, r.activity_count) for r in report.groups] == [
        ("young_people", 1, 2),
        ("carers", 2, 1),
        ("tenants", 3, 0),
    ]
    assert report.groups[0].activities_per_1000 == pytest.approx(4.0)  # 2 / 500 x 1000


def test_equal_fatigue_shares_a_rank() -> None:
    activities = [make(1, ward_ids={1}), make(2, ward_ids={2}), make(3, ward_ids={3})]

    report = consultation_fatigue(activities, date(2024, 12, 31), {1: 10, 2: 10, 3: 10, 4: 10})

    assert [(r.key, r.rank) for r in report.wards] == [(1, 1), (2, 1), (3, 1), (4, 4)]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 6, 30), 12, date(2023, 6, 30)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2024, 1, 15), 1, date(2023, 12, 15)),
        (date(2024, 1, 15), 25, date(2021, 12, 15)),
    ],
)
def test_months_before_clamps_to_the_end_of_the_month(
    day: date, months: int, expected: date
) -> None:
    assert months_before(day, months) == expected


# --- calendar and clashes -------------------------------------------------------------------


def test_activities_per_month_counts_running_and_starting_activities_including_empty_months() -> (
    None
):
    activities = [
        make(1, start_date=date(2024, 1, 10), end_date=date(2024, 3, 5)),
        make(2, start_date=date(2024, 1, 20), end_date=date(2024, 1, 25)),
        make(3, start_date=date(2024, 5, 1), end_date=date(2024, 5, 1)),
    ]

    months = activities_per_month(activities)

    assert [(m.year, m.month, m.running, m.starting) for m in months] == [
        (2024, 1, 2, 2),
        (2024, 2, 1, 0),
        (2024, 3, 1, 0),
        (2024, 4, 0, 0),
        (2024, 5, 1, 1),
    ]
    assert months[0].activity_ids == (1, 2)


def test_activities_per_month_respects_explicit_bounds_across_a_year_end() -> None:
    activities = [make(1, start_date=date(2023, 11, 5), end_date=date(2024, 2, 5))]

    months = activities_per_month(
        activities, first_month=date(2023, 12, 1), last_month=date(2024, 1, 31)
    )

    assert [(m.year, m.month, m.running, m.starting) for m in months] == [
        (2023, 12, 1, 0),
        (2024, 1, 1, 0),
    ]
    assert activities_per_month([]) == ()


@pytest.mark.parametrize(
    ("second_changes", "expected_kind", "overlap_days"),
    [
        ({"organisation_id": 200}, ClashKind.DIFFERENT_PARTNERS, 28),
        ({"organisation_id": 100}, ClashKind.SAME_PARTNER, 28),
        (  # starts on the first one's last day: one shared day
            {
                "organisation_id": 200,
                "start_date": date(2024, 3, 28),
                "end_date": date(2024, 4, 10),
            },
            ClashKind.DIFFERENT_PARTNERS,
            1,
        ),
        (  # starts the day after: no clash
            {
                "organisation_id": 200,
                "start_date": date(2024, 3, 29),
                "end_date": date(2024, 4, 10),
            },
            None,
            0,
        ),
        ({"organisation_id": 200, "ward_ids": frozenset({2})}, None, 0),
        ({"organisation_id": 200, "theme_ids": frozenset({20})}, None, 0),
    ],
    ids=[
        "different partners at the same time",
        "same partner at the same time",
        "one shared day",
        "back to back",
        "another ward",
        "another theme",
    ],
)
def test_a_clash_is_same_theme_same_ward_overlapping_in_time(
    second_changes: dict[str, Any], expected_kind: ClashKind | None, overlap_days: int
) -> None:
    first = make(1, organisation_id=100)  # 1 to 28 March 2024, ward 1, theme 10
    second = make(2, **second_changes)

    clashes = find_clashes([first, second])

    if expected_kind is None:
        assert clashes == ()
    else:
        (clash,) = clashes
        assert (clash.first_id, clash.second_id) == (1, 2)
        assert clash.kind is expected_kind
        assert clash.overlap_days == overlap_days
        assert clash.theme_ids == (10,)
        assert clash.ward_ids == (1,)


def test_clashes_by_the_same_partner_can_be_left_out() -> None:
    activities = [make(1, 100), make(2, 100), make(3, 200)]

    clashes = find_clashes(activities, include_same_partner=False)

    assert [(c.first_id, c.second_id) for c in clashes] == [(1, 3), (2, 3)]


# --- feedback loop --------------------------------------------------------------------------


def feedback_register() -> list[ActivityRecord]:
    def closed(activity_id: int, organisation_id: int, end: date, **changes: Any) -> ActivityRecord:
        return make(
            activity_id,
            organisation_id,
            start_date=end - timedelta(days=10),
            end_date=end,
            **{"status": "closed", **changes},
        )

    return [
        closed(1, 100, date(2024, 1, 1)),  # 181 days, no outcome: overdue by 91
        closed(2, 100, date(2024, 5, 1)),  # 60 days: not yet overdue
        closed(
            3, 100, date(2024, 1, 10), outcome_published=True, outcome_published_on=date(2024, 2, 1)
        ),  # published after 22 days
        closed(4, 200, date(2023, 12, 1), status="results_published"),
        # Published, but only after as_of: still overdue on 30 June.
        closed(
            5, 200, date(2024, 2, 1), outcome_published=True, outcome_published_on=date(2024, 7, 15)
        ),
        make(6, 200, status="live"),
        make(7, 300, status="planned"),
    ]


def test_the_feedback_loop_gives_each_partner_its_published_share_and_overdue_list() -> None:
    report = feedback_loop(feedback_register(), AS_OF)

    rows = {p.organisation_id: p for p in report.partners}
    assert (rows[100].closed_count, rows[100].published_count) == (3, 1)
    assert rows[100].published_share == pytest.approx(1 / 3)
    assert [o.activity_id for o in rows[100].overdue] == [1]
    assert rows[100].overdue[0].days_since_close == 181
    assert rows[100].overdue[0].days_overdue == 91
    assert rows[100].median_days_to_publish == pytest.approx(22.0)
    assert (rows[200].closed_count, rows[200].published_count) == (2, 1)
    assert [o.activity_id for o in rows[200].overdue] == [5]
    assert rows[300].published_share is None  # nothing closed: no division by zero
    assert rows[300].overdue == ()


def test_the_feedback_loop_totals_and_orders_overdue_outcomes_most_overdue_first() -> None:
    report = feedback_loop(feedback_register(), AS_OF)

    assert (report.closed_count, report.published_count) == (5, 2)
    assert report.published_share == pytest.approx(0.4)
    # Activity 1 closed 181 days ago, activity 5 closed 150 days ago.
    assert [(o.activity_id, o.days_overdue) for o in report.overdue] == [(1, 91), (5, 60)]


@pytest.mark.parametrize(
    ("days_since_close", "overdue_after_days", "overdue"),
    [(90, 90, False), (91, 90, True), (31, 30, True), (0, 0, False), (1, 0, True)],
)
def test_an_outcome_is_overdue_only_more_than_n_days_after_closing(
    days_since_close: int, overdue_after_days: int, overdue: bool
) -> None:
    end = AS_OF - timedelta(days=days_since_close)
    activity = make(1, start_date=end - timedelta(days=5), end_date=end, status="closed")

    report = feedback_loop([activity], AS_OF, overdue_after_days=overdue_after_days)

    assert bool(report.overdue) is overdue


@pytest.mark.parametrize(
    ("changes", "published"),
    [
        ({}, False),
        ({"outcome_published": True}, True),
        ({"status": "results_published"}, True),
        ({"outcome_published": True, "outcome_published_on": AS_OF}, True),
        ({"outcome_published": True, "outcome_published_on": AS_OF + timedelta(days=1)}, False),
    ],
)
def test_an_outcome_counts_as_published_from_its_publication_date(
    changes: dict[str, Any], published: bool
) -> None:
    activity = make(1, **{"status": "closed", **changes})

    assert outcome_published_by(activity, AS_OF) is published


# --- spend and reach ------------------------------------------------------------------------


def spend_register() -> list[ActivityRecord]:
    return [
        make(1, 100, method="survey", cost_pence=10_000, participants=40),
        make(2, 100, method="workshop", cost_pence=5_000, participants=10),
        make(3, 200, method="survey", cost_pence=7_500, participants=0),
        make(4, 300, method="door_to_door", cost_pence=0, participants=25),
    ]


@pytest.mark.parametrize(
    ("key", "count", "cost", "participants", "per_participant", "without_reach"),
    [
        (100, 2, 15_000, 50, 300.0, 0),
        (200, 1, 7_500, 0, None, 1),  # no participants: no ratio, no error
        (300, 1, 0, 25, 0.0, 0),
    ],
)
def test_spend_and_reach_per_partner_handles_zero_participants(
    key: int,
    count: int,
    cost: int,
    participants: int,
    per_participant: float | None,
    without_reach: int,
) -> None:
    rows = {r.key: r for r in spend_and_reach_by_partner(spend_register())}

    row = rows[key]
    assert (row.activity_count, row.total_cost_pence, row.participants) == (
        count,
        cost,
        participants,
    )
    assert row.cost_per_participant_pence == per_participant
    assert row.activities_without_participants == without_reach


def test_spend_and_reach_per_method_and_in_total() -> None:
    by_method = spend_and_reach_by_method(spend_register())

    assert [(r.key, r.total_cost_pence, r.participants) for r in by_method] == [
        ("door_to_door", 0, 25),
        ("survey", 17_500, 40),
        ("workshop", 5_000, 10),
    ]
    assert by_method[1].cost_per_participant_pence == pytest.approx(437.5)
    total = spend_and_reach_total(spend_register())
    assert (total.total_cost_pence, total.participants) == (22_500, 75)
    assert total.cost_per_participant_pence == pytest.approx(300.0)
    assert total.activities_without_cost == 1
    assert spend_and_reach_total([]).cost_per_participant_pence is None


# --- selection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, [1, 2, 3]),
        ({"period_start": date(2024, 2, 1)}, [2, 3]),
        ({"period_end": date(2024, 1, 31)}, [1]),
        ({"period_start": date(2024, 2, 15), "period_end": date(2024, 2, 15)}, [2]),
        ({"statuses": {"closed"}}, [1, 3]),
        ({"organisation_ids": {200}}, [2]),
    ],
)
def test_select_activities_filters_by_period_status_and_partner(
    kwargs: dict[str, Any], expected: list[int]
) -> None:
    activities = [
        make(1, 100, start_date=date(2024, 1, 1), end_date=date(2024, 1, 31), status="closed"),
        make(2, 200, start_date=date(2024, 2, 1), end_date=date(2024, 3, 31)),
        make(3, 100, start_date=date(2024, 3, 1), end_date=date(2024, 3, 31), status="closed"),
    ]

    assert [a.id for a in select_activities(activities, **kwargs)] == expected
