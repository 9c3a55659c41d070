"""Statistical disclosure control for published count tables and percentages.

Pure module: standard library and numpy only.

Rules (threshold ``t``; cell suppression as in Willenborg & de Waal (2001), "Elements
of Statistical Disclosure Control", ch. 4; ONS (2006) "Review of the Dissemination of
Health Statistics: Confidentiality Guidance", and Hundepool et al. (2012),
"Statistical Disclosure Control", section 4.2):

* Primary suppression: every cell (interior or total) with ``0 < count < t``.
  Zeros are shown by default (a zero discloses nothing about an individual beyond
  "nobody"; this is the usual UK practice); pass ``suppress_zeros=True`` to treat
  ``0 <= count < t`` as unsafe instead.
* Secondary (complementary) suppression, repeated until nothing changes:
  1. every published equation (a row, a column, the row of totals, the column of
     totals, or a link between a table and its subtotals) that contains exactly one
     suppressed value gets a second value suppressed.  With ``lookahead=False`` this is
     the plain rule: the smallest non-zero interior cell of that equation (ties: first
     position), else a non-zero total, else a zero.  By default (``lookahead=True``) the
     six cheapest candidates are each tried, completing the pattern greedily (preferring
     a complement that also protects another line with a single suppressed value), and
     the candidate leading to the fewest suppressed values (then the smallest suppressed
     total) is chosen;
  2. ``protect_hidden_sums`` (default on): where an equation's total is published, the
     suppressed cells in it add up to a number the reader can compute; if that sum is
     below ``t`` (it would itself be a small count) or, with zeros shown, no larger than
     the number of suppressed cells (so each must be exactly 1), another non-zero cell of
     the equation (else the total) is suppressed;
  3. an exact audit: the suppressed values are the unknowns of the linear system formed
     by all equations; a value is recoverable when it is constant over the solution
     space (its unit vector lies in the row space, found from a singular value
     decomposition).  While some value is recoverable, the cheapest candidate from its
     equations that makes it unrecoverable is suppressed (Cox 1980, "Suppression
     methodology and statistical disclosure control", JASA 75).
  4. Clean-up (with ``lookahead``): each secondary suppression, largest value first, is
     published again if rules 1-3 still hold without it.

The heuristic is deterministic but not optimal; the minimum-loss pattern needs integer
programming (Fischetti & Salazar-Gonzalez 1999), which this module does not attempt.

Guarantee: no published value lies in ``1 .. t-1`` (or ``0 .. t-1`` with
``suppress_zeros``), and no suppressed value can be found exactly from the published
values by any combination of the table's additive equations.  Not covered: bounds
(interval) disclosure from non-negativity beyond rule 2, rounding, or tables published
outside the linked system given to :func:`suppress_system`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, overload

import numpy as np
import numpy.typing as npt

_AUDIT_TOLERANCE = 1e-9
_LOOKAHEAD_WIDTH = 6


class SuppressionReason(StrEnum):
    """Why a value is not published."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    SMALL_BASE = "small_base"
    EMPTY_BASE = "empty_base"
    SMALL_NUMERATOR = "small_numerator"


@dataclass(frozen=True)
class Equation:
    """``values[total] == sum(values[p] for p in parts)``."""

    total: int
    parts: tuple[int, ...]


@dataclass(frozen=True)
class SystemSuppression:
    """Suppression over a flat list of values; ``values[i] is None`` when suppressed."""

    values: tuple[int | None, ...]
    reasons: tuple[SuppressionReason | None, ...]
    threshold: int
    zeros_shown: bool

    @property
    def suppressed(self) -> tuple[int, ...]:
        """Indices of suppressed values."""
        return tuple(i for i, v in enumerate(self.values) if v is None)


@dataclass(frozen=True)
class SuppressedSeries:
    """A one-dimensional table (categories and their total) after suppression."""

    cells: tuple[int | None, ...]
    total: int | None
    cell_reasons: tuple[SuppressionReason | None, ...]
    total_reason: SuppressionReason | None
    threshold: int
    zeros_shown: bool


