"""Strategy drafts: generate from priorities, edit, compare versions, comment, deliver, export."""

from __future__ import annotations

from typing import Any

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
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from engage.core.errors import EngageError
from engage.core.i18n import current_language
from engage.core.views import add_form_error, commit_operation
from engage.extensions import db
from engage.jobs import enqueue_job
from engage.partnerships.models import Organisation, Partnership
from engage.priorities.pipeline import compute_priorities, today
from engage.strategy import labels, operations, policy
from engage.strategy.consultation_link import consultation_id
from engage.strategy.diff import compare_texts
from engage.strategy.forms import (
    CommentForm,
    ExportForm,
    IndicatorForm,
    NewDraftForm,
    SectionForm,
    StatusForm,
    UpdateForm,
)
from engage.strategy.jobs import EXPORT_JOB
from engage.strategy.markdown import render_markdown
from engage.strategy.models import (
    DraftStatus,
    ExportFormat,
    Rag,
    SectionKind,
    StrategyComment,
    StrategyDraft,
    StrategyExport,
    StrategyIndicator,
    StrategySection,
    StrategyVersion,
)

bp = Blueprint("strategy", __name__, url_prefix="/partnerships/<slug>/strategy")


PUBLIC_ENDPOINTS = frozenset({"strategy.public"})


@bp.before_request
def _signed_in() -> Any:
    """Every page here but the public reading copy needs a signed-in user; each view then
    checks the policy."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]


@bp.app_template_global()
def strategy_label(table: str, code: Any) -> str:
    tables = {
        "status": labels.STATUS_LABELS,
        "kind": labels.KIND_LABELS,
        "rag": labels.RAG_LABELS,
        "rag_short": labels.RAG_SHORT,
        "format": labels.FORMAT_LABELS,
        "language": labels.LANGUAGE_LABELS,
    }
    return labels.label(tables[table], code)


@bp.app_template_global()
def strategy_value(value: float | None, unit: str | None) -> str:
    """An indicator's figure with its unit, in the page's language (– when there is none)."""
    from flask_babel import format_decimal

    if value is None:
        return "–"
    number = str(format_decimal(value, format="#,##0" if value == int(value) else "#,##0.0"))
    return operations.with_unit(number, unit)


@bp.app_template_global()
def strategy_status_class(code: Any) -> str:
    return labels.STATUS_TAG_CLASSES.get(str(getattr(code, "value", code)), "")


# --------------------------------------------------------------------------- lookups


def _threshold() -> int:
    return int(current_app.config.get("ENGAGE_DISCLOSURE_THRESHOLD", 5))


def _partnership(slug: str) -> Partnership:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None or not policy.can_view_strategy(current_user, partnership):
        abort(404)
    return partnership


def _draft(slug: str, draft_id: int) -> StrategyDraft:
    partnership = _partnership(slug)
    draft = db.session.get(StrategyDraft, draft_id)
    if draft is None or draft.partnership_id != partnership.id:
        abort(404)
    return draft


def _editable_draft(slug: str, draft_id: int) -> StrategyDraft:
    draft = _draft(slug, draft_id)
    if not policy.can_edit_strategy(current_user, draft.partnership):
        abort(404)
    if not draft.is_editable:
        abort(403)
    return draft


def _section(draft: StrategyDraft, section_id: int) -> StrategySection:
    section = db.session.get(StrategySection, section_id)
    if section is None or section.draft_id != draft.id:
        abort(404)
    return section


def _indicator(draft: StrategyDraft, indicator_id: int) -> StrategyIndicator:
    indicator = db.session.get(StrategyIndicator, indicator_id)
    if indicator is None or indicator.draft_id != draft.id:
        abort(404)
    return indicator


def _organisations(partnership: Partnership) -> list[Organisation]:
    return operations.partnership_organisations(partnership)


# --------------------------------------------------------------------------- drafts


@bp.get("/")
def index(slug: str) -> str:
    partnership = _partnership(slug)
    drafts = db.session.scalars(
        select(StrategyDraft)
        .where(StrategyDraft.partnership_id == partnership.id)
        .order_by(StrategyDraft.created_at.desc())
    ).all()
    return render_template(
        "strategy/index.html",
        partnership=partnership,
        drafts=drafts,
        can_edit=policy.can_edit_strategy(current_user, partnership),
        can_manage=policy.can_edit_strategy(current_user, partnership),
    )


@bp.route("/new", methods=["GET", "POST"])
def new(slug: str) -> str | WerkzeugResponse:
    partnership = _partnership(slug)
    if not policy.can_edit_strategy(current_user, partnership):
        abort(404)
    form = NewDraftForm()
    form.language.choices = [
        SelectChoice(code, text) for code, text in labels.LANGUAGE_LABELS.items()
    ]
    if request.method == "GET":
        year = today().year + 1
        form.period_start.data = year
        form.period_end.data = year + 10
        form.language.data = current_language()
        form.title.data = _(
            "%(partnership)s Sustainable Community Strategy",
            partnership=partnership.display_name(current_language()),
        )
    if form.validate_on_submit():
        picture = compute_priorities(partnership)
        draft = commit_operation(
            form,
            lambda: operations.create_draft(
                current_user,
                picture,
                title=form.title.data or "",
                period_start=int(form.period_start.data or 0),
                period_end=int(form.period_end.data or 0),
                language=form.language.data or "en",
                threshold=_threshold(),
            ),
            field="title",
            success=_("Draft created from the current priorities"),
        )
        if draft is not None:
            return redirect(url_for("strategy.draft", slug=slug, draft_id=draft.id))
    return render_template("strategy/new.html", form=form, partnership=partnership)


@bp.get("/<int:draft_id>")
def draft(slug: str, draft_id: int) -> str:
    found = _draft(slug, draft_id)
    partnership = found.partnership
    open_comments = {
        s.id: sum(1 for c in s.comments if c.resolved_at is None) for s in found.sections
    }
    return render_template(
        "strategy/draft.html",
        partnership=partnership,
        draft=found,
        open_comments=open_comments,
        can_edit=policy.can_edit_draft(current_user, found),
        can_manage=policy.can_edit_strategy(current_user, partnership),
        next_statuses=sorted(operations.TRANSITIONS[found.status], key=list(DraftStatus).index),
        consultation_id=consultation_id(found.consultation_ref),
    )


@bp.route("/<int:draft_id>/sections/<int:section_id>", methods=["GET", "POST"])
def section(slug: str, draft_id: int, section_id: int) -> str | WerkzeugResponse:
    """A section as it reads, with partners' comments and a form to add one."""
    found = _draft(slug, draft_id)
    chosen = _section(found, section_id)
    partnership = found.partnership
    can_comment = policy.can_comment(current_user, partnership)
    form = CommentForm()
    if request.method == "POST":
        if not can_comment:
            abort(404)
        if form.validate_on_submit():
            organisations = policy.officer_organisation_ids(current_user, partnership)
            organisation = (
                db.session.get(Organisation, min(organisations)) if organisations else None
            )
            if commit_operation(
                form,
                lambda: operations.add_comment(
                    current_user, chosen, form.body.data or "", organisation
                ),
                field="body",
                success=_("Comment added"),
            ):
                return redirect(
                    url_for("strategy.section", slug=slug, draft_id=draft_id, section_id=section_id)
                    + "#comments"
                )
    indicators = [i for i in found.indicators if i.section_id == chosen.id]
    return render_template(
        "strategy/section.html",
        form=form,
        partnership=partnership,
        draft=found,
        section=chosen,
        html=render_markdown(chosen.body),
        indicators=indicators,
        all_indicators=found.indicators if chosen.kind == SectionKind.ACTION_PLAN else [],
        can_comment=can_comment,
        can_resolve=policy.can_resolve_comment(current_user, partnership),
        can_edit=policy.can_edit_draft(current_user, found),
    )


