"""Mapping an uploaded dataset: column roles, answer values to scales, area names to areas.

Pure module: standard library only. Everything here works on plain data (header names,
distinct values, known areas as frozen dataclasses) and returns codes, never translated text,
so the web pages, the JSON API, the benchmark and the tests share one set of rules.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class DatasetShape(enum.StrEnum):
    RESPONDENT = "respondent"  # one row per respondent
    AGGREGATE = "aggregate"  # indicator, area, value, base, period


class ColumnRole(enum.StrEnum):
    IGNORE = "ignore"
    # respondent-level
    WARD_CODE = "ward_code"
    WARD_NAME = "ward_name"
    POSTCODE_DISTRICT = "postcode_district"
    WEIGHT = "weight"
    DEMOGRAPHIC = "demographic"
    QUESTION = "question"
    # aggregate
    INDICATOR = "indicator"
    AREA = "area"
    VALUE = "value"
    BASE = "base"
    PERIOD = "period"


AREA_ROLES = frozenset({ColumnRole.WARD_CODE, ColumnRole.WARD_NAME, ColumnRole.POSTCODE_DISTRICT})
ROLES_BY_SHAPE: dict[DatasetShape, tuple[ColumnRole, ...]] = {
    DatasetShape.RESPONDENT: (
        ColumnRole.IGNORE,
        ColumnRole.QUESTION,
        ColumnRole.WARD_CODE,
        ColumnRole.WARD_NAME,
        ColumnRole.POSTCODE_DISTRICT,
        ColumnRole.WEIGHT,
        ColumnRole.DEMOGRAPHIC,
    ),
    DatasetShape.AGGREGATE: (
        ColumnRole.IGNORE,
        ColumnRole.INDICATOR,
        ColumnRole.AREA,
        ColumnRole.VALUE,
        ColumnRole.BASE,
        ColumnRole.PERIOD,
    ),
}
# Roles a dataset may have at most once.
SINGLE_ROLES = frozenset(
    {
        ColumnRole.WARD_CODE,
        ColumnRole.WARD_NAME,
        ColumnRole.POSTCODE_DISTRICT,
        ColumnRole.WEIGHT,
        ColumnRole.INDICATOR,
        ColumnRole.AREA,
        ColumnRole.VALUE,
        ColumnRole.BASE,
        ColumnRole.PERIOD,
    }
)

# A question (or demographic) column may hold at most this many different answers.
MAX_ANSWERS = 60

# Respondent demographics that line up with the area profiles (engage.partnerships).
DEMOGRAPHIC_FEATURES = ("age_band", "sex", "ethnicity", "disability", "tenure")


class Scale(enum.StrEnum):
    NONE = "none"  # categories with no order: counted, never turned into "% positive"
    AGREE = "agree"
    SATISFIED = "satisfied"


class Unit(enum.StrEnum):
    """What an aggregate indicator's value measures."""

    PERCENT = "percent"
    COUNT = "count"
    RATE = "rate"
    SCORE = "score"


SCALE_POINTS: dict[Scale, tuple[str, ...]] = {
    Scale.AGREE: ("strongly_agree", "agree", "neither", "disagree", "strongly_disagree"),
    Scale.SATISFIED: (
        "very_satisfied",
        "satisfied",
        "neither",
        "dissatisfied",
        "very_dissatisfied",
    ),
}
DONT_KNOW = "dont_know"
POSITIVE_POINTS = frozenset({"strongly_agree", "agree", "very_satisfied", "satisfied"})
NEGATIVE_POINTS = frozenset(
    {"strongly_disagree", "disagree", "very_dissatisfied", "dissatisfied"}
)
NEUTRAL_POINTS = frozenset({"neither"})


