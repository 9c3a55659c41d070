"""Forms for describing datasets, uploading files and the postcode district table.

The column mapping form is built from the uploaded file's columns, so the mapping page reads
its fields by name (see views.mapping); it still posts a FlaskForm for CSRF and errors.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from engage.core.forms import DayMonthYearField, optional_int


class DatasetForm(FlaskForm):
    title = StringField(
        _l("Title"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a title")), Length(max=200)],
    )
    organisation_id = SelectField(
        _l("Organisation that owns the data"), widget=GovSelect(), coerce=optional_int,
        validators=[InputRequired(_l("Choose the organisation"))],
    )
    shape = RadioField(
        _l("What does the file hold?"), widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose what the file holds"))],
        invalid_choice_message=_l("Choose what the file holds"),
    )
    source = StringField(
        _l("Source"), description=_l("Who collected the data, and the survey's name"),
        widget=GovTextInput(), validators=[Optional(), Length(max=300)],
    )
    method = TextAreaField(
        _l("Method"), description=_l("How people were asked: postal, online, face to face, who was sampled"),
        widget=GovTextArea(), validators=[Optional(), Length(max=4000)],
    )
    fieldwork_start = DayMonthYearField(_l("Fieldwork started"), validators=[Optional()])
    fieldwork_end = DayMonthYearField(_l("Fieldwork ended"), validators=[Optional()])
    sample_size = IntegerField(
        _l("Sample size (optional)"),
        description=_l("For respondent-level files this is counted from the rows"),
        widget=GovTextInput(), validators=[Optional(), NumberRange(min=0)],
    )
    weighting_note = TextAreaField(
        _l("Weighting"), description=_l("How the results are weighted, or say they are not"),
        widget=GovTextArea(), validators=[Optional(), Length(max=4000)],
    )
    sharing = RadioField(
        _l("Who can see it?"), widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose who can see the data"))],
        invalid_choice_message=_l("Choose who can see the data"),
    )
    licence = StringField(
        _l("Licence"), description=_l("For example Open Government Licence v3.0"),
        widget=GovTextInput(), validators=[Optional(), Length(max=200)],
    )
    themes = SelectMultipleField(
        _l("Themes"), widget=GovCheckboxesInput(), coerce=int, validators=[Optional()],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField(
        _l("Data file"),
        description=_l("A CSV (UTF-8 or Windows-1252) or an Excel workbook (.xlsx), first row the column names"),
        widget=GovFileInput(), validators=[FileRequired(_l("Choose a file"))],
    )
    submit = SubmitField(_l("Upload and map columns"), widget=GovSubmitInput())


class MappingForm(FlaskForm):
    """CSRF and the error summary for the mapping page; the fields come from the file."""

    mapping = HiddenField()


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Delete"), widget=GovSubmitInput())


class PostcodeDistrictForm(FlaskForm):
    district = StringField(
        _l("Postcode district"), description=_l("The first half of a postcode, like HM1"),
        widget=GovTextInput(), validators=[InputRequired(_l("Enter a postcode district")), Length(max=8)],
    )
    ward_id = SelectField(
        _l("Ward"), widget=GovSelect(), coerce=optional_int,
        validators=[InputRequired(_l("Choose a ward"))],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class PostcodeImportForm(FlaskForm):
    file = FileField(
        _l("Postcode districts file (CSV)"),
        description=_l("Two columns: district and ward (the ward's GSS code or name)"),
        widget=GovFileInput(), validators=[FileRequired(_l("Choose a CSV file"))],
    )
    submit = SubmitField(_l("Import"), widget=GovSubmitInput())


class BrowseForm(FlaskForm):
    """The theme and area filter (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    theme = SelectField(_l("Theme"), widget=GovSelect(), coerce=optional_int, validators=[Optional()])
    area = SelectField(_l("Area"), widget=GovSelect(), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Show"), widget=GovSubmitInput())