@bp.route("/<int:draft_id>/sections/<int:section_id>/edit", methods=["GET", "POST"])
def edit_section(slug: str, draft_id: int, section_id: int) -> str | WerkzeugResponse:
    found = _editable_draft(slug, draft_id)
    chosen = _section(found, section_id)
    form = SectionForm(obj=chosen)
    if form.validate_on_submit() and commit_operation(
        form,
        lambda: operations.save_section(
            current_user.id,
            chosen,
            title=form.title.data or "",
            body=form.body.data or "",
            note=form.note.data,
        ),
        field="body",
        success=_("Saved as a new version"),
    ):
        return redirect(
            url_for("strategy.section", slug=slug, draft_id=draft_id, section_id=section_id)
        )
    preview = render_markdown(form.body.data or "") if request.method == "POST" else None
    return render_template(
        "strategy/section_edit.html",
        form=form,
        partnership=found.partnership,
        draft=found,
        section=chosen,
        preview=preview,
    )


@bp.post("/<int:draft_id>/comments/<int:comment_id>/resolve")
def resolve_comment(slug: str, draft_id: int, comment_id: int) -> WerkzeugResponse:
    found = _draft(slug, draft_id)
    if not policy.can_resolve_comment(current_user, found.partnership):
        abort(404)
    comment = db.session.get(StrategyComment, comment_id)
    if comment is None or comment.section.draft_id != found.id:
        abort(404)
    operations.resolve_comment(current_user.id, comment)
    db.session.commit()
    flash(_("Comment marked as dealt with"), "success")
    return redirect(
        url_for("strategy.section", slug=slug, draft_id=draft_id, section_id=comment.section_id)
        + "#comments"
    )


