"""Priorities pages: ranked themes with intervals, distinctiveness, change, evidence, settings."""

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
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from engage.core.errors import EngageError, ImportFailed
from engage.core.i18n import current_language
from engage.core.spreadsheets import UnreadableFile, csv_bytes, read_csv_rows
from engage.core.views import commit_operation
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership
from engage.priorities import aggregate as agg
from engage.priorities import labels, operations, policy, presentation
from engage.priorities.charts import ChartRow, interval_chart_svg
from engage.priorities.forms import (
    EnteredEvidenceForm,
    FigureForm,
    FigureImportForm,
    SnapshotForm,
    SourceWeightForm,
    WeightsForm,
)
from engage.priorities.models import EnteredEvidence, EnteredFigure, Measure, PrioritySnapshot
from engage.priorities.pipeline import PriorityPicture, compute_priorities, weight_settings

bp = Blueprint("priorities", __name__)


# --------------------------------------------------------------------------- helpers


@bp.app_template_global()
def priority_percent(value: float | None, digits: int = 0) -> str:
    """A share shown as a percentage in the page's language (– when there is none)."""
    if value is None:
        return "–"
    pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
    return str(format_percent(value, format=pattern))


@bp.app_template_global()
def priority_points(value: float | None) -> str:
    """A difference between two shares, in percentage points with its sign."""
    if value is None:
        return "–"
    points = round(value * 100)
    return ("+" if points > 0 else "") + str(format_decimal(points, format="#,##0"))


@bp.app_template_global()
def priority_number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return str(format_decimal(value, format=pattern))


@bp.app_template_global()
def priority_label(table: str, code: Any) -> str:
    tables = {
        "kind": labels.KIND_LABELS,
        "measure": labels.MEASURE_LABELS,
        "strength": labels.STRENGTH_LABELS,
        "direction": labels.DIRECTION_LABELS,
        "skip": labels.SKIP_LABELS,
        "level": labels.LEVEL_LABELS,
    }
    return labels.label(tables[table], code)


def _threshold() -> int:
    return int(current_app.config.get("ENGAGE_DISCLOSURE_THRESHOLD", 5))


def _partnership(slug: str) -> Partnership:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None:
        abort(404)
    return partnership


def _viewable(slug: str) -> Partnership:
    """The partnership, if the user may see its priorities; otherwise 404."""
    partnership = _partnership(slug)
    if not policy.can_view_priorities(current_user, partnership):
        abort(404)
    return partnership


def _managed(slug: str) -> Partnership:
    partnership = _partnership(slug)
    if not policy.can_manage_priorities(current_user, partnership):
        abort(404)
    return partnership


def _is_fragment() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def _fragment_or_page(fragment: str, page: str, **context: Any) -> Response:
    template = fragment if _is_fragment() else page
    response = current_app.make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response


def _area_name(picture: PriorityPicture, area_id: str) -> str:
    area = picture.geography.area(area_id)
    if area is None or area_id == picture.root_id:
        return picture.partnership.display_name(current_language())
    return area.display_name(current_language())


def _chart(rows: list[presentation.RankRow], *, title: str, chart_id: str) -> Any:
    language = current_language()
    shown = [r for r in rows if not r.suppressed]
    return interval_chart_svg(
        [
            ChartRow(r.theme.display_name(language), r.score.score, r.score.lower, r.score.upper)
            for r in shown
        ],
        title=title,
        description=_(
            "Each dot is a theme's priority score and each line the range it plausibly lies "
            "in. The table below gives the same figures."
        ),
        chart_id=chart_id,
    )


