"""Partner intelligence: datasets partners share, their questions, answers and results.

Respondent-level answers are stored compactly as integer codes (one narrow row per answer,
one per demographic) so a million respondents fit. Every fact row carries the dataset's
``version``: an import writes a new version that becomes visible only when the dataset's
``current_version`` is switched to it at the very end, so a failed or killed import leaves
nothing visible and a retry simply writes its version again.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
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
from engage.core.time import utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db
from engage.intelligence.mapping import ColumnRole, DatasetShape, Scale, Unit
from engage.partnerships.models import Area, Organisation, Partnership, Theme


class Sharing(enum.StrEnum):
    ORGANISATION = "organisation"  # the owning organisation only
    PARTNERSHIP = "partnership"  # everyone working in the partnership
    PUBLIC = "public"  # every signed-in resident of the partnership too


class DatasetStatus(enum.StrEnum):
    DRAFT = "draft"  # described, no data yet
    READY = "ready"  # a version is visible


class ImportStatus(enum.StrEnum):
    MAPPING = "mapping"  # uploaded, columns being mapped
    QUEUED = "queued"
    VALIDATING = "validating"
    LOADING = "loading"
    DONE = "done"
    FAILED = "failed"  # validation found problems: nothing imported
    ERROR = "error"  # the import stopped unexpectedly: nothing visible, may be retried


class QuestionKind(enum.StrEnum):
    QUESTION = "question"
    DEMOGRAPHIC = "demographic"
    INDICATOR = "indicator"


dataset_themes = Table(
    "dataset_themes",
    db.metadata,
    Column("dataset_id", ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

dataset_areas = Table(
    "dataset_areas",
    db.metadata,
    Column("dataset_id", ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class Dataset(db.Model):  # type: ignore[name-defined,misc]
    """One partner's survey or indicator data, with its provenance and who may see it."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    shape: Mapped[DatasetShape] = mapped_column(Enum(DatasetShape, native_enum=False, length=20))
    source: Mapped[str] = mapped_column(String(300), default="")
    method: Mapped[str] = mapped_column(Text, default="")
    fieldwork_start: Mapped[date | None] = mapped_column(Date)
    fieldwork_end: Mapped[date | None] = mapped_column(Date)
    sample_size: Mapped[int | None]
    weighting_note: Mapped[str] = mapped_column(Text, default="")
    sharing: Mapped[Sharing] = mapped_column(
        Enum(Sharing, native_enum=False, length=20), default=Sharing.ORGANISATION
    )
    licence: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[DatasetStatus] = mapped_column(
        Enum(DatasetStatus, native_enum=False, length=20), default=DatasetStatus.DRAFT
    )
    # 0 until a first import succeeds; fact rows of any other version are invisible.
    current_version: Mapped[int] = mapped_column(default=0)
    next_version: Mapped[int] = mapped_column(default=1)
    respondents: Mapped[int] = mapped_column(default=0)
    is_weighted: Mapped[bool] = mapped_column(default=False)
    # The mapping last used; later uploads with the same columns start from it.
    saved_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A by-name mapping set through the API (PUT .../mapping), used for its CSV uploads.
    api_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partnership: Mapped[Partnership] = relationship()
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=dataset_themes, order_by="Theme.position")
    areas: Mapped[list[Area]] = relationship(secondary=dataset_areas, order_by="Area.name")
    imports: Mapped[list[DatasetImport]] = relationship(
        back_populates="dataset", order_by="DatasetImport.id.desc()", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Dataset {self.id} {self.title!r}>"


class DatasetImport(db.Model):  # type: ignore[name-defined,misc]
    """One uploaded file (or API body) on its way into a dataset: mapping, progress, errors."""

    __tablename__ = "dataset_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(120))  # under instance/intelligence-uploads
    file_format: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    encoding: Mapped[str | None] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    data_rows: Mapped[int] = mapped_column(default=0)
    profile: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ImportStatus] = mapped_column(
        Enum(ImportStatus, native_enum=False, length=20), default=ImportStatus.MAPPING
    )
    version: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_dropped: Mapped[int] = mapped_column(default=0)
    # Row-numbered problems as codes (translated when shown): [{"row", "column", "code", ...}]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    job_id: Mapped[int | None]  # the engage.jobs job that imports it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dataset: Mapped[Dataset] = relationship(back_populates="imports")
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.LOADING)


