"""The engagement register and its audit: thin views over operations, reports and policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
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

from engage.audit import imports, operations, policy, reports
from engage.audit.forms import (
    ActivityForm,
    ConfirmDeleteForm,
    CouncillorFilterForm,
    CoverageForm,
    DuplicateReviewForm,
    DuplicateSettingsForm,
    FeedbackForm,
    ImportForm,
    RatingForm,
    RegisterFilterForm,
    VocabularyForm,
    VocabularyToggleForm,
)
from engage.audit.labels import (
    DECISION_HINTS,
    DECISION_LABELS,
    RATING_LABELS,
    STATUS_TAG_CLASSES,
    TREND_LABELS,
    label,
    method_label,
    status_label,
)
from engage.audit.models import (
    AssessmentDimension,
    DuplicateDecision,
    EngagementActivity,
    Method,
    Status,
    TargetGroup,
)
from engage.audit.self_assessment import Rating
from engage.core.errors import EngageError, ImportFailed
from engage.core.i18n import current_language
from engage.core.security import printable_filename
from engage.core.spreadsheets import csv_bytes, xlsx_bytes
from engage.core.time import utcnow
from engage.extensions import db
from engage.partnerships.models import Partnership
from engage.partnerships.policy import councillor_ward_ids

bp = Blueprint("audit", __name__)

PER_PAGE = 50


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in user; each view then asks the policy."""


@bp.app_template_global()
def audit_policy() -> Any:
    """The register's policy module, for templates deciding which links to offer."""
    return policy


@bp.app_template_global()
def audit_labels() -> dict[str, Any]:
    return {
        "method": method_label,
        "status": status_label,
        "status_class": lambda code: STATUS_TAG_CLASSES.get(str(getattr(code, "value", code)), ""),
        "rating": lambda code: label(RATING_LABELS, code),
        "trend": lambda code: label(TREND_LABELS, code),
        "decision": lambda code: label(DECISION_LABELS, code),
        "pounds": reports.pounds,
        "whole": reports.whole,
        "rate": reports.rate,
        "share": reports.share,
    }


def _partnership(slug: str, allowed: Callable[[Any, Partnership], bool]) -> Partnership:
    """The partnership, if the user may do this to it; otherwise 404, never a hint it exists."""
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None or not allowed(current_user, partnership):
        abort(404)
    return partnership


def _activity(partnership: Partnership, activity_id: int) -> EngagementActivity:
    activity = db.session.get(EngagementActivity, activity_id)
    if activity is None or not policy.can_view_activity(current_user, partnership, activity):
        abort(404)
    return activity


def _is_fragment_request() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def _page_or_fragment(page_template: str, fragment_template: str, **context: Any) -> Response:
    """One endpoint for the full page and its htmx fragment (same markup, never drifting)."""
    template = fragment_template if _is_fragment_request() else page_template
    response = Response(render_template(template, **context), mimetype="text/html")
    response.vary.add("HX-Request")
    return response


def _form_error(form: Any, error: EngageError, default: str) -> None:
    name = error.field if error.field and hasattr(form, error.field) else default
    field = getattr(form, name)
    field.errors = [*field.errors, str(error)]


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "no-store"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --------------------------------------------------------------------------------------------
# The register
# --------------------------------------------------------------------------------------------


def _filter_form(partnership: Partnership, geo: operations.Geography) -> RegisterFilterForm:
    language = current_language()
    form = RegisterFilterForm(request.args)
    anything = SelectChoice("", _("Any"))
    form.organisation.choices = [anything] + [
        SelectChoice(str(o.id), o.display_name(language))
        for o in operations.partner_organisations(partnership)
    ]
    form.theme.choices = [anything] + [
        SelectChoice(str(t.id), t.display_name(language)) for t in partnership.themes
    ]
    form.ward.choices = [anything] + [
        SelectChoice(str(w.id), w.display_name(language)) for w in geo.wards
    ]
    form.method.choices = [anything] + [SelectChoice(m.value, method_label(m)) for m in Method]
    form.target_group.choices = [anything] + [
        SelectChoice(g.code, g.label(language)) for g in operations.target_groups(partnership)
    ]
    form.status.choices = [anything] + [SelectChoice(s.value, status_label(s)) for s in Status]
    return form


