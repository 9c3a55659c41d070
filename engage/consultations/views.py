"""Consultation pages: the builder, responding, results, coding, outcomes and ward feedback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from engage.accounts.models import Role
from engage.consultations import exports, operations, policy
from engage.consultations.forms import (
    CodeForm,
    ConsultationForm,
    GroupCodeForm,
    OutcomeForm,
    QuestionForm,
    RedactForm,
    london_to_utc,
    option_lines,
    utc_to_london,
)
from engage.consultations.labels import (
    AUDIENCE_LABELS,
    EQUALITY_CATEGORIES,
    EQUALITY_QUESTIONS,
    SPECIAL_CATEGORY_FEATURES,
)
from engage.consultations.models import (
    Answer,
    Audience,
    Consultation,
    ConsultationStatus,
    Phase,
    Question,
    ResponseStatus,
    SuggestedGroup,
)
from engage.consultations.models import (
    Response as ConsultationResponse,
)
from engage.consultations.question_types import QUESTION_TYPES
from engage.consultations.results import (
    ResultsFilter,
    consultation_districts,
    consultation_results,
    consultation_wards,
    filter_groups,
    respondent_count,
    weighting_method_text,
)
from engage.consultations.ward_feedback import ward_feedback as build_ward_feedback
from engage.core.errors import EngageError
from engage.core.i18n import current_language
from engage.core.security import MAX_DATABASE_ID, bounded_int
from engage.core.spreadsheets import csv_bytes, xlsx_bytes
from engage.core.views import add_form_error
from engage.extensions import db, limiter
from engage.jobs import enqueue_job
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership, Theme
from engage.partnerships.policy import roles_in

bp = Blueprint("consultations", __name__)

DRAFTS_KEY = "consultation_drafts"
RECEIPTS_KEY = "consultation_receipts"
PAGE_SIZE = 50


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    from engage.consultations import labels

    return {
        "locale": current_language(),
        "scale_codes": labels.SCALE_CODES,
        "scale_labels": {k: str(v) for k, v in labels.SCALE_LABELS.items()},
        "phase_label": labels.phase_label,
        "audience_label": labels.audience_label,
        "channel_label": labels.channel_label,
        "equality_label": labels.equality_label,
        "show_when": labels.show_when,
    }


def _anonymous_submit_limit() -> str:
    return str(current_app.config["ENGAGE_ANONYMOUS_RESPONSE_LIMIT"])


def _anonymous_page_limit() -> str:
    return str(current_app.config["ENGAGE_ANONYMOUS_PAGE_LIMIT"])


def _signed_in() -> bool:
    return bool(current_user.is_authenticated)


# ------------------------------------------------------------------- lookups


def _partnership(slug: str) -> Partnership:
    found: Partnership | None = db.session.scalar(
        select(Partnership).where(Partnership.slug == slug)
    )
    if found is None:
        abort(404)
    return found


def _consultation(
    consultation_id: int, allowed: Callable[[Any, Consultation], bool]
) -> Consultation:
    """The consultation, if the user may do this to it; otherwise 404, never a hint."""
    found = db.session.get(Consultation, consultation_id)
    if found is None or not allowed(current_user, found):
        abort(404)
    return found


def _question(consultation: Consultation, question_id: int) -> Question:
    found = db.session.get(Question, question_id)
    if found is None or found.consultation_id != consultation.id:
        abort(404)
    return found


def _is_fragment() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def _page_or_fragment(page: str, fragment: str, **context: Any) -> Response:
    """One endpoint serves both: the fragment for htmx, the full page otherwise."""
    response = make_response(render_template(fragment if _is_fragment() else page, **context))
    response.vary.add("HX-Request")
    return response


def _now() -> Any:
    return operations.now_utc()


# ------------------------------------------------------------------- staff: lists and builder


@bp.get("/partnerships/<slug>/consultations")
@login_required
def index(slug: str) -> str:
    partnership = _partnership(slug)
    if not policy.can_list(current_user, partnership):
        abort(404)
    ids = [p.id for p in partnership.descendants()]
    consultations = db.session.scalars(
        select(Consultation)
        .where(Consultation.partnership_id.in_(ids))
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    ).all()
    counts = dict(
        db.session.execute(
            select(ConsultationResponse.consultation_id, func.count())
            .where(
                ConsultationResponse.consultation_id.in_([c.id for c in consultations]),
                ConsultationResponse.status == ResponseStatus.SUBMITTED,
            )
            .group_by(ConsultationResponse.consultation_id)
        ).all()
    )
    visible = [
        c
        for c in consultations
        if policy.can_build(current_user, c) or policy.can_view_results(current_user, c)
    ]
    return render_template(
        "consultations/index.html",
        partnership=partnership,
        consultations=visible,
        counts=counts,
        now=_now(),
        can_create=policy.can_create(current_user, partnership),
        can_build=lambda c: policy.can_build(current_user, c),
    )


def _organisation_choices(partnership: Partnership) -> list[Organisation]:
    roles = roles_in(current_user, partnership)
    organisations = {o.id: o for p in partnership.lineage() for o in p.organisations}
    if roles & {Role.ADMIN, Role.COORDINATOR}:
        return sorted(organisations.values(), key=lambda o: o.name)
    lineage = {p.id for p in partnership.lineage()}
    own = {
        m.organisation_id
        for m in current_user.memberships
        if m.role == Role.PARTNER_OFFICER and m.partnership_id in lineage
    }
    return sorted((o for o in organisations.values() if o.id in own), key=lambda o: o.name)


def _fill_consultation_choices(
    form: ConsultationForm, partnership: Partnership, current: Consultation | None
) -> None:
    language = current_language()
    organisations = _organisation_choices(partnership)
    if current is not None and current.organisation not in organisations:
        organisations.append(current.organisation)
    form.organisation.choices = [SelectChoice("", _("Choose an organisation"))] + [
        SelectChoice(o.id, o.display_name(language)) for o in organisations
    ]
    form.audience.choices = [SelectChoice(a.value, str(AUDIENCE_LABELS[a.value])) for a in Audience]
    themes = [t for t in partnership.themes if t.is_active or (current and t in current.themes)]
    form.themes.choices = [SelectChoice(t.id, t.display_name(language)) for t in themes]
    wards = {w.id: w for a in partnership.areas for w in a.wards()}
    form.wards.choices = [
        SelectChoice(w.id, w.display_name(language))
        for w in sorted(wards.values(), key=lambda w: w.name)
    ]


def _details_from_form(
    form: ConsultationForm, partnership: Partnership
) -> operations.ConsultationDetails:
    organisation = (
        db.session.get(Organisation, form.organisation.data) if form.organisation.data else None
    )
    if organisation is None or organisation not in _organisation_choices(partnership):
        raise EngageError(
            _("Choose the organisation running the consultation"), field="organisation"
        )
    themes = db.session.scalars(select(Theme).where(Theme.id.in_(form.themes.data or []))).all()
    wards = db.session.scalars(select(Area).where(Area.id.in_(form.wards.data or []))).all()
    return operations.ConsultationDetails(
        title=form.title.data or "",
        title_cy=form.title_cy.data,
        summary=form.summary.data or "",
        summary_cy=form.summary_cy.data,
        organisation=organisation,
        audience=Audience(form.audience.data),
        allows_anonymous=bool(form.allows_anonymous.data),
        has_equality_section=bool(form.has_equality_section.data),
        themes=list(themes),
        wards=list(wards),
        opens_at=london_to_utc(form.opens_on.data, form.opens_time.data, "09:00"),
        closes_at=london_to_utc(form.closes_on.data, form.closes_time.data, "23:59"),
    )


@bp.route("/partnerships/<slug>/consultations/new", methods=["GET", "POST"])
@login_required
def new(slug: str) -> str | WerkzeugResponse:
    partnership = _partnership(slug)
    if not policy.can_create(current_user, partnership):
        abort(404)
    form = ConsultationForm()
    _fill_consultation_choices(form, partnership, None)
    if request.method == "GET":
        form.audience.data = Audience.EVERYONE.value
    if form.validate_on_submit():
        try:
            consultation = operations.create_consultation(
                current_user, partnership, _details_from_form(form, partnership)
            )
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "title")
        else:
            db.session.commit()
            flash(_("Consultation created. Now add its questions."), "success")
            return redirect(url_for("consultations.manage", consultation_id=consultation.id))
    return render_template(
        "consultations/details_form.html", form=form, partnership=partnership, consultation=None
    )


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id: int) -> str | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    partnership = consultation.partnership
    form = ConsultationForm(obj=consultation if request.method == "GET" else None)
    _fill_consultation_choices(form, partnership, consultation)
    if request.method == "GET":
        form.organisation.data = consultation.organisation_id
        form.audience.data = consultation.audience.value
        form.themes.data = [t.id for t in consultation.themes]
        form.wards.data = [w.id for w in consultation.wards]
        form.opens_on.data, form.opens_time.data = utc_to_london(consultation.opens_at)
        form.closes_on.data, form.closes_time.data = utc_to_london(consultation.closes_at)
        form.opens_time.data = form.opens_time.data or "09:00"
        form.closes_time.data = form.closes_time.data or "23:59"
    if form.validate_on_submit():
        try:
            operations.update_consultation(
                current_user, consultation, _details_from_form(form, partnership)
            )
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "title")
        else:
            db.session.commit()
            flash(_("Consultation saved"), "success")
            return redirect(url_for("consultations.manage", consultation_id=consultation.id))
    return render_template(
        "consultations/details_form.html",
        form=form,
        partnership=partnership,
        consultation=consultation,
    )


@bp.get("/consultations/<int:consultation_id>/manage")
@login_required
def manage(consultation_id: int) -> str:
    consultation = _consultation(consultation_id, policy.can_build)
    pages = [
        (page, consultation.questions_on(page)) for page in range(1, consultation.page_count + 1)
    ]
    return render_template(
        "consultations/manage.html",
        consultation=consultation,
        pages=[p for p in pages if p[1]],
        responses=respondent_count(consultation),
        locked=operations.has_responses(consultation),
        now=_now(),
        question_types=QUESTION_TYPES,
    )


def _fill_question_form(form: QuestionForm) -> None:
    form.kind.choices = [SelectChoice(code, str(t.label)) for code, t in QUESTION_TYPES.items()]


def _question_draft(form: QuestionForm) -> operations.QuestionDraft:
    english = option_lines(form.options.data)
    welsh = option_lines(form.options_cy.data)
    if welsh and len(welsh) != len(english):
        raise EngageError(
            _("Give a Welsh version of every option, in the same order, or none"),
            field="options_cy",
        )
    options = [
        {"text": text, "text_cy": welsh[i] if welsh else ""} for i, text in enumerate(english)
    ]
    return operations.QuestionDraft(
        kind=form.kind.data or "",
        text=form.text.data or "",
        text_cy=form.text_cy.data,
        help_text=form.help_text.data,
        help_text_cy=form.help_text_cy.data,
        is_required=bool(form.is_required.data),
        page=int(form.page.data or 1),
        settings={
            "options": options,
            "max_choices": form.max_choices.data,
            "max_length": form.max_length.data,
            "points": form.points.data,
            "min_value": form.min_value.data,
            "max_value": form.max_value.data,
            "whole_numbers": form.whole_numbers.data,
        },
    )


def _load_question_form(form: QuestionForm, question: Question) -> None:
    settings = question.settings
    form.kind.data = question.kind
    form.options.data = "\n".join(o["text"] for o in question.options())
    form.options_cy.data = "\n".join(o.get("text_cy") or "" for o in question.options()).strip()
    form.max_choices.data = settings.get("max_choices")
    form.max_length.data = settings.get("max_length")
    form.points.data = settings.get("points")
    form.min_value.data = "" if settings.get("min_value") is None else str(settings["min_value"])
    form.max_value.data = "" if settings.get("max_value") is None else str(settings["max_value"])
    form.whole_numbers.data = bool(settings.get("whole_numbers"))


@bp.route("/consultations/<int:consultation_id>/questions/new", methods=["GET", "POST"])
@bp.route(
    "/consultations/<int:consultation_id>/questions/<int:question_id>/edit",
    methods=["GET", "POST"],
)
@login_required
def question(consultation_id: int, question_id: int | None = None) -> str | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    existing = _question(consultation, question_id) if question_id is not None else None
    locked = operations.has_responses(consultation)
    if existing is None and locked:
        flash(_("People have responded: questions cannot be added or removed"))
        return redirect(url_for("consultations.manage", consultation_id=consultation.id))
    form = QuestionForm(obj=existing if request.method == "GET" else None)
    _fill_question_form(form)
    if request.method == "GET":
        if existing is not None:
            _load_question_form(form, existing)
        else:
            form.kind.data = (
                request.args.get("kind")
                if request.args.get("kind") in QUESTION_TYPES
                else "single_choice"
            )
            form.page.data = max(consultation.page_count, 1)
    if form.validate_on_submit():
        try:
            operations.save_question(current_user, consultation, _question_draft(form), existing)
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "text")
        else:
            db.session.commit()
            flash(_("Question saved"), "success")
            return redirect(url_for("consultations.manage", consultation_id=consultation.id))
    return render_template(
        "consultations/question_form.html",
        form=form,
        consultation=consultation,
        question=existing,
        locked=locked,
        question_types=QUESTION_TYPES,
    )


@bp.post("/consultations/<int:consultation_id>/questions/<int:question_id>/delete")
@login_required
def delete_question(consultation_id: int, question_id: int) -> WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    found = _question(consultation, question_id)
    try:
        operations.delete_question(current_user, found)
    except EngageError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(_("Question removed"), "success")
    return redirect(url_for("consultations.manage", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/questions/<int:question_id>/move")
@login_required
def move_question(consultation_id: int, question_id: int) -> WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    found = _question(consultation, question_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    try:
        operations.move_question(current_user, found, direction)
    except EngageError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
    return redirect(url_for("consultations.manage", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/open")
@login_required
def open_consultation(consultation_id: int) -> WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    try:
        operations.open_consultation(current_user, consultation, _now())
    except EngageError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(_("The consultation is open and on the engagement register"), "success")
    return redirect(url_for("consultations.manage", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/close")
@login_required
def close_consultation(consultation_id: int) -> WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    try:
        operations.close_consultation(current_user, consultation, _now())
    except EngageError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(_("The consultation is closed"), "success")
    return redirect(url_for("consultations.manage", consultation_id=consultation.id))


def _page_number(page: str) -> int:
    """Page numbers arrive as text; anything but a positive number is not a page (404)."""
    if not page.isdigit() or len(page) > 3:
        abort(404)
    return int(page)


@bp.get("/consultations/<int:consultation_id>/preview/<page>")
@login_required
def preview(consultation_id: int, page: str) -> str:
    consultation = _consultation(consultation_id, policy.can_build)
    number = _page_number(page)
    last = consultation.page_count + 1
    if not 1 <= number <= max(last, 1):
        abort(404)
    return render_template(
        "consultations/respond.html",
        consultation=consultation,
        page=number,
        page_count=consultation.page_count,
        questions=consultation.questions_on(number),
        values={},
        errors={},
        preview=True,
        about=number == last,
        about_context=_about_context(consultation, None, preview=True),
        signed_in=False,
    )


@bp.route("/consultations/<int:consultation_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(consultation_id: int) -> str | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    form = OutcomeForm(obj=consultation.outcome if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            operations.save_outcome(
                current_user,
                consultation,
                operations.OutcomeText(
                    we_asked=form.we_asked.data or "",
                    we_asked_cy=form.we_asked_cy.data,
                    you_said=form.you_said.data or "",
                    you_said_cy=form.you_said_cy.data,
                    we_did=form.we_did.data or "",
                    we_did_cy=form.we_did_cy.data,
                ),
            )
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "we_asked")
        else:
            db.session.commit()
            flash(_("Outcome saved"), "success")
            return redirect(url_for("consultations.outcome", consultation_id=consultation.id))
    return render_template(
        "consultations/outcome_form.html", form=form, consultation=consultation, now=_now()
    )


@bp.post("/consultations/<int:consultation_id>/outcome/publish")
@login_required
def publish_outcome(consultation_id: int) -> WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_build)
    try:
        sent = operations.publish_outcome(current_user, consultation, _now())
    except EngageError as error:
        db.session.rollback()
        flash(str(error))
        return redirect(url_for("consultations.outcome", consultation_id=consultation.id))
    db.session.commit()
    flash(_("Outcome published. %(count)d respondents were emailed.", count=sent), "success")
    return redirect(url_for("consultations.show", consultation_id=consultation.id))


# ------------------------------------------------------------------- staff: results


def _results_filter(consultation: Consultation) -> tuple[ResultsFilter, dict[str, str]]:
    chosen = {"area": request.args.get("area", ""), "group": request.args.get("group", "")}
    areas = {
        str(a.id): a
        for a in consultation_wards(consultation) + consultation_districts(consultation)
    }
    area = areas.get(chosen["area"])
    group = None
    if chosen["group"]:
        feature, _sep, category = chosen["group"].partition(":")
        if (feature, category) in {(f, c) for f, c, _label in filter_groups()}:
            group = (feature, category)
    if area is None:
        chosen["area"] = ""
    if group is None:
        chosen["group"] = ""
    return ResultsFilter(area=area, group=group), chosen


@bp.get("/consultations/<int:consultation_id>/results")
@login_required
def results(consultation_id: int) -> Response:
    consultation = _consultation(consultation_id, policy.can_view_results)
    results_filter, chosen = _results_filter(consultation)
    threshold = operations.current_threshold()
    language = current_language()
    computed = consultation_results(consultation, results_filter, threshold, language)
    return _page_or_fragment(
        "consultations/results.html",
        "consultations/_results_body.html",
        consultation=consultation,
        results=computed,
        chosen=chosen,
        wards=consultation_wards(consultation),
        districts=consultation_districts(consultation),
        groups=filter_groups(),
        method=weighting_method_text(computed.weighting),
        can_handle=policy.can_handle_responses(current_user, consultation),
        now=_now(),
    )


@bp.get("/consultations/<int:consultation_id>/responses")
@login_required
def responses(consultation_id: int) -> str:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    page = max(request.args.get("page", 1, type=bounded_int) or 1, 1)
    total = respondent_count(consultation)
    rows = db.session.scalars(
        select(ConsultationResponse)
        .where(
            ConsultationResponse.consultation_id == consultation.id,
            ConsultationResponse.status == ResponseStatus.SUBMITTED,
        )
        .order_by(ConsultationResponse.submitted_at.desc(), ConsultationResponse.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "consultations/responses.html",
        consultation=consultation,
        rows=rows,
        page=page,
        total=total,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        text_questions=[q for q in consultation.questions if q.type.is_free_text],
    )


@bp.get("/consultations/<int:consultation_id>/export.<fmt>")
@login_required
def export(consultation_id: int, fmt: str) -> Response:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    special = policy.can_export_special_category(current_user, consultation)
    language = current_language()
    header = exports.response_header(consultation, special_category=special, locale=language)
    rows = exports.response_rows(consultation, special_category=special, locale=language)
    from engage.core.audit_log import record_audit

    record_audit(
        "consultation.responses_exported",
        actor_id=current_user.id,
        target=consultation,
        partnership_id=consultation.partnership_id,
        format=fmt,
        special_category=special,
    )
    db.session.commit()
    name = f"consultation-{consultation.id}-responses.{fmt}"
    if fmt == "csv":
        response = Response(csv_bytes(header, rows), mimetype="text/csv")
    else:
        response = Response(
            xlsx_bytes(header, rows, title=_("Responses")),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/consultations/<int:consultation_id>/paper", methods=["GET", "POST"])
@login_required
def paper_response(consultation_id: int) -> str | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"answers": {}, "about": {}}
    if request.method == "POST":
        answers, errors, raw = operations.clean_answers(
            consultation.questions, request.form, enforce_required=False
        )
        about, about_errors = operations.clean_about(
            consultation, request.form, asks_ward=True, asks_email=False
        )
        errors.update(about_errors)
        if not errors:
            try:
                made = operations.record_paper_response(
                    current_user, consultation, answers, about, _now()
                )
            except EngageError as error:
                db.session.rollback()
                flash(str(error))
            else:
                db.session.commit()
                flash(
                    _(
                        "Paper response saved with reference %(reference)s",
                        reference=made.reference,
                    ),
                    "success",
                )
                return redirect(
                    url_for("consultations.paper_response", consultation_id=consultation.id)
                )
        values = {"answers": raw, "about": dict(request.form)}
    return render_template(
        "consultations/paper.html",
        consultation=consultation,
        values=values,
        errors=errors,
        about_context=_about_context(consultation, None, paper=True),
    )


# ------------------------------------------------------------------- staff: coding free text


@bp.route("/consultations/<int:consultation_id>/coding-frame", methods=["GET", "POST"])
@login_required
def coding_frame(consultation_id: int) -> str | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    form = CodeForm()
    language = current_language()
    themes = [t for p in consultation.partnership.lineage() for t in p.themes if t.is_active]
    form.theme.choices = [SelectChoice("", _("No theme"))] + [
        SelectChoice(t.id, t.display_name(language)) for t in themes
    ]
    if form.validate_on_submit():
        theme = db.session.get(Theme, form.theme.data) if form.theme.data else None
        try:
            operations.save_code(
                current_user,
                consultation,
                form.label.data or "",
                label_cy=form.label_cy.data,
                description=form.description.data,
                theme=theme,
            )
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "label")
        else:
            db.session.commit()
            flash(_("Code added"), "success")
            return redirect(url_for("consultations.coding_frame", consultation_id=consultation.id))
    return render_template(
        "consultations/coding_frame.html",
        form=form,
        consultation=consultation,
        text_questions=[q for q in consultation.questions if q.type.is_free_text],
    )


def _text_question(consultation: Consultation, question_id: int) -> Question:
    found = _question(consultation, question_id)
    if not found.type.is_free_text:
        abort(404)
    return found


@bp.route(
    "/consultations/<int:consultation_id>/questions/<int:question_id>/coding",
    methods=["GET", "POST"],
)
@login_required
def coding(consultation_id: int, question_id: int) -> str | Response | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    found = _text_question(consultation, question_id)
    page = max(request.args.get("page", 1, type=bounded_int) or 1, 1)
    group_id = request.args.get("group", type=bounded_int)
    if request.method == "POST":
        tags: dict[int, tuple[list[int], list[int]]] = {}
        for answer_id in request.form.getlist("answer"):
            if not answer_id.isdigit() or int(answer_id) > MAX_DATABASE_ID:
                abort(400)
            tags[int(answer_id)] = (
                [int(v) for v in request.form.getlist(f"codes-{answer_id}")
                 if v.isdigit() and int(v) <= MAX_DATABASE_ID],
                [int(v) for v in request.form.getlist(f"themes-{answer_id}")
                 if v.isdigit() and int(v) <= MAX_DATABASE_ID],
            )
        try:
            operations.tag_answers(current_user, consultation, tags)
        except EngageError as error:
            db.session.rollback()
            flash(str(error))
        else:
            db.session.commit()
            if not _is_fragment():
                flash(_("Codes saved"), "success")
        if _is_fragment() and len(tags) == 1:
            answer = db.session.get(Answer, next(iter(tags)))
            response = make_response(
                render_template(
                    "consultations/_coding_answer.html",
                    answer=answer,
                    consultation=consultation,
                    question=found,
                    themes=_themes(consultation),
                    saved=True,
                )
            )
            response.vary.add("HX-Request")
            return response
        return redirect(
            url_for(
                "consultations.coding",
                consultation_id=consultation.id,
                question_id=found.id,
                page=page,
                group=group_id,
            )
        )
    statement = select(Answer).where(
        Answer.question_id == found.id, Answer.item == "", Answer.text.is_not(None)
    )
    group = None
    if group_id is not None:
        group = db.session.get(SuggestedGroup, group_id)
        if group is None or group.question_id != found.id:
            abort(404)
        statement = statement.where(Answer.id.in_(group.answer_ids or [0]))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    answers = db.session.scalars(
        statement.options(selectinload(Answer.codes), selectinload(Answer.themes))
        .order_by(Answer.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    groups = db.session.scalars(
        select(SuggestedGroup)
        .where(SuggestedGroup.question_id == found.id)
        .order_by(SuggestedGroup.position)
    ).all()
    group_form = GroupCodeForm()
    group_form.code.choices = [SelectChoice("", _("Choose a code"))] + [
        SelectChoice(c.id, c.display_name(current_language())) for c in consultation.codes
    ]
    return render_template(
        "consultations/coding.html",
        consultation=consultation,
        question=found,
        answers=answers,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
        groups=groups,
        group=group,
        group_form=group_form,
        themes=_themes(consultation),
    )


def _themes(consultation: Consultation) -> list[Theme]:
    return [t for p in consultation.partnership.lineage() for t in p.themes if t.is_active]


@bp.post("/consultations/<int:consultation_id>/questions/<int:question_id>/groups")
@login_required
def suggest_groups(consultation_id: int, question_id: int) -> WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    found = _text_question(consultation, question_id)
    answered = db.session.scalar(
        select(func.count())
        .select_from(Answer)
        .where(Answer.question_id == found.id, Answer.item == "")
    )
    # Clustering is quadratic in the worst case: it runs as a background job, and the
    # job's key makes pressing the button twice (with no new answers) run it once.
    job = enqueue_job(
        "consultations.group_answers",
        {"question_id": found.id},
        owner_id=current_user.id,
        partnership_id=consultation.partnership_id,
        key=f"question-{found.id}:{answered}",
    )
    db.session.commit()
    return redirect(url_for("jobs.status", job_id=job.id))


@bp.post("/consultations/<int:consultation_id>/groups/<int:group_id>/code")
@login_required
def code_group(consultation_id: int, group_id: int) -> WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    group = db.session.get(SuggestedGroup, group_id)
    if group is None or group.question.consultation_id != consultation.id:
        abort(404)
    form = GroupCodeForm()
    form.code.choices = [SelectChoice("", _("Choose a code"))] + [
        SelectChoice(c.id, c.display_name(current_language())) for c in consultation.codes
    ]
    if not form.validate_on_submit():
        flash(_("Choose a code"))
    else:
        code = next((c for c in consultation.codes if c.id == form.code.data), None)
        if code is None:
            abort(404)
        added = operations.apply_code_to_group(current_user, group, code)
        db.session.commit()
        flash(_("%(count)d answers coded", count=added), "success")
    return redirect(
        url_for(
            "consultations.coding",
            consultation_id=consultation.id,
            question_id=group.question_id,
            group=group.id,
        )
    )


@bp.route(
    "/consultations/<int:consultation_id>/answers/<int:answer_id>/redact", methods=["GET", "POST"]
)
@login_required
def redact_answer(consultation_id: int, answer_id: int) -> str | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_handle_responses)
    answer = db.session.get(Answer, answer_id)
    if answer is None or answer.consultation_id != consultation.id or answer.text is None:
        abort(404)
    form = RedactForm()
    if form.validate_on_submit():
        try:
            operations.redact_answer(current_user, answer, (form.phrases.data or "").splitlines())
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "phrases")
        else:
            db.session.commit()
            flash(_("Answer redacted. The original is kept only in the audit log."), "success")
            return redirect(
                url_for(
                    "consultations.coding",
                    consultation_id=consultation.id,
                    question_id=answer.question_id,
                )
            )
    return render_template(
        "consultations/redact.html", form=form, consultation=consultation, answer=answer
    )


# ------------------------------------------------------------------- public pages


@bp.get("/partnerships/<slug>/have-your-say")
def public_index(slug: str) -> str:
    partnership = _partnership(slug)
    now = _now()
    ids = [p.id for p in partnership.descendants()]
    found = db.session.scalars(
        select(Consultation)
        .where(
            Consultation.partnership_id.in_(ids),
            Consultation.status == ConsultationStatus.OPEN,
        )
        .order_by(Consultation.closes_at)
    ).all()
    return render_template(
        "consultations/public_index.html",
        partnership=partnership,
        consultations=[c for c in found if c.phase(now) in (Phase.OPEN, Phase.SCHEDULED)],
        now=now,
    )


@bp.get("/partnerships/<slug>/have-your-say/closed")
def archive(slug: str) -> str:
    partnership = _partnership(slug)
    now = _now()
    ids = [p.id for p in partnership.lineage()] + [p.id for p in partnership.descendants()]
    found = db.session.scalars(
        select(Consultation)
        .where(
            Consultation.partnership_id.in_(ids),
            Consultation.status != ConsultationStatus.DRAFT,
        )
        .order_by(Consultation.closes_at.desc())
    ).all()
    return render_template(
        "consultations/archive.html",
        partnership=partnership,
        consultations=[c for c in found if policy.is_public_in_archive(c, now)],
        now=now,
    )


@bp.get("/consultations/<int:consultation_id>")
def show(consultation_id: int) -> str:
    consultation = _consultation(consultation_id, policy.can_see_consultation)
    now = _now()
    response = _current_response(consultation)
    phase = consultation.phase(now)
    computed = None
    if phase == Phase.OUTCOME_PUBLISHED:
        computed = consultation_results(
            consultation, ResultsFilter(), operations.current_threshold(), current_language()
        )
    return render_template(
        "consultations/show.html",
        consultation=consultation,
        phase=phase,
        now=now,
        response=response,
        may_respond=policy.may_respond(current_user, consultation),
        needs_sign_in=policy.needs_sign_in(current_user, consultation),
        results=computed,
        method=weighting_method_text(computed.weighting) if computed else "",
        can_build=policy.can_build(current_user, consultation),
        can_view_results=policy.can_view_results(current_user, consultation),
    )


def _current_response(consultation: Consultation) -> ConsultationResponse | None:
    if current_user.is_authenticated:
        return operations.find_response(consultation, current_user)
    drafts = session.get(DRAFTS_KEY, {})
    response_id = drafts.get(str(consultation.id)) if isinstance(drafts, dict) else None
    if not isinstance(response_id, int):
        return None
    found = db.session.get(ConsultationResponse, response_id)
    if (
        found is None
        or found.consultation_id != consultation.id
        or found.user_id is not None
        or found.status != ResponseStatus.DRAFT
    ):
        return None
    return found


def _remember_draft(consultation: Consultation, response: ConsultationResponse) -> None:
    if current_user.is_authenticated:
        return
    drafts = dict(session.get(DRAFTS_KEY, {}))
    drafts[str(consultation.id)] = response.id
    session[DRAFTS_KEY] = drafts


def _gate(consultation: Consultation) -> WerkzeugResponse | tuple[str, int] | None:
    """Refuse visitors outside the audience, or ask them to sign in; None to carry on."""
    if policy.needs_sign_in(current_user, consultation):
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    if not policy.may_respond(current_user, consultation):
        return render_template("consultations/not_in_audience.html", consultation=consultation), 403
    now = _now()
    if not consultation.is_accepting(now):
        return _closed(consultation, now, 403 if request.method == "POST" else 200)
    return None


def _closed(consultation: Consultation, now: datetime, status: int = 403) -> tuple[str, int]:
    """The page for a consultation that has stopped accepting responses."""
    return render_template(
        "consultations/closed.html", consultation=consultation, phase=consultation.phase(now)
    ), status


def _response_in_progress(consultation_id: int) -> tuple[Consultation, ConsultationResponse]:
    """The consultation and the visitor's response in progress (for the about-you and check
    pages). Stops with the gate's refusal, or sends a visitor with no response to page 1."""
    consultation = _consultation(consultation_id, policy.can_see_consultation)
    refused = _gate(consultation)
    if refused is not None:
        abort(make_response(refused))
    response = _current_response(consultation)
    if response is None:
        abort(redirect(url_for("consultations.respond", consultation_id=consultation.id, page=1)))
    return consultation, response


