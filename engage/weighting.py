"""Survey weighting by raking (iterative proportional fitting) to a census profile.

Pure module: standard library and numpy only.

Methods
-------
* Raking / iterative proportional fitting: Deming & Stephan (1940), "On a least
  squares adjustment of a sampled frequency table when the expected marginal totals
  are known", Ann. Math. Statist. 11(4); Kalton & Flores-Cervantes (2003), "Weighting
  methods", J. Official Statistics 19(2).  Each sweep scales the weights so that, on
  every margin in turn, the weighted distribution over the target categories equals
  the target proportions.
* Respondents whose category on a margin is missing or not one of the target
  categories keep their weight unchanged on that margin; the margin is fitted among
  the respondents with a known category (their weight total is preserved, so the
  overall weight total never changes).  Counts are reported per margin.
* Target categories with no respondents cannot be fitted: they are reported and the
  remaining target proportions on that margin are rescaled to sum to 1.
* Weight trimming: weights above ``cap`` x mean weight are set to the cap and the
  excess is redistributed proportionally over the other weights (Potter 1990,
  "A study of procedures to identify and trim extreme sampling weights"); raking and
  trimming alternate until both hold or ``max_iterations`` is reached.
* Kish (1965) effective sample size ``(sum w)^2 / sum w^2`` and design effect due to
  weighting ``n * sum w^2 / (sum w)^2 = 1 + CV(w)^2``.

Speed: categories are integer-coded and, when possible, respondents are collapsed into
the cells of the cross-classification of all margins, so each sweep costs O(cells)
rather than O(respondents); only the final expansion to per-respondent weights is
O(n).  Non-convergence is reported in the result, never raised.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

MISSING_CODE = -1
"""Code used in :class:`CodedColumn` for a missing answer."""

_DENSE_CELL_LIMIT = 1 << 22


def _readonly_float(values: npt.ArrayLike) -> FloatArray:
    array = np.array(values, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class CodedColumn:
    """An integer-coded categorical column.

    ``codes[i]`` indexes ``categories``; ``MISSING_CODE`` (-1) marks a missing answer.
    The codes are copied into a read-only ``intp`` array.
    """

    codes: IntArray
    categories: tuple[str, ...]

    def __post_init__(self) -> None:
        codes = np.array(self.codes, copy=True)
        if codes.ndim != 1:
            raise ValueError("codes must be one-dimensional")
        if codes.size and not np.issubdtype(codes.dtype, np.integer):
            raise ValueError("codes must be integers")
        codes = codes.astype(np.intp, copy=False)
        categories = tuple(self.categories)
        if len(set(categories)) != len(categories):
            raise ValueError("categories must be unique")
        if codes.size and (int(codes.min()) < MISSING_CODE or int(codes.max()) >= len(categories)):
            raise ValueError("codes must lie in -1 .. len(categories) - 1")
        codes.setflags(write=False)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "categories", categories)

    def __len__(self) -> int:
        return int(self.codes.shape[0])


def encode(values: Iterable[str | None], categories: Sequence[str] | None = None) -> CodedColumn:
    """Integer-code string answers; ``None`` and ``""`` become ``MISSING_CODE``.

    Given ``categories`` keep their order; values not among them are appended
    (sorted) so that they can be reported as unmatched rather than silently lost.
    """
    raw = list(values)
    seen = {value for value in raw if value is not None and value != ""}
    ordered = list(categories) if categories is not None else []
    known = set(ordered)
    ordered.extend(sorted(seen - known))
    index = {category: position for position, category in enumerate(ordered)}
    codes = np.fromiter(
        (MISSING_CODE if value is None or value == "" else index[value] for value in raw),
        dtype=np.intp,
        count=len(raw),
    )
    return CodedColumn(codes=codes, categories=tuple(ordered))


@dataclass(frozen=True)
class MarginReport:
    """Diagnostics for one raking margin (all counts are respondents, unweighted).

    ``missing``: respondents with no answer; ``unmatched``: (category, count) for
    answers that are not target categories (both keep their weight on this margin);
    ``empty_targets``: target categories with no respondents (dropped, the other target
    proportions rescaled); ``zero_target_respondents``: respondents in a category whose
    target is 0 (their weight becomes 0); ``max_error``: largest absolute difference
    between achieved and target proportion at the end; ``used``: False when the margin
    could not be fitted at all (no respondent with a positive-target category).
    """

    variable: str
    missing: int
    unmatched: tuple[tuple[str, int], ...]
    empty_targets: tuple[str, ...]
    zero_target_respondents: int
    max_error: float
    used: bool


@dataclass(frozen=True, eq=False)
class RakingResult:
    """Outcome of :func:`rake`; ``weights`` is a read-only array aligned with the input."""

    weights: FloatArray
    converged: bool
    iterations: int
    max_error: float
    design_effect: float
    effective_sample_size: float
    trimmed: int
    margins: tuple[MarginReport, ...]

    @property
    def respondents(self) -> int:
        """Number of respondents weighted."""
        return int(self.weights.shape[0])


@dataclass(frozen=True)
class WeightedShare:
    """A weighted proportion; ``share`` is None when nobody answered."""

    share: float | None
    respondents: int
    weight_total: float
    effective_sample_size: float
    design_effect: float


def inner(a: FloatArray, b: FloatArray) -> float:
    """Inner product of two float vectors without BLAS (whose threading is slow here)."""
    return float(np.einsum("i,i->", a, b))


def kish_effective_sample_size(weights: npt.ArrayLike) -> float:
    """Kish (1965) effective sample size ``(sum w)^2 / sum w^2`` (0 for no weight)."""
    w = np.asarray(weights, dtype=np.float64)
    sum_squares = inner(w, w)
    if sum_squares <= 0.0:
        return 0.0
    total = float(w.sum())
    return total * total / sum_squares


def kish_design_effect(weights: npt.ArrayLike) -> float:
    """Kish design effect due to unequal weights ``n / n_eff`` (1 when undefined)."""
    w = np.asarray(weights, dtype=np.float64)
    ess = kish_effective_sample_size(w)
    if ess <= 0.0:
        return 1.0
    return float(w.shape[0]) / ess


def weighted_share(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    mask: npt.ArrayLike | None = None,
) -> WeightedShare:
    """Weighted mean of per-respondent values in 0..1 (NaN = did not answer).

    ``mask`` restricts to a subgroup.  The effective sample size is Kish's, computed on
    the weights of the respondents who answered.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if v.shape != w.shape or v.ndim != 1:
        raise ValueError("values and weights must be one-dimensional and the same length")
    answered = ~np.isnan(v)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != v.shape:
            raise ValueError("mask must match values")
        answered &= m
    v_answered = v[answered]
    if v_answered.size and (float(v_answered.min()) < 0.0 or float(v_answered.max()) > 1.0):
        raise ValueError("values must lie in 0..1")
    w_answered = w[answered]
    total = float(w_answered.sum())
    respondents = int(v_answered.shape[0])
    ess = kish_effective_sample_size(w_answered)
    deff = respondents / ess if ess > 0.0 else 1.0
    share = inner(v_answered, w_answered) / total if total > 0.0 else None
    return WeightedShare(
        share=share,
        respondents=respondents,
        weight_total=total,
        effective_sample_size=ess,
        design_effect=deff,
    )


