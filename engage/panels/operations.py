"""Citizens' panels use cases: recruit, import, set quotas, select, replace, refresh, purge.

Operations flush and never commit; views and jobs own the transaction.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from engage.accounts.models import User
from engage.core.audit_log import record_audit
from engage.core.errors import EngageError, ImportFailed, RowError
from engage.core.personal_data import register_personal_data
from engage.core.time import utcnow
from engage.extensions import db
from engage.panels import labels
from engage.panels.models import (
    SPECIAL_CATEGORY_FEATURES,
    Algorithm,
    ContactPreference,
    MemberStatus,
    Panel,
    PanelMember,
    PanelQuota,
    Selection,
    SelectionKind,
    Volunteer,
    VolunteerSource,
)
from engage.panels.pool_files import read_features_csv, read_people_csv
from engage.panels.selection import (
    InfeasibleSelectionError,
    Person,
    Quota,
    SelectionRequest,
    check_feasibility,
    quotas_from_profile,
    select_panel,
    select_replacements,
)
from engage.partnerships.labels import CATEGORY_LABELS
from engage.partnerships.models import Area, Partnership

# Children are not panel members: the census band below 16 is left out of panel quotas.
EXCLUDED_CATEGORIES = {("age_band", "0-15")}


# ---- recruitment ---------------------------------------------------------------------------


def normalise_address(address: str | None, postcode: str | None) -> str | None:
    """One key per household: lower case, punctuation and repeated spaces removed."""
    parts = [re.sub(r"[^\w ]+", " ", (text or "").lower()) for text in (address, postcode)]
    parts = [" ".join(part.split()) for part in parts]
    parts[1] = parts[1].replace(" ", "")
    if not any(parts):
        return None
    return "|".join(parts)


def feature_choices(panel: Panel) -> dict[str, list[str]]:
    """The values volunteers may give for each of the panel's features (census categories)."""
    profile = census_profile(panel.partnership)
    choices: dict[str, list[str]] = {}
    for feature in panel.features:
        known = profile.get(feature) or {
            value: 0 for (name, value) in CATEGORY_LABELS if name == feature
        }
        choices[feature] = [v for v in known if (feature, v) not in EXCLUDED_CATEGORIES]
    return choices


def sign_up_volunteer(
    panel: Panel,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    address: str | None,
    postcode: str | None,
    ward: Area | None,
    demographics: dict[str, str],
    special_category_consent: bool,
    source: VolunteerSource,
    contact_preference: ContactPreference = ContactPreference.EMAIL,
    user: User | None = None,
    actor_id: int | None = None,
) -> Volunteer:
    """Add someone to the pool (online, or keyed in by staff). Special-category answers are
    kept only with explicit consent; one volunteer per household when the panel says so."""
    if not panel.is_recruiting and source == VolunteerSource.ONLINE:
        raise EngageError(_("This panel is not recruiting at the moment."))
    household = normalise_address(address, postcode)
    if panel.is_one_per_household and household is not None:
        taken = db.session.scalar(
            select(Volunteer.id).where(
                Volunteer.panel_id == panel.id, Volunteer.household_key == household
            )
        )
        if taken is not None:
            raise EngageError(
                _("Someone at this address has already volunteered: one person per household."),
                field="address",
            )
    kept = {
        feature: value
        for feature, value in demographics.items()
        if value
        and feature in panel.features
        and (special_category_consent or feature not in SPECIAL_CATEGORY_FEATURES)
    }
    volunteer = Volunteer(
        panel=panel,
        reference="pending",
        user_id=user.id if user is not None else None,
        name=name,
        email=email or None,
        phone=phone or None,
        address=address or None,
        postcode=(postcode or "").upper().strip() or None,
        household_key=household,
        ward=ward,
        demographics=kept,
        is_special_category_consented=special_category_consent,
        source=source,
        contact_preference=contact_preference,
    )
    db.session.add(volunteer)
    db.session.flush()
    volunteer.reference = f"V{volunteer.id:06d}"
    record_audit(
        "panels.volunteer_added",
        actor_id=actor_id,
        target=volunteer,
        partnership_id=panel.partnership_id,
        source=str(source),
    )
    db.session.flush()
    return volunteer