def _about_context(
    consultation: Consultation,
    response: ConsultationResponse | None,
    *,
    preview: bool = False,
    paper: bool = False,
) -> dict[str, Any]:
    signed_in = current_user.is_authenticated and not preview and not paper
    return {
        "asks_ward": not signed_in,
        "asks_email": signed_in,
        "home_ward": current_user.home_ward if signed_in else None,
        "wards": consultation_wards(consultation),
        "equality": consultation.has_equality_section,
        "categories": EQUALITY_CATEGORIES,
        "questions": EQUALITY_QUESTIONS,
        "special": SPECIAL_CATEGORY_FEATURES,
    }


def _has_about_page(consultation: Consultation) -> bool:
    context = _about_context(consultation, None)
    return bool(context["asks_ward"] or context["asks_email"] or context["equality"])


def _next_after(consultation: Consultation, page: int) -> str:
    if page < consultation.page_count:
        return url_for("consultations.respond", consultation_id=consultation.id, page=page + 1)
    if _has_about_page(consultation):
        return url_for("consultations.about_you", consultation_id=consultation.id)
    return url_for("consultations.check_answers", consultation_id=consultation.id)


@bp.route("/consultations/<int:consultation_id>/respond/<page>", methods=["GET", "POST"])
@limiter.limit(_anonymous_page_limit, methods=["POST"], exempt_when=_signed_in)
def respond(consultation_id: int, page: str) -> Any:
    consultation = _consultation(consultation_id, policy.can_see_consultation)
    number = _page_number(page)
    refused = _gate(consultation)
    if refused is not None:
        return refused
    if not 1 <= number <= consultation.page_count:
        abort(404)
    questions = consultation.questions_on(number)
    response = _current_response(consultation)
    values = operations.response_values(response)["answers"]
    errors: dict[str, str] = {}
    if request.method == "POST":
        later = request.form.get("action") == "later" and current_user.is_authenticated
        clean, errors, raw = operations.clean_answers(
            questions, request.form, enforce_required=not later
        )
        if not errors:
            now = _now()
            user = current_user if current_user.is_authenticated else None
            try:
                response = operations.start_response(consultation, user, now)
                operations.save_draft(response, now, answers=clean)
            except EngageError:
                db.session.rollback()
                return _closed(consultation, now)
            db.session.commit()
            _remember_draft(consultation, response)
            if later:
                flash(
                    _(
                        "Your answers are saved. Come back before the consultation closes to send them."
                    ),
                    "success",
                )
                return redirect(url_for("consultations.show", consultation_id=consultation.id))
            return redirect(_next_after(consultation, number))
        values = {**values, **raw}
    return render_template(
        "consultations/respond.html",
        consultation=consultation,
        page=number,
        page_count=consultation.page_count,
        questions=questions,
        values=values,
        errors=errors,
        preview=False,
        about=False,
        signed_in=current_user.is_authenticated,
    )