def _filters(form: RegisterFilterForm) -> operations.RegisterFilters:
    """Valid filters only: a bad value in the address is reported and ignored."""
    form.validate()
    def ok(name: str) -> Any:
        field = getattr(form, name)
        return None if field.errors or field.data in ("", None) else field.data
    return operations.RegisterFilters(
        organisation_id=ok("organisation"),
        theme_id=ok("theme"),
        ward_id=ok("ward"),
        method=ok("method"),
        target_group=ok("target_group"),
        status=ok("status"),
        date_from=ok("date_from"),
        date_to=ok("date_to"),
        text=ok("q"),
    )


def _query_without(*names: str, **extra: Any) -> str:
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in names]
    pairs += [(k, str(v)) for k, v in extra.items()]
    return urlencode(pairs)


def _pagination(endpoint: str, slug: str, page: operations.RegisterPage) -> dict[str, Any] | None:
    if page.pages <= 1:
        return None

    def href(number: int) -> str:
        return url_for(endpoint, slug=slug) + "?" + _query_without("page", page=number)

    numbers = sorted({1, page.pages, *range(max(1, page.page - 2), min(page.pages, page.page + 2) + 1)})
    items: list[dict[str, Any]] = []
    previous = 0
    for number in numbers:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page.page,
                      "visuallyHiddenText": _("Page %(number)d", number=number)})
        previous = number
    params: dict[str, Any] = {"items": items, "landmarkLabel": _("Pages of results")}
    if page.page > 1:
        params["previous"] = {"href": href(page.page - 1), "text": _("Previous"), "labelText": ""}
    if page.page < page.pages:
        params["next"] = {"href": href(page.page + 1), "text": _("Next"), "labelText": ""}
    return params


def _detail_rules(partnership: Partnership) -> dict[str, Callable[[EngagementActivity], bool]]:
    threshold = current_app.config["ENGAGE_DISCLOSURE_THRESHOLD"]

    def restricted(activity: EngagementActivity) -> bool:
        return policy.can_see_restricted_details(current_user, partnership, activity)

    return {
        "edit": lambda a: policy.can_edit_activity(current_user, partnership, a),
        "restricted": restricted,
        "results": lambda a: policy.can_see_results(current_user, partnership, a),
        # Small counts are suppressed for anyone but the owner and the managers.
        "small": lambda a: 0 < a.participants < threshold and not restricted(a),
    }


@bp.get("/partnerships/<slug>/register")
def register(slug: str) -> Response:
    """The register table, filtered and paged; the htmx fragment is the results region."""
    partnership = _partnership(slug, policy.can_view_register)
    geo = operations.geography(partnership)
    form = _filter_form(partnership, geo)
    filters = _filters(form)
    try:
        page_number = int(request.args.get("page", "1"))
    except ValueError:
        page_number = 1
    query = operations.register_query([partnership.id], filters, geo)
    page = operations.register_page(query, page_number, PER_PAGE)
    return _page_or_fragment(
        "audit/register.html",
        "audit/_register_results.html",
        partnership=partnership,
        form=form if form.errors else None,
        filter_form=form,
        page=page,
        filters=filters,
        pagination=_pagination("audit.register", slug, page),
        export_query=_query_without("page"),
        rules=_detail_rules(partnership),
        can_create=policy.can_create_activity(current_user, partnership),
        is_manager=policy.is_manager(current_user, partnership),
        group_labels={g.code: g.label(current_language()) for g in operations.target_groups(partnership)},
    )


