"""Sustainable Community Strategy drafts: sections, versions, comments, indicators, exports."""

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
    Integer,
    LargeBinary,
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
from engage.priorities.models import PrioritySnapshot


class DraftStatus(enum.StrEnum):
    DRAFT = "draft"
    CONSULTATION = "consultation"
    ADOPTED = "adopted"


class SectionKind(enum.StrEnum):
    VISION = "vision"
    THEME = "theme"
    DISTRICT = "district"
    ACTION_PLAN = "action_plan"


class Rag(enum.StrEnum):
    """Red, amber, green: off track, at risk, on track."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class ExportFormat(enum.StrEnum):
    DOCX = "docx"
    PDF = "pdf"
    HTML = "html"


class StrategyDraft(db.Model):  # type: ignore[name-defined,misc]
    """A partnership's strategy for a period, generated from its priorities and then edited."""

    __tablename__ = "strategy_drafts"
    __table_args__ = (CheckConstraint("period_end > period_start", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int] = mapped_column(Integer)
    # The language the coordinator writes the text in ("en" or "cy").
    language: Mapped[str] = mapped_column(String(2), default="en")
    status: Mapped[DraftStatus] = mapped_column(
        Enum(DraftStatus, native_enum=False, length=20), default=DraftStatus.DRAFT
    )
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("priority_snapshots.id", ondelete="SET NULL"), index=True
    )
    # The consultation on this draft, when the consultations domain made one.
    consultation_ref: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adopted_on: Mapped[date | None] = mapped_column(Date)

    partnership: Mapped[Partnership] = relationship()
    snapshot: Mapped[PrioritySnapshot | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    sections: Mapped[list[StrategySection]] = relationship(
        back_populates="draft", cascade="all, delete-orphan", order_by="StrategySection.position"
    )
    versions: Mapped[list[StrategyVersion]] = relationship(
        back_populates="draft", cascade="all, delete-orphan", order_by="StrategyVersion.number"
    )
    indicators: Mapped[list[StrategyIndicator]] = relationship(
        back_populates="draft", cascade="all, delete-orphan", order_by="StrategyIndicator.position"
    )

    @property
    def period_label(self) -> str:
        return f"{self.period_start}–{self.period_end}"

    @property
    def latest_version(self) -> StrategyVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def is_editable(self) -> bool:
        return self.status != DraftStatus.ADOPTED


class StrategySection(db.Model):  # type: ignore[name-defined,misc]
    """One section of a draft; its text is Markdown."""

    __tablename__ = "strategy_sections"
    __table_args__ = (UniqueConstraint("draft_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_drafts.id", ondelete="CASCADE"), index=True
    )
    # Stable within the draft: "vision", "theme:<slug>", "district:<gss>", "action-plan".
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[SectionKind] = mapped_column(Enum(SectionKind, native_enum=False, length=20))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[StrategyDraft] = relationship(back_populates="sections")
    theme: Mapped[Theme | None] = relationship()
    area: Mapped[Area | None] = relationship()
    comments: Mapped[list[StrategyComment]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="StrategyComment.id"
    )
    indicators: Mapped[list[StrategyIndicator]] = relationship(
        back_populates="section", order_by="StrategyIndicator.position"
    )


class StrategyVersion(db.Model):  # type: ignore[name-defined,misc]
    """The whole draft as saved: every save makes a new version, numbered from 1."""

    __tablename__ = "strategy_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_drafts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(300))
    # {"title": ..., "sections": [{"key", "kind", "title", "body", "indicators": [text]}]}
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[StrategyDraft] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


class StrategyComment(db.Model):  # type: ignore[name-defined,misc]
    """A partner's comment on a section."""

    __tablename__ = "strategy_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_sections.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    version_number: Mapped[int] = mapped_column(default=1)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    section: Mapped[StrategySection] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    organisation: Mapped[Organisation | None] = relationship()


class StrategyIndicator(db.Model):  # type: ignore[name-defined,misc]
    """How progress on a theme is measured: baseline, target and the lead partner."""

    __tablename__ = "strategy_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_drafts.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategy_sections.id", ondelete="SET NULL"), index=True
    )
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40), default="%")
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None]
    target: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None]
    is_higher_better: Mapped[bool] = mapped_column(default=True)
    lead_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    source_ref: Mapped[str | None] = mapped_column(String(160))

    draft: Mapped[StrategyDraft] = relationship(back_populates="indicators")
    section: Mapped[StrategySection | None] = relationship(back_populates="indicators")
    theme: Mapped[Theme | None] = relationship()
    lead_organisation: Mapped[Organisation | None] = relationship()
    updates: Mapped[list[IndicatorUpdate]] = relationship(
        back_populates="indicator",
        cascade="all, delete-orphan",
        order_by="IndicatorUpdate.reported_on",
    )

    @property
    def latest_update(self) -> IndicatorUpdate | None:
        return self.updates[-1] if self.updates else None


class IndicatorUpdate(db.Model):  # type: ignore[name-defined,misc]
    """A lead partner's periodic report on an indicator, with a red/amber/green status."""

    __tablename__ = "strategy_indicator_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_indicators.id", ondelete="CASCADE"), index=True
    )
    reported_on: Mapped[date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[Rag] = mapped_column(Enum(Rag, native_enum=False, length=10))
    commentary: Mapped[str | None] = mapped_column(Text)
    reported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicator: Mapped[StrategyIndicator] = relationship(back_populates="updates")
    reported_by: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


class StrategyExport(db.Model):  # type: ignore[name-defined,misc]
    """A DOCX, PDF or HTML file of one version of a draft, in English or Welsh."""

    __tablename__ = "strategy_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_drafts.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int]
    format: Mapped[ExportFormat] = mapped_column(Enum(ExportFormat, native_enum=False, length=10))
    language: Mapped[str] = mapped_column(String(2))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[StrategyDraft] = relationship()