@bp.route("/consultations/<int:consultation_id>/respond/about-you", methods=["GET", "POST"])
@limiter.limit(_anonymous_page_limit, methods=["POST"], exempt_when=_signed_in)
def about_you(consultation_id: int) -> Any:
    consultation, response = _response_in_progress(consultation_id)
    context = _about_context(consultation, response)
    about = operations.response_values(response)["about"]
    errors: dict[str, str] = {}
    if request.method == "POST":
        clean, errors = operations.clean_about(
            consultation,
            request.form,
            asks_ward=context["asks_ward"],
            asks_email=context["asks_email"],
        )
        if not errors:
            try:
                operations.save_draft(response, _now(), about=clean)
            except EngageError:
                db.session.rollback()
                return _closed(consultation, _now())
            db.session.commit()
            return redirect(url_for("consultations.check_answers", consultation_id=consultation.id))
        about = {**about, **{k: request.form.get(k) for k in ("ward", *EQUALITY_CATEGORIES)}}
        about["special_category_consent"] = request.form.get("special_category_consent") == "yes"
        about["wants_outcome_email"] = request.form.get("wants_outcome_email") == "yes"
    return render_template(
        "consultations/respond.html",
        consultation=consultation,
        page=consultation.page_count + 1,
        page_count=consultation.page_count,
        questions=[],
        values={},
        about_values=about,
        errors=errors,
        preview=False,
        about=True,
        about_context=context,
        signed_in=current_user.is_authenticated,
    )


