"""How Engage combines evidence about residents' priorities.

What is combined
----------------
Every piece of evidence says, for one theme of the Sustainable Community Strategy and
one area, what proportion of people (0 to 1) put that theme first, gave it points,
voted for it or are dissatisfied with it, and how many people that proportion is based
on.  Evidence comes from consultations, participatory budgeting, the citizens' panel
survey and partners' datasets.  Where we hold each respondent's answer and their age,
sex and other census characteristics, we first weight the respondents so that their
mix matches the area's census profile (raking), which corrects for over- or
under-represented groups; no respondent may count for more than five times the average
(weight capping), and weighting that cannot match the profile is flagged.

How it is combined
------------------
1. Each source's proportion is turned into an "effective number of respondents": the
   number of people it is based on, reduced for the unevenness of the survey weights
   (Kish's design effect), for age (evidence loses half its weight every
   ``half_life_days``, two years by default) and by a trust weight for the kind of
   source (panel survey 1, partner dataset 0.75, consultation and budgeting 0.5, because
   people who choose to take part are not a random cross-section even after weighting;
   coordinators can change these).
2. For a district or the whole partnership, each source's results for the smaller
   areas inside it are added up in proportion to their populations (a stratified
   estimate), so a ward with many responses cannot outweigh a larger ward with few.
   A source's own figure for the larger area is used when it has one.
3. The sources are then averaged, each counting in proportion to its effective number
   of respondents (an inverse-variance, or precision, weighted average assuming a common
   variance).  Each source's share of that average is shown.
4. The range shown (95% by default) is a Wilson score interval on the combined effective
   number of respondents.  When sources disagree with each other more than chance would
   explain (Cochran's Q), that number is divided by Q/(k-1), so the range widens.  The
   range is always wider when the evidence is based on fewer people.

Evidence strength is shown as the number of sources, the number of people, the
effective number of respondents, the most recent date, the design effect, the share of
people weighted to the census and the share of the area's population covered.  It is
called strong when the effective number (after the disagreement allowance) is at least
400 from two or more sources, moderate from 100, and limited below that.

Other results: themes are ranked within an area, with the best and worst rank each
theme could take given the overlapping ranges; "local distinctiveness" compares an area
with the area it belongs to; results can be calculated for successive periods.  Evidence
dated after the calculation date is not used.

Assumptions and limits
----------------------
* Different measures (top priority, points, votes, dissatisfaction) are treated as
  comparable indicators of priority on the same 0 to 1 scale; they are not the same
  thing, and the disagreement allowance above only partly reflects this.
* Weighting corrects the demographic mix only for the characteristics we hold; it
  cannot correct for the kind of person who chooses to respond.
* Sources are assumed independent.  Several results from the same source, theme and
  area are pooled as if from different respondents.
* A source covering only part of a larger area is assumed to represent the rest of it;
  the share of the population covered is shown.
* An area and the larger area it belongs to share respondents, so overlapping ranges
  are a cautious screen, not a formal test of difference.
* Results are recalculated from the evidence every time and are reproducible: the same
  evidence and settings always give exactly the same figures.

Methods: Deming & Stephan (1940) raking; Kish (1965) design effect; Cochran (1954) and
Thompson & Sharp (1999) for the multiplicative heterogeneity allowance; Wilson (1927)
score interval; Lohr (2010) ch. 3 for the stratified combination.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from statistics import NormalDist
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

from engage.weighting import CodedColumn, inner, kish_effective_sample_size, rake

METHOD: Final[str] = __doc__ or ""
"""Plain-English description of the method, for the app and README."""

FloatArray = npt.NDArray[np.float64]


class SourceKind(StrEnum):
    """Kinds of evidence source."""

    CONSULTATION = "consultation"
    BUDGETING = "budgeting"
    PANEL_SURVEY = "panel_survey"
    PARTNER_DATASET = "partner_dataset"


class AreaLevel(StrEnum):
    """Levels of the area tree, smallest first."""

    WARD = "ward"
    DISTRICT = "district"
    PARTNERSHIP = "partnership"


class StrengthLevel(StrEnum):
    """Summary code for the strength of evidence behind a score."""

    STRONG = "strong"
    MODERATE = "moderate"
    LIMITED = "limited"


class SkipReason(StrEnum):
    """Why an evidence item was not used."""

    UNKNOWN_AREA = "unknown_area"
    AFTER_AS_OF = "after_as_of"
    EMPTY_BASE = "empty_base"


class Direction(StrEnum):
    """Area compared with a reference area, judged by overlap of intervals."""

    HIGHER = "higher"
    LOWER = "lower"
    SIMILAR = "similar"


DEFAULT_SOURCE_WEIGHTS: Final[Mapping[SourceKind, float]] = MappingProxyType(
    {
        # Recruited to be representative, then weighted: full weight.
        SourceKind.PANEL_SURVEY: 1.0,
        # Often sound samples or administrative data, but the question may be a proxy.
        SourceKind.PARTNER_DATASET: 0.75,
        # Self-selected respondents: weighting fixes the demographic mix, not who cares
        # enough to respond.
        SourceKind.CONSULTATION: 0.5,
        # Self-selected participants choosing between specific proposals.
        SourceKind.BUDGETING: 0.5,
    }
)


def _readonly(values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.flags.writeable:
        array = array.copy()
        array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RespondentSample:
    """Census characteristics of one set of respondents (one source in one area).

    Share one sample object between the items (themes) of the same source and area:
    the respondents are then weighted once.
    """

    demographics: Mapping[str, CodedColumn]

    def __post_init__(self) -> None:
        lengths = {len(column) for column in self.demographics.values()}
        if len(lengths) > 1:
            raise ValueError("demographic columns must have the same length")
        object.__setattr__(self, "demographics", MappingProxyType(dict(self.demographics)))

    @property
    def size(self) -> int:
        """Number of respondents (0 if no demographics are held)."""
        for column in self.demographics.values():
            return len(column)
        return 0


@dataclass(frozen=True, eq=False)
class RespondentValues:
    """Per-respondent values in 0..1 for one theme; NaN = did not answer."""

    sample: RespondentSample
    values: FloatArray

    def __post_init__(self) -> None:
        values = _readonly(self.values)
        if values.ndim != 1:
            raise ValueError("values must be one-dimensional")
        if self.sample.demographics and values.shape[0] != self.sample.size:
            raise ValueError("values and demographics must have the same length")
        answered = values[~np.isnan(values)]
        if answered.size and (float(answered.min()) < 0.0 or float(answered.max()) > 1.0):
            raise ValueError("values must lie in 0..1")
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class EvidenceItem:
    """One proportion about one theme in one area from one source.

    For respondent-level items with ``respondents``, ``value`` and ``base`` are the
    figures as supplied (kept for display); the aggregation recomputes both from the
    weighted respondents.  A respondent-level item without ``respondents`` is used like
    aggregate data (``value`` on ``base``, unweighted).  ``design_effect`` lets aggregate
    data declare its own (the base is divided by it).
    """

    source_id: str
    source_kind: SourceKind
    theme_id: str
    area_id: str
    measure: str
    value: float
    base: int
    date: date
    is_respondent_level: bool = False
    respondents: RespondentValues | None = None
    design_effect: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and 0.0 <= self.value <= 1.0):
            raise ValueError("value must be a proportion in 0..1")
        if self.base < 0:
            raise ValueError("base must be non-negative")
        if not (math.isfinite(self.design_effect) and self.design_effect > 0.0):
            raise ValueError("design_effect must be positive")
        if self.respondents is not None and not self.is_respondent_level:
            raise ValueError("respondents given for an item that is not respondent-level")
        object.__setattr__(self, "source_kind", SourceKind(self.source_kind))


@dataclass(frozen=True)
class Area:
    """A node of the area tree with its census profile (counts per category)."""

    area_id: str
    level: AreaLevel
    parent_id: str | None
    population: float
    profile: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.population) and self.population > 0.0):
            raise ValueError("population must be positive")
        object.__setattr__(self, "level", AreaLevel(self.level))


_LEVEL_RANK = {AreaLevel.WARD: 0, AreaLevel.DISTRICT: 1, AreaLevel.PARTNERSHIP: 2}


@dataclass(frozen=True)
class AreaTree:
    """Areas forming a tree (ward -> district -> partnership)."""

    areas: tuple[Area, ...]
    _by_id: Mapping[str, Area] = field(init=False, repr=False, compare=False)
    _children: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _depth: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        areas = tuple(self.areas)
        by_id: dict[str, Area] = {}
        for area in areas:
            if area.area_id in by_id:
                raise ValueError(f"duplicate area {area.area_id!r}")
            by_id[area.area_id] = area
        children: dict[str, list[str]] = {a.area_id: [] for a in areas}
        for area in areas:
            if area.parent_id is None:
                continue
            parent = by_id.get(area.parent_id)
            if parent is None:
                raise ValueError(f"unknown parent {area.parent_id!r}")
            if _LEVEL_RANK[parent.level] <= _LEVEL_RANK[area.level]:
                raise ValueError("a parent must be at a higher level than its child")
            children[parent.area_id].append(area.area_id)
        depth: dict[str, int] = {}
        for area in areas:
            d, current = 0, area
            while current.parent_id is not None:
                d += 1
                current = by_id[current.parent_id]
            depth[area.area_id] = d
        object.__setattr__(self, "areas", areas)
        object.__setattr__(self, "_by_id", MappingProxyType(by_id))
        object.__setattr__(
            self,
            "_children",
            MappingProxyType({k: tuple(sorted(v)) for k, v in children.items()}),
        )
        object.__setattr__(self, "_depth", MappingProxyType(depth))

    def __contains__(self, area_id: object) -> bool:
        return area_id in self._by_id

    def get(self, area_id: str) -> Area:
        """The area with this id (KeyError if unknown)."""
        return self._by_id[area_id]

    def children(self, area_id: str) -> tuple[str, ...]:
        """Ids of the area's children, sorted."""
        return self._children[area_id]

    def ancestors(self, area_id: str) -> tuple[str, ...]:
        """Ids from the parent up to the root."""
        out: list[str] = []
        parent = self._by_id[area_id].parent_id
        while parent is not None:
            out.append(parent)
            parent = self._by_id[parent].parent_id
        return tuple(out)

    def depth(self, area_id: str) -> int:
        """Distance from the root (root = 0)."""
        return self._depth[area_id]


