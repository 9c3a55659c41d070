"""Users, their roles in partnerships, and password-reset tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.time import utcnow
from engage.core.types import UTCDateTime
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership


class Role(enum.StrEnum):
    RESIDENT = "resident"
    COUNCILLOR = "councillor"
    PARTNER_OFFICER = "partner_officer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.COUNCILLOR, Role.PARTNER_OFFICER, Role.COORDINATOR, Role.ADMIN})


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


membership_wards = Table(
    "membership_wards",
    db.metadata,
    Column("membership_id", ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    home_ward_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    # Rotated on sign-out, password change and disabling: every older session cookie dies.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home_ward: Mapped[Area | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return not self.is_disabled and self.erased_at is None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user's role in one partnership (and the partnerships nested under it)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "partnership_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    # Partner officers act for one organisation.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    partnership: Mapped[Partnership] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation | None] = relationship()
    # Councillors are scoped to wards.
    wards: Mapped[list[Area]] = relationship(secondary=membership_wards, order_by="Area.name")


class PasswordResetToken(db.Model):  # type: ignore[name-defined,misc]
    """A single-use, expiring reset token; only its SHA-256 hash is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
