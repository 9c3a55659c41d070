"""Evidence entered by hand: aggregate figures from past surveys and reports."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from engage.extensions import db
from engage.partnerships.models import Partnership
from engage.priorities.aggregate import EvidenceItem
from engage.priorities.evidence import (
    Quote,
    SourceDescription,
    area_key,
    partnership_family_ids,
    partnership_key,
    register_evidence_source,
)
from engage.priorities.models import EnteredEvidence, EnteredFigure

NAME = "entered"


def _evidence(partnership: Partnership, as_of: date) -> list[EnteredEvidence]:
    return list(
        db.session.scalars(
            select(EnteredEvidence)
            .where(
                EnteredEvidence.partnership_id.in_(partnership_family_ids(partnership)),
                EnteredEvidence.collected_on <= as_of,
            )
            .options(
                selectinload(EnteredEvidence.figures).selectinload(EnteredFigure.theme),
                selectinload(EnteredEvidence.figures).selectinload(EnteredFigure.area),
                selectinload(EnteredEvidence.partnership),
            )
            .order_by(EnteredEvidence.id)
        )
    )


def _area_id(evidence: EnteredEvidence, figure: EnteredFigure) -> str:
    return (
        area_key(figure.area) if figure.area is not None else partnership_key(evidence.partnership)
    )


class EnteredEvidenceSource:
    """Each entered set of figures is one source; its figures are aggregate evidence."""

    name = NAME

    def collect(self, partnership: Partnership, as_of: date) -> list[EvidenceItem]:
        items: list[EvidenceItem] = []
        for evidence in _evidence(partnership, as_of):
            for figure in evidence.figures:
                items.append(
                    EvidenceItem(
                        source_id=f"{NAME}:{evidence.id}",
                        source_kind=evidence.source_kind,
                        theme_id=figure.theme.slug,
                        area_id=_area_id(evidence, figure),
                        measure=figure.measure.value,
                        value=figure.value,
                        base=figure.base,
                        date=evidence.collected_on,
                        design_effect=evidence.design_effect or 1.0,
                    )
                )
        return items

    def evidence_version(self, partnership: Partnership, as_of: date) -> str:
        family = partnership_family_ids(partnership)
        sets = db.session.execute(
            select(
                func.count(EnteredEvidence.id),
                func.sum(EnteredEvidence.id),
                func.max(EnteredEvidence.updated_at),
            ).where(
                EnteredEvidence.partnership_id.in_(family),
                EnteredEvidence.collected_on <= as_of,
            )
        ).one()
        figures = db.session.execute(
            select(func.count(EnteredFigure.id), func.sum(EnteredFigure.id))
            .join(EnteredEvidence, EnteredEvidence.id == EnteredFigure.evidence_id)
            .where(
                EnteredEvidence.partnership_id.in_(family),
                EnteredEvidence.collected_on <= as_of,
            )
        ).one()
        return repr((tuple(sets), tuple(figures)))

    def describe(
        self, partnership: Partnership, source_ids: Collection[str]
    ) -> Mapping[str, SourceDescription]:
        ids = [int(s.split(":", 1)[1]) for s in source_ids if s.startswith(f"{NAME}:")]
        found = db.session.scalars(select(EnteredEvidence).where(EnteredEvidence.id.in_(ids)))
        out: dict[str, SourceDescription] = {}
        for evidence in found:
            out[evidence.source_id] = SourceDescription(
                source_id=evidence.source_id,
                title=evidence.title,
                kind=evidence.source_kind,
                detail=evidence.method or "",
                url=evidence.link or None,
                organisation_id=evidence.organisation_id,
                organisation=evidence.organisation.name if evidence.organisation else None,
            )
        return out

    def quotes(self, partnership: Partnership, theme_id: str, as_of: date) -> list[Quote]:
        return [
            Quote(
                source_id=evidence.source_id,
                theme_id=theme_id,
                text=figure.quote.strip(),
                date=evidence.collected_on,
                area_id=_area_id(evidence, figure),
            )
            for evidence in _evidence(partnership, as_of)
            for figure in evidence.figures
            if figure.theme.slug == theme_id and figure.quote and figure.quote.strip()
        ]


register_evidence_source(EnteredEvidenceSource())
