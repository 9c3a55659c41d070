"""Participatory budgeting operations: flush, never commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engage.accounts.models import User
from engage.budgeting import pabulib, rules
from engage.budgeting.ballot_types import ballot_type
from engage.budgeting.models import (
    BallotChannel,
    BallotKind,
    BudgetBallot,
    BudgetingProcess,
    BudgetProject,
    BudgetResult,
    DeliveryUpdate,
    ProjectStatus,
    VoterCode,
)
from engage.core.audit_log import record_audit
from engage.core.errors import EngageError
from engage.core.register_sources import register_source
from engage.core.time import utcnow
from engage.extensions import db
from engage.partnerships.models import Theme

if TYPE_CHECKING:
    from engage.audit.operations import ActivityData

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LOCKED_FIELDS = ("ballot_kind", "max_choices", "min_choices", "total_points", "rule",
                 "tie_break", "budget_pence", "minimum_age", "allows_changes")
DATE_FIELDS = ("voting_open_at", "voting_close_at")


def now_utc() -> datetime:
    return utcnow()


def _random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


# ------------------------------------------------------------------ process and projects


def ballot_projects(process: BudgetingProcess) -> list[BudgetProject]:
    """The projects on the ballot: shortlisted ones (in id order)."""
    return [p for p in process.projects if p.status == ProjectStatus.SHORTLISTED]


def has_ballots(process: BudgetingProcess) -> bool:
    return bool(db.session.scalar(
        select(func.count()).select_from(BudgetBallot)
        .where(BudgetBallot.process_id == process.id)
    ))


def lock_process(process: BudgetingProcess, *, exclusive: bool) -> None:
    """Lock the process row and reload it (PostgreSQL; SQLite serialises writers anyway).

    Casting takes a shared lock and changing settings an exclusive one, so a settings change
    and a first ballot cannot interleave: the change waits for ballots in flight and ballots
    wait for the change, then validate against the settings as committed.
    """
    db.session.execute(
        select(BudgetingProcess).where(BudgetingProcess.id == process.id)
        .with_for_update(read=not exclusive)
        .execution_options(populate_existing=True))


def update_process(process: BudgetingProcess, values: Mapping[str, Any], actor: User,
                   now: datetime | None = None) -> None:
    """Change settings; rules and ballot settings lock once the first ballot is cast.

    Voting dates lock once voting has closed: reopening a closed vote (or closing it, counting
    and reopening it) would let someone see results before the real close.
    """
    values = dict(values)
    lock_process(process, exclusive=True)
    if process.is_closed(now or utcnow()):
        moved = [k for k in DATE_FIELDS if k in values and values[k] != getattr(process, k)]
        if moved:
            raise EngageError(_("Voting has closed, so the voting dates cannot change"),
                              field=moved[0])
    if has_ballots(process):
        changed = [k for k in LOCKED_FIELDS if k in values and values[k] != getattr(process, k)]
        if changed:
            raise EngageError(
                _("Voting has started, so the rules and ballot settings cannot change"),
                field=changed[0])
    for key, value in values.items():
        setattr(process, key, value)
    check_settings(process)
    db.session.flush()
    register_activity(process, actor)
    record_audit("budgeting.process_updated", actor_id=actor.id, target=process,
                 partnership_id=process.partnership_id, fields=sorted(values))


def check_settings(process: BudgetingProcess) -> None:
    """Settings that make a workable process, or an EngageError naming the field."""
    if process.voting_close_at <= process.voting_open_at:
        raise EngageError(_("Voting must close after it opens"), field="voting_close_on")
    if bool(process.proposals_open_at) != bool(process.proposals_close_at):
        raise EngageError(_("Enter both proposal dates, or neither"), field="proposals_close_on")
    if process.proposals_open_at and process.proposals_close_at:
        if process.proposals_close_at <= process.proposals_open_at:
            raise EngageError(_("Proposals must close after they open"),
                              field="proposals_close_on")
        if process.proposals_close_at > process.voting_open_at:
            raise EngageError(_("Proposals must close before voting opens"),
                              field="proposals_close_on")
    kind = process.ballot_kind
    if kind in (BallotKind.CHOOSE_K, BallotKind.RANK_K) and not process.max_choices:
        raise EngageError(_("Enter the most projects a voter may choose or rank"),
                          field="max_choices")
    if kind == BallotKind.POINTS and not process.total_points:
        raise EngageError(_("Enter the points each voter shares out"), field="total_points")
    if process.min_choices and process.max_choices \
            and process.min_choices > process.max_choices:
        raise EngageError(_("The fewest projects cannot be more than the most"),
                          field="min_choices")
    vote_type = ballot_type(process, {}).vote_type
    if process.rule not in {str(r) for r in rules.applicable_rules(vote_type)}:
        raise EngageError(_("This counting rule needs a ballot with points or rankings"),
                          field="rule")


def create_process(partnership: Any, values: Mapping[str, Any], actor: User) -> BudgetingProcess:
    process = BudgetingProcess(partnership=partnership, **values)
    check_settings(process)
    db.session.add(process)
    db.session.flush()
    register_activity(process, actor)
    record_audit("budgeting.process_created", actor_id=actor.id, target=process,
                 partnership_id=partnership.id)
    return process


def close_voting(process: BudgetingProcess, actor: User, now: datetime | None = None) -> None:
    """Close an open vote now. Ballots in flight finish first (see lock_process)."""
    moment = now or utcnow()
    lock_process(process, exclusive=True)
    if process.is_closed(moment):
        raise EngageError(_("Voting has already closed"))
    if process.voting_open_at > moment:
        raise EngageError(_("Voting has not opened yet"))
    process.voting_close_at = moment
    db.session.flush()
    register_activity(process, actor)
    record_audit("budgeting.voting_closed", actor_id=actor.id, target=process,
                 partnership_id=process.partnership_id)


def theme_choices(process: BudgetingProcess,
                  project: BudgetProject | None = None) -> list[Theme]:
    """Themes a project of the process may have: the active themes of the process's
    partnership and the partnerships it is nested in (and any the project already has)."""
    current = set(project.themes) if project is not None else set()
    return [t for p in process.partnership.lineage() for t in p.themes
            if t.is_active or t in current]


def set_project_themes(project: BudgetProject, theme_ids: Collection[int]) -> None:
    """Give a project its themes (what makes the process evidence for priorities). Themes do
    not change the ballot, so they may be set at any time."""
    allowed = {t.id: t for t in theme_choices(project.process, project)}
    if any(i not in allowed for i in theme_ids):
        raise EngageError(_("Choose themes from the list"), field="themes")
    project.themes = [allowed[i] for i in sorted(set(theme_ids))]


def submit_proposal(process: BudgetingProcess, proposer: User, title: str, description: str,
                    title_cy: str | None = None, description_cy: str | None = None,
                    now: datetime | None = None,
                    theme_ids: Collection[int] = ()) -> BudgetProject:
    if not process.is_proposals_open(now or utcnow()):
        raise EngageError(_("Proposals are not open"))
    lock_process(process, exclusive=True)  # two proposals at once must not share a code
    taken = set(db.session.scalars(select(BudgetProject.code)
                                   .where(BudgetProject.process_id == process.id)))
    number = len(taken) + 1
    while f"P{number}" in taken:
        number += 1
    project = BudgetProject(process=process, code=f"P{number}", title=title,
                            title_cy=title_cy or None, description=description,
                            description_cy=description_cy or None, proposer_id=proposer.id)
    db.session.add(project)
    if theme_ids:
        set_project_themes(project, theme_ids)
    db.session.flush()
    return project


def review_project(project: BudgetProject, status: ProjectStatus, cost_pence: int | None,
                   public_reason: str | None, actor: User,
                   merged_into: BudgetProject | None = None,
                   theme_ids: Collection[int] | None = None) -> None:
    """Decide on a proposal. Once voting has started only its themes may change."""
    lock_process(project.process, exclusive=True)
    if theme_ids is not None:
        set_project_themes(project, theme_ids)
    if has_ballots(project.process):
        unchanged = (
            status == project.status
            and (cost_pence is None or cost_pence == project.cost_pence)
            and (public_reason or None) == project.public_reason
            and (status != ProjectStatus.MERGED
                 or (merged_into is not None and merged_into.id == project.merged_into_id))
        )
        if not unchanged or theme_ids is None:
            raise EngageError(_("Voting has started, so the ballot cannot change"))
        db.session.flush()
        record_audit("budgeting.project_themes_set", actor_id=actor.id, target=project,
                     partnership_id=project.process.partnership_id)
        return
    if status == ProjectStatus.INELIGIBLE and not public_reason:
        raise EngageError(_("Enter the reason the proposal is not eligible"),
                          field="public_reason")
    if status == ProjectStatus.MERGED:
        if merged_into is None or merged_into.process_id != project.process_id \
                or merged_into.id == project.id:
            raise EngageError(_("Choose the proposal to merge this one into"),
                              field="merged_into")
        project.merged_into_id = merged_into.id
    if cost_pence is not None:
        project.cost_pence = cost_pence
    project.status = status
    project.public_reason = public_reason or None
    db.session.flush()
    record_audit("budgeting.project_reviewed", actor_id=actor.id, target=project,
                 partnership_id=project.process.partnership_id, status=str(status))


# ------------------------------------------------------------------ voting


def _costs(process: BudgetingProcess) -> dict[str, int]:
    return {p.code: p.cost_pence for p in ballot_projects(process)}


def check_choices(process: BudgetingProcess, codes: Sequence[str],
                  points: Mapping[str, int] | None = None) -> dict[str, Any]:
    return ballot_type(process, _costs(process)).validate(codes, points)


def summarise_choices(process: BudgetingProcess, codes: Sequence[str],
                      points: Mapping[str, int] | None = None) -> Any:
    return ballot_type(process, _costs(process)).summarise(codes, points)


def eligibility_problem(process: BudgetingProcess, user: User) -> str | None:
    """Why this account may not vote online, or None."""
    if user.email_confirmed_at is None:
        return _("Confirm your email address before you vote")
    ward = user.home_ward
    if ward is None or ward.id not in {w.id for w in process.area.wards()}:
        return _("Only residents of the area can vote")
    return None


def cast_ballot(process: BudgetingProcess, *, voter_key: str, channel: BallotChannel,
                codes: Sequence[str], points: Mapping[str, int] | None, age_confirmed: bool,
                user: User | None = None, voter_code: VoterCode | None = None,
                ward_id: int | None = None, keyed_by: User | None = None,
                now: datetime | None = None) -> BudgetBallot:
    """Store one ballot, or replace the voter's earlier one if the process allows it.

    The unique (process, voter_key) constraint makes concurrent submissions safe: the loser of
    a race gets an IntegrityError inside a savepoint and then updates (or is refused).
    """
    lock_process(process, exclusive=False)
    moment = now or utcnow()
    if not process.is_voting_open(moment):
        raise EngageError(_("Voting is closed"))
    if not age_confirmed:
        raise EngageError(
            _("Confirm that you are %(age)s or over", age=process.minimum_age),
            field="age_confirmed")
    choices = check_choices(process, codes, points)
    existing = _ballot_for(process, voter_key)
    if existing is None:
        ballot = BudgetBallot(
            process_id=process.id, voter_key=voter_key, user_id=user.id if user else None,
            voter_code_id=voter_code.id if voter_code else None, ward_id=ward_id,
            channel=channel, choices=choices, age_confirmed=True,
            receipt_code=_random_code(10), keyed_by_id=keyed_by.id if keyed_by else None,
            is_confirmed=channel != BallotChannel.PAPER, cast_at=moment, updated_at=moment)
        try:
            with db.session.begin_nested():
                db.session.add(ballot)
        except IntegrityError:
            existing = _ballot_for(process, voter_key)
            if existing is None:  # pragma: no cover - the constraint fired for another reason
                raise
        else:
            return ballot
    if existing.channel == BallotChannel.VOTER_CODE or channel == BallotChannel.VOTER_CODE:
        # Single use, also when two people type the same code at the same moment.
        raise EngageError(_("This voter code has already been used"), field="voter_code")
    if not process.allows_changes or existing.channel == BallotChannel.PAPER \
            or channel == BallotChannel.PAPER:
        raise EngageError(_("A ballot has already been recorded for this voter"))
    existing.choices = choices
    existing.updated_at = moment
    existing.receipt_code = _random_code(10)
    db.session.flush()
    return existing


def _ballot_for(process: BudgetingProcess, voter_key: str) -> BudgetBallot | None:
    return db.session.scalar(select(BudgetBallot).where(
        BudgetBallot.process_id == process.id, BudgetBallot.voter_key == voter_key))


def ballot_for_user(process: BudgetingProcess, user: User) -> BudgetBallot | None:
    return _ballot_for(process, f"u{user.id}")


def cast_online(process: BudgetingProcess, user: User, codes: Sequence[str],
                points: Mapping[str, int] | None, age_confirmed: bool,
                now: datetime | None = None) -> BudgetBallot:
    problem = eligibility_problem(process, user)
    if problem:
        raise EngageError(problem)
    if _paper_ballot_named(process, user) is not None:
        raise EngageError(_("A ballot has already been recorded for this voter"))
    return cast_ballot(process, voter_key=f"u{user.id}", channel=BallotChannel.ONLINE,
                       codes=codes, points=points, age_confirmed=age_confirmed, user=user,
                       ward_id=user.home_ward_id, now=now)


def _paper_ballot_named(process: BudgetingProcess, user: User) -> BudgetBallot | None:
    return db.session.scalar(select(BudgetBallot).where(
        BudgetBallot.process_id == process.id, BudgetBallot.user_id == user.id,
        BudgetBallot.channel == BallotChannel.PAPER))


def generate_voter_codes(process: BudgetingProcess, count: int, actor: User) -> list[VoterCode]:
    if count < 1 or count > 5000:
        raise EngageError(_("Enter a number from 1 to 5,000"), field="count")
    batch = (db.session.scalar(select(func.max(VoterCode.batch))
                               .where(VoterCode.process_id == process.id)) or 0) + 1
    codes = [VoterCode(process_id=process.id, code=_random_code(12), batch=batch)
             for _ in range(count)]
    db.session.add_all(codes)
    db.session.flush()
    record_audit("budgeting.voter_codes_generated", actor_id=actor.id, target=process,
                 partnership_id=process.partnership_id, count=count, batch=batch)
    return codes


def find_voter_code(process: BudgetingProcess, code: str) -> VoterCode:
    found = db.session.scalar(select(VoterCode).where(
        VoterCode.process_id == process.id,
        VoterCode.code == code.strip().upper().replace(" ", "").replace("-", "")))
    if found is None:
        raise EngageError(_("Enter a valid voter code"), field="voter_code")
    return found


def code_is_used(process: BudgetingProcess, voter_code: VoterCode) -> bool:
    return _ballot_for(process, f"c{voter_code.id}") is not None


def cast_with_code(process: BudgetingProcess, code: str, codes: Sequence[str],
                   points: Mapping[str, int] | None, age_confirmed: bool,
                   now: datetime | None = None) -> BudgetBallot:
    """A single-use code: the ballot cannot be changed afterwards."""
    voter_code = find_voter_code(process, code)
    if _ballot_for(process, f"c{voter_code.id}") is not None:
        raise EngageError(_("This voter code has already been used"), field="voter_code")
    return cast_ballot(process, voter_key=f"c{voter_code.id}", channel=BallotChannel.VOTER_CODE,
                       codes=codes, points=points, age_confirmed=age_confirmed,
                       voter_code=voter_code, now=now)


def paper_voter_key(process: BudgetingProcess, name: str, postcode: str) -> str:
    """Key of a paper ballot identified by name and postcode: an HMAC of both (normalised) and
    the process under ENGAGE_VOTER_KEY_SECRET. Without the secret, a stored key cannot confirm
    whether a given person voted, and keys do not repeat across processes."""
    secret = str(current_app.config["ENGAGE_VOTER_KEY_SECRET"]).encode()
    message = f"{process.id}|{_normal_name_and_postcode(name, postcode)}".encode()
    return "h" + hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


def _normal_name_and_postcode(name: str, postcode: str) -> str:
    return " ".join(name.lower().split()) + "|" + postcode.upper().replace(" ", "")


def _legacy_paper_voter_key(name: str, postcode: str) -> str:
    """The unsalted key of paper ballots keyed before ENGAGE_VOTER_KEY_SECRET (still looked
    up, so that a voter keyed then cannot be keyed again in the same process)."""
    normal = _normal_name_and_postcode(name, postcode)
    return "p" + hashlib.sha256(normal.encode()).hexdigest()[:40]


def key_paper_ballot(process: BudgetingProcess, officer: User, *, codes: Sequence[str],
                     points: Mapping[str, int] | None, age_confirmed: bool,
                     voter_code: str | None = None, name: str | None = None,
                     postcode: str | None = None, voter: User | None = None,
                     ward_id: int | None = None, now: datetime | None = None) -> BudgetBallot:
    """Key a paper ballot (unconfirmed until a second officer confirms it).

    The voter is identified by their voter code, or by name and postcode; when staff match the
    paper to a registered account (``voter``), an online ballot by that account blocks it.
    """
    code_row = find_voter_code(process, voter_code) if voter_code else None
    if code_row is not None:
        key = f"c{code_row.id}"
    elif voter is not None:
        key = f"u{voter.id}"
    elif name and postcode:
        key = paper_voter_key(process, name, postcode)
        legacy = _legacy_paper_voter_key(name, postcode)
        if _ballot_for(process, key) is None and _ballot_for(process, legacy) is not None:
            key = legacy
    else:
        raise EngageError(_("Enter the voter code, or the voter's name and postcode"),
                          field="voter_code")
    ballot = cast_ballot(process, voter_key=key, channel=BallotChannel.PAPER, codes=codes,
                         points=points, age_confirmed=age_confirmed, user=voter,
                         voter_code=code_row, ward_id=ward_id, keyed_by=officer, now=now)
    record_audit("budgeting.paper_ballot_keyed", actor_id=officer.id, target=ballot,
                 partnership_id=process.partnership_id)
    return ballot


def confirm_paper_ballot(ballot: BudgetBallot, officer: User) -> None:
    if ballot.channel != BallotChannel.PAPER or ballot.is_confirmed:
        raise EngageError(_("This ballot does not need confirming"))
    if ballot.keyed_by_id == officer.id:
        raise EngageError(_("A different officer must confirm a paper ballot"))
    ballot.is_confirmed = True
    ballot.confirmed_by_id = officer.id
    db.session.flush()
    record_audit("budgeting.paper_ballot_confirmed", actor_id=officer.id, target=ballot,
                 partnership_id=None)


# ------------------------------------------------------------------ counting


def counted_ballots(process: BudgetingProcess) -> list[BudgetBallot]:
    return list(db.session.scalars(select(BudgetBallot).where(
        BudgetBallot.process_id == process.id, BudgetBallot.is_confirmed.is_(True))
        .order_by(BudgetBallot.id)))


def engine_inputs(process: BudgetingProcess) -> tuple[rules.Instance, rules.Profile]:
    projects = ballot_projects(process)
    instance = rules.Instance(budget=process.budget_pence, unit_scale=100, projects=tuple(
        rules.Project(p.code, p.cost_pence) for p in projects))
    kind = ballot_type(process, {p.code: p.cost_pence for p in projects})
    profile = rules.Profile(kind.vote_type, tuple(
        kind.store(b.choices) for b in counted_ballots(process)))
    return instance, profile


def inputs_hash(instance: rules.Instance, profile: rules.Profile, rule: str,
                tie_break: str) -> str:
    data = {
        "budget": instance.budget, "rule": rule, "tie_break": tie_break,
        "projects": [[p.id, p.cost] for p in instance.projects],
        "vote_type": str(profile.vote_type),
        "ballots": sorted([list(b.projects), [str(x) for x in (b.points or ())]]
                          for b in profile.ballots),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Fraction):
        return str(value)
    return value


def explanation_rows(result: rules.TallyResult, profile: rules.Profile) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for e in result.explanations:
        row: dict[str, Any] = {
            "code": str(e.code), "cost": e.cost, "supporters": e.supporters,
            "stage": str(e.stage) if e.stage else None,
            "total_points": _jsonable(e.total_points),
            "remaining_budget": e.remaining_budget,
        }
        if e.mes is not None:
            least, most = e.mes.least_and_most_paid() or (0, 0)
            row["mes"] = {"share": str(e.mes.share), "payers": e.mes.payers(),
                          "max_paid": str(most), "min_paid": str(least)}
        rows[e.project_id] = row
    return rows


def tally_process(process: BudgetingProcess, now: datetime | None = None) -> BudgetResult:
    """Count a closed process and store the result with what is needed to recount it."""
    if not process.is_closed(now or utcnow()):
        raise EngageError(_("The vote has not closed yet"))
    instance, profile = engine_inputs(process)
    result = rules.tally(instance, profile, process.rule, tie_break=process.tie_break)
    stored = BudgetResult(
        process_id=process.id, rule=process.rule, tie_break=process.tie_break,
        inputs_hash=inputs_hash(instance, profile, process.rule, process.tie_break),
        ballots=len(profile.ballots), selected=list(result.selected),
        explanations=explanation_rows(result, profile), total_cost_pence=result.total_cost)
    db.session.add(stored)
    db.session.flush()
    register_activity(process)
    return stored


def latest_result(process: BudgetingProcess) -> BudgetResult | None:
    return db.session.scalar(select(BudgetResult).where(BudgetResult.process_id == process.id)
                             .order_by(BudgetResult.id.desc()).limit(1))


def recount(process: BudgetingProcess, published: BudgetResult) -> bool:
    """Does counting again, with the stored rule and tie-break, reproduce the result?"""
    instance, profile = engine_inputs(process)
    if inputs_hash(instance, profile, published.rule, published.tie_break) \
            != published.inputs_hash:
        return False
    again = rules.tally(instance, profile, published.rule, tie_break=published.tie_break,
                        explain=False)
    return list(again.selected) == list(published.selected)


def turnout_by_ward(process: BudgetingProcess) -> dict[int | None, int]:
    return dict(db.session.execute(
        select(BudgetBallot.ward_id, func.count()).where(
            BudgetBallot.process_id == process.id, BudgetBallot.is_confirmed.is_(True))
        .group_by(BudgetBallot.ward_id)).all())


def ward_support(ward_id: int, threshold: int) -> list[dict[str, Any]]:
    """Votes from one ward in each published process covering it: ballots and supporters per
    project, each count below the disclosure threshold hidden (None). Counts of supporters
    are not additive (one ballot backs several projects), so no hidden cell can be recovered
    from the others."""
    found: list[dict[str, Any]] = []
    processes = db.session.scalars(select(BudgetingProcess).join(
        BudgetResult, BudgetResult.process_id == BudgetingProcess.id).distinct()
        .order_by(BudgetingProcess.voting_close_at.desc()))
    for process in processes:
        if ward_id not in {w.id for w in process.area.wards()} or not process.is_closed(utcnow()):
            continue
        result = latest_result(process)
        ballots = [b for b in counted_ballots(process) if b.ward_id == ward_id]
        support: dict[str, int] = {}
        for ballot in ballots:
            for code in ballot.choices.get("projects", []):
                support[code] = support.get(code, 0) + 1
        shown = (lambda n: n if n >= threshold else None)  # noqa: E731
        found.append({
            "process": process, "ballots": shown(len(ballots)),
            "projects": [(p, shown(support.get(p.code, 0)),
                          result is not None and p.code in result.selected)
                         for p in ballot_projects(process)],
        })
    return found


def export_pb(process: BudgetingProcess) -> str:
    """Anonymised ballots as a Pabulib file (voters numbered 1..n, no personal data)."""
    instance, profile = engine_inputs(process)
    projects = ballot_projects(process)  # the order of instance.projects
    return pabulib.write_pb(pabulib.PbElection(
        instance=instance, profile=profile,
        meta=(("description", process.title), ("country", "United Kingdom"),
              ("unit", process.area.name), ("currency", "GBP"),
              ("rule", process.rule)),
        project_header=("project_id", "cost", "name", "category"),
        project_fields=tuple((p.title, ",".join(t.slug for t in p.themes)) for p in projects)))


def themes_for_category(process: BudgetingProcess, category: str) -> list[Theme]:
    """The themes a Pabulib ``category`` (comma-separated) names, by slug or name, ignoring
    case; categories matching none of the process's themes are left out."""
    by_key: dict[str, Theme] = {}
    for theme in reversed(theme_choices(process)):  # the nearest partnership's theme wins
        by_key[theme.slug.casefold()] = theme
        by_key[theme.name.casefold()] = theme
    found: list[Theme] = []
    for part in category.split(","):
        theme = by_key.get(part.strip().casefold())
        if theme is not None and theme not in found:
            found.append(theme)
    return found


