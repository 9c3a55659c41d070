"""Demo: past surveys entered by hand for the Hartmoor Partnership (idempotent).

Each district has its own pattern of priorities, so local distinctiveness shows: Kelham
(urban) puts safety and housing higher, Northbridge (rural) transport and older people,
Ashby Vale health and children. Several years of evidence show change over time.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select

from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership, Theme
from engage.priorities.aggregate import SourceKind
from engage.priorities.models import EnteredEvidence, EnteredFigure, Measure

BASE_SHARE = {
    "safer-communities": 0.34,
    "health-wellbeing": 0.38,
    "children-young-people": 0.27,
    "economy-jobs-skills": 0.29,
    "housing": 0.31,
    "environment-climate": 0.22,
    "transport": 0.25,
    "stronger-communities": 0.14,
    "older-people": 0.18,
    "culture-sport-leisure": 0.09,
}
DISTRICT_SHIFT = {
    "E07000991": {"health-wellbeing": 0.06, "children-young-people": 0.07},  # Ashby Vale
    "E07000992": {"safer-communities": 0.12, "housing": 0.10, "transport": -0.06},  # Kelham
    "E07000993": {"transport": 0.15, "older-people": 0.09, "safer-communities": -0.08},
}
# Drift by year: housing has risen, the environment has fallen back a little.
YEAR_SHIFT = {2024: {"housing": -0.05}, 2025: {"housing": -0.02}, 2026: {}}

QUOTES = {
    "safer-communities": "I don't let my daughter walk back from the station after dark any more.",
    "housing": "My son is 29 and still lives with us because nothing round here is affordable.",
    "transport": "The last bus from town is at six, so anyone without a car is stuck.",
    "health-wellbeing": "It takes three weeks to see a GP, and the walk-in centre has closed.",
    "older-people": "Mum is on her own in the village and the lunch club was her lifeline.",
}


def _share(theme: str, district: str, year: int, rng: random.Random) -> float:
    value = BASE_SHARE[theme]
    value += DISTRICT_SHIFT.get(district, {}).get(theme, 0.0)
    value += YEAR_SHIFT.get(year, {}).get(theme, 0.0)
    value += rng.gauss(0.0, 0.02)
    return min(0.95, max(0.02, value))


def _evidence(
    partnership: Partnership,
    title: str,
    kind: SourceKind,
    collected_on: date,
    organisation: Organisation | None,
    method: str,
    design_effect: float = 1.0,
) -> EnteredEvidence:
    found = db.session.scalar(
        select(EnteredEvidence).where(
            EnteredEvidence.partnership_id == partnership.id, EnteredEvidence.title == title
        )
    )
    if found is None:
        found = EnteredEvidence(partnership_id=partnership.id, title=title)
        db.session.add(found)
    found.source_kind = kind
    found.collected_on = collected_on
    found.organisation = organisation
    found.method = method
    found.design_effect = design_effect
    return found


def _figure(
    evidence: EnteredEvidence,
    theme: Theme,
    area: Area | None,
    measure: Measure,
    value: float,
    base: int,
    quote: str | None = None,
) -> None:
    for figure in evidence.figures:
        if (figure.theme_id, figure.area_id, figure.measure) == (
            theme.id,
            area.id if area else None,
            measure,
        ):
            break
    else:
        figure = EnteredFigure(theme=theme, area=area, measure=measure, value=0.0, base=0)
        evidence.figures.append(figure)
    figure.value = round(min(1.0, max(0.0, value)), 4)
    figure.base = base
    figure.quote = quote


def load_priorities_demo() -> dict[str, int]:
    """Entered evidence: three residents' surveys, a panel wave, police and housing data."""
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
    if partnership is None:
        return {}
    themes = {t.slug: t for t in partnership.themes}
    organisations = {o.name: o for o in db.session.scalars(select(Organisation))}
    county = partnership.areas[0]
    districts = sorted(
        (a for a in county.children if a.level == AreaLevel.DISTRICT), key=lambda a: a.gss_code
    )
    rng = random.Random(20270101)  # noqa: S311 - demo figures, not secrets
    figures = 0

    for year, day in (
        (2024, date(2024, 10, 31)),
        (2025, date(2025, 10, 31)),
        (2026, date(2026, 6, 30)),
    ):
        survey = _evidence(
            partnership,
            f"Hartmoor Residents' Survey {year}",
            SourceKind.PARTNER_DATASET,
            day,
            organisations.get("Hartmoor County Council"),
            "Postal and online survey of a random sample of addresses, weighted by age, sex "
            "and district. Question: Which three of these should be the partnership's top "
            "priorities?",
            design_effect=1.4,
        )
        for district in districts:
            for slug, theme in themes.items():
                if slug not in BASE_SHARE:
                    continue
                _figure(
                    survey,
                    theme,
                    district,
                    Measure.TOP_PRIORITY,
                    _share(slug, district.gss_code, year, rng),
                    rng.randint(380, 520),
                    QUOTES.get(slug) if year == 2026 and district is districts[0] else None,
                )
                figures += 1

    panel = _evidence(
        partnership,
        "Citizens' Panel wave 1 (2025)",
        SourceKind.PANEL_SURVEY,
        date(2025, 3, 31),
        None,
        "Online and telephone survey of the 1,000-member citizens' panel, recruited by lottery "
        "and stratified to the census. Ward results.",
    )
    for district in districts:
        for ward in district.children:
            if ward.level != AreaLevel.WARD:
                continue
            for slug in (
                "safer-communities",
                "health-wellbeing",
                "housing",
                "transport",
                "older-people",
                "children-young-people",
            ):
                _figure(
                    panel,
                    themes[slug],
                    ward,
                    Measure.TOP_PRIORITY,
                    _share(slug, district.gss_code, 2025, rng) + rng.gauss(0, 0.04),
                    rng.randint(18, 46),
                )
                figures += 1

    police = _evidence(
        partnership,
        "Hartmoor Police public confidence survey 2026: feeling unsafe after dark",
        SourceKind.PARTNER_DATASET,
        date(2026, 3, 31),
        organisations.get("Hartmoor Police"),
        "Telephone survey, 1,200 residents a year. Share who feel fairly or very unsafe "
        "walking alone in their area after dark.",
    )
    for district in districts:
        unsafe = {"E07000991": 0.27, "E07000992": 0.41, "E07000993": 0.19}[district.gss_code]
        _figure(police, themes["safer-communities"], district, Measure.CONCERNED, unsafe, 400)
        figures += 1

    homes = _evidence(
        partnership,
        "Vale Homes tenant satisfaction survey 2025",
        SourceKind.PARTNER_DATASET,
        date(2025, 9, 30),
        organisations.get("Vale Homes"),
        "Tenant satisfaction measures survey. Share dissatisfied with the supply of "
        "affordable homes in their area.",
    )
    for district in districts:
        dissatisfied = {"E07000991": 0.33, "E07000992": 0.52, "E07000993": 0.38}[district.gss_code]
        _figure(homes, themes["housing"], district, Measure.DISSATISFIED, dissatisfied, 610)
        figures += 1
    # A tiny figure: shows that counts under the threshold are withheld from partners.
    _figure(homes, themes["older-people"], districts[2].children[0], Measure.DISSATISFIED, 0.5, 4)
    db.session.flush()
    count = db.session.query(EnteredEvidence).filter_by(partnership_id=partnership.id).count()
    return {"entered evidence sets": count, "figures": figures + 1}