@bp.get("/partnerships/<slug>/register/export.<fmt>")
def export_register(slug: str, fmt: str) -> Response:
    """The filtered register as CSV or XLSX, in the import format (formula-safe)."""
    partnership = _partnership(slug, policy.can_view_register)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    geo = operations.geography(partnership)
    filters = _filters(_filter_form(partnership, geo))
    activities = operations.all_activities(operations.register_query([partnership.id], filters, geo))
    rules = _detail_rules(partnership)
    rows = [
        imports.export_row(a, restricted=rules["restricted"](a), results=rules["results"](a),
                           small=rules["small"](a))
        for a in activities
    ]
    stamp = utcnow().date().isoformat()
    if fmt == "csv":
        return _download(csv_bytes(imports.EXPORT_COLUMNS, rows), "text/csv",
                         f"engagement-register-{partnership.slug}-{stamp}.csv")
    return _download(xlsx_bytes(imports.EXPORT_COLUMNS, rows, title="Register"), XLSX,
                     f"engagement-register-{partnership.slug}-{stamp}.xlsx")


@bp.get("/partnerships/<slug>/register/<int:activity_id>")
def activity(slug: str, activity_id: int) -> str:
    partnership = _partnership(slug, lambda _u, _p: True)
    found = _activity(partnership, activity_id)
    language = current_language()
    groups = {g.code: g.label(language) for g in operations.target_groups(found.partnership)}
    rules = _detail_rules(partnership)
    staff_view = policy.can_view_register(current_user, partnership)
    return render_template(
        "audit/activity.html",
        partnership=partnership,
        activity=found,
        group_labels=groups,
        can_edit=rules["edit"](found),
        restricted=rules["restricted"](found),
        results=rules["results"](found),
        # Councillors see small counts suppressed, like every count shown outside the partners.
        participants_hidden=rules["small"](found),
        back=url_for("audit.register", slug=slug) if staff_view else url_for("audit.councillor", slug=slug),
    )


def _activity_form(
    partnership: Partnership, existing: EngagementActivity | None, data: Any = None
) -> ActivityForm:
    language = current_language()
    geo = operations.geography(partnership)
    form = ActivityForm(formdata=data, obj=existing) if data is not None else ActivityForm(obj=existing)
    if policy.is_manager(current_user, partnership):
        organisations = operations.partner_organisations(partnership)
    else:
        allowed = policy.officer_organisation_ids(current_user, partnership)
        organisations = [o for o in operations.partner_organisations(partnership) if o.id in allowed]
    form.organisation_id.choices = [SelectChoice("", _("Choose a partner"))] + [
        SelectChoice(str(o.id), o.display_name(language)) for o in organisations
    ]
    form.method.choices = [SelectChoice("", _("Choose a method"))] + [
        SelectChoice(m.value, method_label(m)) for m in Method
    ]
    themes = operations.partnership_themes(partnership)
    if existing is not None:
        themes += [t for t in existing.themes if t not in themes]
    form.theme_ids.choices = [SelectChoice(str(t.id), t.display_name(language)) for t in themes]
    form.area_ids.choices = [
        SelectChoice(str(a.id), _("All of %(area)s", area=a.display_name(language))) for a in geo.districts
    ] + [SelectChoice(str(w.id), w.display_name(language)) for w in geo.wards]
    keep = existing.target_groups if existing is not None else []
    form.target_groups.choices = [
        SelectChoice(g.code, g.label(language))
        for g in operations.target_groups(partnership)
        if g.is_active or g.code in keep
    ]
    form.status.choices = [SelectChoice(s.value, status_label(s)) for s in Status]
    if request.method == "GET":
        if existing is not None:
            form.organisation_id.data = existing.organisation_id
            form.method.data = existing.method.value
            form.status.data = existing.status.value
            form.theme_ids.data = [t.id for t in existing.themes]
            form.area_ids.data = [a.id for a in existing.areas]
            form.target_groups.data = existing.target_groups
            form.cost.data = f"{existing.cost_pence / 100:.2f}" if existing.cost_pence else ""
            form.outcome_url.data = existing.outcome_url or ""
        else:
            form.status.data = Status.PLANNED.value
            if len(organisations) == 1:
                form.organisation_id.data = organisations[0].id
    return form


