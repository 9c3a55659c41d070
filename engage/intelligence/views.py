"""Partner intelligence pages: browse by theme and area, datasets, upload, mapping, exports."""

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
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from engage.core.errors import EngageError, ImportFailed
from engage.core.i18n import current_language
from engage.core.security import printable_filename
from engage.core.spreadsheets import UnreadableFile, csv_bytes, read_csv_rows, xlsx_bytes
from engage.extensions import db
from engage.intelligence import labels, operations, policy
from engage.intelligence.forms import (
    BrowseForm,
    ConfirmForm,
    DatasetForm,
    MappingForm,
    PostcodeDistrictForm,
    PostcodeImportForm,
    UploadForm,
)
from engage.intelligence.mapping import (
    DEMOGRAPHIC_FEATURES,
    DROP,
    MAX_ANSWERS,
    ROLES_BY_SHAPE,
    ColumnRole,
    DatasetMapping,
    DatasetShape,
    Scale,
    Unit,
    apply_scale,
    points_for,
    suggest_points,
    suggest_scale,
)
from engage.intelligence.models import (
    Dataset,
    DatasetImport,
    DatasetStatus,
    ImportStatus,
    PostcodeDistrict,
    QuestionKind,
    Sharing,
)
from engage.partnerships.labels import LEVEL_LABELS
from engage.partnerships.models import Area, Partnership

bp = Blueprint("intelligence", __name__, url_prefix="/partnerships/<slug>/intelligence")

MAX_BROWSE_FIGURES = 40


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in user; each view then checks the policy."""


@bp.url_value_preprocessor
def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Ids beyond what the database stores cannot exist: 404, not a database error."""
    for name, value in (values or {}).items():
        if name.endswith("_id") and isinstance(value, int) and not 0 < value <= 2_147_483_647:
            abort(404)


def _partnership(slug: str) -> Partnership:
    """The partnership, if the user has a role in it; otherwise 404, never a hint it exists."""
    found = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if found is None or not policy.can_use_intelligence(current_user, found):
        abort(404)
    return found


def _dataset(partnership: Partnership, dataset_id: int, *, manage: bool = False) -> Dataset:
    dataset = db.session.get(Dataset, dataset_id)
    allowed = {p.id for p in partnership.descendants()}
    if dataset is None or dataset.partnership_id not in allowed:
        abort(404)
    permitted = (policy.can_manage_dataset if manage else policy.can_view_dataset)(
        current_user, dataset
    )
    if not permitted:
        abort(404)
    return dataset


def _wants_fragment() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def _respond(full: str, fragment: str, **context: Any) -> Response:
    """The whole page, or (for htmx) just the part it swaps; either way Vary: HX-Request."""
    template = fragment if _wants_fragment() else full
    response = current_app.make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def _form_error(form: Any, error: EngageError, default: str) -> None:
    name = error.field if error.field and hasattr(form, error.field) else default
    field = getattr(form, name)
    field.errors = [*field.errors, str(error)]


# --------------------------------------------------------------------------- browse


def _area_choices(partnership: Partnership, *, blank: str) -> list[SelectChoice]:
    choices = [SelectChoice("", blank)]
    for area in operations.known_area_choices(partnership, wards_only=False):
        level = labels.label(LEVEL_LABELS, area.level)
        choices.append(SelectChoice(str(area.id), f"{area.name} ({level})"))
    return choices


def _theme_choices(partnership: Partnership, *, blank: str) -> list[SelectChoice]:
    language = current_language()
    return [SelectChoice("", blank)] + [
        SelectChoice(str(t.id), t.display_name(language))
        for t in operations.partnership_themes(partnership)
    ]


@bp.get("")
def index(slug: str) -> Response:
    """Intelligence by theme and area, from every dataset the user may see."""
    partnership = _partnership(slug)
    form = BrowseForm(request.args)
    form.theme.choices = _theme_choices(partnership, blank=_("All themes"))
    form.area.choices = _area_choices(partnership, blank=_("All areas"))
    form.validate()
    theme_id = form.theme.data if not form.theme.errors else None
    area = db.session.get(Area, form.area.data) if form.area.data and not form.area.errors else None
    visible = [d for d in operations.datasets_in(partnership)
               if policy.can_view_dataset(current_user, d)]
    sections = []
    if theme_id is not None or area is not None:
        sections = _browse(partnership, visible, theme_id, area)
    return _respond(
        "intelligence/index.html", "intelligence/_browse_results.html",
        partnership=partnership, form=form, datasets=visible, sections=sections,
        chosen=theme_id is not None or area is not None, area=area,
        can_add=policy.can_add_dataset(current_user, partnership),
        can_manage_postcodes=policy.can_manage_postcode_districts(current_user, partnership),
        can_manage_tokens=policy.can_manage_api_tokens(current_user, partnership),
        limit=MAX_BROWSE_FIGURES,
    )


