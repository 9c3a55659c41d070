"""Template globals: language, dates, nonces, translated GOV.UK component texts."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from govuk_frontend_wtf.main import flatten_errors

from engage.core.i18n import current_language, localised, show_date, show_datetime
from engage.core.security import csp_nonce
from engage.partnerships import labels


def form_errors(form: Any) -> dict[str, Any]:
    """Parameters for govukErrorSummary from a WTForms form, with a translated title."""
    id_map = {name: getattr(form, name).id for name in form._fields}
    return {
        "titleText": _("There is a problem"),
        "errorList": flatten_errors(form.errors, id_map=id_map),
    }


def language_switch_url(language: str) -> str:
    here = request.full_path.rstrip("?") if request else "/"
    return url_for("main.language", language=language, next=here)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        get_locale=get_locale,
        current_language=current_language,
        show_date=show_date,
        show_datetime=show_datetime,
        localised=localised,
        csp_nonce=csp_nonce,
        form_errors=form_errors,
        language_switch_url=language_switch_url,
        feature_label=labels.feature_label,
        category_label=labels.category_label,
        sector_label=lambda code: labels.label(labels.SECTOR_LABELS, code),
        role_label=lambda code: labels.label(labels.ROLE_LABELS, code),
        kind_label=lambda code: labels.label(labels.KIND_LABELS, code),
        level_label=lambda code: labels.label(labels.LEVEL_LABELS, code),
    )

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        from engage.main.navigation import navigation_items

        return {
            "service_name": _("Engage"),
            "navigation": navigation_items(current_user),
        }
