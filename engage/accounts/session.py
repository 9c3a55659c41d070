"""Flask-Login wiring: session cookies carry a token that dies on sign-out or password change."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.extensions import db, login_manager


def register_login(app: Flask) -> None:
    from engage.accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        raw_id, _, token = user_id.partition(":")
        if not raw_id.isdigit() or not token:
            return None
        user = db.session.get(User, int(raw_id))
        if user is None or not user.is_active or user.session_token != token:
            return None
        return user

    @app.before_request
    def _require_two_factor_for_staff() -> Response | None:
        """Staff of a partnership that requires two-factor sign-in must set it up first."""
        if not current_user.is_authenticated or request.endpoint is None:
            return None
        if request.endpoint.startswith(("accounts.", "static", "main.healthz", "main.language")):
            return None
        from engage.accounts.operations import two_factor_required

        if two_factor_required(current_user) and not current_user.totp_secret:
            return redirect(url_for("accounts.two_factor_setup"))
        return None
