"""Priorities' part of "download my data" and "delete my account": who entered evidence,
saved snapshots or changed the weights (staff work records). Erasure keeps the records and
drops the name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engage.core.personal_data import register_personal_data
from engage.extensions import db
from engage.priorities.models import (
    EnteredEvidence,
    PrioritySettings,
    PrioritySnapshot,
    SourceWeight,
)


def export_priorities_data(user: Any) -> dict[str, Any]:
    evidence = db.session.scalars(select(EnteredEvidence).where(EnteredEvidence.created_by_id == user.id))
    snapshots = db.session.scalars(select(PrioritySnapshot).where(PrioritySnapshot.created_by_id == user.id))
    return {
        "entered_evidence": [
            {"partnership_id": e.partnership_id, "title": e.title,
             "collected_on": e.collected_on.isoformat()} for e in evidence
        ],
        "snapshots": [{"partnership_id": s.partnership_id, "as_of": s.as_of.isoformat()} for s in snapshots],
        "settings_changed": int(bool(db.session.scalar(
            select(PrioritySettings.id).where(PrioritySettings.updated_by_id == user.id).limit(1)))),
    }


def erase_priorities_data(user: Any) -> None:
    for model, column in ((EnteredEvidence, "created_by_id"), (PrioritySnapshot, "created_by_id"),
                          (PrioritySettings, "updated_by_id"), (SourceWeight, "updated_by_id")):
        for row in db.session.scalars(select(model).where(getattr(model, column) == user.id)):
            setattr(row, column, None)


register_personal_data("priorities", export_priorities_data, erase_priorities_data)
