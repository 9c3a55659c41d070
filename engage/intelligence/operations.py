"""Partner intelligence use cases: describe datasets, upload and map files, read results.

Operations flush and never commit (the view or the import job owns the transaction); the
long import itself is engage.intelligence.importer.run_import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from engage.core.audit_log import record_audit
from engage.core.errors import EngageError, ImportFailed, RowError
from engage.core.personal_data import register_personal_data
from engage.extensions import db
from engage.intelligence import importer
from engage.intelligence.importer import UnreadableUpload
from engage.intelligence.mapping import (
    AREA_ROLES,
    DROP,
    ColumnProfile,
    ColumnRole,
    DatasetMapping,
    DatasetShape,
    KnownArea,
    Scale,
    initial_mapping,
    normalise_postcode_district,
)
from engage.intelligence.models import (
    Dataset,
    DatasetImport,
    DatasetIndicatorValue,
    DatasetQuestion,
    DatasetResult,
    DatasetValue,
    ImportStatus,
    PostcodeDistrict,
    QuestionKind,
    Sharing,
)
from engage.intelligence.results import (
    IndicatorValue,
    Option,
    QuestionResult,
    publish_indicator,
    question_result,
)
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership, Theme
from engage.partnerships.policy import covers_area

# --------------------------------------------------------------------------- datasets


@dataclass
class DatasetDetails:
    """The describing fields of a dataset, as a form or the API gives them."""

    title: str
    source: str = ""
    method: str = ""
    fieldwork_start: date | None = None
    fieldwork_end: date | None = None
    sample_size: int | None = None
    weighting_note: str = ""
    sharing: Sharing = Sharing.ORGANISATION
    licence: str = ""
    theme_ids: Sequence[int] = field(default_factory=list)


def partnership_themes(partnership: Partnership) -> list[Theme]:
    """Themes a dataset in this partnership may use: its own and its parents'."""
    return [t for node in partnership.lineage() for t in node.themes if t.is_active]


def _apply_details(dataset: Dataset, details: DatasetDetails) -> None:
    title = details.title.strip()
    if not title:
        raise EngageError(_("Enter a title"), field="title")
    if (
        details.fieldwork_start
        and details.fieldwork_end
        and details.fieldwork_end < details.fieldwork_start
    ):
        raise EngageError(
            _("The end of fieldwork must be on or after its start"), field="fieldwork_end"
        )
    if details.sample_size is not None and details.sample_size < 0:
        raise EngageError(_("Sample size must be 0 or more"), field="sample_size")
    allowed = {t.id: t for t in partnership_themes(dataset.partnership)}
    if any(theme_id not in allowed for theme_id in details.theme_ids):
        raise EngageError(_("Choose themes of this partnership"), field="themes")
    dataset.title = title[:200]
    dataset.source = details.source.strip()[:300]
    dataset.method = details.method.strip()
    dataset.fieldwork_start = details.fieldwork_start
    dataset.fieldwork_end = details.fieldwork_end
    dataset.sample_size = details.sample_size
    dataset.weighting_note = details.weighting_note.strip()
    dataset.sharing = details.sharing
    dataset.licence = details.licence.strip()[:200]
    dataset.themes = [allowed[i] for i in details.theme_ids]


def create_dataset(
    actor_id: int | None,
    partnership: Partnership,
    organisation: Organisation,
    shape: DatasetShape,
    details: DatasetDetails,
) -> Dataset:
    """Describe a new dataset (no data yet)."""
    dataset = Dataset(
        partnership=partnership, organisation=organisation, shape=shape, created_by_id=actor_id,
        title="",
    )
    db.session.add(dataset)
    _apply_details(dataset, details)
    db.session.flush()
    record_audit(
        "dataset.created", actor_id=actor_id, target=dataset, partnership_id=partnership.id,
        organisation_id=organisation.id, sharing=dataset.sharing.value,
    )
    return dataset


def update_dataset(actor_id: int | None, dataset: Dataset, details: DatasetDetails) -> Dataset:
    before = dataset.sharing
    _apply_details(dataset, details)
    db.session.flush()
    record_audit(
        "dataset.updated", actor_id=actor_id, target=dataset,
        partnership_id=dataset.partnership_id, sharing=dataset.sharing.value,
        sharing_before=before.value,
    )
    return dataset