def import_pb(process: BudgetingProcess, text: str, actor: User) -> int:
    """Load a .pb file's projects and ballots into an empty process (simulation, past votes)."""
    try:
        election = pabulib.parse_pb(text)
    except pabulib.PbFormatError as error:
        raise EngageError(_("The file is not a valid .pb file: %(problem)s", problem=str(error)),
                          field="file") from error
    if has_ballots(process) or process.projects:
        raise EngageError(_("Import into a process without projects or ballots"), field="file")
    scale = election.instance.unit_scale
    to_pence = (lambda units: units * 100 // scale)  # noqa: E731
    process.budget_pence = to_pence(election.instance.budget)
    extra = [c for c in election.project_header if c not in ("project_id", "cost")]
    column = {name: extra.index(name) for name in ("name", "category") if name in extra}
    for p, fields in zip(election.instance.projects, election.project_fields, strict=True):
        name = fields[column["name"]] if "name" in column else ""
        category = fields[column["category"]] if "category" in column else ""
        db.session.add(BudgetProject(process=process, code=p.id[:40],
                                     title=(name or p.id)[:200], cost_pence=to_pence(p.cost),
                                     status=ProjectStatus.SHORTLISTED,
                                     themes=themes_for_category(process, category)))
    db.session.flush()
    rows = []
    for index, ballot in enumerate(election.profile.ballots):
        rows.append({
            "process_id": process.id, "voter_key": f"i{index + 1}",
            "channel": BallotChannel.PAPER, "age_confirmed": True, "is_confirmed": True,
            "choices": {"projects": list(ballot.projects),
                        "points": [int(x) for x in ballot.points] if ballot.points else None},
            "receipt_code": f"I{process.id}-{index + 1}"[:20],
            "cast_at": utcnow(), "updated_at": utcnow()})
    if rows:
        db.session.execute(BudgetBallot.__table__.insert(), rows)
    record_audit("budgeting.pb_imported", actor_id=actor.id, target=process,
                 partnership_id=process.partnership_id, ballots=len(rows))
    return len(rows)


def post_delivery_update(project: BudgetProject, text: str, text_cy: str | None,
                         actor: User) -> DeliveryUpdate:
    """"You said, we did": progress on a funded project, shown on the results page."""
    result = latest_result(project.process)
    if result is None or project.code not in result.selected:
        raise EngageError(_("Only funded projects have delivery updates"), field="text")
    if not text.strip():
        raise EngageError(_("Enter the update"), field="text")
    update = DeliveryUpdate(project_id=project.id, text=text.strip(),
                            text_cy=(text_cy or "").strip() or None, posted_by_id=actor.id)
    db.session.add(update)
    db.session.flush()
    record_audit("budgeting.delivery_update_posted", actor_id=actor.id, target=project,
                 partnership_id=project.process.partnership_id)
    return update


# ------------------------------------------------------------------ engagement register


def register_activity(
    process: BudgetingProcess, actor: User | None = None, now: datetime | None = None
) -> None:
    """Keep the process's entry in the engagement register (engage.audit) up to date.

    Needs the lead organisation and theme; without them the process is not registered.
    """
    if process.organisation_id is None or process.theme_id is None:
        return
    from engage.audit.operations import upsert_activity_from_source

    upsert_activity_from_source("budgeting", process.id, partnership=process.partnership,
                                data=_register_data(process, now or utcnow()),
                                actor_id=actor.id if actor else None)


def refresh_register(now: datetime) -> int:
    """Catch the register up with what changes without an edit (see
    engage.core.register_sources): a process's entry follows its phases by the clock and
    counts the ballots confirmed since. Entries already up to date are left alone. Returns
    the entries updated."""
    from engage.audit.operations import refresh_sourced_activities

    registered = db.session.scalars(select(BudgetingProcess).where(
        BudgetingProcess.organisation_id.is_not(None), BudgetingProcess.theme_id.is_not(None)))
    return refresh_sourced_activities("budgeting", (
        (p.id, p.partnership, _register_data(p, now)) for p in registered
    ))


def _register_data(process: BudgetingProcess, now: datetime) -> ActivityData:
    """The register's view of a process (engage.audit's ActivityData)."""
    from engage.audit.operations import ActivityData
    from engage.core.time import LONDON, as_utc

    result = latest_result(process) if process.is_closed(now) else None
    if result is not None:
        status = "results_published"
    elif process.is_closed(now):
        status = "closed"
    elif process.voting_open_at > now and not process.is_proposals_open(now):
        status = "planned"
    else:
        status = "live"
    start = as_utc(process.proposals_open_at or process.voting_open_at).astimezone(LONDON)
    end = as_utc(process.voting_close_at).astimezone(LONDON)
    participants = db.session.scalar(select(func.count()).select_from(BudgetBallot).where(
        BudgetBallot.process_id == process.id, BudgetBallot.is_confirmed.is_(True))) or 0
    data = ActivityData(
        organisation_id=process.organisation_id, title=process.title[:200],
        start_date=start.date(), end_date=end.date(), method="participatory_budgeting",
        description=process.description or "", theme_ids=(process.theme_id,),
        area_ids=(process.area_id,), participants=int(participants),
        cost_pence=process.budget_pence, status=status,
        outcome_statement=(f"{len(result.selected)} projects funded" if result else ""),
    )
    return data


from engage.budgeting import personal_data as _personal_data  # noqa: E402,F401  (registers export/erase)

register_source("budgeting", refresh_register)