def import_pool(
    panel: Panel, people_data: bytes, features_data: bytes, *, actor_id: int | None
) -> int:
    """Import a Sortition Foundation pool (people file + features file), all or nothing.

    The features file replaces the panel's quotas and features. People already imported (same
    id) are left as they are, so the same file twice adds nobody. Returns how many were added.
    """
    features = read_features_csv(features_data)
    if not features.ok:
        raise ImportFailed(_row_errors(features.issues, _("Features file")))
    address_columns = _present_columns(people_data, ("address_line_1", "postcode"))
    contact_columns = _present_columns(people_data, CONTACT_COLUMNS)
    people = read_people_csv(people_data, features.quotas, address_columns=address_columns,
                             columns_to_keep=contact_columns)
    if not people.ok:
        raise ImportFailed(_row_errors(people.issues, _("People file")))
    feature_names = list(dict.fromkeys(q.feature for q in features.quotas))
    panel.features = feature_names
    _replace_quotas(panel, features.quotas)
    existing = set(
        db.session.scalars(select(Volunteer.reference).where(Volunteer.panel_id == panel.id))
    )
    added = 0
    for record in people.records:
        person = record.person
        if person.id in existing:
            continue
        extra = {column.lower(): value.strip() for column, value in record.extra}
        address = ", ".join(
            filter(None, [extra.get("address_line_1"), extra.get("address_line_2")])
        )
        volunteer = Volunteer(
            panel=panel,
            reference=person.id,
            name=" ".join(
                filter(None, [extra.get("first_name", ""), extra.get("last_name", "")])
            )
            or person.id,
            email=extra.get("email") or None,
            phone=(extra.get("phone") or extra.get("mobile_number") or "")[:40] or None,
            address=address[:400] or None,
            postcode=(extra.get("postcode") or "").upper()[:12] or None,
            household_key=person.household,
            demographics=dict(person.features),
            # the partnership collected the file under its own consent
            is_special_category_consented=True,
            source=VolunteerSource.IMPORT,
        )
        db.session.add(volunteer)
        existing.add(person.id)
        added += 1
    record_audit(
        "panels.pool_imported",
        actor_id=actor_id,
        target=panel,
        partnership_id=panel.partnership_id,
        added=added,
    )
    db.session.flush()
    return added


# Contact columns of a Sortition Foundation people file, kept when present.
CONTACT_COLUMNS = ("first_name", "last_name", "email", "phone", "mobile_number",
                   "address_line_1", "address_line_2", "postcode")


def _present_columns(people_data: bytes, wanted: tuple[str, ...]) -> tuple[str, ...]:
    header = people_data.decode("utf-8-sig", errors="replace").splitlines()[:1]
    columns = [c.strip().strip('"').lower() for c in header[0].split(",")] if header else []
    return tuple(c for c in wanted if c in columns)


def _row_errors(issues: Any, file_label: str) -> list[RowError]:
    return [
        RowError(
            issue.row,
            issue.column,
            _("%(file)s: %(problem)s", file=file_label,
              problem=labels.file_issue_message(issue.as_dict())),
        )
        for issue in issues
    ]


def update_panel_settings(
    panel: Panel,
    *,
    name: str,
    size: int,
    features: list[str],
    is_recruiting: bool,
    is_one_per_household: bool,
    retention_days: int,
    actor_id: int | None,
) -> None:
    """Change a panel's settings. Quotas of features no longer asked about are removed;
    the answers volunteers already gave are kept (the pool page shows them)."""
    if not features:
        raise EngageError(_("Choose at least one question to ask volunteers."), field="features")
    if size < 1:
        raise EngageError(_("Enter the number of members"), field="size")
    if retention_days < 1:
        raise EngageError(_("Enter the number of days to keep unselected volunteers' details."),
                          field="retention_days")
    removed = set(panel.features) - set(features)
    panel.name, panel.size, panel.features = name, size, list(features)
    panel.is_recruiting, panel.is_one_per_household = is_recruiting, is_one_per_household
    panel.retention_days = retention_days
    for quota in [q for q in panel.quotas if q.feature in removed]:
        panel.quotas.remove(quota)
    record_audit(
        "panels.settings_changed", actor_id=actor_id, target=panel,
        partnership_id=panel.partnership_id,
    )
    db.session.flush()


