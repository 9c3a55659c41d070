"""Changing priorities settings, evidence entered by hand and snapshots (flush, never commit)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.audit_log import record_audit
from engage.core.errors import EngageError, ImportFailed, RowError
from engage.core.time import utcnow
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership, Theme
from engage.priorities import aggregate as agg
from engage.priorities.evidence import evidence_fingerprint
from engage.priorities.models import (
    EnteredEvidence,
    EnteredFigure,
    Measure,
    PrioritySettings,
    PrioritySnapshot,
    SourceWeight,
    WeightScope,
)
from engage.priorities.pipeline import PriorityPicture, today

FIGURE_COLUMNS = ("theme", "area", "measure", "percent", "base", "quote")


# --------------------------------------------------------------------------- settings


def save_weight_settings(
    actor_id: int,
    partnership: Partnership,
    *,
    kind_weights: Mapping[agg.SourceKind, float],
    half_life_days: int | None,
) -> PrioritySettings:
    """Set the weight of each kind of source (0 to 1) and the half-life of evidence."""
    for kind, weight in kind_weights.items():
        if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
            raise EngageError(_("Enter a weight from 0 to 1"), field=f"weight_{kind.value}")
    if half_life_days is not None and not 30 <= half_life_days <= 7300:
        raise EngageError(
            _("Enter a half-life from 30 to 7,300 days, or leave it empty"), field="half_life_days"
        )
    existing = {
        row.key: row
        for row in db.session.scalars(
            select(SourceWeight).where(
                SourceWeight.partnership_id == partnership.id,
                SourceWeight.scope == WeightScope.KIND,
            )
        )
    }
    for kind, weight in kind_weights.items():
        row = existing.get(kind.value)
        if row is None:
            row = SourceWeight(
                partnership_id=partnership.id, scope=WeightScope.KIND, key=kind.value, weight=weight
            )
            db.session.add(row)
        row.weight = weight
        row.updated_by_id = actor_id
        row.updated_at = utcnow()
    settings = db.session.scalar(
        select(PrioritySettings).where(PrioritySettings.partnership_id == partnership.id)
    )
    if settings is None:
        settings = PrioritySettings(partnership_id=partnership.id)
        db.session.add(settings)
    settings.half_life_days = half_life_days
    settings.updated_by_id = actor_id
    settings.updated_at = utcnow()
    record_audit(
        "priorities.weights_changed",
        actor_id=actor_id,
        partnership_id=partnership.id,
        target=partnership,
        kind_weights={k.value: v for k, v in sorted(kind_weights.items())},
        half_life_days=half_life_days,
    )
    db.session.flush()
    return settings


def save_source_weight(
    actor_id: int, partnership: Partnership, source_id: str, weight: float | None
) -> None:
    """Override the weight of one source (None returns it to its kind's weight)."""
    if weight is not None and not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
        raise EngageError(_("Enter a weight from 0 to 1"), field="weight")
    row = db.session.scalar(
        select(SourceWeight).where(
            SourceWeight.partnership_id == partnership.id,
            SourceWeight.scope == WeightScope.SOURCE,
            SourceWeight.key == source_id,
        )
    )
    if weight is None:
        if row is not None:
            db.session.delete(row)
    else:
        if row is None:
            row = SourceWeight(
                partnership_id=partnership.id,
                scope=WeightScope.SOURCE,
                key=source_id,
                weight=weight,
            )
            db.session.add(row)
        row.weight = weight
        row.updated_by_id = actor_id
        row.updated_at = utcnow()
    record_audit(
        "priorities.source_weight_changed",
        actor_id=actor_id,
        partnership_id=partnership.id,
        target=partnership,
        source_id=source_id,
        weight=weight,
    )
    db.session.flush()


# --------------------------------------------------------------------------- entered evidence


def save_entered_evidence(
    actor_id: int,
    partnership: Partnership,
    *,
    title: str,
    source_kind: agg.SourceKind,
    collected_on: date,
    organisation: Organisation | None = None,
    method: str | None = None,
    link: str | None = None,
    design_effect: float = 1.0,
    evidence: EnteredEvidence | None = None,
) -> EnteredEvidence:
    """Create or change a set of figures entered by hand (e.g. a past survey's results)."""
    if not title.strip():
        raise EngageError(_("Enter the name of the survey or report"), field="title")
    if not (math.isfinite(design_effect) and 1.0 <= design_effect <= 20.0):
        raise EngageError(_("Enter a design effect from 1 to 20"), field="design_effect")
    if collected_on > today():
        raise EngageError(_("The date must be today or in the past"), field="collected_on")
    if (
        organisation is not None
        and partnership not in organisation.partnerships
        and not any(p in organisation.partnerships for p in partnership.lineage())
    ):
        raise EngageError(_("Choose one of the partnership's organisations"), field="organisation")
    if link and not link.startswith(("https://", "http://")):
        raise EngageError(_("Enter a web address starting with https://"), field="link")
    created = evidence is None
    if evidence is None:
        evidence = EnteredEvidence(partnership_id=partnership.id, created_by_id=actor_id)
        db.session.add(evidence)
    evidence.title = title.strip()
    evidence.source_kind = source_kind
    evidence.collected_on = collected_on
    evidence.organisation = organisation
    evidence.method = (method or "").strip() or None
    evidence.link = (link or "").strip() or None
    evidence.design_effect = design_effect
    evidence.updated_at = utcnow()
    db.session.flush()
    record_audit(
        "priorities.evidence_entered" if created else "priorities.evidence_changed",
        actor_id=actor_id,
        partnership_id=partnership.id,
        target=evidence,
    )
    return evidence


def delete_entered_evidence(actor_id: int, evidence: EnteredEvidence) -> None:
    record_audit(
        "priorities.evidence_deleted",
        actor_id=actor_id,
        partnership_id=evidence.partnership_id,
        target=evidence,
        title=evidence.title,
    )
    db.session.delete(evidence)
    db.session.flush()


def _figure(
    evidence: EnteredEvidence, theme: Theme, area: Area | None, measure: Measure
) -> EnteredFigure | None:
    for figure in evidence.figures:
        if (figure.theme_id, figure.area_id, figure.measure) == (
            theme.id,
            area.id if area else None,
            measure,
        ):
            return figure
    return None


def _check_figure(percent: float, base: int) -> None:
    if not (math.isfinite(percent) and 0.0 <= percent <= 100.0):
        raise EngageError(_("Enter a percentage from 0 to 100"), field="percent")
    if base < 1:
        raise EngageError(_("Enter the number of people, 1 or more"), field="base")


def save_figure(
    actor_id: int,
    evidence: EnteredEvidence,
    *,
    theme: Theme,
    area: Area | None,
    measure: Measure,
    percent: float,
    base: int,
    quote: str | None = None,
) -> EnteredFigure:
    """Add a figure, or replace the one for the same theme, area and measure."""
    _check_figure(percent, base)
    figure = _figure(evidence, theme, area, measure)
    if figure is None:
        figure = EnteredFigure(theme=theme, area=area, measure=measure, value=0.0, base=0)
        evidence.figures.append(figure)
    figure.value = round(percent / 100.0, 6)
    figure.base = base
    figure.quote = (quote or "").strip() or None
    evidence.updated_at = utcnow()
    db.session.flush()
    return figure


def delete_figure(actor_id: int, figure: EnteredFigure) -> None:
    figure.evidence.updated_at = utcnow()
    db.session.delete(figure)
    db.session.flush()


@dataclass(frozen=True)
class FigureImport:
    created: int
    updated: int


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").replace("%", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def import_figures(
    actor_id: int,
    evidence: EnteredEvidence,
    rows: Iterable[Mapping[str, str]],
    *,
    themes: Mapping[str, Theme],
    areas: Mapping[str, Area],
) -> FigureImport:
    """All-or-nothing CSV import: theme (slug), area (GSS code; empty = whole partnership),
    measure (code), percent, base, quote. The same file twice changes nothing."""
    errors: list[RowError] = []
    parsed: list[tuple[Theme, Area | None, Measure, float, int, str | None]] = []
    seen: set[tuple[int, int | None, Measure]] = set()
    measures = {m.value: m for m in Measure}
    for number, row in enumerate(rows, start=2):
        row_errors = len(errors)
        theme = themes.get(row.get("theme", "").strip().lower())
        if theme is None:
            errors.append(RowError(number, "theme", _("Unknown theme: use a theme's short name")))
        code = row.get("area", "").strip().upper()
        area = areas.get(code) if code else None
        if code and area is None:
            errors.append(
                RowError(number, "area", _("Unknown area: use a GSS code of this partnership"))
            )
        measure = measures.get(row.get("measure", "").strip().lower())
        if measure is None:
            errors.append(RowError(number, "measure", _("Unknown measure")))
        percent = _number(row.get("percent", ""))
        if percent is None or not 0.0 <= percent <= 100.0:
            errors.append(RowError(number, "percent", _("Enter a percentage from 0 to 100")))
        base_value = _number(row.get("base", ""))
        if base_value is None or base_value < 1 or base_value != int(base_value):
            errors.append(RowError(number, "base", _("Enter the number of people, 1 or more")))
        if len(errors) > row_errors:
            continue
        assert theme is not None and measure is not None and percent is not None
        assert base_value is not None
        key = (theme.id, area.id if area else None, measure)
        if key in seen:
            errors.append(
                RowError(number, None, _("This theme, area and measure is in the file twice"))
            )
            continue
        seen.add(key)
        parsed.append((theme, area, measure, percent, int(base_value), row.get("quote") or None))
    if errors:
        raise ImportFailed(errors)
    if not parsed:
        raise ImportFailed([RowError(1, None, _("The file has no figures"))])
    created = updated = 0
    for theme, area, measure, percent, base, quote in parsed:
        if _figure(evidence, theme, area, measure) is None:
            created += 1
        else:
            updated += 1
        save_figure(
            actor_id,
            evidence,
            theme=theme,
            area=area,
            measure=measure,
            percent=percent,
            base=base,
            quote=quote,
        )
    record_audit(
        "priorities.figures_imported",
        actor_id=actor_id,
        partnership_id=evidence.partnership_id,
        target=evidence,
        created=created,
        updated=updated,
    )
    return FigureImport(created, updated)


