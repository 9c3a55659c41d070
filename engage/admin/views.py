"""Admin pages: partnerships, areas, themes, organisations, people and roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from engage.accounts import operations as account_operations
from engage.accounts.models import Membership, Role, User
from engage.admin.forms import (
    AreaImportForm,
    GrantRoleForm,
    OrganisationForm,
    PartnershipEditForm,
    PartnershipForm,
    ThemeForm,
)
from engage.core.errors import EngageError, ImportFailed
from engage.core.i18n import current_language
from engage.core.spreadsheets import UnreadableFile, csv_bytes, read_csv_rows
from engage.core.views import add_form_error, commit_operation
from engage.extensions import db
from engage.partnerships import operations, policy
from engage.partnerships.labels import KIND_LABELS, ROLE_LABELS, SECTOR_LABELS
from engage.partnerships.models import (
    PROFILE_FEATURES,
    Area,
    Organisation,
    Partnership,
    PartnershipKind,
    Sector,
    Theme,
)

bp = Blueprint("admin", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in user; each view then checks the policy."""


def _partnership(slug: str, allowed: Callable[[Any, Partnership], bool]) -> Partnership:
    """The partnership, if the user may do this to it; otherwise 404, never a hint it exists."""
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None or not allowed(current_user, partnership):
        abort(404)
    return partnership


@bp.get("/")
def index() -> str:
    every = db.session.scalars(select(Partnership).order_by(Partnership.name)).all()
    manageable = [p for p in every if policy.can_view_partnership_admin(current_user, p)]
    if not manageable and not current_user.is_platform_admin:
        abort(403)
    return render_template(
        "admin/index.html",
        partnerships=manageable,
        can_create_top=policy.can_create_partnership(current_user, None),
    )


@bp.route("/partnerships/new", methods=["GET", "POST"])
def new_partnership() -> str | WerkzeugResponse:
    parent_slug = request.args.get("parent")
    parent = _partnership(parent_slug, policy.can_manage_partnership) if parent_slug else None
    if not policy.can_create_partnership(current_user, parent):
        abort(403)
    form = PartnershipForm()
    form.kind.choices = [SelectChoice(k.value, str(KIND_LABELS[k.value])) for k in PartnershipKind]
    if form.validate_on_submit():
        try:
            partnership = operations.create_partnership(
                current_user.id,
                form.name.data or "",
                PartnershipKind(form.kind.data),
                parent=parent,
                name_cy=form.name_cy.data,
                slug=(form.slug.data or "").strip(),
                requires_staff_two_factor=bool(form.requires_staff_two_factor.data),
            )
            if parent is None:
                # Whoever creates a top-level partnership administers it.
                account_operations.grant_membership(
                    current_user, current_user, partnership, Role.ADMIN
                )
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Partnership created"), "success")
            return redirect(url_for("admin.partnership", slug=partnership.slug))
    return render_template(
        "admin/partnership_form.html", form=form, parent=parent, partnership=None
    )


@bp.get("/partnerships/<slug>")
def partnership(slug: str) -> str:
    found = _partnership(slug, policy.can_view_partnership_admin)
    wards = [w for area in found.areas for w in area.wards()]
    return render_template(
        "admin/partnership.html",
        partnership=found,
        ward_count=len(wards),
        population=sum(a.population for a in found.areas),
        can_manage=policy.can_manage_partnership(current_user, found),
        members=len(found.memberships),
    )


@bp.route("/partnerships/<slug>/edit", methods=["GET", "POST"])
def edit_partnership(slug: str) -> str | WerkzeugResponse:
    found = _partnership(slug, policy.can_manage_partnership)
    form = PartnershipEditForm(obj=found)
    if form.validate_on_submit():
        operations.update_partnership(
            current_user.id,
            found,
            name=form.name.data or "",
            name_cy=form.name_cy.data,
            requires_staff_two_factor=bool(form.requires_staff_two_factor.data),
        )
        db.session.commit()
        flash(_("Partnership saved"), "success")
        return redirect(url_for("admin.partnership", slug=found.slug))
    return render_template(
        "admin/partnership_form.html", form=form, parent=found.parent, partnership=found
    )