@dataclass(frozen=True)
class SuppressedTable:
    """A two-dimensional table with row, column and grand totals after suppression."""

    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    grand_total: int | None
    cell_reasons: tuple[tuple[SuppressionReason | None, ...], ...]
    row_total_reasons: tuple[SuppressionReason | None, ...]
    column_total_reasons: tuple[SuppressionReason | None, ...]
    grand_total_reason: SuppressionReason | None
    threshold: int
    zeros_shown: bool


@dataclass(frozen=True)
class LinkedSuppression:
    """A detail table and its column-group subtotal table, suppressed consistently."""

    detail: SuppressedTable
    subtotals: SuppressedTable
    column_groups: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class PublishedShare:
    """A share (0..1) with its numerator and base, or None where not publishable."""

    share: float | None
    numerator: int | None
    base: int | None
    reason: SuppressionReason | None


# --------------------------------------------------------------------------- audit


def recoverable_cells(
    published: Sequence[int | None], equations: Sequence[Equation]
) -> tuple[int, ...]:
    """Indices of suppressed values (None) determined exactly by the equations.

    Builds the system ``A x = b`` over the suppressed values and reports every ``x_i``
    that is constant on the solution space, i.e. whose coordinate is zero in every
    null-space vector of ``A``.
    """
    unknown = [i for i, v in enumerate(published) if v is None]
    if not unknown:
        return ()
    column = {cell: j for j, cell in enumerate(unknown)}
    rows: list[list[float]] = []
    for equation in equations:
        row = [0.0] * len(unknown)
        touched = False
        for cell, sign in ((equation.total, 1.0), *((p, -1.0) for p in equation.parts)):
            j = column.get(cell)
            if j is not None:
                row[j] += sign
                touched = True
        if touched:
            rows.append(row)
    if not rows:
        return ()
    matrix = np.array(rows, dtype=np.float64)
    _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
    tolerance = max(matrix.shape) * np.finfo(np.float64).eps * float(singular.max(initial=0.0))
    rank = int(np.count_nonzero(singular > max(tolerance, _AUDIT_TOLERANCE)))
    null_space = vt[rank:]
    if null_space.shape[0] == 0:
        return tuple(unknown)
    free = np.abs(null_space).max(axis=0) > _AUDIT_TOLERANCE
    return tuple(cell for cell, is_free in zip(unknown, free, strict=True) if not is_free)


# --------------------------------------------------------------------------- engine


