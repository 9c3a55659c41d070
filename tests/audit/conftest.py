"""A small register world whose right answers are known by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask

from engage.accounts.models import Role, User
from engage.audit.models import ActivityTargetGroup, EngagementActivity
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership, Theme
from tests.factories import (
    AreaFactory,
    MembershipFactory,
    OrganisationFactory,
    PartnershipFactory,
    ThemeFactory,
    UserFactory,
    make_partnership,
)


@dataclass
class RegisterWorld:
    partnership: Partnership
    district: Area
    wards: list[Area]  # Hill (1,000 residents), Vale (2,000), Moor (4,000)
    safety: Theme
    transport: Theme
    police: Organisation
    council: Organisation
    coordinator: User
    police_officer: User
    council_officer: User
    councillor: User  # for Hill only
    other: Partnership  # another partnership, with one activity

    def activity(self, **values: Any) -> EngagementActivity:
        """An activity in this partnership (defaults: police survey on safety in Hill, March 2025)."""
        fields: dict[str, Any] = {
            "partnership_id": self.partnership.id,
            "organisation_id": self.police.id,
            "title": "Survey",
            "method": "survey",
            "status": "live",
            "start_date": date(2025, 3, 1),
            "end_date": date(2025, 3, 31),
        }
        fields.update(values)
        themes = fields.pop("themes", [self.safety])
        areas = fields.pop("areas", [self.wards[0]])
        groups = fields.pop("groups", [])
        activity = EngagementActivity(**fields)
        activity.themes = list(themes)
        activity.areas = list(areas)
        activity.target_group_links = [ActivityTargetGroup(code=g) for g in groups]
        db.session.add(activity)
        db.session.flush()
        return activity


def _member(partnership: Partnership, role: Role, email: str, **values: Any) -> User:
    user = UserFactory(email=email)
    MembershipFactory(user=user, partnership=partnership, role=role, **values)
    return user


@pytest.fixture
def world(app: Flask) -> RegisterWorld:
    partnership = PartnershipFactory(slug="hart", name="Hart Partnership")
    district = AreaFactory(level=AreaLevel.DISTRICT, name="Hart District", gss_code="E07900001", population=7000)
    wards = [
        AreaFactory(parent=district, name=name, gss_code=code, population=population)
        for name, code, population in (
            ("Hill", "E05900001", 1000), ("Vale", "E05900002", 2000), ("Moor", "E05900003", 4000),
        )
    ]
    partnership.areas.append(district)
    safety = ThemeFactory(partnership=partnership, slug="safety", name="Safer streets", name_cy="Strydoedd diogel", position=0)
    transport = ThemeFactory(partnership=partnership, slug="transport", name="Transport", position=1)
    police = OrganisationFactory(name="Hart Police")
    council = OrganisationFactory(name="Hart Council")
    police.partnerships.append(partnership)
    council.partnerships.append(partnership)
    db.session.flush()
    coordinator = _member(partnership, Role.COORDINATOR, "coordinator@example.org")
    police_officer = _member(partnership, Role.PARTNER_OFFICER, "police@example.org", organisation=police)
    council_officer = _member(partnership, Role.PARTNER_OFFICER, "council@example.org", organisation=council)
    councillor = _member(partnership, Role.COUNCILLOR, "councillor@example.org")
    councillor.memberships[0].wards = [wards[0]]
    other = make_partnership("elsewhere")
    db.session.flush()
    built = RegisterWorld(partnership, district, wards, safety, transport, police, council,
                          coordinator, police_officer, council_officer, councillor, other)
    other_activity = EngagementActivity(
        partnership_id=other.id, organisation_id=other.organisations[0].id,
        title="Elsewhere secret survey", method="survey", status="live",
        start_date=date(2025, 3, 1), end_date=date(2025, 3, 31), is_partnership_wide=True,
    )
    other_activity.themes = [other.themes[0]]
    db.session.add(other_activity)
    db.session.commit()
    return built