def delete_dataset(actor_id: int | None, dataset: Dataset) -> None:
    """Remove a dataset, every version of its rows and any file still stored."""
    if any(import_state(i) in (ImportStatus.QUEUED, ImportStatus.LOADING) for i in dataset.imports):
        raise EngageError(_("Wait for the import to finish before deleting the dataset"))
    for record in dataset.imports:
        importer.remove_stored(record.stored_name)
    for model in importer.FACT_MODELS:
        db.session.execute(delete(model).where(model.dataset_id == dataset.id))
    questions = select(DatasetQuestion.id).where(DatasetQuestion.dataset_id == dataset.id)
    db.session.execute(delete(DatasetValue).where(DatasetValue.question_id.in_(questions)))
    db.session.execute(delete(DatasetQuestion).where(DatasetQuestion.dataset_id == dataset.id))
    record_audit(
        "dataset.deleted", actor_id=actor_id, target=dataset,
        partnership_id=dataset.partnership_id, title=dataset.title,
    )
    db.session.delete(dataset)
    db.session.flush()


# --------------------------------------------------------------------------- uploads


def start_upload(
    actor_id: int | None, dataset: Dataset, stream: IO[bytes], filename: str
) -> DatasetImport:
    """Store an upload, check its encoding, profile its columns and suggest a mapping.

    Raises EngageError (field "file") when the file cannot be read.
    """
    from engage.intelligence.labels import unreadable_message

    try:
        stored = importer.store_upload(stream, filename)
    except UnreadableUpload as error:
        raise EngageError(unreadable_message(error.code), field="file") from error
    try:
        encoding = importer.detect_encoding(stored.path) if stored.file_format == "csv" else None
        profile = importer.profile_file(stored.path, stored.file_format, encoding)
    except UnreadableUpload as error:
        importer.remove_stored(stored.stored_name)
        raise EngageError(unreadable_message(error.code), field="file") from error
    except Exception as error:
        importer.remove_stored(stored.stored_name)
        raise EngageError(unreadable_message("unreadable"), field="file") from error
    mapping = initial_mapping(dataset.shape, profile.columns)
    _reuse_previous_mapping(dataset, mapping)
    record = DatasetImport(
        dataset=dataset,
        uploaded_by_id=actor_id,
        filename=(filename or "upload")[-255:],
        stored_name=stored.stored_name,
        file_format=stored.file_format,
        encoding=encoding,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        data_rows=profile.data_rows,
        profile=[p.to_json() for p in profile.columns],
        mapping=mapping.to_json(),
        status=ImportStatus.MAPPING,
    )
    db.session.add(record)
    db.session.flush()
    record_audit(
        "dataset.uploaded", actor_id=actor_id, target=dataset,
        partnership_id=dataset.partnership_id, rows=profile.data_rows,
        file_format=stored.file_format, encoding=encoding,
    )
    return record


def _reuse_previous_mapping(dataset: Dataset, mapping: DatasetMapping) -> None:
    """A later upload with the same columns starts from the mapping used last time."""
    if not dataset.saved_mapping:
        return
    previous = DatasetMapping.from_json(dataset.saved_mapping)
    if previous.shape != mapping.shape:
        return
    by_name = {c.name: c for c in previous.columns}
    for column in mapping.columns:
        old = by_name.get(column.name)
        if old is None:
            continue
        column.role, column.feature, column.theme_id = old.role, old.feature, old.theme_id
        column.scale, column.text = old.scale, old.text or column.text
        for value in column.values:
            if value in old.values:
                column.values[value] = old.values[value]
    mapping.area_fixes = dict(previous.area_fixes)
    previous_indicators = {i.name: i for i in previous.indicators}
    for indicator in mapping.indicators:
        old_indicator = previous_indicators.get(indicator.name)
        if old_indicator is not None:
            indicator.theme_id, indicator.unit = old_indicator.theme_id, old_indicator.unit


def import_profile(record: DatasetImport) -> list[ColumnProfile]:
    return [ColumnProfile.from_json(p) for p in record.profile]


def import_mapping(record: DatasetImport) -> DatasetMapping:
    return DatasetMapping.from_json(record.mapping or {"shape": record.dataset.shape.value})


@dataclass
class MappingCheck:
    problems: list[str]
    unmatched: tuple[str, ...]  # area values still to match by hand
    matched: int  # area values matched (automatically or by hand)
    by_hand: tuple[str, ...] = ()  # every area value that did not match automatically

    @property
    def ready(self) -> bool:
        return not self.problems and not self.unmatched


