"""Streaming import of partner datasets (CSV or XLSX), all or nothing, in bounded memory.

The file is read row by row (csv.reader; openpyxl in read-only mode) three times at most:
once when uploaded (encoding check and column profile), once to validate every row (up to
MAX_ERRORS row-numbered problems are collected), and once to load. Loading writes the rows
under a new dataset *version* in batches (executemany), and the dataset switches to that
version in one small transaction at the end: until then readers see the previous version
(or nothing), a killed import leaves only invisible rows, and running the same import again
first removes its own half-written version, so a retry is idempotent.

Cells are only ever text: a cell holding ``=SUM(A1:A9)`` (or a formula in a workbook) is
stored as that text and never evaluated; exports go through engage.core.spreadsheets, which
makes such text formula-safe.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from flask import current_app
from sqlalchemy import delete, select

from engage.core.errors import ImportFailed, RowError
from engage.core.time import utcnow
from engage.core.transactions import write_intent
from engage.extensions import db
from engage.intelligence.mapping import (
    DROP,
    ColumnPlan,
    ColumnProfile,
    ColumnRole,
    DatasetMapping,
    DatasetShape,
    IndicatorPlan,
    KnownArea,
    Scale,
    match_areas,
    normalise_postcode_district,
    parse_count,
    parse_number,
    parse_weight,
    suggest_category,
    suggest_unit,
)
from engage.intelligence.models import (
    Dataset,
    DatasetAnswer,
    DatasetDemographic,
    DatasetImport,
    DatasetIndicatorValue,
    DatasetQuestion,
    DatasetResult,
    DatasetStatus,
    DatasetValue,
    ImportStatus,
    PostcodeDistrict,
    QuestionKind,
)
from engage.partnerships.labels import CATEGORY_LABELS
from engage.partnerships.models import Area, AreaLevel, Partnership

MAX_ERRORS = 200
BATCH_ROWS = 10_000  # fact rows per executemany
PROFILE_CAP = 1_000  # distinct values remembered per column
MAX_INDICATORS = 5_000
PROGRESS_EVERY = 50_000
CHUNK = 1 << 20


class UnreadableUpload(ValueError):
    """The file is not a CSV or XLSX we can read; ``code`` says why (see labels)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ProgressContext(Protocol):
    def progress(self, done: int, total: int) -> None: ...


class QuietContext:
    """The job context when an import runs in the request (no jobs module)."""

    def progress(self, done: int, total: int) -> None:
        return None


# --------------------------------------------------------------------------- files


def upload_folder() -> Path:
    folder = Path(current_app.instance_path) / "intelligence-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    file_format: str
    size_bytes: int
    sha256: str

    @property
    def path(self) -> Path:
        return upload_folder() / self.stored_name


def file_format_of(filename: str, head: bytes) -> str:
    """csv or xlsx, from the name and the first bytes; anything else is refused."""
    lower = filename.lower()
    if head.startswith(b"PK\x03\x04"):
        if lower.endswith((".xlsx", ".xlsm")):
            return "xlsx"
        raise UnreadableUpload("format")
    if lower.endswith((".xlsx", ".xlsm", ".xls", ".ods")) or head.startswith(
        b"\xd0\xcf\x11\xe0"
    ):
        raise UnreadableUpload("format")
    return "csv"