@bp.route("/consultations/<int:consultation_id>/respond/check", methods=["GET", "POST"])
@limiter.limit(_anonymous_submit_limit, methods=["POST"], exempt_when=_signed_in)
def check_answers(consultation_id: int) -> Any:
    consultation, response = _response_in_progress(consultation_id)
    error = None
    if request.method == "POST":
        try:
            operations.submit_response(response, _now())
        except EngageError as problem:
            db.session.rollback()
            error = str(problem)
            if not consultation.is_accepting(_now()):
                return _closed(consultation, _now())
        else:
            operations.send_receipt(response)
            db.session.commit()
            if not current_user.is_authenticated:
                drafts = dict(session.get(DRAFTS_KEY, {}))
                drafts.pop(str(consultation.id), None)
                session[DRAFTS_KEY] = drafts
                receipts = dict(session.get(RECEIPTS_KEY, {}))
                receipts[str(consultation.id)] = response.reference
                session[RECEIPTS_KEY] = receipts
            return redirect(url_for("consultations.receipt", consultation_id=consultation.id))
    values = operations.response_values(response)
    answers = values["answers"]
    language = current_language()
    pages = []
    for page in range(1, consultation.page_count + 1):
        rows = []
        for q in consultation.questions_on(page):
            value = answers.get(str(q.id))
            rows.append((q, q.type.describe(q, value, language) if value is not None else ""))
        pages.append((page, rows))
    missing = operations.missing_required(consultation, answers)
    ward = (
        db.session.get(Area, values["about"]["ward_id"]) if values["about"].get("ward_id") else None
    )
    return render_template(
        "consultations/check.html",
        consultation=consultation,
        response=response,
        pages=pages,
        about=values["about"],
        about_ward=ward if not current_user.is_authenticated else current_user.home_ward,
        has_about=_has_about_page(consultation),
        missing=missing,
        error=error,
        special=SPECIAL_CATEGORY_FEATURES,
    ), (200 if error is None else 400)


