"""Results of partner datasets per area, with disclosure control (pure).

A question's answers are published as one linked family of counts: a table of areas ×
answer groups (positive / neutral / negative / don't know on a scale, or each answer for
unordered questions) with its totals, and the all-areas count of every answer. The family
goes through :func:`engage.disclosure.suppress_system` as one system, so no suppressed count
can be worked out from the published ones. Weighted shares are shown only where the
unweighted count behind them is published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engage.disclosure import Equation, SuppressionReason, suppress_system, table_layout
from engage.intelligence.mapping import Group, Scale, Unit, group_of

# Shares on a scale are of people who gave an answer on it: "don't know" (and answers left
# off the scale) are counted in the all-areas answers only, so small "don't know" counts do not
# force other cells of every ward to be hidden.
SCALED_COLUMNS = (Group.POSITIVE, Group.NEUTRAL, Group.NEGATIVE)


@dataclass(frozen=True)
class Option:
    """One answer as written in the file, with its integer code and scale point."""

    code: int
    label: str
    point: str | None = None


@dataclass(frozen=True)
class Cell:
    count: int | None  # None when suppressed
    share: float | None  # 0..1 (weighted when the dataset is), None when not publishable
    reason: SuppressionReason | None = None


@dataclass(frozen=True)
class AreaRow:
    area_id: int | None  # None for the all-areas row
    base: int | None
    cells: tuple[Cell, ...]
    base_reason: SuppressionReason | None = None


@dataclass(frozen=True)
class OptionRow:
    option: Option
    cell: Cell


@dataclass(frozen=True)
class QuestionResult:
    columns: tuple[str, ...]  # group codes, or option codes (as text) for unordered questions
    column_labels: tuple[str, ...]  # the answer as written, for unordered questions
    areas: tuple[AreaRow, ...]
    overall: AreaRow
    options: tuple[OptionRow, ...]
    weighted: bool
    threshold: int

    @property
    def respondents(self) -> int | None:
        return self.overall.base


Tally = Mapping[int, tuple[int, float]]  # value code → (respondents, weighted sum)


def _columns(scale: Scale, options: Sequence[Option]) -> tuple[list[str], list[list[int]]]:
    """Column codes and, for each, the option codes counted in it."""
    if scale == Scale.NONE:
        return [str(o.code) for o in options], [[o.code] for o in options]
    members: dict[Group, list[int]] = {g: [] for g in SCALED_COLUMNS}
    for option in options:
        group = group_of(option.point)
        if group in members:
            members[group].append(option.code)
    return [g.value for g in SCALED_COLUMNS], [members[g] for g in SCALED_COLUMNS]


def question_result(
    scale: Scale,
    options: Sequence[Option],
    tallies: Mapping[int, Tally],
    area_order: Sequence[int],
    threshold: int,
    *,
    weighted: bool,
) -> QuestionResult:
    """Counts and shares per area and overall, suppressed as one linked system.

    ``tallies`` maps area id → value code → (respondents, weighted sum). On a scale the
    columns are the positive, neutral and negative groups and the base is everyone who
    answered on the scale; "don't know" and unscaled answers appear in ``options`` only
    (their shares there are of every answer).
    """
    columns, members = _columns(scale, options)
    rows = [area for area in area_order if area in tallies]
    counts: list[list[int]] = []
    sums: list[list[float]] = []
    for area in rows:
        tally = tallies[area]
        counts.append([sum(tally.get(code, (0, 0.0))[0] for code in group) for group in members])
        sums.append([sum(tally.get(code, (0, 0.0))[1] for code in group) for group in members])
    option_totals = {
        o.code: sum(tallies[a].get(o.code, (0, 0.0))[0] for a in rows) for o in options
    }
    option_sums = {
        o.code: sum(tallies[a].get(o.code, (0, 0.0))[1] for a in rows) for o in options
    }
    # Areas where nobody answered on the scale have no row (their other answers still count).
    kept = [i for i, row in enumerate(counts) if sum(row) > 0]
    rows = [rows[i] for i in kept]
    counts = [counts[i] for i in kept]
    sums = [sums[i] for i in kept]
    column_labels = tuple(o.label for o in options) if scale == Scale.NONE else ()
    if not rows:
        empty = AreaRow(None, 0, tuple(Cell(0, None) for _ in columns))
        return QuestionResult(
            tuple(columns), column_labels, (), empty,
            tuple(OptionRow(o, Cell(0, None)) for o in options), weighted, threshold,
        )

    r, c = len(rows), len(columns)
    equations, size = table_layout(r, c)
    values = [v for row in counts for v in row]
    values += [sum(row) for row in counts]
    column_totals = [sum(counts[i][j] for i in range(r)) for j in range(c)]
    values += column_totals
    values.append(sum(column_totals))
    extra_equations = list(equations)
    option_index: dict[int, int] = {}
    for j, group in enumerate(members):
        if len(group) == 1:
            option_index[group[0]] = r * c + r + j  # the column total is that option's count
        elif group:
            start = len(values)
            for k, code in enumerate(group):
                option_index[code] = start + k
                values.append(option_totals[code])
            extra_equations.append(
                Equation(r * c + r + j, tuple(range(start, start + len(group))))
            )
    for option in options:  # answers outside the table ("don't know"): counts on their own
        if option.code not in option_index:
            option_index[option.code] = len(values)
            values.append(option_totals[option.code])
    published = suppress_system(values, extra_equations, threshold)
    shown, why = published.values, published.reasons
    grand = size - 1

    def share(count_at: int, numerator: float, denominator: float) -> Cell:
        count = shown[count_at]
        if count is None:
            return Cell(None, None, why[count_at])
        return Cell(count, numerator / denominator if denominator > 0 else None)

    area_rows: list[AreaRow] = []
    for i, area in enumerate(rows):
        base_at = r * c + i
        base_published = shown[base_at]
        denominator = sum(sums[i]) if weighted else sum(counts[i])
        cells = []
        for j in range(c):
            numerator = sums[i][j] if weighted else counts[i][j]
            cell = share(i * c + j, numerator, denominator)
            if base_published is None and cell.count is not None:
                # A published count over a hidden base would let readers bound the base.
                cell = Cell(cell.count, None)
            cells.append(cell)
        area_rows.append(AreaRow(area, base_published, tuple(cells), why[base_at]))
    total_weight = sum(sum(row) for row in sums)
    overall_denominator = total_weight if weighted else sum(column_totals)
    overall_cells = tuple(
        share(r * c + r + j, sum(sums[i][j] for i in range(r)) if weighted else column_totals[j],
              overall_denominator)
        for j in range(c)
    )
    overall = AreaRow(None, shown[grand], overall_cells, why[grand])
    every_answer = sum(option_sums.values()) if weighted else sum(option_totals.values())
    option_rows = []
    for option in options:
        numerator = option_sums[option.code] if weighted else option_totals[option.code]
        option_rows.append(
            OptionRow(option, share(option_index[option.code], numerator, every_answer))
        )
    return QuestionResult(
        tuple(columns), column_labels, tuple(area_rows), overall, tuple(option_rows),
        weighted, threshold,
    )


@dataclass(frozen=True)
class IndicatorValue:
    area_id: int
    period: str
    value: float | None  # None when suppressed
    base: int | None
    reason: SuppressionReason | None = None


def publish_indicator(
    area_id: int, period: str, value: float, base: int | None, unit: Unit, threshold: int
) -> IndicatorValue:
    """An aggregate figure as a partner supplied it, withheld when it rests on too few people.

    Shares, rates and scores are withheld when their base (n) is below the threshold;
    counts are withheld when they are themselves small (1 .. threshold-1).
    """
    if base is not None and 0 < base < threshold:
        return IndicatorValue(area_id, period, None, None, SuppressionReason.SMALL_BASE)
    if base == 0 and unit != Unit.COUNT:
        return IndicatorValue(area_id, period, None, 0, SuppressionReason.EMPTY_BASE)
    if unit == Unit.COUNT and 0 < value < threshold:
        return IndicatorValue(area_id, period, None, base, SuppressionReason.PRIMARY)
    return IndicatorValue(area_id, period, value, base)


def restrict_to_areas(result: QuestionResult, area_ids: Sequence[int]) -> QuestionResult:
    """The rows of some areas from a result suppressed over ALL areas.

    Suppressing a smaller table on its own would publish cells the full table hides, and the
    difference of the two (e.g. a district's total minus a ward) would give a hidden count
    away. So the pattern is always the full table's; a subset's totals are only the sums of
    its published cells (which readers could add up anyway), and the all-areas answer counts
    are not repeated for a subset.
    """
    wanted = set(area_ids)
    rows = tuple(row for row in result.areas if row.area_id in wanted)
    hidden = SuppressionReason.SECONDARY

    def total(values: list[int | None]) -> int | None:
        return None if not values or any(v is None for v in values) else sum(values)  # type: ignore[arg-type]

    base = total([row.base for row in rows])
    cells = []
    for j in range(len(result.columns)):
        count = total([row.cells[j].count for row in rows])
        share = count / base if count is not None and base and not result.weighted else None
        cells.append(Cell(count, share, None if count is not None else hidden))
    overall = AreaRow(None, base, tuple(cells), None if base is not None else hidden)
    options = tuple(OptionRow(o.option, Cell(None, None, hidden)) for o in result.options)
    return QuestionResult(result.columns, result.column_labels, rows, overall, options,
                          result.weighted, result.threshold)