def _activity_data(form: ActivityForm) -> operations.ActivityData:
    return operations.ActivityData(
        organisation_id=form.organisation_id.data or 0,
        title=form.title.data or "",
        description=form.description.data or "",
        method=Method(form.method.data),
        theme_ids=list(form.theme_ids.data or []),
        area_ids=list(form.area_ids.data or []),
        is_partnership_wide=bool(form.is_partnership_wide.data),
        target_groups=list(form.target_groups.data or []),
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        participants=form.participants.data or 0,
        cost_pence=form.cost.pence or 0,
        status=Status(form.status.data),
        outcome_statement=form.outcome_statement.data or "",
        outcome_url=form.outcome_url.data,
        outcome_published_on=form.outcome_published_on.data,
        is_shared_with_partners=bool(form.is_shared_with_partners.data),
        contact_name=form.contact_name.data,
        contact_email=form.contact_email.data,
    )


@bp.route("/partnerships/<slug>/register/new", methods=["GET", "POST"])
@bp.route("/partnerships/<slug>/register/<int:activity_id>/edit", methods=["GET", "POST"])
def edit_activity(slug: str, activity_id: int | None = None) -> str | WerkzeugResponse:
    partnership = _partnership(slug, policy.can_create_activity)
    existing = None
    if activity_id is not None:
        existing = db.session.get(EngagementActivity, activity_id)
        if existing is None or not policy.can_edit_activity(current_user, partnership, existing):
            abort(404)
    form = _activity_form(partnership, existing)
    if form.validate_on_submit():
        data = _activity_data(form)
        allowed = (
            {o.id for o in operations.partner_organisations(partnership)}
            if policy.is_manager(current_user, partnership)
            else policy.officer_organisation_ids(current_user, partnership)
        )
        try:
            if data.organisation_id not in allowed:
                raise EngageError(_("Choose a partner organisation from the list"), field="organisation_id")
            saved = operations.save_activity(current_user.id, partnership, data, existing)
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "title")
        else:
            db.session.commit()
            flash(_("Activity saved"), "success")
            return redirect(url_for("audit.activity", slug=slug, activity_id=saved.id))
    return render_template("audit/activity_form.html", form=form, partnership=partnership, activity=existing)


@bp.route("/partnerships/<slug>/register/<int:activity_id>/delete", methods=["GET", "POST"])
def delete_activity(slug: str, activity_id: int) -> str | WerkzeugResponse:
    partnership = _partnership(slug, policy.can_create_activity)
    found = db.session.get(EngagementActivity, activity_id)
    if found is None or not policy.can_edit_activity(current_user, partnership, found):
        abort(404)
    form = ConfirmDeleteForm()
    if form.validate_on_submit():
        operations.delete_activity(current_user.id, partnership, found)
        db.session.commit()
        flash(_("Activity deleted"), "success")
        return redirect(url_for("audit.register", slug=slug))
    return render_template("audit/activity_delete.html", form=form, partnership=partnership, activity=found)


@bp.get("/partnerships/<slug>/register/template.<fmt>")
def import_template(slug: str, fmt: str) -> Response:
    partnership = _partnership(slug, policy.can_import_activities)
    rows = imports.template_rows(partnership)
    if fmt == "csv":
        return _download(csv_bytes(imports.COLUMNS, rows), "text/csv", "engagement-register-template.csv")
    if fmt == "xlsx":
        return _download(xlsx_bytes(imports.COLUMNS, rows, title="Register"), XLSX,
                         "engagement-register-template.xlsx")
    abort(404)


