"""Translated labels for the codes the aggregation and the evidence sources return."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "panel_survey": _l("Citizens' panel survey"),
    "partner_dataset": _l("Partner dataset"),
    "consultation": _l("Consultation"),
    "budgeting": _l("Participatory budgeting"),
}

KIND_WEIGHT_REASONS = {
    "panel_survey": _l(
        "Panel members are recruited to match the population and their answers are weighted, "
        "so panel surveys count in full."
    ),
    "partner_dataset": _l(
        "Partners' surveys and service data are often sound samples, but their questions may "
        "only stand in for what residents think matters most."
    ),
    "consultation": _l(
        "People choose to respond to consultations. Weighting corrects the mix of ages, sexes "
        "and other groups, but not who cares enough to take part, so they count half."
    ),
    "budgeting": _l(
        "People choose to vote in participatory budgeting and choose between particular "
        "projects, so votes count half."
    ),
}

MEASURE_LABELS = {
    "top_priority": _l("Share naming the theme a top priority"),
    "points_share": _l("Share of points allocated to the theme"),
    "votes_share": _l("Share of voters backing a project in the theme"),
    "dissatisfied": _l("Share dissatisfied"),
    "concerned": _l("Share concerned"),
    "agree_priority": _l("Share agreeing it should be a priority"),
    "mentioned": _l("Share raising the theme in their own words"),
    "disagree": _l("Share disagreeing"),
    "not_positive": _l("Share not giving a positive answer"),
}

STRENGTH_LABELS = {
    "strong": _l("Strong"),
    "moderate": _l("Moderate"),
    "limited": _l("Limited"),
}

DIRECTION_LABELS = {
    "higher": _l("Higher than the wider area"),
    "lower": _l("Lower than the wider area"),
    "similar": _l("Similar to the wider area"),
}

SKIP_LABELS = {
    "unknown_area": _l("Area outside this partnership"),
    "after_as_of": _l("Dated after the calculation date"),
    "empty_base": _l("Nobody answered"),
}

LEVEL_LABELS = {
    "ward": _l("Ward"),
    "district": _l("District"),
    "partnership": _l("Whole partnership"),
}


def label(table: dict[str, object], code: object) -> str:
    """The translated label of a code (the code itself when unknown)."""
    key = str(getattr(code, "value", code))
    return str(table.get(key, key))
