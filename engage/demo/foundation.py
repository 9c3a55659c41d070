"""Demo data: a fictional county partnership with three districts and 30 wards."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select

from engage.accounts.models import Membership, Role, User
from engage.accounts.passwords import hash_password
from engage.extensions import db
from engage.partnerships.models import (
    Area,
    AreaLevel,
    AreaProfileCount,
    Organisation,
    Partnership,
    PartnershipKind,
    Sector,
)
from engage.partnerships.operations import seed_default_themes

DEMO_PASSWORD = "engage-demo-2026"  # noqa: S105 - the published demo password (README)
COUNTY = ("E10000091", "Hartmoor", "Hartmoor")
# district code, name, Welsh name (none), partnership slug, ward names
DISTRICTS = (
    (
        "E07000991",
        "Ashby Vale",
        "ashby-vale",
        (
            "Ashby Central",
            "Ashby North",
            "Ashby South",
            "Brookfield",
            "Castle Mead",
            "Elmstead",
            "Fenwick",
            "Holmwood",
            "Linton",
            "Marsh Green",
        ),
    ),
    (
        "E07000992",
        "Kelham",
        "kelham",
        (
            "Kelham Abbey",
            "Kelham Riverside",
            "Kelham Town",
            "Ferrybridge",
            "Greystones",
            "Hatherley",
            "Millbrook",
            "Oakfield",
            "St Anne's",
            "Westgate",
        ),
    ),
    (
        "E07000993",
        "Northbridge",
        "northbridge",
        (
            "Northbridge East",
            "Northbridge West",
            "Bramley",
            "Cold Ash",
            "Dunmoor",
            "High Fell",
            "Ketton",
            "Ravensworth",
            "Stanmoor",
            "Upper Dale",
        ),
    ),
)
AGE_BANDS = ("0-15", "16-24", "25-44", "45-64", "65-74", "75+")
ETHNIC_GROUPS = ("white_british", "white_other", "mixed", "asian", "black", "other")
TENURES = ("owned", "social_rented", "private_rented", "other")

ORGANISATIONS = (
    ("Hartmoor County Council", "Cyngor Sir Hartmoor", Sector.PUBLIC),
    ("Ashby Vale District Council", None, Sector.PUBLIC),
    ("Kelham Borough Council", None, Sector.PUBLIC),
    ("Northbridge District Council", None, Sector.PUBLIC),
    ("Hartmoor Police", "Heddlu Hartmoor", Sector.PUBLIC),
    ("Hartmoor Fire and Rescue Service", "Gwasanaeth Tân ac Achub Hartmoor", Sector.PUBLIC),
    ("Hartmoor and Wyre Integrated Care Board", None, Sector.PUBLIC),
    ("Vale Homes", None, Sector.VOLUNTARY),
    ("Hartmoor Council for Voluntary Service", None, Sector.VOLUNTARY),
    ("Hartmoor Chamber of Commerce", None, Sector.PRIVATE),
    ("Kelham Mosque and Community Centre", None, Sector.FAITH),
    ("Northbridge Youth Forum", None, Sector.COMMUNITY),
    ("University of Hartmoor", "Prifysgol Hartmoor", Sector.ACADEMIC),
)


@dataclass(frozen=True)
class DemoUser:
    email: str
    display_name: str
    role: Role
    partnership_slug: str
    organisation: str | None = None
    wards: tuple[str, ...] = ()
    platform_admin: bool = False
    home_ward: str | None = None
    locale: str | None = None


DEMO_USERS = (
    DemoUser("admin@engage.example", "Alex Admin", Role.ADMIN, "hartmoor", platform_admin=True),
    DemoUser("coordinator@engage.example", "Carys Coordinator", Role.COORDINATOR, "hartmoor"),
    DemoUser(
        "officer.police@engage.example",
        "Owen Officer",
        Role.PARTNER_OFFICER,
        "hartmoor",
        organisation="Hartmoor Police",
    ),
    DemoUser(
        "officer.homes@engage.example",
        "Hana Housing",
        Role.PARTNER_OFFICER,
        "hartmoor",
        organisation="Vale Homes",
    ),
    DemoUser(
        "cllr.patel@engage.example",
        "Cllr Priya Patel",
        Role.COUNCILLOR,
        "ashby-vale",
        wards=("Ashby Central", "Brookfield"),
    ),
    DemoUser(
        "resident@engage.example",
        "Rhys Resident",
        Role.RESIDENT,
        "hartmoor",
        home_ward="Kelham Riverside",
    ),
    DemoUser(
        "preswylydd@engage.example",
        "Siân Preswylydd",
        Role.RESIDENT,
        "hartmoor",
        home_ward="Ashby North",
        locale="cy",
    ),
)


def _profile(rng: random.Random, population: int, urban: float) -> dict[str, dict[str, int]]:
    """Census-like counts that sum to the population for each feature."""

    def split(weights: list[float]) -> list[int]:
        total = sum(weights)
        counts = [int(population * w / total) for w in weights]
        counts[0] += population - sum(counts)
        return counts

    age = split(
        [
            0.17 + 0.03 * urban,
            0.10 + 0.06 * urban,
            0.24 + 0.08 * urban,
            0.26 - 0.03 * urban,
            0.12 - 0.06 * urban,
            0.11 - 0.06 * urban,
        ]
    )
    female = int(population * rng.uniform(0.505, 0.52))
    diversity = 0.04 + 0.30 * urban * rng.uniform(0.6, 1.2)
    ethnicity = split(
        [
            1 - diversity,
            diversity * 0.25,
            diversity * 0.15,
            diversity * 0.35,
            diversity * 0.17,
            diversity * 0.08,
        ]
    )
    disabled = int(population * rng.uniform(0.16, 0.23))
    tenure = split([0.70 - 0.25 * urban, 0.12 + 0.12 * urban, 0.15 + 0.13 * urban, 0.03])
    return {
        "age_band": dict(zip(AGE_BANDS, age, strict=True)),
        "sex": {"female": female, "male": population - female},
        "ethnicity": dict(zip(ETHNIC_GROUPS, ethnicity, strict=True)),
        "disability": {"disabled": disabled, "not_disabled": population - disabled},
        "tenure": dict(zip(TENURES, tenure, strict=True)),
    }


def _area(code: str, name: str, level: AreaLevel, parent: Area | None) -> Area:
    area = db.session.scalar(select(Area).where(Area.gss_code == code))
    if area is None:
        area = Area(gss_code=code, name=name, level=level, parent=parent)
        db.session.add(area)
    area.name, area.level, area.parent = name, level, parent
    return area


def _set_profile(area: Area, profile: dict[str, dict[str, int]]) -> None:
    current = {(r.feature, r.category): r for r in area.profile_counts}
    for feature, counts in profile.items():
        for category, count in counts.items():
            row = current.get((feature, category))
            if row is None:
                area.profile_counts.append(
                    AreaProfileCount(feature=feature, category=category, count=count)
                )
            else:
                row.count = count


def _partnership(
    slug: str, name: str, kind: PartnershipKind, parent: Partnership | None
) -> Partnership:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None:
        partnership = Partnership(slug=slug, name=name, kind=kind, parent=parent)
        db.session.add(partnership)
    partnership.name, partnership.kind, partnership.parent = name, kind, parent
    seed_default_themes(partnership)
    return partnership


def load_foundation() -> dict[str, int]:
    """Areas, partnerships, themes, organisations and one user per role. Idempotent."""
    rng = random.Random(20261123)
    county = _area(COUNTY[0], f"{COUNTY[1]} County", AreaLevel.COUNTY, None)
    county.name_cy = "Sir Hartmoor"
    county_partnership = _partnership(
        "hartmoor", "Hartmoor Partnership", PartnershipKind.COUNTY, None
    )
    county_partnership.name_cy = "Partneriaeth Hartmoor"
    if county not in county_partnership.areas:
        county_partnership.areas.append(county)
    wards_by_name: dict[str, Area] = {}
    county_population = 0
    for d_index, (code, name, slug, ward_names) in enumerate(DISTRICTS):
        district = _area(code, name, AreaLevel.DISTRICT, county)
        district_partnership = _partnership(
            slug, f"{name} Partnership", PartnershipKind.DISTRICT, county_partnership
        )
        if district not in district_partnership.areas:
            district_partnership.areas.append(district)
        district_population = 0
        totals: dict[str, dict[str, int]] = {}
        for w_index, ward_name in enumerate(ward_names):
            ward = _area(
                f"E0590{d_index + 1}{w_index + 1:03d}", ward_name, AreaLevel.WARD, district
            )
            urban = 1.0 if w_index < 3 else rng.uniform(0.0, 0.6)
            if d_index == 2:
                urban *= 0.5  # Northbridge is the rural district
            ward.population = rng.randint(4200, 11800)
            profile = _profile(rng, ward.population, urban)
            _set_profile(ward, profile)
            for feature, counts in profile.items():
                for category, count in counts.items():
                    totals.setdefault(feature, {}).setdefault(category, 0)
                    totals[feature][category] += count
            district_population += ward.population
            wards_by_name[ward_name] = ward
        district.population = district_population
        _set_profile(district, totals)
        county_population += district_population
    county.population = county_population
    county_totals: dict[str, dict[str, int]] = {}
    for district_row in county.children:
        for feature, counts in district_row.profile().items():
            for category, count in counts.items():
                county_totals.setdefault(feature, {}).setdefault(category, 0)
                county_totals[feature][category] += count
    _set_profile(county, county_totals)
    # A thematic sub-partnership of the county partnership.
    _partnership(
        "hartmoor-community-safety",
        "Hartmoor Community Safety Partnership",
        PartnershipKind.THEMATIC,
        county_partnership,
    )

    organisations: dict[str, Organisation] = {}
    for name, name_cy, sector in ORGANISATIONS:
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None:
            organisation = Organisation(name=name, sector=sector)
            db.session.add(organisation)
        organisation.name_cy, organisation.sector = name_cy, sector
        if county_partnership not in organisation.partnerships:
            organisation.partnerships.append(county_partnership)
        organisations[name] = organisation
    db.session.flush()

    partnerships = {p.slug: p for p in db.session.scalars(select(Partnership))}
    password_hash = hash_password(DEMO_PASSWORD)
    for spec in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.email == spec.email))
        if user is None:
            user = User(email=spec.email, password_hash=password_hash)
            db.session.add(user)
        user.display_name = spec.display_name
        user.is_platform_admin = spec.platform_admin
        user.locale = spec.locale
        user.home_ward = wards_by_name.get(spec.home_ward) if spec.home_ward else None
        partnership = partnerships[spec.partnership_slug]
        if not any(
            m.partnership_id == partnership.id and m.role == spec.role for m in user.memberships
        ):
            user.memberships.append(Membership(partnership=partnership, role=spec.role))
        membership = next(
            m for m in user.memberships if m.partnership is partnership and m.role == spec.role
        )
        membership.organisation = organisations[spec.organisation] if spec.organisation else None
        membership.wards = [wards_by_name[w] for w in spec.wards]
    db.session.flush()
    return {
        "partnerships": len(partnerships),
        "wards": len(wards_by_name),
        "organisations": len(organisations),
        "users": len(DEMO_USERS),
    }
