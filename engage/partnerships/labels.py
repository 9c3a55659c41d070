"""Translated labels for demographic features and categories (codes are stored)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FEATURE_LABELS = {
    "age_band": _l("Age"),
    "sex": _l("Sex"),
    "ethnicity": _l("Ethnic group"),
    "disability": _l("Disability"),
    "tenure": _l("Housing tenure"),
}

CATEGORY_LABELS = {
    ("age_band", "0-15"): _l("0 to 15"),
    ("age_band", "16-24"): _l("16 to 24"),
    ("age_band", "25-44"): _l("25 to 44"),
    ("age_band", "45-64"): _l("45 to 64"),
    ("age_band", "65-74"): _l("65 to 74"),
    ("age_band", "75+"): _l("75 and over"),
    ("sex", "female"): _l("Female"),
    ("sex", "male"): _l("Male"),
    ("ethnicity", "white_british"): _l("White British"),
    ("ethnicity", "white_other"): _l("Other White"),
    ("ethnicity", "mixed"): _l("Mixed or multiple ethnic groups"),
    ("ethnicity", "asian"): _l("Asian or Asian British"),
    ("ethnicity", "black"): _l("Black, Black British, Caribbean or African"),
    ("ethnicity", "other"): _l("Other ethnic group"),
    ("disability", "disabled"): _l("Disabled"),
    ("disability", "not_disabled"): _l("Not disabled"),
    ("tenure", "owned"): _l("Owns their home"),
    ("tenure", "social_rented"): _l("Social rented"),
    ("tenure", "private_rented"): _l("Private rented"),
    ("tenure", "other"): _l("Other tenure"),
}

SECTOR_LABELS = {
    "public": _l("Public sector"),
    "private": _l("Private sector"),
    "voluntary": _l("Voluntary sector"),
    "community": _l("Community group"),
    "faith": _l("Faith group"),
    "academic": _l("Academic"),
}

ROLE_LABELS = {
    "resident": _l("Resident"),
    "councillor": _l("Councillor"),
    "partner_officer": _l("Partner officer"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}

KIND_LABELS = {
    "county": _l("County partnership"),
    "district": _l("District partnership"),
    "unitary": _l("Unitary partnership"),
    "thematic": _l("Thematic sub-partnership"),
}

LEVEL_LABELS = {
    "county": _l("County"),
    "district": _l("District"),
    "ward": _l("Ward"),
    "parish": _l("Parish"),
}


def feature_label(feature: str) -> str:
    return str(FEATURE_LABELS.get(feature, feature))


def category_label(feature: str, category: str) -> str:
    return str(CATEGORY_LABELS.get((feature, category), category))


def label(table: dict[str, object], code: object) -> str:
    key = getattr(code, "value", code)
    return str(table.get(str(key), key))