@bp.route("/partnerships/<slug>/register/import", methods=["GET", "POST"])
def import_activities(slug: str) -> str | WerkzeugResponse:
    partnership = _partnership(slug, policy.can_import_activities)
    form = ImportForm()
    row_errors: list[Any] = []
    if form.validate_on_submit():
        upload = form.file.data
        allowed = (
            {o.id for o in operations.partner_organisations(partnership)}
            if policy.is_manager(current_user, partnership)
            else policy.officer_organisation_ids(current_user, partnership)
        )
        try:
            rows = imports.read_upload(printable_filename(upload.filename or ""), upload.read())
            result = imports.import_activities(
                current_user.id, partnership, rows, allowed_organisation_ids=allowed
            )
        except imports.UnreadableUpload:
            db.session.rollback()
            form.file.errors = [_("The file must be a CSV saved as UTF-8 or Windows-1252 text, or an XLSX workbook")]
        except ImportFailed as failure:
            db.session.rollback()
            row_errors = failure.errors
            form.file.errors = [_("Nothing was imported: fix the rows listed and upload the file again")]
        else:
            db.session.commit()
            flash(_("Import finished. New activities: %(created)d. Updated activities: %(updated)d.",
                    created=result.created, updated=result.updated), "success")
            return redirect(url_for("audit.register", slug=slug))
    language = current_language()
    return render_template(
        "audit/import.html", form=form, partnership=partnership, row_errors=row_errors,
        columns=imports.COLUMNS, methods=[(m.value, method_label(m)) for m in Method],
        statuses=[(s.value, status_label(s)) for s in Status],
        groups=[(g.code, g.label(language)) for g in operations.target_groups(partnership) if g.is_active],
    )


def _councillor_view(partnership: Partnership) -> dict[str, Any]:
    """A councillor's wards, the one they chose (if any) and the activities touching it."""
    geo = operations.geography(partnership)
    ward_ids = councillor_ward_ids(current_user, partnership)
    language = current_language()
    wards = sorted((geo.by_id[w] for w in ward_ids if w in geo.by_id), key=lambda w: w.name)
    form = CouncillorFilterForm(request.args)
    form.ward.choices = [SelectChoice("", _("All your wards"))] + [
        SelectChoice(str(w.id), w.display_name(language)) for w in wards
    ]
    form.validate()
    chosen = form.ward.data if not form.ward.errors and form.ward.data in ward_ids else None
    activities = operations.activities_touching_wards(
        {chosen} if chosen else ward_ids, policy.related_partnership_ids(partnership)
    )
    return {"wards": wards, "filter_form": form, "activities": activities, "chosen": chosen}


@bp.get("/partnerships/<slug>/register/my-wards")
def councillor(slug: str) -> str:
    """Councillors: every activity touching their wards (or one of them), read-only."""
    partnership = _partnership(slug, policy.can_view_councillor_page)
    view = _councillor_view(partnership)
    language = current_language()
    return render_template(
        "audit/councillor.html",
        partnership=partnership,
        threshold=current_app.config["ENGAGE_DISCLOSURE_THRESHOLD"],
        group_labels={g.code: g.label(language) for g in operations.target_groups(partnership)},
        export_query=urlencode({"ward": view["chosen"]}) if view["chosen"] else "",
        **view,
    )


@bp.get("/partnerships/<slug>/register/my-wards/export.<fmt>")
def councillor_export(slug: str, fmt: str) -> Response:
    """The councillor's list as CSV or XLSX: small counts suppressed, no costs or contacts."""
    partnership = _partnership(slug, policy.can_view_councillor_page)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    view = _councillor_view(partnership)
    rules = _detail_rules(partnership)
    rows = [
        imports.export_row(a, restricted=rules["restricted"](a), results=rules["results"](a),
                           small=rules["small"](a))
        for a in view["activities"]
    ]
    stamp = utcnow().date().isoformat()
    name = f"engagement-in-your-wards-{partnership.slug}-{stamp}"
    if fmt == "csv":
        return _download(csv_bytes(imports.EXPORT_COLUMNS, rows), "text/csv", f"{name}.csv")
    return _download(xlsx_bytes(imports.EXPORT_COLUMNS, rows, title="Register"), XLSX, f"{name}.xlsx")