class Group(enum.StrEnum):
    """Where an answer counts in the headline shares."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    DONT_KNOW = "dont_know"


def points_for(scale: Scale) -> tuple[str, ...]:
    """The points a value may be mapped to on a scale (with "don't know")."""
    if scale == Scale.NONE:
        return ()
    return (*SCALE_POINTS[scale], DONT_KNOW)


def group_of(point: str | None) -> Group | None:
    if point in POSITIVE_POINTS:
        return Group.POSITIVE
    if point in NEGATIVE_POINTS:
        return Group.NEGATIVE
    if point in NEUTRAL_POINTS:
        return Group.NEUTRAL
    if point == DONT_KNOW:
        return Group.DONT_KNOW
    return None


# --------------------------------------------------------------------------- text


def _plain(text: str) -> str:
    """Lower case, one space between words, typographic quotes made plain."""
    cleaned = unicodedata.normalize("NFKC", text).casefold()
    cleaned = cleaned.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(cleaned.split())


_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def normalise_area_name(text: str) -> str:
    """A key for matching area names: case, spacing and punctuation ignored,
    "&" read as "and", "St"/"St." read as "Saint", and a trailing "ward" dropped."""
    plain = _plain(text).replace("&", " and ").replace("'", "")
    words = _WORDS.findall(plain)
    words = ["saint" if word == "st" else word for word in words]
    if len(words) > 1 and words[-1] == "ward":
        words = words[:-1]
    return " ".join(words)


GSS_CODE = re.compile(r"^[EWSN]\d{8}$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
_FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")


def normalise_gss_code(text: str) -> str | None:
    code = text.strip().upper()
    return code if GSS_CODE.match(code) else None


def normalise_postcode_district(text: str) -> str | None:
    """The postcode district ("outward code", e.g. HM1) of a district or full postcode."""
    compact = re.sub(r"\s+", "", text).upper()
    full = _FULL_POSTCODE.match(compact)
    if full:
        return full.group(1)
    return compact if _OUTWARD.match(compact) else None


def parse_number(text: str) -> float | None:
    """A decimal number as written in a spreadsheet ("1,234.5", "56%"), or None."""
    try:  # the common case, quickly (this runs for every cell of a big file)
        number = float(text)
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) and text.strip() == text and "_" not in text \
            else _parse_number_slowly(text)
    return _parse_number_slowly(text)


def _parse_number_slowly(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").removesuffix("%").strip()
    if not cleaned:
        return None
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_count(text: str) -> int | None:
    """A whole number of at least 0 ("1,200", "12.0"), or None."""
    number = parse_number(text)
    if number is None or number < 0 or number != int(number) or "%" in text:
        return None
    return int(number)


def parse_weight(text: str) -> float | None:
    number = parse_number(text)
    if number is None or number <= 0 or "%" in text:
        return None
    return number


# --------------------------------------------------------------------------- values


_DONT_KNOW_TEXT = frozenset(
    {"don't know", "dont know", "do not know", "not sure", "no opinion", "dk", "unsure"}
)


def suggest_point(value: str, scale: Scale) -> str | None:
    """The scale point a written answer most likely means, or None."""
    text = _plain(value).strip(" .")
    if not text or scale == Scale.NONE:
        return None
    if text in _DONT_KNOW_TEXT or text.startswith("don't know") or text.startswith("dont know"):
        return DONT_KNOW
    if "neither" in text or text in {"neutral", "no strong feelings either way"}:
        return "neither"
    strong = any(word in text for word in ("strongly", "very", "completely", "extremely"))
    if scale == Scale.AGREE:
        if "disagree" in text:
            return "strongly_disagree" if strong else "disagree"
        if "agree" in text:
            return "strongly_agree" if strong else "agree"
        return None
    if any(word in text for word in ("dissatisfied", "unsatisfied", "not satisfied")):
        return "very_dissatisfied" if strong else "dissatisfied"
    if "satisfied" in text:
        return "very_satisfied" if strong else "satisfied"
    return None


def suggest_scale(values: Iterable[str]) -> Scale:
    """The scale whose points most of the values match (at least two substantive points)."""
    best, best_hits = Scale.NONE, 1
    distinct = list(values)
    for scale in (Scale.AGREE, Scale.SATISFIED):
        points = {suggest_point(v, scale) for v in distinct}
        hits = len(points & (POSITIVE_POINTS | NEGATIVE_POINTS))
        if hits > best_hits:
            best, best_hits = scale, hits
    return best


def suggest_points(values: Iterable[str], scale: Scale) -> dict[str, str | None]:
    return {value: suggest_point(value, scale) for value in values}


_AGE = re.compile(r"(\d+)\s*(?:-|to|–)\s*(\d+)")
_AGE_OVER = re.compile(r"(\d+)\s*(?:\+|and over|or over|plus)")


def suggest_category(feature: str, value: str, categories: Sequence[str]) -> str | None:
    """The area-profile category (e.g. "16-24", "female") a demographic answer matches."""
    text = _plain(value)
    if not text:
        return None
    if text in categories:
        return text
    if feature == "sex":
        if text in {"f", "female", "woman", "women", "girl"}:
            return "female" if "female" in categories else None
        if text in {"m", "male", "man", "men", "boy"}:
            return "male" if "male" in categories else None
    if feature == "age_band":
        span = _AGE.search(text)
        if span:
            candidate = f"{int(span.group(1))}-{int(span.group(2))}"
            return candidate if candidate in categories else None
        over = _AGE_OVER.search(text)
        if over:
            candidate = f"{int(over.group(1))}+"
            return candidate if candidate in categories else None
    if feature == "disability":
        if text in {"yes", "disabled", "y"}:
            return "disabled" if "disabled" in categories else None
        if text in {"no", "not disabled", "n"}:
            return "not_disabled" if "not_disabled" in categories else None
    snake = text.replace(" ", "_").replace("-", "_")
    return snake if snake in categories else None


# --------------------------------------------------------------------------- columns


@dataclass
class ColumnProfile:
    """What a streaming pass saw in one column: distinct values (capped) and kinds."""

    index: int
    name: str
    distinct: dict[str, int] = field(default_factory=dict)
    overflow: bool = False
    blanks: int = 0
    numbers: int = 0
    filled: int = 0
    # Distinct values that are numbers, so each is parsed once (not serialised).
    _numeric: set[str] = field(default_factory=set, repr=False, compare=False)

    def add(self, value: str, cap: int) -> None:
        if not value:
            self.blanks += 1
            return
        self.filled += 1
        seen = self.distinct.get(value)
        if seen is not None:
            self.distinct[value] = seen + 1
            if value in self._numeric:
                self.numbers += 1
            return
        is_number = parse_number(value) is not None
        if is_number:
            self.numbers += 1
        if len(self.distinct) < cap:
            self.distinct[value] = 1
            if is_number:
                self._numeric.add(value)
        else:
            self.overflow = True

    @property
    def is_numeric(self) -> bool:
        return self.filled > 0 and self.numbers == self.filled

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "distinct": self.distinct,
            "overflow": self.overflow,
            "blanks": self.blanks,
            "numbers": self.numbers,
            "filled": self.filled,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnProfile:
        return cls(
            index=int(data["index"]),
            name=str(data["name"]),
            distinct={str(k): int(v) for k, v in dict(data.get("distinct", {})).items()},
            overflow=bool(data.get("overflow")),
            blanks=int(data.get("blanks", 0)),
            numbers=int(data.get("numbers", 0)),
            filled=int(data.get("filled", 0)),
        )


def _header_words(name: str) -> set[str]:
    return set(_WORDS.findall(_plain(name).replace("_", " ")))


_FEATURE_WORDS = {
    "age_band": ("age", "ageband", "age_band"),
    "sex": ("sex", "gender"),
    "ethnicity": ("ethnicity", "ethnic", "ethnic_group"),
    "disability": ("disability", "disabled", "disab"),
    "tenure": ("tenure", "housing_tenure"),
}


def suggest_feature(name: str) -> str | None:
    words = _header_words(name)
    snake = _plain(name).replace(" ", "_")
    for feature, hints in _FEATURE_WORDS.items():
        if words & set(hints) or snake in hints:
            return feature
    return None


@dataclass(frozen=True)
class RoleSuggestion:
    role: ColumnRole
    feature: str | None = None


def suggest_role(profile: ColumnProfile, shape: DatasetShape) -> RoleSuggestion:
    """A first guess at a column's role from its header and values (the user confirms)."""
    words = _header_words(profile.name)
    values = list(profile.distinct)
    if shape == DatasetShape.AGGREGATE:
        if words & {"indicator", "measure", "question", "metric"}:
            return RoleSuggestion(ColumnRole.INDICATOR)
        if words & {"area", "ward", "geography", "code", "gss", "place"}:
            return RoleSuggestion(ColumnRole.AREA)
        if words & {"base", "n", "sample", "respondents", "denominator"}:
            return RoleSuggestion(ColumnRole.BASE)
        if words & {"period", "year", "date", "quarter", "month", "wave"}:
            return RoleSuggestion(ColumnRole.PERIOD)
        if words & {"value", "percent", "percentage", "result", "score", "rate"} or "%" in profile.name:
            return RoleSuggestion(ColumnRole.VALUE)
        return RoleSuggestion(ColumnRole.IGNORE)
    if "postcode" in words or "postcode" in _plain(profile.name).replace(" ", ""):
        return RoleSuggestion(ColumnRole.POSTCODE_DISTRICT)
    looks_like_codes = bool(values) and all(normalise_gss_code(v) for v in values)
    if words & {"gss"} or ("ward" in words and "code" in words) or (
        "ward" in words and looks_like_codes
    ):
        return RoleSuggestion(ColumnRole.WARD_CODE)
    if "ward" in words:
        return RoleSuggestion(ColumnRole.WARD_NAME)
    if words & {"weight", "wt", "weighting"}:
        return RoleSuggestion(ColumnRole.WEIGHT)
    feature = suggest_feature(profile.name)
    if feature:
        return RoleSuggestion(ColumnRole.DEMOGRAPHIC, feature)
    if words & {"id", "respondent", "serial", "uuid", "timestamp", "date"}:
        return RoleSuggestion(ColumnRole.IGNORE)
    if profile.overflow or not profile.filled or len(values) > MAX_ANSWERS:
        return RoleSuggestion(ColumnRole.IGNORE)
    if profile.is_numeric and len(values) > 11:
        return RoleSuggestion(ColumnRole.IGNORE)
    return RoleSuggestion(ColumnRole.QUESTION)


