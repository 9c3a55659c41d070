"""Strategy drafts: generate, edit (every save a version), comment, indicators, status, exports.

Operations flush and never commit; the view (or job) commits once.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.core.audit_log import record_audit
from engage.core.errors import EngageError
from engage.core.personal_data import register_personal_data
from engage.core.time import utcnow
from engage.extensions import db
from engage.partnerships.models import Organisation, Partnership
from engage.priorities.operations import save_snapshot
from engage.priorities.pipeline import PriorityPicture, today
from engage.strategy.generation import generate_sections, suggest_indicators
from engage.strategy.models import (
    DraftStatus,
    ExportFormat,
    IndicatorUpdate,
    Rag,
    SectionKind,
    StrategyComment,
    StrategyDraft,
    StrategyExport,
    StrategyIndicator,
    StrategySection,
    StrategyVersion,
)

MAX_BODY = 50_000


def babel_locale(language: str) -> str:
    """The Babel locale for a language code (English is formatted the British way)."""
    return "cy" if language == "cy" else "en_GB"


TRANSITIONS = {
    DraftStatus.DRAFT: {DraftStatus.CONSULTATION},
    DraftStatus.CONSULTATION: {DraftStatus.DRAFT, DraftStatus.ADOPTED},
    DraftStatus.ADOPTED: set(),
}


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}"


def with_unit(number: str, unit: str | None) -> str:
    """A figure with its unit: "40%", "400 homes"."""
    unit = (unit or "").strip()
    if not unit:
        return number
    return f"{number}{unit}" if unit.startswith("%") else f"{number} {unit}"


def indicator_line(indicator: StrategyIndicator) -> str:
    """An indicator as one language-neutral line (what versions keep and compare)."""
    lead = indicator.lead_organisation.name if indicator.lead_organisation else "–"
    baseline = (
        with_unit(_number(indicator.baseline), indicator.unit)
        if indicator.baseline is not None
        else "–"
    )
    target = (
        with_unit(_number(indicator.target), indicator.unit)
        if indicator.target is not None
        else "–"
    )
    return (
        f"{indicator.name} · {baseline} ({indicator.baseline_year or '–'}) → "
        f"{target} ({indicator.target_year or '–'}) · {lead}"
    )


def draft_content(draft: StrategyDraft) -> dict[str, Any]:
    """The draft as plain data, as a version keeps it."""
    return {
        "title": draft.title,
        "period": [draft.period_start, draft.period_end],
        "sections": [
            {
                "key": section.key,
                "kind": section.kind.value,
                "title": section.title,
                "body": section.body,
                "indicators": [
                    indicator_line(i) for i in draft.indicators if i.section_id == section.id
                ],
            }
            for section in draft.sections
        ],
    }


def record_version(
    actor_id: int | None, draft: StrategyDraft, note: str | None = None
) -> StrategyVersion:
    """Keep the draft as it is now as its next version."""
    db.session.flush()
    db.session.refresh(draft, ["sections", "indicators", "versions"])
    number = (
        db.session.scalar(
            select(func.max(StrategyVersion.number)).where(StrategyVersion.draft_id == draft.id)
        )
        or 0
    ) + 1
    version = StrategyVersion(
        draft=draft,
        number=number,
        note=(note or "").strip()[:300] or None,
        content=draft_content(draft),
        created_by_id=actor_id,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _check_period(period_start: int, period_end: int) -> None:
    if not 2000 <= period_start <= 2100:
        raise EngageError(_("Enter the first year, for example 2027"), field="period_start")
    if not period_start < period_end <= period_start + 30:
        raise EngageError(
            _("The last year must be after the first, and at most 30 years later"),
            field="period_end",
        )


def create_draft(
    actor: User,
    picture: PriorityPicture,
    *,
    title: str,
    period_start: int,
    period_end: int,
    language: str,
    threshold: int,
) -> StrategyDraft:
    """A new draft from the partnership's current priorities, kept as a snapshot; version 1."""
    partnership = picture.partnership
    if not title.strip():
        raise EngageError(_("Enter a title"), field="title")
    _check_period(period_start, period_end)
    if language not in ("en", "cy"):
        raise EngageError(_("Choose the language of the draft"), field="language")
    with force_locale(babel_locale(language)):
        label = _("For the strategy %(title)s", title=title.strip())
    snapshot = save_snapshot(actor.id, picture, label)
    draft = StrategyDraft(
        partnership=partnership,
        title=title.strip(),
        period_start=period_start,
        period_end=period_end,
        language=language,
        snapshot=snapshot,
        created_by_id=actor.id,
    )
    db.session.add(draft)
    with force_locale(babel_locale(language)):
        specs = generate_sections(picture, language, threshold)
        suggestions = suggest_indicators(picture, threshold)
    sections: dict[str, StrategySection] = {}
    for position, spec in enumerate(specs):
        section = StrategySection(
            key=spec.key,
            kind=SectionKind(spec.kind),
            position=position,
            title=spec.title,
            body=spec.body,
            theme=spec.theme,
            area=spec.area,
        )
        draft.sections.append(section)
        sections[spec.key] = section
    db.session.flush()
    for position, suggestion in enumerate(suggestions):
        draft.indicators.append(
            StrategyIndicator(
                section=sections.get(suggestion.section_key),
                theme=suggestion.theme,
                position=position,
                name=suggestion.name[:300],
                unit=suggestion.unit,
                baseline=suggestion.baseline,
                baseline_year=suggestion.baseline_year,
                is_higher_better=suggestion.is_higher_better,
                lead_organisation_id=suggestion.lead_organisation_id,
                source_ref=suggestion.source_ref,
            )
        )
    db.session.flush()
    record_audit(
        "strategy.draft_created",
        actor_id=actor.id,
        partnership_id=partnership.id,
        target=draft,
        snapshot_id=snapshot.id,
    )
    with force_locale(babel_locale(language)):
        note = _("Generated from the priorities of %(date)s", date=picture.as_of.isoformat())
    record_version(actor.id, draft, note)
    return draft