# --------------------------------------------------------------------------------------------
# The audit (coordinators and administrators)
# --------------------------------------------------------------------------------------------


@bp.get("/partnerships/<slug>/audit")
def overview(slug: str) -> str:
    partnership = _partnership(slug, policy.can_run_audit)
    ctx = reports.audit_context(partnership)
    report = reports.strategy_report(ctx, operations.duplicate_reviews(partnership))
    return render_template("audit/overview.html", partnership=partnership, report=report, ctx=ctx)


def _duplicate_settings(args: Any) -> tuple[DuplicateSettingsForm, int, float]:
    form = DuplicateSettingsForm(args)
    form.min_score.choices = [
        SelectChoice("0.5", _("Somewhat alike (0.5)")),
        SelectChoice("0.6", _("Alike (0.6)")),
        SelectChoice("0.7", _("Very alike (0.7)")),
        SelectChoice("0.8", _("Nearly the same (0.8)")),
    ]
    form.validate()
    window = reports.DEFAULT_WINDOW_DAYS
    if form.window.data is not None and not form.window.errors:
        window = form.window.data
    min_score = reports.DEFAULT_MIN_SCORE
    if form.min_score.data and not form.min_score.errors:
        min_score = float(form.min_score.data)
    return form, window, min_score


def _duplicates_response(partnership: Partnership, args: Any) -> Response:
    form, window, min_score = _duplicate_settings(args)
    ctx = reports.audit_context(partnership)
    view = reports.duplication(
        ctx, operations.duplicate_reviews(partnership), window_days=window, min_score=min_score
    )
    return _page_or_fragment(
        "audit/duplicates.html", "audit/_duplicate_pairs.html",
        partnership=partnership, settings=form, form=form if form.errors else None,
        view=view, ctx=ctx, decisions=list(DuplicateDecision), hints=DECISION_HINTS,
    )


@bp.get("/partnerships/<slug>/audit/duplicates")
def duplicates(slug: str) -> Response:
    """Possible duplicates by different partners, each with its reasons in plain words."""
    partnership = _partnership(slug, policy.can_run_audit)
    return _duplicates_response(partnership, request.args)


@bp.post("/partnerships/<slug>/audit/duplicates/review")
def review_duplicate(slug: str) -> Response | WerkzeugResponse:
    """Mark a pair coordinate, merged or not a duplicate (or withdraw the mark)."""
    partnership = _partnership(slug, policy.can_review_duplicates)
    form = DuplicateReviewForm()
    form.decision.choices = [SelectChoice(d.value, d.value) for d in DuplicateDecision] + [
        SelectChoice("clear", "clear")
    ]
    if not form.validate_on_submit():
        abort(400)
    decision = None if form.decision.data == "clear" else DuplicateDecision(form.decision.data)
    try:
        operations.review_duplicate(
            current_user.id, partnership, form.first_id.data or 0, form.second_id.data or 0,
            decision, form.note.data or "",
        )
    except EngageError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    # The page's settings travel with the form, so the same list comes back.
    settings = {k: request.form[k] for k in ("window", "min_score") if request.form.get(k)}
    if _is_fragment_request():
        return _duplicates_response(partnership, request.form)
    flash(_("Your decision was saved") if decision else _("The pair is open for review again"), "success")
    return redirect(url_for("audit.duplicates", slug=slug, **settings))


