"""Who may see and manage partner intelligence.

- Coordinators, administrators and councillors see every dataset shared with the partnership
  (sharing "partnership" or "public").
- Partner officers see their own organisation's datasets (whatever the sharing) and what is
  shared with the partnership.
- Residents (anyone with a role in the partnership) see public datasets.
- A dataset is managed (described, uploaded, mapped, deleted) by its organisation's partner
  officers, the person who added it, and the partnership's administrators.
"""

from __future__ import annotations

from typing import Any

from engage.accounts.models import STAFF_ROLES, Role
from engage.intelligence.models import Dataset, Sharing
from engage.partnerships.models import Organisation, Partnership
from engage.partnerships.policy import has_role, roles_in


def officer_organisation_ids(user: Any, partnership: Partnership) -> set[int]:
    """Organisations the user acts for as a partner officer in this partnership (or above)."""
    if not getattr(user, "is_authenticated", False) or not roles_in(user, partnership):
        return set()
    lineage = {p.id for p in partnership.lineage()}
    return {
        m.organisation_id
        for m in user.memberships
        if m.role == Role.PARTNER_OFFICER and m.partnership_id in lineage and m.organisation_id
    }


def can_use_intelligence(user: Any, partnership: Partnership) -> bool:
    return bool(roles_in(user, partnership))


def can_view_dataset(user: Any, dataset: Dataset) -> bool:
    roles = roles_in(user, dataset.partnership)
    if not roles:
        return False
    if dataset.sharing == Sharing.PUBLIC:
        return True
    if dataset.sharing == Sharing.PARTNERSHIP and roles & STAFF_ROLES:
        return True
    return can_manage_dataset(user, dataset)


def can_manage_dataset(user: Any, dataset: Dataset) -> bool:
    partnership = dataset.partnership
    if not roles_in(user, partnership):
        return False
    if dataset.organisation_id in officer_organisation_ids(user, partnership):
        return True
    if dataset.created_by_id is not None and dataset.created_by_id == getattr(user, "id", None):
        return True
    return dataset.sharing != Sharing.ORGANISATION and has_role(user, partnership, Role.ADMIN)


def organisations_for_new_dataset(user: Any, partnership: Partnership) -> list[Organisation]:
    """Organisations the user may add a dataset for: their own, or (coordinators) any partner."""
    if has_role(user, partnership, Role.COORDINATOR, Role.ADMIN):
        found: dict[int, Organisation] = {}
        for node in partnership.lineage():
            for organisation in node.organisations:
                found.setdefault(organisation.id, organisation)
        return sorted(found.values(), key=lambda o: o.name)
    own = officer_organisation_ids(user, partnership)
    mine = {o.id: o for node in partnership.lineage() for o in node.organisations if o.id in own}
    return sorted(mine.values(), key=lambda o: o.name)


def can_add_dataset(user: Any, partnership: Partnership) -> bool:
    return bool(organisations_for_new_dataset(user, partnership))


def can_manage_postcode_districts(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, Role.COORDINATOR, Role.ADMIN)


def can_manage_api_tokens(user: Any, partnership: Partnership) -> bool:
    """Partner officers create and revoke their own organisation's API tokens."""
    return bool(officer_organisation_ids(user, partnership))
