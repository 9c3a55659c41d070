"""Who may see and change the engagement register and its audit.

* Coordinators and administrators see and edit every activity of their partnership and run
  the audit (duplication, coverage, calendar, feedback loop, spend, self-assessment, report).
* Partner officers see the partnership's register (so they can spot duplication before they
  survey anyone), create activities for their own organisation and edit only those. Another
  organisation's cost, contact and unshared results stay hidden from them.
* Councillors see, read-only, the activities touching their wards, including those of the
  partnerships above and below the one they hold the role in.
* Anything of another partnership answers 404 (views call these functions and abort).
"""

from __future__ import annotations

from typing import Any

from engage.accounts.models import Role, User
from engage.audit.models import EngagementActivity
from engage.partnerships.models import Partnership
from engage.partnerships.policy import councillor_ward_ids, has_role, roles_in

MANAGER_ROLES = (Role.ADMIN, Role.COORDINATOR)


def is_manager(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, *MANAGER_ROLES)


def officer_organisation_ids(user: Any, partnership: Partnership) -> set[int]:
    """Organisations the user acts for as a partner officer here (or in a parent partnership)."""
    if Role.PARTNER_OFFICER not in roles_in(user, partnership) or not isinstance(user, User):
        return set()
    lineage_ids = {p.id for p in partnership.lineage()}
    return {
        m.organisation_id
        for m in user.memberships
        if m.role == Role.PARTNER_OFFICER
        and m.partnership_id in lineage_ids
        and m.organisation_id is not None
    }


def related_partnership_ids(partnership: Partnership) -> set[int]:
    """The partnership, those above it and those nested under it."""
    return {p.id for p in partnership.lineage()} | {p.id for p in partnership.descendants()}


def can_view_register(user: Any, partnership: Partnership) -> bool:
    return is_manager(user, partnership) or bool(officer_organisation_ids(user, partnership))


def can_create_activity(user: Any, partnership: Partnership) -> bool:
    return can_view_register(user, partnership)


def can_import_activities(user: Any, partnership: Partnership) -> bool:
    return can_view_register(user, partnership)


def can_edit_activity(user: Any, partnership: Partnership, activity: EngagementActivity) -> bool:
    """Managers edit any activity of the partnership, officers their organisation's.

    Entries kept in step by another domain (a consultation, a PB process) are changed there.
    """
    if activity.partnership_id != partnership.id or activity.is_from_source:
        return False
    if is_manager(user, partnership):
        return True
    return activity.organisation_id in officer_organisation_ids(user, partnership)


def activity_ward_ids(activity: EngagementActivity, all_ward_ids: set[int]) -> set[int]:
    """The wards an activity touches, given the ward ids of its partnership."""
    if activity.is_partnership_wide:
        return set(all_ward_ids)
    found: set[int] = set()
    for area in activity.areas:
        found.update(w.id for w in area.wards())
    return found


def touches_councillor_wards(
    user: Any, partnership: Partnership, activity: EngagementActivity
) -> bool:
    wards = councillor_ward_ids(user, partnership)
    if not wards or activity.partnership_id not in related_partnership_ids(partnership):
        return False
    if activity.is_partnership_wide:
        # Partnership-wide covers every ward of the activity's own partnership.
        own = {w.id for a in activity.partnership.areas for w in a.wards()}
        return bool(wards & own)
    return bool(wards & activity_ward_ids(activity, set()))


def can_view_activity(user: Any, partnership: Partnership, activity: EngagementActivity) -> bool:
    if activity.partnership_id == partnership.id and can_view_register(user, partnership):
        return True
    return touches_councillor_wards(user, partnership, activity)


def can_see_restricted_details(
    user: Any, partnership: Partnership, activity: EngagementActivity
) -> bool:
    """Cost, contact details and unshared results: the owner and the managers only."""
    if activity.partnership_id == partnership.id and is_manager(user, partnership):
        return True
    return activity.organisation_id in officer_organisation_ids(user, partnership)


def can_see_results(user: Any, partnership: Partnership, activity: EngagementActivity) -> bool:
    return activity.is_shared_with_partners or can_see_restricted_details(
        user, partnership, activity
    )


def can_view_councillor_page(user: Any, partnership: Partnership) -> bool:
    return bool(councillor_ward_ids(user, partnership))


def can_run_audit(user: Any, partnership: Partnership) -> bool:
    return is_manager(user, partnership)


def can_review_duplicates(user: Any, partnership: Partnership) -> bool:
    return is_manager(user, partnership)


def can_self_assess(user: Any, partnership: Partnership) -> bool:
    return is_manager(user, partnership)


def can_configure_audit(user: Any, partnership: Partnership) -> bool:
    return is_manager(user, partnership)