def _browse(
    partnership: Partnership, datasets: list[Dataset], theme_id: int | None, area: Area | None
) -> list[dict[str, Any]]:
    """Each ready dataset's questions (or indicators) in the theme, for the area's wards."""
    wards = operations.wards_in(area, partnership)
    sections: list[dict[str, Any]] = []
    figures = 0
    for dataset in datasets:
        if dataset.status != DatasetStatus.READY or figures >= MAX_BROWSE_FIGURES:
            continue
        dataset_theme_ids = {t.id for t in dataset.themes}
        kind = (QuestionKind.QUESTION if dataset.shape == DatasetShape.RESPONDENT
                else QuestionKind.INDICATOR)
        questions = [
            q for q in operations.visible_questions(dataset, kind=kind)
            if theme_id is None or q.theme_id == theme_id
            or (q.theme_id is None and theme_id in dataset_theme_ids)
        ][: MAX_BROWSE_FIGURES - figures]
        if not questions:
            continue
        if dataset.shape == DatasetShape.RESPONDENT:
            views = [v for v in operations.question_views(dataset, questions, wards)
                     if v.result.areas]
            if views:
                sections.append({"dataset": dataset, "questions": views, "indicators": []})
                figures += len(views)
        else:
            indicators = [v for v in operations.indicator_views(dataset, questions, area)
                          if v.values]
            if indicators:
                sections.append({"dataset": dataset, "questions": [], "indicators": indicators})
                figures += len(indicators)
    return sections


# --------------------------------------------------------------------------- datasets


def _details(form: DatasetForm) -> operations.DatasetDetails:
    return operations.DatasetDetails(
        title=form.title.data or "",
        source=form.source.data or "",
        method=form.method.data or "",
        fieldwork_start=form.fieldwork_start.data,
        fieldwork_end=form.fieldwork_end.data,
        sample_size=form.sample_size.data,
        weighting_note=form.weighting_note.data or "",
        sharing=Sharing(form.sharing.data),
        licence=form.licence.data or "",
        theme_ids=list(form.themes.data or []),
    )


def _dataset_form(partnership: Partnership, dataset: Dataset | None) -> DatasetForm:
    form = DatasetForm(obj=dataset) if dataset is not None else DatasetForm()
    language = current_language()
    form.sharing.choices = [SelectChoice(s.value, str(labels.SHARING_LABELS[s.value])) for s in Sharing]
    form.shape.choices = [SelectChoice(s.value, str(labels.SHAPE_LABELS[s.value])) for s in DatasetShape]
    form.themes.choices = [SelectChoice(t.id, t.display_name(language))
                           for t in operations.partnership_themes(partnership)]
    organisations = policy.organisations_for_new_dataset(current_user, partnership)
    form.organisation_id.choices = [SelectChoice("", _("Choose an organisation"))] + [
        SelectChoice(o.id, o.display_name(language)) for o in organisations
    ]
    if dataset is not None:
        del form.organisation_id
        del form.shape
        if request.method == "GET":
            form.sharing.data = dataset.sharing.value
            form.themes.data = [t.id for t in dataset.themes]
    elif request.method == "GET":
        form.sharing.data = Sharing.PARTNERSHIP.value
        if len(organisations) == 1:
            form.organisation_id.data = organisations[0].id
    return form


@bp.route("/datasets/new", methods=["GET", "POST"])
def new_dataset(slug: str) -> str | WerkzeugResponse:
    partnership = _partnership(slug)
    if not policy.can_add_dataset(current_user, partnership):
        abort(404)
    form = _dataset_form(partnership, None)
    if form.validate_on_submit():
        allowed = {o.id: o for o in policy.organisations_for_new_dataset(current_user, partnership)}
        organisation = allowed.get(form.organisation_id.data or 0)
        if organisation is None:
            abort(404)
        try:
            dataset = operations.create_dataset(
                current_user.id, partnership, organisation, DatasetShape(form.shape.data),
                _details(form),
            )
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "title")
        else:
            db.session.commit()
            flash(_("Dataset added: now upload its data"), "success")
            return redirect(url_for("intelligence.upload", slug=slug, dataset_id=dataset.id))
    return render_template("intelligence/dataset_form.html", form=form, partnership=partnership,
                           dataset=None)