# ---- quotas --------------------------------------------------------------------------------


def census_profile(partnership: Partnership) -> dict[str, dict[str, int]]:
    """Census counts per feature for the partnership's areas (summed over wards if need be)."""
    totals: dict[str, dict[str, int]] = {}
    for area in partnership.areas:
        profile = area.profile()
        sources = [profile] if profile else [ward.profile() for ward in area.wards()]
        for source in sources:
            for feature, counts in source.items():
                for value, count in counts.items():
                    bucket = totals.setdefault(feature, {})
                    bucket[value] = bucket.get(value, 0) + count
    return totals


def _replace_quotas(panel: Panel, quotas: tuple[Quota, ...] | list[Quota]) -> None:
    panel.quotas.clear()
    db.session.flush()
    for quota in quotas:
        panel.quotas.append(
            PanelQuota(
                feature=quota.feature, value=quota.value, minimum=quota.min, maximum=quota.max
            )
        )
    db.session.flush()


def set_quotas_from_census(panel: Panel, tolerance: int, *, actor_id: int | None) -> None:
    """Targets per value from the census profile for the panel size, ± the tolerance."""
    profile = census_profile(panel.partnership)
    wanted = {
        feature: {
            value: count
            for value, count in profile[feature].items()
            if (feature, value) not in EXCLUDED_CATEGORIES
        }
        for feature in panel.features
        if feature in profile
    }
    if not wanted:
        raise EngageError(_("The area has no census profile for the panel's features."))
    panel.tolerance = tolerance
    _replace_quotas(panel, list(quotas_from_profile(wanted, panel.size, tolerance)))
    record_audit(
        "panels.quotas_set", actor_id=actor_id, target=panel, partnership_id=panel.partnership_id
    )


def set_quota(panel: Panel, quota: PanelQuota, minimum: int, maximum: int) -> None:
    """Change one quota by hand."""
    if minimum < 0 or maximum < minimum:
        raise EngageError(_("The maximum must be at least the minimum."), field="maximum")
    if maximum > panel.size:
        raise EngageError(_("The maximum cannot be more than the panel size."), field="maximum")
    quota.minimum, quota.maximum = minimum, maximum
    db.session.flush()


def engine_quotas(panel: Panel) -> tuple[Quota, ...]:
    return tuple(Quota(q.feature, q.value, q.minimum, q.maximum) for q in panel.quotas)


def engine_people(volunteers: list[Volunteer], features: list[str]) -> tuple[Person, ...]:
    return tuple(
        Person(
            v.reference,
            tuple((f, str(v.demographics.get(f, ""))) for f in features if f in v.demographics),
            v.household_key,
        )
        for v in volunteers
    )


def _pool(panel: Panel) -> list[Volunteer]:
    return list(
        db.session.scalars(
            select(Volunteer).where(Volunteer.panel_id == panel.id).order_by(Volunteer.id)
        )
    )


def feasibility_messages(panel: Panel) -> list[str]:
    """Empty when a panel can be selected; otherwise plain sentences saying why not."""
    quotas = engine_quotas(panel)
    if not quotas:
        return [_("Set the quotas first.")]
    features = list(dict.fromkeys(q.feature for q in quotas))
    # volunteers without every quota feature (no consent, or no answer) cannot be selected
    pool = [v for v in _pool(panel) if all(f in v.demographics for f in features)]
    report = check_feasibility(
        engine_people(pool, features),
        quotas,
        panel.size,
        respect_households=panel.is_one_per_household,
    )
    return [labels.feasibility_message(issue) for issue in report.as_dicts()]


