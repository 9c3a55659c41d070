"""Who may see, edit, comment on and report against a partnership's strategy drafts."""

from __future__ import annotations

from typing import Any

from engage.accounts.models import Role
from engage.partnerships.models import Partnership
from engage.partnerships.policy import has_role, is_staff
from engage.strategy.models import DraftStatus, StrategyDraft, StrategyIndicator

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def can_view_strategy(user: Any, partnership: Partnership) -> bool:
    """Drafts, versions, comments and the delivery dashboard: every staff role."""
    return is_staff(user, partnership)


def can_edit_strategy(user: Any, partnership: Partnership) -> bool:
    """Generating, editing, indicators, status: coordinators and administrators."""
    return has_role(user, partnership, *MANAGERS)


def can_edit_draft(user: Any, draft: StrategyDraft) -> bool:
    return draft.is_editable and can_edit_strategy(user, draft.partnership)


def can_comment(user: Any, partnership: Partnership) -> bool:
    """Partners (partner officers) comment on sections; coordinators answer."""
    return has_role(user, partnership, Role.PARTNER_OFFICER, *MANAGERS)


def can_resolve_comment(user: Any, partnership: Partnership) -> bool:
    return has_role(user, partnership, *MANAGERS)


def officer_organisation_ids(user: Any, partnership: Partnership) -> set[int]:
    """Organisations the user acts for as a partner officer in this partnership (or above)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return set()
    lineage = {p.id for p in partnership.lineage()}
    return {
        m.organisation_id
        for m in user.memberships
        if m.role == Role.PARTNER_OFFICER and m.partnership_id in lineage and m.organisation_id
    }


def can_report_on(user: Any, indicator: StrategyIndicator) -> bool:
    """The lead partner's officers report on an indicator; coordinators may too."""
    partnership = indicator.draft.partnership
    if has_role(user, partnership, *MANAGERS):
        return True
    return (
        indicator.lead_organisation_id is not None
        and indicator.lead_organisation_id in officer_organisation_ids(user, partnership)
    )


def can_export(user: Any, partnership: Partnership) -> bool:
    return can_view_strategy(user, partnership)


def can_read_published(user: Any, draft: StrategyDraft) -> bool:
    """Anyone reads a draft that is out for consultation or adopted; staff read any draft."""
    if draft.status in (DraftStatus.CONSULTATION, DraftStatus.ADOPTED):
        return True
    return can_view_strategy(user, draft.partnership)
