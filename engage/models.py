"""Imports every domain's models so SQLAlchemy and Alembic see the whole schema."""

from engage.accounts.models import Membership, PasswordResetToken, Role, User
from engage.core.models import AuditLog
from engage.partnerships.models import Area, AreaProfileCount, Organisation, Partnership, Theme

__all__ = [
    "Area",
    "AreaProfileCount",
    "AuditLog",
    "Membership",
    "Organisation",
    "Partnership",
    "PasswordResetToken",
    "Role",
    "Theme",
    "User",
]
