"""The page where a partner officer creates and revokes their organisation's API tokens.

A normal (CSRF-protected) browser page: it is not part of the token-only API blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from engage.api import operations
from engage.api.forms import RevokeForm, TokenForm
from engage.api.models import ApiToken
from engage.core.errors import EngageError
from engage.core.i18n import current_language
from engage.extensions import db
from engage.intelligence.policy import can_manage_api_tokens, officer_organisation_ids
from engage.partnerships.models import Organisation, Partnership

bp = Blueprint("api_tokens", __name__, url_prefix="/partnerships/<slug>/api-tokens")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in user; each view then checks the policy."""


@bp.url_value_preprocessor
def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    for name, value in (values or {}).items():
        if name.endswith("_id") and isinstance(value, int) and not 0 < value <= 2_147_483_647:
            abort(404)


def _partnership(slug: str) -> Partnership:
    found = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if found is None or not can_manage_api_tokens(current_user, found):
        abort(404)
    return found


@bp.route("", methods=["GET", "POST"])
def tokens(slug: str) -> str | Response:
    partnership = _partnership(slug)
    own = officer_organisation_ids(current_user, partnership)
    organisations = sorted(
        db.session.scalars(select(Organisation).where(Organisation.id.in_(own))),
        key=lambda o: o.name,
    )
    language = current_language()
    form = TokenForm()
    form.organisation_id.choices = [SelectChoice(o.id, o.display_name(language)) for o in organisations]
    if len(organisations) == 1 and form.organisation_id.data is None:
        form.organisation_id.data = organisations[0].id
    secret = None
    if form.validate_on_submit():
        organisation = next((o for o in organisations if o.id == form.organisation_id.data), None)
        if organisation is None:
            abort(404)
        try:
            _token, secret = operations.create_token(
                current_user.id, partnership, organisation, form.name.data or ""
            )
        except EngageError as error:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(error)]
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
            form.organisation_id.choices = [
                SelectChoice(o.id, o.display_name(language)) for o in organisations
            ]
    return render_template(
        "intelligence/api_tokens.html", partnership=partnership, form=form, secret=secret,
        tokens=operations.tokens_of(partnership, own), revoke_form=RevokeForm(),
    )


@bp.post("/<int:token_id>/revoke")
def revoke(slug: str, token_id: int) -> Response:
    partnership = _partnership(slug)
    token = db.session.get(ApiToken, token_id)
    own = officer_organisation_ids(current_user, partnership)
    if token is None or token.partnership_id != partnership.id or token.organisation_id not in own:
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    operations.revoke_token(current_user.id, token)
    db.session.commit()
    flash(_("Token revoked: it no longer works"), "success")
    return redirect(url_for("api_tokens.tokens", slug=slug))
