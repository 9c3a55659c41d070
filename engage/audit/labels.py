"""Translated labels and sentences for the register and audit (codes are stored and computed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage.audit.coverage import GENERAL_PUBLIC
from engage.audit.overlap import Reason, ReasonCode

METHOD_LABELS = {
    "survey": _l("Survey"),
    "focus_group": _l("Focus group"),
    "public_meeting": _l("Public meeting"),
    "citizens_panel": _l("Citizens' panel"),
    "online_consultation": _l("Online consultation"),
    "participatory_budgeting": _l("Participatory budgeting"),
    "workshop": _l("Workshop"),
    "door_to_door": _l("Door-to-door"),
    "user_forum": _l("User forum"),
    "other": _l("Other method"),
}

STATUS_LABELS = {
    "planned": _l("Planned"),
    "live": _l("Live"),
    "closed": _l("Closed"),
    "results_published": _l("Results published"),
}

STATUS_TAG_CLASSES = {
    "planned": "govuk-tag--grey",
    "live": "govuk-tag--blue",
    "closed": "govuk-tag--yellow",
    "results_published": "govuk-tag--green",
}

# The target groups every partnership starts with (code, English label).
DEFAULT_TARGET_GROUPS = {
    "young_people": _l("Young people"),
    "older_people": _l("Older people"),
    "ethnic_minority": _l("Ethnic minority communities"),
    "disabled_people": _l("Disabled people"),
    "carers": _l("Carers"),
    "businesses": _l("Businesses"),
    "tenants": _l("Tenants"),
    "faith_groups": _l("Faith groups"),
    "lgbtq_people": _l("LGBTQ+ people"),
    "families": _l("Parents and families"),
    "rural_residents": _l("Rural residents"),
}

GENERAL_PUBLIC_LABEL = _l("General public")

DIMENSION_LABELS = {
    "leadership_and_governance": _l("Leadership and governance"),
    "community_engagement": _l("Community engagement"),
    "delivery": _l("Delivery"),
    "performance_management": _l("Performance management"),
    "partner_involvement": _l("Partner involvement"),
    "communications": _l("Communications"),
}

RATING_LABELS = {"red": _l("Red"), "amber": _l("Amber"), "green": _l("Green")}

TREND_LABELS = {
    "improving": _l("Improving"),
    "steady": _l("Steady"),
    "worsening": _l("Worsening"),
    "not_enough_data": _l("Not enough data"),
}

DECISION_LABELS = {
    "coordinate": _l("Coordinate"),
    "merged": _l("Merged"),
    "not_duplicate": _l("Not a duplicate"),
}

DECISION_HINTS = {
    "coordinate": _l("Both go ahead, and the partners will share questions and results"),
    "merged": _l("The partners have combined them into one exercise"),
    "not_duplicate": _l("They are different enough to run separately"),
}


def label(table: Mapping[str, object], code: object) -> str:
    key = str(getattr(code, "value", code))
    return str(table.get(key, key))


def method_label(code: object) -> str:
    return label(METHOD_LABELS, code)


def status_label(code: object) -> str:
    return label(STATUS_LABELS, code)


def _names(names: Sequence[str], limit: int = 6) -> str:
    shown = list(names[:limit])
    if len(names) > limit:
        shown.append("…")
    return ", ".join(shown)


def reason_sentence(
    reason: Reason,
    theme_name: Callable[[int], str],
    ward_name: Callable[[int], str],
    group_name: Callable[[str], str],
) -> str:
    """One plain sentence saying why a pair was flagged, in the page's language."""
    code = reason.code
    if code is ReasonCode.SAME_THEMES:
        return _("Both are about: %(themes)s", themes=_names([theme_name(i) for i in reason.ids]))
    if code is ReasonCode.SAME_WARDS:
        return _(
            "Wards both cover (%(count)d): %(wards)s",
            count=len(reason.ids),
            wards=_names(sorted(ward_name(i) for i in reason.ids)),
        )
    if code is ReasonCode.SAME_GROUPS:
        return _("Both are aimed at: %(groups)s", groups=_names([group_name(c) for c in reason.codes]))
    if code is ReasonCode.BOTH_GENERAL_PUBLIC:
        return _("Both are open to the general public")
    if code is ReasonCode.GENERAL_AND_TARGETED:
        return _(
            "One is open to everyone; the other is aimed at: %(groups)s",
            groups=_names([group_name(c) for c in reason.codes]),
        )
    if code is ReasonCode.DATES_WITHIN:
        if not reason.days:
            return _("They run at the same time")
        return _("Days between them: %(days)d", days=reason.days)
    if code is ReasonCode.SIMILAR_TEXT:
        return _(
            "Their titles and descriptions are similar (%(percent)d%% alike)",
            percent=round(100 * (reason.score or 0.0)),
        )
    if code is ReasonCode.SAME_METHOD:
        return _("Both use the same method: %(method)s", method=method_label(reason.codes[0]))
    return str(code)


def general_public_or(code: str, group_name: Callable[[str], str]) -> str:
    return str(GENERAL_PUBLIC_LABEL) if code == GENERAL_PUBLIC else group_name(code)
