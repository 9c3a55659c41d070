"""Per-ward results with disclosure control (pure, no app)."""

from __future__ import annotations

from engage.disclosure import SuppressionReason
from engage.intelligence.mapping import Scale, Unit
from engage.intelligence.results import Option, publish_indicator, question_result

AGREE_OPTIONS = [
    Option(1, "Strongly agree", "strongly_agree"),
    Option(2, "Tend to agree", "agree"),
    Option(3, "Neither", "neither"),
    Option(4, "Tend to disagree", "disagree"),
    Option(5, "Don't know", "dont_know"),
]


def _tally(counts: dict[int, int], weight: float = 1.0) -> dict[int, tuple[int, float]]:
    return {code: (n, n * weight) for code, n in counts.items()}


def _published_numbers(result) -> list[int]:
    numbers = [row.base for row in result.areas] + [result.overall.base]
    numbers += [cell.count for row in (*result.areas, result.overall) for cell in row.cells]
    numbers += [o.cell.count for o in result.options]
    return [n for n in numbers if n is not None]


def test_large_counts_are_published_with_grouped_shares() -> None:
    tallies = {
        10: _tally({1: 30, 2: 30, 3: 20, 4: 20}),
        11: _tally({1: 10, 2: 40, 3: 25, 4: 25, 5: 10}),
    }
    result = question_result(Scale.AGREE, AGREE_OPTIONS, tallies, [10, 11], 5, weighted=False)
    assert result.columns == ("positive", "neutral", "negative")
    first = result.areas[0]
    assert first.base == 100
    assert [c.count for c in first.cells] == [60, 20, 20]
    assert first.cells[0].share == 0.6
    second = result.areas[1]  # its 10 "don't know" answers are not in the base
    assert (second.base, second.cells[0].share) == (100, 0.5)
    assert result.overall.base == 200
    assert result.overall.cells[0].count == 110
    assert [o.cell.count for o in result.options] == [40, 70, 45, 45, 10]
    assert result.options[-1].cell.share == 10 / 210


def test_small_counts_are_suppressed_and_cannot_be_worked_out() -> None:
    tallies = {
        10: _tally({1: 30, 2: 30, 3: 20, 4: 20}),
        11: _tally({1: 2, 2: 40, 3: 25, 4: 25}),
        12: _tally({1: 1, 3: 2}),
    }
    result = question_result(Scale.AGREE, AGREE_OPTIONS, tallies, [10, 11, 12], 5, weighted=False)
    assert all(n == 0 or n >= 5 for n in _published_numbers(result))
    tiny = result.areas[2]
    assert tiny.base is None
    assert tiny.base_reason == SuppressionReason.PRIMARY
    assert all(cell.share is None for cell in tiny.cells if cell.count is None)
    # Every row with a hidden cell hides at least two, so none is a subtraction away.
    for row in result.areas:
        hidden = [c for c in row.cells if c.count is None]
        assert len(hidden) != 1


def test_unordered_questions_count_each_answer() -> None:
    options = [Option(1, "Bus"), Option(2, "Car"), Option(3, "Walk")]
    tallies = {10: _tally({1: 10, 2: 20, 3: 30})}
    result = question_result(Scale.NONE, options, tallies, [10], 5, weighted=False)
    assert result.columns == ("1", "2", "3")
    assert result.column_labels == ("Bus", "Car", "Walk")
    assert [c.count for c in result.areas[0].cells] == [10, 20, 30]


def test_weighted_shares_use_the_weights_and_counts_stay_unweighted() -> None:
    tallies = {10: {1: (10, 20.0), 4: (10, 5.0)}}
    result = question_result(Scale.AGREE, AGREE_OPTIONS, tallies, [10], 5, weighted=True)
    row = result.areas[0]
    assert row.base == 20
    assert row.cells[0].count == 10
    assert row.cells[0].share == 0.8


def test_wards_without_answers_are_left_out() -> None:
    result = question_result(Scale.AGREE, AGREE_OPTIONS, {}, [10, 11], 5, weighted=False)
    assert result.areas == ()
    assert result.overall.base == 0


def test_aggregate_figures_on_a_small_base_are_withheld() -> None:
    assert publish_indicator(1, "2025", 56.0, 120, Unit.PERCENT, 5).value == 56.0
    small = publish_indicator(1, "2025", 50.0, 4, Unit.PERCENT, 5)
    assert (small.value, small.base, small.reason) == (None, None, SuppressionReason.SMALL_BASE)
    assert publish_indicator(1, "", 3, None, Unit.COUNT, 5).value is None
    assert publish_indicator(1, "", 0, None, Unit.COUNT, 5).value == 0
    assert publish_indicator(1, "", 7.5, None, Unit.RATE, 5).value == 7.5