def store_upload(stream: IO[bytes], filename: str) -> StoredFile:
    """Copy an upload to the instance folder in chunks (bounded memory), hashing as we go."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    token = secrets.token_hex(16)
    partial = upload_folder() / f"{token}.part"
    try:
        with partial.open("wb") as out:
            while chunk := stream.read(CHUNK):
                if not head:
                    head = chunk[:8]
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:  # e.g. the body was too large: keep nothing
        partial.unlink(missing_ok=True)
        raise
    try:
        if size == 0:
            raise UnreadableUpload("empty")
        file_format = file_format_of(filename, head)
    except UnreadableUpload:
        partial.unlink(missing_ok=True)
        raise
    stored_name = f"{token}.{file_format}"
    partial.rename(upload_folder() / stored_name)
    return StoredFile(stored_name, file_format, size, digest.hexdigest())


def remove_stored(stored_name: str) -> None:
    if stored_name and "/" not in stored_name and "\\" not in stored_name:
        (upload_folder() / stored_name).unlink(missing_ok=True)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or Windows-1252, checked over the whole file in chunks.

    The same rules as engage.core.spreadsheets.decode_text, without holding the file in
    memory: UTF-16/32 and binary files are refused, and so are bytes Windows-1252 leaves
    undefined.
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
        has_bom = head.startswith(codecs.BOM_UTF8)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise UnreadableUpload("utf16")
        if b"\x00" in head:
            raise UnreadableUpload("binary")
        for encoding in ("utf-8", "cp1252"):
            handle.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := handle.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                if has_bom:
                    break
                continue
            if encoding == "utf-8":
                return "utf-8-sig" if has_bom else "utf-8"
            return "cp1252"
    raise UnreadableUpload("encoding")


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text (formulas stay as their text; never evaluated)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def iter_rows(path: Path, file_format: str, encoding: str | None) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every row, the header being row 1, one row in memory at a time."""
    if file_format == "xlsx":
        yield from _iter_xlsx(path)
        return
    with path.open("r", encoding=encoding or "utf-8", newline="") as handle:
        strip = str.strip
        for number, cells in enumerate(csv.reader(handle), start=1):
            yield number, list(map(strip, cells))


def _iter_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    from engage.core.spreadsheets import UnreadableFile, check_workbook_archive

    try:
        check_workbook_archive(path)
    except UnreadableFile as exc:  # a zip bomb or not a zip at all
        raise UnreadableUpload("xlsx") from exc
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # any parse failure means "not a workbook we read"
        raise UnreadableUpload("xlsx") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in values]
    finally:
        workbook.close()


@dataclass
class FileProfile:
    header: list[str]
    columns: list[ColumnProfile]
    data_rows: int


def profile_file(path: Path, file_format: str, encoding: str | None) -> FileProfile:
    """Header and per-column distinct values (capped) from one streaming pass."""
    rows = iter_rows(path, file_format, encoding)
    header: list[str] | None = None
    for _number, cells in rows:
        if any(cells):
            header = _trim(cells)
            break
    if not header:
        raise UnreadableUpload("no_header")
    names = [name or f"column {i + 1}" for i, name in enumerate(header)]
    profiles = [ColumnProfile(index=i, name=name) for i, name in enumerate(names)]
    width = len(profiles)
    data_rows = 0
    for _number, cells in rows:
        if not any(cells):
            continue
        data_rows += 1
        for profile, value in zip(profiles, cells[:width], strict=False):
            profile.add(value, PROFILE_CAP)
        for profile in profiles[len(cells):]:
            profile.blanks += 1
    return FileProfile(names, profiles, data_rows)