# ---- selection -----------------------------------------------------------------------------


def select_members(
    panel: Panel, algorithm: Algorithm, seed: int, *, actor_id: int | None
) -> Selection:
    """Run the engine on the whole pool and store the Selection and invited PanelMembers."""
    quotas = engine_quotas(panel)
    features = list(dict.fromkeys(q.feature for q in quotas))
    pool = [v for v in _pool(panel) if all(f in v.demographics for f in features)]
    try:
        result = select_panel(
            SelectionRequest(
                people=engine_people(pool, features),
                quotas=quotas,
                k=panel.size,
                seed=seed,
                algorithm=algorithm.value,  # type: ignore[arg-type]
                respect_households=panel.is_one_per_household,
            )
        )
    except InfeasibleSelectionError as error:
        raise EngageError(
            " ".join(labels.feasibility_message(i) for i in error.report.as_dicts())
        ) from error
    for member in panel.members:
        if member.status != MemberStatus.WITHDRAWN:
            member.status = MemberStatus.WITHDRAWN
            member.withdrawn_at = utcnow()
    selection = _store_selection(
        panel, SelectionKind.INITIAL, algorithm, seed, quotas, result, len(pool), actor_id
    )
    _add_members(panel, selection, result.panel, pool)
    return selection


def _store_selection(
    panel: Panel,
    kind: SelectionKind,
    algorithm: Algorithm,
    seed: int,
    quotas: tuple[Quota, ...],
    result: Any,
    pool_size: int,
    actor_id: int | None,
) -> Selection:
    selection = Selection(
        panel=panel,
        kind=kind,
        algorithm=algorithm,
        seed=seed,
        size=len(result.panel) if kind != SelectionKind.INITIAL else panel.size,
        quotas_used=[
            {"feature": q.feature, "value": q.value, "min": q.min, "max": q.max} for q in quotas
        ],
        probabilities={pid: round(p, 6) for pid, p in result.probabilities},
        is_probability_estimated=result.probabilities_estimated,
        selected=list(result.panel),
        pool_size=pool_size,
        created_by_id=actor_id,
    )
    db.session.add(selection)
    db.session.flush()
    record_audit(
        "panels.selected",
        actor_id=actor_id,
        target=selection,
        partnership_id=panel.partnership_id,
        algorithm=str(algorithm),
        seed=seed,
    )
    return selection


def _add_members(
    panel: Panel, selection: Selection, references: tuple[str, ...], pool: list[Volunteer]
) -> None:
    by_reference = {v.reference: v for v in pool}
    existing = {m.volunteer_id: m for m in panel.members}
    for reference in references:
        volunteer = by_reference[reference]
        member = existing.get(volunteer.id)
        if member is None:
            panel.members.append(
                PanelMember(volunteer=volunteer, selection=selection, status=MemberStatus.INVITED)
            )
        else:
            member.selection = selection
            member.status = MemberStatus.INVITED
            member.invited_at, member.withdrawn_at = utcnow(), None
    db.session.flush()


def current_members(panel: Panel) -> list[PanelMember]:
    return [m for m in panel.members if m.status != MemberStatus.WITHDRAWN]


def set_member_status(member: PanelMember, status: MemberStatus, *, actor_id: int | None) -> None:
    """Invited → active (accepted), or withdrawn (left the panel)."""
    member.status = status
    if status == MemberStatus.ACTIVE:
        member.joined_at = member.joined_at or utcnow()
    if status == MemberStatus.WITHDRAWN:
        member.withdrawn_at = utcnow()
    record_audit(
        "panels.member_status",
        actor_id=actor_id,
        target=member,
        partnership_id=member.panel.partnership_id,
        status=str(status),
    )
    db.session.flush()


