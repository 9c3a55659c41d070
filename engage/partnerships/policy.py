"""Who may do what to partnerships, areas, themes, organisations and memberships.

Roles held in a partnership apply to every partnership nested under it. Views ask these
functions; they never decide by hiding a link.
"""

from __future__ import annotations

from typing import Any

from engage.accounts.models import STAFF_ROLES, Role, User
from engage.partnerships.models import Area, Partnership


def _real_user(user: Any) -> User | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user if isinstance(user, User) and user.is_active else None


def roles_in(user: Any, partnership: Partnership) -> set[Role]:
    """The roles a user holds in a partnership, directly or through a parent partnership."""
    real = _real_user(user)
    if real is None:
        return set()
    if real.is_platform_admin:
        return {Role.ADMIN}
    lineage_ids = {p.id for p in partnership.lineage()}
    return {m.role for m in real.memberships if m.partnership_id in lineage_ids}


def has_role(user: Any, partnership: Partnership, *roles: Role) -> bool:
    return bool(roles_in(user, partnership) & set(roles))


def is_staff(user: Any, partnership: Partnership) -> bool:
    return bool(roles_in(user, partnership) & STAFF_ROLES)


def can_manage_partnership(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, Role.ADMIN)


def can_create_partnership(user: Any, parent: Partnership | None) -> bool:
    real = _real_user(user)
    if real is None:
        return False
    if parent is None:
        return real.is_platform_admin
    return can_manage_partnership(real, parent)


def can_manage_members(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, Role.ADMIN)


def can_manage_themes(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, Role.ADMIN, Role.COORDINATOR)


def can_manage_organisations(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, Role.ADMIN, Role.COORDINATOR)


def can_import_areas(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, Role.ADMIN)


def can_view_partnership_admin(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, Role.ADMIN, Role.COORDINATOR)


def covers_area(partnership: Partnership, area: Area) -> bool:
    """Whether the area lies inside the partnership's geography."""
    covered = {a.id for a in partnership.areas}
    node: Area | None = area
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        if node.id in covered:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def councillor_ward_ids(user: Any, partnership: Partnership) -> set[int]:
    """Wards a councillor is scoped to within this partnership."""
    real = _real_user(user)
    if real is None:
        return set()
    lineage_ids = {p.id for p in partnership.lineage()}
    return {
        ward.id
        for m in real.memberships
        if m.role == Role.COUNCILLOR and m.partnership_id in lineage_ids
        for ward in m.wards
    }


def can_view_ward(user: Any, partnership: Partnership, ward: Area) -> bool:
    """Coordinators and admins see every ward of their partnership; councillors their own."""
    if not covers_area(partnership, ward):
        return False
    if has_role(user, partnership, Role.ADMIN, Role.COORDINATOR):
        return True
    return ward.id in councillor_ward_ids(user, partnership)