@dataclass(frozen=True)
class AggregationConfig:
    """Settings for :func:`aggregate`.

    ``as_of``: date ages are measured from (explicit, so results never depend on the
    clock).  ``half_life_days``: None disables recency decay.  ``source_weights`` (per
    source id) override ``source_kind_weights``; all weights lie in 0..1.
    ``strong_base``/``moderate_base``: effective-base thresholds of the strength codes
    (strong also needs two sources).
    """

    as_of: date
    half_life_days: float | None = 730.0
    source_kind_weights: Mapping[SourceKind, float] = field(
        default_factory=lambda: DEFAULT_SOURCE_WEIGHTS
    )
    source_weights: Mapping[str, float] = field(default_factory=dict)
    confidence: float = 0.95
    heterogeneity_inflation: bool = True
    rake_cap: float | None = 5.0
    rake_max_iterations: int = 100
    rake_tolerance: float = 1e-6
    strong_base: float = 400.0
    moderate_base: float = 100.0

    def __post_init__(self) -> None:
        if self.half_life_days is not None and not self.half_life_days > 0.0:
            raise ValueError("half_life_days must be positive")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError("confidence must lie strictly between 0 and 1")
        for weight in (*self.source_kind_weights.values(), *self.source_weights.values()):
            if not 0.0 <= weight <= 1.0:
                raise ValueError("source weights must lie in 0..1")
        kind_weights = {SourceKind(k): float(v) for k, v in self.source_kind_weights.items()}
        object.__setattr__(self, "source_kind_weights", MappingProxyType(kind_weights))
        object.__setattr__(self, "source_weights", MappingProxyType(dict(self.source_weights)))


