"""Account forms, rendered with GOV.UK widgets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import Email, InputRequired, Length

from engage.core.forms import LocalisedPasswordInput, optional_int

EMAIL_REQUIRED = _l("Enter your email address")
EMAIL_FORMAT = _l("Enter an email address in the correct format, like name@example.com")


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[InputRequired(EMAIL_REQUIRED), Email(EMAIL_FORMAT), Length(max=254)],
    )
    password = PasswordField(
        _l("Create a password"),
        description=_l("Use 10 characters or more. Three random words work well."),
        widget=LocalisedPasswordInput(),
        validators=[InputRequired(_l("Create a password"))],
    )
    home_ward = SelectField(
        _l("Which ward do you live in?"),
        description=_l("We use this to show you consultations and votes for your area."),
        widget=GovSelect(),
        coerce=optional_int,
        validators=[InputRequired(_l("Choose your ward from the list"))],
        invalid_choice_message=_l("Choose your ward from the list"),
    )
    submit = SubmitField(_l("Create account"), widget=GovSubmitInput())


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[InputRequired(EMAIL_REQUIRED), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        widget=LocalisedPasswordInput(),
        validators=[InputRequired(_l("Enter your password"))],
    )
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class TwoFactorForm(FlaskForm):
    code = StringField(
        _l("Security code"),
        description=_l("The 6-digit code from your authenticator app"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the security code")), Length(max=10)],
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[InputRequired(EMAIL_REQUIRED), Email(EMAIL_FORMAT), Length(max=254)],
    )
    submit = SubmitField(_l("Send reset link"), widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l("Use 10 characters or more. Three random words work well."),
        widget=LocalisedPasswordInput(),
        validators=[InputRequired(_l("Enter a new password"))],
    )
    submit = SubmitField(_l("Save password"), widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        widget=LocalisedPasswordInput(),
        validators=[InputRequired(_l("Enter your current password"))],
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("Use 10 characters or more. Three random words work well."),
        widget=LocalisedPasswordInput(),
        validators=[InputRequired(_l("Enter a new password"))],
    )
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


class LanguageForm(FlaskForm):
    language = RadioField(
        _l("Which language do you want to use?"),
        widget=GovRadioInput(),
        choices=[SelectChoice("en", "English"), SelectChoice("cy", "Cymraeg")],
        validators=[InputRequired(_l("Choose English or Welsh"))],
        invalid_choice_message=_l("Choose English or Welsh"),
    )
    submit = SubmitField(_l("Save language"), widget=GovSubmitInput())


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Enter your password to confirm"),
        widget=LocalisedPasswordInput(),
        validators=[InputRequired(_l("Enter your password"))],
    )
    submit = SubmitField(_l("Delete my account"), widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button-only form (CSRF protected)."""

    submit = SubmitField(_l("Confirm"), widget=GovSubmitInput())
