"""Forms for priorities settings and evidence entered by hand (choices filled in by the views)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from engage.core.forms import DayMonthYearField, optional_int


def _weight_field(label: Any) -> DecimalField:
    return DecimalField(
        label,
        places=None,
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter a weight from 0 to 1")),
            NumberRange(0, 1, _l("Enter a weight from 0 to 1")),
        ],
    )


class WeightsForm(FlaskForm):
    weight_panel_survey = _weight_field(_l("Citizens' panel surveys"))
    weight_partner_dataset = _weight_field(_l("Partner datasets"))
    weight_consultation = _weight_field(_l("Consultations"))
    weight_budgeting = _weight_field(_l("Participatory budgeting"))
    half_life_days = IntegerField(
        _l("Half-life of evidence, in days"),
        description=_l(
            "Evidence counts half as much after this many days. Leave empty to give old "
            "evidence the same weight as new."
        ),
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(30, 7300, _l("Enter a number of days from 30 to 7,300")),
        ],
    )
    submit = SubmitField(_l("Save weights"), widget=GovSubmitInput())


class SourceWeightForm(FlaskForm):
    source_id = StringField(validators=[InputRequired(), Length(max=160)])
    weight = DecimalField(
        _l("Weight for this source"),
        places=None,
        description=_l("From 0 to 1. Leave empty to use the weight for its kind of source."),
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(0, 1, _l("Enter a weight from 0 to 1"))],
    )
    submit = SubmitField(_l("Save weight"), widget=GovSubmitInput())


class EnteredEvidenceForm(FlaskForm):
    title = StringField(
        _l("Name of the survey or report"),
        description=_l("For example, Residents' survey 2024"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the name of the survey or report")), Length(max=200)],
    )
    source_kind = RadioField(
        _l("What kind of evidence is it?"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose what kind of evidence it is"))],
        invalid_choice_message=_l("Choose what kind of evidence it is"),
    )
    organisation = SelectField(
        _l("Partner who collected it (optional)"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[Optional()],
    )
    collected_on = DayMonthYearField(
        _l("When were the answers collected?"),
        description=_l("The last day of fieldwork, for example 27 3 2025"),
        validators=[InputRequired(_l("Enter the date the answers were collected"))],
    )
    method = TextAreaField(
        _l("How it was collected (optional)"),
        description=_l("Who was asked, how they were chosen, and the question wording"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000)],
    )
    link = StringField(
        _l("Link to the published results (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=500)],
    )
    design_effect = DecimalField(
        _l("Design effect"),
        places=None,
        default=1,
        description=_l(
            "If the survey reports a design effect for its weighting, enter it; otherwise leave 1."
        ),
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter a design effect from 1 to 20")),
            NumberRange(1, 20, _l("Enter a design effect from 1 to 20")),
        ],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class FigureForm(FlaskForm):
    theme = SelectField(
        _l("Theme"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[InputRequired(_l("Choose a theme"))],
    )
    area = SelectField(
        _l("Area"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[Optional()],
    )
    measure = SelectField(
        _l("What the figure measures"),
        widget=GovSelect(),
        validators=[InputRequired(_l("Choose what the figure measures"))],
    )
    percent = DecimalField(
        _l("Percentage"),
        places=None,
        description=_l("For example, 34.5 for 34.5%"),
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter a percentage from 0 to 100")),
            NumberRange(0, 100, _l("Enter a percentage from 0 to 100")),
        ],
    )
    base = IntegerField(
        _l("Number of people it is based on"),
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter the number of people, 1 or more")),
            NumberRange(1, None, _l("Enter the number of people, 1 or more")),
        ],
    )
    quote = TextAreaField(
        _l("A comment that illustrates it (optional)"),
        description=_l("Anonymised: it may be quoted in the strategy"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=1000)],
    )
    submit = SubmitField(_l("Add figure"), widget=GovSubmitInput())


class FigureImportForm(FlaskForm):
    file = FileField(
        _l("CSV file of figures"),
        widget=GovFileInput(),
        validators=[FileRequired(_l("Choose a CSV file"))],
    )
    submit = SubmitField(_l("Import figures"), widget=GovSubmitInput())


class SnapshotForm(FlaskForm):
    label = StringField(
        _l("Name for this snapshot (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    submit = SubmitField(_l("Save a snapshot of these priorities"), widget=GovSubmitInput())