@dataclass(frozen=True)
class SourceContribution:
    """One source's part in a (theme, area) score.

    ``effective_base``: respondents after the design effect, before recency and source
    weight; ``recency``: the recency factor applied (1 = current); ``weight``:
    source weight x recency x effective base; ``share``: weight / sum of weights.
    """

    source_id: str
    source_kind: SourceKind
    measures: tuple[str, ...]
    value: float
    base: int
    effective_base: float
    recency: float
    source_weight: float
    weight: float
    share: float
    most_recent: date
    items: int
    weighted_fraction: float
    weighting_converged: bool
    coverage: float


@dataclass(frozen=True)
class EvidenceStrength:
    """Summary of the evidence behind a score.

    ``effective_base``: sum of source weights; ``interval_base``: the same after the
    heterogeneity allowance (used for the interval); ``design_effect``: base divided by
    design-effective base (1 = as good as a simple random sample); ``weighted_fraction``:
    share of the base weighted to the census profile; ``coverage``: share of the area's
    population living where some source has evidence; ``heterogeneity``: I^2 in 0..1.
    """

    sources: int
    items: int
    total_base: int
    effective_base: float
    interval_base: float
    design_effect: float
    weighted_fraction: float
    coverage: float
    most_recent: date
    oldest: date
    heterogeneity: float
    level: StrengthLevel


@dataclass(frozen=True)
class ThemeAreaScore:
    """Priority score in 0..1 with its interval, evidence strength and breakdown."""

    theme_id: str
    area_id: str
    area_level: AreaLevel
    score: float
    lower: float
    upper: float
    strength: EvidenceStrength
    contributions: tuple[SourceContribution, ...]


@dataclass(frozen=True)
class SkippedItem:
    """An evidence item that was not used, with a reason code."""

    source_id: str
    theme_id: str
    area_id: str
    reason: SkipReason


