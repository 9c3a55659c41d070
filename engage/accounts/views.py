"""Sign-in, registration, password reset, two-factor and the account page."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from engage.accounts import operations
from engage.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LanguageForm,
    RegisterForm,
    ResetPasswordForm,
    SignInForm,
    TwoFactorForm,
)
from engage.accounts.models import User
from engage.core.errors import EngageError
from engage.core.i18n import current_language
from engage.core.mail import send_mail
from engage.core.security import safe_next
from engage.extensions import db, limiter
from engage.partnerships.models import Area, AreaLevel, Partnership

bp = Blueprint("accounts", __name__, url_prefix="/account")

PENDING_TWO_FACTOR = "pending_two_factor_user"


def _sign_in_limit() -> str:
    return str(current_app.config["ENGAGE_SIGN_IN_LIMIT"])


def _per_account_limit() -> str:
    return str(current_app.config["ENGAGE_SIGN_IN_PER_ACCOUNT_LIMIT"])


def _account_key() -> str:
    """Failed attempts are counted per address and email, so an attacker elsewhere
    cannot lock the real person out."""
    email = operations.normalise_email(request.form.get("email", ""))
    return f"sign-in:{request.remote_addr}:{email}"


def _failed(response: WerkzeugResponse) -> bool:
    return response.status_code != 302


def _ward_choices(partnership: Partnership) -> list[SelectChoice]:
    wards = sorted(
        (w for area in partnership.areas for w in area.wards()),
        key=lambda w: w.display_name(current_language()),
    )
    return [SelectChoice("", _("Choose your ward"))] + [
        SelectChoice(str(w.id), w.display_name(current_language())) for w in wards
    ]


def _registration_partnership() -> Partnership | None:
    slug = request.args.get("partnership")
    query = select(Partnership).where(Partnership.parent_id.is_(None)).order_by(Partnership.id)
    if slug:
        query = select(Partnership).where(Partnership.slug == slug)
    return db.session.scalar(query)


def _finish_sign_in(user: User) -> WerkzeugResponse:
    next_url = session.pop("next_after_sign_in", None)
    session.clear()  # a fresh session on every sign-in
    login_user(user)
    operations.record_sign_in(user)
    db.session.commit()
    return redirect(safe_next(next_url, url_for("main.home")))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def register() -> str | WerkzeugResponse:
    partnership = _registration_partnership()
    if partnership is None:
        abort(404)
    form = RegisterForm()
    form.home_ward.choices = _ward_choices(partnership)
    if form.validate_on_submit():
        ward = db.session.get(Area, form.home_ward.data)
        try:
            if ward is None or ward.level != AreaLevel.WARD:
                raise EngageError(_("Choose your ward from the list"), field="home_ward")
            user = operations.register_resident(
                form.email.data or "",
                form.password.data or "",
                ward,
                partnership,
                current_language(),
            )
        except operations.DuplicateEmail:
            # Same outcome as a new account, so the form does not reveal who is registered.
            db.session.rollback()
            send_mail(
                form.email.data or "",
                _("You already have an Engage account"),
                _(
                    "Someone tried to register with this email address. If it was you, sign in or reset your password: %(url)s",
                    url=url_for("accounts.forgot_password", _external=True),
                ),
            )
            return render_template("accounts/registered.html", email=form.email.data)
        except EngageError as error:
            db.session.rollback()
            field = getattr(form, error.field or "password")
            field.errors = [*field.errors, str(error)]
        else:
            db.session.commit()
            _send_confirmation(user)
            return render_template("accounts/registered.html", email=user.email)
    return render_template("accounts/register.html", form=form, partnership=partnership)


def _send_confirmation(user: User) -> None:
    link = url_for(
        "accounts.confirm_email", token=operations.email_confirmation_token(user), _external=True
    )
    send_mail(
        user.email,
        _("Confirm your email address for Engage"),
        _(
            "Your account has been created. Confirm your email address within 7 days by opening this link: %(url)s",
            url=link,
        ),
    )


@bp.get("/confirm/<token>")
def confirm_email(token: str) -> str | WerkzeugResponse:
    user = operations.confirm_email(token)
    if user is None:
        return render_template("accounts/confirm_failed.html"), 410
    db.session.commit()
    flash(_("Your email address is confirmed"), "success")
    return redirect(
        url_for("accounts.account" if current_user.is_authenticated else "accounts.sign_in")
    )


@bp.post("/confirm/resend")
@login_required
@limiter.limit(_per_account_limit)
def resend_confirmation() -> WerkzeugResponse:
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.email_confirmed_at is None:
        _send_confirmation(current_user)
        flash(_("We have sent you a new confirmation link"), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_per_account_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed)
def sign_in() -> str | WerkzeugResponse:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if request.method == "GET" and request.args.get("next"):
        session["next_after_sign_in"] = safe_next(request.args.get("next"), url_for("main.home"))
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            if user.totp_secret:
                next_url = session.get("next_after_sign_in")
                session.clear()
                session[PENDING_TWO_FACTOR] = user.get_id()
                if next_url:
                    session["next_after_sign_in"] = next_url
                db.session.commit()
                return redirect(url_for("accounts.two_factor"))
            return _finish_sign_in(user)
        db.session.rollback()
        form.email.errors = [_("Enter a correct email address and password")]
    return render_template("accounts/sign_in.html", form=form)


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@limiter.limit(_per_account_limit, methods=["POST"], deduct_when=_failed)
def two_factor() -> str | WerkzeugResponse:
    pending = session.get(PENDING_TWO_FACTOR, "")
    raw_id, _sep, token = pending.partition(":")
    user = db.session.get(User, int(raw_id)) if raw_id.isdigit() else None
    if user is None or user.session_token != token or not user.is_active:
        session.pop(PENDING_TWO_FACTOR, None)
        return redirect(url_for("accounts.sign_in"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if operations.verify_totp(user, form.code.data or ""):
            return _finish_sign_in(user)
        form.code.errors = [_("The security code is not right")]
    return render_template("accounts/two_factor.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out() -> WerkzeugResponse:
    operations.sign_out_everywhere(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out"), "success")
    return redirect(url_for("main.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def forgot_password() -> str | WerkzeugResponse:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        token = operations.start_password_reset(email)
        db.session.commit()
        if token is not None:
            send_mail(
                operations.normalise_email(email),
                _("Reset your Engage password"),
                _(
                    "Use this link within an hour to choose a new password: %(url)s",
                    url=url_for("accounts.reset_password", token=token, _external=True),
                ),
            )
        # The same page whether or not the account exists.
        return render_template("accounts/reset_sent.html", email=email)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | WerkzeugResponse:
    if operations.find_reset_token(token) is None:
        return render_template("accounts/reset_expired.html"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(token, form.password.data or "")
        except EngageError as error:
            db.session.rollback()
            form.password.errors = [str(error)]
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password has been changed. Sign in with your new password."), "success")
            return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/")
@login_required
def account() -> str:
    language_form = LanguageForm(language=current_language())
    return render_template(
        "accounts/account.html",
        language_form=language_form,
        two_factor_required=operations.two_factor_required(current_user),
    )


@bp.post("/language")
@login_required
def save_language() -> str | WerkzeugResponse:
    form = LanguageForm()
    if form.validate_on_submit():
        operations.set_language(current_user, form.language.data or "en")
        db.session.commit()
        flash(_("Your language has been saved"), "success")
        return redirect(url_for("accounts.account"))
    return render_template(
        "accounts/account.html",
        language_form=form,
        two_factor_required=operations.two_factor_required(current_user),
    ), 400


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | WerkzeugResponse:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(
                current_user, form.current_password.data or "", form.new_password.data or ""
            )
        except EngageError as error:
            db.session.rollback()
            form.new_password.errors = [str(error)]
        else:
            db.session.commit()
            # The session token changed: sign in again on this device with the new cookie.
            login_user(current_user._get_current_object())
            flash(
                _("Your password has been changed. Other devices have been signed out."), "success"
            )
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup() -> str | WerkzeugResponse:
    form = TwoFactorForm()
    secret = session.get("totp_setup_secret") or operations.new_totp_secret()
    session["totp_setup_secret"] = secret
    if form.validate_on_submit():
        try:
            operations.enable_two_factor(current_user, secret, form.code.data or "")
        except EngageError as error:
            db.session.rollback()
            form.code.errors = [str(error)]
        else:
            db.session.commit()
            session.pop("totp_setup_secret", None)
            flash(_("Two-factor sign-in is on"), "success")
            return redirect(url_for("accounts.account"))
    return render_template(
        "accounts/two_factor_setup.html",
        form=form,
        secret=secret,
        uri=operations.totp_uri(current_user, secret),
        required=operations.two_factor_required(current_user),
    )


@bp.post("/two-factor/off")
@login_required
def two_factor_off() -> WerkzeugResponse:
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.disable_two_factor(current_user)
        except EngageError as error:
            db.session.rollback()
            flash(str(error))
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is off"), "success")
    return redirect(url_for("accounts.account"))


@bp.get("/data.json")
@login_required
def download_data() -> Response:
    """Everything we hold about the signed-in person (UK GDPR right of access)."""
    data = operations.export_account(current_user)
    response = current_app.response_class(
        json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = "attachment; filename=engage-my-data.json"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> str | WerkzeugResponse:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if operations.authenticate(current_user.email, form.password.data or "") is None:
            form.password.errors = [_("Your password is not right")]
        else:
            operations.erase_account(current_user)
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your account has been deleted"), "success")
            return redirect(url_for("main.home"))
    return render_template("accounts/delete.html", form=form)
