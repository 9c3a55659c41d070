"""Participatory budgeting: processes, projects (proposals), ballots, voter codes, results."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Enum, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.time import utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db
from engage.partnerships.models import Area, Partnership, Theme

# A project's themes (the partnership's SCS themes): what makes PB evidence for priorities.
budget_project_themes = Table(
    "budget_project_themes",
    db.metadata,
    Column("project_id", ForeignKey("budgeting_projects.id", ondelete="CASCADE"),
           primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class BallotKind(enum.StrEnum):
    APPROVAL_BUDGET = "approval_budget"  # approval within the budget
    CHOOSE_K = "choose_k"  # choose up to K (optional minimum)
    RANK_K = "rank_k"  # rank the top K (ordinal)
    POINTS = "points"  # share out N points (cumulative)


class ProjectStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    MERGED = "merged"
    SHORTLISTED = "shortlisted"


class BallotChannel(enum.StrEnum):
    ONLINE = "online"
    VOTER_CODE = "voter_code"
    PAPER = "paper"


class BudgetingProcess(db.Model):  # type: ignore[name-defined,misc]
    """One participatory budgeting process of a partnership."""

    __tablename__ = "budgeting_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"), index=True)
    # The lead organisation and theme, for the partnership's engagement register.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    title_cy: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    budget_pence: Mapped[int]
    proposals_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposals_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_open_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voting_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    results_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ballot_kind: Mapped[BallotKind] = mapped_column(
        Enum(BallotKind, native_enum=False, length=20)
    )
    max_choices: Mapped[int | None]  # K for choose/rank
    min_choices: Mapped[int | None]
    total_points: Mapped[int | None]  # N for points
    rule: Mapped[str] = mapped_column(String(30), default="greedy-cost")
    tie_break: Mapped[str] = mapped_column(String(20), default="lexicographic")
    minimum_age: Mapped[int] = mapped_column(default=16)
    allows_changes: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partnership: Mapped[Partnership] = relationship()
    area: Mapped[Area] = relationship()
    projects: Mapped[list[BudgetProject]] = relationship(
        back_populates="process", order_by="BudgetProject.id", cascade="all, delete-orphan"
    )

    def display_title(self, locale: str) -> str:
        return self.title_cy if locale == "cy" and self.title_cy else self.title

    def is_closed(self, now: datetime) -> bool:
        return now >= self.voting_close_at

    def is_voting_open(self, now: datetime) -> bool:
        return self.voting_open_at <= now < self.voting_close_at

    def is_proposals_open(self, now: datetime) -> bool:
        return bool(
            self.proposals_open_at
            and self.proposals_close_at
            and self.proposals_open_at <= now < self.proposals_close_at
        )


class BudgetProject(db.Model):  # type: ignore[name-defined,misc]
    """A proposal; once shortlisted, a project on the ballot."""

    __tablename__ = "budgeting_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("budgeting_processes.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))  # the id in the engine and .pb files
    title: Mapped[str] = mapped_column(String(200))
    title_cy: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_cy: Mapped[str | None] = mapped_column(Text)
    cost_pence: Mapped[int] = mapped_column(default=0)
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, native_enum=False, length=20), default=ProjectStatus.PROPOSED
    )
    public_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("budgeting_projects.id", ondelete="SET NULL")
    )
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    process: Mapped[BudgetingProcess] = relationship(back_populates="projects")
    themes: Mapped[list[Theme]] = relationship(
        secondary=budget_project_themes, order_by="Theme.position")

    __table_args__ = (UniqueConstraint("process_id", "code"),)

    def display_title(self, locale: str) -> str:
        return self.title_cy if locale == "cy" and self.title_cy else self.title


class VoterCode(db.Model):  # type: ignore[name-defined,misc]
    """A single-use voter code, printed on a letter to a resident."""

    __tablename__ = "budgeting_voter_codes"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("budgeting_processes.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    batch: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetBallot(db.Model):  # type: ignore[name-defined,misc]
    """One voter's ballot. One per voter per process (unique constraints do the enforcing).

    ``voter_key`` identifies the voter whatever the channel: ``u<user id>`` online,
    ``c<code id>`` with a voter code, and on paper without a code ``h<HMAC of name, postcode and
    process>`` (``p<SHA-256>`` for ballots keyed before the HMAC; see paper_voter_key).
    """

    __tablename__ = "budgeting_ballots"
    __table_args__ = (UniqueConstraint("process_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("budgeting_processes.id", ondelete="CASCADE"), index=True
    )
    voter_key: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    voter_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("budgeting_voter_codes.id", ondelete="SET NULL")
    )
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    channel: Mapped[BallotChannel] = mapped_column(
        Enum(BallotChannel, native_enum=False, length=20)
    )
    choices: Mapped[Any] = mapped_column(JSON)  # {"projects": [...], "points": [...] | None}
    age_confirmed: Mapped[bool] = mapped_column(default=False)
    receipt_code: Mapped[str] = mapped_column(String(20), unique=True)
    keyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    is_confirmed: Mapped[bool] = mapped_column(default=True)  # paper: after a second officer
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetResult(db.Model):  # type: ignore[name-defined,misc]
    """A published tally: the rule, tie-break and a hash of the inputs make it reproducible."""

    __tablename__ = "budgeting_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("budgeting_processes.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(30))
    tie_break: Mapped[str] = mapped_column(String(20))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    ballots: Mapped[int]
    selected: Mapped[Any] = mapped_column(JSON)  # project codes in purchase order
    explanations: Mapped[Any] = mapped_column(JSON)  # per project code: numbers and reason code
    total_cost_pence: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryUpdate(db.Model):  # type: ignore[name-defined,misc]
    """"You said, we did": progress on a funded project."""

    __tablename__ = "budgeting_delivery_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("budgeting_projects.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    text_cy: Mapped[str | None] = mapped_column(Text)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
