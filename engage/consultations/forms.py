"""Forms for building consultations, coding answers and writing outcomes.

Residents' question pages are not WTForms: their fields are the consultation's questions,
validated by the question type classes (question_types.py).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from engage.core.forms import DayMonthYearField, optional_int
from engage.core.time import LONDON

TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def _valid_time(_form: Any, field: Any) -> None:
    if field.data and not TIME_PATTERN.match(field.data.strip()):
        raise ValidationError(str(_l("Enter a time in the 24-hour clock, like 09:00 or 23:59")))


def london_to_utc(day: date | None, clock: str | None, default: str) -> datetime | None:
    """A date and a 24-hour time in Europe/London as a UTC instant."""
    if day is None:
        return None
    match = TIME_PATTERN.match((clock or default).strip())
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    return datetime.combine(day, time(hours, minutes), tzinfo=LONDON).astimezone(UTC)


def utc_to_london(moment: datetime | None) -> tuple[date | None, str]:
    if moment is None:
        return None, ""
    local = moment.astimezone(LONDON)
    return local.date(), local.strftime("%H:%M")


class ConsultationForm(FlaskForm):
    title = StringField(
        _l("Title"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a title")), Length(max=200)],
    )
    title_cy = StringField(
        _l("Title in Welsh (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l("What the consultation is about and what will happen with the answers"),
        widget=GovTextArea(),
        validators=[InputRequired(_l("Enter a summary")), Length(max=5000)],
    )
    summary_cy = TextAreaField(
        _l("Summary in Welsh (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000)],
    )
    organisation = SelectField(
        _l("Organisation running it"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[InputRequired(_l("Choose the organisation running the consultation"))],
        invalid_choice_message=_l("Choose the organisation running the consultation"),
    )
    audience = RadioField(
        _l("Who can respond"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose who can respond"))],
        invalid_choice_message=_l("Choose who can respond"),
    )
    allows_anonymous = BooleanField(
        _l("Allow responses without signing in (only when everyone can respond)"),
        widget=GovCheckboxInput(),
    )
    has_equality_section = BooleanField(
        _l("Include the standard equality monitoring questions"),
        widget=GovCheckboxInput(),
        default=True,
    )
    themes = SelectMultipleField(
        _l("Themes"),
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[Optional()],
        invalid_choice_message=_l("Choose themes from the list"),
    )
    wards = SelectMultipleField(
        _l("Wards"),
        description=_l("Leave empty for the whole partnership area"),
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[Optional()],
        invalid_choice_message=_l("Choose wards from the list"),
    )
    opens_on = DayMonthYearField(_l("Opens on"), validators=[Optional()])
    opens_time = StringField(
        _l("Opening time"),
        description=_l("24-hour clock, UK time, like 09:00"),
        widget=GovTextInput(),
        default="09:00",
        validators=[Optional(), _valid_time],
    )
    closes_on = DayMonthYearField(_l("Closes on"), validators=[Optional()])
    closes_time = StringField(
        _l("Closing time"),
        description=_l("24-hour clock, UK time, like 23:59"),
        widget=GovTextInput(),
        default="23:59",
        validators=[Optional(), _valid_time],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    kind = RadioField(
        _l("Type of question"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose a type of question"))],
        invalid_choice_message=_l("Choose a type of question"),
    )
    text = TextAreaField(
        _l("Question"),
        widget=GovTextArea(),
        validators=[InputRequired(_l("Enter the question")), Length(max=1000)],
    )
    text_cy = TextAreaField(
        _l("Question in Welsh (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=1000)],
    )
    help_text = TextAreaField(
        _l("Help text (optional)"), widget=GovTextArea(), validators=[Optional(), Length(max=2000)]
    )
    help_text_cy = TextAreaField(
        _l("Help text in Welsh (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000)],
    )
    is_required = BooleanField(_l("People must answer this question"), widget=GovCheckboxInput())
    page = IntegerField(
        _l("Page"),
        description=_l("Questions with the same page number are shown together"),
        widget=GovTextInput(),
        default=1,
        validators=[
            InputRequired(_l("Enter a page number")),
            NumberRange(min=1, max=50, message=_l("The page must be a number from 1 to 50")),
        ],
    )
    options = TextAreaField(
        _l("Options (choice, ranking and points questions)"),
        description=_l("One option on each line"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=6000)],
    )
    options_cy = TextAreaField(
        _l("Options in Welsh (optional)"),
        description=_l("One on each line, in the same order as the English options"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=6000)],
    )
    max_choices = IntegerField(
        _l("Most options people can choose (multiple choice)"),
        widget=GovTextInput(),
        validators=[Optional()],
    )
    max_length = IntegerField(
        _l("Most characters allowed (free text)"),
        widget=GovTextInput(),
        validators=[Optional()],
    )
    points = IntegerField(
        _l("Points to share out (points questions)"),
        widget=GovTextInput(),
        validators=[Optional()],
    )
    min_value = StringField(
        _l("Smallest number allowed (number questions)"),
        widget=GovTextInput(),
        validators=[Optional()],
    )
    max_value = StringField(
        _l("Largest number allowed (number questions)"),
        widget=GovTextInput(),
        validators=[Optional()],
    )
    whole_numbers = BooleanField(
        _l("Whole numbers only (number questions)"), widget=GovCheckboxInput()
    )
    submit = SubmitField(_l("Save question"), widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    we_asked = TextAreaField(
        _l("We asked"), widget=GovTextArea(), validators=[Optional(), Length(max=5000)]
    )
    we_asked_cy = TextAreaField(
        _l("We asked, in Welsh (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000)],
    )
    you_said = TextAreaField(
        _l("You said"), widget=GovTextArea(), validators=[Optional(), Length(max=5000)]
    )
    you_said_cy = TextAreaField(
        _l("You said, in Welsh (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000)],
    )
    we_did = TextAreaField(
        _l("We did"), widget=GovTextArea(), validators=[Optional(), Length(max=5000)]
    )
    we_did_cy = TextAreaField(
        _l("We did, in Welsh (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField(_l("Save outcome"), widget=GovSubmitInput())


class CodeForm(FlaskForm):
    label = StringField(
        _l("Code"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a name for the code")), Length(max=120)],
    )
    label_cy = StringField(
        _l("Code in Welsh (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=120)],
    )
    description = TextAreaField(
        _l("What it covers (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=1000)],
    )
    theme = SelectField(
        _l("Theme (optional)"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[Optional()],
        invalid_choice_message=_l("Choose a theme from the list"),
    )
    submit = SubmitField(_l("Add code"), widget=GovSubmitInput())


class RedactForm(FlaskForm):
    phrases = TextAreaField(
        _l("Words to redact"),
        description=_l(
            "Copy the personal details exactly as written, one on each line. Each is replaced with [redacted]."
        ),
        widget=GovTextArea(),
        validators=[
            InputRequired(_l("Enter the words to redact, one on each line")),
            Length(max=2000),
        ],
    )
    submit = SubmitField(_l("Redact"), widget=GovSubmitInput())


class GroupCodeForm(FlaskForm):
    code = SelectField(
        _l("Code"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[InputRequired(_l("Choose a code"))],
        invalid_choice_message=_l("Choose a code from the list"),
    )
    submit = SubmitField(_l("Code all answers in this group"), widget=GovSubmitInput())


def option_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