def suggest_unit(indicator: str, value_header: str) -> Unit:
    text = _plain(f"{indicator} {value_header}")
    if "%" in text or "percent" in text or "proportion" in text:
        return Unit.PERCENT
    if "rate" in text or "per 1" in text:
        return Unit.RATE
    if "number" in text or "count" in text:
        return Unit.COUNT
    return Unit.SCORE


# --------------------------------------------------------------------------- mapping


DROP = "drop"


@dataclass
class ColumnPlan:
    """How one column is used. ``values`` maps each answer as written to a scale point."""

    index: int
    name: str
    role: ColumnRole = ColumnRole.IGNORE
    feature: str | None = None
    theme_id: int | None = None
    scale: Scale = Scale.NONE
    text: str = ""
    values: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "role": self.role.value,
            "feature": self.feature,
            "theme_id": self.theme_id,
            "scale": self.scale.value,
            "text": self.text,
            "values": self.values,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnPlan:
        return cls(
            index=int(data["index"]),
            name=str(data["name"]),
            role=ColumnRole(data.get("role", "ignore")),
            feature=data.get("feature") or None,
            theme_id=int(data["theme_id"]) if data.get("theme_id") not in (None, "") else None,
            scale=Scale(data.get("scale", "none")),
            text=str(data.get("text") or ""),
            values={str(k): (str(v) if v else None) for k, v in dict(data.get("values", {})).items()},
        )


