"""Participatory budgeting pages: voting, results, and the coordinator's tools."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from engage.budgeting import labels, operations, policy
from engage.budgeting.cli import tally_command
from engage.budgeting.models import (
    BallotChannel,
    BallotKind,
    BudgetBallot,
    BudgetingProcess,
    DeliveryUpdate,
    ProjectStatus,
    VoterCode,
)
from engage.core.errors import EngageError
from engage.core.i18n import current_language
from engage.core.spreadsheets import csv_bytes
from engage.disclosure import suppress_series
from engage.extensions import db
from engage.jobs import enqueue_job
from engage.partnerships.models import Partnership

bp = Blueprint("budgeting", __name__, cli_group="pb")
bp.cli.add_command(tally_command)

RECEIPTS_KEY = "budgeting_receipts"
LARGE_PROCESS = 5000  # ballots: count as a background job above this


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "locale": current_language(),
        "pounds": labels.pounds,
        "ballot_kind_label": lambda k: labels.BALLOT_KIND_LABELS[BallotKind(k)],
        "rule_label": lambda r: labels.RULE_LABELS.get(r, r),
        "status_label": lambda s: labels.STATUS_LABELS[ProjectStatus(s)],
        "explain": labels.explain,
    }


def _process(process_id: int) -> BudgetingProcess:
    found = db.session.get(BudgetingProcess, process_id)
    if found is None:
        abort(404)
    return found


def _managed(process_id: int) -> BudgetingProcess:
    process = _process(process_id)
    if not policy.can_manage_process(current_user, process):
        abort(404)
    return process


def _is_fragment() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def _submitted_choices(process: BudgetingProcess) -> tuple[list[str], dict[str, int]]:
    """Project codes and points (or ranks) from the form; junk numbers count as zero."""
    codes = request.form.getlist("projects")
    numbers: dict[str, int] = {}
    for key, value in request.form.items():
        if key.startswith("n-") and value.strip():
            try:
                numbers[key[2:]] = int(value)
            except ValueError:
                numbers[key[2:]] = -1
    return codes, numbers


# ------------------------------------------------------------------ public


@bp.get("/budgeting/<int:process_id>")
def show(process_id: int) -> str:
    process = _process(process_id)
    now = operations.now_utc()
    result = operations.latest_result(process) if process.is_closed(now) else None
    return render_template(
        "budgeting/show.html", process=process, now=now, result=result,
        projects=operations.ballot_projects(process),
        can_manage=policy.can_manage_process(current_user, process))


@bp.route("/budgeting/<int:process_id>/vote", methods=["GET", "POST"])
@login_required
def vote(process_id: int) -> Any:
    process = _process(process_id)
    now = operations.now_utc()
    if not process.is_voting_open(now):
        return render_template("budgeting/closed.html", process=process), 409
    problem = operations.eligibility_problem(process, current_user)
    existing = operations.ballot_for_user(process, current_user)
    if existing is not None and not process.allows_changes:
        return redirect(url_for(".receipt", process_id=process.id))
    projects = operations.ballot_projects(process)
    codes: list[str] = []
    numbers: dict[str, int] = {}
    if request.method == "GET" and existing is not None:
        codes = list(existing.choices["projects"])
        if process.ballot_kind == BallotKind.RANK_K:
            numbers = {c: i + 1 for i, c in enumerate(codes)}
        elif existing.choices.get("points"):
            numbers = dict(zip(codes, existing.choices["points"], strict=True))
    error = None
    if request.method == "POST":
        codes, numbers = _submitted_choices(process)
        summary = operations.summarise_choices(process, codes, numbers)
        if _is_fragment():
            response = make_response(render_template(
                "budgeting/_summary.html", process=process, summary=summary))
            response.vary.add("HX-Request")
            return response
        if request.form.get("age_confirmed") != "yes":
            error = _("Confirm that you are %(age)s or over", age=process.minimum_age)
        elif summary.problem:
            error = summary.problem
        else:
            return render_template("budgeting/review.html", process=process, codes=codes,
                                   numbers=numbers, projects=projects,
                                   chosen=[p for p in projects
                                           if p.code in codes or numbers.get(p.code)])
    summary = operations.summarise_choices(process, codes, numbers)
    response = make_response(render_template(
        "budgeting/vote.html", process=process, projects=projects, codes=codes,
        numbers=numbers, summary=summary, error=error, problem=problem, existing=existing,
        age_confirmed=request.form.get("age_confirmed") == "yes"), 400 if error else 200)
    response.vary.add("HX-Request")
    return response


@bp.post("/budgeting/<int:process_id>/vote/confirm")
@login_required
def confirm_vote(process_id: int) -> Any:
    process = _process(process_id)
    codes, numbers = _submitted_choices(process)
    try:
        ballot = operations.cast_online(process, current_user, codes, numbers,
                                        request.form.get("age_confirmed") == "yes")
        receipt = ballot.receipt_code
        db.session.commit()
    except EngageError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".vote", process_id=process.id))
    session[RECEIPTS_KEY] = {str(process.id): receipt}
    return redirect(url_for(".receipt", process_id=process.id))


@bp.get("/budgeting/<int:process_id>/receipt")
@login_required
def receipt(process_id: int) -> Any:
    process = _process(process_id)
    ballot = operations.ballot_for_user(process, current_user)
    if ballot is None:
        return redirect(url_for(".show", process_id=process.id))
    return render_template("budgeting/receipt.html", process=process, ballot=ballot)


def _results_context(process: BudgetingProcess) -> dict[str, Any]:
    result = operations.latest_result(process)
    if result is None:
        return {"result": None}
    by_code = {p.code: p for p in process.projects}
    funded = [by_code[c] for c in result.selected if c in by_code]
    rows = sorted(result.explanations.items(),
                  key=lambda item: (item[0] not in result.selected, -item[1]["supporters"]))
    wards = {w.id: w for w in process.area.wards()}
    turnout = operations.turnout_by_ward(process)
    threshold = int(_app_config("ENGAGE_DISCLOSURE_THRESHOLD", 10))
    ordered = sorted(wards.values(), key=lambda w: w.name)
    shown = suppress_series([turnout.get(w.id, 0) for w in ordered] or [0], threshold)
    ward_rows = list(zip(ordered, shown.cells[: len(ordered)], strict=True))
    most = max([r[1]["supporters"] for r in rows] or [1]) or 1
    return {"result": result, "funded": funded, "rows": rows, "by_code": by_code,
            "ward_rows": ward_rows, "ward_total": shown.total, "most": most}


def _app_config(key: str, default: Any) -> Any:
    from flask import current_app

    return current_app.config.get(key, default)


@bp.get("/budgeting/<int:process_id>/results")
def results(process_id: int) -> Any:
    process = _process(process_id)
    now = operations.now_utc()
    if not policy.can_see_results(current_user, process, now):
        return render_template("budgeting/not_yet.html", process=process)
    updates = _updates(process)
    return render_template("budgeting/results.html", process=process, updates=updates,
                           can_manage=policy.can_manage_process(current_user, process),
                           **_results_context(process))


def _updates(process: BudgetingProcess) -> dict[int, list[DeliveryUpdate]]:
    found: dict[int, list[DeliveryUpdate]] = {}
    for update in db.session.scalars(
        select(DeliveryUpdate).where(
            DeliveryUpdate.project_id.in_([p.id for p in process.projects]))
        .order_by(DeliveryUpdate.posted_at)
    ):
        found.setdefault(update.project_id, []).append(update)
    return found


@bp.get("/budgeting/<int:process_id>/results.csv")
def results_csv(process_id: int) -> WerkzeugResponse:
    process = _process(process_id)
    result = operations.latest_result(process)
    if not policy.can_see_results(current_user, process, operations.now_utc()) or not result:
        return redirect(url_for(".results", process_id=process.id))
    by_code = {p.code: p for p in process.projects}
    rows: list[list[Any]] = [[_("Project"), _("Title"), _("Cost (pence)"), _("Supporters"),
                              _("Funded"), _("Explanation")]]
    for code, row in result.explanations.items():
        project = by_code.get(code)
        rows.append([code, project.display_title(current_language()) if project else code,
                     row["cost"], row["supporters"],
                     _("Yes") if code in result.selected else _("No"), labels.explain(row)])
    response = make_response(csv_bytes([str(c) for c in rows[0]], rows[1:]))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename=pb-{process.id}-results.csv"
    return response


@bp.get("/budgeting/<int:process_id>/ballots.pb")
@login_required
def ballots_pb(process_id: int) -> WerkzeugResponse:
    process = _managed(process_id)
    if not policy.can_export_ballots(current_user, process, operations.now_utc()):
        flash(_("Ballots can be downloaded after voting closes"), "error")
        return redirect(url_for(".manage", process_id=process.id))
    response = make_response(operations.export_pb(process))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename=pb-{process.id}.pb"
    return response


# ------------------------------------------------------------------ coordinators


@bp.get("/partnerships/<slug>/budgeting")
@login_required
def index(slug: str) -> str:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None or not policy.can_manage(current_user, partnership):
        abort(404)
    processes = db.session.scalars(select(BudgetingProcess).where(
        BudgetingProcess.partnership_id == partnership.id).order_by(BudgetingProcess.id)).all()
    return render_template("budgeting/index.html", partnership=partnership,
                           processes=processes, now=operations.now_utc())


@bp.get("/budgeting/<int:process_id>/manage")
@login_required
def manage(process_id: int) -> str:
    process = _managed(process_id)
    paper = db.session.scalars(select(BudgetBallot).where(
        BudgetBallot.process_id == process.id, BudgetBallot.channel == BallotChannel.PAPER,
        BudgetBallot.is_confirmed.is_(False))).all()
    batches = sorted(set(db.session.scalars(select(VoterCode.batch).where(
        VoterCode.process_id == process.id))))
    return render_template("budgeting/manage.html", process=process, now=operations.now_utc(),
                           unconfirmed=paper, batches=batches,
                           result=operations.latest_result(process))


@bp.post("/budgeting/<int:process_id>/tally")
@login_required
def run_tally(process_id: int) -> WerkzeugResponse:
    process = _managed(process_id)
    if not process.is_closed(operations.now_utc()):
        flash(_("The vote has not closed yet"), "error")
        return redirect(url_for(".manage", process_id=process.id))
    job = enqueue_job("budgeting.tally", {"process_id": process.id}, owner_id=current_user.id,
                      partnership_id=process.partnership_id)
    db.session.commit()
    return redirect(url_for("jobs.status", job_id=job.id))


@bp.post("/budgeting/<int:process_id>/codes")
@login_required
def generate_codes(process_id: int) -> WerkzeugResponse:
    process = _managed(process_id)
    try:
        count = int(request.form.get("count", "0"))
        operations.generate_voter_codes(process, count, current_user)
        db.session.commit()
    except (ValueError, EngageError):
        db.session.rollback()
        flash(_("Enter a number from 1 to 5,000"), "error")
    return redirect(url_for(".manage", process_id=process.id))


@bp.get("/budgeting/<int:process_id>/codes/<int:batch>/letters")
@login_required
def print_letters(process_id: int, batch: int) -> str:
    process = _managed(process_id)
    codes = db.session.scalars(select(VoterCode).where(
        VoterCode.process_id == process.id, VoterCode.batch == batch).order_by(VoterCode.id)
    ).all()
    if not codes:
        abort(404)
    return render_template("budgeting/letters.html", process=process, codes=codes)


@bp.route("/budgeting/<int:process_id>/paper", methods=["GET", "POST"])
@login_required
def paper(process_id: int) -> Any:
    process = _process(process_id)
    if not policy.can_key_paper(current_user, process):
        abort(404)
    error = None
    if request.method == "POST":
        codes, numbers = _submitted_choices(process)
        try:
            operations.key_paper_ballot(
                process, current_user, codes=codes, points=numbers,
                age_confirmed=request.form.get("age_confirmed") == "yes",
                voter_code=request.form.get("voter_code") or None,
                name=request.form.get("name") or None,
                postcode=request.form.get("postcode") or None)
            db.session.commit()
            flash(_("Paper ballot saved. A second officer must confirm it."), "success")
            return redirect(url_for(".paper", process_id=process.id))
        except EngageError as problem:
            db.session.rollback()
            error = str(problem)
    return render_template("budgeting/paper.html", process=process, error=error,
                           projects=operations.ballot_projects(process)), 400 if error else 200


@bp.post("/budgeting/<int:process_id>/paper/<int:ballot_id>/confirm")
@login_required
def confirm_paper(process_id: int, ballot_id: int) -> WerkzeugResponse:
    process = _process(process_id)
    if not policy.can_key_paper(current_user, process):
        abort(404)
    ballot = db.session.get(BudgetBallot, ballot_id)
    if ballot is None or ballot.process_id != process.id:
        abort(404)
    try:
        operations.confirm_paper_ballot(ballot, current_user)
        db.session.commit()
        flash(_("Paper ballot confirmed"), "success")
    except EngageError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    return redirect(url_for(".paper", process_id=process.id))
