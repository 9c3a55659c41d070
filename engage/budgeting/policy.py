"""Who may do what with participatory budgeting: one place for views, templates and tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engage.accounts.models import Role
from engage.budgeting.models import BudgetingProcess
from engage.partnerships.models import Partnership
from engage.partnerships.policy import has_role, is_staff

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def can_manage(user: Any, partnership: Partnership) -> bool:
    """Coordinators (and partnership administrators) manage processes."""
    return has_role(user, partnership, *MANAGERS)


def can_manage_process(user: Any, process: BudgetingProcess) -> bool:
    return can_manage(user, process.partnership)


def can_key_paper(user: Any, process: BudgetingProcess) -> bool:
    """Staff of the partnership key and confirm paper ballots."""
    return is_staff(user, process.partnership)


def can_see_results(user: Any, process: BudgetingProcess, now: datetime) -> bool:
    """Nobody, administrators included, sees any count before the vote closes."""
    return process.is_closed(now)


def can_export_ballots(user: Any, process: BudgetingProcess, now: datetime) -> bool:
    return process.is_closed(now) and can_manage_process(user, process)
