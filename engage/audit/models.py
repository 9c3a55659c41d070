"""The engagement register: activities, duplicate reviews, self-assessment and vocabularies."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from engage.audit.overlap import Method, Status
from engage.audit.self_assessment import Rating
from engage.core.time import utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership, Theme

__all__ = [
    "ActivityTargetGroup",
    "AssessmentDimension",
    "DuplicateDecision",
    "DuplicateReview",
    "EngagementActivity",
    "Method",
    "SelfAssessmentRating",
    "Status",
    "TargetGroup",
]

activity_themes = Table(
    "engagement_activity_themes",
    db.metadata,
    Column(
        "activity_id",
        ForeignKey("engagement_activities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# Wards, or whole districts, an activity covers (see EngagementActivity.is_partnership_wide).
activity_areas = Table(
    "engagement_activity_areas",
    db.metadata,
    Column(
        "activity_id",
        ForeignKey("engagement_activities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class EngagementActivity(db.Model):  # type: ignore[name-defined,misc]
    """One consultation or engagement exercise by one partner organisation."""

    __tablename__ = "engagement_activities"
    __table_args__ = (
        # Consultations and PB processes run inside Engage appear here once each.
        UniqueConstraint("source_type", "source_id"),
        # Re-importing a file updates its rows instead of copying them.
        UniqueConstraint("partnership_id", "import_key"),
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        CheckConstraint("participants >= 0", name="participants_not_negative"),
        CheckConstraint("cost_pence >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[Method] = mapped_column(Enum(Method, native_enum=False, length=30))
    # True: every ward of the partnership, whatever areas are listed.
    is_partnership_wide: Mapped[bool] = mapped_column(default=False)
    start_date: Mapped[date] = mapped_column(Date, index=True)
    end_date: Mapped[date] = mapped_column(Date)
    participants: Mapped[int] = mapped_column(default=0)
    cost_pence: Mapped[int] = mapped_column(default=0)
    status: Mapped[Status] = mapped_column(Enum(Status, native_enum=False, length=30), index=True)
    outcome_statement: Mapped[str] = mapped_column(Text, default="")
    outcome_url: Mapped[str | None] = mapped_column(String(500))
    outcome_published_on: Mapped[date | None] = mapped_column(Date)
    is_shared_with_partners: Mapped[bool] = mapped_column(default=True)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Set when another domain (a consultation, a PB process) owns this entry.
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[int | None] = mapped_column(Integer)
    # Set by bulk import: the row's reference, or a hash of organisation, title and start date.
    import_key: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    partnership: Mapped[Partnership] = relationship()
    organisation: Mapped[Organisation] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=activity_themes, order_by="Theme.position")
    areas: Mapped[list[Area]] = relationship(secondary=activity_areas, order_by="Area.name")
    target_group_links: Mapped[list[ActivityTargetGroup]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="ActivityTargetGroup.code",
    )

    @property
    def target_groups(self) -> list[str]:
        return [link.code for link in self.target_group_links]

    @property
    def is_from_source(self) -> bool:
        return self.source_type is not None

    def __repr__(self) -> str:
        return f"<EngagementActivity {self.id} {self.title!r}>"


class ActivityTargetGroup(db.Model):  # type: ignore[name-defined,misc]
    """A target group (by code) an activity is aimed at; none means the general public."""

    __tablename__ = "engagement_activity_target_groups"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("engagement_activities.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)

    activity: Mapped[EngagementActivity] = relationship(back_populates="target_group_links")


class _PartnershipVocabulary:
    """A coded, bilingual, ordered list a partnership configures (defaults apply until then)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    name_cy: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    @declared_attr
    def partnership_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)

    def display_name(self, locale: str) -> str:
        return self.name_cy if locale == "cy" and self.name_cy else self.name


class TargetGroup(_PartnershipVocabulary, db.Model):  # type: ignore[name-defined,misc]
    """A target group a partnership records (young people, carers, tenants, ...)."""

    __tablename__ = "target_groups"
    __table_args__ = (UniqueConstraint("partnership_id", "code"),)


class AssessmentDimension(_PartnershipVocabulary, db.Model):  # type: ignore[name-defined,misc]
    """A dimension of the partnership's red/amber/green self-assessment."""

    __tablename__ = "assessment_dimensions"
    __table_args__ = (UniqueConstraint("partnership_id", "code"),)


class SelfAssessmentRating(db.Model):  # type: ignore[name-defined,misc]
    """One red/amber/green rating of one dimension on one day, with its evidence."""

    __tablename__ = "self_assessment_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    dimension: Mapped[str] = mapped_column(String(60))
    rating: Mapped[Rating] = mapped_column(Enum(Rating, native_enum=False, length=10))
    evidence: Mapped[str] = mapped_column(Text, default="")
    assessed_on: Mapped[date] = mapped_column(Date, index=True)
    assessed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuplicateDecision(enum.StrEnum):
    COORDINATE = "coordinate"
    MERGED = "merged"
    NOT_DUPLICATE = "not_duplicate"


class DuplicateReview(db.Model):  # type: ignore[name-defined,misc]
    """A coordinator's decision on a possible duplicate pair (keyed by the ordered pair)."""

    __tablename__ = "duplicate_reviews"
    __table_args__ = (
        UniqueConstraint("first_activity_id", "second_activity_id"),
        CheckConstraint("first_activity_id < second_activity_id", name="pair_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    first_activity_id: Mapped[int] = mapped_column(
        ForeignKey("engagement_activities.id", ondelete="CASCADE"), index=True
    )
    second_activity_id: Mapped[int] = mapped_column(
        ForeignKey("engagement_activities.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[DuplicateDecision] = mapped_column(
        Enum(DuplicateDecision, native_enum=False, length=20)
    )
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    first_activity: Mapped[EngagementActivity] = relationship(foreign_keys=[first_activity_id])
    second_activity: Mapped[EngagementActivity] = relationship(foreign_keys=[second_activity_id])