def _area_context(picture: PriorityPicture, area_id: str) -> dict[str, Any]:
    show_small = policy.sees_small_counts(current_user, picture.partnership)
    threshold = _threshold()
    rows = presentation.ranking_rows(picture, area_id, show_small=show_small, threshold=threshold)
    children = [
        a
        for a in picture.geography.children(area_id)
        if policy.can_view_area_priorities(current_user, picture.partnership, a)
    ]
    child_keys = [a.gss_code for a in children]
    trend_labels, trend_rows = presentation.trend_table(
        picture, area_id, show_small=show_small, threshold=threshold
    )
    area_name = _area_name(picture, area_id)
    parent_id = picture.geography.tree.get(area_id).parent_id
    return {
        "picture": picture,
        "partnership": picture.partnership,
        "area_id": area_id,
        "area_name": area_name,
        "area": picture.geography.area(area_id) if area_id != picture.root_id else None,
        "parent_id": parent_id,
        "parent_name": _area_name(picture, parent_id) if parent_id else None,
        "rows": rows,
        "chart": _chart(
            rows, title=_("Priority scores in %(area)s", area=area_name), chart_id="ranking-chart"
        ),
        "missing": presentation.themes_without_evidence(picture, area_id),
        "children": children,
        "child_names": [a.display_name(current_language()) for a in children],
        "matrix": presentation.distinct_matrix(
            picture, child_keys, show_small=show_small, threshold=threshold
        ),
        "own_distinct": presentation.distinct_matrix(
            picture, [area_id], show_small=show_small, threshold=threshold
        )
        if parent_id
        else [],
        "trend_labels": trend_labels,
        "trend_rows": trend_rows,
        "threshold": threshold,
        "show_small": show_small,
        "can_manage": policy.can_manage_priorities(current_user, picture.partnership),
        "confidence": picture.result.confidence,
    }


# --------------------------------------------------------------------------- method (public)


@bp.get("/priorities/method")
def method() -> str:
    """How scores are worked out: the method in plain words, with the default weights."""
    return render_template(
        "priorities/method.html",
        default_weights=sorted(agg.DEFAULT_SOURCE_WEIGHTS.items(), key=lambda kv: -kv[1]),
        reasons=labels.KIND_WEIGHT_REASONS,
    )


# --------------------------------------------------------------------------- pages


@bp.get("/partnerships/<slug>/priorities")
@login_required
def overview(slug: str) -> Response:
    partnership = _viewable(slug)
    picture = compute_priorities(partnership)
    context = _area_context(picture, picture.root_id)
    snapshots = db.session.scalars(
        select(PrioritySnapshot)
        .where(PrioritySnapshot.partnership_id == partnership.id)
        .order_by(PrioritySnapshot.created_at.desc())
        .limit(10)
    ).all()
    return _fragment_or_page(
        "priorities/_ranking.html",
        "priorities/overview.html",
        snapshots=snapshots,
        snapshot_form=SnapshotForm(),
        **context,
    )


@bp.get("/partnerships/<slug>/priorities/areas/<gss_code>")
@login_required
def area(slug: str, gss_code: str) -> Response:
    partnership = _partnership(slug)
    found = db.session.scalar(select(Area).where(Area.gss_code == gss_code))
    if found is None or not policy.can_view_area_priorities(current_user, partnership, found):
        abort(404)
    picture = compute_priorities(partnership)
    if not picture.geography.contains(found.gss_code):
        abort(404)
    if found.gss_code == picture.root_id:
        return redirect(url_for("priorities.overview", slug=slug))  # type: ignore[return-value]
    return _fragment_or_page(
        "priorities/_ranking.html",
        "priorities/area.html",
        **_area_context(picture, found.gss_code),
    )


