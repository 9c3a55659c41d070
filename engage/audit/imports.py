"""Bulk import of the engagement register from CSV or XLSX: validate everything, then write all.

* Every row is checked first (dates, known organisations, themes, wards or districts by GSS
  code or exact name, methods, target groups, statuses); any problem means nothing is stored
  and each problem is reported with its row number (the header is row 1).
* Each row has a stable import key: its ``reference`` (per organisation) when given, else
  organisation + title + start date. A key already in the register updates that activity, so
  uploading the same file twice changes nothing the second time. A ``register_id`` column (as
  in the register's export) updates that activity directly.
* Writing is bulk: lookups are resolved once up front; activities go in with one executemany
  INSERT (their ids are then read back by import key in one query) and one executemany UPDATE,
  and theme, area and target-group links with one executemany each (bench/register_import.py).
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from engage.audit import operations
from engage.audit.labels import METHOD_LABELS, STATUS_LABELS
from engage.audit.models import (
    ActivityTargetGroup,
    EngagementActivity,
    Method,
    Status,
    activity_areas,
    activity_themes,
)
from engage.core.audit_log import record_audit
from engage.core.errors import ImportFailed, RowError
from engage.core.spreadsheets import read_csv_rows
from engage.core.time import utcnow
from engage.extensions import db
from engage.partnerships.models import Partnership

COLUMNS = (
    "reference", "organisation", "title", "description", "method", "themes", "areas",
    "target_groups", "start_date", "end_date", "participants", "cost", "status",
    "outcome_statement", "outcome_link", "outcome_published_on", "shared_with_partners",
    "contact_name", "contact_email",
)
EXPORT_COLUMNS = ("register_id", *COLUMNS)
REQUIRED_COLUMNS = ("title", "method", "themes", "areas", "start_date", "end_date", "status")
MAX_ROWS = 100_000
MAX_ERRORS = 500
WRITE_CHUNK = 2_000
SEPARATOR = ";"
WHOLE_PARTNERSHIP = frozenset({"all", "whole partnership", "partnership-wide", "y cyfan", "pob un"})
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "ie", "gwir"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "na", "nage", "anwir"})
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_MONEY = re.compile(r"^\d+(\.\d{1,2})?$")


class UnreadableUpload(ValueError):
    """The upload is neither a CSV in an accepted encoding nor an XLSX workbook."""


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_upload(filename: str, data: bytes) -> Iterator[dict[str, str]]:
    """Rows of a CSV (UTF-8 or Windows-1252) or XLSX upload, keyed by normalised header."""
    from engage.core.spreadsheets import UnreadableFile

    is_xlsx = data[:4] == b"PK\x03\x04"
    if filename.lower().endswith(".xlsx") or is_xlsx:
        if not is_xlsx:
            raise UnreadableUpload("not a workbook")
        yield from _read_xlsx(data)
        return
    try:
        names: dict[str, str] = {}
        for row in read_csv_rows(data):
            if not names:
                names = {k: _normalise_header(k) for k in row if k}
            yield {names.get(k) or _normalise_header(k): v for k, v in row.items() if k}
    except (UnreadableFile, UnicodeDecodeError) as error:
        raise UnreadableUpload(str(error)) from error


def _read_xlsx(data: bytes) -> Iterator[dict[str, str]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    from engage.core.spreadsheets import UnreadableFile, check_workbook_archive

    try:
        check_workbook_archive(data)
    except UnreadableFile as error:  # a zip bomb or not a zip at all
        raise UnreadableUpload("workbook") from error
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableUpload("workbook") from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            return
        header = [_normalise_header(_cell_text(h)) for h in header_row]
        for values in rows:
            yield {
                name: _cell_text(value)
                for name, value in zip(header, values, strict=False)
                if name
            }
    finally:
        workbook.close()


# --------------------------------------------------------------------------------------------
# Lookups, resolved once
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """Case-, space- and punctuation-insensitive key for matching names in a file."""
    return re.sub(r"[\s_\-’']+", " ", text.casefold()).strip()


def _labels_in_both_languages(table: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for locale in ("en_GB", "cy"):
        with force_locale(locale):
            for code, label in table.items():
                found.setdefault(_key(str(label)), code)
    for code in table:
        found[_key(code)] = code
    return found


@dataclass
class Lookups:
    organisations: dict[str, int]
    allowed_organisation_ids: set[int]
    default_organisation_id: int | None
    themes: dict[str, int]
    areas: dict[str, int | None]  # None: the name is ambiguous
    groups: dict[str, str]
    methods: dict[str, str]
    statuses: dict[str, str]


def build_lookups(partnership: Partnership, allowed_organisation_ids: set[int]) -> Lookups:
    geo = operations.geography(partnership)
    organisations: dict[str, int] = {}
    for organisation in operations.partner_organisations(partnership):
        organisations[_key(organisation.name)] = organisation.id
        if organisation.name_cy:
            organisations.setdefault(_key(organisation.name_cy), organisation.id)
    themes: dict[str, int] = {}
    for theme in operations.partnership_themes(partnership):
        for name in (theme.slug, theme.name, theme.name_cy):
            if name:
                themes.setdefault(_key(name), theme.id)
    areas: dict[str, int | None] = {}
    for area in (*geo.wards, *geo.districts):
        areas[area.gss_code.upper()] = area.id
        for name in (area.name, area.name_cy):
            if name:
                key = _key(name)
                areas[key] = None if key in areas and areas[key] != area.id else area.id
    groups: dict[str, str] = {}
    for entry in operations.target_groups(partnership):
        if not entry.is_active:
            continue
        groups[_key(entry.code)] = entry.code
        for locale in ("en_GB", "cy"):
            with force_locale(locale):
                groups.setdefault(_key(entry.label(locale[:2])), entry.code)
    return Lookups(
        organisations=organisations,
        allowed_organisation_ids=allowed_organisation_ids,
        default_organisation_id=(
            next(iter(allowed_organisation_ids)) if len(allowed_organisation_ids) == 1 else None
        ),
        themes=themes,
        areas=areas,
        groups=groups,
        methods=_labels_in_both_languages(METHOD_LABELS),
        statuses=_labels_in_both_languages(STATUS_LABELS),
    )


# --------------------------------------------------------------------------------------------
# Checking rows
# --------------------------------------------------------------------------------------------


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def parse_date(text: str) -> date | None:
    """2025-03-31, 31/03/2025, 31-03-2025 or 31.03.2025 (UK order); None if not a real date."""
    text = text.strip()
    match = _ISO_DATE.match(text)
    parts = (match.group(1), match.group(2), match.group(3)) if match else None
    if parts is None:
        match = _UK_DATE.match(text)
        parts = (match.group(3), match.group(2), match.group(1)) if match else None
    if parts is not None:
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def parse_pence(text: str) -> int | None:
    cleaned = text.replace(",", "").replace("£", "").strip()
    if not cleaned:
        return 0
    if not _MONEY.match(cleaned):
        return None
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return None


def parse_count(text: str) -> int | None:
    cleaned = text.replace(",", "").strip()
    if not cleaned:
        return 0
    return int(cleaned) if cleaned.isdigit() else None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(SEPARATOR) if part.strip()]


def import_key(organisation_id: int, reference: str, title: str, start: date) -> str:
    if reference:
        return f"ref:{organisation_id}:{reference.casefold()}"[:100]
    natural = f"{organisation_id}|{' '.join(title.casefold().split())}|{start.isoformat()}"
    return "auto:" + hashlib.sha1(natural.encode(), usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class ParsedRow:
    row: int
    key: str
    register_id: int | None
    values: dict[str, Any]
    theme_ids: list[int]
    area_ids: list[int]
    groups: list[str]


class _RowChecker:
    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups
        self.errors: list[RowError] = []

    def error(self, row: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def check(self, index: int, row: Mapping[str, str]) -> ParsedRow | None:
        lk = self.lookups
        before = len(self.errors)
        get = row.get

        register_id: int | None = None
        raw_id = get("register_id", "")
        if raw_id:
            if raw_id.isdigit():
                register_id = int(raw_id)
            else:
                self.error(index, "register_id", _("Register number must be a whole number"))

        organisation_name = get("organisation", "")
        organisation_id: int | None
        if organisation_name:
            organisation_id = lk.organisations.get(_key(organisation_name))
            if organisation_id is None:
                self.error(index, "organisation", _("%(name)s is not a partner of this partnership", name=organisation_name))
            elif organisation_id not in lk.allowed_organisation_ids:
                self.error(index, "organisation", _("You can only add activities for your own organisation"))
        else:
            organisation_id = lk.default_organisation_id
            if organisation_id is None:
                self.error(index, "organisation", _("Enter the partner organisation"))

        title = " ".join(get("title", "").split())
        if not title:
            self.error(index, "title", _("Enter a title"))
        elif len(title) > 200:
            self.error(index, "title", _("Title must be 200 characters or fewer"))

        method = lk.methods.get(_key(get("method", "")))
        if method is None:
            self.error(index, "method", _("Method must be one of the methods in the template"))

        theme_ids: list[int] = []
        theme_names = _split(get("themes", ""))
        if not theme_names:
            self.error(index, "themes", _("Enter at least one theme"))
        for name in theme_names:
            theme_id = lk.themes.get(_key(name))
            if theme_id is None:
                self.error(index, "themes", _("%(name)s is not a theme of this partnership", name=name))
            elif theme_id not in theme_ids:
                theme_ids.append(theme_id)

        area_ids: list[int] = []
        partnership_wide = False
        area_names = _split(get("areas", ""))
        if not area_names:
            self.error(index, "areas", _("Enter the wards or districts covered (GSS codes or names), or all"))
        for name in area_names:
            if _key(name) in WHOLE_PARTNERSHIP:
                partnership_wide = True
                continue
            area_key = name.upper() if re.fullmatch(r"[A-Za-z]\d{8}", name) else _key(name)
            if area_key not in lk.areas:
                self.error(index, "areas", _("%(name)s is not a ward or district of this partnership", name=name))
                continue
            area_id = lk.areas[area_key]
            if area_id is None:
                self.error(index, "areas", _("More than one area is called %(name)s: use its GSS code", name=name))
            elif area_id not in area_ids:
                area_ids.append(area_id)

        groups: list[str] = []
        for name in _split(get("target_groups", "")):
            code = lk.groups.get(_key(name))
            if code is None:
                self.error(index, "target_groups", _("%(name)s is not a target group of this partnership", name=name))
            elif code not in groups:
                groups.append(code)

        start = parse_date(get("start_date", ""))
        if start is None:
            self.error(index, "start_date", _("Start date must be a real date, like 2025-03-31 or 31/03/2025"))
        end = parse_date(get("end_date", "")) if get("end_date", "") else start
        if end is None:
            self.error(index, "end_date", _("End date must be a real date, like 2025-03-31 or 31/03/2025"))
        elif start is not None and end < start:
            self.error(index, "end_date", _("End date must be the same as or after the start date"))

        participants = parse_count(get("participants", ""))
        if participants is None:
            self.error(index, "participants", _("Participants must be a whole number"))
        cost = parse_pence(get("cost", ""))
        if cost is None:
            self.error(index, "cost", _("Cost must be an amount in pounds, like 1250 or 1250.50"))

        status = lk.statuses.get(_key(get("status", "")))
        if status is None:
            self.error(index, "status", _("Status must be planned, live, closed or results published"))

        outcome = get("outcome_statement", "").strip()
        link = get("outcome_link", "").strip()
        if link and (not operations.URL.match(link) or len(link) > 500):
            self.error(index, "outcome_link", _("Outcome link must be a web address starting https://"))
        published_on: date | None = None
        if get("outcome_published_on", ""):
            published_on = parse_date(get("outcome_published_on", ""))
            if published_on is None:
                self.error(index, "outcome_published_on", _("Outcome date must be a real date, like 2025-03-31 or 31/03/2025"))
        if status == Status.RESULTS_PUBLISHED and not (outcome or link):
            self.error(index, "outcome_statement", _("Say what changed (or give a link) when the results are published"))
        if status == Status.RESULTS_PUBLISHED and published_on is None and end is not None:
            published_on = end

        shared_text = get("shared_with_partners", "").strip().casefold()
        shared = True
        if shared_text in FALSE_WORDS:
            shared = False
        elif shared_text and shared_text not in TRUE_WORDS:
            self.error(index, "shared_with_partners", _("Shared with partners must be yes or no"))

        contact_email = get("contact_email", "").strip().lower()
        if contact_email and (not operations.EMAIL.match(contact_email) or len(contact_email) > 254):
            self.error(index, "contact_email", _("Enter the contact's email address in the correct format, like name@example.com"))
        contact_name = " ".join(get("contact_name", "").split())[:120]
        reference = get("reference", "").strip()
        if len(reference) > 80:
            self.error(index, "reference", _("Reference must be 80 characters or fewer"))

        if len(self.errors) > before:
            return None
        assert organisation_id is not None and start is not None and end is not None
        assert method is not None and status is not None and participants is not None
        assert cost is not None
        return ParsedRow(
            row=index,
            key=import_key(organisation_id, reference, title, start),
            register_id=register_id,
            values={
                "organisation_id": organisation_id,
                "title": title,
                "description": get("description", "").strip(),
                "method": Method(method),
                "is_partnership_wide": partnership_wide,
                "start_date": start,
                "end_date": end,
                "participants": participants,
                "cost_pence": cost,
                "status": Status(status),
                "outcome_statement": outcome,
                "outcome_url": link or None,
                "outcome_published_on": published_on,
                "is_shared_with_partners": shared,
                "contact_name": contact_name or None,
                "contact_email": contact_email or None,
            },
            theme_ids=theme_ids,
            area_ids=[] if partnership_wide else area_ids,
            groups=groups,
        )


# --------------------------------------------------------------------------------------------
# Importing
# --------------------------------------------------------------------------------------------


def _insert_links(rows: Sequence[tuple[int, ParsedRow]]) -> None:
    themes = [{"activity_id": i, "theme_id": t} for i, item in rows for t in item.theme_ids]
    areas = [{"activity_id": i, "area_id": a} for i, item in rows for a in item.area_ids]
    groups = [{"activity_id": i, "code": g} for i, item in rows for g in item.groups]
    if themes:
        db.session.execute(insert(activity_themes), themes)
    if areas:
        db.session.execute(insert(activity_areas), areas)
    if groups:
        db.session.execute(insert(ActivityTargetGroup.__table__), groups)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def import_activities(
    actor_id: int | None,
    partnership: Partnership,
    rows: Iterable[Mapping[str, str]],
    *,
    allowed_organisation_ids: set[int],
) -> ImportResult:
    """Create or update activities from uploaded rows, all or nothing (raises ImportFailed)."""
    lookups = build_lookups(partnership, allowed_organisation_ids)
    checker = _RowChecker(lookups)
    parsed: list[ParsedRow] = []
    seen_keys: dict[str, int] = {}
    seen_ids: dict[int, int] = {}
    header_checked = False
    count = 0
    for index, row in enumerate(rows, start=2):
        if not header_checked:
            header_checked = True
            missing = [c for c in REQUIRED_COLUMNS if c not in row]
            unknown = [c for c in row if c not in EXPORT_COLUMNS]
            if missing:
                checker.error(1, None, _("Missing columns: %(columns)s", columns=", ".join(missing)))
            if unknown:
                checker.error(1, None, _("Unknown columns: %(columns)s", columns=", ".join(unknown)))
            if missing or unknown:
                break
        if not any(row.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            checker.error(index, None, _("A file can hold at most %(count)d activities", count=MAX_ROWS))
            break
        item = checker.check(index, row)
        if item is None:
            if len(checker.errors) >= MAX_ERRORS:
                break
            continue
        if item.register_id is not None:
            if item.register_id in seen_ids:
                checker.error(index, "register_id", _("Row %(row)d is for the same activity", row=seen_ids[item.register_id]))
            seen_ids[item.register_id] = index
        else:
            if item.key in seen_keys:
                checker.error(index, "title", _("Row %(row)d has the same organisation, title and start date (or reference)", row=seen_keys[item.key]))
            seen_keys[item.key] = index
        parsed.append(item)
    if not header_checked:
        checker.error(1, None, _("The file has no rows"))
    elif not parsed and not checker.errors:
        checker.error(2, None, _("The file has no rows"))

    ea = EngagementActivity
    existing_by_key: dict[str, tuple[int, int]] = {}
    existing_by_id: dict[int, tuple[int, str | None]] = {}
    if parsed:
        for activity_id, key, organisation_id, source_type in db.session.execute(
            select(ea.id, ea.import_key, ea.organisation_id, ea.source_type).where(
                ea.partnership_id == partnership.id
            )
        ):
            if key is not None:
                existing_by_key[key] = (activity_id, organisation_id)
            existing_by_id[activity_id] = (organisation_id, source_type)
    updates: list[tuple[int, ParsedRow]] = []
    inserts: list[ParsedRow] = []
    for item in parsed:
        if item.register_id is not None:
            found = existing_by_id.get(item.register_id)
            if found is None:
                checker.error(item.row, "register_id", _("Register number %(id)d is not in this partnership's register", id=item.register_id))
            elif found[1] is not None:
                checker.error(item.row, "register_id", _("Register number %(id)d is kept up to date by Engage and cannot be imported", id=item.register_id))
            elif found[0] not in allowed_organisation_ids:
                checker.error(item.row, "register_id", _("You can only change your own organisation's activities"))
            else:
                updates.append((item.register_id, item))
        elif item.key in existing_by_key:
            updates.append((existing_by_key[item.key][0], item))
        else:
            inserts.append(item)
    if checker.errors:
        raise ImportFailed(sorted(checker.errors, key=lambda e: e.row)[:MAX_ERRORS])

    now = utcnow()
    # Written in chunks, so the transient rows never all exist at once; the transaction still
    # makes the whole import one unit.
    for chunk in _chunks(updates, WRITE_CHUNK):
        ids = [activity_id for activity_id, _item in chunk]
        db.session.execute(
            update(ea),
            [
                {"id": activity_id, **item.values, "updated_by_id": actor_id, "updated_at": now}
                for activity_id, item in chunk
            ],
        )
        db.session.execute(delete(activity_themes).where(activity_themes.c.activity_id.in_(ids)))
        db.session.execute(delete(activity_areas).where(activity_areas.c.activity_id.in_(ids)))
        db.session.execute(delete(ActivityTargetGroup).where(ActivityTargetGroup.activity_id.in_(ids)))
        _insert_links(chunk)
    for new_chunk in _chunks(inserts, WRITE_CHUNK):
        # A plain executemany: no per-row RETURNING (SQLite can only do that one statement per
        # row). Keys are unique per partnership, so one query maps the new rows to their ids.
        db.session.execute(
            insert(ea.__table__),
            [
                {
                    **item.values,
                    "partnership_id": partnership.id,
                    "import_key": item.key,
                    "source_type": None,
                    "source_id": None,
                    "created_by_id": actor_id,
                    "updated_by_id": actor_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for item in new_chunk
            ],
        )
        ids_by_key = {
            key: activity_id
            for key, activity_id in db.session.execute(
                select(ea.import_key, ea.id).where(
                    ea.partnership_id == partnership.id,
                    ea.import_key.in_([item.key for item in new_chunk]),
                )
            )
        }
        _insert_links([(ids_by_key[item.key], item) for item in new_chunk])
    db.session.expire_all()
    record_audit(
        "activities.imported", actor_id=actor_id, target=partnership,
        partnership_id=partnership.id, created=len(inserts), updated=len(updates),
    )
    db.session.flush()
    return ImportResult(created=len(inserts), updated=len(updates))


# --------------------------------------------------------------------------------------------
# Template and export rows
# --------------------------------------------------------------------------------------------


def _join(values: Iterable[str]) -> str:
    return f"{SEPARATOR} ".join(values)


def template_rows(partnership: Partnership) -> list[list[str]]:
    """Two example rows using this partnership's own partners, themes and wards."""
    geo = operations.geography(partnership)
    organisations = operations.partner_organisations(partnership)
    themes = operations.partnership_themes(partnership)
    organisation = organisations[0].name if organisations else ""
    theme = themes[0].name if themes else ""
    ward = geo.wards[0] if geo.wards else None
    return [
        ["SURVEY-2025-01", organisation, "Community safety survey", "What worries you most where you live?",
         "survey", theme, ward.gss_code if ward else "", "young_people; older_people",
         "2025-03-01", "2025-03-31", "412", "1250.00", "closed", "", "", "", "yes",
         "", ""],
        ["", organisation, "Town centre public meeting", "", "public meeting", theme,
         "all", "", "14/05/2025", "14/05/2025", "60", "", "results published",
         "We moved the bus stop, as you asked", "https://example.org/you-said-we-did",
         "2025-07-01", "yes", "", ""],
    ]


def export_row(
    activity: EngagementActivity,
    *,
    restricted: bool,
    results: bool,
    small: bool = False,
) -> list[Any]:
    """One register row in import format (so an export can be edited and re-imported)."""
    reference = ""
    if activity.import_key and activity.import_key.startswith("ref:"):
        reference = activity.import_key.split(":", 2)[2]
    return [
        activity.id,
        reference,
        activity.organisation.name,
        activity.title,
        activity.description,
        activity.method.value,
        _join(t.name for t in activity.themes),
        "all" if activity.is_partnership_wide else _join(a.gss_code for a in activity.areas),
        _join(activity.target_groups),
        activity.start_date.isoformat(),
        activity.end_date.isoformat(),
        "" if small else activity.participants,
        f"{activity.cost_pence / 100:.2f}" if restricted else "",
        activity.status.value,
        activity.outcome_statement if results else "",
        (activity.outcome_url or "") if results else "",
        activity.outcome_published_on.isoformat() if activity.outcome_published_on else "",
        "yes" if activity.is_shared_with_partners else "no",
        (activity.contact_name or "") if restricted else "",
        (activity.contact_email or "") if restricted else "",
    ]
