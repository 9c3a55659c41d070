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
        items.append({"href": url_for("accounts.account"), "text": _("Your account")})
    path = request.path
    for item in items:
        item["active"] = item["href"] == path or (
            item["href"] != "/" and path.startswith(item["href"])
        )
    return items
