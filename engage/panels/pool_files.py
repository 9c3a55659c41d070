"""Readers for the Sortition Foundation's pool file formats (as read by ``sortition-algorithms``).

* features file: CSV with columns ``feature,value,min,max`` (the older names
  ``category,name`` are accepted too), optionally ``min_flex,max_flex`` (both or neither);
* people file: CSV with an id column, one column per feature, address columns (people with the
  same address form a household) and any other columns;
* settings file: the package's TOML settings (id column, address columns, seed, ...).

Validation is all-or-nothing: a reader returns either the parsed data and no issues, or no data
and every issue it found.  Issues are codes with the row (the header is row 1, the first data
row is row 2, 0 means the whole file), the column and the offending value -- never English
text, so the app can translate them.

Pure: standard library only, plus the dataclasses of :mod:`engage.panels.selection`.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass

from engage.panels.selection import Person, Quota

__all__ = [
    "FeaturesFile",
    "FileIssue",
    "PeopleFile",
    "PoolRecord",
    "PoolSettings",
    "SettingsFile",
    "read_features_csv",
    "read_panel_size",
    "read_people_csv",
    "read_settings_toml",
]

_FEATURE_COLUMNS = ("feature", "category")
_VALUE_COLUMNS = ("value", "name", "category value", "category_value", "category-value")


@dataclass(frozen=True)
class FileIssue:
    """A problem in an input file: ``code``, ``row`` (1 = header), ``column``, ``value``.

    ``other_row`` points at a related row, e.g. the first occurrence of a duplicate.
    """

    code: str
    row: int
    column: str | None = None
    value: str | None = None
    other_row: int | None = None

    def as_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {"code": self.code, "row": self.row}
        if self.column is not None:
            out["column"] = self.column
        if self.value is not None:
            out["value"] = self.value
        if self.other_row is not None:
            out["other_row"] = self.other_row
        return out


@dataclass(frozen=True)
class FeaturesFile:
    """Quotas read from a features file (empty when there are issues)."""

    quotas: tuple[Quota, ...]
    issues: tuple[FileIssue, ...]
    has_flex: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class PoolRecord:
    """A person read from a people file, with their row and the other columns kept."""

    person: Person
    row: int
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PeopleFile:
    """People read from a people file (empty when there are issues)."""

    records: tuple[PoolRecord, ...]
    issues: tuple[FileIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def people(self) -> tuple[Person, ...]:
        return tuple(record.person for record in self.records)


@dataclass(frozen=True)
class PoolSettings:
    """The settings of ``sortition-algorithms`` that matter for reading and selecting."""

    id_column: str = "id"
    check_same_address: bool = False
    address_columns: tuple[str, ...] = ()
    columns_to_keep: tuple[str, ...] = ()
    selection_algorithm: str = "maximin"
    random_number_seed: int = 0

    @property
    def household_columns(self) -> tuple[str, ...]:
        """The address columns to use (none when address checking is off)."""
        return self.address_columns if self.check_same_address else ()


@dataclass(frozen=True)
class SettingsFile:
    settings: PoolSettings | None
    issues: tuple[FileIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.issues


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


class _Rows:
    """Decoded CSV: header and numbered data rows, or the issue that stopped reading."""

    def __init__(self, data: str | bytes) -> None:
        self.header: list[str] = []
        self.rows: list[tuple[int, list[str]]] = []
        self.issue: FileIssue | None = None
        if isinstance(data, bytes):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.issue = FileIssue("not_utf8", 0)
                return
        else:
            text = data.removeprefix("\ufeff")
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            for index, row in enumerate(reader, start=1):
                if index == 1:
                    self.header = [cell.strip() for cell in row]
                else:
                    self.rows.append((index, row))
        except csv.Error:
            self.issue = FileIssue("csv_error", reader.line_num)
            return
        if not self.header or not any(self.header):
            self.issue = FileIssue("empty_file", 0)


def _blank(row: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _header_issues(header: Sequence[str]) -> tuple[dict[str, int], list[FileIssue]]:
    """Map lower-cased column names to positions; report duplicates."""
    positions: dict[str, int] = {}
    issues: list[FileIssue] = []
    for index, name in enumerate(header):
        key = name.lower()
        if not key:
            continue
        if key in positions:
            issues.append(FileIssue("duplicate_column", 1, name))
        else:
            positions[key] = index
    return positions, issues


def _cell(row: Sequence[str], position: int) -> str:
    return row[position].strip() if position < len(row) else ""


def _extra_cells(number: int, row: Sequence[str], width: int) -> FileIssue | None:
    extra = [cell for cell in row[width:] if cell.strip()]
    if extra:
        return FileIssue("extra_cells", number, None, extra[0].strip())
    return None


def _parse_int(number: int, column: str, text: str, issues: list[FileIssue]) -> int | None:
    if not text:
        issues.append(FileIssue("empty_number", number, column, text))
        return None
    try:
        value = int(text)
    except ValueError:
        issues.append(FileIssue("not_a_number", number, column, text))
        return None
    if value < 0:
        issues.append(FileIssue("negative_number", number, column, text))
        return None
    return value


# --------------------------------------------------------------------------------------------
# Features file
# --------------------------------------------------------------------------------------------


def read_features_csv(data: str | bytes) -> FeaturesFile:
    """Read a features (quotas) file."""
    parsed = _Rows(data)
    if parsed.issue is not None:
        return FeaturesFile((), (parsed.issue,))
    positions, issues = _header_issues(parsed.header)
    feature_col = next((c for c in _FEATURE_COLUMNS if c in positions), None)
    value_col = next((c for c in _VALUE_COLUMNS if c in positions), None)
    if feature_col is None:
        issues.append(FileIssue("missing_column", 1, "feature"))
    if value_col is None:
        issues.append(FileIssue("missing_column", 1, "value"))
    for name in ("min", "max"):
        if name not in positions:
            issues.append(FileIssue("missing_column", 1, name))
    has_flex = "min_flex" in positions or "max_flex" in positions
    for name in ("min_flex", "max_flex"):
        if has_flex and name not in positions:
            issues.append(FileIssue("missing_column", 1, name))
    if issues or feature_col is None or value_col is None:
        return FeaturesFile((), tuple(issues))

    width = len(parsed.header)
    quotas: list[Quota] = []
    canonical_feature: dict[str, str] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, row in parsed.rows:
        if _blank(row):
            continue
        extra = _extra_cells(number, row, width)
        if extra is not None:
            issues.append(extra)
        feature = _cell(row, positions[feature_col])
        value = _cell(row, positions[value_col])
        row_issues: list[FileIssue] = []
        if not feature:
            row_issues.append(FileIssue("empty_feature", number, feature_col, ""))
        if not value:
            row_issues.append(FileIssue("empty_value", number, value_col, ""))
        low = _parse_int(number, "min", _cell(row, positions["min"]), row_issues)
        high = _parse_int(number, "max", _cell(row, positions["max"]), row_issues)
        low_flex: int | None = 0
        high_flex: int | None = None
        if has_flex:
            low_flex = _parse_int(number, "min_flex", _cell(row, positions["min_flex"]), row_issues)
            high_flex = _parse_int(
                number, "max_flex", _cell(row, positions["max_flex"]), row_issues
            )
        if low is not None and high is not None and low > high:
            row_issues.append(FileIssue("min_greater_than_max", number, "min", str(low)))
        if has_flex and low is not None and low_flex is not None and low_flex > low:
            row_issues.append(
                FileIssue("min_flex_greater_than_min", number, "min_flex", str(low_flex))
            )
        if has_flex and high is not None and high_flex is not None and high_flex < high:
            row_issues.append(
                FileIssue("max_flex_less_than_max", number, "max_flex", str(high_flex))
            )
        if feature and value:
            feature = canonical_feature.setdefault(feature.lower(), feature)
            key = (feature.lower(), value.lower())
            if key in seen:
                row_issues.append(
                    FileIssue("duplicate_feature_value", number, value_col, value, seen[key])
                )
            else:
                seen[key] = number
        issues.extend(row_issues)
        if row_issues or low is None or high is None or low_flex is None:
            continue
        quotas.append(Quota(feature, value, low, high, low_flex, high_flex))
    if not quotas and not issues:
        issues.append(FileIssue("no_quotas", 0))
    if issues:
        return FeaturesFile((), tuple(issues), has_flex)
    return FeaturesFile(tuple(quotas), (), has_flex)


# --------------------------------------------------------------------------------------------
# People file
# --------------------------------------------------------------------------------------------


def _household_key(parts: Sequence[str]) -> str | None:
    normalised = [" ".join(part.lower().split()) for part in parts]
    if not any(normalised):
        return None  # no address given: the person is their own household
    return "\x1f".join(normalised)


def read_people_csv(
    data: str | bytes,
    quotas: Sequence[Quota],
    *,
    id_column: str = "id",
    address_columns: Sequence[str] = (),
    columns_to_keep: Sequence[str] = (),
) -> PeopleFile:
    """Read a people (volunteer pool) file against the quotas of a features file.

    Feature values are matched to the quotas' values ignoring case and surrounding spaces and
    stored in the features file's spelling.  People with the same (normalised, non-empty)
    address in ``address_columns`` share a household key.
    """
    parsed = _Rows(data)
    if parsed.issue is not None:
        return PeopleFile((), (parsed.issue,))
    positions, issues = _header_issues(parsed.header)
    features: dict[str, str] = {}  # lower -> spelling in the features file
    values: dict[str, dict[str, str]] = {}
    for quota in quotas:
        feature = features.setdefault(quota.feature.lower(), quota.feature)
        values.setdefault(feature, {})[quota.value.strip().lower()] = quota.value
    required = [id_column, *features.values(), *address_columns, *columns_to_keep]
    for name in dict.fromkeys(column.lower() for column in required):
        if name not in positions:
            original = next(column for column in required if column.lower() == name)
            issues.append(FileIssue("missing_column", 1, original))
    if issues:
        return PeopleFile((), tuple(issues))

    width = len(parsed.header)
    id_position = positions[id_column.lower()]
    records: list[PoolRecord] = []
    first_row_of: dict[str, int] = {}
    for number, row in parsed.rows:
        if _blank(row):
            continue
        row_issues: list[FileIssue] = []
        extra = _extra_cells(number, row, width)
        if extra is not None:
            row_issues.append(extra)
        person_id = _cell(row, id_position)
        if not person_id:
            row_issues.append(FileIssue("empty_id", number, parsed.header[id_position], ""))
        elif person_id in first_row_of:
            row_issues.append(
                FileIssue(
                    "duplicate_id",
                    number,
                    parsed.header[id_position],
                    person_id,
                    first_row_of[person_id],
                )
            )
        else:
            first_row_of[person_id] = number
        person_values: list[tuple[str, str]] = []
        for feature in features.values():
            position = positions[feature.lower()]
            raw = _cell(row, position)
            column = parsed.header[position]
            if not raw:
                row_issues.append(FileIssue("empty_feature_value", number, column, ""))
                continue
            canonical = values[feature].get(raw.lower())
            if canonical is None:
                row_issues.append(FileIssue("unknown_feature_value", number, column, raw))
                continue
            person_values.append((feature, canonical))
        issues.extend(row_issues)
        if row_issues:
            continue
        household = _household_key([_cell(row, positions[c.lower()]) for c in address_columns])
        kept = tuple(
            (parsed.header[positions[c.lower()]], _cell(row, positions[c.lower()]))
            for c in dict.fromkeys(columns_to_keep)
        )
        records.append(PoolRecord(Person(person_id, tuple(person_values), household), number, kept))
    if not records and not issues:
        issues.append(FileIssue("no_people", 0))
    if issues:
        return PeopleFile((), tuple(issues))
    return PeopleFile(tuple(records), ())


# --------------------------------------------------------------------------------------------
# Settings and panel size
# --------------------------------------------------------------------------------------------


def _string_list(raw: dict[str, object], key: str, issues: list[FileIssue]) -> tuple[str, ...]:
    item = raw.get(key, [])
    if not isinstance(item, list) or not all(isinstance(x, str) for x in item):
        issues.append(FileIssue("invalid_setting", 0, key))
        return ()
    return tuple(str(x) for x in item)


def read_settings_toml(data: str | bytes) -> SettingsFile:
    """Read a ``sortition-algorithms`` settings file (TOML)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        raw: dict[str, object] = tomllib.loads(text)
    except UnicodeDecodeError:
        return SettingsFile(None, (FileIssue("not_utf8", 0),))
    except tomllib.TOMLDecodeError:
        return SettingsFile(None, (FileIssue("invalid_toml", 0),))
    issues: list[FileIssue] = []
    id_column = raw.get("id_column")
    if not isinstance(id_column, str) or not id_column.strip():
        issues.append(FileIssue("invalid_setting", 0, "id_column"))
        id_column = "id"
    check = raw.get("check_same_address", False)
    if not isinstance(check, bool):
        issues.append(FileIssue("invalid_setting", 0, "check_same_address"))
        check = False
    address_columns = _string_list(raw, "check_same_address_columns", issues)
    if check and not address_columns:
        issues.append(FileIssue("invalid_setting", 0, "check_same_address_columns"))
    keep = _string_list(raw, "columns_to_keep", issues)
    algorithm = raw.get("selection_algorithm", "maximin")
    if not isinstance(algorithm, str):
        issues.append(FileIssue("invalid_setting", 0, "selection_algorithm"))
        algorithm = "maximin"
    seed = raw.get("random_number_seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        issues.append(FileIssue("invalid_setting", 0, "random_number_seed"))
        seed = 0
    if issues:
        return SettingsFile(None, tuple(issues))
    settings = PoolSettings(
        id_column=id_column.strip(),
        check_same_address=check,
        address_columns=address_columns,
        columns_to_keep=keep,
        selection_algorithm=algorithm,
        random_number_seed=seed,
    )
    return SettingsFile(settings, ())


def read_panel_size(data: str | bytes) -> tuple[int | None, tuple[FileIssue, ...]]:
    """Read a panel size file (a single positive integer)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        return None, (FileIssue("not_utf8", 0),)
    text = text.strip()
    try:
        size = int(text)
    except ValueError:
        return None, (FileIssue("not_a_number", 1, None, text),)
    if size < 1:
        return None, (FileIssue("invalid_panel_size", 1, None, text),)
    return size, ()