class _Engine:
    def __init__(
        self,
        values: Sequence[int],
        equations: Sequence[Equation],
        threshold: int,
        suppress_zeros: bool,
        protect_hidden_sums: bool,
        lookahead: bool,
    ) -> None:
        self.values = list(values)
        self.equations = list(equations)
        self.threshold = threshold
        self.suppress_zeros = suppress_zeros
        self.protect_hidden_sums = protect_hidden_sums
        self.lookahead = lookahead
        self.is_total = [False] * len(values)
        self.member_of: list[list[int]] = [[] for _ in values]
        self.members: list[tuple[int, ...]] = []
        for e, equation in enumerate(self.equations):
            self.is_total[equation.total] = True
            members = (equation.total, *equation.parts)
            self.members.append(members)
            for cell in members:
                self.member_of[cell].append(e)

    def cost(self, cell: int) -> tuple[bool, bool, int, int]:
        value = self.values[cell]
        return (value == 0, self.is_total[cell], value, cell)

    def primary(self) -> set[int]:
        low = -1 if self.suppress_zeros else 0
        return {i for i, v in enumerate(self.values) if low < v < self.threshold}

    def _hidden_sum_needs_more(self, equation: Equation, suppressed: set[int]) -> bool:
        if equation.total in suppressed:
            return False
        hidden = [p for p in equation.parts if p in suppressed]
        if not hidden:
            return False
        hidden_sum = sum(self.values[p] for p in hidden)
        if hidden_sum < self.threshold:
            return True
        return not self.suppress_zeros and hidden_sum <= len(hidden)

    def _hidden_count(self, e: int, suppressed: set[int]) -> int:
        return sum(1 for m in self.members[e] if m in suppressed)

    def pending(self, suppressed: set[int]) -> tuple[int, list[int]] | None:
        """First equation breaking rule 1 or 2, with its candidate complements."""
        for e, equation in enumerate(self.equations):
            members = self.members[e]
            if self._hidden_count(e, suppressed) == 1:
                return e, [m for m in members if m not in suppressed]
            if self.protect_hidden_sums and self._hidden_sum_needs_more(equation, suppressed):
                parts = [p for p in equation.parts if p not in suppressed and self.values[p] > 0]
                return e, parts or [equation.total]
        return None

    def _fixes_another(self, cell: int, e: int, suppressed: set[int]) -> bool:
        """Whether ``cell`` lies in another equation that has one suppressed value."""
        return any(
            other != e and self._hidden_count(other, suppressed) == 1
            for other in self.member_of[cell]
        )

    def greedy(self, suppressed: set[int], *, shared: bool) -> None:
        """Rules 1 and 2 with the cheapest complement (optionally one fixing two lines)."""
        while (found := self.pending(suppressed)) is not None:
            e, candidates = found
            if shared:
                candidates = [
                    m for m in candidates if self._fixes_another(m, e, suppressed)
                ] or candidates
            suppressed.add(min(candidates, key=self.cost))

    def close(self, suppressed: set[int]) -> None:
        """Apply rules 1 and 2 until stable (in place)."""
        if not self.lookahead:
            self.greedy(suppressed, shared=False)
            return
        while (found := self.pending(suppressed)) is not None:
            _, candidates = found
            best_loss: tuple[int, int] | None = None
            best = candidates[0]
            for candidate in sorted(candidates, key=self.cost)[:_LOOKAHEAD_WIDTH]:
                trial = set(suppressed)
                trial.add(candidate)
                self.greedy(trial, shared=True)
                loss = (len(trial), sum(self.values[i] for i in trial))
                if best_loss is None or loss < best_loss:
                    best_loss, best = loss, candidate
            suppressed.add(best)

    def stable(self, suppressed: set[int]) -> bool:
        """Whether rules 1 and 2 hold without further suppression."""
        return self.pending(suppressed) is None

    def prune(self, primary: set[int], suppressed: set[int]) -> set[int]:
        """Publish again, largest first, any secondary cell not needed for safety."""
        for cell in sorted(suppressed - primary, key=lambda i: (-self.values[i], -i)):
            trial = suppressed - {cell}
            if self.stable(trial) and not recoverable_cells(self.published(trial), self.equations):
                suppressed = trial
        return suppressed

    def published(self, suppressed: set[int]) -> list[int | None]:
        return [None if i in suppressed else v for i, v in enumerate(self.values)]

    def run(self) -> tuple[set[int], set[int]]:
        primary = self.primary()
        suppressed = set(primary)
        self.close(suppressed)
        while True:
            exposed = recoverable_cells(self.published(suppressed), self.equations)
            if not exposed:
                if self.lookahead:
                    suppressed = self.prune(primary, suppressed)
                return primary, suppressed - primary
            target = exposed[0]
            neighbours = {
                m
                for e in self.member_of[target]
                for m in (self.equations[e].total, *self.equations[e].parts)
                if m not in suppressed
            }
            pool = neighbours or {i for i in range(len(self.values)) if i not in suppressed}
            if not pool:  # everything is already suppressed
                return primary, suppressed - primary  # pragma: no cover - defensive
            ordered = sorted(pool, key=self.cost)
            chosen: set[int] | None = None
            for candidate in ordered:
                trial = set(suppressed)
                trial.add(candidate)
                self.close(trial)
                if target not in recoverable_cells(self.published(trial), self.equations):
                    chosen = trial
                    break
            if chosen is None:
                chosen = set(suppressed)
                chosen.add(ordered[0])
                self.close(chosen)
            suppressed = chosen