@bp.get("/partnerships/<slug>/priorities/themes/<theme_slug>")
@login_required
def evidence(slug: str, theme_slug: str) -> str:
    """Everything behind one score: its sources, their items, bases, dates and contributions."""
    partnership = _viewable(slug)
    picture = compute_priorities(partnership)
    theme = picture.themes.get(theme_slug)
    if theme is None:
        abort(404)
    area_id = request.args.get("area") or picture.root_id
    if not picture.geography.contains(area_id):
        abort(404)
    found = picture.geography.area(area_id)
    if (
        area_id != picture.root_id
        and found is not None
        and not policy.can_view_area_priorities(current_user, partnership, found)
    ):
        abort(404)
    show_small = policy.sees_small_counts(current_user, partnership)
    view = presentation.evidence_view(
        picture, theme_slug, area_id, show_small=show_small, threshold=_threshold()
    )
    rank = next((r for r in picture.ranked(area_id) if r.theme_id == theme_slug), None)
    skipped = [s for s in picture.result.skipped if s.theme_id == theme_slug]
    return render_template(
        "priorities/evidence.html",
        partnership=partnership,
        picture=picture,
        theme=theme,
        area_id=area_id,
        area_name=_area_name(picture, area_id),
        view=view,
        rank=rank,
        ranked_count=len(picture.ranked(area_id)),
        skipped=skipped if policy.can_manage_priorities(current_user, partnership) else [],
        threshold=_threshold(),
        can_manage=policy.can_manage_priorities(current_user, partnership),
    )