RecordInput = Sequence[Mapping[str, str | None]]
ColumnInput = Mapping[str, Sequence[str | None] | CodedColumn]


@dataclass
class _Margin:
    variable: str
    codes: IntArray  # per respondent, 0..k-1 target category, k = missing/unmatched
    k: int
    props: FloatArray  # length k, sums to 1 over fitted categories
    report_missing: int
    report_unmatched: tuple[tuple[str, int], ...]
    report_empty: tuple[str, ...]
    report_zero_target: int
    used: bool


def _column(respondents: RecordInput | ColumnInput, variable: str, n: int) -> CodedColumn:
    if isinstance(respondents, Mapping):
        raw = respondents.get(variable)
        if raw is None:
            return CodedColumn(np.full(n, MISSING_CODE, dtype=np.intp), ())
        if isinstance(raw, CodedColumn):
            return raw
        return encode(raw)
    return encode(record.get(variable) for record in respondents)


def _respondent_count(respondents: RecordInput | ColumnInput) -> int:
    if isinstance(respondents, Mapping):
        lengths = {len(column) for column in respondents.values()}
        if len(lengths) > 1:
            raise ValueError("all respondent columns must have the same length")
        return lengths.pop() if lengths else 0
    return len(respondents)


def _prepare_margin(variable: str, column: CodedColumn, target: Mapping[str, float]) -> _Margin:
    target_categories = tuple(target)
    values = np.array([float(target[c]) for c in target_categories], dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)) or float(values.min()) < 0.0:
        raise ValueError(f"targets for {variable!r} must be finite and non-negative")
    if float(values.sum()) <= 0.0:
        raise ValueError(f"targets for {variable!r} must have a positive total")
    k = len(target_categories)
    position = {category: i for i, category in enumerate(target_categories)}
    # lookup[-1] (the extra last slot) serves MISSING_CODE == -1.
    lookup = np.full(len(column.categories) + 1, k, dtype=np.intp)
    for code, category in enumerate(column.categories):
        lookup[code] = position.get(category, k)
    codes = lookup[column.codes]
    column_counts = np.bincount(column.codes + 1, minlength=len(column.categories) + 1)
    missing = int(column_counts[0])
    unmatched = tuple(
        (category, int(column_counts[code + 1]))
        for code, category in enumerate(column.categories)
        if category not in position and int(column_counts[code + 1]) > 0
    )
    counts = np.bincount(codes, minlength=k + 1)[:k]
    present = counts > 0
    empty = tuple(
        c for c, p, v in zip(target_categories, present, values, strict=True) if not p and v > 0.0
    )
    zero_target = int(counts[(values == 0.0) & present].sum())
    fitted = np.where(present, values, 0.0)
    fitted_total = float(fitted.sum())
    used = fitted_total > 0.0
    props = fitted / fitted_total if used else fitted
    if not used:
        codes = np.full(codes.shape[0], k, dtype=np.intp)
    return _Margin(variable, codes, k, props, missing, unmatched, empty, zero_target, used)


