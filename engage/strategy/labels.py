"""Translated labels for strategy codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "draft": _l("Draft"),
    "consultation": _l("Out for consultation"),
    "adopted": _l("Adopted"),
}

STATUS_TAG_CLASSES = {
    "draft": "govuk-tag--grey",
    "consultation": "govuk-tag--blue",
    "adopted": "govuk-tag--green",
}

KIND_LABELS = {
    "vision": _l("Vision"),
    "theme": _l("Priority theme"),
    "district": _l("District"),
    "action_plan": _l("Action plan"),
}

RAG_LABELS = {
    "red": _l("Red: off track"),
    "amber": _l("Amber: at risk"),
    "green": _l("Green: on track"),
}

RAG_SHORT = {"red": _l("Red"), "amber": _l("Amber"), "green": _l("Green")}

FORMAT_LABELS = {
    "docx": _l("Word document (DOCX)"),
    "pdf": _l("PDF"),
    "html": _l("Web page (HTML)"),
}

LANGUAGE_LABELS = {"en": "English", "cy": "Cymraeg"}


def label(table: dict[str, object], code: object) -> str:
    key = str(getattr(code, "value", code))
    return str(table.get(key, key))
