"""Forms for recruitment, pool import, quotas, selection and member management."""

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
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from engage.core.forms import optional_int
from engage.panels.labels import (
    ALGORITHM_LABELS,
    CONTACT_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    feature_label,
    value_label,
)
from engage.panels.models import DEFAULT_FEATURES, SPECIAL_CATEGORY_FEATURES


class PanelForm(FlaskForm):
    name = StringField(
        _l("Panel name"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the panel's name")), Length(max=200)],
    )
    size = IntegerField(
        _l("Number of members"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the number of members")), NumberRange(min=1, max=500)],
    )
    submit = SubmitField(_l("Create panel"), widget=GovSubmitInput())


class SettingsForm(FlaskForm):
    name = StringField(
        _l("Panel name"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the panel's name")), Length(max=200)],
    )
    size = IntegerField(
        _l("Number of members"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the number of members")), NumberRange(min=1, max=500)],
    )
    features = SelectMultipleField(
        _l("Questions to ask volunteers"), widget=GovCheckboxesInput(),
        description=_l("The panel is balanced on these. Ethnicity and disability are only kept "
                       "when the volunteer gives explicit consent."),
        choices=[SelectChoice(f, feature_label(f)) for f in DEFAULT_FEATURES],
        validators=[InputRequired(_l("Choose at least one question to ask volunteers."))],
    )
    is_recruiting = BooleanField(_l("The public sign-up page is open"),
                                 widget=GovCheckboxInput(), validators=[Optional()])
    is_one_per_household = BooleanField(_l("Only one volunteer per household (by address)"),
                                        widget=GovCheckboxInput(), validators=[Optional()])
    retention_days = IntegerField(
        _l("Days to keep the details of volunteers who are not selected"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the number of days to keep unselected volunteers' "
                                     "details.")), NumberRange(min=1, max=3650)],
    )
    submit = SubmitField(_l("Save settings"), widget=GovSubmitInput())


class EraseVolunteerForm(FlaskForm):
    confirm = BooleanField(
        _l("They asked to leave the pool: withdraw them and erase their details"),
        widget=GovCheckboxInput(),
        validators=[InputRequired(_l("Confirm that they asked to leave the pool"))],
    )
    submit = SubmitField(_l("Erase volunteer"), widget=GovSubmitInput())


class LeaveForm(FlaskForm):
    confirm = BooleanField(
        _l("I want to leave: withdraw me and erase my details"),
        widget=GovCheckboxInput(),
        validators=[InputRequired(_l("Confirm that you want to leave"))],
    )
    submit = SubmitField(_l("Leave the panel"), widget=GovSubmitInput())


class VolunteerForm(FlaskForm):
    """Sign-up (public) and keyed-in (staff) volunteers; demographic fields added per panel."""

    name = StringField(
        _l("Full name"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter your full name")), Length(max=200)],
    )
    email = StringField(
        _l("Email address"), widget=GovTextInput(),
        validators=[Optional(), Email(_l("Enter an email address in the right format")),
                    Length(max=254)],
    )
    phone = StringField(_l("Phone number"), widget=GovTextInput(),
                        validators=[Optional(), Length(max=40)])
    address = TextAreaField(
        _l("Address"), widget=GovTextArea(),
        validators=[InputRequired(_l("Enter your address")), Length(max=400)],
    )
    postcode = StringField(
        _l("Postcode"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter your postcode")), Length(max=12)],
    )
    ward_id = SelectField(_l("Home ward"), widget=GovSelect(), coerce=optional_int,
                          validators=[Optional()])
    contact_preference = RadioField(
        _l("How should we contact you?"), widget=GovRadioInput(), default="email",
        choices=[SelectChoice(k, v) for k, v in CONTACT_LABELS.items()],
        validators=[InputRequired(_l("Choose how we should contact you"))],
    )
    special_category_consent = BooleanField(
        _l("I agree that the partnership may keep my answers about ethnicity and disability, "
           "only to make the panel representative"),
        widget=GovCheckboxInput(), validators=[Optional()],
    )
    source = SelectField(
        _l("How the volunteer was recruited"), widget=GovSelect(),
        choices=[SelectChoice(k, v) for k, v in SOURCE_LABELS.items() if k != "import"],
        validators=[Optional()],
    )
    submit = SubmitField(_l("Volunteer"), widget=GovSubmitInput())


def volunteer_form(
    choices: dict[str, list[str]], wards: list[tuple[int, str]], *, staff: bool, **kwargs: object
) -> VolunteerForm:
    """A volunteer form with one optional radio question per panel feature."""

    class PanelVolunteerForm(VolunteerForm):
        pass

    for feature, values in choices.items():
        options = [SelectChoice(v, value_label(feature, v)) for v in values]
        options.append(SelectChoice("", _l("Prefer not to say")))
        description = (
            _l("Only kept if you tick the consent box below.")
            if feature in SPECIAL_CATEGORY_FEATURES else None
        )
        setattr(PanelVolunteerForm, f"feature_{feature}", RadioField(
            feature_label(feature), widget=GovRadioInput(), choices=options, default="",
            description=description, validators=[Optional()],
        ))
    form = PanelVolunteerForm(**kwargs)  # type: ignore[arg-type]
    form.ward_id.choices = [SelectChoice("", _l("Choose your ward")),
                            *[SelectChoice(i, n) for i, n in wards]]
    if not staff:
        del form.source
    return form


class ImportForm(FlaskForm):
    people = FileField(_l("People file (CSV)"), widget=GovFileInput(),
                       validators=[FileRequired(_l("Choose the people file"))])
    features = FileField(_l("Features file (CSV: feature, value, min, max)"), widget=GovFileInput(),
                         validators=[FileRequired(_l("Choose the features file"))])
    submit = SubmitField(_l("Import pool"), widget=GovSubmitInput())


class CensusQuotaForm(FlaskForm):
    tolerance = IntegerField(
        _l("Tolerance (members either side of the census target)"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the tolerance")), NumberRange(min=0, max=50)],
    )
    submit = SubmitField(_l("Set quotas from the census"), widget=GovSubmitInput())


class QuotaForm(FlaskForm):
    minimum = IntegerField(_l("Minimum"), widget=GovTextInput(),
                           validators=[InputRequired(_l("Enter the minimum")), NumberRange(min=0)])
    maximum = IntegerField(_l("Maximum"), widget=GovTextInput(),
                           validators=[InputRequired(_l("Enter the maximum")), NumberRange(min=0)])
    submit = SubmitField(_l("Save quota"), widget=GovSubmitInput())


class SelectForm(FlaskForm):
    algorithm = RadioField(
        _l("Algorithm"), widget=GovRadioInput(), default="leximin",
        choices=[SelectChoice(k, v) for k, v in ALGORITHM_LABELS.items()],
        validators=[InputRequired(_l("Choose the algorithm"))],
    )
    seed = IntegerField(
        _l("Random seed"), description=_l("Record it: the same pool, quotas and seed give the same panel."),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a seed")), NumberRange(min=0, max=2**31 - 1)],
    )
    submit = SubmitField(_l("Run selection"), widget=GovSubmitInput())


class MemberStatusForm(FlaskForm):
    status = SelectField(
        _l("Status"), widget=GovSelect(),
        choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()],
    )
    submit = SubmitField(_l("Change status"), widget=GovSubmitInput())


class ReplaceForm(FlaskForm):
    seed = IntegerField(
        _l("Random seed"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a seed")), NumberRange(min=0, max=2**31 - 1)],
    )
    submit = SubmitField(_l("Select replacements"), widget=GovSubmitInput())


class RefreshForm(FlaskForm):
    share = IntegerField(
        _l("Share of members to replace (per cent)"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a share")), NumberRange(min=1, max=100)],
    )
    seed = IntegerField(
        _l("Random seed"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a seed")), NumberRange(min=0, max=2**31 - 1)],
    )
    submit = SubmitField(_l("Run refresh round"), widget=GovSubmitInput())