def _validate(values: Sequence[int], equations: Sequence[Equation], threshold: int) -> None:
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError("counts must be non-negative integers")
    n = len(values)
    for equation in equations:
        cells = (equation.total, *equation.parts)
        if (
            not equation.parts
            or any(not 0 <= c < n for c in cells)
            or len(set(cells)) != len(cells)
        ):
            raise ValueError("each equation needs a total and distinct parts within range")
        if values[equation.total] != sum(values[p] for p in equation.parts):
            raise ValueError("equation does not hold: total differs from the sum of its parts")


def suppress_system(
    values: Sequence[int],
    equations: Sequence[Equation],
    threshold: int,
    *,
    suppress_zeros: bool = False,
    protect_hidden_sums: bool = True,
    lookahead: bool = True,
) -> SystemSuppression:
    """Suppress a set of linked counts tied by additive equations (see module rules).

    Use this for any family of published tables: put every published number in
    ``values`` once and every "total = sum of parts" relation in ``equations``.
    """
    _validate(values, equations, threshold)
    counts = [int(v) for v in values]
    engine = _Engine(counts, equations, threshold, suppress_zeros, protect_hidden_sums, lookahead)
    primary, secondary = engine.run()
    reasons: list[SuppressionReason | None] = [None] * len(counts)
    for i in primary:
        reasons[i] = SuppressionReason.PRIMARY
    for i in secondary:
        reasons[i] = SuppressionReason.SECONDARY
    return SystemSuppression(
        values=tuple(None if r is not None else v for v, r in zip(counts, reasons, strict=True)),
        reasons=tuple(reasons),
        threshold=threshold,
        zeros_shown=not suppress_zeros,
    )


# --------------------------------------------------------------------------- tables


def series_equations(length: int) -> tuple[Equation, ...]:
    """Equations of a series laid out as ``cells..., total``."""
    return (Equation(total=length, parts=tuple(range(length))),)


def table_layout(rows: int, columns: int) -> tuple[tuple[Equation, ...], int]:
    """Equations of a table laid out flat; returns (equations, number of values).

    Layout: interior ``r * columns + c``, then row totals, column totals, grand total.
    """
    interior = rows * columns
    row_total = interior
    column_total = interior + rows
    grand = interior + rows + columns
    equations = [
        Equation(row_total + r, tuple(r * columns + c for c in range(columns))) for r in range(rows)
    ]
    equations += [
        Equation(column_total + c, tuple(r * columns + c for r in range(rows)))
        for c in range(columns)
    ]
    equations.append(Equation(grand, tuple(row_total + r for r in range(rows))))
    equations.append(Equation(grand, tuple(column_total + c for c in range(columns))))
    return tuple(equations), grand + 1