class DatasetQuestion(db.Model):  # type: ignore[name-defined,misc]
    """A question, demographic or indicator of one version of a dataset."""

    __tablename__ = "dataset_questions"
    __table_args__ = (Index("ix_dataset_questions_dataset_version", "dataset_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, native_enum=False, length=20))
    column_name: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    scale: Mapped[Scale] = mapped_column(
        Enum(Scale, native_enum=False, length=20), default=Scale.NONE
    )
    feature: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[Unit | None] = mapped_column(Enum(Unit, native_enum=False, length=20))

    dataset: Mapped[Dataset] = relationship()
    theme: Mapped[Theme | None] = relationship()
    values: Mapped[list[DatasetValue]] = relationship(
        back_populates="question", order_by="DatasetValue.code", cascade="all, delete-orphan"
    )


class DatasetValue(db.Model):  # type: ignore[name-defined,misc]
    """An answer as written in the file, its integer code and its scale point."""

    __tablename__ = "dataset_values"
    __table_args__ = (UniqueConstraint("question_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_questions.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[int]
    label: Mapped[str] = mapped_column(Text)  # stored as text, never evaluated
    point: Mapped[str | None] = mapped_column(String(40))  # scale point, or profile category

    question: Mapped[DatasetQuestion] = relationship(back_populates="values")


# The fact tables below are written with bulk inserts; question and ward ids are plain
# integers (checked by the importer) so a million respondents insert quickly and deleting a
# version is one indexed delete. Rows go when their dataset goes.


class DatasetAnswer(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "dataset_answers"
    __table_args__ = (
        Index("ix_dataset_answers_dataset_version", "dataset_id", "version", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int]
    respondent_no: Mapped[int]
    question_id: Mapped[int] = mapped_column(Integer)
    ward_id: Mapped[int] = mapped_column(Integer)
    value_code: Mapped[int]
    weight: Mapped[float | None] = mapped_column(Float)


class DatasetDemographic(db.Model):  # type: ignore[name-defined,misc]
    """One respondent's answer to one demographic column (narrow: one row per pair)."""

    __tablename__ = "dataset_demographics"
    __table_args__ = (
        Index("ix_dataset_demographics_dataset_version", "dataset_id", "version", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int]
    respondent_no: Mapped[int]
    question_id: Mapped[int] = mapped_column(Integer)
    value_code: Mapped[int]


class DatasetResult(db.Model):  # type: ignore[name-defined,misc]
    """Respondents (and weighted sum) per question, ward and answer: what the pages show."""

    __tablename__ = "dataset_results"
    __table_args__ = (
        Index("ix_dataset_results_dataset_version", "dataset_id", "version", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int]
    question_id: Mapped[int] = mapped_column(Integer)
    ward_id: Mapped[int] = mapped_column(Integer)
    value_code: Mapped[int]
    respondents: Mapped[int]
    weighted: Mapped[float] = mapped_column(Float)


class DatasetIndicatorValue(db.Model):  # type: ignore[name-defined,misc]
    """One aggregate figure: an indicator's value for an area and period, with its base."""

    __tablename__ = "dataset_indicator_values"
    __table_args__ = (
        Index("ix_dataset_indicator_values_dataset_version", "dataset_id", "version",
              "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int]
    question_id: Mapped[int] = mapped_column(Integer)
    area_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(60), default="")
    value: Mapped[float] = mapped_column(Float)
    base: Mapped[int | None]


class PostcodeDistrict(db.Model):  # type: ignore[name-defined,misc]
    """The partnership's own postcode district → ward table (no network look-ups)."""

    __tablename__ = "postcode_districts"
    __table_args__ = (UniqueConstraint("partnership_id", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    district: Mapped[str] = mapped_column(String(8))
    ward_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)

    ward: Mapped[Area] = relationship()


COLUMN_ROLE_KINDS = {
    ColumnRole.QUESTION: QuestionKind.QUESTION,
    ColumnRole.DEMOGRAPHIC: QuestionKind.DEMOGRAPHIC,
}
