"""Tests for engage.disclosure: primary and secondary cell suppression, audits, shares."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engage.disclosure import (
    Equation,
    SuppressedSeries,
    SuppressedTable,
    SuppressionReason,
    publish_share,
    publish_shares,
    recoverable_cells,
    series_equations,
    suppress,
    suppress_series,
    suppress_system,
    suppress_table,
    suppress_with_subtotals,
    table_layout,
)

P = SuppressionReason.PRIMARY
S = SuppressionReason.SECONDARY


# --------------------------------------------------------------------------- checkers
# Written independently of the module: exact rational arithmetic, no SVD.


def line_solvable(published: Sequence[int | None], equations: Sequence[Equation]) -> set[int]:
    """Cells an attacker recovers from a single row/column equation (one unknown)."""
    found: set[int] = set()
    for eq in equations:
        members = (eq.total, *eq.parts)
        unknown = [m for m in members if published[m] is None]
        if len(unknown) == 1:
            found.add(unknown[0])
    return found


def exactly_solvable(published: Sequence[int | None], equations: Sequence[Equation]) -> set[int]:
    """Cells fixed by the whole linear system (Gauss-Jordan over the rationals).

    Also solves for their values so that the test can check what an attacker learns.
    """
    unknown = [i for i, v in enumerate(published) if v is None]
    col = {cell: j for j, cell in enumerate(unknown)}
    rows: list[list[Fraction]] = []
    for eq in equations:
        row = [Fraction(0)] * (len(unknown) + 1)
        for cell, sign in ((eq.total, 1), *((p, -1) for p in eq.parts)):
            value = published[cell]
            if value is None:
                row[col[cell]] += sign
            else:
                row[-1] -= sign * value
        if any(row[:-1]):
            rows.append(row)
    pivots: list[int] = []
    r = 0
    for c in range(len(unknown)):
        pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        lead = rows[r][c]
        rows[r] = [x / lead for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                factor = rows[i][c]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
    determined: set[int] = set()
    for i, c in enumerate(pivots):
        if all(rows[i][j] == 0 for j in range(len(unknown)) if j != c):
            determined.add(unknown[c])
    return determined


def table_system(table: SuppressedTable) -> tuple[list[int | None], tuple[Equation, ...]]:
    rows, columns = len(table.cells), len(table.cells[0])
    equations, _ = table_layout(rows, columns)
    flat = [v for row in table.cells for v in row]
    return [*flat, *table.row_totals, *table.column_totals, table.grand_total], equations


def series_system(series: SuppressedSeries) -> tuple[list[int | None], tuple[Equation, ...]]:
    return [*series.cells, series.total], series_equations(len(series.cells))


def assert_safe(
    original: Sequence[int],
    published: Sequence[int | None],
    reasons: Sequence[SuppressionReason | None],
    equations: Sequence[Equation],
    threshold: int,
) -> None:
    for value, shown, reason in zip(original, published, reasons, strict=True):
        if shown is None:
            assert reason in (P, S)
        else:
            assert shown == value, "published values are never altered"
            assert reason is None
            assert shown == 0 or shown >= threshold, "no published count below threshold"
        if 0 < value < threshold:
            assert reason is P
    assert not line_solvable(published, equations)
    assert not exactly_solvable(published, equations)


def flat_table(counts: Sequence[Sequence[int]]) -> list[int]:
    row_totals = [sum(r) for r in counts]
    column_totals = [sum(c) for c in zip(*counts, strict=True)]
    return [v for r in counts for v in r] + row_totals + column_totals + [sum(row_totals)]


TABLES_2D = [
    [[12, 3, 40], [20, 25, 30], [15, 18, 22]],
    [[2, 30], [30, 30]],
    [[1, 1, 0], [20, 30, 40], [25, 35, 45]],
    [[0, 0, 7], [0, 12, 0], [9, 0, 0]],
    [[4, 4, 4], [4, 4, 4]],
    [[100, 200, 3], [150, 4, 250], [5, 300, 350]],
    [[1], [2], [30]],
    [[3, 50, 60, 2]],
    [[0, 0], [0, 0]],
    [[50, 60], [70, 80]],
    [[1, 2], [3, 4]],
]


@pytest.mark.parametrize("counts", TABLES_2D)
@pytest.mark.parametrize("threshold", [3, 5, 10])
@pytest.mark.parametrize("protect_hidden_sums", [True, False])
@pytest.mark.parametrize("lookahead", [True, False])
def test_no_published_cell_is_small_and_no_suppressed_cell_is_recoverable(
    counts: list[list[int]], threshold: int, protect_hidden_sums: bool, lookahead: bool
) -> None:
    table = suppress_table(
        counts, threshold, protect_hidden_sums=protect_hidden_sums, lookahead=lookahead
    )
    published, equations = table_system(table)
    reasons = [
        *(r for row in table.cell_reasons for r in row),
        *table.row_total_reasons,
        *table.column_total_reasons,
        table.grand_total_reason,
    ]
    assert_safe(flat_table(counts), published, reasons, equations, threshold)


SERIES = [[12, 3, 40], [1, 2, 0], [1, 1, 50], [0, 0, 9], [5, 5, 5], [2], [40, 0, 0, 1], [7, 70]]


@pytest.mark.parametrize("counts", SERIES)
@pytest.mark.parametrize("threshold", [3, 5, 10])
def test_one_dimensional_tables_are_safe(counts: list[int], threshold: int) -> None:
    series = suppress_series(counts, threshold)
    published, equations = series_system(series)
    assert_safe(
        [*counts, sum(counts)],
        published,
        [*series.cell_reasons, series.total_reason],
        equations,
        threshold,
    )


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("lookahead", [True, False])
def test_random_tables_are_safe_including_against_the_whole_linear_system(
    seed: int, lookahead: bool
) -> None:
    rng = np.random.default_rng(seed)
    rows, columns = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    small = rng.random((rows, columns)) < 0.25
    counts = np.where(
        small, rng.integers(0, 5, (rows, columns)), rng.integers(5, 60, (rows, columns))
    )
    table = suppress_table(counts.tolist(), 5, lookahead=lookahead)
    published, equations = table_system(table)
    reasons = [
        *(r for row in table.cell_reasons for r in row),
        *table.row_total_reasons,
        *table.column_total_reasons,
        table.grand_total_reason,
    ]
    assert_safe(flat_table(counts.tolist()), published, reasons, equations, 5)


@pytest.mark.parametrize("lookahead", [True, False])
def test_a_single_small_cell_is_protected_by_the_smallest_complements(lookahead: bool) -> None:
    # 3 is primary.  Row 0: smallest other cell 12.  Column 1: smallest other 18.
    # Column 0 then has one hidden cell (12): smallest other 15.  Row 2 now has two.
    table = suppress([[12, 3, 40], [20, 25, 30], [15, 18, 22]], 5, lookahead=lookahead)
    assert table.cells == ((None, None, 40), (20, 25, 30), (None, None, 22))
    assert table.cell_reasons == ((S, P, None), (None, None, None), (S, S, None))
    assert table.row_totals == (55, 75, 55)
    assert table.column_totals == (47, 46, 92)
    assert table.grand_total == 185


def test_the_plain_rule_takes_the_smallest_cell_and_lookahead_finds_a_shared_complement() -> None:
    # Small cells 3 at (0, 2) and 4 at (1, 1).  Plain rule: row 0 takes 100, row 1 takes
    # 150, then columns 0, 1 and 2 each need more: 6 hidden cells.  Choosing 200 for row
    # 0 also protects column 1 (and 250 for row 1 column 2): a 4-cell rectangle.
    counts = [[100, 200, 3], [150, 4, 250], [5, 300, 350]]
    plain = suppress(counts, 5, lookahead=False)
    assert plain.cells == ((None, None, None), (None, None, None), (5, 300, 350))
    assert plain.cell_reasons[0] == (S, S, P)
    shared = suppress(counts, 5)
    assert shared.cells == ((100, None, None), (150, None, None), (5, 300, 350))
    assert shared.cell_reasons[:2] == ((None, S, P), (None, P, S))


def test_a_one_dimensional_table_hides_the_smallest_other_cell() -> None:
    series = suppress([12, 3, 40], 5)
    assert series.cells == (None, None, 40)
    assert series.cell_reasons == (S, P, None)
    assert series.total == 55


def test_zeros_are_shown_by_default_and_can_be_suppressed() -> None:
    shown = suppress([0, 3, 40, 12], 5)
    assert shown.cells[0] == 0
    assert shown.zeros_shown
    hidden = suppress([0, 3, 40, 12], 5, suppress_zeros=True)
    assert hidden.cells[0] is None
    assert hidden.cell_reasons[0] is P
    assert not hidden.zeros_shown


def test_a_total_below_the_threshold_is_itself_suppressed() -> None:
    series = suppress([1, 2, 0], 5)
    assert series.total is None
    assert series.total_reason is P
    assert series.cells == (None, None, 0)
    table = suppress([[1, 1, 0], [20, 30, 40]], 5)
    assert table.row_totals[0] is None
    assert table.row_total_reasons[0] is P
    published, equations = table_system(table)
    assert not exactly_solvable(published, equations)


def test_two_ones_with_a_published_total_are_not_left_guessable() -> None:
    # Without the hidden-sum rule the reader sees total 52 and 50, so the two hidden cells
    # add to 2; as zeros are shown, each must be 1.
    plain = suppress([1, 1, 50], 3, protect_hidden_sums=False)
    assert plain.cells == (None, None, 50)
    guarded = suppress([1, 1, 50], 3)
    assert guarded.cells == (None, None, None)
    assert guarded.cell_reasons == (P, P, S)


def test_the_audit_finds_a_cell_that_no_single_row_or_column_reveals() -> None:
    # Two 2x2 blocks of hidden cells joined by one hidden "bridge" cell (1, 2): every row and
    # column has at least two hidden cells, but the bridge is fixed by the whole system.
    counts = [[10, 11, 12, 13], [14, 15, 16, 17], [18, 19, 20, 21], [22, 23, 24, 25]]
    values = flat_table(counts)
    equations, _ = table_layout(4, 4)
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}
    published: list[int | None] = [
        None if (i // 4, i % 4) in hidden and i < 16 else v for i, v in enumerate(values)
    ]
    assert not line_solvable(published, equations)
    assert exactly_solvable(published, equations) == {1 * 4 + 2}
    assert recoverable_cells(published, equations) == (1 * 4 + 2,)


# Tables where rules 1 and 2 alone leave a cell fixed by a combination of equations (found
# by searching random tables with the audit switched off).
NEEDS_AUDIT = [
    ([[8, 2, 15, 23], [37, 14, 30, 10], [1, 38, 19, 23], [15, 9, 19, 4]], False),
    ([[36, 1, 11, 38], [3, 16, 18, 8], [7, 5, 1, 3], [4, 26, 17, 13]], False),
    ([[36, 1, 11, 38], [3, 16, 18, 8], [7, 5, 1, 3], [4, 26, 17, 13]], True),
    ([[3, 35, 4, 10], [33, 11, 25, 1], [37, 3, 1, 29], [10, 28, 9, 30], [26, 3, 5, 16]], True),
    ([[17, 37, 33, 2], [4, 10, 25, 39], [1, 20, 33, 14], [9, 1, 5, 33], [30, 4, 27, 36]], True),
]


@pytest.mark.parametrize(("counts", "lookahead"), NEEDS_AUDIT)
def test_tables_that_single_lines_do_not_protect_are_fixed_by_the_linear_audit(
    counts: list[list[int]], lookahead: bool
) -> None:
    table = suppress_table(counts, 5, lookahead=lookahead)
    published, equations = table_system(table)
    assert not exactly_solvable(published, equations)


def test_recoverable_cells_agrees_with_exact_elimination_on_random_patterns() -> None:
    rng = np.random.default_rng(123)
    equations, size = table_layout(4, 5)
    values = flat_table(rng.integers(1, 50, (4, 5)).tolist())
    for _ in range(60):
        mask = rng.random(size) < 0.35
        published = [None if m else v for v, m in zip(values, mask, strict=True)]
        assert set(recoverable_cells(published, equations)) == exactly_solvable(
            published, equations
        )


def subtotal_system(
    detail: SuppressedTable, subtotals: SuppressedTable, groups: Sequence[Sequence[int]]
) -> tuple[list[int | None], list[Equation]]:
    """Everything a reader of both tables sees, with every relation between the numbers."""
    r, c, g = len(detail.cells), len(detail.cells[0]), len(groups)
    d_published, d_equations = table_system(detail)
    s_published, s_equations = table_system(subtotals)
    offset = len(d_published)
    published = [*d_published, *s_published]
    equations = list(d_equations)
    equations += [
        Equation(e.total + offset, tuple(p + offset for p in e.parts)) for e in s_equations
    ]
    for i in range(r):
        for j, group in enumerate(groups):
            equations.append(Equation(offset + i * g + j, tuple(i * c + x for x in group)))
    # Subtotal grand total = sum of the detail column totals in the groups.
    members = [x for group in groups for x in group]
    grand = offset + r * g + r + g
    equations.append(Equation(grand, tuple(r * c + r + x for x in members)))
    return published, equations


WARD_BY_CATEGORY = [[12, 3, 40, 25], [20, 25, 30, 8], [15, 18, 22, 31]]


def test_separately_suppressed_tables_leak_by_differencing() -> None:
    # The ward table and the "all categories except category 1" table, each suppressed on
    # its own: the difference between the row totals reveals the hidden 3.
    groups = [[0], [2], [3]]
    detail = suppress_table(WARD_BY_CATEGORY, 5)
    minus_one = suppress_table([[row[x] for x in (0, 2, 3)] for row in WARD_BY_CATEGORY], 5)
    assert detail.cells[0][1] is None
    published, equations = subtotal_system(detail, minus_one, groups)
    assert 1 in exactly_solvable(published, equations)  # cell (0, 1) of the detail table
    assert detail.row_totals[0] is not None and minus_one.row_totals[0] is not None
    assert detail.row_totals[0] - minus_one.row_totals[0] == 3


@pytest.mark.parametrize(
    "groups",
    [[[0], [2], [3]], [[0, 1], [2, 3]], [[0, 2], [1], [3]], [[1, 3]], [[0], [1], [2], [3]]],
)
def test_linked_suppression_of_a_table_and_its_subtotals_resists_differencing(
    groups: list[list[int]],
) -> None:
    linked = suppress_with_subtotals(WARD_BY_CATEGORY, groups, 5)
    published, equations = subtotal_system(linked.detail, linked.subtotals, groups)
    assert not line_solvable(published, equations)
    assert not exactly_solvable(published, equations)
    for row in (*linked.detail.cells, *linked.subtotals.cells):
        assert all(v is None or v == 0 or v >= 5 for v in row)
    # Subtotals that are published equal the sums of their detail cells.
    for i, row in enumerate(linked.subtotals.cells):
        for j, value in enumerate(row):
            if value is not None:
                assert value == sum(WARD_BY_CATEGORY[i][x] for x in groups[j])


def test_linked_suppression_hides_row_totals_rather_than_cascading_through_both_tables() -> None:
    # Hand-worked minimum: 3 needs a column partner (18, the smallest), and each of rows 0
    # and 2 needs one more hidden value in both tables at once - their detail row totals.
    # Then rt0 = 77 + x01, rt2 = 68 + x21, x01 + x21 = 21: one free unknown, nothing fixed.
    linked = suppress_with_subtotals(WARD_BY_CATEGORY, [[0], [2], [3]], 5)
    assert linked.detail.cells == ((12, None, 40, 25), (20, 25, 30, 8), (15, None, 22, 31))
    assert linked.detail.row_totals == (None, 83, None)
    assert linked.detail.column_totals == (47, 46, 92, 64)
    assert linked.subtotals.cells == ((12, 40, 25), (20, 30, 8), (15, 22, 31))
    assert linked.subtotals.row_totals == (77, 58, 68)


def test_suppress_system_handles_an_arbitrary_linked_family() -> None:
    # Two wards and their district: district = ward a + ward b, for one category each.
    values = [3, 40, 43, 20, 25, 45, 23, 65, 88]
    equations = [
        Equation(2, (0, 1)),
        Equation(5, (3, 4)),
        Equation(8, (2, 5)),
        Equation(6, (0, 3)),
        Equation(7, (1, 4)),
        Equation(8, (6, 7)),
    ]
    result = suppress_system(values, equations, 5)
    assert result.values[0] is None
    assert result.reasons[0] is P
    assert_safe(values, result.values, result.reasons, equations, 5)


def test_numpy_tables_are_accepted_and_fractional_counts_rejected() -> None:
    assert suppress(np.array([[12, 3, 40], [20, 25, 30]]), 5) == suppress(
        [[12, 3, 40], [20, 25, 30]], 5
    )
    assert suppress(np.array([12, 3, 40]), 5) == suppress([12, 3, 40], 5)
    with pytest.raises(ValueError):
        suppress([[1.5, 2.0]], 5)  # type: ignore[list-item]


def test_suppression_is_deterministic() -> None:
    counts = [[12, 3, 40, 1], [20, 25, 30, 2], [15, 18, 22, 60]]
    assert suppress(counts, 5) == suppress(counts, 5)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (suppress_table, ([[1, -2]], 5)),
        (suppress_table, ([[1, 2], [3]], 5)),
        (suppress_table, ([[1, 2]], 0)),
        (suppress_series, ([], 5)),
        (suppress_system, ([1, 2, 4], [Equation(2, (0, 1))], 5)),
        (suppress_with_subtotals, ([[1, 2, 3]], [[0, 1], [1]], 5)),
    ],
)
def test_invalid_input_is_rejected(call: object, args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        call(*args)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("numerator", "base", "share", "reason"),
    [
        (3, 12, 0.25, None),
        (0, 10, 0.0, None),
        (2, 4, None, SuppressionReason.SMALL_BASE),
        (0, 0, None, SuppressionReason.EMPTY_BASE),
        (10, 10, 1.0, None),
    ],
)
def test_shares_are_withheld_when_their_base_is_below_threshold(
    numerator: int, base: int, share: float | None, reason: SuppressionReason | None
) -> None:
    published = publish_share(numerator, base, 10)
    assert published.share == share
    assert published.reason is reason
    if reason is SuppressionReason.SMALL_BASE:
        assert published.base is None and published.numerator is None


def test_small_numerators_can_also_withhold_a_share() -> None:
    published = publish_shares([3, 40], 43, 5, suppress_small_numerators=True)
    assert published[0].share is None
    assert published[0].reason is SuppressionReason.SMALL_NUMERATOR
    assert published[1].share == pytest.approx(40 / 43)


def test_the_module_imports_only_the_standard_library_and_numpy() -> None:
    source = Path(__file__).resolve().parent.parent / "engage" / "disclosure.py"
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
    assert imported <= {"__future__", "collections", "dataclasses", "enum", "typing", "numpy"}