def _matrix(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    rows = [list(row) for row in counts]
    if not rows or not rows[0]:
        raise ValueError("a table needs at least one row and one column")
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("all rows must have the same length")
    return rows


def _flatten(rows: list[list[int]]) -> list[int]:
    row_totals = [sum(row) for row in rows]
    column_totals = [sum(column) for column in zip(*rows, strict=True)]
    return [v for row in rows for v in row] + row_totals + column_totals + [sum(row_totals)]


def _table_from_flat(
    result: SystemSuppression, rows: int, columns: int, offsets: tuple[int, int, int, int]
) -> SuppressedTable:
    cell_at, row_at, column_at, grand_at = offsets
    v, why = result.values, result.reasons
    return SuppressedTable(
        cells=tuple(
            tuple(v[cell_at + r * columns + c] for c in range(columns)) for r in range(rows)
        ),
        row_totals=tuple(v[row_at + r] for r in range(rows)),
        column_totals=tuple(v[column_at + c] for c in range(columns)),
        grand_total=v[grand_at],
        cell_reasons=tuple(
            tuple(why[cell_at + r * columns + c] for c in range(columns)) for r in range(rows)
        ),
        row_total_reasons=tuple(why[row_at + r] for r in range(rows)),
        column_total_reasons=tuple(why[column_at + c] for c in range(columns)),
        grand_total_reason=why[grand_at],
        threshold=result.threshold,
        zeros_shown=result.zeros_shown,
    )


def suppress_series(
    counts: Sequence[int],
    threshold: int,
    *,
    suppress_zeros: bool = False,
    protect_hidden_sums: bool = True,
    lookahead: bool = True,
) -> SuppressedSeries:
    """Suppress a one-dimensional count table and its total."""
    cells = list(counts)
    if not cells:
        raise ValueError("a series needs at least one cell")
    values = [*cells, sum(cells)]
    result = suppress_system(
        values,
        series_equations(len(cells)),
        threshold,
        suppress_zeros=suppress_zeros,
        protect_hidden_sums=protect_hidden_sums,
        lookahead=lookahead,
    )
    return SuppressedSeries(
        cells=result.values[:-1],
        total=result.values[-1],
        cell_reasons=result.reasons[:-1],
        total_reason=result.reasons[-1],
        threshold=threshold,
        zeros_shown=result.zeros_shown,
    )


def suppress_table(
    counts: Sequence[Sequence[int]],
    threshold: int,
    *,
    suppress_zeros: bool = False,
    protect_hidden_sums: bool = True,
    lookahead: bool = True,
) -> SuppressedTable:
    """Suppress a two-dimensional count table with row, column and grand totals."""
    rows = _matrix(counts)
    r, c = len(rows), len(rows[0])
    equations, _ = table_layout(r, c)
    result = suppress_system(
        _flatten(rows),
        equations,
        threshold,
        suppress_zeros=suppress_zeros,
        protect_hidden_sums=protect_hidden_sums,
        lookahead=lookahead,
    )
    return _table_from_flat(result, r, c, (0, r * c, r * c + r, r * c + r + c))


@overload
def suppress(
    table: Sequence[Sequence[int]],
    threshold: int,
    *,
    suppress_zeros: bool = ...,
    protect_hidden_sums: bool = ...,
    lookahead: bool = ...,
) -> SuppressedTable: ...


@overload
def suppress(
    table: Sequence[int],
    threshold: int,
    *,
    suppress_zeros: bool = ...,
    protect_hidden_sums: bool = ...,
    lookahead: bool = ...,
) -> SuppressedSeries: ...


@overload
def suppress(
    table: npt.NDArray[np.integer[Any]],
    threshold: int,
    *,
    suppress_zeros: bool = ...,
    protect_hidden_sums: bool = ...,
    lookahead: bool = ...,
) -> SuppressedTable | SuppressedSeries: ...


def suppress(
    table: Sequence[Sequence[int]] | Sequence[int] | npt.NDArray[np.integer[Any]],
    threshold: int,
    *,
    suppress_zeros: bool = False,
    protect_hidden_sums: bool = True,
    lookahead: bool = True,
) -> SuppressedTable | SuppressedSeries:
    """Suppress a 1-D (list of counts) or 2-D (list of rows) table; totals are derived.

    Accepts nested sequences or a numpy integer array.
    """
    data: Sequence[Sequence[int]] | Sequence[int] = (
        table.tolist() if isinstance(table, np.ndarray) else table
    )
    if len(data) and all(isinstance(row, Sequence) for row in data):
        return suppress_table(
            [list(row) for row in data if isinstance(row, Sequence)],
            threshold,
            suppress_zeros=suppress_zeros,
            protect_hidden_sums=protect_hidden_sums,
            lookahead=lookahead,
        )
    if any(isinstance(v, Sequence) for v in data):
        raise ValueError("mix of rows and counts")
    return suppress_series(
        [v for v in data if not isinstance(v, Sequence)],
        threshold,
        suppress_zeros=suppress_zeros,
        protect_hidden_sums=protect_hidden_sums,
        lookahead=lookahead,
    )


def suppress_with_subtotals(
    counts: Sequence[Sequence[int]],
    column_groups: Sequence[Sequence[int]],
    threshold: int,
    *,
    suppress_zeros: bool = False,
    protect_hidden_sums: bool = True,
    lookahead: bool = True,
) -> LinkedSuppression:
    """Suppress a table and a second table of column-group subtotals consistently.

    ``column_groups`` are disjoint lists of detail columns; subtotal cell ``(r, j)`` is
    the sum of row ``r`` over group ``j``.  If the groups cover every column the two
    tables share their row and grand totals; otherwise (e.g. "all categories except
    one") the subtotal table has its own totals, and the published difference between
    the two tables' totals is part of the system, so it cannot reveal a hidden cell.
    """
    rows = _matrix(counts)
    r, c = len(rows), len(rows[0])
    groups = tuple(tuple(int(x) for x in group) for group in column_groups)
    flat_members = [x for group in groups for x in group]
    if not groups or any(not group for group in groups):
        raise ValueError("column groups must be non-empty")
    if len(set(flat_members)) != len(flat_members) or any(not 0 <= x < c for x in flat_members):
        raise ValueError("column groups must be disjoint and refer to existing columns")
    covering = len(flat_members) == c
    detail_equations, size = table_layout(r, c)
    values = _flatten(rows)
    equations = list(detail_equations)
    g = len(groups)
    cell_at = size
    values += [sum(rows[i][x] for x in group) for i in range(r) for group in groups]
    for i in range(r):
        for j, group in enumerate(groups):
            equations.append(Equation(cell_at + i * g + j, tuple(i * c + x for x in group)))
    column_at = cell_at + r * g
    values += [sum(values[cell_at + i * g + j] for i in range(r)) for j in range(g)]
    detail_columns = r * c + r
    for j, group in enumerate(groups):
        equations.append(Equation(column_at + j, tuple(cell_at + i * g + j for i in range(r))))
        equations.append(Equation(column_at + j, tuple(detail_columns + x for x in group)))
    if covering:
        row_at, grand_at = r * c, r * c + r + c
    else:
        row_at = column_at + g
        grand_at = row_at + r
        values += [sum(values[cell_at + i * g + j] for j in range(g)) for i in range(r)]
        values.append(sum(values[row_at + i] for i in range(r)))
        equations.append(Equation(grand_at, tuple(row_at + i for i in range(r))))
    for i in range(r):
        equations.append(Equation(row_at + i, tuple(cell_at + i * g + j for j in range(g))))
    equations.append(Equation(grand_at, tuple(column_at + j for j in range(g))))
    result = suppress_system(
        values,
        equations,
        threshold,
        suppress_zeros=suppress_zeros,
        protect_hidden_sums=protect_hidden_sums,
        lookahead=lookahead,
    )
    return LinkedSuppression(
        detail=_table_from_flat(result, r, c, (0, r * c, r * c + r, r * c + r + c)),
        subtotals=_table_from_flat(result, r, g, (cell_at, row_at, column_at, grand_at)),
        column_groups=groups,
    )


# --------------------------------------------------------------------------- shares


def publish_share(
    numerator: int,
    base: int,
    threshold: int,
    *,
    suppress_small_numerators: bool = False,
) -> PublishedShare:
    """A share ``numerator / base``, withheld when its base is below ``threshold``.

    Base 0: ``empty_base``; base in ``1 .. t-1``: ``small_base`` (share, numerator and
    base withheld).  Optionally (``suppress_small_numerators``) a numerator in
    ``1 .. t-1`` also withholds the share and numerator (reason ``small_numerator``),
    since share x base would reveal it.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if base < 0 or numerator < 0 or numerator > base:
        raise ValueError("need 0 <= numerator <= base")
    if base == 0:
        return PublishedShare(None, 0, 0, SuppressionReason.EMPTY_BASE)
    if base < threshold:
        return PublishedShare(None, None, None, SuppressionReason.SMALL_BASE)
    if suppress_small_numerators and 0 < numerator < threshold:
        return PublishedShare(None, None, base, SuppressionReason.SMALL_NUMERATOR)
    return PublishedShare(numerator / base, numerator, base, None)


def publish_shares(
    numerators: Sequence[int],
    base: int,
    threshold: int,
    *,
    suppress_small_numerators: bool = False,
) -> tuple[PublishedShare, ...]:
    """:func:`publish_share` for several numerators over one base."""
    return tuple(
        publish_share(n, base, threshold, suppress_small_numerators=suppress_small_numerators)
        for n in numerators
    )
