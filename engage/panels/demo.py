"""Demo citizens' panel for Hartmoor: ~800 volunteers skewed as real pools are (older people
and owner-occupiers over-represented), census quotas, and one selected panel of 40.

Idempotent: a panel already present (by slug) is left alone.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import select

from engage.accounts.models import User
from engage.extensions import db
from engage.panels import operations
from engage.panels.models import Algorithm, MemberStatus, Panel, Volunteer, VolunteerSource
from engage.partnerships.models import Partnership

SEED = 20261123
POOL = 800
SLUG = "hartmoor-panel"
STREETS = ("High Street", "Church Lane", "Mill Road", "Station Road", "Park View", "Green Close")

# Sign-up propensity relative to the census share: who actually volunteers.
SKEW = {
    "age_band": {"16-24": 0.4, "25-44": 0.7, "45-64": 1.2, "65-74": 1.8, "75+": 1.3},
    "sex": {"female": 1.1, "male": 0.9},
    "ethnicity": {"white_british": 1.1, "white_other": 0.8, "mixed": 0.7, "asian": 0.7,
                  "black": 0.6, "other": 0.7},
    "disability": {"disabled": 0.9, "not_disabled": 1.0},
    "tenure": {"owned": 1.5, "social_rented": 0.5, "private_rented": 0.5, "other": 0.6},
}


def load_panels_demo() -> dict[str, int]:
    """The Hartmoor panel, its pool, quotas and one selection. A few seconds."""
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
    if partnership is None:
        return {"panels": 0}
    if db.session.scalar(select(Panel).where(Panel.slug == SLUG)) is not None:
        return {"panels": 0}
    panel = Panel(partnership=partnership, slug=SLUG, name="Hartmoor Citizens' Panel", size=40,
                  tolerance=2)
    db.session.add(panel)
    rng = random.Random(SEED)  # noqa: S311 - made-up demo data
    profile = operations.census_profile(partnership)
    wards = [w for area in partnership.areas for w in area.wards()]
    weights = {
        feature: {
            value: count * SKEW.get(feature, {}).get(value, 1.0)
            for value, count in profile.get(feature, {}).items()
            if (feature, value) not in operations.EXCLUDED_CATEGORIES
        }
        for feature in panel.features
    }
    for index in range(POOL):
        demographics = {
            feature: rng.choices(list(values), weights=list(values.values()))[0]
            for feature, values in weights.items()
            if values
        }
        db.session.add(Volunteer(
            panel=panel, reference=f"H{index + 1:05d}", name=f"Demo volunteer {index + 1}",
            email=f"volunteer{index + 1}@example.org",
            address=f"{index + 1} {rng.choice(STREETS)}", postcode=f"HM{rng.randint(1, 9)} 1AA",
            household_key=f"demo-{index + 1}", ward=rng.choice(wards) if wards else None,
            demographics=demographics, is_special_category_consented=True,
            source=rng.choice([VolunteerSource.ONLINE, VolunteerSource.ONLINE,
                               VolunteerSource.LETTER, VolunteerSource.PHONE]),
        ))
    db.session.flush()
    operations.set_quotas_from_census(panel, panel.tolerance, actor_id=None)
    coordinator = db.session.scalar(
        select(User).where(User.email == "coordinator@engage.example"))
    started = time.perf_counter()
    selection = operations.select_members(
        panel, Algorithm.LEXIMIN, SEED, actor_id=coordinator.id if coordinator else None)
    seconds = time.perf_counter() - started
    resident = db.session.scalar(select(User).where(User.email == "resident@engage.example"))
    for index, member in enumerate(panel.members):
        if index < 34:
            member.status = MemberStatus.ACTIVE
        elif index < 37:
            member.status = MemberStatus.WITHDRAWN
    if resident is not None and panel.members:
        # the demo resident sits on the panel, so panel-only surveys accept them
        panel.members[0].volunteer.user_id = resident.id
    db.session.flush()
    return {"panels": 1, "volunteers": POOL, "members": len(selection.selected),
            "selection seconds": round(seconds, 1)}