@dataclass(frozen=True)
class AggregationResult:
    """All (theme, area) scores, sorted by area id then theme id."""

    as_of: date
    confidence: float
    scores: tuple[ThemeAreaScore, ...]
    skipped: tuple[SkippedItem, ...]
    tree: AreaTree = field(repr=False, compare=False)
    _index: Mapping[tuple[str, str], ThemeAreaScore] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {(s.theme_id, s.area_id): s for s in self.scores}
        object.__setattr__(self, "_index", MappingProxyType(index))

    def get(self, theme_id: str, area_id: str) -> ThemeAreaScore | None:
        """The score for a theme in an area, or None without evidence."""
        return self._index.get((theme_id, area_id))

    def for_area(self, area_id: str) -> tuple[ThemeAreaScore, ...]:
        """All theme scores in an area, sorted by theme id."""
        return tuple(s for s in self.scores if s.area_id == area_id)

    @property
    def themes(self) -> tuple[str, ...]:
        """Theme ids with at least one score, sorted."""
        return tuple(sorted({s.theme_id for s in self.scores}))


@dataclass(frozen=True)
class SourceEstimate:
    """Input to :func:`combine`: a proportion, its effective base and source weight."""

    source_id: str
    value: float
    effective_base: float
    weight: float = 1.0


@dataclass(frozen=True)
class Combination:
    """Output of :func:`combine`."""

    score: float
    lower: float
    upper: float
    effective_base: float
    interval_base: float
    heterogeneity: float
    shares: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class ThemeRank:
    """A theme's rank in an area (1 = highest score) and its plausible rank range."""

    theme_id: str
    rank: int
    best_rank: int
    worst_rank: int
    score: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Distinctiveness:
    """An area's score minus a reference area's score for one theme."""

    theme_id: str
    area_id: str
    reference_area_id: str
    difference: float
    intervals_overlap: bool
    direction: Direction


@dataclass(frozen=True)
class Period:
    """A reporting period (inclusive dates)."""

    label: str
    start: date
    end: date


@dataclass(frozen=True)
class PeriodResult:
    """Aggregation of the evidence dated within one period (as of its end)."""

    period: Period
    result: AggregationResult


@dataclass(frozen=True)
class TrendPoint:
    """One period of a theme's score in an area; ``change`` is from the previous period."""

    label: str
    start: date
    end: date
    score: float | None
    lower: float | None
    upper: float | None
    effective_base: float
    change: float | None
    change_intervals_overlap: bool | None


# --------------------------------------------------------------------------- maths


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level."""
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(p: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson (1927) score interval for a proportion ``p`` on (effective) base ``n``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must lie in 0..1")
    if n <= 0.0:
        return 0.0, 1.0
    z = z_value(confidence)
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def combine(
    estimates: Sequence[SourceEstimate],
    *,
    confidence: float = 0.95,
    heterogeneity_inflation: bool = True,
) -> Combination:
    """Precision-weighted combination of proportions (see METHOD, steps 3 and 4).

    Weight of source s: ``w_s = weight_s * n_s``; score ``sum w p / sum w``; Cochran's
    ``Q = sum w (p_s - p)^2 / (p (1 - p))``; the interval base is ``sum w / max(1,
    Q / (k - 1))`` when inflation is on; I^2 = ``max(0, (Q - (k - 1)) / Q)``.
    """
    ordered = sorted(estimates, key=lambda e: e.source_id)
    if len({e.source_id for e in ordered}) != len(ordered):
        raise ValueError("source ids must be unique")
    weights = [e.weight * e.effective_base for e in ordered]
    for e, w in zip(ordered, weights, strict=True):
        if not 0.0 <= e.value <= 1.0 or e.effective_base < 0.0 or not e.weight >= 0.0:
            raise ValueError("invalid estimate")
        if not math.isfinite(w):
            raise ValueError("invalid weight")
    total = math.fsum(weights)
    if total <= 0.0:
        raise ValueError("no estimate has a positive weight")
    score = math.fsum(w * e.value for e, w in zip(ordered, weights, strict=True)) / total
    score = min(1.0, max(0.0, score))
    k = sum(1 for w in weights if w > 0.0)
    q = 0.0
    if 0.0 < score < 1.0:
        q = math.fsum(w * (e.value - score) ** 2 for e, w in zip(ordered, weights, strict=True)) / (
            score * (1.0 - score)
        )
    df = k - 1
    heterogeneity = max(0.0, (q - df) / q) if q > 0.0 and df > 0 else 0.0
    factor = max(1.0, q / df) if heterogeneity_inflation and df > 0 else 1.0
    interval_base = total / factor
    lower, upper = wilson_interval(score, interval_base, confidence)
    return Combination(
        score=score,
        lower=lower,
        upper=upper,
        effective_base=total,
        interval_base=interval_base,
        heterogeneity=heterogeneity,
        shares=tuple((e.source_id, w / total) for e, w in zip(ordered, weights, strict=True)),
    )


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class _Est:
    """A source's estimate for one theme in one area."""

    p: float
    n: float  # effective base after design effect and recency
    n_design: float  # effective base after design effect only
    base: int
    weighted_base: int
    converged: bool
    covered: frozenset[str]
    latest: date
    oldest: date
    items: int
    measures: frozenset[str]


