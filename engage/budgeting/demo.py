"""Demo: one closed process with ~2,000 ballots and published results, one open for voting."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from engage.accounts.models import User
from engage.budgeting import operations
from engage.budgeting.models import (
    BallotChannel,
    BallotKind,
    BudgetBallot,
    BudgetingProcess,
    BudgetProject,
    DeliveryUpdate,
    ProjectStatus,
)
from engage.core.time import utcnow
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Partnership

CLOSED_TITLE = "Kelham Community Fund 2026"
OPEN_TITLE = "Kelham Green Spaces 2027"
CLOSED_BALLOTS = 2000

CLOSED_PROJECTS = (
    ("1", "Riverside benches and bins", "Meinciau a biniau glan yr afon", 1_200_000),
    ("2", "Youth club minibus", "Bws mini clwb ieuenctid", 2_500_000),
    ("3", "Community orchard", "Perllan gymunedol", 800_000),
    ("4", "Safer crossing on Mill Lane", "Croesfan fwy diogel ar Mill Lane", 3_000_000),
    ("5", "Library digital hub", "Hyb digidol y llyfrgell", 1_500_000),
    ("6", "Park play equipment", "Offer chwarae yn y parc", 2_000_000),
    ("7", "Street lighting on the towpath", "Goleuadau stryd ar y llwybr halio", 1_800_000),
)
OPEN_PROJECTS = (
    ("G1", "Wildflower verges", "Ymylon blodau gwyllt", 400_000),
    ("G2", "Pond restoration", "Adfer y pwll", 900_000),
    ("G3", "Tree planting", "Plannu coed", 600_000),
    ("G4", "Allotment water supply", "Cyflenwad dŵr i'r rhandiroedd", 500_000),
)

# The projects' SCS themes (slugs of the default themes): their votes are PB evidence for
# the partnership's priorities.
PROJECT_THEMES = {
    "1": ("environment-climate", "stronger-communities"),
    "2": ("children-young-people", "transport"),
    "3": ("environment-climate", "health-wellbeing"),
    "4": ("safer-communities", "transport"),
    "5": ("economy-jobs-skills", "culture-sport-leisure"),
    "6": ("children-young-people", "culture-sport-leisure"),
    "7": ("safer-communities",),
    "G1": ("environment-climate",),
    "G2": ("environment-climate",),
    "G3": ("environment-climate", "health-wellbeing"),
    "G4": ("stronger-communities", "health-wellbeing"),
}


def _give_themes(process: BudgetingProcess) -> None:
    by_slug = {t.slug: t for t in reversed(operations.theme_choices(process))}
    for project in process.projects:
        if not project.themes:
            project.themes = [by_slug[s] for s in PROJECT_THEMES.get(project.code, ())
                              if s in by_slug]


def _area() -> tuple[Partnership, Area] | None:
    ward = db.session.scalar(select(Area).where(Area.name == "Kelham Riverside",
                                                Area.level == AreaLevel.WARD))
    if ward is None or ward.parent is None:
        return None
    district = ward.parent
    for partnership in db.session.scalars(select(Partnership).order_by(Partnership.id)):
        if any(a.id == district.id for a in partnership.areas):
            return partnership, district
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
    return (partnership, district) if partnership else None


def _process(partnership: Partnership, area: Area, title: str, projects: tuple, **values
             ) -> BudgetingProcess:  # type: ignore[type-arg,no-untyped-def]
    process = db.session.scalar(select(BudgetingProcess).where(
        BudgetingProcess.partnership_id == partnership.id, BudgetingProcess.title == title))
    if process is None:
        process = BudgetingProcess(partnership=partnership, area=area, title=title, **values)
        db.session.add(process)
        for code, name, name_cy, cost in projects:
            db.session.add(BudgetProject(process=process, code=code, title=name,
                                         title_cy=name_cy, cost_pence=cost,
                                         description=f"{name}.",
                                         status=ProjectStatus.SHORTLISTED))
        db.session.flush()
    if process.organisation_id is None and partnership.organisations:
        process.organisation_id = partnership.organisations[0].id
    if process.theme_id is None and partnership.themes:
        process.theme_id = partnership.themes[0].id
    _give_themes(process)
    return process


def load_budgeting_demo() -> dict[str, int]:
    found = _area()
    if found is None:
        return {"processes": 0}
    partnership, district = found
    now = utcnow()
    closed = _process(
        partnership, district, CLOSED_TITLE, CLOSED_PROJECTS,
        title_cy="Cronfa Gymunedol Kelham 2026", description="Help decide how £100,000 is spent.",
        budget_pence=10_000_000, proposals_open_at=now - timedelta(days=120),
        proposals_close_at=now - timedelta(days=90), voting_open_at=now - timedelta(days=60),
        voting_close_at=now - timedelta(days=30), results_at=now - timedelta(days=29),
        ballot_kind=BallotKind.APPROVAL_BUDGET, rule="mes-cost-completed",
        tie_break="lexicographic", minimum_age=16, allows_changes=True)
    open_process = _process(
        partnership, district, OPEN_TITLE, OPEN_PROJECTS,
        title_cy="Mannau Gwyrdd Kelham 2027",
        description="Choose up to two projects for £15,000.", budget_pence=1_500_000,
        voting_open_at=now - timedelta(days=3), voting_close_at=now + timedelta(days=25),
        ballot_kind=BallotKind.CHOOSE_K, max_choices=2, min_choices=1, rule="greedy-cost",
        tie_break="lexicographic", minimum_age=16, allows_changes=True)
    if open_process.voting_close_at <= now:  # an old demo database: keep the vote open
        open_process.voting_close_at = now + timedelta(days=25)
    resident = db.session.scalar(select(User).where(User.email == "resident@engage.example"))
    if resident is not None and resident.email_confirmed_at is None:
        resident.email_confirmed_at = now
    if not operations.has_ballots(closed):
        rng = random.Random(2026)  # noqa: S311 - repeatable demo data
        wards = [w.id for w in district.wards()]
        popularity = {"1": 0.55, "2": 0.35, "3": 0.5, "4": 0.3, "5": 0.4, "6": 0.45, "7": 0.25}
        costs = {c: cost for c, _, _, cost in CLOSED_PROJECTS}
        rows = []
        for index in range(CLOSED_BALLOTS):
            chosen: list[str] = []
            spent = 0
            for code, chance in popularity.items():
                if rng.random() < chance and spent + costs[code] <= closed.budget_pence:
                    chosen.append(code)
                    spent += costs[code]
            rows.append({
                "process_id": closed.id, "voter_key": f"demo{index + 1}",
                "channel": BallotChannel.ONLINE, "ward_id": rng.choice(wards),
                "choices": {"projects": chosen or ["3"], "points": None},
                "age_confirmed": True, "is_confirmed": True,
                "receipt_code": f"DEMO{closed.id}X{index + 1}",
                "cast_at": closed.voting_open_at, "updated_at": closed.voting_open_at})
        db.session.execute(BudgetBallot.__table__.insert(), rows)
        db.session.flush()
    if operations.latest_result(closed) is None:
        result = operations.tally_process(closed, now=now)
        first = next((p for p in closed.projects if p.code in result.selected), None)
        if first is not None:
            db.session.add(DeliveryUpdate(
                project_id=first.id, text="Work started on site this month.",
                text_cy="Dechreuodd y gwaith ar y safle y mis hwn."))
    db.session.flush()
    for process in (closed, open_process):
        operations.register_activity(process)
    db.session.flush()
    return {"processes": 2, "ballots": CLOSED_BALLOTS}
