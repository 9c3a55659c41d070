"""Citizens' panel pages: public sign-up, and the coordinators' pool, quotas and selection."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from engage.core.errors import EngageError, ImportFailed
from engage.core.i18n import current_language
from engage.core.spreadsheets import csv_bytes
from engage.core.views import add_form_error, commit_operation
from engage.extensions import db
from engage.jobs import enqueue_job
from engage.panels import labels, operations, policy
from engage.panels.forms import (
    CensusQuotaForm,
    EraseVolunteerForm,
    ImportForm,
    LeaveForm,
    MemberStatusForm,
    PanelForm,
    QuotaForm,
    RefreshForm,
    ReplaceForm,
    SelectForm,
    SettingsForm,
    volunteer_form,
)
from engage.panels.models import (
    DEFAULT_FEATURES,
    ContactPreference,
    MemberStatus,
    Panel,
    PanelMember,
    PanelQuota,
    Selection,
    Volunteer,
    VolunteerSource,
)
from engage.partnerships.models import Partnership

bp = Blueprint("panels", __name__, url_prefix="/partnerships/<slug>/panels")

MAX_ID = 2**31 - 1


@bp.url_value_preprocessor
def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    for name, value in (values or {}).items():
        if name.endswith("_id") and isinstance(value, int) and value > MAX_ID:
            abort(404)


def _partnership(slug: str) -> Partnership:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None:
        abort(404)
    return partnership


def _managed(slug: str) -> Partnership:
    partnership = _partnership(slug)
    if not policy.can_manage_panels(current_user, partnership):
        abort(403)
    return partnership


def _panel(partnership: Partnership, panel_id: int) -> Panel:
    panel = db.session.get(Panel, panel_id)
    if panel is None or panel.partnership_id != partnership.id:
        abort(404)
    return panel


def _managed_panel(slug: str, panel_id: int) -> Panel:
    return _panel(_managed(slug), panel_id)


def _wards(partnership: Partnership) -> list[tuple[int, str]]:
    language = current_language()
    return [
        (ward.id, ward.display_name(language))
        for area in partnership.areas
        for ward in area.wards()
    ]


# ---- public --------------------------------------------------------------------------------


@bp.route("/<int:panel_id>/join", methods=["GET", "POST"])
def sign_up(slug: str, panel_id: int) -> Any:
    """The public sign-up page (no account needed)."""
    panel = _panel(_partnership(slug), panel_id)
    if not policy.can_sign_up(panel):
        return render_template("panels/closed.html", panel=panel), 410
    form = volunteer_form(
        operations.feature_choices(panel), _wards(panel.partnership), staff=False
    )
    if form.validate_on_submit():
        user = current_user if getattr(current_user, "is_authenticated", False) else None
        volunteer = commit_operation(
            form, lambda: _add_volunteer(panel, form, VolunteerSource.ONLINE, user), field="name"
        )
        if volunteer is not None:
            return render_template("panels/thanks.html", panel=panel)
    return render_template("panels/sign_up.html", panel=panel, form=form)


@bp.route("/<int:panel_id>/leave", methods=["GET", "POST"])
@login_required
def leave(slug: str, panel_id: int) -> Any:
    """A signed-in volunteer leaves the pool (or the panel): withdrawn and details erased."""
    panel = _panel(_partnership(slug), panel_id)
    volunteer = db.session.scalar(
        select(Volunteer).where(Volunteer.panel_id == panel.id,
                                Volunteer.user_id == current_user.id)
    )
    form = LeaveForm()
    if volunteer is not None and form.validate_on_submit():
        done = commit_operation(
            form, lambda: operations.erase_volunteer(volunteer, actor_id=current_user.id) or True,
            field="confirm", success=_("You have left the panel and your details have been erased."),
        )
        if done:
            return redirect(url_for("main.home"))
    return render_template("panels/leave.html", panel=panel, volunteer=volunteer, form=form)


@bp.route("/<int:panel_id>/privacy")
def privacy(slug: str, panel_id: int) -> str:
    panel = _panel(_partnership(slug), panel_id)
    return render_template("panels/privacy.html", panel=panel)


def _add_volunteer(panel: Panel, form: Any, source: VolunteerSource, user: Any) -> Volunteer:
    ward = None
    if form.ward_id.data:
        ward = next(
            (w for a in panel.partnership.areas for w in a.wards() if w.id == form.ward_id.data),
            None,
        )
    demographics = {
        feature: getattr(form, f"feature_{feature}").data or ""
        for feature in panel.features
        if hasattr(form, f"feature_{feature}")
    }
    return operations.sign_up_volunteer(
        panel,
        name=form.name.data,
        email=form.email.data,
        phone=form.phone.data,
        address=form.address.data,
        postcode=form.postcode.data,
        ward=ward,
        demographics=demographics,
        special_category_consent=bool(form.special_category_consent.data),
        source=source,
        contact_preference=ContactPreference(form.contact_preference.data),
        user=user,
        actor_id=getattr(current_user, "id", None),
    )


# ---- coordinators --------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@login_required
def index(slug: str) -> Any:
    partnership = _managed(slug)
    form = PanelForm()
    if form.validate_on_submit():
        panel = Panel(partnership=partnership, name=form.name.data, size=form.size.data,
                      slug=f"panel-{len(_panels(partnership)) + 1}")
        db.session.add(panel)
        db.session.commit()
        flash(_("Panel created."), "success")
        return redirect(url_for("panels.panel", slug=slug, panel_id=panel.id))
    return render_template("panels/index.html", partnership=partnership,
                           panels=_panels(partnership), form=form)


def _panels(partnership: Partnership) -> list[Panel]:
    return list(db.session.scalars(
        select(Panel).where(Panel.partnership_id == partnership.id).order_by(Panel.id)
    ))


@bp.route("/<int:panel_id>")
@login_required
def panel(slug: str, panel_id: int) -> str:
    panel = _managed_panel(slug, panel_id)
    counts = {
        status: sum(m.status == status for m in panel.members) for status in MemberStatus
    }
    return render_template(
        "panels/panel.html", panel=panel, partnership=panel.partnership, counts=counts,
        pool_size=len(panel.volunteers), attrition=operations.attrition(panel),
    )


@bp.route("/<int:panel_id>/volunteers")
@login_required
def volunteers(slug: str, panel_id: int) -> str:
    panel = _managed_panel(slug, panel_id)
    operations.record_demographics_view(panel, actor_id=current_user.id, what="pool")
    db.session.commit()
    return render_template("panels/volunteers.html", panel=panel,
                           volunteers=panel.volunteers)


@bp.route("/<int:panel_id>/volunteers/new", methods=["GET", "POST"])
@login_required
def add_volunteer(slug: str, panel_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    form = volunteer_form(operations.feature_choices(panel), _wards(panel.partnership), staff=True)
    if form.validate_on_submit():
        done = commit_operation(
            form,
            lambda: _add_volunteer(panel, form, VolunteerSource(form.source.data or "letter"), None),
            field="name", success=_("Volunteer added to the pool."),
        )
        if done is not None:
            return redirect(url_for("panels.add_volunteer", slug=slug, panel_id=panel.id))
    return render_template("panels/add_volunteer.html", panel=panel, form=form)


@bp.route("/<int:panel_id>/import", methods=["GET", "POST"])
@login_required
def import_pool(slug: str, panel_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    form = ImportForm()
    errors: list[Any] = []
    if form.validate_on_submit():
        try:
            added = operations.import_pool(
                panel, form.people.data.read(), form.features.data.read(),
                actor_id=current_user.id,
            )
        except ImportFailed as failure:
            db.session.rollback()
            errors = failure.errors
            form.people.errors = [*form.people.errors, _("Nothing was imported: fix the problems listed below.")]
        else:
            db.session.commit()
            flash(_("%(count)s volunteers imported.", count=added), "success")
            return redirect(url_for("panels.panel", slug=slug, panel_id=panel.id))
    return render_template("panels/import.html", panel=panel, form=form, errors=errors)


@bp.route("/<int:panel_id>/quotas", methods=["GET", "POST"])
@login_required
def quotas(slug: str, panel_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    form = CensusQuotaForm(tolerance=panel.tolerance)
    if form.validate_on_submit():
        done = commit_operation(
            form,
            lambda: operations.set_quotas_from_census(panel, form.tolerance.data,
                                                      actor_id=current_user.id) or True,
            field="tolerance", success=_("Quotas set from the census profile."),
        )
        if done:
            return redirect(url_for("panels.quotas", slug=slug, panel_id=panel.id))
    return render_template("panels/quotas.html", panel=panel, form=form,
                           messages=operations.feasibility_messages(panel))


@bp.route("/<int:panel_id>/quotas/<int:quota_id>", methods=["GET", "POST"])
@login_required
def quota(slug: str, panel_id: int, quota_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    row = db.session.get(PanelQuota, quota_id)
    if row is None or row.panel_id != panel.id:
        abort(404)
    form = QuotaForm(obj=row)
    if form.validate_on_submit():
        done = commit_operation(
            form, lambda: operations.set_quota(panel, row, form.minimum.data,
                                               form.maximum.data) or True,
            field="minimum", success=_("Quota saved."),
        )
        if done:
            return redirect(url_for("panels.quotas", slug=slug, panel_id=panel.id))
    return render_template("panels/quota.html", panel=panel, quota=row, form=form)


@bp.route("/<int:panel_id>/select", methods=["GET", "POST"])
@login_required
def select_panel(slug: str, panel_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    form = SelectForm()
    messages = operations.feasibility_messages(panel)
    if form.validate_on_submit():
        if messages:
            add_form_error(form, EngageError(_("The quotas cannot be met: see the problems above.")),
                           "algorithm")
        else:
            # the same request twice (a double click) queues one job, not two selections
            key = (f"panel-{panel.id}:round-{len(panel.selections)}:"
                   f"{form.algorithm.data}:{form.seed.data}")
            job = enqueue_job(
                "panels.select",
                {"panel_id": panel.id, "algorithm": form.algorithm.data, "seed": form.seed.data},
                owner_id=current_user.id, partnership_id=panel.partnership_id, key=key,
            )
            db.session.commit()
            return redirect(url_for("jobs.status", job_id=job.id))
    return render_template("panels/select.html", panel=panel, form=form, messages=messages)


@bp.route("/<int:panel_id>/selections/<int:selection_id>")
@login_required
def selection(slug: str, panel_id: int, selection_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    row = db.session.get(Selection, selection_id)
    if row is None or row.panel_id != panel.id:
        abort(404)
    if request.args.get("format") == "csv":
        body = csv_bytes(["id", "probability"], sorted(row.probabilities.items()))
        return body, 200, {"Content-Type": "text/csv; charset=utf-8",
                           "Content-Disposition": f"attachment; filename=probabilities-{row.id}.csv"}
    summary = operations.selection_summary(row, current_app.config["ENGAGE_DISCLOSURE_THRESHOLD"])
    return render_template("panels/selection.html", panel=panel, selection=row,
                           summary=summary, total=summary["total"])


@bp.route("/<int:panel_id>/members", methods=["GET", "POST"])
@login_required
def members(slug: str, panel_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    replace_form, refresh_form = ReplaceForm(prefix="replace"), RefreshForm(prefix="refresh")
    if (replace_form.submit.data and replace_form.validate_on_submit()
            and commit_operation(replace_form, lambda: operations.replace_withdrawn(
                panel, replace_form.seed.data, actor_id=current_user.id) or True,
                field="seed", success=_("Replacements selected."))):
        return redirect(url_for("panels.members", slug=slug, panel_id=panel.id))
    if (refresh_form.submit.data and refresh_form.validate_on_submit()
            and commit_operation(refresh_form, lambda: operations.refresh_panel(
                panel, refresh_form.share.data, refresh_form.seed.data,
                actor_id=current_user.id) or True,
                field="share", success=_("Refresh round done."))):
        return redirect(url_for("panels.members", slug=slug, panel_id=panel.id))
    operations.record_demographics_view(panel, actor_id=current_user.id, what="members")
    db.session.commit()
    return render_template("panels/members.html", panel=panel, replace_form=replace_form,
                           refresh_form=refresh_form, status_form=MemberStatusForm(),
                           form=replace_form if replace_form.errors else refresh_form)


@bp.route("/<int:panel_id>/members/<int:member_id>", methods=["POST"])
@login_required
def member_status(slug: str, panel_id: int, member_id: int) -> WerkzeugResponse:
    panel = _managed_panel(slug, panel_id)
    member = db.session.get(PanelMember, member_id)
    if member is None or member.panel_id != panel.id:
        abort(404)
    form = MemberStatusForm()
    if form.validate_on_submit():
        operations.set_member_status(member, MemberStatus(form.status.data),
                                     actor_id=current_user.id)
        db.session.commit()
        flash(_("Status changed."), "success")
    return redirect(url_for("panels.members", slug=slug, panel_id=panel.id))


@bp.route("/<int:panel_id>/report")
@login_required
def report(slug: str, panel_id: int) -> str:
    panel = _managed_panel(slug, panel_id)
    operations.record_demographics_view(panel, actor_id=current_user.id, what="report")
    db.session.commit()
    return render_template("panels/report.html", panel=panel,
                           rows=operations.representativeness(panel), labels=labels)


@bp.route("/<int:panel_id>/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str, panel_id: int) -> Any:
    panel = _managed_panel(slug, panel_id)
    form = SettingsForm(obj=panel)
    known = list(dict.fromkeys([*DEFAULT_FEATURES, *panel.features]))
    form.features.choices = [SelectChoice(f, labels.feature_label(f)) for f in known]
    if form.validate_on_submit():
        done = commit_operation(
            form,
            lambda: operations.update_panel_settings(
                panel, name=form.name.data, size=form.size.data,
                features=[f for f in known if f in (form.features.data or [])],
                is_recruiting=bool(form.is_recruiting.data),
                is_one_per_household=bool(form.is_one_per_household.data),
                retention_days=form.retention_days.data, actor_id=current_user.id,
            ) or True,
            field="name", success=_("Settings saved."),
        )
        if done:
            return redirect(url_for("panels.panel", slug=slug, panel_id=panel.id))
    return render_template("panels/settings.html", panel=panel, form=form)


@bp.route("/<int:panel_id>/volunteers/<int:volunteer_id>/erase", methods=["GET", "POST"])
@login_required
def erase_volunteer(slug: str, panel_id: int, volunteer_id: int) -> Any:
    """Withdraw a volunteer and erase their details when they ask (by letter, phone...)."""
    panel = _managed_panel(slug, panel_id)
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.panel_id != panel.id:
        abort(404)
    form = EraseVolunteerForm()
    if form.validate_on_submit():
        done = commit_operation(
            form, lambda: operations.erase_volunteer(volunteer, actor_id=current_user.id) or True,
            field="confirm", success=_("The volunteer was withdrawn and their details erased."),
        )
        if done:
            return redirect(url_for("panels.volunteers", slug=slug, panel_id=panel.id))
    return render_template("panels/erase_volunteer.html", panel=panel, volunteer=volunteer,
                           form=form)


@bp.route("/<int:panel_id>/surveys")
@login_required
def surveys(slug: str, panel_id: int) -> str:
    """Panel surveys (consultations put to the panel) and response rates, overall and by group."""
    panel = _managed_panel(slug, panel_id)
    operations.record_demographics_view(panel, actor_id=current_user.id, what="surveys")
    db.session.commit()
    threshold = current_app.config["ENGAGE_DISCLOSURE_THRESHOLD"]
    return render_template("panels/surveys.html", panel=panel, threshold=threshold,
                           rows=operations.survey_response_rates(panel, threshold))


@bp.context_processor
def _panel_helpers() -> dict[str, Any]:
    return {"panel_labels": labels}


def recruiting_panels(partnership: Partnership) -> list[Panel]:
    """The partnership's panels whose public sign-up page is open (for the resident home)."""
    return list(db.session.scalars(
        select(Panel)
        .where(Panel.partnership_id == partnership.id, Panel.is_recruiting.is_(True))
        .order_by(Panel.id)
    ))


@bp.app_context_processor
def _recruiting_panels() -> dict[str, Any]:
    return {"recruiting_panels": recruiting_panels}


def _register_commands() -> None:
    from engage.panels.cli import purge_command, select_command

    bp.cli.add_command(select_command)
    bp.cli.add_command(purge_command)


_register_commands()
