"""Translated labels for the codes partner intelligence stores and its pure modules return."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

SHARING_LABELS = {
    "organisation": _l("Only my organisation"),
    "partnership": _l("Everyone working in the partnership"),
    "public": _l("Public: residents of the partnership too"),
}

SHORT_SHARING_LABELS = {
    "organisation": _l("Own organisation"),
    "partnership": _l("Partnership"),
    "public": _l("Public"),
}

SHAPE_LABELS = {
    "respondent": _l("Respondent-level: one row per person who answered"),
    "aggregate": _l("Aggregate: indicator, area, value, base and period"),
}

SHORT_SHAPE_LABELS = {
    "respondent": _l("Respondent-level"),
    "aggregate": _l("Aggregate"),
}

ROLE_LABELS = {
    "ignore": _l("Do not import"),
    "question": _l("Question (answers)"),
    "ward_code": _l("Ward GSS code"),
    "ward_name": _l("Ward name"),
    "postcode_district": _l("Postcode district"),
    "weight": _l("Weight"),
    "demographic": _l("Demographic"),
    "indicator": _l("Indicator"),
    "area": _l("Area (GSS code or name)"),
    "value": _l("Value"),
    "base": _l("Base (n)"),
    "period": _l("Period"),
}

SCALE_LABELS = {
    "none": _l("No order (count each answer)"),
    "agree": _l("Agree to disagree"),
    "satisfied": _l("Satisfied to dissatisfied"),
}

POINT_LABELS = {
    "strongly_agree": _l("Strongly agree"),
    "agree": _l("Agree"),
    "neither": _l("Neither"),
    "disagree": _l("Disagree"),
    "strongly_disagree": _l("Strongly disagree"),
    "very_satisfied": _l("Very satisfied"),
    "satisfied": _l("Satisfied"),
    "dissatisfied": _l("Dissatisfied"),
    "very_dissatisfied": _l("Very dissatisfied"),
    "dont_know": _l("Don't know"),
}

GROUP_LABELS = {
    ("agree", "positive"): _l("Agree"),
    ("agree", "neutral"): _l("Neither"),
    ("agree", "negative"): _l("Disagree"),
    ("agree", "dont_know"): _l("Don't know"),
    ("satisfied", "positive"): _l("Satisfied"),
    ("satisfied", "neutral"): _l("Neither"),
    ("satisfied", "negative"): _l("Dissatisfied"),
    ("satisfied", "dont_know"): _l("Don't know"),
}

UNIT_LABELS = {
    "percent": _l("Percentage"),
    "count": _l("Count"),
    "rate": _l("Rate"),
    "score": _l("Score or other value"),
}

IMPORT_STATUS_LABELS = {
    "mapping": _l("Mapping columns"),
    "queued": _l("Waiting to start"),
    "validating": _l("Checking every row"),
    "loading": _l("Importing"),
    "done": _l("Imported"),
    "failed": _l("Not imported: problems in the file"),
    "error": _l("Stopped: nothing was imported"),
}

STATUS_LABELS = {
    "draft": _l("No data yet"),
    "ready": _l("Published"),
}

REASON_LABELS = {
    "primary": _l("Fewer than the disclosure threshold"),
    "secondary": _l("Hidden so a small number cannot be worked out"),
    "small_base": _l("Too few respondents"),
    "empty_base": _l("No respondents"),
    "small_numerator": _l("Fewer than the disclosure threshold"),
}

MAPPING_PROBLEMS = {
    "role_not_for_shape": _l("A column has a role that this kind of dataset cannot use"),
    "repeated_ward_code": _l("Only one column can hold the ward GSS code"),
    "repeated_ward_name": _l("Only one column can hold the ward name"),
    "repeated_postcode_district": _l("Only one column can hold the postcode district"),
    "repeated_weight": _l("Only one column can hold the weight"),
    "repeated_indicator": _l("Only one column can hold the indicator"),
    "repeated_area": _l("Only one column can hold the area"),
    "repeated_value": _l("Only one column can hold the value"),
    "repeated_base": _l("Only one column can hold the base"),
    "repeated_period": _l("Only one column can hold the period"),
    "needs_one_area_column": _l("Choose exactly one column for the ward: its GSS code, its name or a postcode district"),
    "needs_questions": _l("Choose at least one question column"),
    "demographic_needs_feature": _l("Choose what each demographic column describes"),
    "repeated_feature": _l("Each demographic can only come from one column"),
    "point_not_on_scale": _l("An answer is mapped to a point that is not on its question's scale"),
    "too_many_answers": _l("A question column has too many different answers: treat it as \"Do not import\""),
    "needs_indicator": _l("Choose the indicator column"),
    "needs_area": _l("Choose the area column"),
    "needs_value": _l("Choose the value column"),
    "too_many_areas": _l("The area column has too many different values to list: check it is the right column"),
    "blank_areas": _l("Some rows have no area: fill them in, or remove those rows, and upload the file again"),
}

UNREADABLE = {
    "encoding": _l("The file must be saved as UTF-8 or Windows-1252 text"),
    "utf16": _l("The file is saved as UTF-16: save it as CSV UTF-8 and upload it again"),
    "binary": _l("The file is not a CSV: save it as CSV UTF-8 or as an Excel workbook (.xlsx)"),
    "format": _l("The file must be a CSV or an Excel workbook (.xlsx)"),
    "xlsx": _l("The workbook could not be read: save it again as .xlsx and upload it"),
    "empty": _l("The file is empty"),
    "no_header": _l("The file has no header row"),
    "unreadable": _l("The file could not be read"),
}

FEATURE_CHOICES = {
    "age_band": _l("Age"),
    "sex": _l("Sex"),
    "ethnicity": _l("Ethnic group"),
    "disability": _l("Disability"),
    "tenure": _l("Housing tenure"),
}


def label(table: dict[Any, Any], code: object) -> str:
    key = getattr(code, "value", code)
    return str(table.get(key, key if key is not None else ""))


def unreadable_message(code: str) -> str:
    return str(UNREADABLE.get(code, UNREADABLE["unreadable"]))


def column_label(scale: object, group: str) -> str:
    key = (str(getattr(scale, "value", scale)), group)
    return str(GROUP_LABELS.get(key, group))


def row_error_message(error: dict[str, Any]) -> str:
    """The user's words for one row problem the importer recorded as a code."""
    code = error.get("code")
    value = str(error.get("value", ""))[:80]
    if code == "too_many_cells":
        return _("This row has %(found)d cells but the header has %(expected)d",
                 found=int(error.get("found", 0)), expected=int(error.get("expected", 0)))
    if code == "area_blank":
        return _("Enter the area")
    if code == "area_unknown":
        return _("\"%(value)s\" is not an area we know: map it on the mapping page or fix the file",
                 value=value)
    if code == "weight":
        return _("The weight must be a number above 0, not \"%(value)s\"", value=value)
    if code == "answer_not_mapped":
        return _("The answer \"%(value)s\" is not in the mapping", value=value)
    if code == "indicator_blank":
        return _("Enter the indicator")
    if code == "too_many_indicators":
        return _("The file has more than %(limit)d different indicators",
                 limit=int(error.get("limit", 0)))
    if code == "value":
        return _("The value must be a number, not \"%(value)s\"", value=value)
    if code == "base":
        return _("The base must be a whole number, not \"%(value)s\"", value=value)
    if code == "period_too_long":
        return _("The period must be 60 characters or fewer")
    if code == "duplicate":
        return _("The same indicator, area and period are in row %(row)d",
                 row=int(error.get("other", 0)))
    if code == "no_rows":
        return _("The file has no rows")
    if code == "all_rows_dropped":
        return _("Every row was dropped: there is nothing to import")
    if code == "more_errors":
        return _("Checking stopped after %(limit)d problems: fix these and upload the file again",
                 limit=int(error.get("limit", 0)))
    if code == "stopped":
        return _("The import stopped unexpectedly. Nothing was imported: try again")
    return unreadable_message(str(code))
