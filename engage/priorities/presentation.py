"""What the priorities pages, CSV and strategy exports show, with disclosure control applied.

Counts below the disclosure threshold are withheld from councillors and partners (and from
anything published): a score resting on fewer people is not shown, and on the evidence page
the bases of items and sources are suppressed with secondary suppression, so no withheld
count can be worked out from the totals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engage.disclosure import Equation, suppress_system
from engage.partnerships.models import Area, Theme
from engage.priorities import aggregate as agg
from engage.priorities.evidence import SourceDescription
from engage.priorities.pipeline import PriorityPicture, period_results


def withheld(total_base: int, *, show_small: bool, threshold: int) -> bool:
    """Whether a figure based on this many people must not be shown."""
    return not show_small and 0 < total_base < threshold


@dataclass(frozen=True)
class RankRow:
    theme: Theme
    rank: agg.ThemeRank
    score: agg.ThemeAreaScore
    suppressed: bool


def ranking_rows(
    picture: PriorityPicture, area_id: str, *, show_small: bool, threshold: int
) -> list[RankRow]:
    """Themes ranked in an area, each with its score, interval and evidence strength."""
    rows: list[RankRow] = []
    for rank in picture.ranked(area_id):
        score = picture.result.get(rank.theme_id, area_id)
        theme = picture.themes.get(rank.theme_id)
        if score is None or theme is None:
            continue
        rows.append(
            RankRow(
                theme,
                rank,
                score,
                withheld(score.strength.total_base, show_small=show_small, threshold=threshold),
            )
        )
    return rows


def themes_without_evidence(picture: PriorityPicture, area_id: str) -> list[Theme]:
    scored = {s.theme_id for s in picture.result.for_area(area_id)}
    return [
        t
        for slug, t in sorted(picture.themes.items(), key=lambda kv: kv[1].position)
        if slug not in scored
    ]


@dataclass(frozen=True)
class DistinctCell:
    difference: float | None
    direction: agg.Direction | None
    suppressed: bool = False


def distinct_matrix(
    picture: PriorityPicture, area_ids: Sequence[str], *, show_small: bool, threshold: int
) -> list[tuple[Theme, list[DistinctCell]]]:
    """Theme by area: each area's score against the area it is part of."""
    found = {a: {d.theme_id: d for d in picture.distinct(a)} for a in area_ids}
    rows: list[tuple[Theme, list[DistinctCell]]] = []
    for slug, theme in sorted(picture.themes.items(), key=lambda kv: kv[1].position):
        cells: list[DistinctCell] = []
        for area_id in area_ids:
            d = found[area_id].get(slug)
            score = picture.result.get(slug, area_id)
            if d is None or score is None:
                cells.append(DistinctCell(None, None))
            elif withheld(score.strength.total_base, show_small=show_small, threshold=threshold):
                cells.append(DistinctCell(None, None, suppressed=True))
            else:
                cells.append(DistinctCell(d.difference, d.direction))
        if any(c.difference is not None or c.suppressed for c in cells):
            rows.append((theme, cells))
    return rows


@dataclass(frozen=True)
class TrendCell:
    score: float | None
    lower: float | None
    upper: float | None
    change: float | None
    overlap: bool | None
    suppressed: bool = False


def trend_table(
    picture: PriorityPicture, area_id: str, *, show_small: bool, threshold: int
) -> tuple[list[str], list[tuple[Theme, list[TrendCell]]]]:
    """Each theme's score in an area year by year, from each year's own evidence."""
    periods = period_results(picture)
    labels = [p.period.label for p in periods]
    rows: list[tuple[Theme, list[TrendCell]]] = []
    for slug, theme in sorted(picture.themes.items(), key=lambda kv: kv[1].position):
        points = agg.trend(periods, slug, area_id)
        cells: list[TrendCell] = []
        for period, point in zip(periods, points, strict=True):
            score = period.result.get(slug, area_id)
            if score is not None and withheld(
                score.strength.total_base, show_small=show_small, threshold=threshold
            ):
                cells.append(TrendCell(None, None, None, None, None, suppressed=True))
            else:
                cells.append(
                    TrendCell(
                        point.score,
                        point.lower,
                        point.upper,
                        point.change,
                        point.change_intervals_overlap,
                    )
                )
        if any(c.score is not None or c.suppressed for c in cells):
            rows.append((theme, cells))
    return labels, rows