def _coverage_form(partnership: Partnership, geo: operations.Geography) -> CoverageForm:
    form = CoverageForm(request.args)
    form.months.choices = [
        SelectChoice("12", _("Last 12 months")),
        SelectChoice("24", _("Last 24 months")),
        SelectChoice("36", _("Last 36 months")),
        SelectChoice("all", _("All time")),
    ]
    language = current_language()
    form.area.choices = [SelectChoice("", _("The whole partnership"))] + [
        SelectChoice(str(a.id), a.display_name(language)) for a in geo.districts
    ]
    form.validate()
    return form


@bp.get("/partnerships/<slug>/audit/coverage")
def coverage(slug: str) -> Response:
    partnership = _partnership(slug, policy.can_run_audit)
    ctx = reports.audit_context(partnership)
    form = _coverage_form(partnership, ctx.geo)
    months_text = form.months.data if not form.months.errors else "24"
    months = None if months_text == "all" else int(months_text or 24)
    area_id = form.area.data if not form.area.errors else None
    view = reports.coverage(ctx, months=months, area_id=area_id)
    return _page_or_fragment(
        "audit/coverage.html", "audit/_coverage.html",
        partnership=partnership, ctx=ctx, view=view, filter_form=form,
        form=form if form.errors else None,
    )


@bp.get("/partnerships/<slug>/audit/calendar")
def calendar(slug: str) -> str:
    partnership = _partnership(slug, policy.can_run_audit)
    ctx = reports.audit_context(partnership)
    try:
        year = int(request.args.get("year", ctx.as_of.year))
    except ValueError:
        year = ctx.as_of.year
    year = min(max(year, 1990), 2100)
    view = reports.calendar(ctx, year)
    return render_template("audit/calendar.html", partnership=partnership, ctx=ctx, view=view)


@bp.get("/partnerships/<slug>/audit/feedback")
def feedback(slug: str) -> str:
    partnership = _partnership(slug, policy.can_run_audit)
    form = FeedbackForm(request.args)
    form.validate()
    days = form.overdue.data if form.overdue.data is not None and not form.overdue.errors else reports.DEFAULT_OVERDUE_DAYS
    ctx = reports.audit_context(partnership)
    report = reports.feedback(ctx, days)
    return render_template(
        "audit/feedback.html", partnership=partnership, ctx=ctx, report=report,
        filter_form=form, form=form if form.errors else None,
    )


@bp.get("/partnerships/<slug>/audit/spend")
def spend(slug: str) -> str:
    partnership = _partnership(slug, policy.can_run_audit)
    ctx = reports.audit_context(partnership)
    return render_template("audit/spend.html", partnership=partnership, ctx=ctx, view=reports.spend(ctx))


@bp.route("/partnerships/<slug>/audit/self-assessment", methods=["GET", "POST"])
def self_assessment(slug: str) -> str | WerkzeugResponse:
    partnership = _partnership(slug, policy.can_self_assess)
    language = current_language()
    view = reports.self_assessment(partnership)
    form = RatingForm()
    form.dimension.choices = [SelectChoice(d.code, d.label(language)) for d in view.dimensions]
    form.rating.choices = [SelectChoice(r.value, label(RATING_LABELS, r)) for r in Rating]
    if request.method == "GET":
        form.assessed_on.data = utcnow().date()
    if form.validate_on_submit():
        try:
            operations.record_rating(
                current_user.id, partnership, dimension=form.dimension.data or "",
                rating=Rating(form.rating.data), evidence=form.evidence.data or "",
                assessed_on=form.assessed_on.data or utcnow().date(),
            )
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "dimension")
        else:
            db.session.commit()
            flash(_("Rating saved"), "success")
            return redirect(url_for("audit.self_assessment", slug=slug))
    return render_template(
        "audit/self_assessment.html", partnership=partnership, view=view, form=form,
        language=language, chart=_rag_chart(view, language),
    )


