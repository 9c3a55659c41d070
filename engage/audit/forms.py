"""Forms for the register and the audit (choices are filled in by the views)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
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

from engage.audit.imports import parse_pence
from engage.core.forms import DayMonthYearField, optional_int


class PenceField(StringField):
    """An amount typed in pounds (1,250.50 or £1250), held as whole pence in ``pence``."""

    pence: int | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.pence = parse_pence(self.data or "")

    def pre_validate(self, form: Any) -> None:
        if self.pence is None:
            raise ValidationError(str(_l("Enter the cost in pounds, like 1250 or 1250.50")))


def _int_list(values: Any) -> int:
    return int(values)


class ActivityForm(FlaskForm):
    organisation_id = SelectField(
        _l("Partner organisation"), widget=GovSelect(), coerce=optional_int,
        validators=[InputRequired(_l("Choose the partner organisation"))],
        invalid_choice_message=_l("Choose a partner organisation from the list"),
    )
    title = StringField(
        _l("Title"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a title")), Length(max=200, message=_l("Title must be 200 characters or fewer"))],
    )
    description = TextAreaField(
        _l("Description (optional)"),
        description=_l("What you are asking and why, so other partners can see if it overlaps with their plans"),
        widget=GovTextArea(), validators=[Optional(), Length(max=5000)],
    )
    method = SelectField(
        _l("Method"), widget=GovSelect(),
        validators=[InputRequired(_l("Choose the method"))],
        invalid_choice_message=_l("Choose a method from the list"),
    )
    theme_ids = SelectMultipleField(
        _l("Themes"), widget=GovCheckboxesInput(), coerce=_int_list,
        validators=[InputRequired(_l("Choose at least one theme"))],
        invalid_choice_message=_l("Choose themes from the list"),
    )
    is_partnership_wide = BooleanField(_l("The whole partnership area"), widget=GovCheckboxInput())
    area_ids = SelectMultipleField(
        _l("Or the districts and wards covered"), widget=GovCheckboxesInput(), coerce=_int_list,
        validators=[Optional()], invalid_choice_message=_l("Choose wards from the list"),
    )
    target_groups = SelectMultipleField(
        _l("Target groups (optional)"),
        description=_l("Leave empty if the activity is open to the general public"),
        widget=GovCheckboxesInput(), validators=[Optional()],
        invalid_choice_message=_l("Choose target groups from the list"),
    )
    start_date = DayMonthYearField(
        _l("Start date"), description=_l("For example, 27 3 2025"),
        validators=[InputRequired(_l("Enter the start date"))],
    )
    end_date = DayMonthYearField(
        _l("End date"), description=_l("The same as the start date for a one-day event"),
        validators=[InputRequired(_l("Enter the end date"))],
    )
    participants = IntegerField(
        _l("Participants reached"), description=_l("0 if you do not know yet"),
        widget=GovTextInput(), default=0,
        validators=[Optional(), NumberRange(min=0, message=_l("Participants must be 0 or more"))],
    )
    cost = PenceField(
        _l("Cost in pounds (optional)"), description=_l("Staff time excluded; for example 1250.50"),
        widget=GovTextInput(), validators=[Optional()],
    )
    status = RadioField(
        _l("Status"), widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose the status"))],
        invalid_choice_message=_l("Choose the status"),
    )
    outcome_statement = TextAreaField(
        _l("Outcome: you said, we did (optional until the results are published)"),
        widget=GovTextArea(), validators=[Optional(), Length(max=10000)],
    )
    outcome_url = StringField(
        _l("Link to the published outcome (optional)"), widget=GovTextInput(),
        validators=[Optional(), Length(max=500)],
    )
    outcome_published_on = DayMonthYearField(
        _l("Date the outcome was published (optional)"),
        description=_l("Today is used when you mark the results published and leave this empty"),
        validators=[Optional()],
    )
    is_shared_with_partners = BooleanField(
        _l("Partners may see the results"), widget=GovCheckboxInput(), default=True
    )
    contact_name = StringField(
        _l("Contact name (optional)"), widget=GovTextInput(), validators=[Optional(), Length(max=120)]
    )
    contact_email = StringField(
        _l("Contact email address (optional)"), widget=GovTextInput(),
        validators=[Optional(), Length(max=254)],
    )
    submit = SubmitField(_l("Save activity"), widget=GovSubmitInput())


class ConfirmDeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete activity"), widget=GovSubmitInput())


class RegisterFilterForm(FlaskForm):
    """The register's filters: a plain GET form (no CSRF token in the address)."""

    class Meta:
        csrf = False

    q = StringField(_l("Title contains"), widget=GovTextInput(), validators=[Optional(), Length(max=100)])
    organisation = SelectField(_l("Partner"), widget=GovSelect(), coerce=optional_int, validators=[Optional()])
    theme = SelectField(_l("Theme"), widget=GovSelect(), coerce=optional_int, validators=[Optional()])
    ward = SelectField(_l("Ward"), widget=GovSelect(), coerce=optional_int, validators=[Optional()])
    method = SelectField(_l("Method"), widget=GovSelect(), validators=[Optional()])
    target_group = SelectField(_l("Target group"), widget=GovSelect(), validators=[Optional()])
    status = SelectField(_l("Status"), widget=GovSelect(), validators=[Optional()])
    date_from = DayMonthYearField(_l("Running on or after"), validators=[Optional()])
    date_to = DayMonthYearField(_l("Running on or before"), validators=[Optional()])
    submit = SubmitField(_l("Apply filters"), widget=GovSubmitInput())