def replace_withdrawn(
    panel: Panel,
    seed: int,
    *,
    actor_id: int | None,
    kind: SelectionKind = SelectionKind.REPLACEMENT,
) -> Selection | None:
    """Fill the places of withdrawn members from the rest of the pool, keeping quotas met.

    Everyone who has ever been on the panel is passed to the engine as a panel member, the
    withdrawn ones as leaving, so nobody who left is chosen again."""
    quotas = engine_quotas(panel)
    features = list(dict.fromkeys(q.feature for q in quotas))
    pool = [v for v in _pool(panel) if all(f in v.demographics for f in features)]
    everyone = [m.volunteer.reference for m in panel.members]
    withdrawn = [
        m.volunteer.reference for m in panel.members if m.status == MemberStatus.WITHDRAWN
    ]
    if len(everyone) - len(withdrawn) >= panel.size:
        return None
    try:
        result = select_replacements(
            engine_people(pool, features),
            everyone,
            withdrawn,
            quotas,
            panel.size,
            seed,
            respect_households=panel.is_one_per_household,
        )
    except InfeasibleSelectionError as error:
        raise EngageError(
            " ".join(labels.feasibility_message(i) for i in error.report.as_dicts())
        ) from error
    if result.selection is None:
        return None
    selection = _store_selection(
        panel,
        kind,
        Algorithm.LEXIMIN,
        seed,
        result.adjusted_quotas,
        result.selection,
        len(pool) - len(everyone),
        actor_id,
    )
    _add_members(panel, selection, result.replacements, pool)
    return selection


def refresh_panel(
    panel: Panel, share_percent: int, seed: int, *, actor_id: int | None
) -> Selection | None:
    """A refresh round: a share of current members (chosen at random by the seed) step down
    and are replaced from the pool, keeping quotas met."""
    if not 1 <= share_percent <= 100:
        raise EngageError(_("Enter a share between 1 and 100 per cent."), field="share")
    members = sorted(current_members(panel), key=lambda m: m.volunteer.reference)
    count = max(1, round(len(members) * share_percent / 100))
    leaving = random.Random(seed).sample(members, min(count, len(members)))  # noqa: S311
    for member in leaving:
        member.status = MemberStatus.WITHDRAWN
        member.withdrawn_at = utcnow()
    db.session.flush()
    return replace_withdrawn(panel, seed, actor_id=actor_id, kind=SelectionKind.REFRESH)


# ---- reports -------------------------------------------------------------------------------


def representativeness(panel: Panel) -> list[dict[str, Any]]:
    """Per feature and value: share of the panel, of the pool and of the census (per cent)."""
    census = census_profile(panel.partnership)
    pool = _pool(panel)
    members = [m.volunteer for m in current_members(panel)]
    rows: list[dict[str, Any]] = []
    for feature in panel.features:
        values = [
            v for v in census.get(feature, {}) if (feature, v) not in EXCLUDED_CATEGORIES
        ] or sorted({str(v.demographics.get(feature)) for v in pool if feature in v.demographics})
        census_total = sum(census.get(feature, {}).get(v, 0) for v in values)
        pool_counts = Counter(v.demographics.get(feature) for v in pool)
        panel_counts = Counter(v.demographics.get(feature) for v in members)
        pool_total = sum(pool_counts[v] for v in values)
        panel_total = sum(panel_counts[v] for v in values)
        for value in values:
            rows.append(
                {
                    "feature": feature,
                    "value": value,
                    "panel_count": panel_counts[value],
                    "pool_count": pool_counts[value],
                    "panel": _percent(panel_counts[value], panel_total),
                    "pool": _percent(pool_counts[value], pool_total),
                    "census": _percent(census.get(feature, {}).get(value, 0), census_total),
                }
            )
    return rows


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def attrition(panel: Panel) -> list[dict[str, Any]]:
    """Members by selection round: how many were invited, are active, and have withdrawn."""
    rows = []
    for selection in panel.selections:
        members = [m for m in panel.members if m.selection_id == selection.id]
        rows.append(
            {
                "selection": selection,
                "invited": sum(m.status == MemberStatus.INVITED for m in members),
                "active": sum(m.status == MemberStatus.ACTIVE for m in members),
                "withdrawn": sum(m.status == MemberStatus.WITHDRAWN for m in members),
            }
        )
    return rows