@bp.get("/consultations/<int:consultation_id>/receipt")
def receipt(consultation_id: int) -> str | WerkzeugResponse:
    consultation = _consultation(consultation_id, policy.can_see_consultation)
    reference = None
    response = None
    if current_user.is_authenticated:
        response = operations.find_response(consultation, current_user)
        if response is not None and response.status == ResponseStatus.SUBMITTED:
            reference = response.reference
    else:
        receipts = session.get(RECEIPTS_KEY, {})
        reference = receipts.get(str(consultation.id)) if isinstance(receipts, dict) else None
    if reference is None:
        return redirect(url_for("consultations.show", consultation_id=consultation.id))
    return render_template(
        "consultations/receipt.html",
        consultation=consultation,
        reference=reference,
        response=response,
    )


# ------------------------------------------------------------------- ward feedback


def _ward(slug: str, gss_code: str) -> tuple[Partnership, Area]:
    partnership = _partnership(slug)
    ward = db.session.scalar(
        select(Area).where(Area.gss_code == gss_code, Area.level == AreaLevel.WARD)
    )
    if ward is None or not policy.can_view_ward_feedback(current_user, partnership, ward):
        abort(404)
    return partnership, ward


@bp.get("/partnerships/<slug>/wards/<gss_code>/feedback")
@login_required
def ward_feedback(slug: str, gss_code: str) -> str:
    partnership, ward = _ward(slug, gss_code)
    language = current_language()
    feedback = build_ward_feedback(ward, operations.current_threshold(), language)
    return render_template(
        "consultations/ward_feedback.html",
        partnership=partnership,
        ward=ward,
        feedback=feedback,
        threshold=operations.current_threshold(),
        now=_now(),
    )