@dataclass
class IndicatorPlan:
    """How one aggregate indicator (a distinct value of the indicator column) is shown."""

    name: str
    theme_id: int | None = None
    unit: Unit = Unit.PERCENT

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "theme_id": self.theme_id, "unit": self.unit.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IndicatorPlan:
        return cls(
            name=str(data["name"]),
            theme_id=int(data["theme_id"]) if data.get("theme_id") not in (None, "") else None,
            unit=Unit(data.get("unit", "percent")),
        )


@dataclass
class DatasetMapping:
    """The whole mapping of one upload; stored as JSON between the mapping steps."""

    shape: DatasetShape
    columns: list[ColumnPlan]
    # Area values as written that did not match: an area id, or DROP (drop those rows).
    area_fixes: dict[str, int | str] = field(default_factory=dict)
    indicators: list[IndicatorPlan] = field(default_factory=list)

    def with_role(self, *roles: ColumnRole) -> list[ColumnPlan]:
        return [c for c in self.columns if c.role in roles]

    def one(self, *roles: ColumnRole) -> ColumnPlan | None:
        found = self.with_role(*roles)
        return found[0] if found else None

    @property
    def area_column(self) -> ColumnPlan | None:
        if self.shape == DatasetShape.AGGREGATE:
            return self.one(ColumnRole.AREA)
        return self.one(*AREA_ROLES)

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": self.shape.value,
            "columns": [c.to_json() for c in self.columns],
            "area_fixes": self.area_fixes,
            "indicators": [i.to_json() for i in self.indicators],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DatasetMapping:
        fixes: dict[str, int | str] = {}
        for key, value in dict(data.get("area_fixes", {})).items():
            if value == DROP:
                fixes[str(key)] = DROP
            elif value not in (None, ""):
                fixes[str(key)] = int(value)
        return cls(
            shape=DatasetShape(data["shape"]),
            columns=[ColumnPlan.from_json(c) for c in data.get("columns", [])],
            area_fixes=fixes,
            indicators=[IndicatorPlan.from_json(i) for i in data.get("indicators", [])],
        )

    def problems(self) -> list[str]:
        """Codes for what stops this mapping being imported (see labels.MAPPING_PROBLEMS)."""
        found: list[str] = []
        allowed = ROLES_BY_SHAPE[self.shape]
        if any(c.role not in allowed for c in self.columns):
            found.append("role_not_for_shape")
        for role in SINGLE_ROLES:
            if len(self.with_role(role)) > 1:
                found.append(f"repeated_{role.value}")
        if self.shape == DatasetShape.RESPONDENT:
            if len(self.with_role(*AREA_ROLES)) != 1:
                found.append("needs_one_area_column")
            if not self.with_role(ColumnRole.QUESTION):
                found.append("needs_questions")
            for column in self.with_role(ColumnRole.DEMOGRAPHIC):
                if column.feature not in DEMOGRAPHIC_FEATURES:
                    found.append("demographic_needs_feature")
                    break
            features = [c.feature for c in self.with_role(ColumnRole.DEMOGRAPHIC)]
            if len(features) != len(set(features)):
                found.append("repeated_feature")
            for column in self.with_role(ColumnRole.QUESTION):
                if len(column.values) > MAX_ANSWERS:
                    found.append("too_many_answers")
                    break
            for column in self.with_role(ColumnRole.QUESTION):
                allowed_points = set(points_for(column.scale))
                if any(p is not None and p not in allowed_points for p in column.values.values()):
                    found.append("point_not_on_scale")
                    break
        else:
            for role in (ColumnRole.INDICATOR, ColumnRole.AREA, ColumnRole.VALUE):
                if not self.with_role(role):
                    found.append(f"needs_{role.value}")
        return found