def _pool(ests: Sequence[_Est]) -> _Est:
    """Items of one source in one area: pooled, weighted by effective base."""
    if len(ests) == 1:
        return ests[0]
    n = math.fsum(e.n for e in ests)
    p = math.fsum(e.n * e.p for e in ests) / n if n > 0.0 else ests[0].p
    return _Est(
        p=p,
        n=n,
        n_design=math.fsum(e.n_design for e in ests),
        base=sum(e.base for e in ests),
        weighted_base=sum(e.weighted_base for e in ests),
        converged=all(e.converged for e in ests),
        covered=frozenset().union(*(e.covered for e in ests)),
        latest=max(e.latest for e in ests),
        oldest=min(e.oldest for e in ests),
        items=sum(e.items for e in ests),
        measures=frozenset().union(*(e.measures for e in ests)),
    )


def _stratify(parts: Sequence[tuple[float, _Est]]) -> _Est:
    """Children's estimates of one source combined with population shares."""
    usable = [(pop, e) for pop, e in parts if e.n > 0.0 and e.n_design > 0.0]
    if not usable:
        usable = list(parts)
    population = math.fsum(pop for pop, _ in usable)
    shares = [pop / population for pop, _ in usable]
    p = math.fsum(s * e.p for s, (_, e) in zip(shares, usable, strict=True))
    inv_n = math.fsum(s * s / e.n for s, (_, e) in zip(shares, usable, strict=True) if e.n > 0)
    inv_nd = math.fsum(
        s * s / e.n_design for s, (_, e) in zip(shares, usable, strict=True) if e.n_design > 0
    )
    ests = [e for _, e in parts]
    return _Est(
        p=min(1.0, max(0.0, p)),
        n=1.0 / inv_n if inv_n > 0.0 else 0.0,
        n_design=1.0 / inv_nd if inv_nd > 0.0 else 0.0,
        base=sum(e.base for e in ests),
        weighted_base=sum(e.weighted_base for e in ests),
        converged=all(e.converged for e in ests),
        covered=frozenset().union(*(e.covered for e in ests)),
        latest=max(e.latest for e in ests),
        oldest=min(e.oldest for e in ests),
        items=sum(e.items for e in ests),
        measures=frozenset().union(*(e.measures for e in ests)),
    )


def _coverage(tree: AreaTree, area_id: str, covered: Iterable[str]) -> float:
    ids = set(covered)
    top = [a for a in ids if not any(anc in ids for anc in tree.ancestors(a))]
    population = math.fsum(tree.get(a).population for a in sorted(top))
    return min(1.0, population / tree.get(area_id).population)


@dataclass(frozen=True)
class _Weights:
    weights: FloatArray | None
    converged: bool


class _Weighter:
    """Rakes each (source, area, sample) once."""

    def __init__(self, tree: AreaTree, config: AggregationConfig) -> None:
        self.tree = tree
        self.config = config
        self.cache: dict[tuple[str, str, int], _Weights] = {}

    def weights(self, item: EvidenceItem, sample: RespondentSample) -> _Weights:
        key = (item.source_id, item.area_id, id(sample))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        profile = self.tree.get(item.area_id).profile
        targets = {v: profile[v] for v in sorted(sample.demographics) if v in profile}
        if not targets or sample.size == 0:
            result = _Weights(None, True)
        else:
            raked = rake(
                {v: sample.demographics[v] for v in targets},
                targets,
                max_iterations=self.config.rake_max_iterations,
                tolerance=self.config.rake_tolerance,
                cap=self.config.rake_cap,
            )
            result = _Weights(raked.weights, raked.converged)
        self.cache[key] = result
        return result


def _item_estimate(
    item: EvidenceItem, weighter: _Weighter, config: AggregationConfig
) -> _Est | None:
    recency = 1.0
    if config.half_life_days is not None:
        age = (config.as_of - item.date).days
        recency = 0.5 ** (age / config.half_life_days)
    if item.respondents is not None:
        values = item.respondents.values
        answered = ~np.isnan(values)
        base = int(np.count_nonzero(answered))
        if base == 0:
            return None
        weighting = weighter.weights(item, item.respondents.sample)
        if weighting.weights is None:
            p = float(values[answered].mean())
            n_design = float(base)
            weighted_base = 0
        else:
            w = weighting.weights[answered]
            total = float(w.sum())
            if total <= 0.0:
                return None
            p = inner(values[answered], w) / total
            n_design = kish_effective_sample_size(w)
            weighted_base = base
        converged = weighting.converged
    else:
        if item.base == 0:
            return None
        base = item.base
        p = item.value
        n_design = base / item.design_effect
        weighted_base = 0
        converged = True
    return _Est(
        p=min(1.0, max(0.0, p)),
        n=n_design * recency,
        n_design=n_design,
        base=base,
        weighted_base=weighted_base,
        converged=converged,
        covered=frozenset((item.area_id,)),
        latest=item.date,
        oldest=item.date,
        items=1,
        measures=frozenset((item.measure,)),
    )