@bp.get("/partnerships/<slug>/wards/<gss_code>/feedback.csv")
@login_required
def ward_feedback_csv(slug: str, gss_code: str) -> Response:
    _partnership_found, ward = _ward(slug, gss_code)
    language = current_language()
    feedback = build_ward_feedback(ward, operations.current_threshold(), language)
    body = csv_bytes(exports.ward_header(), exports.ward_rows(feedback, language))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=ward-{ward.gss_code}-feedback.csv"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------- commands


@bp.cli.command("group-answers")
def group_answers_command() -> None:
    """Suggest groups of similar answers for every free-text question with answers."""
    import click

    from engage.core.transactions import write_intent

    with write_intent():
        questions = db.session.scalars(select(Question).where(Question.kind == "free_text")).all()
        for found in questions:
            groups = operations.compute_suggested_groups(found)
            db.session.commit()
            click.echo(f"question {found.id}: {len(groups)} groups")


@bp.cli.command("purge-drafts")
def purge_drafts_command() -> None:
    """Delete anonymous drafts untouched for 30 days, as a job ("consultations.purge_drafts":
    on an RQ worker with REDIS_URL, else in this process); waits for it."""
    import click

    from engage.core.transactions import write_intent
    from engage.jobs import JobStatus, enqueue_job, wait_for_job

    before = _now() - timedelta(days=30)
    with write_intent():
        job = enqueue_job("consultations.purge_drafts", {"before": before.isoformat()},
                          owner_id=None, partnership_id=None)
        db.session.commit()  # dispatched on commit
    job = wait_for_job(job.id)
    if job.status != JobStatus.SUCCEEDED:
        click.echo(f"purge job {job.id} did not finish: {job.status} {job.error_code or ''}",
                   err=True)
        raise SystemExit(1)
    click.echo(f"{(job.result or {}).get('removed', 0)} stale drafts removed (job {job.id})")