def _rag_chart(view: reports.SelfAssessmentView, language: str) -> dict[str, Any]:
    """Geometry of the server-rendered SVG history chart: a row per dimension, a column per
    assessment date, each rating a coloured cell carrying its initial (never colour alone)."""
    dates = view.dates
    label_width, width, height, gap, top = 240, 56, 30, 6, 10
    rows = []
    for index, history in enumerate(view.history):
        y = top + index * (height + gap)
        cells = []
        for point in history.points:
            x = label_width + dates.index(point.assessed_on) * (width + gap)
            cells.append({"x": x, "rating": point.rating.value,
                          "letter": label(RATING_LABELS, point.rating)[:1]})
        rows.append({"y": y, "label": view.dimension_label(history.dimension, language),
                     "cells": cells})
    bottom = top + len(view.history) * (height + gap)
    columns = [{"x": label_width + i * (width + gap) + width / 2, "date": d} for i, d in enumerate(dates)]
    return {
        "width": label_width + max(1, len(dates)) * (width + gap),
        "height": bottom + 24, "label_y": bottom + 16,
        "cell_width": width, "cell_height": height, "rows": rows, "columns": columns,
    }


VOCABULARIES = {"target-groups": TargetGroup, "dimensions": AssessmentDimension}


@bp.route("/partnerships/<slug>/audit/settings/<kind>", methods=["GET", "POST"])
def vocabulary(slug: str, kind: str) -> str | WerkzeugResponse:
    """Target groups and self-assessment dimensions: add, stop or restart using one."""
    partnership = _partnership(slug, policy.can_configure_audit)
    model = VOCABULARIES.get(kind)
    if model is None:
        abort(404)
    form = VocabularyForm()
    toggle = VocabularyToggleForm()
    if request.method == "POST" and "code" in request.form:
        if toggle.validate_on_submit():
            try:
                operations.set_vocabulary_entry_active(
                    current_user.id, model, partnership, toggle.code.data or "",
                    toggle.is_active.data == "1",
                )
            except EngageError:
                db.session.rollback()
                abort(404)
            db.session.commit()
            flash(_("Saved"), "success")
        return redirect(url_for("audit.vocabulary", slug=slug, kind=kind))
    if form.validate_on_submit():
        try:
            operations.add_vocabulary_entry(
                current_user.id, model, partnership, name=form.name.data or "", name_cy=form.name_cy.data
            )
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Added"), "success")
            return redirect(url_for("audit.vocabulary", slug=slug, kind=kind))
    entries = operations.vocabulary(model, partnership)
    return render_template(
        "audit/vocabulary.html", partnership=partnership, form=form, kind=kind,
        entries=entries, language=current_language(),
    )


@bp.get("/partnerships/<slug>/audit/report")
def report(slug: str) -> str:
    """The engagement strategy report on one printable page."""
    partnership = _partnership(slug, policy.can_run_audit)
    ctx = reports.audit_context(partnership)
    return render_template(
        "audit/report.html", partnership=partnership, ctx=ctx,
        report=reports.strategy_report(ctx, operations.duplicate_reviews(partnership)),
    )


@bp.get("/partnerships/<slug>/audit/report.docx")
def report_docx(slug: str) -> Response:
    partnership = _partnership(slug, policy.can_run_audit)
    ctx = reports.audit_context(partnership)
    data = reports.strategy_docx(reports.strategy_report(ctx, operations.duplicate_reviews(partnership)))
    return _download(data, DOCX, f"engagement-strategy-report-{partnership.slug}-{ctx.as_of.isoformat()}.docx")



@bp.cli.command("refresh-register")
def refresh_register_command() -> None:
    """Bring register entries owned by consultations and budgeting processes up to date with
    the clock and with participation (schedule it hourly; see engage.core.register_sources)."""
    import click

    from engage.core.register_sources import refresh_sources
    from engage.core.transactions import write_intent

    with write_intent():
        updated = refresh_sources(utcnow())
        db.session.commit()
    for source, count in updated.items():
        click.echo(f"{source}: {count} entries updated")
