"""Participatory budgeting's part of "download my data" and "delete my account".

A person's online ballots and the proposals they made are theirs to see. On erasure the
ballot still counts (published results must recount the same) but no longer points at the
account, and proposals stay as ideas without their proposer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engage.budgeting.models import BudgetBallot, BudgetProject
from engage.core.personal_data import register_personal_data
from engage.extensions import db


def export_budgeting_data(user: Any) -> dict[str, Any]:
    ballots = db.session.scalars(
        select(BudgetBallot).where(BudgetBallot.user_id == user.id).order_by(BudgetBallot.id)
    )
    projects = db.session.scalars(
        select(BudgetProject).where(BudgetProject.proposer_id == user.id).order_by(BudgetProject.id)
    )
    return {
        "ballots": [
            {
                "process_id": b.process_id,
                "channel": str(b.channel),
                "choices": b.choices,
                "receipt_code": b.receipt_code,
                "cast_at": b.cast_at.isoformat(),
                "updated_at": b.updated_at.isoformat(),
            }
            for b in ballots
        ],
        "proposals": [
            {"process_id": p.process_id, "title": p.title, "description": p.description,
             "status": str(p.status), "created_at": p.created_at.isoformat()}
            for p in projects
        ],
    }


def erase_budgeting_data(user: Any) -> None:
    for ballot in db.session.scalars(select(BudgetBallot).where(BudgetBallot.user_id == user.id)):
        ballot.user_id = None
    for project in db.session.scalars(
        select(BudgetProject).where(BudgetProject.proposer_id == user.id)
    ):
        project.proposer_id = None


register_personal_data("budgeting", export_budgeting_data, erase_budgeting_data)
