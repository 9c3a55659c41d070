"""Who may do what with consultations: one place, asked by views, templates and tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engage.accounts.models import Role, User
from engage.consultations.models import Audience, Consultation, ConsultationStatus, Phase
from engage.partnerships.models import Area, Partnership
from engage.partnerships.policy import can_view_ward, has_role, is_staff, roles_in

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def _acts_for_owner(user: Any, consultation: Consultation) -> bool:
    """A partner officer of the organisation that owns the consultation."""
    if Role.PARTNER_OFFICER not in roles_in(user, consultation.partnership):
        return False
    lineage = {p.id for p in consultation.partnership.lineage()}
    return any(
        m.role == Role.PARTNER_OFFICER
        and m.partnership_id in lineage
        and m.organisation_id == consultation.organisation_id
        for m in getattr(user, "memberships", [])
    )


def can_create(user: Any, partnership: Partnership) -> bool:
    """Coordinators and partner officers build consultations (officers for their organisation)."""
    return has_role(user, partnership, *MANAGERS, Role.PARTNER_OFFICER)


def can_list(user: Any, partnership: Partnership) -> bool:
    return is_staff(user, partnership)


def can_build(user: Any, consultation: Consultation) -> bool:
    """Change the consultation, its questions and its outcome; open and close it."""
    return has_role(user, consultation.partnership, *MANAGERS) or _acts_for_owner(
        user, consultation
    )


def can_view_results(user: Any, consultation: Consultation) -> bool:
    """Aggregated, suppressed results: every staff role of the partnership."""
    return consultation.status != ConsultationStatus.DRAFT and is_staff(
        user, consultation.partnership
    )


def can_handle_responses(user: Any, consultation: Consultation) -> bool:
    """Individual responses: read, code, redact, export, key in paper responses."""
    return can_build(user, consultation)


def can_export_special_category(user: Any, consultation: Consultation) -> bool:
    """Ethnicity and disability columns in exports: coordinators (and administrators) only."""
    return has_role(user, consultation.partnership, *MANAGERS)


def can_see_consultation(user: Any, consultation: Consultation) -> bool:
    """The public page: anyone once opened; drafts only to those who build them."""
    if consultation.status == ConsultationStatus.DRAFT:
        return can_build(user, consultation)
    return True


def is_panel_member(user: Any, consultation: Consultation) -> bool:
    """Whether the user sits on a citizens' panel of the consultation's partnership.

    Panels belong to the panels domain: this asks its
    ``engage.panels.operations.is_active_panel_member(user, partnership)`` (active or
    invited members of any of the partnership's panels). Where the panels domain is not
    installed it answers False, so panel-only consultations then take no online responses
    (staff can still key in paper ones from panel sessions).
    """
    try:
        from engage.panels.operations import is_active_panel_member
    except ImportError:
        return False
    return bool(is_active_panel_member(user, consultation.partnership))


def may_respond(user: Any, consultation: Consultation) -> bool:
    """Whether this person is in the consultation's audience (the clock is checked apart)."""
    signed_in = isinstance(user, User) and user.is_active
    if consultation.audience == Audience.PANEL:
        return signed_in and is_panel_member(user, consultation)
    if consultation.audience == Audience.WARDS:
        if not signed_in:
            return False
        ward_ids = {w.id for w in consultation.wards}
        return user.home_ward_id in ward_ids
    return signed_in or consultation.allows_anonymous


def needs_sign_in(user: Any, consultation: Consultation) -> bool:
    """Anonymous visitors who must sign in first (rather than being refused outright)."""
    signed_in = isinstance(user, User) and user.is_active
    return not signed_in and not (
        consultation.audience == Audience.EVERYONE and consultation.allows_anonymous
    )


def can_view_ward_feedback(user: Any, partnership: Partnership, ward: Area) -> bool:
    """A ward's feedback: its councillors, and the partnership's coordinators and admins."""
    return can_view_ward(user, partnership, ward)


def is_public_in_archive(consultation: Consultation, now: datetime) -> bool:
    return consultation.phase(now) in (Phase.CLOSED, Phase.OUTCOME_PUBLISHED)
