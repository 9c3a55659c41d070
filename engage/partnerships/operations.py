"""Partnership set-up: partnerships, areas (with CSV import), themes and organisations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.audit_log import record_audit
from engage.core.errors import EngageError, ImportFailed, RowError
from engage.extensions import db
from engage.partnerships.models import (
    AREA_LEVEL_ORDER,
    PROFILE_FEATURES,
    Area,
    AreaLevel,
    AreaProfileCount,
    Organisation,
    Partnership,
    PartnershipKind,
    Sector,
    Theme,
)
from engage.partnerships.policy import covers_area

GSS_CODE = re.compile(r"^[EWSN]\d{8}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# The default SCS themes every new partnership starts with (English, Welsh).
DEFAULT_THEMES: tuple[tuple[str, str, str], ...] = (
    ("safer-communities", "Safer communities", "Cymunedau mwy diogel"),
    ("health-wellbeing", "Health and wellbeing", "Iechyd a llesiant"),
    ("children-young-people", "Children and young people", "Plant a phobl ifanc"),
    ("economy-jobs-skills", "Economy, jobs and skills", "Economi, swyddi a sgiliau"),
    ("housing", "Housing", "Tai"),
    ("environment-climate", "Environment and climate", "Yr amgylchedd a'r hinsawdd"),
    ("transport", "Transport and getting around", "Trafnidiaeth a theithio"),
    ("stronger-communities", "Stronger communities", "Cymunedau cryfach"),
    ("older-people", "Older people", "Pobl hŷn"),
    ("culture-sport-leisure", "Culture, sport and leisure", "Diwylliant, chwaraeon a hamdden"),
)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def create_partnership(
    actor_id: int | None,
    name: str,
    kind: PartnershipKind,
    parent: Partnership | None = None,
    name_cy: str | None = None,
    slug: str | None = None,
    requires_staff_two_factor: bool = False,
) -> Partnership:
    """Create a partnership with the default themes."""
    slug = slug or slugify(name)
    if not SLUG.match(slug):
        raise EngageError(
            _("Enter a short name using lower-case letters, numbers and hyphens"), field="slug"
        )
    if db.session.scalar(select(Partnership.id).where(Partnership.slug == slug)) is not None:
        raise EngageError(_("A partnership with this short name exists already"), field="slug")
    partnership = Partnership(
        name=name.strip(),
        name_cy=(name_cy or "").strip() or None,
        slug=slug,
        kind=kind,
        parent=parent,
        requires_staff_two_factor=requires_staff_two_factor,
    )
    db.session.add(partnership)
    seed_default_themes(partnership)
    db.session.flush()
    record_audit(
        "partnership.created", actor_id=actor_id, target=partnership, partnership_id=partnership.id
    )
    return partnership


def update_partnership(
    actor_id: int,
    partnership: Partnership,
    *,
    name: str,
    name_cy: str | None,
    requires_staff_two_factor: bool,
) -> Partnership:
    partnership.name = name.strip()
    partnership.name_cy = (name_cy or "").strip() or None
    partnership.requires_staff_two_factor = requires_staff_two_factor
    db.session.flush()
    record_audit(
        "partnership.updated",
        actor_id=actor_id,
        target=partnership,
        partnership_id=partnership.id,
        requires_staff_two_factor=requires_staff_two_factor,
    )
    return partnership


def seed_default_themes(partnership: Partnership) -> None:
    existing = {theme.slug for theme in partnership.themes}
    for position, (slug, name, name_cy) in enumerate(DEFAULT_THEMES):
        if slug not in existing:
            partnership.themes.append(
                Theme(slug=slug, name=name, name_cy=name_cy, position=position)
            )


def save_theme(
    actor_id: int,
    partnership: Partnership,
    *,
    name: str,
    name_cy: str | None,
    is_active: bool = True,
    theme: Theme | None = None,
) -> Theme:
    """Create a theme, or rename one (its slug, used in imports, stays)."""
    if theme is None:
        slug = slugify(name)
        if any(t.slug == slug for t in partnership.themes):
            raise EngageError(
                _("This partnership already has a theme with that name"), field="name"
            )
        theme = Theme(slug=slug, position=len(partnership.themes))
        partnership.themes.append(theme)
    theme.name = name.strip()
    theme.name_cy = (name_cy or "").strip() or None
    theme.is_active = is_active
    db.session.flush()
    record_audit(
        "theme.saved",
        actor_id=actor_id,
        target=theme,
        partnership_id=partnership.id,
        name=theme.name,
    )
    return theme


def save_organisation(
    actor_id: int,
    partnership: Partnership,
    *,
    name: str,
    name_cy: str | None,
    sector: Sector,
    organisation: Organisation | None = None,
) -> Organisation:
    """Create a partner organisation in a partnership, or update one.

    An organisation already known by that name (a county-wide police force, say) joins this
    partnership rather than being created twice.
    """
    clean = name.strip()
    clash = db.session.scalar(select(Organisation).where(Organisation.name == clean))
    if organisation is None:
        organisation = clash or Organisation(name=clean, sector=sector)
        if organisation.id is None:
            db.session.add(organisation)
    elif clash is not None and clash.id != organisation.id:
        raise EngageError(_("Another organisation already has this name"), field="name")
    organisation.name = clean
    organisation.name_cy = (name_cy or "").strip() or None
    organisation.sector = sector
    if partnership not in organisation.partnerships:
        organisation.partnerships.append(partnership)
    db.session.flush()
    record_audit(
        "organisation.saved",
        actor_id=actor_id,
        target=organisation,
        partnership_id=partnership.id,
        name=organisation.name,
    )
    return organisation


@dataclass
class AreaImportResult:
    created: int = 0
    updated: int = 0
    codes: list[str] = field(default_factory=list)


AREA_COLUMNS = ("gss_code", "name", "name_cy", "level", "parent_code", "population")


def _parse_int(value: str) -> int | None:
    cleaned = value.replace(",", "").strip()
    if not cleaned.isdigit():
        return None
    return int(cleaned)


def _replace_profile(area: Area, profile: Mapping[tuple[str, str], int]) -> None:
    """Update counts in place (a delete-then-insert would trip the unique constraint)."""
    current = {(row.feature, row.category): row for row in area.profile_counts}
    for key, row in current.items():
        if key not in profile:
            area.profile_counts.remove(row)
    for (feature, category), count in sorted(profile.items()):
        row = current.get((feature, category))
        if row is None:
            area.profile_counts.append(
                AreaProfileCount(feature=feature, category=category, count=count)
            )
        else:
            row.count = count


def import_areas(
    actor_id: int | None, partnership: Partnership, rows: Iterable[Mapping[str, str]]
) -> AreaImportResult:
    """Create or update areas from CSV rows, all or nothing.

    Columns: gss_code, name, name_cy (optional), level (county/district/ward/parish),
    parent_code (blank for the partnership's top areas), population, then profile columns
    named ``feature:category`` (e.g. ``age_band:16-24``) holding resident counts.
    Row numbers in errors count the header as row 1.
    """
    errors: list[RowError] = []
    parsed: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    in_file_levels: dict[str, AreaLevel] = {}
    header_checked = False
    for index, row in enumerate(rows, start=2):
        if not header_checked:
            header_checked = True
            missing = [c for c in ("gss_code", "name", "level", "population") if c not in row]
            if missing:
                errors.append(
                    RowError(1, None, _("Missing columns: %(columns)s", columns=", ".join(missing)))
                )
                break
            bad_profile = [
                c
                for c in row
                if c not in AREA_COLUMNS
                and (":" not in c or c.split(":", 1)[0] not in PROFILE_FEATURES)
            ]
            if bad_profile:
                errors.append(
                    RowError(
                        1, None, _("Unknown columns: %(columns)s", columns=", ".join(bad_profile))
                    )
                )
                break
        if not any(row.values()):
            continue
        code = row.get("gss_code", "").upper()
        if not GSS_CODE.match(code):
            errors.append(RowError(index, "gss_code", _("Enter a GSS code like E05012345")))
        elif code in seen:
            errors.append(
                RowError(
                    index,
                    "gss_code",
                    _("Code %(code)s is also in row %(row)d", code=code, row=seen[code]),
                )
            )
        else:
            seen[code] = index
        name = row.get("name", "")
        if not name or len(name) > 200:
            errors.append(RowError(index, "name", _("Enter a name of 200 characters or fewer")))
        try:
            level = AreaLevel(row.get("level", "").lower())
        except ValueError:
            errors.append(
                RowError(index, "level", _("Level must be county, district, ward or parish"))
            )
            continue
        in_file_levels[code] = level
        population = _parse_int(row.get("population", ""))
        if population is None:
            errors.append(RowError(index, "population", _("Population must be a whole number")))
        profile: dict[tuple[str, str], int] = {}
        for column, value in row.items():
            if ":" not in column or value == "":
                continue
            count = _parse_int(value)
            if count is None:
                errors.append(RowError(index, column, _("Counts must be whole numbers")))
                continue
            feature, category = column.split(":", 1)
            profile[(feature, category.strip())] = count
        parsed.append(
            {
                "row": index,
                "code": code,
                "name": name,
                "name_cy": row.get("name_cy") or None,
                "level": level,
                "parent_code": row.get("parent_code", "").upper(),
                "population": population or 0,
                "profile": profile,
            }
        )
    # Parents must exist (in the file or already), sit one level up, and lie in this partnership.
    existing = {
        a.gss_code: a
        for a in db.session.scalars(
            select(Area).where(
                Area.gss_code.in_(
                    {str(p["code"]) for p in parsed} | {str(p["parent_code"]) for p in parsed}
                )
            )
        )
    }
    for item in parsed:
        code, parent_code, level = str(item["code"]), str(item["parent_code"]), item["level"]
        assert isinstance(level, AreaLevel)
        current = existing.get(code)
        if current is not None and not covers_area(partnership, current):
            errors.append(
                RowError(
                    int(str(item["row"])),
                    "gss_code",
                    _("%(code)s belongs to another partnership", code=code),
                )
            )
        if not parent_code:
            continue
        parent_level = in_file_levels.get(parent_code) or (
            existing[parent_code].level if parent_code in existing else None
        )
        if parent_level is None:
            errors.append(
                RowError(
                    int(str(item["row"])),
                    "parent_code",
                    _("Parent %(code)s is not known", code=parent_code),
                )
            )
        elif AREA_LEVEL_ORDER[parent_level] >= AREA_LEVEL_ORDER[level]:
            errors.append(
                RowError(
                    int(str(item["row"])),
                    "parent_code",
                    _(
                        "A %(level)s cannot sit inside a %(parent)s",
                        level=level.value,
                        parent=parent_level.value,
                    ),
                )
            )
        elif (
            parent_code in existing
            and parent_code not in in_file_levels
            and not covers_area(partnership, existing[parent_code])
        ):
            errors.append(
                RowError(
                    int(str(item["row"])),
                    "parent_code",
                    _("%(code)s belongs to another partnership", code=parent_code),
                )
            )
    if not parsed and not errors:
        errors.append(RowError(1, None, _("The file has no rows")))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.row))

    result = AreaImportResult()
    by_code = dict(existing)
    # Parents before children, so every parent exists when its child is linked.
    for item in sorted(parsed, key=lambda p: AREA_LEVEL_ORDER[p["level"]]):  # type: ignore[index]
        code = str(item["code"])
        area = by_code.get(code)
        if area is None:
            area = Area(gss_code=code)
            db.session.add(area)
            by_code[code] = area
            result.created += 1
        else:
            result.updated += 1
        area.name = str(item["name"])
        area.name_cy = item["name_cy"]  # type: ignore[assignment]
        area.level = item["level"]  # type: ignore[assignment]
        area.population = int(str(item["population"]))
        parent_code = str(item["parent_code"])
        area.parent = by_code[parent_code] if parent_code else None
        profile = item["profile"]
        assert isinstance(profile, dict)
        if profile:
            _replace_profile(area, profile)
        if not parent_code and area not in partnership.areas:
            partnership.areas.append(area)
        result.codes.append(code)
    db.session.flush()
    record_audit(
        "areas.imported",
        actor_id=actor_id,
        target=partnership,
        partnership_id=partnership.id,
        created=result.created,
        updated=result.updated,
    )
    return result