@bp.route("/datasets/<int:dataset_id>/edit", methods=["GET", "POST"])
def edit_dataset(slug: str, dataset_id: int) -> str | WerkzeugResponse:
    partnership = _partnership(slug)
    dataset = _dataset(partnership, dataset_id, manage=True)
    form = _dataset_form(partnership, dataset)
    if form.validate_on_submit():
        try:
            operations.update_dataset(current_user.id, dataset, _details(form))
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "title")
        else:
            db.session.commit()
            flash(_("Dataset saved"), "success")
            return redirect(url_for("intelligence.dataset", slug=slug, dataset_id=dataset.id))
    return render_template("intelligence/dataset_form.html", form=form, partnership=partnership,
                           dataset=dataset)


@bp.get("/datasets/<int:dataset_id>")
def dataset(slug: str, dataset_id: int) -> str:
    partnership = _partnership(slug)
    found = _dataset(partnership, dataset_id)
    wards = operations.wards_in(None, found.partnership)
    questions = operations.question_views(
        found, operations.visible_questions(found, kind=QuestionKind.QUESTION), wards
    ) if found.shape == DatasetShape.RESPONDENT else []
    indicators = operations.indicator_views(
        found, operations.visible_questions(found, kind=QuestionKind.INDICATOR), None
    ) if found.shape == DatasetShape.AGGREGATE else []
    can_manage = policy.can_manage_dataset(current_user, found)
    imports = [(i, operations.import_state(i)) for i in found.imports] if can_manage else []
    return render_template(
        "intelligence/dataset.html", partnership=partnership, dataset=found,
        questions=questions, indicators=indicators, can_manage=can_manage, imports=imports,
        demographics=operations.visible_questions(found, kind=QuestionKind.DEMOGRAPHIC),
    )


@bp.route("/datasets/<int:dataset_id>/delete", methods=["GET", "POST"])
def delete_dataset(slug: str, dataset_id: int) -> str | WerkzeugResponse:
    partnership = _partnership(slug)
    found = _dataset(partnership, dataset_id, manage=True)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.delete_dataset(current_user.id, found)
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "submit")
        else:
            db.session.commit()
            flash(_("Dataset deleted"), "success")
            return redirect(url_for("intelligence.index", slug=slug))
    return render_template("intelligence/dataset_delete.html", form=form,
                           partnership=partnership, dataset=found)