def _margin_error(margin: _Margin, sums: FloatArray) -> float:
    known = float(sums[: margin.k].sum())
    if known <= 0.0:
        return 0.0 if not margin.used else 1.0
    return float(np.abs(sums[: margin.k] / known - margin.props).max())


def _trim(
    g: FloatArray,
    mass: FloatArray,
    count: FloatArray,
    total: float,
    cap_value: float,
) -> None:
    """Cap per-respondent weights ``g * mass / count`` at ``cap_value`` in place.

    Finds the scale ``s`` with ``sum(count * min(s * r, cap)) == total`` (``r`` the
    per-respondent weights), which is the fixed point of repeated clip-and-redistribute.
    """
    r = g * mass / count
    if float(r.max()) <= cap_value:
        return
    order = np.argsort(-r, kind="stable")
    r_sorted = r[order]
    c_sorted = count[order]
    # Scale for the remaining units if the top j units are capped (j = 0 .. U-1).
    capped_counts = np.concatenate(([0.0], np.cumsum(c_sorted)[:-1]))
    rest = np.cumsum((c_sorted * r_sorted)[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (total - cap_value * capped_counts) / rest
    feasible = (scale * r_sorted <= cap_value * (1.0 + 1e-12)) & (rest > 0.0)
    if not feasible.any():
        return
    j = int(np.argmax(feasible))
    top = order[:j]
    g *= float(scale[j])
    g[top] = cap_value * count[top] / mass[top]


def rake(
    respondents: RecordInput | ColumnInput,
    targets: Mapping[str, Mapping[str, float]],
    *,
    base_weights: npt.ArrayLike | None = None,
    total: float | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
    cap: float | None = None,
) -> RakingResult:
    """Rake respondents to target margins by iterative proportional fitting.

    ``respondents``: a sequence of records ``{variable: category}`` or a mapping of
    columns (lists of categories or :class:`CodedColumn`).  ``targets``: for each
    margin the population count (or proportion) per category; each margin is
    normalised separately.  ``total``: sum of the returned weights (default: the
    number of respondents, so the mean weight is 1).  ``tolerance``: the largest
    allowed absolute difference between achieved and target proportions.  ``cap``:
    optional maximum weight as a multiple of the mean weight (must exceed 1).
    """
    if max_iterations < 0:
        raise ValueError("max_iterations must be non-negative")
    if tolerance <= 0.0:
        raise ValueError("tolerance must be positive")
    if cap is not None and not cap > 1.0:
        raise ValueError("cap must be greater than 1")
    n = _respondent_count(respondents)
    margins = [
        _prepare_margin(variable, _column(respondents, variable, n), target)
        for variable, target in targets.items()
    ]
    for margin in margins:
        if margin.codes.shape[0] != n:
            raise ValueError(f"column {margin.variable!r} has the wrong length")
    if base_weights is None:
        base = np.ones(n, dtype=np.float64)
    else:
        base = np.asarray(base_weights, dtype=np.float64)
        if base.shape != (n,) or not np.all(np.isfinite(base)) or (n and float(base.min()) < 0):
            raise ValueError("base_weights must be n finite non-negative numbers")
    base_total = float(base.sum())
    target_total = float(n) if total is None else float(total)
    if n == 0 or base_total <= 0.0:
        return RakingResult(
            weights=_readonly_float(base),
            converged=True,
            iterations=0,
            max_error=0.0,
            design_effect=1.0,
            effective_sample_size=0.0,
            trimmed=0,
            margins=tuple(_report(m, 0.0) for m in margins),
        )

    # Collapse respondents into units sharing every margin code (cells); trimming acts
    # on individual weights, so with unequal base weights units also share a base weight.
    split = None
    if cap is not None and float(base.min()) != float(base.max()):
        _, split_raw = np.unique(base, return_inverse=True)
        split = split_raw.astype(np.intp).reshape(-1)
    inverse, unit_codes, count = _cells(margins, n, split)
    mass = np.asarray(np.bincount(inverse, weights=base, minlength=count.shape[0]), np.float64)
    g = np.full(mass.shape[0], target_total / base_total, dtype=np.float64)
    cap_value = cap * target_total / n if cap is not None else math.inf

    def errors() -> list[float]:
        unit_weight = mass * g
        return [
            _margin_error(
                m,
                np.asarray(
                    np.bincount(codes, weights=unit_weight, minlength=m.k + 1), dtype=np.float64
                ),
            )
            for m, codes in zip(margins, unit_codes, strict=True)
        ]

    iterations = 0
    current = errors()
    while max(current, default=0.0) >= tolerance and iterations < max_iterations:
        iterations += 1
        for margin, codes in zip(margins, unit_codes, strict=True):
            if not margin.used:
                continue
            sums = np.asarray(
                np.bincount(codes, weights=mass * g, minlength=margin.k + 1), dtype=np.float64
            )
            known = float(sums[: margin.k].sum())
            if known <= 0.0:
                continue
            factors = np.ones(margin.k + 1, dtype=np.float64)
            np.divide(
                margin.props * known,
                sums[: margin.k],
                out=factors[: margin.k],
                where=sums[: margin.k] > 0.0,
            )
            g *= factors[codes]
        if cap is not None:
            _trim(g, mass, count, target_total, cap_value)
        current = errors()
    max_error = max(current, default=0.0)
    weights = base * g[inverse]
    trimmed = 0
    if cap is not None:
        trimmed = int(np.count_nonzero(weights >= cap_value * (1.0 - 1e-9)))
    ess = kish_effective_sample_size(weights)
    return RakingResult(
        weights=_readonly_float(weights),
        converged=max_error < tolerance,
        iterations=iterations,
        max_error=max_error,
        design_effect=n / ess if ess > 0.0 else 1.0,
        effective_sample_size=ess,
        trimmed=trimmed,
        margins=tuple(_report(m, e) for m, e in zip(margins, current, strict=True)),
    )


def _report(margin: _Margin, error: float) -> MarginReport:
    return MarginReport(
        variable=margin.variable,
        missing=margin.report_missing,
        unmatched=margin.report_unmatched,
        empty_targets=margin.report_empty,
        zero_target_respondents=margin.report_zero_target,
        max_error=error,
        used=margin.used,
    )


def _cells(
    margins: Sequence[_Margin], n: int, split: IntArray | None
) -> tuple[IntArray, list[IntArray], FloatArray]:
    """Index respondents by their cell in the cross-classification of all margin codes.

    ``split`` (optional extra integer key per respondent) subdivides the cells.
    """
    radices = [m.k + 1 for m in margins]
    combined = np.zeros(n, dtype=np.int64)
    stride = 1
    strides = []
    for margin, radix in zip(margins, radices, strict=True):
        strides.append(stride)
        combined += margin.codes.astype(np.int64) * stride
        stride *= radix
    if split is not None:
        combined += split.astype(np.int64) * stride
        stride *= int(split.max()) + 1 if split.size else 1
    if stride <= _DENSE_CELL_LIMIT:
        occupancy = np.bincount(combined, minlength=stride)
        occupied = np.flatnonzero(occupancy)
        position = np.zeros(stride, dtype=np.intp)
        position[occupied] = np.arange(occupied.shape[0], dtype=np.intp)
        inverse = position[combined]
        cell_values = occupied.astype(np.int64)
        counts = occupancy[occupied].astype(np.float64)
    else:
        cell_values, inverse_raw, raw_counts = np.unique(
            combined, return_inverse=True, return_counts=True
        )
        inverse = inverse_raw.astype(np.intp).reshape(-1)
        counts = raw_counts.astype(np.float64)
    unit_codes = [
        ((cell_values // s) % r).astype(np.intp) for s, r in zip(strides, radices, strict=True)
    ]
    return inverse, unit_codes, counts
