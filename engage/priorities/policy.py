"""Who may see and change a partnership's priorities."""

from __future__ import annotations

from typing import Any

from engage.accounts.models import Role
from engage.partnerships.models import Area, AreaLevel, Partnership
from engage.partnerships.policy import councillor_ward_ids, has_role, is_staff
from engage.priorities.geography import partnership_root_areas

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def can_view_priorities(user: Any, partnership: Partnership) -> bool:
    """Partnership-wide and district priorities: every staff role of the partnership."""
    return is_staff(user, partnership)


def covers(partnership: Partnership, area: Area) -> bool:
    """Whether the area lies in the partnership's geography (a thematic one uses its parent's)."""
    roots = {a.id for a in partnership_root_areas(partnership)}
    node: Area | None = area
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        if node.id in roots:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def can_view_area_priorities(user: Any, partnership: Partnership, area: Area) -> bool:
    """Districts for all staff; wards as the ward pages (coordinators, the ward's councillors)."""
    if not covers(partnership, area):
        return False
    if area.level == AreaLevel.WARD:
        return has_role(user, partnership, *MANAGERS) or area.id in councillor_ward_ids(
            user, partnership
        )
    return can_view_priorities(user, partnership)


def can_manage_priorities(user: Any, partnership: Partnership) -> bool:
    """Weights, evidence entered by hand and snapshots: coordinators and administrators."""
    return has_role(user, partnership, *MANAGERS)


def sees_small_counts(user: Any, partnership: Partnership) -> bool:
    """Coordinators and administrators see counts below the disclosure threshold."""
    return has_role(user, partnership, *MANAGERS)
