"""Ballot types, one class each: validate a submission, store it, summarise it.

``validate`` takes the raw choices (project codes and, for points, a mapping code → points)
and returns the canonical ``{"projects": [...], "points": [...] | None}`` or raises
EngageError with a message the voter can act on. Nothing is stored when validation fails.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import gettext as _

from engage.budgeting.models import BallotKind, BudgetingProcess
from engage.budgeting.rules import Ballot, VoteType
from engage.core.errors import EngageError


@dataclass(frozen=True)
class Summary:
    """What the voting page shows: money or points used and left, and any problem."""

    chosen: int
    used: int  # pence or points
    limit: int | None
    unit: str  # "pence" or "points"
    problem: str | None = None

    @property
    def left(self) -> int | None:
        return None if self.limit is None else self.limit - self.used


class BallotType(ABC):
    kind: ClassVar[BallotKind]
    vote_type: ClassVar[VoteType]

    def __init__(self, process: BudgetingProcess, costs: Mapping[str, int]) -> None:
        self.process = process
        self.costs = dict(costs)  # project code → cost in pence (ballot projects only)

    def _known(self, codes: Sequence[str]) -> list[str]:
        seen: list[str] = []
        for code in codes:
            if code not in self.costs:
                raise EngageError(_("One of the projects you chose is not on this ballot"),
                                  field="projects")
            if code in seen:
                raise EngageError(_("You chose a project more than once"), field="projects")
            seen.append(code)
        return seen

    @abstractmethod
    def validate(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                 ) -> dict[str, Any]:
        """The stored form of a valid submission; raise EngageError naming what is wrong."""

    def summarise(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                  ) -> Summary:
        chosen = [c for c in codes if c in self.costs]
        used = sum(self.costs[c] for c in chosen)
        problem = None
        try:
            self.validate(codes, points)
        except EngageError as error:
            problem = str(error)
        return Summary(len(chosen), used, None, "pence", problem)

    def store(self, choices: Mapping[str, Any]) -> Ballot:
        """The engine's ballot for stored choices."""
        return Ballot(tuple(choices["projects"]), choices.get("points"))


class ApprovalWithinBudget(BallotType):
    kind = BallotKind.APPROVAL_BUDGET
    vote_type = VoteType.APPROVAL

    def validate(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                 ) -> dict[str, Any]:
        chosen = self._known(codes)
        if not chosen:
            raise EngageError(_("Choose at least one project"), field="projects")
        if sum(self.costs[c] for c in chosen) > self.process.budget_pence:
            raise EngageError(
                _("The projects you chose cost more than the budget. Remove a project and try "
                  "again"), field="projects")
        return {"projects": chosen, "points": None}

    def summarise(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                  ) -> Summary:
        base = super().summarise(codes, points)
        return Summary(base.chosen, base.used, self.process.budget_pence, "pence", base.problem)


class ChooseUpToK(BallotType):
    kind = BallotKind.CHOOSE_K
    vote_type = VoteType.APPROVAL

    def validate(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                 ) -> dict[str, Any]:
        chosen = self._known(codes)
        k = self.process.max_choices or len(self.costs)
        minimum = max(self.process.min_choices or 1, 1)
        if len(chosen) > k:
            raise EngageError(_("Choose no more than %(k)s projects", k=k), field="projects")
        if len(chosen) < minimum:
            raise EngageError(_("Choose at least %(n)s projects", n=minimum), field="projects")
        return {"projects": chosen, "points": None}

    def summarise(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                  ) -> Summary:
        base = super().summarise(codes, points)
        k = self.process.max_choices or len(self.costs)
        return Summary(base.chosen, base.chosen, k, "choices", base.problem)


class RankTopK(BallotType):
    kind = BallotKind.RANK_K
    vote_type = VoteType.ORDINAL

    def validate(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                 ) -> dict[str, Any]:
        """``points`` here maps code → rank (1 = best); ranks must be 1..n with no gaps."""
        ranks = {c: r for c, r in (points or {}).items() if r}
        chosen = self._known(list(ranks))
        k = self.process.max_choices or len(self.costs)
        ordered = sorted(chosen, key=lambda c: ranks[c])
        if sorted(ranks.values()) != list(range(1, len(ordered) + 1)):
            raise EngageError(_("Number your choices 1, 2, 3 and so on, using each number once"),
                              field="projects")
        if len(ordered) > k:
            raise EngageError(_("Rank no more than %(k)s projects", k=k), field="projects")
        if len(ordered) < max(self.process.min_choices or 1, 1):
            raise EngageError(_("Rank at least %(n)s projects",
                                n=max(self.process.min_choices or 1, 1)), field="projects")
        return {"projects": ordered, "points": None}

    def summarise(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                  ) -> Summary:
        ranked = [c for c, r in (points or {}).items() if r and c in self.costs]
        problem = None
        try:
            self.validate(codes, points)
        except EngageError as error:
            problem = str(error)
        k = self.process.max_choices or len(self.costs)
        return Summary(len(ranked), len(ranked), k, "choices", problem)


class SharePoints(BallotType):
    kind = BallotKind.POINTS
    vote_type = VoteType.CUMULATIVE

    def validate(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                 ) -> dict[str, Any]:
        given = {c: p for c, p in (points or {}).items() if p}
        chosen = self._known(list(given))
        if any(p < 0 for p in given.values()):
            raise EngageError(_("Points cannot be negative"), field="projects")
        total = sum(given.values())
        limit = self.process.total_points or 0
        if total > limit:
            raise EngageError(_("You gave out more than %(n)s points", n=limit), field="projects")
        if total == 0:
            raise EngageError(_("Give at least one point to a project"), field="projects")
        return {"projects": chosen, "points": [given[c] for c in chosen]}

    def summarise(self, codes: Sequence[str], points: Mapping[str, int] | None = None
                  ) -> Summary:
        given = {c: p for c, p in (points or {}).items() if p and c in self.costs}
        problem = None
        try:
            self.validate(codes, points)
        except EngageError as error:
            problem = str(error)
        return Summary(len(given), sum(given.values()), self.process.total_points, "points",
                       problem)


BALLOT_TYPES: dict[BallotKind, type[BallotType]] = {
    cls.kind: cls for cls in (ApprovalWithinBudget, ChooseUpToK, RankTopK, SharePoints)
}


def ballot_type(process: BudgetingProcess, costs: Mapping[str, int]) -> BallotType:
    return BALLOT_TYPES[BallotKind(process.ballot_kind)](process, costs)
