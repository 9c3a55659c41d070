"""Forms for partner officers' API tokens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from engage.core.forms import optional_int


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"), description=_l("What will use it, like \"Police survey system\""),
        widget=GovTextInput(), validators=[InputRequired(_l("Enter a name for the token")), Length(max=120)],
    )
    organisation_id = SelectField(
        _l("Organisation"), widget=GovSelect(), coerce=optional_int,
        validators=[InputRequired(_l("Choose the organisation"))],
    )
    submit = SubmitField(_l("Create token"), widget=GovSubmitInput())


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revoke"), widget=GovSubmitInput())