def _trim(cells: list[str]) -> list[str]:
    """Drop empty cells at the end of a header row (spreadsheets often pad rows)."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


# --------------------------------------------------------------------------- areas


def known_areas(partnership: Partnership, *, wards_only: bool) -> list[KnownArea]:
    """Every area the partnership covers (or only its wards)."""
    found: dict[int, Area] = {}
    stack = list(partnership.areas)
    while stack:
        area = stack.pop()
        if area.id in found:
            continue
        found[area.id] = area
        stack.extend(area.children)
    return [
        KnownArea(a.id, a.gss_code, a.name, a.name_cy, a.level.value)
        for a in found.values()
        if not wards_only or a.level == AreaLevel.WARD
    ]


def postcode_table(partnership: Partnership) -> dict[str, int]:
    ids = {p.id for p in partnership.lineage()}
    rows = db.session.execute(
        select(PostcodeDistrict.district, PostcodeDistrict.ward_id).where(
            PostcodeDistrict.partnership_id.in_(ids)
        )
    ).all()
    return {district: ward_id for district, ward_id in rows}


def area_lookup(
    partnership: Partnership, mapping: DatasetMapping, values: Sequence[str]
) -> tuple[dict[str, int | None], tuple[str, ...]]:
    """Area value as written → area id (None: drop the row), and values still unmatched."""
    column = mapping.area_column
    if column is None:
        return {}, ()
    aggregate = mapping.shape == DatasetShape.AGGREGATE
    known = known_areas(partnership, wards_only=not aggregate)
    table = None
    if column.role == ColumnRole.POSTCODE_DISTRICT:
        # Keyed by district: every district in the table, and any others the file has.
        table = postcode_table(partnership)
        values = list(dict.fromkeys([*table, *(area_key(ColumnRole.POSTCODE_DISTRICT, v)
                                               for v in values)]))
    match = match_areas(values, known, by=column.role, postcode_districts=table)
    allowed = {a.id for a in known}
    lookup: dict[str, int | None] = dict(match.matched)
    unmatched = []
    for value in match.unmatched:
        fix = mapping.area_fixes.get(value)
        if fix == DROP:
            lookup[value] = None
        elif isinstance(fix, int) and fix in allowed:
            lookup[value] = fix
        else:
            unmatched.append(value)
    return lookup, tuple(unmatched)


def area_key(role: ColumnRole, value: str) -> str:
    """What an area cell is looked up by: postcodes by their district, the rest as written."""
    if role == ColumnRole.POSTCODE_DISTRICT:
        return normalise_postcode_district(value) or value
    return value


# --------------------------------------------------------------------------- plans


@dataclass
class QuestionPlan:
    index: int
    key: int  # position, until the question row has an id
    codes: dict[str, int]
    column: ColumnPlan
    question_id: int = 0


@dataclass
class Plan:
    """A mapping compiled for the hot loop: indexes, lookups and integer codes."""

    shape: DatasetShape
    width: int
    area_index: int
    areas: dict[str, int | None]
    by_district: bool = False  # area cells hold postcodes: look them up by district
    weight_index: int | None = None
    questions: list[QuestionPlan] = field(default_factory=list)
    demographics: list[QuestionPlan] = field(default_factory=list)
    indicator_index: int = -1
    value_index: int = -1
    base_index: int | None = None
    period_index: int | None = None
    indicators: dict[str, IndicatorPlan] = field(default_factory=dict)
    indicator_ids: dict[str, int] = field(default_factory=dict)


def compile_plan(
    mapping: DatasetMapping, profile: Sequence[ColumnProfile], areas: dict[str, int | None]
) -> Plan:
    distinct = {p.index: list(p.distinct) for p in profile}
    area = mapping.area_column
    assert area is not None
    plan = Plan(shape=mapping.shape, width=len(profile), area_index=area.index, areas=areas,
                by_district=area.role == ColumnRole.POSTCODE_DISTRICT)
    if mapping.shape == DatasetShape.RESPONDENT:
        weight = mapping.one(ColumnRole.WEIGHT)
        plan.weight_index = weight.index if weight else None
        for position, column in enumerate(mapping.columns):
            codes = {value: code for code, value in enumerate(distinct[column.index], start=1)}
            item = QuestionPlan(column.index, position, codes, column)
            if column.role == ColumnRole.QUESTION:
                plan.questions.append(item)
            elif column.role == ColumnRole.DEMOGRAPHIC:
                plan.demographics.append(item)
        return plan
    plan.indicator_index = mapping.one(ColumnRole.INDICATOR).index  # type: ignore[union-attr]
    plan.value_index = mapping.one(ColumnRole.VALUE).index  # type: ignore[union-attr]
    base = mapping.one(ColumnRole.BASE)
    period = mapping.one(ColumnRole.PERIOD)
    plan.base_index = base.index if base else None
    plan.period_index = period.index if period else None
    plan.indicators = {i.name: i for i in mapping.indicators}
    return plan


def _error(row: int, column: str | None, code: str, **params: Any) -> dict[str, Any]:
    return {"row": row, "column": column, "code": code, **params}


# --------------------------------------------------------------------------- validation


@dataclass
class Validation:
    errors: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    rows: int = 0
    kept: int = 0
    dropped: int = 0
    indicators: list[str] = field(default_factory=list)


def validate_rows(
    rows: Iterator[tuple[int, list[str]]],
    plan: Plan,
    names: Sequence[str],
    on_progress: Callable[[int], None] = lambda done: None,
) -> Validation:
    """First pass: every problem with its row number (up to MAX_ERRORS), nothing written."""
    result = Validation()
    errors = result.errors

    def add(error: dict[str, Any]) -> bool:
        if len(errors) >= MAX_ERRORS:
            result.truncated = True
            return False
        errors.append(error)
        return True

    header_seen = False
    seen_keys: dict[tuple[str, int, str], int] = {}
    indicator_names: dict[str, None] = {}
    areas = plan.areas
    width = plan.width
    for number, cells in rows:
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        result.rows += 1
        if result.rows % PROGRESS_EVERY == 0:
            on_progress(result.rows)
        if len(cells) > width and any(cells[width:]):
            if not add(_error(number, None, "too_many_cells", expected=width, found=len(cells))):
                break
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        raw_area = cells[plan.area_index]
        if plan.by_district:
            raw_area = area_key(ColumnRole.POSTCODE_DISTRICT, raw_area)
        if raw_area not in areas:
            code = "area_blank" if not raw_area else "area_unknown"
            if not add(_error(number, names[plan.area_index], code, value=raw_area)):
                break
            continue
        area_id = areas[raw_area]
        if area_id is None:
            result.dropped += 1
            continue
        result.kept += 1
        ok = True
        if plan.shape == DatasetShape.RESPONDENT:
            if plan.weight_index is not None:
                raw = cells[plan.weight_index]
                if parse_weight(raw) is None:
                    ok = add(_error(number, names[plan.weight_index], "weight", value=raw))
            for item in (*plan.questions, *plan.demographics):
                value = cells[item.index]
                if value and value not in item.codes:
                    ok = add(_error(number, names[item.index], "answer_not_mapped", value=value))
                    if not ok:
                        break
        else:
            indicator = cells[plan.indicator_index]
            if not indicator:
                ok = add(_error(number, names[plan.indicator_index], "indicator_blank"))
            elif indicator not in indicator_names:
                if len(indicator_names) >= MAX_INDICATORS:
                    ok = add(_error(number, names[plan.indicator_index], "too_many_indicators",
                                    limit=MAX_INDICATORS))
                indicator_names[indicator] = None
            raw_value = cells[plan.value_index]
            if parse_number(raw_value) is None:
                ok = ok and add(_error(number, names[plan.value_index], "value", value=raw_value))
            if plan.base_index is not None:
                raw_base = cells[plan.base_index]
                if raw_base and parse_count(raw_base) is None:
                    ok = ok and add(_error(number, names[plan.base_index], "base", value=raw_base))
            period = cells[plan.period_index] if plan.period_index is not None else ""
            if len(period) > 60:
                ok = ok and add(_error(number, names[plan.period_index or 0], "period_too_long"))
            key = (indicator, area_id, period)
            if indicator and key in seen_keys:
                ok = ok and add(_error(number, None, "duplicate", other=seen_keys[key]))
            else:
                seen_keys[key] = number
        if not ok:
            break
    if not header_seen:
        errors.append(_error(1, None, "no_header"))
    elif result.rows == 0 and not errors:
        errors.append(_error(2, None, "no_rows"))
    elif result.kept == 0 and not errors:
        errors.append(_error(2, None, "all_rows_dropped"))
    result.indicators = list(indicator_names)
    return result


# --------------------------------------------------------------------------- loading


def _placeholders(count: int) -> str:
    style = db.session.get_bind().dialect.paramstyle
    mark = "?" if style == "qmark" else "%s"
    return ", ".join([mark] * count)


class BulkWriter:
    """executemany in batches of BATCH_ROWS straight to the driver (no ORM objects)."""

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        self.sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - our own names
            f"VALUES ({_placeholders(len(columns))})"
        )
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        db.session.connection().exec_driver_sql(self.sql, self.rows)
        self.written += len(self.rows)
        self.rows.clear()  # the same list: callers may hold its append


FACT_MODELS = (DatasetAnswer, DatasetDemographic, DatasetResult, DatasetIndicatorValue)


def delete_version(dataset_id: int, version: int | None, *, keep: int | None = None) -> None:
    """Remove one version's rows (or, with ``keep``, every version but that one)."""
    for model in (*FACT_MODELS, DatasetQuestion):
        condition = (
            model.version == version if version is not None else model.version != keep
        )
        if model is DatasetQuestion:
            doomed = select(DatasetQuestion.id).where(
                DatasetQuestion.dataset_id == dataset_id, condition
            )
            db.session.execute(delete(DatasetValue).where(DatasetValue.question_id.in_(doomed)))
        db.session.execute(delete(model).where(model.dataset_id == dataset_id, condition))


