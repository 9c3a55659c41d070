"""Home pages per role, health check, language switch and the standing pages."""

from __future__ import annotations

from collections import defaultdict

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select, text
from werkzeug.wrappers import Response

from engage.accounts.models import Membership, Role
from engage.core.i18n import LANGUAGE_COOKIE, LANGUAGES
from engage.core.security import safe_next
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Partnership
from engage.partnerships.policy import can_view_ward, councillor_ward_ids, roles_in

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """Anonymous visitors get the start page; signed-in users a section per role they hold."""
    if not current_user.is_authenticated:
        partnerships = db.session.scalars(
            select(Partnership).where(Partnership.parent_id.is_(None)).order_by(Partnership.name)
        ).all()
        return render_template("main/start.html", partnerships=partnerships)
    by_partnership: dict[Partnership, list[Membership]] = defaultdict(list)
    for membership in current_user.memberships:
        by_partnership[membership.partnership].append(membership)
    sections = []
    for partnership, memberships in sorted(by_partnership.items(), key=lambda kv: kv[0].name):
        roles = {m.role for m in memberships}
        sections.append(
            {
                "partnership": partnership,
                "roles": sorted(roles, key=list(Role).index),
                "memberships": memberships,
                "councillor_wards": sorted(
                    (w for m in memberships if m.role == Role.COUNCILLOR for w in m.wards),
                    key=lambda w: w.name,
                ),
                "organisations": sorted(
                    {m.organisation for m in memberships if m.organisation},
                    key=lambda o: o.name,
                ),
            }
        )
    return render_template("main/home.html", sections=sections)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness and database check for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check failed")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: database reachable, migrations at head, Redis reachable when configured."""
    from engage.core.readiness import readiness

    report, ready = readiness(current_app._get_current_object())  # type: ignore[attr-defined]
    return jsonify(report), 200 if ready else 503


@bp.get("/language/<language>")
def language(language: str) -> Response:
    """The English | Cymraeg switch: a plain link, so it works without JavaScript."""
    if language not in LANGUAGES:
        abort(404)
    response = redirect(safe_next(request.args.get("next"), url_for("main.home")))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    if current_user.is_authenticated and current_user.locale != language:
        current_user.locale = language
        db.session.commit()
    return response


@bp.get("/partnerships/<slug>/wards/<gss_code>")
def ward(slug: str, gss_code: str) -> str:
    """A ward's profile for its councillors and the partnership's coordinators."""
    partnership = db.one_or_404(select(Partnership).where(Partnership.slug == slug))
    area = db.one_or_404(
        select(Area).where(Area.gss_code == gss_code, Area.level == AreaLevel.WARD)
    )
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    if not can_view_ward(current_user, partnership, area):
        abort(404)
    district = area.parent
    return render_template(
        "main/ward.html",
        partnership=partnership,
        ward=area,
        district=district,
        profile=area.profile(),
        district_profile=district.profile() if district else {},
        roles=roles_in(current_user, partnership),
        own_wards=councillor_ward_ids(current_user, partnership),
    )


@bp.get("/privacy")
def privacy() -> str:
    return render_template("main/privacy.html")


@bp.get("/accessibility")
def accessibility() -> str:
    return render_template("main/accessibility.html")


@bp.get("/cookies")
def cookies() -> str:
    return render_template("main/cookies.html")
