"""Languages: English (formatted as en_GB) and Welsh (cy)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

LANGUAGES = ("en", "cy")
LANGUAGE_COOKIE = "engage_lang"


def select_locale() -> str:
    """The user's saved choice, then the language-switch cookie, then Accept-Language."""
    choice: str | None = None
    if getattr(current_user, "is_authenticated", False):
        choice = getattr(current_user, "locale", None)
    if choice not in LANGUAGES:
        choice = request.cookies.get(LANGUAGE_COOKIE)
    if choice not in LANGUAGES:
        choice = request.accept_languages.best_match(LANGUAGES, default="en")
    # English is formatted the British way; the html lang stays "en".
    return "cy" if choice == "cy" else "en_GB"


def current_language() -> str:
    """ "en" or "cy", for html lang and for choosing bilingual fields."""
    locale = get_locale()
    return "cy" if locale is not None and locale.language == "cy" else "en"


def show_datetime(moment: datetime | None, style: str = "medium") -> str:
    """A UTC timestamp shown in Europe/London in the user's language."""
    if moment is None:
        return ""
    return format_datetime(moment, style)


def show_date(day: date | datetime | None, style: str = "long") -> str:
    if day is None:
        return ""
    return format_date(day, style)


def localised(record: Any) -> str:
    """A record's Welsh name when the page is in Welsh and it has one."""
    display = getattr(record, "display_name", None)
    if callable(display):
        return str(display(current_language()))
    return str(record)