def _item_key(item: EvidenceItem) -> tuple[date, str, float, int]:
    return (item.date, item.measure, item.value, item.base)


def aggregate(
    items: Iterable[EvidenceItem],
    areas: AreaTree | Sequence[Area],
    config: AggregationConfig,
) -> AggregationResult:
    """Scores for every theme at every area with positively weighted evidence in its subtree.

    See METHOD.  Items for unknown areas, dated after ``config.as_of`` or with no
    answers are listed in ``skipped`` with a reason code.
    """
    tree = areas if isinstance(areas, AreaTree) else AreaTree(tuple(areas))
    weighter = _Weighter(tree, config)
    skipped: list[SkippedItem] = []
    kinds: dict[str, SourceKind] = {}
    grouped: dict[tuple[str, str, str], list[EvidenceItem]] = {}
    for item in items:
        known = kinds.setdefault(item.source_id, item.source_kind)
        if known != item.source_kind:
            raise ValueError(f"source {item.source_id!r} has more than one kind")
        reason: SkipReason | None = None
        if item.area_id not in tree:
            reason = SkipReason.UNKNOWN_AREA
        elif item.date > config.as_of:
            reason = SkipReason.AFTER_AS_OF
        if reason is not None:
            skipped.append(SkippedItem(item.source_id, item.theme_id, item.area_id, reason))
            continue
        grouped.setdefault((item.theme_id, item.source_id, item.area_id), []).append(item)

    # Direct estimates: (theme, source) -> area -> estimate.
    direct: dict[tuple[str, str], dict[str, _Est]] = {}
    for key in sorted(grouped):
        theme_id, source_id, area_id = key
        ests: list[_Est] = []
        for item in sorted(grouped[key], key=_item_key):
            est = _item_estimate(item, weighter, config)
            if est is None:
                skipped.append(SkippedItem(source_id, theme_id, area_id, SkipReason.EMPTY_BASE))
            else:
                ests.append(est)
        if ests:
            direct.setdefault((theme_id, source_id), {})[area_id] = _pool(ests)

    # Propagate up the tree per (theme, source); collect per (theme, area).
    per_pair: dict[tuple[str, str], list[tuple[str, _Est]]] = {}
    for (theme_id, source_id), at in sorted(direct.items()):
        needed = set(at)
        for area_id in at:
            needed.update(tree.ancestors(area_id))
        estimates: dict[str, _Est] = {}
        for area_id in sorted(needed, key=lambda a: (-tree.depth(a), a)):
            if area_id in at:
                estimates[area_id] = at[area_id]
                continue
            parts = [
                (tree.get(child).population, estimates[child])
                for child in tree.children(area_id)
                if child in estimates
            ]
            estimates[area_id] = _stratify(parts)
        for area_id, est in estimates.items():
            per_pair.setdefault((theme_id, area_id), []).append((source_id, est))

    scores = [
        score
        for (theme_id, area_id) in sorted(per_pair, key=lambda k: (k[1], k[0]))
        if (score := _score(theme_id, area_id, per_pair[(theme_id, area_id)], kinds, tree, config))
        is not None
    ]
    return AggregationResult(
        as_of=config.as_of,
        confidence=config.confidence,
        scores=tuple(scores),
        skipped=tuple(
            sorted(skipped, key=lambda s: (s.source_id, s.theme_id, s.area_id, s.reason))
        ),
        tree=tree,
    )


def _source_weight(source_id: str, kind: SourceKind, config: AggregationConfig) -> float:
    if source_id in config.source_weights:
        return float(config.source_weights[source_id])
    return float(config.source_kind_weights.get(kind, 1.0))


