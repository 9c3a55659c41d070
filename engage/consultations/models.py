"""Consultations: questions on pages, residents' responses and answers, coding and outcomes.

Answers are stored one row per atomic item (an option chosen, a rank, a number, a text) so
results are plain SQL aggregates. Each answer row carries a copy of its response's ward, age
band and sex, so answers can be grouped by weighting cell without a join, and the running
tallies (Tally) hold the same grouping already summed, for the results page (see results.py).
Copies and tallies are written together with the answers, in one operation, whenever a
response is submitted.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.accounts.models import User
from engage.core.time import as_utc, utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership, Theme


class ConsultationStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    OUTCOME_PUBLISHED = "outcome_published"


class Phase(enum.StrEnum):
    """What a visitor sees: the stored status combined with the clock."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    OUTCOME_PUBLISHED = "outcome_published"


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    WARDS = "wards"
    PANEL = "panel"


class ResponseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Channel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"


consultation_themes = Table(
    "consultation_themes",
    db.metadata,
    Column("consultation_id", ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)

consultation_wards = Table(
    "consultation_wards",
    db.metadata,
    Column("consultation_id", ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)

answer_codes = Table(
    "consultation_answer_codes",
    db.metadata,
    Column(
        "answer_id", ForeignKey("consultation_answers.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "code_id",
        ForeignKey("consultation_frame_codes.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

# Themes staff tag answers with directly (codes carry their own theme too). The
# consultation is copied here so a ward's themes are found from the tags, not the answers.
answer_themes = Table(
    "consultation_answer_themes",
    db.metadata,
    Column(
        "answer_id", ForeignKey("consultation_answers.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column(
        "consultation_id",
        ForeignKey("consultations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)


class Consultation(db.Model):  # type: ignore[name-defined,misc]
    """One consultation run by one partner organisation for a partnership."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    title_cy: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_cy: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[Audience] = mapped_column(
        Enum(Audience, native_enum=False, length=20), default=Audience.EVERYONE
    )
    allows_anonymous: Mapped[bool] = mapped_column(default=False)
    has_equality_section: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ConsultationStatus] = mapped_column(
        Enum(ConsultationStatus, native_enum=False, length=20),
        default=ConsultationStatus.DRAFT,
        index=True,
    )
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partnership: Mapped[Partnership] = relationship()
    organisation: Mapped[Organisation] = relationship()
    themes: Mapped[list[Theme]] = relationship(
        secondary=consultation_themes, order_by="Theme.position"
    )
    wards: Mapped[list[Area]] = relationship(secondary=consultation_wards, order_by="Area.name")
    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="(Question.page, Question.position, Question.id)",
    )
    outcome: Mapped[Outcome | None] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", uselist=False
    )
    codes: Mapped[list[FrameCode]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="FrameCode.position"
    )

    def display_title(self, locale: str) -> str:
        return self.title_cy if locale == "cy" and self.title_cy else self.title

    def display_summary(self, locale: str) -> str:
        return self.summary_cy if locale == "cy" and self.summary_cy else self.summary

    def display_name(self, locale: str) -> str:
        return self.display_title(locale)

    @property
    def page_count(self) -> int:
        return max((q.page for q in self.questions), default=0)

    def questions_on(self, page: int) -> list[Question]:
        return [q for q in self.questions if q.page == page]

    def is_accepting(self, now: datetime) -> bool:
        """Open for responses at this instant: opened, at or after opening, before closing."""
        if self.status != ConsultationStatus.OPEN or self.opens_at is None:
            return False
        if self.closes_at is None:
            return False
        return as_utc(self.opens_at) <= now < as_utc(self.closes_at)

    def phase(self, now: datetime) -> Phase:
        if self.status == ConsultationStatus.DRAFT:
            return Phase.DRAFT
        if self.status == ConsultationStatus.OUTCOME_PUBLISHED:
            return Phase.OUTCOME_PUBLISHED
        if self.status == ConsultationStatus.CLOSED:
            return Phase.CLOSED
        if self.opens_at is not None and now < as_utc(self.opens_at):
            return Phase.SCHEDULED
        if self.closes_at is not None and now >= as_utc(self.closes_at):
            return Phase.CLOSED
        return Phase.OPEN

    def __repr__(self) -> str:
        return f"<Consultation {self.id} {self.title!r}>"


class Question(db.Model):  # type: ignore[name-defined,misc]
    """A question on a page of a consultation; ``kind`` names its question type class."""

    __tablename__ = "consultation_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    page: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    text_cy: Mapped[str | None] = mapped_column(Text)
    help_text: Mapped[str | None] = mapped_column(Text)
    help_text_cy: Mapped[str | None] = mapped_column(Text)
    is_required: Mapped[bool] = mapped_column(default=False)
    # Type-specific settings: options [{code, text, text_cy}], max_choices, max_length, points,
    # min_value, max_value, whole_numbers. Validated by the question type's clean_settings().
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")

    def display_text(self, locale: str) -> str:
        return self.text_cy if locale == "cy" and self.text_cy else self.text

    def display_help(self, locale: str) -> str:
        return (self.help_text_cy if locale == "cy" and self.help_text_cy else self.help_text) or ""

    def options(self) -> list[dict[str, str]]:
        return list(self.settings.get("options", []))

    def option_label(self, code: str, locale: str) -> str:
        for option in self.options():
            if option["code"] == code:
                return (option.get("text_cy") if locale == "cy" else None) or option["text"]
        return code

    @property
    def field_name(self) -> str:
        return f"q{self.id}"

    @property
    def type(self) -> Any:
        from engage.consultations.question_types import question_type

        return question_type(self.kind)


class Response(db.Model):  # type: ignore[name-defined,misc]
    """One person's response; at most one per signed-in resident per consultation."""

    __tablename__ = "consultation_responses"
    __table_args__ = (
        UniqueConstraint("consultation_id", "user_id"),
        Index(
            "ix_consultation_responses_cells",
            "consultation_id",
            "status",
            "age_band",
            "sex",
            "ward_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    # Erasing an account keeps the response and sets this to NULL.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ResponseStatus] = mapped_column(
        Enum(ResponseStatus, native_enum=False, length=20), default=ResponseStatus.DRAFT
    )
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=20), default=Channel.ONLINE
    )
    reference: Mapped[str | None] = mapped_column(String(12), unique=True)
    ward_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )
    # Equality monitoring. Ethnicity and disability only with special_category_consent.
    age_band: Mapped[str | None] = mapped_column(String(20))
    sex: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(30))
    disability: Mapped[str | None] = mapped_column(String(30))
    special_category_consent: Mapped[bool] = mapped_column(default=False)
    wants_outcome_email: Mapped[bool] = mapped_column(default=False)
    # Answers given so far (question id → value), until the response is submitted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    ward: Mapped[Area | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Answer(db.Model):  # type: ignore[name-defined,misc]
    """One stored item of an answer: an option chosen (``item``), with a number or a text.

    ``item`` is "" for a question's head row (the text of a free-text answer, the value of a
    number, or the "answered" marker of a multi-item answer). ``consultation_id``,
    ``ward_id``, ``age_band`` and ``sex`` copy the response's, for join-free aggregation.
    """

    __tablename__ = "consultation_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", "item"),
        Index(
            "ix_consultation_answers_results",
            "consultation_id",
            "question_id",
            "item",
            "age_band",
            "sex",
            "ward_id",
            "number",
        ),
        Index("ix_consultation_answers_question_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_responses.id", ondelete="CASCADE")
    )
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_questions.id", ondelete="CASCADE")
    )
    item: Mapped[str] = mapped_column(String(40), default="")
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    ward_id: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[str | None] = mapped_column(String(20))
    sex: Mapped[str | None] = mapped_column(String(20))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    codes: Mapped[list[FrameCode]] = relationship(secondary=answer_codes)
    themes: Mapped[list[Theme]] = relationship(secondary=answer_themes)


class Tally(db.Model):  # type: ignore[name-defined,misc]
    """Running totals of answer rows per (question, item, age band, sex, ward).

    Kept in step with consultation_answers inside the same transaction that writes the
    answers (operations._write_answers), so it is never stale: it is the answers table
    already grouped the way the results page needs it. Missing age band or sex is stored as
    "" and a missing ward as 0, so the composite key can be upserted on every database.
    ``rebuild_tallies`` recomputes it from the answers (after bulk loads; and a test checks
    the two always agree).
    """

    __tablename__ = "consultation_tallies"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_questions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(20), primary_key=True)
    sex: Mapped[str] = mapped_column(String(20), primary_key=True)
    ward_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    answers: Mapped[int] = mapped_column(default=0)
    number_sum: Mapped[float] = mapped_column(Float, default=0.0)


class ResponseTally(db.Model):  # type: ignore[name-defined,misc]
    """Running count of submitted responses per (age band, sex, ward): the weighting cells.

    Moved by submit_response in the same transaction as the response itself, like Tally.
    """

    __tablename__ = "consultation_response_tallies"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    age_band: Mapped[str] = mapped_column(String(20), primary_key=True)
    sex: Mapped[str] = mapped_column(String(20), primary_key=True)
    ward_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    responses: Mapped[int] = mapped_column(default=0)


class FrameCode(db.Model):  # type: ignore[name-defined,misc]
    """A code in a consultation's coding frame for free-text answers, optionally under a theme."""

    __tablename__ = "consultation_frame_codes"
    __table_args__ = (UniqueConstraint("consultation_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120))
    label_cy: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="codes")
    theme: Mapped[Theme | None] = relationship()

    def display_name(self, locale: str) -> str:
        return self.label_cy if locale == "cy" and self.label_cy else self.label


class SuggestedGroup(db.Model):  # type: ignore[name-defined,misc]
    """A group of similar free-text answers suggested by engage.consultations.grouping."""

    __tablename__ = "consultation_suggested_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    representative_answer_id: Mapped[int | None] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship()


class Outcome(db.Model):  # type: ignore[name-defined,misc]
    """ "We asked, you said, we did": the outcome statement, in English and Welsh."""

    __tablename__ = "consultation_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), unique=True
    )
    we_asked: Mapped[str] = mapped_column(Text, default="")
    we_asked_cy: Mapped[str | None] = mapped_column(Text)
    you_said: Mapped[str] = mapped_column(Text, default="")
    you_said_cy: Mapped[str | None] = mapped_column(Text)
    we_did: Mapped[str] = mapped_column(Text, default="")
    we_did_cy: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    consultation: Mapped[Consultation] = relationship(back_populates="outcome")

    def part(self, name: str, locale: str) -> str:
        welsh = getattr(self, f"{name}_cy") if locale == "cy" else None
        return str(welsh or getattr(self, name))