class CouncillorFilterForm(FlaskForm):
    """A councillor's page: one of their wards, or all of them (a plain GET form)."""

    class Meta:
        csrf = False

    ward = SelectField(_l("Ward"), widget=GovSelect(), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Apply filters"), widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField(
        _l("Register file (CSV or XLSX)"),
        description=_l("One row per activity, with the columns of the template"),
        widget=GovFileInput(),
        validators=[
            FileRequired(_l("Choose a CSV or XLSX file")),
            FileAllowed(["csv", "xlsx"], _l("The file must be a CSV or an XLSX workbook")),
        ],
    )
    submit = SubmitField(_l("Import activities"), widget=GovSubmitInput())


class DuplicateSettingsForm(FlaskForm):
    class Meta:
        csrf = False

    window = IntegerField(
        _l("Days apart"), description=_l("Largest gap between two activities to compare them"),
        widget=GovTextInput(), default=90,
        validators=[Optional(), NumberRange(min=0, max=730, message=_l("Enter a number of days from 0 to 730"))],
    )
    min_score = SelectField(_l("How alike"), widget=GovSelect(), default="0.6", validators=[Optional()])
    submit = SubmitField(_l("Show pairs"), widget=GovSubmitInput())


class DuplicateReviewForm(FlaskForm):
    first_id = IntegerField(validators=[InputRequired()])
    second_id = IntegerField(validators=[InputRequired()])
    decision = SelectField(validators=[InputRequired()])
    note = StringField(validators=[Optional(), Length(max=2000)])


class CoverageForm(FlaskForm):
    class Meta:
        csrf = False

    months = SelectField(_l("Period"), widget=GovSelect(), default="24", validators=[Optional()])
    area = SelectField(_l("Area"), widget=GovSelect(), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Show coverage"), widget=GovSubmitInput())


class FeedbackForm(FlaskForm):
    class Meta:
        csrf = False

    overdue = IntegerField(
        _l("Outcome overdue after (days)"), widget=GovTextInput(), default=90,
        validators=[Optional(), NumberRange(min=0, max=730, message=_l("Enter a number of days from 0 to 730"))],
    )
    submit = SubmitField(_l("Show"), widget=GovSubmitInput())


class RatingForm(FlaskForm):
    dimension = RadioField(
        _l("Dimension"), widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose a dimension"))],
        invalid_choice_message=_l("Choose a dimension"),
    )
    rating = RadioField(
        _l("Rating"), widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose red, amber or green"))],
        invalid_choice_message=_l("Choose red, amber or green"),
    )
    evidence = TextAreaField(
        _l("Evidence"), description=_l("What shows this rating is right: documents, results, dates"),
        widget=GovTextArea(), validators=[InputRequired(_l("Enter the evidence for this rating")), Length(max=10000)],
    )
    assessed_on = DayMonthYearField(
        _l("Date of the assessment"), description=_l("For example, 27 3 2025"),
        validators=[InputRequired(_l("Enter the date of the assessment"))],
    )
    submit = SubmitField(_l("Save rating"), widget=GovSubmitInput())


class VocabularyForm(FlaskForm):
    name = StringField(
        _l("Name"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a name")), Length(max=200)],
    )
    name_cy = StringField(
        _l("Name in Welsh (optional)"), widget=GovTextInput(), validators=[Optional(), Length(max=200)]
    )
    submit = SubmitField(_l("Add"), widget=GovSubmitInput())


class VocabularyToggleForm(FlaskForm):
    code = StringField(validators=[InputRequired(), Length(max=60)])
    is_active = StringField(validators=[Optional()])