def _create_questions(dataset: Dataset, version: int, plan: Plan, validation: Validation) -> None:
    """Question and answer-code rows of the new version (answers keep their codes)."""
    if plan.shape == DatasetShape.RESPONDENT:
        for kind, items in ((QuestionKind.QUESTION, plan.questions),
                            (QuestionKind.DEMOGRAPHIC, plan.demographics)):
            for item in items:
                column = item.column
                question = DatasetQuestion(
                    dataset_id=dataset.id, version=version, position=item.key, kind=kind,
                    column_name=column.name[:300], text=(column.text or column.name),
                    theme_id=column.theme_id if kind == QuestionKind.QUESTION else None,
                    scale=column.scale if kind == QuestionKind.QUESTION else Scale.NONE,
                    feature=column.feature if kind == QuestionKind.DEMOGRAPHIC else None,
                )
                categories = [c for (f, c) in CATEGORY_LABELS if f == column.feature]
                for value, code in item.codes.items():
                    if kind == QuestionKind.QUESTION:
                        point = column.values.get(value) if column.scale != Scale.NONE else None
                    else:
                        point = suggest_category(column.feature or "", value, categories)
                    question.values.append(DatasetValue(code=code, label=value, point=point))
                db.session.add(question)
                db.session.flush()
                item.question_id = question.id
        return
    for position, name in enumerate(validation.indicators):
        spec = plan.indicators.get(name) or IndicatorPlan(name, None, suggest_unit(name, ""))
        question = DatasetQuestion(
            dataset_id=dataset.id, version=version, position=position,
            kind=QuestionKind.INDICATOR, column_name="", text=name, theme_id=spec.theme_id,
            scale=Scale.NONE, unit=spec.unit,
        )
        db.session.add(question)
        db.session.flush()
        plan.indicator_ids[name] = question.id