@bp.get("/partnerships/<slug>/priorities/scores.csv")
@login_required
def scores_csv(slug: str) -> Response:
    """Every score the user may see, as CSV (withheld figures left empty)."""
    partnership = _viewable(slug)
    picture = compute_priorities(partnership)
    show_small = policy.sees_small_counts(current_user, partnership)
    threshold = _threshold()
    language = current_language()
    rows = []
    for score in picture.result.scores:
        found = picture.geography.area(score.area_id)
        if (
            score.area_id != picture.root_id
            and found is not None
            and not policy.can_view_area_priorities(current_user, partnership, found)
        ):
            continue
        theme = picture.themes[score.theme_id]
        hidden = presentation.withheld(
            score.strength.total_base, show_small=show_small, threshold=threshold
        )
        rows.append(
            [
                score.area_id,
                _area_name(picture, score.area_id),
                labels.label(labels.LEVEL_LABELS, score.area_level),
                theme.slug,
                theme.display_name(language),
                "" if hidden else round(score.score, 4),
                "" if hidden else round(score.lower, 4),
                "" if hidden else round(score.upper, 4),
                "" if hidden else score.strength.total_base,
                "" if hidden else round(score.strength.effective_base, 1),
                score.strength.sources,
                labels.label(labels.STRENGTH_LABELS, score.strength.level),
                score.strength.most_recent.isoformat(),
            ]
        )
    header = [
        _("Area code"),
        _("Area"),
        _("Level"),
        _("Theme code"),
        _("Theme"),
        _("Score"),
        _("Lower"),
        _("Upper"),
        _("People"),
        _("Effective number of people"),
        _("Sources"),
        _("Evidence strength"),
        _("Most recent evidence"),
    ]
    response = Response(csv_bytes(header, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=priorities-{partnership.slug}-{picture.as_of.isoformat()}.csv"
    )
    return response


# --------------------------------------------------------------------------- settings


@bp.route("/partnerships/<slug>/priorities/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str) -> str | WerkzeugResponse:
    partnership = _managed(slug)
    current = weight_settings(partnership)
    form = WeightsForm()
    if request.method == "GET":
        for kind, weight in current.kind_weights.items():
            getattr(form, f"weight_{kind.value}").data = weight
        form.half_life_days.data = current.half_life_days
    if form.validate_on_submit() and commit_operation(
        form,
        lambda: operations.save_weight_settings(
            current_user.id,
            partnership,
            kind_weights={
                kind: float(getattr(form, f"weight_{kind.value}").data) for kind in agg.SourceKind
            },
            half_life_days=form.half_life_days.data,
        ),
        field="weight_panel_survey",
        success=_("Weights saved"),
    ):
        return redirect(url_for("priorities.settings", slug=slug))
    picture = compute_priorities(partnership)
    sources = sorted(
        {i.source_id: i.source_kind for i in picture.used_items}.items(),
        key=lambda kv: (kv[1].value, kv[0]),
    )
    return render_template(
        "priorities/settings.html",
        form=form,
        partnership=partnership,
        current=current,
        defaults=agg.DEFAULT_SOURCE_WEIGHTS,
        reasons=labels.KIND_WEIGHT_REASONS,
        sources=sources,
        picture=picture,
        source_form=SourceWeightForm(),
    )


@bp.post("/partnerships/<slug>/priorities/settings/source")
@login_required
def source_weight(slug: str) -> WerkzeugResponse:
    partnership = _managed(slug)
    form = SourceWeightForm()
    if form.validate_on_submit():
        weight = float(form.weight.data) if form.weight.data is not None else None
        try:
            operations.save_source_weight(
                current_user.id, partnership, form.source_id.data or "", weight
            )
        except EngageError as error:
            db.session.rollback()
            flash(str(error))
        else:
            db.session.commit()
            flash(_("Weight saved"), "success")
    else:
        flash(_("Enter a weight from 0 to 1"))
    return redirect(url_for("priorities.settings", slug=slug))


# --------------------------------------------------------------------------- evidence entered by hand


def _entered(partnership: Partnership, evidence_id: int) -> EnteredEvidence:
    evidence = db.session.get(EnteredEvidence, evidence_id)
    if evidence is None or evidence.partnership_id != partnership.id:
        abort(404)
    return evidence


def _organisations(partnership: Partnership) -> list[Organisation]:
    seen: dict[int, Organisation] = {}
    for node in partnership.lineage():
        for organisation in node.organisations:
            seen.setdefault(organisation.id, organisation)
    return sorted(seen.values(), key=lambda o: o.name)


def _evidence_form(
    partnership: Partnership, evidence: EnteredEvidence | None
) -> EnteredEvidenceForm:
    form = EnteredEvidenceForm(obj=evidence)
    form.source_kind.choices = [
        SelectChoice(k.value, labels.label(labels.KIND_LABELS, k)) for k in agg.SourceKind
    ]
    language = current_language()
    form.organisation.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(o.id, o.display_name(language)) for o in _organisations(partnership)
    ]
    if request.method == "GET" and evidence is not None:
        form.source_kind.data = evidence.source_kind.value
        form.organisation.data = evidence.organisation_id
    return form


def _figure_form(partnership: Partnership, picture_areas: list[Area]) -> FigureForm:
    form = FigureForm()
    language = current_language()
    form.theme.choices = [SelectChoice("", _("Choose a theme"))] + [
        SelectChoice(t.id, t.display_name(language)) for t in partnership.themes if t.is_active
    ]
    form.area.choices = [SelectChoice("", _("The whole partnership"))] + [
        SelectChoice(a.id, f"{a.display_name(language)} ({a.gss_code})") for a in picture_areas
    ]
    form.measure.choices = [
        SelectChoice(m.value, labels.label(labels.MEASURE_LABELS, m)) for m in Measure
    ]
    return form


def _partnership_areas(partnership: Partnership) -> list[Area]:
    from engage.priorities.geography import build_geography

    geography = build_geography(partnership)
    return geography.districts() + geography.wards()


@bp.get("/partnerships/<slug>/priorities/entered")
@login_required
def entered_list(slug: str) -> str:
    partnership = _managed(slug)
    found = db.session.scalars(
        select(EnteredEvidence)
        .where(EnteredEvidence.partnership_id == partnership.id)
        .order_by(EnteredEvidence.collected_on.desc(), EnteredEvidence.id.desc())
    ).all()
    return render_template("priorities/entered_list.html", partnership=partnership, evidence=found)


@bp.route("/partnerships/<slug>/priorities/entered/new", methods=["GET", "POST"])
@bp.route("/partnerships/<slug>/priorities/entered/<int:evidence_id>/edit", methods=["GET", "POST"])
@login_required
def entered_form(slug: str, evidence_id: int | None = None) -> str | WerkzeugResponse:
    partnership = _managed(slug)
    existing = _entered(partnership, evidence_id) if evidence_id is not None else None
    form = _evidence_form(partnership, existing)
    if form.validate_on_submit():
        organisation = (
            db.session.get(Organisation, form.organisation.data) if form.organisation.data else None
        )
        saved = commit_operation(
            form,
            lambda: operations.save_entered_evidence(
                current_user.id,
                partnership,
                title=form.title.data or "",
                source_kind=agg.SourceKind(form.source_kind.data),
                collected_on=form.collected_on.data,
                organisation=organisation,
                method=form.method.data,
                link=form.link.data,
                design_effect=float(form.design_effect.data or 1),
                evidence=existing,
            ),
            field="title",
            success=_("Evidence saved"),
        )
        if saved is not None:
            return redirect(url_for("priorities.entered", slug=slug, evidence_id=saved.id))
    return render_template(
        "priorities/entered_form.html", form=form, partnership=partnership, evidence=existing
    )


@bp.route("/partnerships/<slug>/priorities/entered/<int:evidence_id>", methods=["GET", "POST"])
@login_required
def entered(slug: str, evidence_id: int) -> str | WerkzeugResponse:
    """One set of entered evidence: its figures, and a form to add one."""
    partnership = _managed(slug)
    evidence = _entered(partnership, evidence_id)
    areas = _partnership_areas(partnership)
    form = _figure_form(partnership, areas)
    if form.validate_on_submit():
        from engage.partnerships.models import Theme

        theme = db.session.get(Theme, form.theme.data) if form.theme.data else None
        chosen_area = db.session.get(Area, form.area.data) if form.area.data else None
        if theme is None or theme.partnership_id != partnership.id:
            form.theme.errors = [_("Choose a theme")]
        elif form.area.data and (chosen_area is None or chosen_area not in areas):
            form.area.errors = [_("Choose an area of this partnership")]
        elif commit_operation(
            form,
            lambda: operations.save_figure(
                current_user.id,
                evidence,
                theme=theme,
                area=chosen_area,
                measure=Measure(form.measure.data),
                percent=float(form.percent.data),
                base=int(form.base.data or 0),
                quote=form.quote.data,
            ),
            field="percent",
            success=_("Figure saved"),
        ):
            return redirect(url_for("priorities.entered", slug=slug, evidence_id=evidence.id))
    return render_template(
        "priorities/entered.html",
        form=form,
        partnership=partnership,
        evidence=evidence,
        threshold=_threshold(),
    )


@bp.post("/partnerships/<slug>/priorities/entered/<int:evidence_id>/figures/<int:figure_id>/delete")
@login_required
def delete_figure(slug: str, evidence_id: int, figure_id: int) -> WerkzeugResponse:
    partnership = _managed(slug)
    evidence = _entered(partnership, evidence_id)
    figure = db.session.get(EnteredFigure, figure_id)
    if figure is None or figure.evidence_id != evidence.id:
        abort(404)
    operations.delete_figure(current_user.id, figure)
    db.session.commit()
    flash(_("Figure removed"), "success")
    return redirect(url_for("priorities.entered", slug=slug, evidence_id=evidence.id))


@bp.post("/partnerships/<slug>/priorities/entered/<int:evidence_id>/delete")
@login_required
def delete_entered(slug: str, evidence_id: int) -> WerkzeugResponse:
    partnership = _managed(slug)
    evidence = _entered(partnership, evidence_id)
    operations.delete_entered_evidence(current_user.id, evidence)
    db.session.commit()
    flash(_("Evidence deleted"), "success")
    return redirect(url_for("priorities.entered_list", slug=slug))


@bp.get("/partnerships/<slug>/priorities/entered/template.csv")
@login_required
def figures_template(slug: str) -> Response:
    partnership = _managed(slug)
    areas = _partnership_areas(partnership)
    themes = [t for t in partnership.themes if t.is_active]
    example = []
    if themes and areas:
        example = [
            [themes[0].slug, areas[0].gss_code, Measure.TOP_PRIORITY.value, "34.5", "412", ""],
            [themes[0].slug, "", Measure.TOP_PRIORITY.value, "31", "1250", ""],
        ]
    response = Response(csv_bytes(list(operations.FIGURE_COLUMNS), example), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=evidence-figures-template.csv"
    return response


@bp.route(
    "/partnerships/<slug>/priorities/entered/<int:evidence_id>/import", methods=["GET", "POST"]
)
@login_required
def import_figures(slug: str, evidence_id: int) -> str | WerkzeugResponse:
    partnership = _managed(slug)
    evidence = _entered(partnership, evidence_id)
    form = FigureImportForm()
    row_errors: list[Any] = []
    if form.validate_on_submit():
        try:
            rows = list(read_csv_rows(form.file.data.read()))
            result = operations.import_figures(
                current_user.id,
                evidence,
                rows,
                themes={t.slug: t for t in partnership.themes if t.is_active},
                areas={a.gss_code: a for a in _partnership_areas(partnership)},
            )
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
                    "Imported %(created)d new and updated %(updated)d figures",
                    created=result.created,
                    updated=result.updated,
                ),
                "success",
            )
            return redirect(url_for("priorities.entered", slug=slug, evidence_id=evidence.id))
    return render_template(
        "priorities/entered_import.html",
        form=form,
        partnership=partnership,
        evidence=evidence,
        row_errors=row_errors,
        measures=list(Measure),
    )


