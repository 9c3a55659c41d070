"""Priorities of a partnership: collect evidence from every source, then aggregate it.

Reads only; never writes. The method is in :mod:`engage.priorities.aggregate` (METHOD).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from engage.core.time import LONDON, utcnow
from engage.extensions import db
from engage.partnerships.models import Partnership, Theme
from engage.priorities import aggregate as agg
from engage.priorities.evidence import (
    CollectedEvidence,
    EvidenceSource,
    LruCache,
    collect_evidence,
)
from engage.priorities.geography import Geography, build_geography
from engage.priorities.models import PrioritySettings, SourceWeight, WeightScope

DEFAULT_HALF_LIFE_DAYS = 730
TREND_YEARS = 3
# Aggregations by evidence, settings and areas (see compute_priorities); pure values only.
_results = LruCache(32)


def today() -> date:
    """Today in Europe/London."""
    return utcnow().astimezone(LONDON).date()


@dataclass(frozen=True)
class WeightSettings:
    """A partnership's weights: per kind (defaults filled in), per source, and the half-life."""

    kind_weights: Mapping[agg.SourceKind, float]
    source_weights: Mapping[str, float]
    half_life_days: int | None
    customised_kinds: frozenset[agg.SourceKind] = frozenset()

    def config(self, as_of: date) -> agg.AggregationConfig:
        return agg.AggregationConfig(
            as_of=as_of,
            half_life_days=float(self.half_life_days) if self.half_life_days else None,
            source_kind_weights=dict(self.kind_weights),
            source_weights=dict(self.source_weights),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "kind_weights": {k.value: v for k, v in sorted(self.kind_weights.items())},
            "source_weights": dict(sorted(self.source_weights.items())),
            "half_life_days": self.half_life_days,
        }


def weight_settings(partnership: Partnership) -> WeightSettings:
    """The partnership's own weights, else the nearest parent's settings row, else defaults."""
    settings_row = db.session.scalar(
        select(PrioritySettings).where(PrioritySettings.partnership_id == partnership.id)
    )
    rows = db.session.scalars(
        select(SourceWeight).where(SourceWeight.partnership_id == partnership.id)
    ).all()
    kinds: dict[agg.SourceKind, float] = dict(agg.DEFAULT_SOURCE_WEIGHTS)
    customised: set[agg.SourceKind] = set()
    sources: dict[str, float] = {}
    for row in rows:
        if row.scope == WeightScope.KIND:
            try:
                kind = agg.SourceKind(row.key)
            except ValueError:
                continue
            kinds[kind] = row.weight
            customised.add(kind)
        else:
            sources[row.key] = row.weight
    half_life = settings_row.half_life_days if settings_row else DEFAULT_HALF_LIFE_DAYS
    return WeightSettings(kinds, sources, half_life, frozenset(customised))


@dataclass(frozen=True)
class PriorityPicture:
    """Everything the priorities pages, snapshots and strategy drafts need."""

    partnership: Partnership
    geography: Geography
    as_of: date
    settings: WeightSettings
    evidence: CollectedEvidence
    result: agg.AggregationResult
    themes: Mapping[str, Theme]
    # Items set aside before aggregating because the partnership has no such theme.
    unmatched_items: tuple[agg.EvidenceItem, ...] = ()
    used_items: tuple[agg.EvidenceItem, ...] = field(default=(), repr=False)
    # Same key, same evidence, settings and areas: results may be reused.
    cache_key: Hashable | None = field(default=None, repr=False)

    @property
    def root_id(self) -> str:
        return self.geography.root_id

    def ranked(self, area_id: str) -> tuple[agg.ThemeRank, ...]:
        return agg.rank_themes(self.result, area_id)

    def distinct(self, area_id: str) -> tuple[agg.Distinctiveness, ...]:
        return agg.distinctiveness(self.result, area_id)

    def items_for(self, theme_id: str, area_id: str) -> list[agg.EvidenceItem]:
        """The items behind a score: the theme's items in the area and the areas inside it."""
        tree = self.geography.tree
        if area_id not in tree:
            return []
        inside = {area_id}
        stack = [area_id]
        while stack:
            for child in tree.children(stack.pop()):
                inside.add(child)
                stack.append(child)
        skipped = {(s.source_id, s.theme_id, s.area_id) for s in self.result.skipped}
        return sorted(
            (
                i
                for i in self.used_items
                if i.theme_id == theme_id
                and i.area_id in inside
                and i.date <= self.as_of
                and (i.source_id, i.theme_id, i.area_id) not in skipped
            ),
            key=lambda i: (i.source_id, i.area_id, i.date, i.measure),
        )


def active_themes(partnership: Partnership) -> dict[str, Theme]:
    return {t.slug: t for t in partnership.themes if t.is_active}


def compute_priorities(
    partnership: Partnership,
    as_of: date | None = None,
    *,
    sources: Iterable[EvidenceSource] | None = None,
    settings: WeightSettings | None = None,
) -> PriorityPicture:
    """Collect every source's evidence for the partnership and aggregate it as of a date."""
    as_of = as_of or today()
    geography = build_geography(partnership)
    settings = settings or weight_settings(partnership)
    evidence = collect_evidence(partnership, as_of, sources)
    themes = active_themes(partnership)
    used = tuple(i for i in evidence.items if i.theme_id in themes)
    unmatched = tuple(i for i in evidence.items if i.theme_id not in themes)
    key: Hashable | None = None
    if evidence.cache_key is not None:
        key = (
            evidence.cache_key,
            json.dumps(settings.as_json(), sort_keys=True),
            tuple(sorted(themes)),
            _tree_signature(geography.tree),
        )
    result = _results.get(key) if key is not None else None
    if result is None:
        result = agg.aggregate(used, geography.tree, settings.config(as_of))
        if key is not None:
            _results.put(key, result)
    return PriorityPicture(
        partnership=partnership,
        geography=geography,
        as_of=as_of,
        settings=settings,
        evidence=evidence,
        result=result,
        themes=themes,
        unmatched_items=unmatched,
        used_items=used,
        cache_key=key,
    )


def trend_periods(as_of: date, years: int = TREND_YEARS) -> tuple[agg.Period, ...]:
    """Calendar years up to as_of (the last one ends on as_of)."""
    periods = []
    for year in range(as_of.year - years + 1, as_of.year + 1):
        end = as_of if year == as_of.year else date(year, 12, 31)
        periods.append(agg.Period(str(year), date(year, 1, 1), end))
    return tuple(periods)


def period_results(
    picture: PriorityPicture, years: int = TREND_YEARS
) -> tuple[agg.PeriodResult, ...]:
    """The picture recalculated year by year, each year from its own evidence only."""
    key = ("periods", picture.cache_key, years) if picture.cache_key is not None else None
    cached = _results.get(key) if key is not None else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = agg.aggregate_periods(
        picture.used_items,
        picture.geography.tree,
        trend_periods(picture.as_of, years),
        picture.settings.config(picture.as_of),
    )
    if key is not None:
        _results.put(key, found)
    return found


def _tree_signature(tree: agg.AreaTree) -> int:
    return hash(
        tuple(
            (
                a.area_id,
                a.level.value,
                a.parent_id,
                a.population,
                tuple(sorted((f, tuple(sorted(c.items()))) for f, c in a.profile.items())),
            )
            for a in tree.areas
        )
    )


def clear_cache() -> None:
    """Forget cached aggregations."""
    _results.clear()