def check_mapping(record: DatasetImport, mapping: DatasetMapping | None = None) -> MappingCheck:
    """What still stops an import: mapping problems (codes) and area values not yet matched."""
    mapping = mapping or import_mapping(record)
    profile = {p.index: p for p in import_profile(record)}
    problems = mapping.problems()
    for column in mapping.with_role(ColumnRole.QUESTION, ColumnRole.DEMOGRAPHIC):
        found = profile.get(column.index)
        if found is not None and found.overflow and "too_many_answers" not in problems:
            problems.append("too_many_answers")
    area = mapping.area_column
    unmatched: tuple[str, ...] = ()
    matched = 0
    if area is not None and area.index in profile:
        found_area = profile[area.index]
        if found_area.overflow and area.role != ColumnRole.POSTCODE_DISTRICT:
            problems.append("too_many_areas")
        partnership = record.dataset.partnership
        values = list(found_area.distinct)
        lookup, unmatched = importer.area_lookup(partnership, mapping, values)
        automatic = DatasetMapping(mapping.shape, mapping.columns, {}, mapping.indicators)
        _auto, by_hand = importer.area_lookup(partnership, automatic, values)
        matched = len(lookup)
        if found_area.blanks:
            problems.append("blank_areas")
        return MappingCheck(problems, unmatched, matched, by_hand)
    return MappingCheck(problems, unmatched, matched)


def save_mapping(actor_id: int | None, record: DatasetImport, mapping: DatasetMapping) -> None:
    """Keep the mapping of an upload (themes and areas must belong to the partnership)."""
    if import_state(record) not in EDITABLE:
        raise EngageError(_("This file is being imported already"))
    partnership = record.dataset.partnership
    themes = {t.id for t in partnership_themes(partnership)}
    for column in mapping.columns:
        if column.theme_id is not None and column.theme_id not in themes:
            column.theme_id = None
    for indicator in mapping.indicators:
        if indicator.theme_id is not None and indicator.theme_id not in themes:
            indicator.theme_id = None
    allowed_areas = {a.id for a in importer.known_areas(
        partnership, wards_only=mapping.shape == DatasetShape.RESPONDENT)}
    mapping.area_fixes = {
        value: fix for value, fix in mapping.area_fixes.items()
        if fix == DROP or (isinstance(fix, int) and fix in allowed_areas)
    }
    record.mapping = mapping.to_json()
    record.status = ImportStatus.MAPPING
    db.session.flush()


EDITABLE = frozenset({ImportStatus.MAPPING, ImportStatus.FAILED, ImportStatus.ERROR})


def import_state(record: DatasetImport) -> ImportStatus:
    """Where an import really is: a queued import's job says whether it runs, failed or ended."""
    if record.status != ImportStatus.QUEUED or record.job_id is None:
        return record.status
    from engage.jobs import JobStatus, get_job

    job = get_job(record.job_id)
    if job is None:
        return ImportStatus.ERROR
    if job.status == JobStatus.FAILED:
        return ImportStatus.FAILED if job.error_code == "import_failed" else ImportStatus.ERROR
    if job.status == JobStatus.RUNNING:
        return ImportStatus.LOADING
    if job.status == JobStatus.SUCCEEDED:
        return ImportStatus.DONE
    return ImportStatus.QUEUED


def import_row_errors(record: DatasetImport) -> list[dict[str, Any]]:
    """The row-numbered problems the last attempt found (kept on its job)."""
    if record.job_id is None:
        return []
    from engage.jobs import JobStatus, get_job

    job = get_job(record.job_id)
    if job is None or job.status != JobStatus.FAILED or not job.result:
        return []
    return list(job.result.get("row_errors", []))


def start_import(actor_id: int | None, record: DatasetImport) -> Any:
    """Queue the import job for a fully mapped upload; it starts when the caller commits."""
    from engage.intelligence.jobs import IMPORT_JOB
    from engage.jobs import enqueue_job

    check = check_mapping(record)
    if not check.ready:
        raise EngageError(_("Finish the mapping first: the problems are listed on this page"))
    if import_state(record) not in EDITABLE:
        raise EngageError(_("This file is being imported already"))
    dataset = record.dataset
    if any(
        other.id != record.id and import_state(other) in (ImportStatus.QUEUED, ImportStatus.LOADING)
        for other in dataset.imports
    ):
        raise EngageError(_("Another file is being imported into this dataset: wait for it to finish"))
    record.status = ImportStatus.QUEUED
    record.errors = []
    record.rows_done = 0
    db.session.flush()
    job = enqueue_job(
        IMPORT_JOB, {"import_id": record.id, "slug": dataset.partnership.slug},
        owner_id=actor_id, partnership_id=dataset.partnership_id,
        key=f"dataset-import-{record.id}",
    )
    record.job_id = job.id
    db.session.flush()
    record_audit(
        "dataset.import_queued", actor_id=actor_id, target=dataset,
        partnership_id=dataset.partnership_id, import_id=record.id, job_id=job.id,
    )
    return job


