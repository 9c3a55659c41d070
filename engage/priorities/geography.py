"""A partnership's areas as the tree the aggregation works on (partnership → district → ward).

Evidence items name areas by GSS code; the partnership as a whole is its single area's code
(a county or district partnership) or ``partnership:<slug>`` when it covers several areas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engage.partnerships.models import Area, AreaLevel, Partnership
from engage.priorities import aggregate as agg

ROOT_PREFIX = "partnership:"


def partnership_root_areas(partnership: Partnership) -> list[Area]:
    """The areas a partnership covers, or its nearest ancestor's (thematic partnerships)."""
    for node in partnership.lineage():
        if node.areas:
            return list(node.areas)
    return []


def _population(area: Area) -> float:
    own = float(area.population or 0)
    if own > 0:
        return own
    children = sum(_population(child) for child in area.children if child.level != AreaLevel.PARISH)
    return children if children > 0 else 1.0


@dataclass(frozen=True)
class Geography:
    """The aggregation tree of one partnership, with the database areas behind its ids."""

    root_id: str
    tree: agg.AreaTree
    areas: dict[str, Area] = field(repr=False)
    root_area: Area | None

    def area(self, area_id: str) -> Area | None:
        """The database area behind an id (None for a synthetic partnership root)."""
        return self.areas.get(area_id)

    def districts(self) -> list[Area]:
        return sorted(
            (a for k, a in self.areas.items() if self.tree.get(k).level == agg.AreaLevel.DISTRICT),
            key=lambda a: a.name,
        )

    def wards(self) -> list[Area]:
        return sorted(
            (a for k, a in self.areas.items() if self.tree.get(k).level == agg.AreaLevel.WARD),
            key=lambda a: a.name,
        )

    def children(self, area_id: str) -> list[Area]:
        return sorted((self.areas[c] for c in self.tree.children(area_id)), key=lambda a: a.name)

    def contains(self, area_id: str) -> bool:
        return area_id in self.tree


def area_key(area: Area) -> str:
    """The id an evidence item uses for a database area."""
    return area.gss_code


def partnership_key(partnership: Partnership) -> str:
    """The id an evidence item uses for the partnership as a whole."""
    roots = partnership_root_areas(partnership)
    if len(roots) == 1:
        return area_key(roots[0])
    return f"{ROOT_PREFIX}{partnership.slug}"


def build_geography(partnership: Partnership) -> Geography:
    """Partnership → districts → wards; parishes are left out (evidence is kept at ward level)."""
    roots = partnership_root_areas(partnership)
    nodes: list[agg.Area] = []
    by_id: dict[str, Area] = {}

    def add(area: Area, level: agg.AreaLevel, parent_id: str | None) -> None:
        key = area_key(area)
        if key in by_id:
            return
        by_id[key] = area
        nodes.append(agg.Area(key, level, parent_id, _population(area), _profile(area)))
        for child in area.children:
            if child.level == AreaLevel.DISTRICT:
                add(child, agg.AreaLevel.DISTRICT, key)
            elif child.level == AreaLevel.WARD:
                add(child, agg.AreaLevel.WARD, key)

    root_area: Area | None = None
    if len(roots) == 1:
        root_area = roots[0]
        root_id = area_key(root_area)
        add(root_area, agg.AreaLevel.PARTNERSHIP, None)
    else:
        root_id = f"{ROOT_PREFIX}{partnership.slug}"
        expanded: list[Area] = []
        for area in roots:
            if area.level == AreaLevel.COUNTY:
                expanded.extend(c for c in area.children if c.level == AreaLevel.DISTRICT)
            else:
                expanded.append(area)
        population = sum(_population(a) for a in expanded) or 1.0
        nodes.append(agg.Area(root_id, agg.AreaLevel.PARTNERSHIP, None, population))
        for area in sorted(expanded, key=lambda a: a.gss_code):
            level = agg.AreaLevel.WARD if area.level == AreaLevel.WARD else agg.AreaLevel.DISTRICT
            add(area, level, root_id)
    return Geography(
        root_id=root_id, tree=agg.AreaTree(tuple(nodes)), areas=by_id, root_area=root_area
    )


# Surveys and consultations ask people aged 16 and over: children are not a weighting target.
NOT_WEIGHTING_TARGETS = {("age_band", "0-15")}


def _profile(area: Area) -> dict[str, dict[str, float]]:
    """The census counts respondents are weighted to (residents aged 16 and over by age)."""
    return {
        feature: {
            category: float(count)
            for category, count in counts.items()
            if (feature, category) not in NOT_WEIGHTING_TARGETS
        }
        for feature, counts in area.profile().items()
    }
