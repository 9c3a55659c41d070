"""The engagement register's use cases. They flush, never commit: the view owns the transaction."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import selectinload

from engage.audit.labels import DEFAULT_TARGET_GROUPS, DIMENSION_LABELS
from engage.audit.models import (
    ActivityTargetGroup,
    AssessmentDimension,
    DuplicateDecision,
    DuplicateReview,
    EngagementActivity,
    Method,
    SelfAssessmentRating,
    Status,
    TargetGroup,
    activity_areas,
    activity_themes,
)
from engage.audit.overlap import ActivityRecord
from engage.audit.self_assessment import DEFAULT_DIMENSIONS, Assessment, Rating
from engage.core.audit_log import record_audit
from engage.core.errors import EngageError
from engage.core.personal_data import register_personal_data
from engage.core.time import utcnow
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership, Theme

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)

# --------------------------------------------------------------------------------------------
# Geography, partners, vocabularies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geography:
    """The areas a partnership covers, and which wards each one stands for."""

    wards: tuple[Area, ...]  # sorted by name
    districts: tuple[Area, ...]  # areas above ward level, sorted by name
    ward_ids: frozenset[int]
    expansion: dict[int, frozenset[int]]  # area id -> ward ids at or under it
    populations: dict[int, int]  # ward id -> residents
    by_id: dict[int, Area]

    def wards_of(self, area_ids: Iterable[int], partnership_wide: bool) -> frozenset[int]:
        if partnership_wide:
            return self.ward_ids
        found: set[int] = set()
        for area_id in area_ids:
            found |= self.expansion.get(area_id, frozenset())
        return frozenset(found)

    def ancestor_ids(self, area_id: int) -> set[int]:
        """The area and every area above it inside the partnership."""
        found: set[int] = set()
        node = self.by_id.get(area_id)
        while node is not None and node.id not in found and node.id in self.by_id:
            found.add(node.id)
            node = node.parent
        return found


def geography(partnership: Partnership) -> Geography:
    every: dict[int, Area] = {}
    stack = list(partnership.areas)
    while stack:
        area = stack.pop()
        if area.id in every:
            continue
        every[area.id] = area
        stack.extend(area.children)
    expansion: dict[int, frozenset[int]] = {}

    def expand(area: Area) -> frozenset[int]:
        if area.id not in expansion:
            if area.level == AreaLevel.WARD:
                expansion[area.id] = frozenset({area.id})
            else:
                found: set[int] = set()
                for child in area.children:
                    found |= expand(child)
                expansion[area.id] = frozenset(found)
        return expansion[area.id]

    for area in every.values():
        expand(area)
    wards = sorted((a for a in every.values() if a.level == AreaLevel.WARD), key=lambda a: a.name)
    districts = sorted(
        (a for a in every.values() if a.level in (AreaLevel.DISTRICT, AreaLevel.COUNTY)),
        key=lambda a: (a.level != AreaLevel.COUNTY, a.name),
    )
    return Geography(
        wards=tuple(wards),
        districts=tuple(districts),
        ward_ids=frozenset(w.id for w in wards),
        expansion=expansion,
        populations={w.id: w.population for w in wards},
        by_id=every,
    )


def partner_organisations(partnership: Partnership) -> list[Organisation]:
    """Partners that may log activities here: this partnership's and those above it."""
    found: dict[int, Organisation] = {}
    for node in partnership.lineage():
        for organisation in node.organisations:
            found.setdefault(organisation.id, organisation)
    return sorted(found.values(), key=lambda o: o.name)


def partnership_themes(partnership: Partnership, *, active_only: bool = True) -> list[Theme]:
    return [t for t in partnership.themes if t.is_active or not active_only]


@dataclass(frozen=True)
class VocabularyEntry:
    """A target group or self-assessment dimension, configured or default."""

    code: str
    name: Any  # str, or a lazy string for the defaults
    name_cy: str | None = None
    is_active: bool = True

    def label(self, language: str) -> str:
        if language == "cy" and self.name_cy:
            return self.name_cy
        return str(self.name)


VocabularyModel = type[TargetGroup] | type[AssessmentDimension]