# --------------------------------------------------------------------------- postcode districts


def save_postcode_district(
    actor_id: int | None, partnership: Partnership, district: str, ward: Area
) -> PostcodeDistrict:
    code = normalise_postcode_district(district)
    if code is None or len(code) > 4:
        raise EngageError(_("Enter a postcode district like HM1 or HM12"), field="district")
    if ward.level != AreaLevel.WARD or not covers_area(partnership, ward):
        raise EngageError(_("Choose a ward of this partnership"), field="ward_id")
    row = db.session.scalar(
        select(PostcodeDistrict).where(
            PostcodeDistrict.partnership_id == partnership.id, PostcodeDistrict.district == code
        )
    )
    if row is None:
        row = PostcodeDistrict(partnership_id=partnership.id, district=code, ward=ward)
        db.session.add(row)
    row.ward = ward
    db.session.flush()
    record_audit(
        "postcode_district.saved", actor_id=actor_id, target=row, partnership_id=partnership.id,
        district=code, ward=ward.gss_code,
    )
    return row


def delete_postcode_district(actor_id: int | None, row: PostcodeDistrict) -> None:
    record_audit(
        "postcode_district.deleted", actor_id=actor_id, target=row,
        partnership_id=row.partnership_id, district=row.district,
    )
    db.session.delete(row)
    db.session.flush()


