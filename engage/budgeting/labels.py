"""Translated labels for the engine's codes and the domain's enums (codes are stored)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage.budgeting.models import BallotKind, ProjectStatus

BALLOT_KIND_LABELS = {
    BallotKind.APPROVAL_BUDGET: _l("Choose projects within the budget"),
    BallotKind.CHOOSE_K: _l("Choose up to a number of projects"),
    BallotKind.RANK_K: _l("Rank your favourite projects"),
    BallotKind.POINTS: _l("Share out points between projects"),
}

RULE_LABELS = {
    "greedy-cost": _l("Most votes first, while the money lasts"),
    "greedy-approval": _l("Most votes per pound first, while the money lasts"),
    "greedy-score": _l("Highest score per pound first, while the money lasts"),
    "greedy-points": _l("Most points first, while the money lasts"),
    "mes-cost": _l("Method of Equal Shares"),
    "mes-cost-completed": _l("Method of Equal Shares, completed with most votes first"),
}

STATUS_LABELS = {
    ProjectStatus.PROPOSED: _l("Proposed"),
    ProjectStatus.ELIGIBLE: _l("Eligible"),
    ProjectStatus.INELIGIBLE: _l("Not eligible"),
    ProjectStatus.MERGED: _l("Merged with another proposal"),
    ProjectStatus.SHORTLISTED: _l("On the ballot"),
}


def pounds(pence: int | float) -> str:
    return f"£{pence / 100:,.2f}"


def explain(row: dict[str, Any]) -> str:
    """One sentence for the engine's reason code and numbers about one project."""
    code = row.get("code")
    if code == "funded":
        mes = row.get("mes")
        if mes:
            return _("Funded: %(payers)s supporters shared the cost; each paid at most "
                     "%(most)s.", payers=mes["payers"],
                     most=pounds(float(_fraction(mes["max_paid"]))))
        return _("Funded: it had enough support and fitted in the money left.")
    if code == "over_budget_remaining":
        return _("Not funded: it cost more than the %(left)s left when its turn came.",
                 left=pounds(row.get("remaining_budget") or 0))
    if code == "below_threshold":
        return _("Not funded: too few people supported it.")
    if code == "mes_insufficient_support":
        return _("Not funded: its supporters' equal shares of the budget could not pay for it.")
    return _("Not funded.")


def _fraction(text: str) -> float:
    if "/" in text:
        top, bottom = text.split("/")
        return int(top) / int(bottom)
    return float(text)