@bp.get("/datasets/<int:dataset_id>/results.csv", defaults={"file_format": "csv"})
@bp.get("/datasets/<int:dataset_id>/results.xlsx", defaults={"file_format": "xlsx"})
def export(slug: str, dataset_id: int, file_format: str) -> Response:
    """The published (suppressed) results as a formula-safe CSV or workbook."""
    partnership = _partnership(slug)
    found = _dataset(partnership, dataset_id)
    header, rows = operations.results_rows(found)
    name = f"dataset-{found.id}-results.{file_format}"
    if file_format == "xlsx":
        body = xlsx_bytes(header, rows, title=_("Results"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = csv_bytes(header, rows), "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


# --------------------------------------------------------------------------- upload and mapping


@bp.route("/datasets/<int:dataset_id>/upload", methods=["GET", "POST"])
def upload(slug: str, dataset_id: int) -> str | WerkzeugResponse:
    partnership = _partnership(slug)
    found = _dataset(partnership, dataset_id, manage=True)
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        try:
            record = operations.start_upload(current_user.id, found, storage.stream,
                                             printable_filename(storage.filename or ""))
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "file")
        else:
            db.session.commit()
            return redirect(url_for("intelligence.mapping", slug=slug, dataset_id=found.id,
                                    import_id=record.id))
    return render_template("intelligence/upload.html", form=form, partnership=partnership,
                           dataset=found)


def _import(dataset: Dataset, import_id: int) -> DatasetImport:
    record = db.session.get(DatasetImport, import_id)
    if record is None or record.dataset_id != dataset.id:
        abort(404)
    return record


def _choice(value: str | None, allowed: set[str]) -> str | None:
    return value if value in allowed else None


def apply_form_to_mapping(
    record: DatasetImport, mapping: DatasetMapping, data: MultiDict[str, str]
) -> DatasetMapping:
    """Read the mapping page's fields (named by column position) into the mapping."""
    profile = {p.index: p for p in operations.import_profile(record)}
    roles = {r.value for r in ROLES_BY_SHAPE[mapping.shape]}
    scales = {s.value for s in Scale}
    for column in mapping.columns:
        index = column.index
        distinct = list(profile[index].distinct) if index in profile else []
        role = _choice(data.get(f"role-{index}"), roles)
        if role is not None:
            column.role = ColumnRole(role)
        if column.role == ColumnRole.DEMOGRAPHIC:
            column.feature = _choice(data.get(f"feature-{index}"), set(DEMOGRAPHIC_FEATURES)) or (
                column.feature if column.feature in DEMOGRAPHIC_FEATURES else None
            )
        if column.role != ColumnRole.QUESTION:
            continue
        if f"text-{index}" in data:
            column.text = (data.get(f"text-{index}") or "").strip()[:300] or column.name
        theme = data.get(f"theme-{index}")
        if theme is not None:
            column.theme_id = int(theme) if theme.isdigit() else None
        if not column.values and len(distinct) <= MAX_ANSWERS:
            column.scale = suggest_scale(distinct)
            column.values = suggest_points(distinct, column.scale)
        scale = _choice(data.get(f"scale-{index}"), scales)
        if scale is not None and Scale(scale) != column.scale:
            apply_scale(column, Scale(scale), distinct)
            continue
        allowed = set(points_for(column.scale))
        for position, value in enumerate(distinct):
            chosen = data.get(f"value-{index}-{position}")
            if chosen is not None:
                column.values[value] = chosen if chosen in allowed else None
    fixes = dict(mapping.area_fixes)
    position = 0
    while f"area-value-{position}" in data:
        value = data.get(f"area-value-{position}", "")
        chosen = data.get(f"area-{position}", "")
        if chosen == DROP:
            fixes[value] = DROP
        elif chosen.isdigit():
            fixes[value] = int(chosen)
        else:
            fixes.pop(value, None)
        position += 1
    mapping.area_fixes = fixes
    units = {u.value for u in Unit}
    for position, indicator in enumerate(mapping.indicators):
        theme = data.get(f"indicator-theme-{position}")
        if theme is not None:
            indicator.theme_id = int(theme) if theme.isdigit() else None
        unit = _choice(data.get(f"indicator-unit-{position}"), units)
        if unit is not None:
            indicator.unit = Unit(unit)
    return mapping


@bp.route("/datasets/<int:dataset_id>/imports/<int:import_id>", methods=["GET", "POST"])
def mapping(slug: str, dataset_id: int, import_id: int) -> Response | WerkzeugResponse:
    """Map the columns of an upload (htmx refreshes the form on each change)."""
    partnership = _partnership(slug)
    found = _dataset(partnership, dataset_id, manage=True)
    record = _import(found, import_id)
    form = MappingForm()
    state = operations.import_state(record)
    if request.method == "POST" and form.validate_on_submit():
        updated = apply_form_to_mapping(record, operations.import_mapping(record), request.form)
        try:
            operations.save_mapping(current_user.id, record, updated)
            if request.form.get("action") == "import":
                job = operations.start_import(current_user.id, record)
                db.session.commit()
                return redirect(url_for("jobs.status", job_id=job.id))
        except EngageError as error:
            db.session.rollback()
            form.mapping.errors = [str(error)]
        else:
            db.session.commit()
        state = operations.import_state(record)
    check = operations.check_mapping(record)
    if request.method == "POST" and request.form.get("action") == "import" and not form.errors:
        form.mapping.errors = [str(labels.MAPPING_PROBLEMS[p]) for p in check.problems]
    return _respond(
        "intelligence/mapping.html", "intelligence/_mapping_form.html",
        **_mapping_context(partnership, found, record, state, check), form=form,
    )


def _mapping_context(
    partnership: Partnership, dataset: Dataset, record: DatasetImport, state: ImportStatus,
    check: operations.MappingCheck,
) -> dict[str, Any]:
    mapping = operations.import_mapping(record)
    profile = {p.index: p for p in operations.import_profile(record)}
    language = current_language()
    wards_only = mapping.shape == DatasetShape.RESPONDENT
    areas = operations.known_area_choices(partnership if wards_only else dataset.partnership,
                                          wards_only=wards_only)
    return {
        "partnership": partnership,
        "dataset": dataset,
        "record": record,
        "state": state,
        "editable": state in operations.EDITABLE,
        "mapping": mapping,
        "profile": profile,
        "check": check,
        "roles": ROLES_BY_SHAPE[mapping.shape],
        "features": DEMOGRAPHIC_FEATURES,
        "scales": list(Scale),
        "units": list(Unit),
        "points_for": points_for,
        "themes": [(t.id, t.display_name(language))
                   for t in operations.partnership_themes(dataset.partnership)],
        "areas": areas,
        "row_errors": operations.import_row_errors(record) if state == ImportStatus.FAILED else [],
        "max_answers": MAX_ANSWERS,
    }


# --------------------------------------------------------------------------- postcode districts


def _ward_choices(partnership: Partnership) -> list[SelectChoice]:
    return [SelectChoice("", _("Choose a ward"))] + [
        SelectChoice(area.id, area.name)
        for area in operations.known_area_choices(partnership, wards_only=True)
    ]


@bp.route("/postcode-districts", methods=["GET", "POST"])
def postcode_districts(slug: str) -> str | WerkzeugResponse:
    """The partnership's own postcode district → ward table, used to map survey postcodes."""
    partnership = _partnership(slug)
    if not policy.can_manage_postcode_districts(current_user, partnership):
        abort(404)
    form = PostcodeDistrictForm()
    form.ward_id.choices = _ward_choices(partnership)
    if form.validate_on_submit():
        ward = db.session.get(Area, form.ward_id.data or 0)
        try:
            if ward is None:
                raise EngageError(_("Choose a ward of this partnership"), field="ward_id")
            operations.save_postcode_district(current_user.id, partnership,
                                              form.district.data or "", ward)
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error, "district")
        else:
            db.session.commit()
            flash(_("Postcode district saved"), "success")
            return redirect(url_for("intelligence.postcode_districts", slug=slug))
    rows = db.session.scalars(
        select(PostcodeDistrict).where(PostcodeDistrict.partnership_id == partnership.id)
        .order_by(PostcodeDistrict.district)
    ).all()
    return render_template("intelligence/postcode_districts.html", form=form,
                           partnership=partnership, rows=rows)