# --------------------------------------------------------------------------- snapshots


@bp.post("/partnerships/<slug>/priorities/snapshots")
@login_required
def save_snapshot(slug: str) -> WerkzeugResponse:
    partnership = _managed(slug)
    form = SnapshotForm()
    if not form.validate_on_submit():
        flash(_("The name can be at most 200 characters"))
        return redirect(url_for("priorities.overview", slug=slug))
    picture = compute_priorities(partnership)
    snapshot = operations.save_snapshot(current_user.id, picture, form.label.data)
    db.session.commit()
    flash(_("Snapshot saved"), "success")
    return redirect(url_for("priorities.snapshot", slug=slug, snapshot_id=snapshot.id))


@bp.get("/partnerships/<slug>/priorities/snapshots/<int:snapshot_id>")
@login_required
def snapshot(slug: str, snapshot_id: int) -> str:
    partnership = _viewable(slug)
    found = db.session.get(PrioritySnapshot, snapshot_id)
    if found is None or found.partnership_id != partnership.id:
        abort(404)
    show_small = policy.sees_small_counts(current_user, partnership)
    themes = {t.slug: t for t in partnership.themes}
    from engage.priorities.geography import build_geography

    geography = build_geography(partnership)
    visible = []
    for row in found.scores:
        area = geography.area(row["area"])
        if row["area"] != geography.root_id and (
            area is None or not policy.can_view_area_priorities(current_user, partnership, area)
        ):
            continue
        visible.append(
            {
                **row,
                "theme_name": themes[row["theme"]].display_name(current_language())
                if row["theme"] in themes
                else row["theme"],
                "area_name": area.display_name(current_language())
                if area is not None and row["area"] != geography.root_id
                else partnership.display_name(current_language()),
                "suppressed": presentation.withheld(
                    row["total_base"], show_small=show_small, threshold=_threshold()
                ),
            }
        )
    visible.sort(
        key=lambda r: (
            r["level"] != "partnership",
            r["level"] != "district",
            r["area_name"],
            -r["score"],
        )
    )
    return render_template(
        "priorities/snapshot.html", partnership=partnership, snapshot=found, rows=visible
    )