_DEFAULTS: dict[str, dict[str, Any]] = {
    "target_groups": DEFAULT_TARGET_GROUPS,
    "assessment_dimensions": {code: DIMENSION_LABELS[code] for code in DEFAULT_DIMENSIONS},
}


def _configured(model: VocabularyModel, partnership: Partnership) -> tuple[Partnership, list[Any]]:
    """The rows of the nearest partnership in the lineage that configured any."""
    for node in partnership.lineage():
        rows = db.session.scalars(
            select(model).where(model.partnership_id == node.id).order_by(model.position, model.id)
        ).all()
        if rows:
            return node, list(rows)
    return partnership, []


def vocabulary(model: VocabularyModel, partnership: Partnership) -> list[VocabularyEntry]:
    """Configured entries (inherited from a parent partnership), else the defaults."""
    _owner, rows = _configured(model, partnership)
    if rows:
        return [VocabularyEntry(r.code, r.name, r.name_cy, r.is_active) for r in rows]
    return [VocabularyEntry(code, name) for code, name in _DEFAULTS[model.__tablename__].items()]


def target_groups(partnership: Partnership) -> list[VocabularyEntry]:
    return vocabulary(TargetGroup, partnership)


def assessment_dimensions(partnership: Partnership) -> list[VocabularyEntry]:
    return vocabulary(AssessmentDimension, partnership)


def _materialise_defaults(model: VocabularyModel, partnership: Partnership) -> list[Any]:
    rows = db.session.scalars(
        select(model).where(model.partnership_id == partnership.id).order_by(model.position)
    ).all()
    if rows:
        return list(rows)
    created = []
    # Start from what the partnership sees now (a parent's list, or the defaults).
    for position, entry in enumerate(vocabulary(model, partnership)):
        with force_locale("en_GB"):
            name = str(entry.name)
        with force_locale("cy"):
            name_cy = entry.name_cy or str(entry.name)
        row = model(
            partnership_id=partnership.id, code=entry.code, name=name,
            name_cy=name_cy if name_cy != name else None,
            position=position, is_active=entry.is_active,
        )
        db.session.add(row)
        created.append(row)
    db.session.flush()
    return created


def add_vocabulary_entry(
    actor_id: int, model: VocabularyModel, partnership: Partnership, *, name: str, name_cy: str | None
) -> Any:
    """Add a target group or dimension; the partnership's list then stops following the defaults."""
    from engage.partnerships.operations import slugify

    rows = _materialise_defaults(model, partnership)
    clean = " ".join(name.split())
    code = slugify(clean).replace("-", "_")[:60]
    if not code:
        raise EngageError(_("Enter a name using letters or numbers"), field="name")
    if any(r.code == code or r.name.casefold() == clean.casefold() for r in rows):
        raise EngageError(_("There is already one with this name"), field="name")
    row = model(
        partnership_id=partnership.id, code=code, name=clean,
        name_cy=" ".join((name_cy or "").split()) or None, position=len(rows),
    )
    db.session.add(row)
    db.session.flush()
    record_audit(f"{model.__tablename__}.added", actor_id=actor_id, target=row,
                 partnership_id=partnership.id, code=code)
    return row


def set_vocabulary_entry_active(
    actor_id: int, model: VocabularyModel, partnership: Partnership, code: str, is_active: bool
) -> Any:
    """Stop (or start again) offering an entry; records already using it keep it."""
    rows = _materialise_defaults(model, partnership)
    row = next((r for r in rows if r.code == code), None)
    if row is None:
        raise EngageError(_("Choose an entry from the list"), field="code")
    row.is_active = is_active
    db.session.flush()
    record_audit(f"{model.__tablename__}.changed", actor_id=actor_id, target=row,
                 partnership_id=partnership.id, code=code, is_active=is_active)
    return row


# --------------------------------------------------------------------------------------------
# Loading the register for the analyses
# --------------------------------------------------------------------------------------------


