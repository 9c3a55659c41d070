"""Partnerships, the areas they cover, their themes and partner organisations."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import Column, Enum, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.extensions import db

if TYPE_CHECKING:
    from engage.accounts.models import Membership


class PartnershipKind(enum.StrEnum):
    COUNTY = "county"
    DISTRICT = "district"
    UNITARY = "unitary"
    THEMATIC = "thematic"


class AreaLevel(enum.StrEnum):
    COUNTY = "county"
    DISTRICT = "district"
    WARD = "ward"
    PARISH = "parish"


AREA_LEVEL_ORDER = {
    AreaLevel.COUNTY: 0,
    AreaLevel.DISTRICT: 1,
    AreaLevel.WARD: 2,
    AreaLevel.PARISH: 3,
}


class Sector(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    VOLUNTARY = "voluntary"
    COMMUNITY = "community"
    FAITH = "faith"
    ACADEMIC = "academic"


# The demographic features every area profile may hold, in display order.
PROFILE_FEATURES = ("age_band", "sex", "ethnicity", "disability", "tenure")

partnership_areas = Table(
    "partnership_areas",
    db.metadata,
    Column("partnership_id", ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)

partnership_organisations = Table(
    "partnership_organisations",
    db.metadata,
    Column("partnership_id", ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Partnership(db.Model):  # type: ignore[name-defined,misc]
    """A Local Strategic Partnership; may nest (county → district, thematic sub-partnerships)."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_cy: Mapped[str | None] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[PartnershipKind] = mapped_column(
        Enum(PartnershipKind, native_enum=False, length=20)
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnerships.id", ondelete="RESTRICT"), index=True
    )
    requires_staff_two_factor: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[Partnership | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Partnership]] = relationship(
        back_populates="parent", order_by="Partnership.name"
    )
    areas: Mapped[list[Area]] = relationship(secondary=partnership_areas, order_by="Area.name")
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=partnership_organisations,
        back_populates="partnerships",
        order_by="Organisation.name",
    )
    themes: Mapped[list[Theme]] = relationship(
        back_populates="partnership", order_by="Theme.position", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="partnership")

    def lineage(self) -> list[Partnership]:
        """This partnership and its ancestors, nearest first."""
        chain: list[Partnership] = []
        node: Partnership | None = self
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain

    def descendants(self) -> list[Partnership]:
        """This partnership and every partnership nested under it."""
        found: list[Partnership] = []
        stack: list[Partnership] = [self]
        while stack:
            node = stack.pop()
            if node in found:
                continue
            found.append(node)
            stack.extend(node.children)
        return found

    def display_name(self, locale: str) -> str:
        return self.name_cy if locale == "cy" and self.name_cy else self.name

    def __repr__(self) -> str:
        return f"<Partnership {self.slug}>"


class Area(db.Model):  # type: ignore[name-defined,misc]
    """A place in the geography tree (county → district → ward), keyed by its ONS GSS code."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    gss_code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_cy: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[AreaLevel] = mapped_column(Enum(AreaLevel, native_enum=False, length=20))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="RESTRICT"), index=True
    )
    population: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent", order_by="Area.name")
    profile_counts: Mapped[list[AreaProfileCount]] = relationship(
        back_populates="area", cascade="all, delete-orphan", order_by="AreaProfileCount.id"
    )

    def profile(self) -> dict[str, dict[str, int]]:
        """Counts per category for each demographic feature."""
        result: dict[str, dict[str, int]] = {}
        for row in self.profile_counts:
            result.setdefault(row.feature, {})[row.category] = row.count
        return result

    def wards(self) -> list[Area]:
        """Every ward at or under this area."""
        if self.level == AreaLevel.WARD:
            return [self]
        found: list[Area] = []
        for child in self.children:
            found.extend(child.wards())
        return found

    def display_name(self, locale: str) -> str:
        return self.name_cy if locale == "cy" and self.name_cy else self.name

    def __repr__(self) -> str:
        return f"<Area {self.gss_code} {self.name}>"


class AreaProfileCount(db.Model):  # type: ignore[name-defined,misc]
    """Census-like count of residents of an area in one category of one feature."""

    __tablename__ = "area_profile_counts"
    __table_args__ = (UniqueConstraint("area_id", "feature", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    feature: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(80))
    count: Mapped[int]

    area: Mapped[Area] = relationship(back_populates="profile_counts")


class Theme(db.Model):  # type: ignore[name-defined,misc]
    """A theme of a partnership's Sustainable Community Strategy."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("partnership_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    name_cy: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    partnership: Mapped[Partnership] = relationship(back_populates="themes")

    def display_name(self, locale: str) -> str:
        return self.name_cy if locale == "cy" and self.name_cy else self.name


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    """A partner organisation (council, police, NHS body, housing association, charity...)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_cy: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[Sector] = mapped_column(Enum(Sector, native_enum=False, length=20))

    partnerships: Mapped[list[Partnership]] = relationship(
        secondary=partnership_organisations, back_populates="organisations"
    )

    def display_name(self, locale: str) -> str:
        return self.name_cy if locale == "cy" and self.name_cy else self.name