# --------------------------------------------------------------------------- snapshots


def snapshot_scores(picture: PriorityPicture) -> list[dict[str, Any]]:
    """The picture's scores as plain data (what a snapshot keeps)."""
    rows: list[dict[str, Any]] = []
    for score in picture.result.scores:
        rows.append(
            {
                "theme": score.theme_id,
                "area": score.area_id,
                "level": score.area_level.value,
                "score": score.score,
                "lower": score.lower,
                "upper": score.upper,
                "strength": score.strength.level.value,
                "sources": score.strength.sources,
                "total_base": score.strength.total_base,
                "effective_base": score.strength.effective_base,
                "most_recent": score.strength.most_recent.isoformat(),
                "contributions": [
                    {
                        "source": c.source_id,
                        "kind": c.source_kind.value,
                        "value": c.value,
                        "base": c.base,
                        "share": c.share,
                    }
                    for c in score.contributions
                ],
            }
        )
    return rows


def save_snapshot(
    actor_id: int | None, picture: PriorityPicture, label: str | None = None
) -> PrioritySnapshot:
    """Keep the priorities as worked out now, with the settings and sources behind them."""
    snapshot = PrioritySnapshot(
        partnership_id=picture.partnership.id,
        as_of=picture.as_of,
        label=(label or "").strip() or None,
        settings=picture.settings.as_json(),
        scores=snapshot_scores(picture),
        sources={
            source_id: {
                "title": d.title,
                "kind": d.kind.value,
                "organisation_id": d.organisation_id,
                "organisation": d.organisation,
            }
            for source_id, d in sorted(picture.evidence.descriptions.items())
        },
        fingerprint=evidence_fingerprint(picture.used_items),
        created_by_id=actor_id,
    )
    db.session.add(snapshot)
    db.session.flush()
    record_audit(
        "priorities.snapshot_saved",
        actor_id=actor_id,
        partnership_id=picture.partnership.id,
        target=snapshot,
    )
    return snapshot


from engage.priorities import personal_data as _personal_data  # noqa: E402,F401  (registers export/erase)