def load_records(
    partnership: Partnership, geo: Geography, *, where: Sequence[Any] = ()
) -> dict[int, ActivityRecord]:
    """Every activity of the partnership as a pure ``ActivityRecord`` (wards expanded).

    Four queries whatever the register's size; no ORM objects are built.
    """
    ea = EngagementActivity
    scope = [ea.partnership_id == partnership.id, *where]
    ids_subquery = select(ea.id).where(*scope)
    themes: dict[int, set[int]] = defaultdict(set)
    for activity_id, theme_id in db.session.execute(
        select(activity_themes.c.activity_id, activity_themes.c.theme_id).where(
            activity_themes.c.activity_id.in_(ids_subquery)
        )
    ):
        themes[activity_id].add(theme_id)
    areas: dict[int, set[int]] = defaultdict(set)
    for activity_id, area_id in db.session.execute(
        select(activity_areas.c.activity_id, activity_areas.c.area_id).where(
            activity_areas.c.activity_id.in_(ids_subquery)
        )
    ):
        areas[activity_id].add(area_id)
    groups: dict[int, set[str]] = defaultdict(set)
    for activity_id, code in db.session.execute(
        select(ActivityTargetGroup.activity_id, ActivityTargetGroup.code).where(
            ActivityTargetGroup.activity_id.in_(ids_subquery)
        )
    ):
        groups[activity_id].add(code)
    records: dict[int, ActivityRecord] = {}
    for row in db.session.execute(
        select(
            ea.id, ea.organisation_id, ea.title, ea.description, ea.method, ea.start_date,
            ea.end_date, ea.participants, ea.cost_pence, ea.status, ea.is_partnership_wide,
            ea.outcome_published_on,
        ).where(*scope)
    ):
        records[row.id] = ActivityRecord(
            id=row.id,
            organisation_id=row.organisation_id,
            title=row.title,
            description=row.description or "",
            method=Method(row.method).value,
            start_date=row.start_date,
            end_date=row.end_date,
            theme_ids=frozenset(themes.get(row.id, ())),
            ward_ids=geo.wards_of(areas.get(row.id, ()), row.is_partnership_wide),
            target_groups=frozenset(groups.get(row.id, ())),
            participants=row.participants,
            cost_pence=row.cost_pence,
            status=Status(row.status).value,
            outcome_published=row.status == Status.RESULTS_PUBLISHED,
            outcome_published_on=row.outcome_published_on,
        )
    return records


# --------------------------------------------------------------------------------------------
# The register table: filters and pages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterFilters:
    organisation_id: int | None = None
    theme_id: int | None = None
    ward_id: int | None = None
    method: str | None = None
    target_group: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None
    organisation_ids: frozenset[int] | None = None  # a fixed scope (a councillor's page)
    ward_ids: frozenset[int] | None = None  # activities touching any of these wards

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.organisation_id, self.theme_id, self.ward_id, self.method, self.target_group,
             self.status, self.date_from, self.date_to, self.text)
        )


def _touching_wards(geo: Geography, ward_ids: Iterable[int]) -> Any:
    """Activities that cover one of the wards, directly, through a district, or everywhere."""
    area_ids: set[int] = set()
    for ward_id in ward_ids:
        area_ids |= geo.ancestor_ids(ward_id)
    ea = EngagementActivity
    return or_(
        ea.is_partnership_wide.is_(True),
        exists().where(
            activity_areas.c.activity_id == ea.id, activity_areas.c.area_id.in_(area_ids)
        ),
    )


