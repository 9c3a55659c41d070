"""Forms for strategy drafts (choices are filled in by the views)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
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


class NewDraftForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("For example, Hartmoor Sustainable Community Strategy"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a title")), Length(max=200)],
    )
    period_start = IntegerField(
        _l("First year"),
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter the first year, for example 2027")),
            NumberRange(2000, 2100, _l("Enter the first year, for example 2027")),
        ],
    )
    period_end = IntegerField(
        _l("Last year"),
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter the last year, for example 2037")),
            NumberRange(2000, 2130, _l("Enter the last year, for example 2037")),
        ],
    )
    language = RadioField(
        _l("Language the draft is written in"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose the language of the draft"))],
        invalid_choice_message=_l("Choose the language of the draft"),
    )
    submit = SubmitField(_l("Create the draft from current priorities"), widget=GovSubmitInput())


class SectionForm(FlaskForm):
    title = StringField(
        _l("Section title"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter a title for the section")), Length(max=200)],
    )
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Markdown: ## for a heading, - for a bullet, **bold**, > for a quote, "
            "[text](https://…) for a link."
        ),
        widget=GovTextArea(),
        validators=[
            Optional(),
            Length(max=50_000, message=_l("The text can be at most 50,000 characters")),
        ],
    )
    note = StringField(
        _l("What did you change? (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=300)],
    )
    submit = SubmitField(_l("Save as a new version"), widget=GovSubmitInput())


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        widget=GovTextArea(),
        validators=[
            InputRequired(_l("Enter your comment")),
            Length(max=5000, message=_l("The comment can be at most 5,000 characters")),
        ],
    )
    submit = SubmitField(_l("Add comment"), widget=GovSubmitInput())


class IndicatorForm(FlaskForm):
    section = SelectField(
        _l("Chapter"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[Optional()],
    )
    name = StringField(
        _l("Indicator"),
        description=_l("What is measured, for example Residents who feel safe after dark"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the name of the indicator")), Length(max=300)],
    )
    unit = StringField(
        _l("Unit (optional)"),
        description=_l("For example, %(percent)s or people", percent="%"),
        default="%",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=40)],
    )
    baseline = DecimalField(
        _l("Baseline (optional)"),
        places=None,
        widget=GovTextInput(),
        validators=[Optional()],
    )
    baseline_year = IntegerField(
        _l("Year of the baseline (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(1990, 2100, _l("Enter a year, for example 2030"))],
    )
    target = DecimalField(
        _l("Target (optional)"),
        places=None,
        widget=GovTextInput(),
        validators=[Optional()],
    )
    target_year = IntegerField(
        _l("Year the target is for (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(1990, 2100, _l("Enter a year, for example 2030"))],
    )
    is_higher_better = RadioField(
        _l("Is a higher figure better?"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Say whether a higher figure is better"))],
        invalid_choice_message=_l("Say whether a higher figure is better"),
    )
    lead_organisation = SelectField(
        _l("Lead partner"),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save indicator"), widget=GovSubmitInput())


class UpdateForm(FlaskForm):
    reported_on = DayMonthYearField(
        _l("Date of this report"),
        validators=[InputRequired(_l("Enter the date of this report"))],
    )
    value = DecimalField(
        _l("Latest figure (optional)"),
        places=None,
        widget=GovTextInput(),
        validators=[Optional()],
    )
    status = RadioField(
        _l("How is it going?"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose red, amber or green"))],
        invalid_choice_message=_l("Choose red, amber or green"),
    )
    commentary = TextAreaField(
        _l("Commentary (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField(_l("Send report"), widget=GovSubmitInput())


class StatusForm(FlaskForm):
    status = RadioField(
        _l("Move the draft to"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose the new status"))],
        invalid_choice_message=_l("Choose the new status"),
    )
    submit = SubmitField(_l("Change status"), widget=GovSubmitInput())


class ExportForm(FlaskForm):
    format = RadioField(
        _l("Format"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose a format"))],
        invalid_choice_message=_l("Choose a format"),
    )
    language = RadioField(
        _l("Language of headings and labels"),
        widget=GovRadioInput(),
        validators=[InputRequired(_l("Choose a language"))],
        invalid_choice_message=_l("Choose a language"),
    )
    submit = SubmitField(_l("Create the file"), widget=GovSubmitInput())