@dataclass
class LoadResult:
    respondents: int = 0
    answers: int = 0
    dropped: int = 0
    ward_ids: set[int] = field(default_factory=set)
    weighted: bool = False


def load_rows(
    rows: Iterator[tuple[int, list[str]]],
    dataset: Dataset,
    version: int,
    plan: Plan,
    on_progress: Callable[[int], None] = lambda done: None,
) -> LoadResult:
    """Second pass: write the version's fact rows in batches and its per-ward results."""
    result = LoadResult(weighted=plan.weight_index is not None)
    dataset_id = dataset.id
    areas = plan.areas
    width = plan.width
    header_seen = False
    done = 0
    if plan.shape == DatasetShape.AGGREGATE:
        values = BulkWriter(
            "dataset_indicator_values",
            ("dataset_id", "version", "question_id", "area_id", "period", "value", "base"),
        )
        question_ids = plan.indicator_ids
        for _number, cells in rows:
            if not any(cells):
                continue
            if not header_seen:
                header_seen = True
                continue
            done += 1
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            area_id = areas[cells[plan.area_index]]  # aggregate areas are never postcodes
            if area_id is None:
                result.dropped += 1
                continue
            base = parse_count(cells[plan.base_index]) if plan.base_index is not None else None
            period = cells[plan.period_index] if plan.period_index is not None else ""
            values.add((dataset_id, version, question_ids[cells[plan.indicator_index]], area_id,
                        period, parse_number(cells[plan.value_index]), base))
            result.ward_ids.add(area_id)
            result.respondents += 1
        values.flush()
        result.answers = values.written
        return result

    answers = BulkWriter(
        "dataset_answers",
        ("dataset_id", "version", "respondent_no", "question_id", "ward_id", "value_code",
         "weight"),
    )
    demographics = BulkWriter(
        "dataset_demographics",
        ("dataset_id", "version", "respondent_no", "question_id", "value_code"),
    )
    questions = [(q.index, q.question_id, q.codes) for q in plan.questions]
    traits = [(q.index, q.question_id, q.codes) for q in plan.demographics]
    weight_index = plan.weight_index
    by_district = plan.by_district
    tally_n: dict[tuple[int, int, int], int] = {}
    tally_w: dict[tuple[int, int, int], float] = {}
    respondent = 0
    # The hot loop appends to the writers' batches directly and flushes once per respondent.
    add_answer = answers.rows.append
    add_trait = demographics.rows.append
    weighted = weight_index is not None
    for _number, cells in rows:
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        done += 1
        if done % PROGRESS_EVERY == 0:
            on_progress(done)
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        raw_area = cells[plan.area_index]
        ward = areas[area_key(ColumnRole.POSTCODE_DISTRICT, raw_area) if by_district else raw_area]
        if ward is None:
            result.dropped += 1
            continue
        respondent += 1
        weight = parse_weight(cells[weight_index]) if weight_index is not None else None
        counted = 1.0 if weight is None else weight
        for index, question_id, codes in questions:
            value = cells[index]
            if value:
                code = codes[value]
                add_answer((dataset_id, version, respondent, question_id, ward, code, weight))
                key = (question_id, ward, code)
                tally_n[key] = tally_n.get(key, 0) + 1
                if weighted:
                    tally_w[key] = tally_w.get(key, 0.0) + counted
        for index, question_id, codes in traits:
            value = cells[index]
            if value:
                add_trait((dataset_id, version, respondent, question_id, codes[value]))
        result.ward_ids.add(ward)
        if len(answers.rows) >= BATCH_ROWS:
            answers.flush()
        if len(demographics.rows) >= BATCH_ROWS:
            demographics.flush()
    answers.flush()
    demographics.flush()
    results = BulkWriter(
        "dataset_results",
        ("dataset_id", "version", "question_id", "ward_id", "value_code", "respondents",
         "weighted"),
    )
    for (question_id, ward, code), count in sorted(tally_n.items()):
        results.add((dataset_id, version, question_id, ward, code, count,
                     tally_w[(question_id, ward, code)] if weighted else float(count)))
    results.flush()
    result.respondents = respondent
    result.answers = answers.written
    return result


