"""GOV.UK widgets with Welsh labels where govuk-frontend-wtf hard-codes English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovPasswordInput
from wtforms import DateField


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


class DayMonthYearField(DateField):
    """A GOV.UK day/month/year date that never crashes on a hand-made request.

    The three boxes share one name; fewer or more than three values (a crafted request) are
    padded or cut, and a date that does not exist gets a GOV.UK-style message.
    """

    widget = LocalisedDateInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            # Absent from the request: three empty boxes (the widget unpacks three values).
            self.raw_data = ["", "", ""]
            return
        values = [str(v).strip() for v in valuelist[:3]]
        values += [""] * (3 - len(values))
        self.raw_data = values
        if not any(values):
            self.data = None
            return
        try:
            self.data = datetime.strptime(" ".join(values), "%d %m %Y").date()
        except ValueError as error:
            self.data = None
            raise ValueError(str(_l("Enter a real date, for example 27 3 2026"))) from error
