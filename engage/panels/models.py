"""Citizens' panels: the volunteer pool, quotas, selections and panel members."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.time import utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db
from engage.partnerships.models import Area, Partnership

# Features asked about by default, in display order; special-category ones need consent.
DEFAULT_FEATURES = ("age_band", "sex", "ethnicity", "disability", "tenure")
SPECIAL_CATEGORY_FEATURES = frozenset({"ethnicity", "disability"})


class Algorithm(enum.StrEnum):
    LEXIMIN = "leximin"
    LEGACY = "legacy"


class VolunteerSource(enum.StrEnum):
    ONLINE = "online"
    LETTER = "letter"
    PHONE = "phone"
    IN_PERSON = "in_person"
    IMPORT = "import"


class ContactPreference(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    POST = "post"


class MemberStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class SelectionKind(enum.StrEnum):
    INITIAL = "initial"
    REPLACEMENT = "replacement"
    REFRESH = "refresh"


class Panel(db.Model):  # type: ignore[name-defined,misc]
    """A partnership's citizens' panel: its size, the features it balances and its pool."""

    __tablename__ = "panels"
    __table_args__ = (UniqueConstraint("partnership_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(default=40)
    tolerance: Mapped[int] = mapped_column(default=1)
    features: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_FEATURES))
    is_one_per_household: Mapped[bool] = mapped_column(default=True)
    is_recruiting: Mapped[bool] = mapped_column(default=True)
    retention_days: Mapped[int] = mapped_column(default=180)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partnership: Mapped[Partnership] = relationship()
    volunteers: Mapped[list[Volunteer]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="Volunteer.id"
    )
    quotas: Mapped[list[PanelQuota]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelQuota.id"
    )
    selections: Mapped[list[Selection]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="Selection.id"
    )
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelMember.id"
    )


class Volunteer(db.Model):  # type: ignore[name-defined,misc]
    """Someone in the pool. ``demographics`` maps feature → value code (consented items only)."""

    __tablename__ = "panel_volunteers"
    __table_args__ = (UniqueConstraint("panel_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    # The id used by the selection engine and pool files (the CSV id for imported people).
    reference: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(400))
    postcode: Mapped[str | None] = mapped_column(String(12))
    household_key: Mapped[str | None] = mapped_column(String(500), index=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    demographics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_special_category_consented: Mapped[bool] = mapped_column(default=False)
    source: Mapped[VolunteerSource] = mapped_column(
        Enum(VolunteerSource, native_enum=False, length=20)
    )
    contact_preference: Mapped[ContactPreference] = mapped_column(
        Enum(ContactPreference, native_enum=False, length=20), default=ContactPreference.EMAIL
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    panel: Mapped[Panel] = relationship(back_populates="volunteers")
    ward: Mapped[Area | None] = relationship()


class PanelQuota(db.Model):  # type: ignore[name-defined,misc]
    """Target number of panel members for one value of one feature."""

    __tablename__ = "panel_quotas"
    __table_args__ = (UniqueConstraint("panel_id", "feature", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    feature: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(80))
    minimum: Mapped[int]
    maximum: Mapped[int]

    panel: Mapped[Panel] = relationship(back_populates="quotas")


class Selection(db.Model):  # type: ignore[name-defined,misc]
    """One run of the selection engine: what went in (seed, quotas) and what came out."""

    __tablename__ = "panel_selections"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SelectionKind] = mapped_column(Enum(SelectionKind, native_enum=False, length=20))
    algorithm: Mapped[Algorithm] = mapped_column(Enum(Algorithm, native_enum=False, length=20))
    seed: Mapped[int]
    size: Mapped[int]
    # [{"feature", "value", "min", "max"}], as used (adjusted ones for replacements)
    quotas_used: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {volunteer reference: selection probability}
    probabilities: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    is_probability_estimated: Mapped[bool] = mapped_column(default=False)
    selected: Mapped[list[str]] = mapped_column(JSON, default=list)
    pool_size: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    panel: Mapped[Panel] = relationship(back_populates="selections")


class PanelMember(db.Model):  # type: ignore[name-defined,misc]
    """A selected volunteer's place on the panel and its status over time."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("panel_volunteers.id", ondelete="CASCADE"), index=True
    )
    selection_id: Mapped[int] = mapped_column(
        ForeignKey("panel_selections.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MemberStatus] = mapped_column(
        Enum(MemberStatus, native_enum=False, length=20), default=MemberStatus.INVITED
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    panel: Mapped[Panel] = relationship(back_populates="members")
    volunteer: Mapped[Volunteer] = relationship()
    selection: Mapped[Selection] = relationship()
