"""Who may do what with citizens' panels: one place, asked by views and tests.

Volunteers' details and demographics are for the partnership's coordinators (and
administrators) only; every other role sees nothing of the pool.
"""

from __future__ import annotations

from typing import Any

from engage.accounts.models import Role
from engage.panels.models import Panel
from engage.partnerships.models import Partnership
from engage.partnerships.policy import has_role

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def can_manage_panels(user: Any, partnership: Partnership) -> bool:
    """Create panels, key in and import volunteers, set quotas, select, manage members."""
    return has_role(user, partnership, *MANAGERS)


def can_view_volunteers(user: Any, panel: Panel) -> bool:
    """Volunteers' contact details and demographics: the panel's partnership's coordinators."""
    return has_role(user, panel.partnership, *MANAGERS)


def can_sign_up(panel: Panel) -> bool:
    """The public sign-up page is open while the panel recruits."""
    return panel.is_recruiting