def _score(
    theme_id: str,
    area_id: str,
    sources: Sequence[tuple[str, _Est]],
    kinds: Mapping[str, SourceKind],
    tree: AreaTree,
    config: AggregationConfig,
) -> ThemeAreaScore | None:
    ordered = sorted(sources, key=lambda s: s[0])
    source_weights = [_source_weight(s, kinds[s], config) for s, _ in ordered]
    if math.fsum(sw * e.n for sw, (_, e) in zip(source_weights, ordered, strict=True)) <= 0.0:
        return None
    combination = combine(
        [
            SourceEstimate(source_id=s, value=e.p, effective_base=e.n, weight=sw)
            for sw, (s, e) in zip(source_weights, ordered, strict=True)
        ],
        confidence=config.confidence,
        heterogeneity_inflation=config.heterogeneity_inflation,
    )
    shares = dict(combination.shares)
    contributions = tuple(
        SourceContribution(
            source_id=s,
            source_kind=kinds[s],
            measures=tuple(sorted(e.measures)),
            value=e.p,
            base=e.base,
            effective_base=e.n_design,
            recency=e.n / e.n_design if e.n_design > 0.0 else 0.0,
            source_weight=sw,
            weight=sw * e.n,
            share=shares[s],
            most_recent=e.latest,
            items=e.items,
            weighted_fraction=e.weighted_base / e.base if e.base else 0.0,
            weighting_converged=e.converged,
            coverage=_coverage(tree, area_id, e.covered),
        )
        for sw, (s, e) in zip(source_weights, ordered, strict=True)
    )
    used = [e for sw, (_, e) in zip(source_weights, ordered, strict=True) if sw * e.n > 0.0]
    total_base = sum(e.base for e in used)
    n_design = math.fsum(e.n_design for e in used)
    interval_base = combination.interval_base
    if interval_base >= config.strong_base and len(used) >= 2:
        level = StrengthLevel.STRONG
    elif interval_base >= config.moderate_base:
        level = StrengthLevel.MODERATE
    else:
        level = StrengthLevel.LIMITED
    strength = EvidenceStrength(
        sources=len(used),
        items=sum(e.items for e in used),
        total_base=total_base,
        effective_base=combination.effective_base,
        interval_base=interval_base,
        design_effect=total_base / n_design if n_design > 0.0 else 1.0,
        weighted_fraction=sum(e.weighted_base for e in used) / total_base if total_base else 0.0,
        coverage=_coverage(tree, area_id, frozenset().union(*(e.covered for e in used))),
        most_recent=max(e.latest for e in used),
        oldest=min(e.oldest for e in used),
        heterogeneity=combination.heterogeneity,
        level=level,
    )
    return ThemeAreaScore(
        theme_id=theme_id,
        area_id=area_id,
        area_level=tree.get(area_id).level,
        score=combination.score,
        lower=combination.lower,
        upper=combination.upper,
        strength=strength,
        contributions=contributions,
    )


# --------------------------------------------------------------------------- views


def rank_themes(result: AggregationResult, area_id: str) -> tuple[ThemeRank, ...]:
    """Themes in an area by score (ties by theme id), with plausible rank ranges.

    ``best_rank`` = 1 + number of themes whose lower bound is above this theme's upper
    bound; ``worst_rank`` = number of themes minus those whose upper bound is below this
    theme's lower bound.
    """
    scores = sorted(result.for_area(area_id), key=lambda s: (-s.score, s.theme_id))
    count = len(scores)
    return tuple(
        ThemeRank(
            theme_id=s.theme_id,
            rank=position,
            best_rank=1 + sum(1 for o in scores if o.lower > s.upper),
            worst_rank=count - sum(1 for o in scores if o.upper < s.lower),
            score=s.score,
            lower=s.lower,
            upper=s.upper,
        )
        for position, s in enumerate(scores, start=1)
    )


def _overlap(a_lower: float, a_upper: float, b_lower: float, b_upper: float) -> bool:
    return not (a_lower > b_upper or a_upper < b_lower)


def distinctiveness(
    result: AggregationResult, area_id: str, reference_area_id: str | None = None
) -> tuple[Distinctiveness, ...]:
    """Each theme's score in ``area_id`` minus its score in the reference area.

    The reference defaults to the parent (a district against its partnership).
    """
    reference = reference_area_id or result.tree.get(area_id).parent_id
    if reference is None:
        return ()
    out: list[Distinctiveness] = []
    for s in result.for_area(area_id):
        r = result.get(s.theme_id, reference)
        if r is None:
            continue
        overlap = _overlap(s.lower, s.upper, r.lower, r.upper)
        if s.lower > r.upper:
            direction = Direction.HIGHER
        elif s.upper < r.lower:
            direction = Direction.LOWER
        else:
            direction = Direction.SIMILAR
        out.append(
            Distinctiveness(s.theme_id, area_id, reference, s.score - r.score, overlap, direction)
        )
    return tuple(out)


def aggregate_periods(
    items: Iterable[EvidenceItem],
    areas: AreaTree | Sequence[Area],
    periods: Sequence[Period],
    config: AggregationConfig,
) -> tuple[PeriodResult, ...]:
    """One aggregation per period, using evidence dated within it, as of its end."""
    tree = areas if isinstance(areas, AreaTree) else AreaTree(tuple(areas))
    all_items = list(items)
    out: list[PeriodResult] = []
    for period in periods:
        if period.end < period.start:
            raise ValueError("a period must not end before it starts")
        selected = [i for i in all_items if period.start <= i.date <= period.end]
        out.append(
            PeriodResult(period, aggregate(selected, tree, replace(config, as_of=period.end)))
        )
    return tuple(out)