# --------------------------------------------------------------------------- versions


@bp.get("/<int:draft_id>/versions")
def versions(slug: str, draft_id: int) -> str:
    found = _draft(slug, draft_id)
    return render_template(
        "strategy/versions.html",
        partnership=found.partnership,
        draft=found,
        versions=list(reversed(found.versions)),
    )


def _version(draft: StrategyDraft, number: int | None) -> StrategyVersion | None:
    for version in draft.versions:
        if version.number == number:
            return version
    return None


@bp.get("/<int:draft_id>/compare")
def compare(slug: str, draft_id: int) -> str:
    """Two versions side by side, with deletions and insertions marked (ins/del)."""
    found = _draft(slug, draft_id)
    numbers = [v.number for v in found.versions]
    if not numbers:
        abort(404)
    default_old = numbers[-2] if len(numbers) > 1 else numbers[-1]
    old = _version(found, request.args.get("a", default_old, type=int))
    new = _version(found, request.args.get("b", numbers[-1], type=int))
    if old is None or new is None:
        abort(404)
    if old.number > new.number:
        old, new = new, old
    old_sections = {s["key"]: s for s in old.content.get("sections", [])}
    new_sections = {s["key"]: s for s in new.content.get("sections", [])}
    keys = [s["key"] for s in new.content.get("sections", [])] + [
        k for k in old_sections if k not in new_sections
    ]
    rows = []
    for key in keys:
        before = old_sections.get(key, {})
        after = new_sections.get(key, {})
        title = compare_texts(before.get("title", ""), after.get("title", ""))
        body = compare_texts(before.get("body", ""), after.get("body", ""))
        indicators = compare_texts(
            "\n".join(before.get("indicators", [])), "\n".join(after.get("indicators", []))
        )
        rows.append(
            {
                "key": key,
                "title": after.get("title") or before.get("title", key),
                "title_diff": title,
                "body": body,
                "indicators": indicators,
                "added": not before,
                "removed": not after,
                "changed": title.changed or body.changed or indicators.changed,
            }
        )
    return render_template(
        "strategy/compare.html",
        partnership=found.partnership,
        draft=found,
        old=old,
        new=new,
        rows=rows,
        numbers=numbers,
    )


# --------------------------------------------------------------------------- status


@bp.route("/<int:draft_id>/status", methods=["GET", "POST"])
def status(slug: str, draft_id: int) -> str | WerkzeugResponse:
    found = _draft(slug, draft_id)
    if not policy.can_edit_strategy(current_user, found.partnership):
        abort(404)
    allowed = sorted(operations.TRANSITIONS[found.status], key=list(DraftStatus).index)
    form = StatusForm()
    form.status.choices = [
        SelectChoice(s.value, labels.label(labels.STATUS_LABELS, s)) for s in allowed
    ]
    if form.validate_on_submit():
        try:
            reference = operations.change_status(current_user, found, DraftStatus(form.status.data))
        except EngageError as error:
            db.session.rollback()
            add_form_error(form, error, "status")
        else:
            db.session.commit()
            if found.status == DraftStatus.CONSULTATION and reference is None:
                flash(
                    _(
                        "The draft is out for consultation. No consultation was opened in "
                        "Engage: share the public copy of the draft with partners and "
                        "residents."
                    ),
                    "success",
                )
            elif found.status == DraftStatus.CONSULTATION:
                flash(
                    _(
                        "The draft is out for consultation, and a consultation on it is open "
                        "for twelve weeks."
                    ),
                    "success",
                )
            else:
                flash(_("Status changed"), "success")
            return redirect(url_for("strategy.draft", slug=slug, draft_id=draft_id))
    return render_template(
        "strategy/status.html",
        form=form,
        partnership=found.partnership,
        draft=found,
        allowed=allowed,
    )


# --------------------------------------------------------------------------- indicators and delivery


