"""Service navigation links for the signed-in user's roles."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from engage.accounts.models import Role


def navigation_items(user: Any) -> list[dict[str, Any]]:
    items = [{"href": url_for("main.home"), "text": _("Home")}]
    if getattr(user, "is_authenticated", False):
        roles = {m.role for m in user.memberships}
        if user.is_platform_admin or roles & {Role.ADMIN, Role.COORDINATOR}:
            items.append({"href": url_for("admin.index"), "text": _("Manage")})
        # The engagement register, when the user works in exactly one partnership.
        register_slugs = {m.partnership.slug for m in user.memberships
                          if m.role in (Role.ADMIN, Role.COORDINATOR, Role.PARTNER_OFFICER)}
        if len(register_slugs) == 1:
            items.append({"href": url_for("audit.register", slug=register_slugs.pop()),
                          "text": _("Engagement register")})
        # Consultations, when the user is staff in exactly one partnership.
        consultation_slugs = {m.partnership.slug for m in user.memberships
                              if m.role != Role.RESIDENT}
        if len(consultation_slugs) == 1:
            items.append({"href": url_for("consultations.index", slug=consultation_slugs.pop()),
                          "text": _("Consultations")})
        # Partner intelligence, when the user has a role in exactly one partnership.
        intelligence_slugs = {m.partnership.slug for m in user.memberships}
        if len(intelligence_slugs) == 1:
            items.append({"href": url_for("intelligence.index", slug=intelligence_slugs.pop()),
                          "text": _("Intelligence")})
        # Priorities and the strategy, when the user is staff in exactly one partnership.
        priority_slugs = {m.partnership.slug for m in user.memberships if m.role != Role.RESIDENT}
        if len(priority_slugs) == 1:
            items.append({"href": url_for("priorities.overview", slug=priority_slugs.pop()),
                          "text": _("Priorities")})
        items.append({"href": url_for("accounts.account"), "text": _("Your account")})
    path = request.path
    for item in items:
        item["active"] = item["href"] == path or (
            item["href"] != "/" and path.startswith(item["href"])
        )
    return items