def trend(
    period_results: Sequence[PeriodResult], theme_id: str, area_id: str
) -> tuple[TrendPoint, ...]:
    """A theme's score in an area across periods, with change from the previous one."""
    points: list[TrendPoint] = []
    previous: ThemeAreaScore | None = None
    for pr in period_results:
        s = pr.result.get(theme_id, area_id)
        change: float | None = None
        overlap: bool | None = None
        if s is not None and previous is not None:
            change = s.score - previous.score
            overlap = _overlap(s.lower, s.upper, previous.lower, previous.upper)
        points.append(
            TrendPoint(
                label=pr.period.label,
                start=pr.period.start,
                end=pr.period.end,
                score=None if s is None else s.score,
                lower=None if s is None else s.lower,
                upper=None if s is None else s.upper,
                effective_base=0.0 if s is None else s.strength.effective_base,
                change=change,
                change_intervals_overlap=overlap,
            )
        )
        previous = s
    return tuple(points)


@dataclass(frozen=True)
class ItemShare:
    """How much one evidence item counts in a (theme, area) score.

    ``share`` is the coefficient of the item's value in the score (the score is the sum of
    share x value over the items, for aggregate items), so shares sum to 1 over the items
    used; ``value`` is the item's proportion as used (weighted, for respondent-level items);
    ``effective_base`` is after the design effect and recency.
    """

    item: EvidenceItem
    share: float
    value: float
    effective_base: float


def item_shares(
    items: Iterable[EvidenceItem],
    areas: AreaTree | Sequence[Area],
    config: AggregationConfig,
    theme_id: str,
    area_id: str,
) -> tuple[ItemShare, ...]:
    """Each item's part in the score of ``theme_id`` at ``area_id`` (see :class:`ItemShare`).

    Follows :func:`aggregate` exactly: items of a source in one area are pooled by effective
    base; a source's figure for an area is its own items there if it has any, else its
    children's figures in proportion to population; sources are then combined by weight.
    Items not used (other themes, outside the area, later than ``as_of``, empty) are left out.
    """
    tree = areas if isinstance(areas, AreaTree) else AreaTree(tuple(areas))
    selected = [
        i for i in items if i.theme_id == theme_id and i.area_id in tree and i.date <= config.as_of
    ]
    score = aggregate(selected, tree, config).get(theme_id, area_id)
    if score is None:
        return ()
    source_shares = {c.source_id: c.share for c in score.contributions}
    weighter = _Weighter(tree, config)
    grouped: dict[tuple[str, str], list[EvidenceItem]] = {}
    for item in selected:
        grouped.setdefault((item.source_id, item.area_id), []).append(item)
    out: list[ItemShare] = []
    for source_id in sorted(source_shares):
        direct: dict[str, list[tuple[EvidenceItem, _Est]]] = {}
        for (s, a), group in sorted(grouped.items()):
            if s != source_id:
                continue
            pairs = [
                (item, est)
                for item in sorted(group, key=_item_key)
                if (est := _item_estimate(item, weighter, config)) is not None
            ]
            if pairs:
                direct[a] = pairs
        pooled = {a: _pool([e for _, e in pairs]) for a, pairs in direct.items()}
        needed = set(pooled)
        for a in pooled:
            needed.update(tree.ancestors(a))
        estimates: dict[str, _Est] = {}
        for a in sorted(needed, key=lambda x: (-tree.depth(x), x)):
            if a in pooled:
                estimates[a] = pooled[a]
                continue
            parts = [
                (tree.get(c).population, estimates[c]) for c in tree.children(a) if c in estimates
            ]
            estimates[a] = _stratify(parts)

        if area_id in estimates:
            _spread_shares(area_id, source_shares[source_id], direct, estimates, tree, out)
    return tuple(out)


def _spread_shares(
    node: str,
    coefficient: float,
    direct: Mapping[str, Sequence[tuple[EvidenceItem, _Est]]],
    estimates: Mapping[str, _Est],
    tree: AreaTree,
    out: list[ItemShare],
) -> None:
    """Hand a source's coefficient at ``node`` down to its items, as the estimate was built."""
    if node in direct:
        pairs = direct[node]
        total_n = math.fsum(e.n for _, e in pairs)
        for index, (item, est) in enumerate(pairs):
            # As _pool: with no effective base at all, the first item's value stands.
            part = est.n / total_n if total_n > 0.0 else float(index == 0)
            out.append(ItemShare(item, coefficient * part, est.p, est.n))
        return
    children = [c for c in tree.children(node) if c in estimates]
    usable = [c for c in children if estimates[c].n > 0.0 and estimates[c].n_design > 0.0]
    chosen = usable or children
    population = math.fsum(tree.get(c).population for c in chosen)
    for child in chosen:
        _spread_shares(
            child,
            coefficient * tree.get(child).population / population,
            direct,
            estimates,
            tree,
            out,
        )
