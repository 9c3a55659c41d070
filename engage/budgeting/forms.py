"""Forms for residents' proposals and staff review."""

from __future__ import annotations

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
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from engage.consultations.forms import _valid_time
from engage.core.forms import DayMonthYearField, optional_int


class ProposalForm(FlaskForm):
    title = StringField(
        _l("Name of your project"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a name for your project")), Length(max=200)],
    )
    description = TextAreaField(
        _l("What would it do, and where?"),
        widget=GovTextArea(),
        validators=[InputRequired(_l("Describe your project")), Length(max=4000)],
    )
    title_cy = StringField(
        _l("Name in Welsh (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    description_cy = TextAreaField(
        _l("Description in Welsh (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=4000)],
    )
    themes = SelectMultipleField(
        _l("What is it about? (optional)"),
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[Optional()],
        invalid_choice_message=_l("Choose themes from the list"),
    )
    submit = SubmitField(_l("Send proposal"), widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    status = RadioField(
        _l("Decision"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose a decision"))],
    )
    cost = DecimalField(
        _l("Cost in pounds"),
        places=2,
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(min=0, message=_l("Enter a cost of £0 or more"))],
    )
    public_reason = TextAreaField(
        _l("Reason, shown to the public"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000)],
    )
    merged_into = SelectField(
        _l("Merge into (for duplicates)"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[Optional()],
    )
    themes = SelectMultipleField(
        _l("Themes"),
        description=_l(
            "The strategy themes the project serves: its votes count as evidence "
            "for these priorities"
        ),
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[Optional()],
        invalid_choice_message=_l("Choose themes from the list"),
    )
    submit = SubmitField(_l("Save decision"), widget=GovSubmitInput())


class _Day(DayMonthYearField):
    """A day/month/year date that also renders after a request without its three inputs."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            self.raw_data, self.data = ["", "", ""], None
            return
        super().process_formdata(valuelist)


def _whole(label: Any, message: Any) -> IntegerField:
    return IntegerField(
        label,
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(min=1, max=100_000, message=message)],
    )


class ProcessForm(FlaskForm):
    """A process's settings. Rules and ballot settings lock once the first ballot is cast."""

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
    description = TextAreaField(
        _l("Description"), widget=GovTextArea(), validators=[Optional(), Length(max=4000)]
    )
    area_id = SelectField(
        _l("Area"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[InputRequired(_l("Choose the area"))],
    )
    budget = DecimalField(
        _l("Budget in pounds"),
        places=2,
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter the budget")),
            NumberRange(min=1, message=_l("Enter a budget of £1 or more")),
        ],
    )
    proposals_open_on = _Day(_l("Proposals open (optional)"), validators=[Optional()])
    proposals_close_on = _Day(_l("Proposals close (optional)"), validators=[Optional()])
    voting_open_on = _Day(
        _l("Voting opens"), validators=[InputRequired(_l("Enter the date voting opens"))]
    )
    voting_open_time = StringField(
        _l("Time voting opens (24-hour clock, optional)"),
        widget=GovTextInput(),
        validators=[Optional(), _valid_time],
    )
    voting_close_on = _Day(
        _l("Voting closes"), validators=[InputRequired(_l("Enter the date voting closes"))]
    )
    voting_close_time = StringField(
        _l("Time voting closes (24-hour clock, optional)"),
        widget=GovTextInput(),
        validators=[Optional(), _valid_time],
    )
    ballot_kind = RadioField(
        _l("Ballot"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose the kind of ballot"))],
    )
    max_choices = _whole(
        _l("Most projects a voter may choose or rank (optional)"),
        _l("Enter a whole number of 1 or more"),
    )
    min_choices = _whole(
        _l("Fewest projects a voter must choose (optional)"),
        _l("Enter a whole number of 1 or more"),
    )
    total_points = _whole(
        _l("Points each voter shares out (points ballots)"), _l("Enter a whole number of 1 or more")
    )
    rule = SelectField(
        _l("Counting rule"),
        widget=GovSelect(),
        validators=[InputRequired(_l("Choose the counting rule"))],
    )
    minimum_age = IntegerField(
        _l("Minimum age to vote"),
        widget=GovTextInput(),
        default=16,
        validators=[
            InputRequired(_l("Enter the minimum age")),
            NumberRange(min=0, max=120, message=_l("Enter an age from 0 to 120")),
        ],
    )
    allows_changes = BooleanField(
        _l("Voters may change their vote until voting closes"),
        widget=GovCheckboxInput(),
        default=True,
    )
    submit = SubmitField(_l("Save process"), widget=GovSubmitInput())
