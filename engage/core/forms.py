"""GOV.UK widgets with Welsh labels where govuk-frontend-wtf hard-codes English."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovPasswordInput


class LocalisedDateInput(GovDateInput):
    """GovDateInput with Day/Month/Year labels in the page's language."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        labels = [_("Day"), _("Month"), _("Year")]
        for item, label in zip(params.get("items", []), labels, strict=False):
            item["label"] = label
        return params


def optional_int(value: object) -> int | None:
    """Coerce a select's value to int, with the blank "Choose…" option as None."""
    if value in ("", None):
        return None
    return int(str(value))


class LocalisedPasswordInput(GovPasswordInput):
    """GovPasswordInput whose Show/Hide button and announcements are in the page's language."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        params.update(
            showPasswordText=_("Show"),
            hidePasswordText=_("Hide"),
            showPasswordAriaLabelText=_("Show password"),
            hidePasswordAriaLabelText=_("Hide password"),
            passwordShownAnnouncementText=_("Your password is visible"),
            passwordHiddenAnnouncementText=_("Your password is hidden"),
        )
        return params
