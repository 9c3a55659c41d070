"""Translated words for the panels domain: engine and file codes become plain sentences."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage.partnerships.labels import CATEGORY_LABELS, FEATURE_LABELS

STATUS_LABELS = {
    "invited": _l("Invited"),
    "active": _l("Active"),
    "withdrawn": _l("Withdrawn"),
}

SOURCE_LABELS = {
    "online": _l("Online sign-up"),
    "letter": _l("Letter"),
    "phone": _l("Phone"),
    "in_person": _l("In person"),
    "import": _l("Imported pool file"),
}

CONTACT_LABELS = {
    "email": _l("Email"),
    "phone": _l("Phone"),
    "post": _l("Post"),
}

ALGORITHM_LABELS = {
    "leximin": _l("Leximin (fairest: maximises the lowest chance of selection)"),
    "legacy": _l("Legacy (Sortition Foundation's original sequential method)"),
}

KIND_LABELS = {
    "initial": _l("Initial selection"),
    "replacement": _l("Replacements"),
    "refresh": _l("Refresh round"),
}


def feature_label(feature: str | None) -> str:
    if feature is None:
        return ""
    return str(FEATURE_LABELS.get(feature, feature))


def value_label(feature: str | None, value: str | None) -> str:
    if value is None:
        return ""
    return str(CATEGORY_LABELS.get((feature or "", value), value))


def feasibility_message(issue: dict[str, Any]) -> str:
    """One engine feasibility issue (a dict of code and numbers) as a plain sentence."""
    code = issue.get("code", "")
    words = {
        "feature": feature_label(issue.get("feature")),
        "value": value_label(issue.get("feature"), issue.get("value")),
        "needed": issue.get("needed", 0),
        "available": issue.get("available", 0),
        "short": max(int(issue.get("needed", 0) or 0) - int(issue.get("available", 0) or 0), 0),
        "current": issue.get("current", 0),
        "suggested": issue.get("suggested", 0),
        "person": issue.get("person_id", ""),
    }
    if code == "too_few_volunteers":
        return _(
            "%(feature)s – %(value)s: the quotas need at least %(needed)s people but only "
            "%(available)s volunteers are in the pool, %(short)s too few.",
            **words,
        )
    if code == "too_few_households":
        if issue.get("feature"):
            return _(
                "%(feature)s – %(value)s: the quotas need at least %(needed)s people but "
                "volunteers with this value live in only %(available)s households, "
                "%(short)s too few.",
                **words,
            )
        return _(
            "The panel needs %(needed)s people but the pool has only %(available)s "
            "households, %(short)s too few.",
            **words,
        )
    if code == "pool_too_small":
        return _(
            "The panel needs %(needed)s people but the pool has only %(available)s "
            "volunteers, %(short)s too few.",
            **words,
        )
    if code == "minimums_exceed_panel_size":
        return _(
            "%(feature)s: the minimums add up to %(needed)s, more than the panel size of "
            "%(available)s.",
            **words,
        )
    if code == "maximums_below_panel_size":
        return _(
            "%(feature)s: the maximums add up to only %(available)s, fewer than the panel "
            "size of %(needed)s.",
            **words,
        )
    if code == "too_few_volunteers_for_panel":
        return _(
            "%(feature)s: within the maximums only %(available)s volunteers can be chosen, "
            "fewer than the panel size of %(needed)s.",
            **words,
        )
    if code == "quotas_jointly_infeasible":
        return _("Each quota can be met on its own, but not all of them at once.")
    if code == "relax_min":
        return _(
            "%(feature)s – %(value)s: lowering the minimum from %(current)s to %(suggested)s "
            "would make a panel possible.",
            **words,
        )
    if code == "relax_max":
        return _(
            "%(feature)s – %(value)s: raising the maximum from %(current)s to %(suggested)s "
            "would make a panel possible.",
            **words,
        )
    if code == "infeasible_within_flex":
        return _("No small change to the quotas would make a panel possible.")
    if code == "value_without_quota":
        return _(
            "%(feature)s – %(value)s: some volunteers have this value but it has no quota.",
            **words,
        )
    if code == "missing_feature_value":
        return _("%(feature)s: some volunteers have not given an answer.", **words)
    if code in ("min_greater_than_max", "negative_quota"):
        return _("%(feature)s – %(value)s: the quota's minimum and maximum are wrong.", **words)
    if code == "invalid_panel_size":
        return _("The panel size must be at least 1.")
    if code == "panel_exceeds_maximum":
        return _(
            "%(feature)s – %(value)s: the members staying already number %(needed)s, more "
            "than the maximum of %(available)s.",
            **words,
        )
    return _("The selection cannot be made (%(code)s).", code=code)


def file_issue_message(issue: dict[str, Any]) -> str:
    """One pool-file issue (code, row, column, value) as a plain sentence (row given apart)."""
    code = issue.get("code", "")
    words = {"column": issue.get("column", ""), "value": issue.get("value", "")}
    messages = {
        "missing_column": _("The column “%(column)s” is missing.", **words),
        "duplicate_column": _("The column “%(column)s” appears twice.", **words),
        "empty_file": _("The file is empty."),
        "csv_error": _("The file is not a readable CSV file."),
        "empty_id": _("The id is blank."),
        "duplicate_id": _(
            "The id “%(value)s” is used again (first on row %(other)s).",
            value=words["value"],
            other=issue.get("other_row", ""),
        ),
        "empty_feature_value": _("“%(column)s” is blank.", **words),
        "unknown_feature_value": _(
            "“%(value)s” is not one of the values of “%(column)s” in the features file.", **words
        ),
        "extra_cells": _("The row has more cells than the header."),
        "no_people": _("The file has no people in it."),
        "no_quotas": _("The features file has no rows."),
        "empty_feature": _("The feature is blank."),
        "empty_value": _("The value is blank."),
        "duplicate_feature_value": _("This feature and value appear twice."),
        "empty_number": _("“%(column)s” is blank.", **words),
        "not_a_number": _("“%(value)s” in “%(column)s” is not a whole number.", **words),
        "negative_number": _("“%(column)s” must not be negative.", **words),
        "min_greater_than_max": _("The minimum is greater than the maximum."),
        "min_flex_greater_than_min": _("min_flex is greater than the minimum."),
        "max_flex_less_than_max": _("max_flex is less than the maximum."),
    }
    return str(messages.get(code, _("There is a problem (%(code)s).", code=code)))
