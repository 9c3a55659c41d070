"""Participatory budgeting as evidence (``budgeting:process:<id>``), one source per process.

For every theme of the process's shortlisted projects, each counted ballot (confirmed, cast
by the calculation date) gives 1 if it backs at least one project in the theme, else 0
(``votes_share``); with a points ballot, the share of the voter's points given to projects in
the theme (``points_share``). Ballots carry a ward but no demographics, so items are per ward,
unweighted; ballots without a ward count for the process's area when none has one.

Projects get themes (``BudgetProject.themes``, the partnership's themes) when staff review a
proposal, from the resident's proposal, or from a ``.pb`` file's ``category`` column on import.
A process none of whose projects has a theme gives no evidence.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select

from engage.budgeting.models import BallotKind, BudgetBallot, BudgetingProcess
from engage.extensions import db
from engage.partnerships.models import Area, Partnership
from engage.priorities.aggregate import (
    EvidenceItem,
    RespondentSample,
    RespondentValues,
    SourceKind,
)
from engage.priorities.evidence import (
    SourceDescription,
    area_key,
    partnership_family_ids,
    register_evidence_source,
)
from engage.priorities.models import Measure

NAME = "budgeting"


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _project_themes(process: BudgetingProcess) -> dict[str, set[str]]:
    """Project code → theme slugs, for projects that have themes."""
    found: dict[str, set[str]] = {}
    for project in process.projects:
        themes = getattr(project, "themes", None) or []
        if themes:
            found[project.code] = {t.slug for t in themes}
    return found


def _processes(partnership: Partnership, as_of: date) -> list[BudgetingProcess]:
    return list(
        db.session.scalars(
            select(BudgetingProcess)
            .where(
                BudgetingProcess.partnership_id.in_(partnership_family_ids(partnership)),
                BudgetingProcess.voting_open_at < _end_of(as_of),
            )
            .order_by(BudgetingProcess.id)
        )
    )


def _ballots(process: BudgetingProcess, as_of: date) -> list[BudgetBallot]:
    return list(
        db.session.scalars(
            select(BudgetBallot)
            .where(
                BudgetBallot.process_id == process.id,
                BudgetBallot.is_confirmed.is_(True),
                BudgetBallot.cast_at < _end_of(as_of),
            )
            .order_by(BudgetBallot.id)
        )
    )


def _shares(
    choices: Mapping[str, Any], themes: Mapping[str, set[str]], points: bool
) -> dict[str, float]:
    codes = list(choices.get("projects") or [])
    given = list(choices.get("points") or [])
    out: dict[str, float] = {}
    if points and given and len(given) == len(codes):
        total = float(sum(given))
        for code, value in zip(codes, given, strict=True):
            for slug in themes.get(code, ()):
                out[slug] = out.get(slug, 0.0) + (value / total if total > 0 else 0.0)
        return out
    for code in codes:
        for slug in themes.get(code, ()):
            out[slug] = 1.0
    return out


class BudgetingSource:
    """Each participatory budgeting process with themed projects is one source."""

    name = NAME

    def collect(self, partnership: Partnership, as_of: date) -> list[EvidenceItem]:
        wards = {a.id: a for a in db.session.scalars(select(Area).where(Area.level == "ward"))}
        items: list[EvidenceItem] = []
        for process in _processes(partnership, as_of):
            themes = _project_themes(process)
            if not themes:
                continue
            ballots = _ballots(process, as_of)
            if not ballots:
                continue
            points = process.ballot_kind == BallotKind.POINTS
            slugs = sorted({s for found in themes.values() for s in found})
            values = {s: np.zeros(len(ballots)) for s in slugs}
            for row, ballot in enumerate(ballots):
                for slug, share in _shares(ballot.choices or {}, themes, points).items():
                    values[slug][row] = min(1.0, share)
            ward_of = [b.ward_id if b.ward_id in wards else None for b in ballots]
            groups: list[tuple[str, list[int]]]
            if any(w is not None for w in ward_of):
                groups = [
                    (area_key(wards[w]), [i for i, x in enumerate(ward_of) if x == w])
                    for w in sorted({w for w in ward_of if w is not None})
                ]
            else:
                groups = [(area_key(process.area), list(range(len(ballots))))]
            close = process.voting_close_at.date()
            when = close if close <= as_of else as_of
            measure = Measure.POINTS_SHARE if points else Measure.VOTES_SHARE
            for area_id, rows in groups:
                sample = RespondentSample({})
                for slug in slugs:
                    chosen = values[slug][rows]
                    items.append(
                        EvidenceItem(
                            source_id=f"{NAME}:process:{process.id}",
                            source_kind=SourceKind.BUDGETING,
                            theme_id=slug,
                            area_id=area_id,
                            measure=measure.value,
                            value=float(chosen.mean()),
                            base=len(rows),
                            date=when,
                            is_respondent_level=True,
                            respondents=RespondentValues(sample, chosen),
                        )
                    )
        return items

    def evidence_version(self, partnership: Partnership, as_of: date) -> str:
        processes = _processes(partnership, as_of)
        parts: list[object] = [
            [
                (
                    p.id,
                    p.ballot_kind.value,
                    p.voting_close_at,
                    sorted((c, sorted(s)) for c, s in _project_themes(p).items()),
                )
                for p in processes
            ]
        ]
        ids = [p.id for p in processes]
        if ids:
            parts.append(
                tuple(
                    db.session.execute(
                        select(
                            func.count(BudgetBallot.id),
                            func.max(BudgetBallot.updated_at),
                            func.max(BudgetBallot.cast_at),
                        ).where(
                            BudgetBallot.process_id.in_(ids),
                            BudgetBallot.is_confirmed.is_(True),
                            BudgetBallot.cast_at < _end_of(as_of),
                        )
                    ).one()
                )
            )
        return repr(parts)

    def describe(
        self, partnership: Partnership, source_ids: Collection[str]
    ) -> Mapping[str, SourceDescription]:
        ids = [int(s.rsplit(":", 1)[1]) for s in source_ids if s.startswith(f"{NAME}:process:")]
        return {
            f"{NAME}:process:{p.id}": SourceDescription(
                source_id=f"{NAME}:process:{p.id}",
                title=p.title,
                kind=SourceKind.BUDGETING,
                detail=p.description,
            )
            for p in db.session.scalars(
                select(BudgetingProcess).where(BudgetingProcess.id.in_(ids))
            )
        }


register_evidence_source(BudgetingSource())
