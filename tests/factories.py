"""factory-boy factories for the foundation models."""

from __future__ import annotations

import itertools

import factory
from factory.alchemy import SQLAlchemyModelFactory

from engage.accounts.models import Membership, Role, User
from engage.accounts.passwords import hash_password
from engage.extensions import db
from engage.partnerships.models import (
    Area,
    AreaLevel,
    Organisation,
    Partnership,
    PartnershipKind,
    Sector,
    Theme,
)
from tests.conftest import TEST_PASSWORD


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = db.session
        sqlalchemy_session_persistence = "flush"


class PartnershipFactory(Base):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Partnership {n}")
    slug = factory.Sequence(lambda n: f"partnership-{n}")
    kind = PartnershipKind.DISTRICT


class AreaFactory(Base):
    class Meta:
        model = Area

    gss_code = factory.Sequence(lambda n: f"E05{n:06d}")
    name = factory.Sequence(lambda n: f"Ward {n}")
    level = AreaLevel.WARD
    population = 5000


class ThemeFactory(Base):
    class Meta:
        model = Theme

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Theme {n}")


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    sector = Sector.PUBLIC


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password_hash = factory.LazyFunction(lambda: hash_password(TEST_PASSWORD))


class MembershipFactory(Base):
    class Meta:
        model = Membership

    role = Role.RESIDENT


_district_codes = itertools.count(1)


def make_partnership(slug: str, ward_count: int = 2) -> Partnership:
    """A district partnership covering one district with some wards, a theme and a partner."""
    partnership = PartnershipFactory(slug=slug, name=f"{slug.title()} Partnership")
    district = AreaFactory(level=AreaLevel.DISTRICT, name=f"{slug.title()} District",
                           gss_code=f"E07{next(_district_codes):06d}", population=0)
    for index in range(ward_count):
        AreaFactory(parent=district, name=f"{slug.title()} Ward {index + 1}")
    partnership.areas.append(district)
    ThemeFactory(partnership=partnership, name=f"{slug.title()} theme")
    organisation = OrganisationFactory(name=f"{slug.title()} Police")
    organisation.partnerships.append(partnership)
    db.session.flush()
    return partnership


def make_member(partnership: Partnership, role: Role, email: str | None = None) -> User:
    """A user holding one role in the partnership (with an organisation or wards as the role needs)."""
    user = UserFactory(email=email) if email else UserFactory()
    wards = partnership.areas[0].wards()
    membership = MembershipFactory(user=user, partnership=partnership, role=role)
    if role == Role.PARTNER_OFFICER:
        membership.organisation = partnership.organisations[0]
    if role == Role.COUNCILLOR:
        membership.wards = [wards[0]]
    if role == Role.RESIDENT:
        user.home_ward = wards[0]
    db.session.flush()
    return user
