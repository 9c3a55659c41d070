"""Priorities: source weights and settings per partnership, evidence entered by hand, snapshots."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.accounts.models import User
from engage.core.time import utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership, Theme
from engage.priorities.aggregate import SourceKind


class WeightScope(enum.StrEnum):
    """A weight set for a kind of source, or for one source."""

    KIND = "kind"
    SOURCE = "source"


class Measure(enum.StrEnum):
    """What a figure measures; every measure is a share of people (0 to 1)."""

    TOP_PRIORITY = "top_priority"
    POINTS_SHARE = "points_share"
    VOTES_SHARE = "votes_share"
    DISSATISFIED = "dissatisfied"
    CONCERNED = "concerned"
    AGREE_PRIORITY = "agree_priority"
    # Share of people who raised the theme in their own words (coded free text).
    MENTIONED = "mentioned"
    # Share disagreeing with a (positively worded) statement about the theme.
    DISAGREE = "disagree"
    # 100% minus a published "% positive" figure (satisfied, agree, feel safe...).
    NOT_POSITIVE = "not_positive"


class PrioritySettings(db.Model):  # type: ignore[name-defined,misc]
    """How a partnership's priorities are worked out (one row per partnership, optional)."""

    __tablename__ = "priority_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), unique=True
    )
    # None: evidence keeps its full weight however old it is.
    half_life_days: Mapped[int | None] = mapped_column(default=730)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partnership: Mapped[Partnership] = relationship()


class SourceWeight(db.Model):  # type: ignore[name-defined,misc]
    """A coordinator's weight (0 to 1) for a kind of source or for one source."""

    __tablename__ = "priority_source_weights"
    __table_args__ = (
        UniqueConstraint("partnership_id", "scope", "key"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="weight_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[WeightScope] = mapped_column(Enum(WeightScope, native_enum=False, length=10))
    # A SourceKind code, or a source id such as "entered:12".
    key: Mapped[str] = mapped_column(String(160))
    weight: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EnteredEvidence(db.Model):  # type: ignore[name-defined,misc]
    """Aggregate evidence a coordinator entered by hand, e.g. the results of a past survey."""

    __tablename__ = "entered_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[SourceKind] = mapped_column(Enum(SourceKind, native_enum=False, length=30))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    collected_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    # Kish design effect the survey reports (1 = simple random sample).
    design_effect: Mapped[float] = mapped_column(Float, default=1.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partnership: Mapped[Partnership] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    figures: Mapped[list[EnteredFigure]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan", order_by="EnteredFigure.id"
    )

    @property
    def source_id(self) -> str:
        return f"entered:{self.id}"


class EnteredFigure(db.Model):  # type: ignore[name-defined,misc]
    """One share for one theme in one area, with the number of people it is based on."""

    __tablename__ = "entered_evidence_figures"
    __table_args__ = (
        UniqueConstraint("evidence_id", "theme_id", "area_id", "measure"),
        CheckConstraint("value >= 0 AND value <= 1", name="value_share"),
        CheckConstraint("base >= 0", name="base_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("entered_evidence.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)
    # None: the evidence's partnership as a whole.
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), index=True
    )
    measure: Mapped[Measure] = mapped_column(Enum(Measure, native_enum=False, length=30))
    value: Mapped[float] = mapped_column(Float)
    base: Mapped[int]
    # An anonymised comment that illustrates the figure (may be quoted in the strategy).
    quote: Mapped[str | None] = mapped_column(Text)

    evidence: Mapped[EnteredEvidence] = relationship(back_populates="figures")
    theme: Mapped[Theme] = relationship()
    area: Mapped[Area | None] = relationship()


class PrioritySnapshot(db.Model):  # type: ignore[name-defined,misc]
    """Priorities as they were worked out on one day, kept so a strategy can cite them."""

    __tablename__ = "priority_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    as_of: Mapped[date] = mapped_column(Date)
    label: Mapped[str | None] = mapped_column(String(200))
    # Settings used, the scores (theme, area, score, interval, strength, contributions),
    # the sources' descriptions and a fingerprint of the evidence: see operations.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partnership: Mapped[Partnership] = relationship()
    created_by: Mapped[User | None] = relationship()