# --------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class PreparedImport:
    """Everything the validation pass needs, as plain data (no open transaction)."""

    import_id: int
    dataset_id: int
    path: Path
    file_format: str
    encoding: str | None
    data_rows: int
    names: list[str]
    mapping: DatasetMapping
    plan: Plan


def prepare(import_id: int) -> PreparedImport | None:
    record = db.session.get(DatasetImport, import_id)
    if record is None:
        return None
    dataset = record.dataset
    mapping = DatasetMapping.from_json(record.mapping or {"shape": dataset.shape.value})
    profile = [ColumnProfile.from_json(p) for p in record.profile]
    area_column = mapping.area_column
    values: list[str] = []
    if area_column is not None:
        values = list(next(p for p in profile if p.index == area_column.index).distinct)
    lookup, _unmatched = area_lookup(dataset.partnership, mapping, values)
    return PreparedImport(
        import_id=record.id, dataset_id=dataset.id, path=upload_folder() / record.stored_name,
        file_format=record.file_format, encoding=record.encoding, data_rows=record.data_rows,
        names=[p.name for p in profile], mapping=mapping,
        plan=compile_plan(mapping, profile, lookup),
    )


def row_errors(errors: Sequence[dict[str, Any]]) -> list[RowError]:
    from engage.intelligence.labels import row_error_message

    return [
        RowError(int(e.get("row", 0)), e.get("column"), row_error_message(e)) for e in errors
    ]


