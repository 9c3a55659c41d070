"""Translated labels for the codes the consultations domain stores."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from engage.core.time import as_utc
from engage.partnerships.labels import category_label as census_category_label

PHASE_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Not open yet"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "outcome_published": _l("Outcome published"),
}

AUDIENCE_LABELS = {
    "everyone": _l("Everyone"),
    "wards": _l("Residents of chosen wards"),
    "panel": _l("Citizens' panel members only"),
}

CHANNEL_LABELS = {
    "online": _l("Online"),
    "paper": _l("Paper"),
}

RESPONSE_STATUS_LABELS = {
    "draft": _l("Not sent yet"),
    "submitted": _l("Sent"),
}

# Five-point agree/disagree scale: codes are the score, 5 = strongly agree.
SCALE_CODES = ("5", "4", "3", "2", "1")
SCALE_LABELS = {
    "5": _l("Strongly agree"),
    "4": _l("Agree"),
    "3": _l("Neither agree nor disagree"),
    "2": _l("Disagree"),
    "1": _l("Strongly disagree"),
}

YES_NO_LABELS = {"yes": _l("Yes"), "no": _l("No")}

PREFER_NOT_TO_SAY = "prefer_not_to_say"

# The standard equality-monitoring section: feature → category codes offered, in order.
EQUALITY_CATEGORIES: dict[str, tuple[str, ...]] = {
    "age_band": ("0-15", "16-24", "25-44", "45-64", "65-74", "75+", PREFER_NOT_TO_SAY),
    "sex": ("female", "male", PREFER_NOT_TO_SAY),
    "ethnicity": (
        "white_british",
        "white_other",
        "mixed",
        "asian",
        "black",
        "other",
        PREFER_NOT_TO_SAY,
    ),
    "disability": ("disabled", "not_disabled", PREFER_NOT_TO_SAY),
}
SPECIAL_CATEGORY_FEATURES = ("ethnicity", "disability")

EQUALITY_QUESTIONS = {
    "age_band": _l("What is your age?"),
    "sex": _l("What is your sex?"),
    "ethnicity": _l("What is your ethnic group?"),
    "disability": _l(
        "Do you have a physical or mental health condition or illness that reduces your ability to carry out day-to-day activities?"
    ),
}

_OWN_CATEGORY_LABELS = {
    ("age_band", "0-15"): _l("Under 16"),
    ("disability", "disabled"): _l("Yes"),
    ("disability", "not_disabled"): _l("No"),
}


def label(table: dict[str, object], code: object) -> str:
    key = getattr(code, "value", code)
    return str(table.get(str(key), key))


def equality_label(feature: str, category: str | None, *, answer: bool = False) -> str:
    """A category of the equality section; ``answer`` gives the wording residents choose from."""
    if category is None:
        return str(_l("Not answered"))
    if category == PREFER_NOT_TO_SAY:
        return str(_l("Prefer not to say"))
    if answer and (feature, category) in _OWN_CATEGORY_LABELS:
        return str(_OWN_CATEGORY_LABELS[(feature, category)])
    if feature == "age_band" and category == "0-15":
        return str(_OWN_CATEGORY_LABELS[(feature, category)])
    return census_category_label(feature, category)


def show_when(moment: datetime | None) -> str:
    """A UTC instant as a UK date and 24-hour time, in the page's language: 10 March 2026, 23:59."""
    if moment is None:
        return ""
    return str(format_datetime(as_utc(moment), "d MMMM yyyy, HH:mm"))


def phase_label(code: object) -> str:
    return label(PHASE_LABELS, code)


def audience_label(code: object) -> str:
    return label(AUDIENCE_LABELS, code)


def channel_label(code: object) -> str:
    return label(CHANNEL_LABELS, code)