def import_postcode_districts(
    actor_id: int | None, partnership: Partnership, rows: Iterable[Mapping[str, str]]
) -> int:
    """Rows of ``district, ward`` (ward GSS code or name), all or nothing; re-import updates."""
    from engage.intelligence.mapping import match_areas

    wards = importer.known_areas(partnership, wards_only=True)
    errors: list[RowError] = []
    parsed: list[tuple[str, int]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if number == 2 and ("district" not in row or "ward" not in row):
            errors.append(RowError(1, None, _("The file needs the columns district and ward")))
            break
        if not any(row.values()):
            continue
        code = normalise_postcode_district(row.get("district", ""))
        if code is None or len(code) > 4:
            errors.append(RowError(number, "district", _("Enter a postcode district like HM1")))
            continue
        if code in seen:
            errors.append(RowError(number, "district", _("%(district)s is also in row %(row)d",
                                                        district=code, row=seen[code])))
            continue
        seen[code] = number
        match = match_areas([row.get("ward", "")], wards, by=ColumnRole.WARD_NAME)
        if not match.matched:
            errors.append(RowError(number, "ward", _("%(ward)s is not a ward of this partnership",
                                                    ward=row.get("ward", ""))))
            continue
        parsed.append((code, next(iter(match.matched.values()))))
    if not parsed and not errors:
        errors.append(RowError(1, None, _("The file has no rows")))
    if errors:
        raise ImportFailed(errors)
    existing = {
        r.district: r for r in db.session.scalars(
            select(PostcodeDistrict).where(PostcodeDistrict.partnership_id == partnership.id)
        )
    }
    for code, ward_id in parsed:
        row_model = existing.get(code)
        if row_model is None:
            db.session.add(PostcodeDistrict(partnership_id=partnership.id, district=code,
                                            ward_id=ward_id))
        else:
            row_model.ward_id = ward_id
    db.session.flush()
    record_audit("postcode_districts.imported", actor_id=actor_id, target=partnership,
                 partnership_id=partnership.id, rows=len(parsed))
    return len(parsed)


# --------------------------------------------------------------------------- reading results


def threshold() -> int:
    return int(current_app.config["ENGAGE_DISCLOSURE_THRESHOLD"])


def visible_questions(
    dataset: Dataset, *, kind: QuestionKind | None = None, theme_id: int | None = None
) -> list[DatasetQuestion]:
    query = select(DatasetQuestion).where(
        DatasetQuestion.dataset_id == dataset.id,
        DatasetQuestion.version == dataset.current_version,
    )
    if kind is not None:
        query = query.where(DatasetQuestion.kind == kind)
    if theme_id is not None:
        query = query.where(DatasetQuestion.theme_id == theme_id)
    return list(db.session.scalars(query.order_by(DatasetQuestion.position)))


def wards_in(area: Area | None, partnership: Partnership) -> list[Area]:
    """Wards to report on: those under the chosen area, or all the partnership's wards."""
    if area is not None:
        return sorted(area.wards(), key=lambda w: w.name)
    wards = {w.id: w for top in partnership.areas for w in top.wards()}
    return sorted(wards.values(), key=lambda w: w.name)


@dataclass(frozen=True)
class QuestionView:
    question: DatasetQuestion
    result: QuestionResult
    areas: dict[int, Area]


def question_views(
    dataset: Dataset, questions: Sequence[DatasetQuestion], wards: Sequence[Area]
) -> list[QuestionView]:
    """Per-ward results of questions, with small counts suppressed."""
    if not questions:
        return []
    from engage.intelligence.results import restrict_to_areas

    ids = [q.id for q in questions]
    # Always suppress over every ward of the partnership, then show the chosen ones: a
    # smaller table suppressed on its own could be differenced against the full one.
    chosen_ids = [w.id for w in wards]
    everywhere = wards_in(None, dataset.partnership)
    subset = not set(chosen_ids) >= {w.id for w in everywhere}
    wards = list(everywhere) if subset else list(wards)
    ward_ids = [w.id for w in wards]
    tallies: dict[int, dict[int, dict[int, tuple[int, float]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    rows = db.session.execute(
        select(DatasetResult.question_id, DatasetResult.ward_id, DatasetResult.value_code,
               DatasetResult.respondents, DatasetResult.weighted).where(
            DatasetResult.dataset_id == dataset.id,
            DatasetResult.version == dataset.current_version,
            DatasetResult.question_id.in_(ids),
            DatasetResult.ward_id.in_(ward_ids),
        )
    )
    for question_id, ward_id, code, count, weighted in rows:
        tallies[question_id][ward_id][code] = (count, weighted)
    by_id = {w.id: w for w in wards}
    views = []
    for question in questions:
        options = [Option(v.code, v.label, v.point) for v in question.values]
        result = question_result(
            question.scale, options, tallies.get(question.id, {}), ward_ids, threshold(),
            weighted=dataset.is_weighted,
        )
        if subset:
            result = restrict_to_areas(result, chosen_ids)
        views.append(QuestionView(question, result, by_id))
    return views


@dataclass(frozen=True)
class IndicatorView:
    question: DatasetQuestion
    values: list[tuple[Area, IndicatorValue]]


def indicator_views(
    dataset: Dataset, questions: Sequence[DatasetQuestion], area: Area | None
) -> list[IndicatorView]:
    """Aggregate figures per area (the chosen area, and everything in it)."""
    if not questions:
        return []
    query = select(DatasetIndicatorValue).where(
        DatasetIndicatorValue.dataset_id == dataset.id,
        DatasetIndicatorValue.version == dataset.current_version,
        DatasetIndicatorValue.question_id.in_([q.id for q in questions]),
    )
    if area is not None:
        inside = _area_and_descendants(area)
        query = query.where(DatasetIndicatorValue.area_id.in_(inside))
    values = list(db.session.scalars(query))
    areas = {a.id: a for a in db.session.scalars(
        select(Area).where(Area.id.in_({v.area_id for v in values})))}
    by_question: dict[int, list[tuple[Area, IndicatorValue]]] = defaultdict(list)
    limit = threshold()
    for value in values:
        place = areas.get(value.area_id)
        if place is None:
            continue
        question = next(q for q in questions if q.id == value.question_id)
        published = publish_indicator(
            value.area_id, value.period, value.value, value.base,
            question.unit or _default_unit(), limit,
        )
        by_question[value.question_id].append((place, published))
    level_order = {AreaLevel.COUNTY: 0, AreaLevel.DISTRICT: 1, AreaLevel.WARD: 2,
                   AreaLevel.PARISH: 3}
    views = []
    for question in questions:
        rows = sorted(by_question.get(question.id, []),
                      key=lambda pair: (pair[1].period, level_order[pair[0].level], pair[0].name))
        views.append(IndicatorView(question, rows))
    return views


def _default_unit() -> Any:
    from engage.intelligence.mapping import Unit

    return Unit.SCORE


def _area_and_descendants(area: Area) -> set[int]:
    found: set[int] = set()
    stack = [area]
    while stack:
        node = stack.pop()
        if node.id in found:
            continue
        found.add(node.id)
        stack.extend(node.children)
    return found


def datasets_in(partnership: Partnership) -> list[Dataset]:
    """Datasets of this partnership and of the partnerships nested in it, newest first."""
    ids = [p.id for p in partnership.descendants()]
    return list(db.session.scalars(
        select(Dataset).where(Dataset.partnership_id.in_(ids)).order_by(Dataset.created_at.desc(),
                                                                        Dataset.id.desc())
    ))


def dataset_counts(dataset: Dataset) -> dict[str, int]:
    questions = db.session.scalar(
        select(func.count()).select_from(DatasetQuestion).where(
            DatasetQuestion.dataset_id == dataset.id,
            DatasetQuestion.version == dataset.current_version,
        )
    )
    return {"questions": int(questions or 0), "respondents": dataset.respondents}


def results_rows(dataset: Dataset) -> tuple[list[str], list[list[Any]]]:
    """The dataset's published results as a flat table (for CSV/XLSX export)."""
    header = [
        _("Dataset"), _("Organisation"), _("Question"), _("Area"), _("GSS code"), _("Answer"),
        _("Respondents"), _("Share (%)"),
    ]
    body: list[list[Any]] = []
    wards = wards_in(None, dataset.partnership)
    if dataset.shape == DatasetShape.RESPONDENT:
        questions = visible_questions(dataset, kind=QuestionKind.QUESTION)
        for view in question_views(dataset, questions, wards):
            labels = _column_labels(view)
            for row in view.result.areas:
                area = view.areas[row.area_id] if row.area_id is not None else None
                for label, cell in zip(labels, row.cells, strict=True):
                    body.append([
                        dataset.title, dataset.organisation.name, view.question.text,
                        area.name if area else "", area.gss_code if area else "", label,
                        cell.count if cell.count is not None else _("suppressed"),
                        round(cell.share * 100, 1) if cell.share is not None else "",
                    ])
    else:
        header[5], header[6], header[7] = _("Period"), _("Base (n)"), _("Value")
        questions = visible_questions(dataset, kind=QuestionKind.INDICATOR)
        for indicator in indicator_views(dataset, questions, None):
            for place, value in indicator.values:
                body.append([
                    dataset.title, dataset.organisation.name, indicator.question.text,
                    place.name, place.gss_code, value.period,
                    value.base if value.base is not None else "",
                    value.value if value.value is not None else _("suppressed"),
                ])
    return header, body


def _column_labels(view: QuestionView) -> list[str]:
    from engage.intelligence.labels import column_label

    if view.question.scale == Scale.NONE:
        return list(view.result.column_labels)
    return [column_label(view.question.scale, code) for code in view.result.columns]


def known_area_choices(partnership: Partnership, *, wards_only: bool) -> list[KnownArea]:
    return sorted(importer.known_areas(partnership, wards_only=wards_only),
                  key=lambda a: (a.level != "ward", a.name))


def area_role_of(mapping: DatasetMapping) -> ColumnRole | None:
    column = mapping.area_column
    return column.role if column is not None and column.role in (*AREA_ROLES, ColumnRole.AREA) else None


# --------------------------------------------------------------------------- personal data


def _export(user: Any) -> dict[str, Any]:
    datasets = db.session.scalars(select(Dataset).where(Dataset.created_by_id == user.id))
    uploads = db.session.scalars(select(DatasetImport).where(DatasetImport.uploaded_by_id == user.id))
    return {
        "datasets_added": [
            {"id": d.id, "title": d.title, "created_at": d.created_at.isoformat()} for d in datasets
        ],
        "files_uploaded": [
            {"dataset_id": u.dataset_id, "filename": u.filename,
             "uploaded_at": u.created_at.isoformat()} for u in uploads
        ],
    }


def _erase(user: Any) -> None:
    """Datasets belong to organisations: they stay, no longer linked to the person."""
    for dataset in db.session.scalars(select(Dataset).where(Dataset.created_by_id == user.id)):
        dataset.created_by_id = None
    for upload in db.session.scalars(
        select(DatasetImport).where(DatasetImport.uploaded_by_id == user.id)
    ):
        upload.uploaded_by_id = None


register_personal_data("intelligence", _export, _erase)