def register_query(
    partnership_ids: Iterable[int], filters: RegisterFilters, geo: Geography
) -> Select[tuple[EngagementActivity]]:
    """Activities matching the filters, newest first (no paging)."""
    ea = EngagementActivity
    query = select(ea).where(ea.partnership_id.in_(list(partnership_ids)))
    if filters.organisation_id is not None:
        query = query.where(ea.organisation_id == filters.organisation_id)
    if filters.organisation_ids is not None:
        query = query.where(ea.organisation_id.in_(filters.organisation_ids))
    if filters.theme_id is not None:
        query = query.where(
            exists().where(
                activity_themes.c.activity_id == ea.id,
                activity_themes.c.theme_id == filters.theme_id,
            )
        )
    if filters.ward_id is not None:
        query = query.where(_touching_wards(geo, [filters.ward_id]))
    if filters.ward_ids is not None:
        query = query.where(_touching_wards(geo, filters.ward_ids))
    if filters.method:
        query = query.where(ea.method == Method(filters.method))
    if filters.status:
        query = query.where(ea.status == Status(filters.status))
    if filters.target_group:
        query = query.where(
            exists().where(
                ActivityTargetGroup.activity_id == ea.id,
                ActivityTargetGroup.code == filters.target_group,
            )
        )
    if filters.date_from is not None:
        query = query.where(ea.end_date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(ea.start_date <= filters.date_to)
    if filters.text:
        query = query.where(ea.title.contains(filters.text.strip(), autoescape=True))
    return query.order_by(ea.start_date.desc(), ea.id.desc())


@dataclass(frozen=True)
class RegisterPage:
    activities: list[EngagementActivity]
    total: int
    page: int
    pages: int
    per_page: int


def register_page(query: Select[tuple[EngagementActivity]], page: int, per_page: int = 50) -> RegisterPage:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    activities = db.session.scalars(
        query.options(
            selectinload(EngagementActivity.themes),
            selectinload(EngagementActivity.areas),
            selectinload(EngagementActivity.target_group_links),
            selectinload(EngagementActivity.organisation),
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return RegisterPage(list(activities), total, page, pages, per_page)


def all_activities(query: Select[tuple[EngagementActivity]]) -> list[EngagementActivity]:
    return list(
        db.session.scalars(
            query.options(
                selectinload(EngagementActivity.themes),
                selectinload(EngagementActivity.areas),
                selectinload(EngagementActivity.target_group_links),
                selectinload(EngagementActivity.organisation),
            )
        ).all()
    )


def activities_touching_wards(
    ward_ids: set[int], partnership_ids: Iterable[int]
) -> list[EngagementActivity]:
    """Activities of the given partnerships that reach any of the wards, newest first.

    Each partnership's own geography decides what "partnership-wide" or "all of a district"
    covers, so a county-wide activity reaches a ward of a district partnership under it.
    """
    found: dict[int, EngagementActivity] = {}
    for other in db.session.scalars(select(Partnership).where(Partnership.id.in_(list(partnership_ids)))):
        geo = geography(other)
        reached = frozenset(ward_ids & geo.ward_ids)
        if not reached:
            continue
        query = register_query([other.id], RegisterFilters(ward_ids=reached), geo)
        for activity in all_activities(query):
            found[activity.id] = activity
    return sorted(found.values(), key=lambda a: (a.start_date, a.id), reverse=True)


# --------------------------------------------------------------------------------------------
# Creating and changing activities
# --------------------------------------------------------------------------------------------


@dataclass
class ActivityData:
    """What a person (or another domain) says about one activity."""

    organisation_id: int
    title: str
    start_date: date
    end_date: date
    method: Method = Method.OTHER
    description: str = ""
    theme_ids: Sequence[int] = ()
    area_ids: Sequence[int] = ()
    is_partnership_wide: bool = False
    target_groups: Sequence[str] = ()
    participants: int = 0
    cost_pence: int = 0
    status: Status = Status.PLANNED
    outcome_statement: str = ""
    outcome_url: str | None = None
    outcome_published_on: date | None = None
    is_shared_with_partners: bool = True
    contact_name: str | None = None
    contact_email: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _clean(text: str | None) -> str:
    return (text or "").strip()


def check_activity(
    partnership: Partnership, data: ActivityData, geo: Geography, *, allowed_groups: set[str]
) -> tuple[list[Theme], list[Area]]:
    """Apply the register's rules; returns the themes and areas. Raises EngageError."""
    title = " ".join(data.title.split())
    if not title:
        raise EngageError(_("Enter a title"), field="title")
    if len(title) > 200:
        raise EngageError(_("Title must be 200 characters or fewer"), field="title")
    if data.organisation_id not in {o.id for o in partner_organisations(partnership)}:
        raise EngageError(_("Choose a partner organisation from the list"), field="organisation_id")
    if data.end_date < data.start_date:
        raise EngageError(_("End date must be the same as or after the start date"), field="end_date")
    if data.participants < 0:
        raise EngageError(_("Participants must be 0 or more"), field="participants")
    if data.cost_pence < 0:
        raise EngageError(_("Cost must be £0 or more"), field="cost")
    themes_by_id = {t.id: t for t in partnership.themes}
    themes = [themes_by_id[i] for i in data.theme_ids if i in themes_by_id]
    if not themes or len(themes) != len(set(data.theme_ids)):
        raise EngageError(_("Choose at least one theme from the list"), field="theme_ids")
    areas = [geo.by_id[i] for i in data.area_ids if i in geo.by_id]
    if len(areas) != len(set(data.area_ids)):
        raise EngageError(_("Choose wards from the list"), field="area_ids")
    if not areas and not data.is_partnership_wide:
        raise EngageError(
            _("Choose the wards or districts covered, or the whole partnership"), field="area_ids"
        )
    unknown = set(data.target_groups) - allowed_groups
    if unknown:
        raise EngageError(_("Choose target groups from the list"), field="target_groups")
    url = _clean(data.outcome_url)
    if url and (not URL.match(url) or len(url) > 500):
        raise EngageError(
            _("Enter the link to the outcome as a web address starting https://"), field="outcome_url"
        )
    if data.status == Status.RESULTS_PUBLISHED and not (_clean(data.outcome_statement) or url):
        raise EngageError(
            _("Say what changed as a result (or link to it) before marking the results published"),
            field="outcome_statement",
        )
    email = _clean(data.contact_email)
    if email and (not EMAIL.match(email) or len(email) > 254):
        raise EngageError(
            _("Enter an email address in the correct format, like name@example.com"),
            field="contact_email",
        )
    return themes, areas


def _apply(
    activity: EngagementActivity,
    data: ActivityData,
    themes: list[Theme],
    areas: list[Area],
) -> None:
    activity.organisation_id = data.organisation_id
    activity.title = " ".join(data.title.split())
    activity.description = _clean(data.description)
    activity.method = Method(data.method)
    activity.start_date = data.start_date
    activity.end_date = data.end_date
    activity.participants = data.participants
    activity.cost_pence = data.cost_pence
    activity.status = Status(data.status)
    activity.outcome_statement = _clean(data.outcome_statement)
    activity.outcome_url = _clean(data.outcome_url) or None
    published_on = data.outcome_published_on
    if activity.status == Status.RESULTS_PUBLISHED and published_on is None:
        published_on = activity.outcome_published_on or utcnow().date()
    activity.outcome_published_on = published_on
    activity.is_shared_with_partners = data.is_shared_with_partners
    activity.contact_name = _clean(data.contact_name) or None
    activity.contact_email = _clean(data.contact_email).lower() or None
    activity.is_partnership_wide = data.is_partnership_wide
    activity.themes = themes
    activity.areas = [] if data.is_partnership_wide else areas
    wanted = sorted(set(data.target_groups))
    current = {link.code: link for link in activity.target_group_links}
    for code, link in current.items():
        if code not in wanted:
            activity.target_group_links.remove(link)
    for code in wanted:
        if code not in current:
            activity.target_group_links.append(ActivityTargetGroup(code=code))


def allowed_group_codes(partnership: Partnership, keep: Iterable[str] = ()) -> set[str]:
    """Active target groups, plus those an existing record already uses."""
    return {e.code for e in target_groups(partnership) if e.is_active} | set(keep)


def save_activity(
    actor_id: int | None,
    partnership: Partnership,
    data: ActivityData,
    activity: EngagementActivity | None = None,
) -> EngagementActivity:
    """Create an activity, or update one, after checking the register's rules."""
    geo = geography(partnership)
    keep = activity.target_groups if activity is not None else ()
    themes, areas = check_activity(
        partnership, data, geo, allowed_groups=allowed_group_codes(partnership, keep)
    )
    created = activity is None
    if activity is None:
        activity = EngagementActivity(partnership_id=partnership.id, created_by_id=actor_id)
        db.session.add(activity)
    _apply(activity, data, themes, areas)
    activity.updated_by_id = actor_id
    activity.updated_at = utcnow()
    db.session.flush()
    record_audit(
        "activity.created" if created else "activity.updated",
        actor_id=actor_id, target=activity, partnership_id=partnership.id,
        status=activity.status.value,
    )
    return activity


def delete_activity(actor_id: int, partnership: Partnership, activity: EngagementActivity) -> None:
    if activity.is_from_source:
        raise EngageError(_("This activity is kept up to date by Engage and cannot be deleted here"))
    record_audit("activity.deleted", actor_id=actor_id, target=activity,
                 partnership_id=partnership.id, title=activity.title)
    db.session.delete(activity)
    db.session.flush()


def upsert_activity_from_source(
    source_type: str,
    source_id: int,
    *,
    partnership: Partnership,
    data: ActivityData,
    actor_id: int | None = None,
) -> EngagementActivity:
    """Create or refresh the register entry of something run inside Engage.

    Consultations and participatory budgeting processes call this whenever they change, with
    ``source_type`` such as ``"consultation"`` or ``"budgeting"`` and their own id; the
    (source_type, source_id) pair is unique, so the entry is never duplicated. The entry is
    then read-only in the register (the source owns it).
    """
    if not source_type or len(source_type) > 40:
        raise ValueError("source_type must be 1 to 40 characters")
    activity = db.session.scalar(
        select(EngagementActivity).where(
            EngagementActivity.source_type == source_type,
            EngagementActivity.source_id == source_id,
        )
    )
    if activity is not None and activity.partnership_id != partnership.id:
        raise EngageError(_("This activity belongs to another partnership"))
    geo = geography(partnership)
    keep = set(data.target_groups)  # the source decides its own groups
    themes, areas = check_activity(partnership, data, geo, allowed_groups=keep)
    created = activity is None
    if activity is None:
        activity = EngagementActivity(
            partnership_id=partnership.id, source_type=source_type, source_id=source_id,
            created_by_id=actor_id,
        )
        db.session.add(activity)
    _apply(activity, data, themes, areas)
    activity.updated_by_id = actor_id
    activity.updated_at = utcnow()
    db.session.flush()
    if created:
        record_audit("activity.created", actor_id=actor_id, target=activity,
                     partnership_id=partnership.id, source_type=source_type, source_id=source_id)
    return activity


def refresh_sourced_activities(
    source_type: str, entries: Iterable[tuple[int, Partnership, ActivityData]]
) -> int:
    """Write the source entries whose status or participants differ from the register's (what
    changes without an edit: the clock, participation); returns how many were written. The
    other entries are left untouched (not even their updated_at)."""
    stored = {
        a.source_id: (str(a.status), a.participants)
        for a in db.session.scalars(
            select(EngagementActivity).where(EngagementActivity.source_type == source_type)
        )
    }
    updated = 0
    for source_id, partnership, data in entries:
        if stored.get(source_id) != (data.status, data.participants):
            upsert_activity_from_source(source_type, source_id, partnership=partnership,
                                        data=data)
            updated += 1
    return updated


# --------------------------------------------------------------------------------------------
# Duplicate reviews
# --------------------------------------------------------------------------------------------


def review_duplicate(
    actor_id: int,
    partnership: Partnership,
    first_id: int,
    second_id: int,
    decision: DuplicateDecision | None,
    note: str = "",
) -> DuplicateReview | None:
    """Record (or, with ``decision=None``, withdraw) a decision on a pair of activities."""
    low, high = sorted((first_id, second_id))
    if low == high:
        raise EngageError(_("Choose two different activities"))
    found = db.session.scalars(
        select(EngagementActivity.id).where(
            EngagementActivity.id.in_((low, high)),
            EngagementActivity.partnership_id == partnership.id,
        )
    ).all()
    if len(found) != 2:
        raise EngageError(_("These activities are not in this partnership's register"))
    review = db.session.scalar(
        select(DuplicateReview).where(
            DuplicateReview.first_activity_id == low, DuplicateReview.second_activity_id == high
        )
    )
    if decision is None:
        if review is not None:
            db.session.delete(review)
            record_audit("duplicate.review_withdrawn", actor_id=actor_id,
                         partnership_id=partnership.id, first=low, second=high)
        db.session.flush()
        return None
    if review is None:
        review = DuplicateReview(
            partnership_id=partnership.id, first_activity_id=low, second_activity_id=high
        )
        db.session.add(review)
    review.decision = decision
    review.note = note.strip()
    review.reviewed_by_id = actor_id
    review.reviewed_at = utcnow()
    db.session.flush()
    record_audit("duplicate.reviewed", actor_id=actor_id, target=review,
                 partnership_id=partnership.id, decision=decision.value)
    return review


def duplicate_reviews(partnership: Partnership) -> dict[tuple[int, int], DuplicateReview]:
    rows = db.session.scalars(
        select(DuplicateReview).where(DuplicateReview.partnership_id == partnership.id)
    ).all()
    return {(r.first_activity_id, r.second_activity_id): r for r in rows}


# --------------------------------------------------------------------------------------------
# Self-assessment
# --------------------------------------------------------------------------------------------


def record_rating(
    actor_id: int,
    partnership: Partnership,
    *,
    dimension: str,
    rating: Rating,
    evidence: str,
    assessed_on: date,
) -> SelfAssessmentRating:
    """Rate one dimension red, amber or green on a day, with the evidence for it."""
    if dimension not in {e.code for e in assessment_dimensions(partnership)}:
        raise EngageError(_("Choose a dimension from the list"), field="dimension")
    if assessed_on > utcnow().date():
        raise EngageError(_("The date of the assessment must be today or in the past"),
                          field="assessed_on")
    row = SelfAssessmentRating(
        partnership_id=partnership.id, dimension=dimension, rating=Rating(rating),
        evidence=evidence.strip(), assessed_on=assessed_on, assessed_by_id=actor_id,
    )
    db.session.add(row)
    db.session.flush()
    record_audit("self_assessment.rated", actor_id=actor_id, target=row,
                 partnership_id=partnership.id, dimension=dimension, rating=row.rating.value)
    return row


def ratings(partnership: Partnership) -> list[SelfAssessmentRating]:
    return list(
        db.session.scalars(
            select(SelfAssessmentRating)
            .where(SelfAssessmentRating.partnership_id == partnership.id)
            .order_by(SelfAssessmentRating.assessed_on, SelfAssessmentRating.id)
        ).all()
    )


def assessments(rows: Iterable[SelfAssessmentRating], dimensions: Iterable[str]) -> list[Assessment]:
    """Ratings as pure ``Assessment`` values (dimensions no longer configured are left out)."""
    known = set(dimensions)
    return [
        Assessment(dimension=r.dimension, rating=r.rating, assessed_on=r.assessed_on, sequence=r.id)
        for r in rows
        if r.dimension in known
    ]


# --------------------------------------------------------------------------------------------
# Personal data (UK GDPR): contact details and authorship
# --------------------------------------------------------------------------------------------


def export_audit_data(user: Any) -> dict[str, Any]:
    ea = EngagementActivity
    email = (user.email or "").lower()
    mine = db.session.scalars(
        select(ea).where(or_(ea.created_by_id == user.id, ea.contact_email == email)).order_by(ea.id)
    ).all()
    rated = db.session.scalars(
        select(SelfAssessmentRating).where(SelfAssessmentRating.assessed_by_id == user.id)
    ).all()
    return {
        "activities": [
            {
                "id": a.id, "title": a.title, "created_by_you": a.created_by_id == user.id,
                "contact_name": a.contact_name if a.contact_email == email else None,
                "contact_email": a.contact_email if a.contact_email == email else None,
            }
            for a in mine
        ],
        "self_assessment_ratings": [
            {"dimension": r.dimension, "rating": r.rating.value, "assessed_on": r.assessed_on.isoformat()}
            for r in rated
        ],
        "duplicate_reviews": [
            {"activities": [r.first_activity_id, r.second_activity_id], "decision": r.decision.value,
             "reviewed_at": r.reviewed_at.isoformat()}
            for r in db.session.scalars(
                select(DuplicateReview).where(DuplicateReview.reviewed_by_id == user.id)
            )
        ],
    }


def erase_audit_data(user: Any) -> None:
    """Remove the person as a named contact; what their organisation did stays on record."""
    email = (user.email or "").lower()
    if email:
        for activity in db.session.scalars(
            select(EngagementActivity).where(EngagementActivity.contact_email == email)
        ):
            activity.contact_name = None
            activity.contact_email = None
    db.session.flush()


register_personal_data("audit", export_audit_data, erase_audit_data)