def _editable(draft: StrategyDraft) -> None:
    if not draft.is_editable:
        raise EngageError(_("An adopted strategy cannot be changed"), field="body")


def save_section(
    actor_id: int, section: StrategySection, *, title: str, body: str, note: str | None = None
) -> StrategyVersion:
    """Change a section's title and text; the draft gets a new version."""
    _editable(section.draft)
    if not title.strip():
        raise EngageError(_("Enter a title for the section"), field="title")
    if len(body) > MAX_BODY:
        raise EngageError(_("The text can be at most 50,000 characters"), field="body")
    section.title = title.strip()[:200]
    section.body = body.replace("\r\n", "\n")
    section.updated_at = utcnow()
    version = record_version(actor_id, section.draft, note)
    record_audit(
        "strategy.section_saved",
        actor_id=actor_id,
        partnership_id=section.draft.partnership_id,
        target=section,
        version=version.number,
    )
    return version


def add_comment(
    actor: User, section: StrategySection, body: str, organisation: Organisation | None
) -> StrategyComment:
    if not body.strip():
        raise EngageError(_("Enter your comment"), field="body")
    if len(body) > 5000:
        raise EngageError(_("The comment can be at most 5,000 characters"), field="body")
    latest = section.draft.latest_version
    comment = StrategyComment(
        section=section,
        author_id=actor.id,
        organisation=organisation,
        version_number=latest.number if latest else 1,
        body=body.strip(),
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def resolve_comment(actor_id: int, comment: StrategyComment) -> None:
    comment.resolved_at = utcnow()
    comment.resolved_by_id = actor_id
    db.session.flush()


def save_indicator(
    actor_id: int,
    draft: StrategyDraft,
    *,
    section: StrategySection | None,
    name: str,
    unit: str,
    baseline: float | None,
    baseline_year: int | None,
    target: float | None,
    target_year: int | None,
    is_higher_better: bool,
    lead_organisation: Organisation | None,
    indicator: StrategyIndicator | None = None,
) -> StrategyIndicator:
    """Add or change an indicator; the draft gets a new version."""
    _editable(draft)
    if not name.strip():
        raise EngageError(_("Enter the name of the indicator"), field="name")
    for field, value in (("baseline", baseline), ("target", target)):
        if value is not None and not math.isfinite(value):
            raise EngageError(_("Enter a number"), field=field)
    for field, year in (("baseline_year", baseline_year), ("target_year", target_year)):
        if year is not None and not 1990 <= year <= 2100:
            raise EngageError(_("Enter a year, for example 2030"), field=field)
    if section is not None and section.draft_id != draft.id:
        raise EngageError(_("Choose a section of this draft"), field="section")
    with db.session.no_autoflush:
        created = indicator is None
        if indicator is None:
            indicator = StrategyIndicator(position=len(draft.indicators))
            db.session.add(indicator)
        indicator.section = section
        indicator.theme = section.theme if section is not None else None
        indicator.name = name.strip()[:300]
        indicator.unit = (unit or "").strip()[:40]
        indicator.baseline = baseline
        indicator.baseline_year = baseline_year
        indicator.target = target
        indicator.target_year = target_year
        indicator.is_higher_better = is_higher_better
        indicator.lead_organisation = lead_organisation
        if created:
            draft.indicators.append(indicator)
    db.session.flush()
    record_version(actor_id, draft, None)
    return indicator


def delete_indicator(actor_id: int, indicator: StrategyIndicator) -> None:
    draft = indicator.draft
    _editable(draft)
    draft.indicators.remove(indicator)
    db.session.delete(indicator)
    db.session.flush()
    record_version(actor_id, draft, None)


def record_update(
    actor: User,
    indicator: StrategyIndicator,
    *,
    reported_on: date,
    value: float | None,
    status: Rag,
    commentary: str | None,
    organisation: Organisation | None,
) -> IndicatorUpdate:
    """The lead partner's periodic report: value, red/amber/green, commentary."""
    if reported_on > today():
        raise EngageError(_("The date must be today or in the past"), field="reported_on")
    if value is not None and not math.isfinite(value):
        raise EngageError(_("Enter a number"), field="value")
    update = IndicatorUpdate(
        indicator=indicator,
        reported_on=reported_on,
        value=value,
        status=status,
        commentary=(commentary or "").strip() or None,
        reported_by_id=actor.id,
        organisation=organisation,
    )
    db.session.add(update)
    db.session.flush()
    record_audit(
        "strategy.indicator_update",
        actor_id=actor.id,
        partnership_id=indicator.draft.partnership_id,
        target=indicator,
        status=status.value,
    )
    return update


def change_status(actor: User, draft: StrategyDraft, status: DraftStatus) -> str | None:
    """Move a draft on: draft → out for consultation → adopted (or back to draft).

    Going out for consultation opens a consultation on the draft when the consultations
    domain is installed; returns its reference (None without one).
    """
    if status not in TRANSITIONS[draft.status]:
        raise EngageError(
            _("The draft cannot move to that status from where it is"), field="status"
        )
    previous = draft.status
    draft.status = status
    draft.status_changed_at = utcnow()
    reference: str | None = None
    if status == DraftStatus.CONSULTATION:
        from engage.strategy.consultation_link import open_consultation_on

        reference = open_consultation_on(actor, draft)
        if reference:
            draft.consultation_ref = reference
    if status == DraftStatus.ADOPTED:
        draft.adopted_on = today()
    record_audit(
        "strategy.status_changed",
        actor_id=actor.id,
        partnership_id=draft.partnership_id,
        target=draft,
        previous=previous.value,
        status=status.value,
        consultation=reference,
    )
    db.session.flush()
    return reference


def store_export(
    actor_id: int | None,
    draft: StrategyDraft,
    fmt: ExportFormat,
    language: str,
    content: bytes,
    filename: str,
) -> StrategyExport:
    latest = draft.latest_version
    export = StrategyExport(
        draft=draft,
        version_number=latest.number if latest else 0,
        format=fmt,
        language=language,
        filename=filename,
        content=content,
        size=len(content),
        created_by_id=actor_id,
    )
    db.session.add(export)
    db.session.flush()
    return export


# --------------------------------------------------------------------------- personal data


def _export_personal(user: Any) -> dict[str, Any]:
    comments = db.session.scalars(
        select(StrategyComment).where(StrategyComment.author_id == user.id)
    ).all()
    updates = db.session.scalars(
        select(IndicatorUpdate).where(IndicatorUpdate.reported_by_id == user.id)
    ).all()
    return {
        "comments": [
            {
                "draft": c.section.draft.title,
                "section": c.section.title,
                "comment": c.body,
                "at": c.created_at.isoformat(),
            }
            for c in comments
        ],
        "indicator_updates": [
            {
                "indicator": u.indicator.name,
                "reported_on": u.reported_on.isoformat(),
                "status": u.status.value,
                "commentary": u.commentary,
            }
            for u in updates
        ],
    }


def _erase_personal(user: Any) -> None:
    """Comments and reports are the partnership's record: they stay, unlinked from the person."""
    for comment in db.session.scalars(
        select(StrategyComment).where(StrategyComment.author_id == user.id)
    ):
        comment.author_id = None
    for update in db.session.scalars(
        select(IndicatorUpdate).where(IndicatorUpdate.reported_by_id == user.id)
    ):
        update.reported_by_id = None


register_personal_data("strategy", _export_personal, _erase_personal)


def partnership_organisations(partnership: Partnership) -> list[Organisation]:
    """The partner organisations of the partnership and the partnerships above it."""
    seen: dict[int, Organisation] = {}
    for node in partnership.lineage():
        for organisation in node.organisations:
            seen.setdefault(organisation.id, organisation)
    return sorted(seen.values(), key=lambda o: o.name)


def theme_sections(draft: StrategyDraft) -> list[StrategySection]:
    return [s for s in draft.sections if s.kind == SectionKind.THEME]