@bp.get("/partnerships/<slug>/areas")
def areas(slug: str) -> str:
    found = _partnership(slug, policy.can_view_partnership_admin)
    return render_template(
        "admin/areas.html",
        partnership=found,
        can_import=policy.can_import_areas(current_user, found),
    )


@bp.get("/partnerships/<slug>/areas/template.csv")
def areas_template(slug: str) -> Response:
    _partnership(slug, policy.can_import_areas)
    profile_columns = [
        "age_band:0-15",
        "age_band:16-24",
        "age_band:25-44",
        "age_band:45-64",
        "age_band:65-74",
        "age_band:75+",
        "sex:female",
        "sex:male",
    ]
    header = [*operations.AREA_COLUMNS, *profile_columns]
    example = [
        [
            "E07000999",
            "Example District",
            "",
            "district",
            "",
            "100000",
            *[""] * len(profile_columns),
        ],
        [
            "E05099901",
            "Example Ward",
            "",
            "ward",
            "E07000999",
            "8000",
            "1400",
            "800",
            "2100",
            "2000",
            "900",
            "800",
            "4100",
            "3900",
        ],
    ]
    response = Response(csv_bytes(header, example), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=areas-template.csv"
    return response


@bp.route("/partnerships/<slug>/areas/import", methods=["GET", "POST"])
def import_areas(slug: str) -> str | WerkzeugResponse:
    found = _partnership(slug, policy.can_import_areas)
    form = AreaImportForm()
    row_errors = []
    if form.validate_on_submit():
        try:
            rows = list(read_csv_rows(form.file.data.read()))
            result = operations.import_areas(current_user.id, found, rows)
        except UnreadableFile:
            db.session.rollback()
            form.file.errors = [_("The file must be a CSV saved as UTF-8 or Windows-1252 text")]
        except ImportFailed as failure:
            db.session.rollback()
            row_errors = failure.errors
            form.file.errors = [
                _("Nothing was imported: fix the rows listed and upload the file again")
            ]
        else:
            db.session.commit()
            flash(
                _(
                    "Imported %(created)d new and updated %(updated)d areas",
                    created=result.created,
                    updated=result.updated,
                ),
                "success",
            )
            return redirect(url_for("admin.areas", slug=found.slug))
    return render_template(
        "admin/areas_import.html",
        form=form,
        partnership=found,
        row_errors=row_errors,
        features=PROFILE_FEATURES,
    )


@bp.get("/partnerships/<slug>/themes")
def themes(slug: str) -> str:
    found = _partnership(slug, policy.can_manage_themes)
    return render_template("admin/themes.html", partnership=found)


@bp.route("/partnerships/<slug>/themes/new", methods=["GET", "POST"])
@bp.route("/partnerships/<slug>/themes/<int:theme_id>", methods=["GET", "POST"])
def theme(slug: str, theme_id: int | None = None) -> str | WerkzeugResponse:
    found = _partnership(slug, policy.can_manage_themes)
    existing = None
    if theme_id is not None:
        existing = db.session.get(Theme, theme_id)
        if existing is None or existing.partnership_id != found.id:
            abort(404)
    form = ThemeForm(obj=existing)
    if form.validate_on_submit() and commit_operation(
        form,
        lambda: operations.save_theme(
            current_user.id,
            found,
            name=form.name.data or "",
            name_cy=form.name_cy.data,
            is_active=bool(form.is_active.data),
            theme=existing,
        ),
        field="name",
        success=_("Theme saved"),
    ):
        return redirect(url_for("admin.themes", slug=found.slug))
    return render_template("admin/theme_form.html", form=form, partnership=found, theme=existing)


@bp.get("/partnerships/<slug>/organisations")
def organisations(slug: str) -> str:
    found = _partnership(slug, policy.can_manage_organisations)
    return render_template("admin/organisations.html", partnership=found)


@bp.route("/partnerships/<slug>/organisations/new", methods=["GET", "POST"])
@bp.route("/partnerships/<slug>/organisations/<int:organisation_id>", methods=["GET", "POST"])
def organisation(slug: str, organisation_id: int | None = None) -> str | WerkzeugResponse:
    found = _partnership(slug, policy.can_manage_organisations)
    existing = None
    if organisation_id is not None:
        existing = db.session.get(Organisation, organisation_id)
        if existing is None or found not in existing.partnerships:
            abort(404)
    form = OrganisationForm(obj=existing)
    form.sector.choices = [SelectChoice(s.value, str(SECTOR_LABELS[s.value])) for s in Sector]
    if request.method == "GET" and existing is not None:
        form.sector.data = existing.sector.value
    if form.validate_on_submit() and commit_operation(
        form,
        lambda: operations.save_organisation(
            current_user.id,
            found,
            name=form.name.data or "",
            name_cy=form.name_cy.data,
            sector=Sector(form.sector.data),
            organisation=existing,
        ),
        field="name",
        success=_("Organisation saved"),
    ):
        return redirect(url_for("admin.organisations", slug=found.slug))
    return render_template(
        "admin/organisation_form.html", form=form, partnership=found, organisation=existing
    )


def _grant_form(found: Partnership) -> GrantRoleForm:
    form = GrantRoleForm()
    form.role.choices = [SelectChoice(r.value, str(ROLE_LABELS[r.value])) for r in Role]
    language = current_language()
    form.organisation.choices = [SelectChoice("", _("Not a partner officer"))] + [
        SelectChoice(str(o.id), o.display_name(language)) for o in found.organisations
    ]
    wards = sorted((w for a in found.areas for w in a.wards()), key=lambda w: w.name)
    form.wards.choices = [SelectChoice(str(w.id), w.display_name(language)) for w in wards]
    return form


@bp.route("/partnerships/<slug>/people", methods=["GET", "POST"])
def members(slug: str) -> str | WerkzeugResponse:
    found = _partnership(slug, policy.can_manage_members)
    form = _grant_form(found)
    if form.validate_on_submit():
        user = account_operations.find_user_by_email(form.email.data or "")
        organisation = (
            db.session.get(Organisation, int(form.organisation.data))
            if form.organisation.data
            else None
        )
        wards = [db.session.get(Area, int(w)) for w in form.wards.data or []]
        try:
            if user is None or not user.is_active:
                raise EngageError(
                    _("There is no active account with this email address"), field="email"
                )
            account_operations.grant_membership(
                current_user,
                user,
                found,
                Role(form.role.data),
                organisation,
                [w for w in wards if w is not None],
            )
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "role")
        else:
            db.session.commit()
            flash(_("Role granted"), "success")
            return redirect(url_for("admin.members", slug=found.slug))
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.partnership_id == found.id)
        .join(User)
        .order_by(User.email)
    ).all()
    return render_template(
        "admin/members.html", partnership=found, form=form, memberships=memberships
    )


@bp.post("/partnerships/<slug>/people/<int:membership_id>/revoke")
def revoke(slug: str, membership_id: int) -> WerkzeugResponse:
    found = _partnership(slug, policy.can_manage_members)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.partnership_id != found.id:
        abort(404)
    account_operations.revoke_membership(current_user, membership)
    db.session.commit()
    flash(_("Role removed"), "success")
    return redirect(url_for("admin.members", slug=found.slug))


@bp.get("/users")
def users() -> str:
    """Platform administrators find any account by email, see its roles and can disable it."""
    if not current_user.is_platform_admin:
        abort(404)
    search = (request.args.get("email") or "").strip().lower()[:254]
    query = select(User).where(User.erased_at.is_(None)).order_by(User.email).limit(50)
    if search:
        query = query.where(User.email.contains(search, autoescape=True))
    return render_template("admin/users.html", users=db.session.scalars(query).all(), search=search)


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int) -> WerkzeugResponse:
    """Platform administrators can disable an account; its sessions end at once."""
    if not current_user.is_platform_admin:
        abort(404)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        account_operations.set_user_disabled(
            current_user, user, request.form.get("disabled") != "0"
        )
    except EngageError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(_("Account updated"), "success")
    return redirect(url_for("admin.users", email=user.email))