def _indicator_form(draft: StrategyDraft, indicator: StrategyIndicator | None) -> IndicatorForm:
    form = IndicatorForm(obj=indicator)
    language = current_language()
    form.section.choices = [SelectChoice("", _("No chapter"))] + [
        SelectChoice(s.id, s.title)
        for s in draft.sections
        if s.kind in (SectionKind.THEME, SectionKind.ACTION_PLAN)
    ]
    form.lead_organisation.choices = [SelectChoice("", _("To be agreed"))] + [
        SelectChoice(o.id, o.display_name(language)) for o in _organisations(draft.partnership)
    ]
    form.is_higher_better.choices = [SelectChoice("yes", _("Yes")), SelectChoice("no", _("No"))]
    if request.method == "GET":
        if indicator is not None:
            form.section.data = indicator.section_id
            form.lead_organisation.data = indicator.lead_organisation_id
            form.is_higher_better.data = "yes" if indicator.is_higher_better else "no"
        else:
            chosen = request.args.get("section", type=int)
            form.section.data = chosen
            form.is_higher_better.data = "yes"
    return form


@bp.route("/<int:draft_id>/indicators/new", methods=["GET", "POST"])
@bp.route("/<int:draft_id>/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
def indicator_form(
    slug: str, draft_id: int, indicator_id: int | None = None
) -> str | WerkzeugResponse:
    found = _editable_draft(slug, draft_id)
    existing = _indicator(found, indicator_id) if indicator_id is not None else None
    form = _indicator_form(found, existing)
    if form.validate_on_submit():
        chosen_section = _section(found, form.section.data) if form.section.data else None
        lead = (
            db.session.get(Organisation, form.lead_organisation.data)
            if form.lead_organisation.data
            else None
        )
        if lead is not None and lead not in _organisations(found.partnership):
            form.lead_organisation.errors = [_("Choose one of the partnership's organisations")]
        else:
            saved = commit_operation(
                form,
                lambda: operations.save_indicator(
                    current_user.id,
                    found,
                    section=chosen_section,
                    name=form.name.data or "",
                    unit=form.unit.data or "",
                    baseline=float(form.baseline.data) if form.baseline.data is not None else None,
                    baseline_year=form.baseline_year.data,
                    target=float(form.target.data) if form.target.data is not None else None,
                    target_year=form.target_year.data,
                    is_higher_better=form.is_higher_better.data == "yes",
                    lead_organisation=lead,
                    indicator=existing,
                ),
                field="name",
                success=_("Indicator saved"),
            )
            if saved is not None:
                return redirect(url_for("strategy.delivery", slug=slug, draft_id=draft_id))
    return render_template(
        "strategy/indicator_form.html",
        form=form,
        partnership=found.partnership,
        draft=found,
        indicator=existing,
    )


@bp.post("/<int:draft_id>/indicators/<int:indicator_id>/delete")
def delete_indicator(slug: str, draft_id: int, indicator_id: int) -> WerkzeugResponse:
    found = _editable_draft(slug, draft_id)
    operations.delete_indicator(current_user.id, _indicator(found, indicator_id))
    db.session.commit()
    flash(_("Indicator removed"), "success")
    return redirect(url_for("strategy.delivery", slug=slug, draft_id=draft_id))


@bp.get("/<int:draft_id>/delivery")
def delivery(slug: str, draft_id: int) -> str:
    """The delivery dashboard: each theme's indicators with their latest red/amber/green."""
    found = _draft(slug, draft_id)
    groups: list[dict[str, Any]] = []
    for section_row in found.sections:
        indicators = [i for i in found.indicators if i.section_id == section_row.id]
        if indicators:
            counts = {
                r: sum(1 for i in indicators if i.latest_update and i.latest_update.status == r)
                for r in Rag
            }
            groups.append(
                {
                    "section": section_row,
                    "indicators": indicators,
                    "counts": counts,
                    "unreported": sum(1 for i in indicators if i.latest_update is None),
                }
            )
    loose = [i for i in found.indicators if i.section_id is None]
    if loose:
        groups.append(
            {
                "section": None,
                "indicators": loose,
                "counts": {
                    r: sum(1 for i in loose if i.latest_update and i.latest_update.status == r)
                    for r in Rag
                },
                "unreported": sum(1 for i in loose if i.latest_update is None),
            }
        )
    return render_template(
        "strategy/delivery.html",
        partnership=found.partnership,
        draft=found,
        groups=groups,
        can_edit=policy.can_edit_draft(current_user, found),
        reportable={i.id for i in found.indicators if policy.can_report_on(current_user, i)},
    )


@bp.route("/<int:draft_id>/indicators/<int:indicator_id>", methods=["GET", "POST"])
def indicator(slug: str, draft_id: int, indicator_id: int) -> str | WerkzeugResponse:
    """An indicator's reports, and the lead partner's form to add the next one."""
    found = _draft(slug, draft_id)
    chosen = _indicator(found, indicator_id)
    can_report = policy.can_report_on(current_user, chosen)
    form = UpdateForm()
    form.status.choices = [SelectChoice(r.value, labels.label(labels.RAG_LABELS, r)) for r in Rag]
    if request.method == "POST":
        if not can_report:
            abort(404)
        if form.validate_on_submit():
            organisations = policy.officer_organisation_ids(current_user, found.partnership)
            organisation_id = (
                chosen.lead_organisation_id
                if chosen.lead_organisation_id in organisations
                else (min(organisations) if organisations else None)
            )
            organisation = (
                db.session.get(Organisation, organisation_id) if organisation_id else None
            )
            if commit_operation(
                form,
                lambda: operations.record_update(
                    current_user,
                    chosen,
                    reported_on=form.reported_on.data,
                    value=float(form.value.data) if form.value.data is not None else None,
                    status=Rag(form.status.data),
                    commentary=form.commentary.data,
                    organisation=organisation,
                ),
                field="status",
                success=_("Report sent"),
            ):
                return redirect(
                    url_for(
                        "strategy.indicator",
                        slug=slug,
                        draft_id=draft_id,
                        indicator_id=indicator_id,
                    )
                )
    elif request.method == "GET":
        form.reported_on.data = today()
    return render_template(
        "strategy/indicator.html",
        form=form,
        partnership=found.partnership,
        draft=found,
        indicator=chosen,
        can_report=can_report,
        can_edit=policy.can_edit_draft(current_user, found),
        updates=list(reversed(chosen.updates)),
    )


# --------------------------------------------------------------------------- exports


def _export_form() -> ExportForm:
    form = ExportForm()
    form.format.choices = [
        SelectChoice(f.value, labels.label(labels.FORMAT_LABELS, f))
        for f in (ExportFormat.DOCX, ExportFormat.PDF, ExportFormat.HTML)
    ]
    form.language.choices = [
        SelectChoice(code, text) for code, text in labels.LANGUAGE_LABELS.items()
    ]
    if request.method == "GET":
        form.format.data = ExportFormat.DOCX.value
        form.language.data = current_language()
    return form


@bp.route("/<int:draft_id>/exports", methods=["GET", "POST"])
def exports(slug: str, draft_id: int) -> str | WerkzeugResponse:
    """Exports of the draft; a new one runs as a long job (or at once without the jobs module)."""
    found = _draft(slug, draft_id)
    if not policy.can_export(current_user, found.partnership):
        abort(404)
    form = _export_form()
    if form.validate_on_submit():
        fmt = ExportFormat(form.format.data)
        language = form.language.data or "en"
        exports_url = url_for("strategy.exports", slug=slug, draft_id=draft_id)
        latest = found.latest_version
        # A long job: rendered by a worker (or a thread), kept, then linked from the status page.
        job = enqueue_job(
            EXPORT_JOB,
            {
                "draft_id": found.id,
                "format": fmt.value,
                "language": language,
                "exports_url": exports_url,
            },
            owner_id=current_user.id,
            partnership_id=found.partnership_id,
            key=f"strategy-{found.id}-v{latest.number if latest else 0}-{fmt.value}-{language}",
        )
        db.session.commit()
        return redirect(url_for("jobs.status", job_id=job.id))
    files = db.session.scalars(
        select(StrategyExport)
        .where(StrategyExport.draft_id == found.id)
        .order_by(StrategyExport.created_at.desc())
    ).all()
    return render_template(
        "strategy/exports.html", form=form, partnership=found.partnership, draft=found, files=files
    )


@bp.get("/<int:draft_id>/exports/<int:export_id>")
def download_export(slug: str, draft_id: int, export_id: int) -> Response:
    found = _draft(slug, draft_id)
    if not policy.can_export(current_user, found.partnership):
        abort(404)
    export = db.session.get(StrategyExport, export_id)
    if export is None or export.draft_id != found.id:
        abort(404)
    from engage.strategy.exports import MIME_TYPES

    response = Response(export.content, mimetype=MIME_TYPES[export.format])
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- public reading copy


@bp.get("/<int:draft_id>/read")
def public(slug: str, draft_id: int) -> str:
    """The draft as residents read it, while out for consultation and once adopted."""
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    found = db.session.get(StrategyDraft, draft_id)
    if (
        partnership is None
        or found is None
        or found.partnership_id != partnership.id
        or not policy.can_read_published(current_user, found)
    ):
        abort(404)
    from engage.strategy.exports import build_document

    language = current_language()
    document = build_document(found, language, _threshold())
    from engage.strategy.markdown import govuk_html

    return render_template(
        "strategy/public.html",
        partnership=partnership,
        draft=found,
        doc=document,
        govuk_html=govuk_html,
    )
