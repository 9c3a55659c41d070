"""Imports every domain's models so SQLAlchemy and Alembic see the whole schema."""

from engage.accounts.models import Membership, PasswordResetToken, Role, User
from engage.api.models import ApiToken  # noqa: F401
from engage.audit.models import EngagementActivity  # noqa: F401
from engage.budgeting.models import BudgetingProcess  # noqa: F401
from engage.consultations.models import Consultation  # noqa: F401
from engage.core.models import AuditLog
from engage.intelligence.models import Dataset  # noqa: F401
from engage.jobs.models import Job  # noqa: F401
from engage.panels.models import Panel  # noqa: F401
from engage.partnerships.models import Area, AreaProfileCount, Organisation, Partnership, Theme
from engage.priorities.models import EnteredEvidence  # noqa: F401
from engage.strategy.models import StrategyDraft  # noqa: F401

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