def initial_mapping(
    shape: DatasetShape, profiles: Sequence[ColumnProfile]
) -> DatasetMapping:
    """The suggested mapping for freshly profiled columns."""
    columns: list[ColumnPlan] = []
    taken: set[ColumnRole] = set()
    features: set[str] = set()
    for profile in profiles:
        suggestion = suggest_role(profile, shape)
        role, feature = suggestion.role, suggestion.feature
        if role in SINGLE_ROLES and (role in taken or (role in AREA_ROLES and taken & AREA_ROLES)):
            role = ColumnRole.IGNORE
        if feature is not None and feature in features:
            role, feature = ColumnRole.IGNORE, None
        taken.add(role)
        if feature:
            features.add(feature)
        plan = ColumnPlan(index=profile.index, name=profile.name, role=role, feature=feature,
                          text=profile.name)
        if role == ColumnRole.QUESTION:
            plan.scale = suggest_scale(profile.distinct)
            plan.values = suggest_points(profile.distinct, plan.scale)
        columns.append(plan)
    mapping = DatasetMapping(shape=shape, columns=columns)
    if shape == DatasetShape.AGGREGATE:
        indicator = mapping.one(ColumnRole.INDICATOR)
        value = mapping.one(ColumnRole.VALUE)
        if indicator is not None:
            profile = next(p for p in profiles if p.index == indicator.index)
            mapping.indicators = [
                IndicatorPlan(name=name, unit=suggest_unit(name, value.name if value else ""))
                for name in profile.distinct
            ]
    return mapping