@bp.route("/postcode-districts/import", methods=["GET", "POST"])
def import_postcode_districts(slug: str) -> str | WerkzeugResponse:
    partnership = _partnership(slug)
    if not policy.can_manage_postcode_districts(current_user, partnership):
        abort(404)
    form = PostcodeImportForm()
    row_errors: list[Any] = []
    if form.validate_on_submit():
        try:
            rows = list(read_csv_rows(form.file.data.read()))
            count = operations.import_postcode_districts(current_user.id, partnership, rows)
        except UnreadableFile:
            db.session.rollback()
            form.file.errors = [labels.unreadable_message("encoding")]
        except ImportFailed as failure:
            db.session.rollback()
            row_errors = failure.errors
            form.file.errors = [_("Nothing was imported: fix the rows listed and upload the file again")]
        else:
            db.session.commit()
            flash(_("Imported %(count)d postcode districts", count=count), "success")
            return redirect(url_for("intelligence.postcode_districts", slug=slug))
    return render_template("intelligence/postcode_import.html", form=form,
                           partnership=partnership, row_errors=row_errors)


@bp.post("/postcode-districts/<int:district_id>/delete")
def delete_postcode_district(slug: str, district_id: int) -> WerkzeugResponse:
    partnership = _partnership(slug)
    if not policy.can_manage_postcode_districts(current_user, partnership):
        abort(404)
    row = db.session.get(PostcodeDistrict, district_id)
    if row is None or row.partnership_id != partnership.id:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    operations.delete_postcode_district(current_user.id, row)
    db.session.commit()
    flash(_("Postcode district removed"), "success")
    return redirect(url_for("intelligence.postcode_districts", slug=slug))


# Kept for templates: translated labels for codes.
@bp.app_template_global("intelligence_label")
def intelligence_label(table: str, code: object) -> str:
    return labels.label(getattr(labels, table), code)


@bp.app_template_global("intelligence_column_label")
def intelligence_column_label(scale: object, group: str) -> str:
    return labels.column_label(scale, group)


@bp.app_template_global("intelligence_row_error")
def intelligence_row_error(error: dict[str, Any]) -> str:
    return labels.row_error_message(error)

