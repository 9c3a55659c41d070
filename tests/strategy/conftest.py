"""A county partnership with two districts and evidence entered by hand, for strategy tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from engage.accounts.models import Membership, Role, User
from engage.extensions import db
from engage.partnerships.models import (
    Area,
    AreaLevel,
    Organisation,
    Partnership,
    PartnershipKind,
    Sector,
)
from engage.partnerships.operations import seed_default_themes
from engage.priorities import operations as priority_operations
from engage.priorities.aggregate import SourceKind
from engage.priorities.models import Measure
from tests.factories import AreaFactory, PartnershipFactory, UserFactory

# theme → (district 1 share, district 2 share)
SHARES = {
    "safer-communities": (0.25, 0.55),
    "housing": (0.40, 0.35),
    "transport": (0.20, 0.22),
}


@dataclass
class County:
    partnership: Partnership
    districts: list[Area]
    police: Organisation
    council: Organisation
    users: dict[str, User]


def _member(
    partnership: Partnership, role: Role, email: str, organisation: Organisation | None = None
) -> User:
    user = UserFactory(email=email, display_name=email.split("@")[0].title())
    db.session.add(
        Membership(user=user, partnership=partnership, role=role, organisation=organisation)
    )
    return user


@pytest.fixture
def county(app: Any) -> County:
    partnership = PartnershipFactory(
        slug="shire", name="Shire Partnership", kind=PartnershipKind.COUNTY
    )
    seed_default_themes(partnership)
    root = AreaFactory(level=AreaLevel.COUNTY, name="Shire", gss_code="E10000001", population=0)
    partnership.areas.append(root)
    districts = []
    for d in (1, 2):
        district = AreaFactory(
            level=AreaLevel.DISTRICT,
            name=f"District {d}",
            gss_code=f"E0700000{d}",
            parent=root,
            population=0,
        )
        for w in (1, 2):
            AreaFactory(
                parent=district, name=f"D{d} Ward {w}", gss_code=f"E0500{d}00{w}", population=5000
            )
        districts.append(district)
    police = Organisation(name="Shire Police", sector=Sector.PUBLIC)
    council = Organisation(name="Shire Council", sector=Sector.PUBLIC)
    homes = Organisation(name="Shire Homes", sector=Sector.VOLUNTARY)
    for organisation in (police, council, homes):
        db.session.add(organisation)
        organisation.partnerships.append(partnership)
    users = {
        "coordinator": _member(partnership, Role.COORDINATOR, "coordinator@example.org"),
        "police": _member(partnership, Role.PARTNER_OFFICER, "police@example.org", police),
        "homes": _member(partnership, Role.PARTNER_OFFICER, "homes@example.org", homes),
        "councillor": _member(partnership, Role.COUNCILLOR, "councillor@example.org"),
    }
    db.session.flush()
    themes = {t.slug: t for t in partnership.themes}
    coordinator = users["coordinator"]
    survey = priority_operations.save_entered_evidence(
        coordinator.id,
        partnership,
        title="Shire residents' survey 2025",
        source_kind=SourceKind.PARTNER_DATASET,
        collected_on=date(2025, 10, 31),
        organisation=council,
    )
    for slug, shares in SHARES.items():
        for district, share in zip(districts, shares, strict=True):
            priority_operations.save_figure(
                coordinator.id,
                survey,
                theme=themes[slug],
                area=district,
                measure=Measure.TOP_PRIORITY,
                percent=share * 100,
                base=500,
                quote="Nobody walks home after dark." if slug == "safer-communities" else None,
            )
    police_survey = priority_operations.save_entered_evidence(
        coordinator.id,
        partnership,
        title="Shire Police confidence survey: unsafe after dark",
        source_kind=SourceKind.PARTNER_DATASET,
        collected_on=date(2025, 9, 30),
        organisation=police,
    )
    for district, share in zip(districts, (0.22, 0.52), strict=True):
        priority_operations.save_figure(
            coordinator.id,
            police_survey,
            theme=themes["safer-communities"],
            area=district,
            measure=Measure.CONCERNED,
            percent=share * 100,
            base=400,
        )
    tiny = priority_operations.save_entered_evidence(
        coordinator.id,
        partnership,
        title="Tiny focus group",
        source_kind=SourceKind.CONSULTATION,
        collected_on=date(2025, 5, 1),
    )
    priority_operations.save_figure(
        coordinator.id,
        tiny,
        theme=themes["transport"],
        area=districts[0],
        measure=Measure.TOP_PRIORITY,
        percent=75,
        base=4,
    )
    db.session.commit()
    return County(partnership, districts, police, council, users)


@pytest.fixture(autouse=True)
def _fresh_evidence_cache() -> Iterator[None]:
    """Each test starts from the database, not from a previous test's cached evidence."""
    from engage.priorities.evidence import clear_evidence_cache

    clear_evidence_cache()
    yield
    clear_evidence_cache()