def apply_scale(plan: ColumnPlan, scale: Scale, distinct: Iterable[str]) -> None:
    """Switch a question to another scale, keeping answers already mapped onto it."""
    allowed = set(points_for(scale))
    previous = plan.values
    plan.scale = scale
    plan.values = {}
    for value in distinct:
        kept = previous.get(value)
        plan.values[value] = kept if kept in allowed else suggest_point(value, scale)


# --------------------------------------------------------------------------- areas


@dataclass(frozen=True)
class KnownArea:
    id: int
    gss_code: str
    name: str
    name_cy: str | None
    level: str


@dataclass(frozen=True)
class AreaMatch:
    matched: dict[str, int]
    unmatched: tuple[str, ...]


def match_areas(
    values: Iterable[str],
    known: Sequence[KnownArea],
    *,
    by: ColumnRole,
    postcode_districts: Mapping[str, int] | None = None,
    prefer_levels: Sequence[str] = ("ward", "district", "county", "parish"),
) -> AreaMatch:
    """Match area values as written to known areas.

    ``by`` says what the column holds: WARD_CODE (GSS codes), WARD_NAME (names: exact, then
    case/spacing/punctuation-insensitive with "&"="and" and "St"="Saint", English or Welsh),
    POSTCODE_DISTRICT (looked up in the partnership's own district → ward table) or AREA
    (aggregate data: a GSS code or a name). A name shared by areas at one level is left
    unmatched for the user to choose.
    """
    by_code = {a.gss_code.upper(): a.id for a in known}
    rank = {level: i for i, level in enumerate(prefer_levels)}
    by_name: dict[str, list[KnownArea]] = {}
    exact: dict[str, list[KnownArea]] = {}
    for area in known:
        for name in filter(None, (area.name, area.name_cy)):
            exact.setdefault(name, []).append(area)
            by_name.setdefault(normalise_area_name(name), []).append(area)

    def pick(candidates: list[KnownArea]) -> int | None:
        unique = {a.id: a for a in candidates}
        if not unique:
            return None
        if len(unique) == 1:
            return next(iter(unique))
        ordered = sorted(unique.values(), key=lambda a: rank.get(a.level, len(rank)))
        best = rank.get(ordered[0].level, len(rank))
        top = [a for a in ordered if rank.get(a.level, len(rank)) == best]
        return top[0].id if len(top) == 1 else None

    matched: dict[str, int] = {}
    unmatched: list[str] = []
    for value in values:
        found: int | None = None
        if by == ColumnRole.POSTCODE_DISTRICT:
            district = normalise_postcode_district(value)
            if district is not None and postcode_districts:
                found = postcode_districts.get(district)
        else:
            code = normalise_gss_code(value)
            if code is not None:
                found = by_code.get(code)
            elif by != ColumnRole.WARD_CODE:
                stripped = value.strip()
                if stripped in exact:
                    found = pick(exact[stripped])
                if found is None:
                    found = pick(by_name.get(normalise_area_name(value), []))
        if found is None:
            unmatched.append(value)
        else:
            matched[value] = found
    return AreaMatch(matched=matched, unmatched=tuple(unmatched))