# Selection probability bands for the selection report: (low, high) in per cent.
PROBABILITY_BANDS = tuple((low, low + 10) for low in range(0, 100, 10))


def selection_summary(selection: Selection, threshold: int) -> dict[str, Any]:
    """Aggregates of a selection for its report: no personal data.

    The distribution of selection probabilities is a count per 10-point band, with
    counts below the disclosure threshold suppressed (primary and secondary)."""
    from engage.disclosure import suppress_series

    values = sorted(selection.probabilities.values())
    counts = [0] * len(PROBABILITY_BANDS)
    for value in values:
        counts[min(int(value * 10), len(PROBABILITY_BANDS) - 1)] += 1
    bands = suppress_series(counts, threshold)
    chosen = set(selection.selected)
    members = [
        v for v in db.session.scalars(
            select(Volunteer).where(Volunteer.panel_id == selection.panel_id)
        ) if v.reference in chosen
    ]
    quotas = [
        {**q, "selected": sum(v.demographics.get(q["feature"]) == q["value"] for v in members)}
        for q in selection.quotas_used
    ]
    median = (
        (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2 if values else 0.0
    )
    return {
        "minimum": values[0] if values else 0.0,
        "median": median,
        "maximum": values[-1] if values else 0.0,
        "total": round(sum(values), 3),
        "bands": [
            {"low": low, "high": high, "count": count}
            for (low, high), count in zip(PROBABILITY_BANDS, bands.cells, strict=True)
        ],
        "quotas": quotas,
        "threshold": threshold,
    }


def survey_response_rates(panel: Panel, threshold: int) -> list[dict[str, Any]]:
    """Panel surveys (the partnership's consultations put to the panel) and who answered.

    A member has answered when a submitted response is linked to their account. Rates per
    group (each value of each of the panel's features) are withheld where the group or the
    number answering is below the disclosure threshold. Empty when consultations are not
    installed."""
    try:
        from engage.consultations.models import (
            Audience,
            Consultation,
            Response,
            ResponseStatus,
        )
    except ImportError:  # pragma: no cover - the consultations domain is part of Engage
        return []
    from engage.disclosure import publish_share

    members = [m.volunteer for m in current_members(panel)]
    surveys = db.session.scalars(
        select(Consultation)
        .where(
            Consultation.partnership_id == panel.partnership_id,
            Consultation.audience == Audience.PANEL,
        )
        .order_by(Consultation.id)
    )
    rows: list[dict[str, Any]] = []
    for survey in surveys:
        submitted = list(db.session.execute(
            select(Response.user_id).where(
                Response.consultation_id == survey.id,
                Response.status == ResponseStatus.SUBMITTED,
            )
        ).scalars())
        answered_users = {u for u in submitted if u is not None}
        answered = [v for v in members if v.user_id is not None and v.user_id in answered_users]
        groups = []
        for feature in panel.features:
            for value in sorted({str(v.demographics[feature]) for v in members
                                 if feature in v.demographics}):
                in_group = [v for v in members if v.demographics.get(feature) == value]
                share = publish_share(
                    sum(v in answered for v in in_group), len(in_group), threshold,
                    suppress_small_numerators=True,
                )
                groups.append({"feature": feature, "value": value, "share": share})
        rows.append({
            "survey": survey,
            "responses": len(submitted),
            "members": len(members),
            "answered": len(answered),
            "rate": publish_share(len(answered), len(members), 1).share,
            "groups": groups,
        })
    return rows


def record_demographics_view(panel: Panel, *, actor_id: int | None, what: str) -> None:
    """Audit that someone looked at volunteers' demographics (never the values themselves)."""
    record_audit(
        "panels.demographics_viewed",
        actor_id=actor_id,
        target=panel,
        partnership_id=panel.partnership_id,
        view=what,
    )


# ---- membership and consultations ----------------------------------------------------------


def is_active_panel_member(user: Any, partnership: Partnership) -> bool:
    """Whether the signed-in user is an active (or invited) member of one of the
    partnership's panels: the audience of "panel members only" consultations."""
    user_id = getattr(user, "id", None)
    if user_id is None or not getattr(user, "is_authenticated", False):
        return False
    found = db.session.scalar(
        select(PanelMember.id)
        .join(Volunteer, PanelMember.volunteer_id == Volunteer.id)
        .join(Panel, PanelMember.panel_id == Panel.id)
        .where(
            Volunteer.user_id == user_id,
            Panel.partnership_id == partnership.id,
            PanelMember.status.in_([MemberStatus.ACTIVE, MemberStatus.INVITED]),
        )
        .limit(1)
    )
    return found is not None


# ---- retention -----------------------------------------------------------------------------


def purge_unselected(now: datetime | None = None) -> int:
    """Delete the personal data of volunteers never selected, once their panel's retention
    period since sign-up has passed. Members (current or former) are kept. Safe to repeat."""
    now = now or utcnow()
    removed = 0
    for panel in db.session.scalars(select(Panel).order_by(Panel.id)):
        cutoff = now - timedelta(days=panel.retention_days)
        selected_ids = {m.volunteer_id for m in panel.members}
        for volunteer in list(panel.volunteers):
            if volunteer.id in selected_ids or volunteer.created_at > cutoff:
                continue
            panel.volunteers.remove(volunteer)
            db.session.delete(volunteer)
            removed += 1
        if removed:
            record_audit(
                "panels.purged", actor_id=None, target=panel, partnership_id=panel.partnership_id
            )
    db.session.flush()
    return removed


def _export(user: Any) -> dict[str, Any]:
    volunteers = db.session.scalars(select(Volunteer).where(Volunteer.user_id == user.id))
    return {
        "volunteers": [
            {
                "panel": v.panel.name,
                "name": v.name,
                "email": v.email,
                "phone": v.phone,
                "address": v.address,
                "postcode": v.postcode,
                "demographics": dict(v.demographics),
                "signed_up_at": v.created_at.isoformat(),
                "member_status": [
                    str(m.status) for m in v.panel.members if m.volunteer_id == v.id
                ],
            }
            for v in volunteers
        ]
    }


def erase_volunteer(volunteer: Volunteer, *, actor_id: int | None) -> None:
    """Withdraw someone and erase their personal data (on request, or with their account).

    Someone never selected is deleted outright. A (former) member's seat is kept for the
    panel's history and for replacements (which need its category), without the person:
    name, contact details, address and the link to their account are removed, and they
    are withdrawn from the panel."""
    panel = volunteer.panel
    member = next((m for m in panel.members if m.volunteer_id == volunteer.id), None)
    record_audit(
        "panels.volunteer_erased",
        actor_id=actor_id,
        target=panel,
        partnership_id=panel.partnership_id,
        reference=volunteer.reference,
    )
    if member is None:
        panel.volunteers.remove(volunteer)
        db.session.delete(volunteer)
        db.session.flush()
        return
    if member.status != MemberStatus.WITHDRAWN:
        member.status = MemberStatus.WITHDRAWN
        member.withdrawn_at = utcnow()
    volunteer.name = "—"
    volunteer.email = volunteer.phone = volunteer.address = volunteer.postcode = None
    volunteer.household_key = None
    volunteer.user_id = None
    volunteer.ward = None
    db.session.flush()


def _erase(user: Any) -> None:
    for volunteer in list(
        db.session.scalars(select(Volunteer).where(Volunteer.user_id == user.id))
    ):
        erase_volunteer(volunteer, actor_id=user.id)
    db.session.flush()


register_personal_data("panels", _export, _erase)
