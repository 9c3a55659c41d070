"""Forms for setting up partnerships."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import Email, InputRequired, Length, Optional


class PartnershipForm(FlaskForm):
    name = StringField(
        _l("Name"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a name")), Length(max=200)],
    )
    name_cy = StringField(
        _l("Name in Welsh (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    slug = StringField(
        _l("Short name for web addresses"),
        description=_l("Lower-case letters, numbers and hyphens, like north-vale"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a short name")), Length(max=80)],
    )
    kind = RadioField(
        _l("Type of partnership"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose the type of partnership"))],
        invalid_choice_message=_l("Choose the type of partnership"),
    )
    requires_staff_two_factor = BooleanField(
        _l("Require two-factor sign-in for staff roles"), widget=GovCheckboxInput()
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class PartnershipEditForm(FlaskForm):
    name = StringField(
        _l("Name"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a name")), Length(max=200)],
    )
    name_cy = StringField(
        _l("Name in Welsh (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    requires_staff_two_factor = BooleanField(
        _l("Require two-factor sign-in for staff roles"), widget=GovCheckboxInput()
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class ThemeForm(FlaskForm):
    name = StringField(
        _l("Theme"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the theme")), Length(max=200)],
    )
    name_cy = StringField(
        _l("Theme in Welsh (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    is_active = BooleanField(_l("In use"), widget=GovCheckboxInput(), default=True)
    submit = SubmitField(_l("Save theme"), widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Organisation name"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the organisation's name")), Length(max=200)],
    )
    name_cy = StringField(
        _l("Name in Welsh (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    sector = RadioField(
        _l("Sector"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose a sector"))],
        invalid_choice_message=_l("Choose a sector"),
    )
    submit = SubmitField(_l("Save organisation"), widget=GovSubmitInput())


class AreaImportForm(FlaskForm):
    file = FileField(
        _l("Areas file (CSV)"),
        description=_l(
            "One row per area: gss_code, name, name_cy, level, parent_code, population, then profile columns such as age_band:16-24"
        ),
        widget=GovFileInput(),
        validators=[FileRequired(_l("Choose a CSV file"))],
    )
    submit = SubmitField(_l("Import areas"), widget=GovSubmitInput())


class GrantRoleForm(FlaskForm):
    email = EmailField(
        _l("Email address of the person"),
        description=_l("They must have an Engage account already"),
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter an email address")),
            Email(_l("Enter an email address in the correct format, like name@example.com")),
            Length(max=254),
        ],
    )
    role = RadioField(
        _l("Role"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose a role"))],
        invalid_choice_message=_l("Choose a role"),
    )
    organisation = SelectField(
        _l("Organisation (partner officers only)"),
        widget=GovSelect(),
        validators=[Optional()],
        invalid_choice_message=_l("Choose an organisation from the list"),
    )
    wards = SelectMultipleField(
        _l("Wards (councillors only)"),
        widget=GovCheckboxesInput(),
        validators=[Optional()],
        invalid_choice_message=_l("Choose wards from the list"),
    )
    submit = SubmitField(_l("Grant role"), widget=GovSubmitInput())