@dataclass(frozen=True)
class ItemRow:
    item: agg.EvidenceItem
    description: SourceDescription | None
    area: Area | None
    share: float
    base: int | None


@dataclass(frozen=True)
class SourceRow:
    contribution: agg.SourceContribution
    description: SourceDescription | None
    base: int | None


@dataclass(frozen=True)
class EvidenceView:
    score: agg.ThemeAreaScore
    suppressed: bool
    sources: list[SourceRow]
    items: list[ItemRow]
    total_base: int | None


def evidence_view(
    picture: PriorityPicture,
    theme_id: str,
    area_id: str,
    *,
    show_small: bool,
    threshold: int,
    with_shares: bool = True,
) -> EvidenceView | None:
    """The sources and items behind one score, with each item's part in it.

    Without ``with_shares`` each item's part is not worked out (no re-weighting): the items,
    and so what is withheld, are the same.
    """
    score = picture.result.get(theme_id, area_id)
    if score is None:
        return None
    if with_shares:
        shares = agg.item_shares(
            picture.used_items,
            picture.geography.tree,
            picture.settings.config(picture.as_of),
            theme_id,
            area_id,
        )
    else:
        shares = tuple(
            agg.ItemShare(i, math.nan, i.value, math.nan)
            for i in _items_used(picture, theme_id, area_id)
        )
    source_ids = [c.source_id for c in score.contributions]
    by_source: dict[str, list[agg.ItemShare]] = {s: [] for s in source_ids}
    for share in shares:
        by_source.setdefault(share.item.source_id, []).append(share)
    ordered = [s for source in source_ids for s in by_source[source]]
    # One linked system: items → their source's total → the grand total.
    values = [s.item.base for s in ordered]
    source_totals = [sum(s.item.base for s in by_source[source]) for source in source_ids]
    equations: list[Equation] = []
    offset = 0
    for index, source in enumerate(source_ids):
        count = len(by_source[source])
        if count:
            equations.append(Equation(len(values) + index, tuple(range(offset, offset + count))))
        offset += count
    grand_index = len(values) + len(source_totals)
    equations.append(
        Equation(grand_index, tuple(range(len(values), len(values) + len(source_totals))))
    )
    all_values = [*values, *source_totals, sum(source_totals)]
    if show_small:
        published: Sequence[int | None] = all_values
    else:
        published = suppress_system(all_values, equations, threshold).values
    items = [
        ItemRow(
            item=s.item,
            description=picture.evidence.description(s.item.source_id),
            area=picture.geography.area(s.item.area_id),
            share=s.share,
            base=published[i],
        )
        for i, s in enumerate(ordered)
    ]
    sources = [
        SourceRow(c, picture.evidence.description(c.source_id), published[len(values) + i])
        for i, c in enumerate(score.contributions)
    ]
    return EvidenceView(
        score=score,
        suppressed=withheld(score.strength.total_base, show_small=show_small, threshold=threshold),
        sources=sources,
        items=items,
        total_base=published[grand_index],
    )


def _items_used(picture: PriorityPicture, theme_id: str, area_id: str) -> list[agg.EvidenceItem]:
    """The items a score rests on, as item_shares finds them, without weighting anyone.

    Per source: its own items for the area if it has any, else those of each child area
    (recursively) where it has evidence with a base.
    """
    tree = picture.geography.tree
    skipped = {(s.source_id, s.theme_id, s.area_id) for s in picture.result.skipped}
    by_source: dict[str, dict[str, list[agg.EvidenceItem]]] = {}
    for item in picture.used_items:
        if (
            item.theme_id == theme_id
            and item.area_id in tree
            and item.date <= picture.as_of
            and item.base > 0
            and (item.source_id, item.theme_id, item.area_id) not in skipped
        ):
            by_source.setdefault(item.source_id, {}).setdefault(item.area_id, []).append(item)
    found: list[agg.EvidenceItem] = []

    def has_evidence(areas: dict[str, list[agg.EvidenceItem]], node: str) -> bool:
        return node in areas or any(has_evidence(areas, c) for c in tree.children(node))

    def walk(areas: dict[str, list[agg.EvidenceItem]], node: str) -> None:
        if node in areas:
            found.extend(sorted(areas[node], key=lambda i: (i.date, i.measure, i.value, i.base)))
            return
        for child in tree.children(node):
            if has_evidence(areas, child):
                walk(areas, child)

    for source_id in sorted(by_source):
        walk(by_source[source_id], area_id)
    return found