def run_import(ctx: ProgressContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The import job body: validate every row, then load a new version and publish it.

    Payload: ``{"import_id": n}``. Follows engage.jobs' contract: nothing is committed here;
    the runner commits the whole load together with the job's success, so a killed import
    leaves nothing, and running it again simply does it again. Validation reads only the
    file (its transaction is closed first, so SQLite's write lock is not held meanwhile);
    problems raise ImportFailed with row numbers, and nothing is written.
    """
    import_id = int(payload["import_id"])
    with write_intent():
        return _run_import(ctx, import_id)


def _run_import(ctx: ProgressContext, import_id: int) -> dict[str, Any]:
    started = time.monotonic()
    prepared = prepare(import_id)
    if prepared is None:
        return {"status": "missing"}
    # Nothing is written during validation: end the read transaction so no lock is held.
    db.session.rollback()
    total = max(prepared.data_rows, 1) * 2
    ctx.progress(0, total)
    try:
        validation = validate_rows(
            iter_rows(prepared.path, prepared.file_format, prepared.encoding), prepared.plan,
            prepared.names, lambda done: ctx.progress(done, total),
        )
    except UnreadableUpload as error:
        raise ImportFailed(row_errors([_error(0, None, error.code)])) from error
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ImportFailed(row_errors([_error(0, None, "unreadable")])) from error
    if validation.errors:
        errors = validation.errors
        if validation.truncated:
            errors = [*errors, _error(0, None, "more_errors", limit=MAX_ERRORS)]
        raise ImportFailed(row_errors(errors))

    record = db.session.get(DatasetImport, import_id)
    assert record is not None
    dataset = record.dataset
    # A retry reuses its version; whatever an earlier attempt left of it goes first.
    if record.version is None:
        record.version = dataset.next_version
        dataset.next_version += 1
    version = record.version
    record.status = ImportStatus.LOADING
    record.started_at = record.started_at or utcnow()
    delete_version(dataset.id, version)
    plan = prepared.plan
    _create_questions(dataset, version, plan, validation)
    offset = prepared.data_rows
    loaded = load_rows(
        iter_rows(prepared.path, prepared.file_format, prepared.encoding), dataset, version,
        plan, lambda done: ctx.progress(offset + done, total),
    )
    # Publish: the dataset switches to the new version; older versions go.
    dataset.current_version = version
    dataset.status = DatasetStatus.READY
    dataset.respondents = loaded.respondents
    dataset.is_weighted = loaded.weighted
    if dataset.shape == DatasetShape.RESPONDENT:
        dataset.sample_size = loaded.respondents
    dataset.imported_at = utcnow()
    dataset.saved_mapping = prepared.mapping.to_json()
    dataset.areas = list(db.session.scalars(select(Area).where(Area.id.in_(loaded.ward_ids))))
    record.status = ImportStatus.DONE
    record.rows_imported = loaded.respondents
    record.rows_dropped = loaded.dropped
    record.rows_done = total
    record.finished_at = utcnow()
    delete_version(dataset.id, None, keep=version)
    # Files of earlier imports are no longer needed (this one is kept until the next, so
    # nothing is lost if this transaction does not commit).
    for earlier in dataset.imports:
        if earlier.id != record.id and earlier.status == ImportStatus.DONE:
            remove_stored(earlier.stored_name)
            earlier.stored_name = ""
    db.session.flush()
    ctx.progress(total, total)
    return {
        "status": "done",
        "dataset_id": dataset.id,
        "version": version,
        "respondents": loaded.respondents,
        "answers": loaded.answers,
        "dropped": loaded.dropped,
        "seconds": round(time.monotonic() - started, 2),
    }
