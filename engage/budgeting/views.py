"""Participatory budgeting pages: voting, results, and the coordinator's tools."""

from __future__ import annotations

from decimal import Decimal
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
from wtforms import SelectChoice

from engage.budgeting import labels, operations, policy
from engage.budgeting.cli import tally_command
from engage.budgeting.forms import ProcessForm, ProposalForm, ReviewForm
from engage.budgeting.models import (
    BallotChannel,
    BallotKind,
    BudgetBallot,
    BudgetingProcess,
    BudgetProject,
    DeliveryUpdate,
    ProjectStatus,
    VoterCode,
)
from engage.consultations.forms import london_to_utc, utc_to_london
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


def public_processes(user: Any) -> list[BudgetingProcess]:
    """Processes covering the user's home ward with voting open or results out (for the
    resident's home page), whichever partnership runs them."""
    ward_id = getattr(user, "home_ward_id", None)
    if ward_id is None:
        return []
    now = operations.now_utc()
    found = db.session.scalars(
        select(BudgetingProcess).where(BudgetingProcess.voting_open_at <= now)
        .order_by(BudgetingProcess.voting_close_at.desc()).limit(20))
    return [p for p in found if ward_id in {w.id for w in p.area.wards()}][:5]


def ward_votes(ward: Any) -> list[dict[str, Any]]:
    """For the councillor's ward page: this ward's votes in published processes."""
    return operations.ward_support(ward.id, int(_app_config("ENGAGE_DISCLOSURE_THRESHOLD", 10)))


@bp.app_context_processor
def _home_helpers() -> dict[str, Any]:
    return {"budgeting_processes": public_processes, "budgeting_ward_votes": ward_votes}


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


def _summary_fragment(process: BudgetingProcess, summary: Any) -> WerkzeugResponse:
    """The running total (htmx swaps it in while the voter chooses)."""
    response = make_response(render_template(
        "budgeting/_summary.html", process=process, summary=summary))
    response.vary.add("HX-Request")
    return response


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


@bp.route("/budgeting/<int:process_id>/propose", methods=["GET", "POST"])
@login_required
def propose(process_id: int) -> Any:
    """Residents of the area propose projects while proposals are open."""
    process = _process(process_id)
    if not process.is_proposals_open(operations.now_utc()):
        flash(_("Proposals are not open"), "error")
        return redirect(url_for(".show", process_id=process.id))
    problem = operations.eligibility_problem(process, current_user)
    form = ProposalForm()
    form.themes.choices = _theme_choices(process)
    if problem is None and form.validate_on_submit():
        try:
            operations.submit_proposal(
                process, current_user, form.title.data or "", form.description.data or "",
                title_cy=form.title_cy.data, description_cy=form.description_cy.data,
                theme_ids=form.themes.data or [])
            db.session.commit()
            flash(_("Thank you. Your proposal has been sent for review."), "success")
            return redirect(url_for(".show", process_id=process.id))
        except EngageError as error:
            db.session.rollback()
            form.title.errors = [str(error)]
    return render_template("budgeting/propose.html", process=process, form=form,
                           problem=problem)


def _theme_choices(process: BudgetingProcess,
                   project: BudgetProject | None = None) -> list[SelectChoice]:
    return [SelectChoice(t.id, t.display_name(current_language()))
            for t in operations.theme_choices(process, project)]


@bp.route("/budgeting/<int:process_id>/projects/<int:project_id>", methods=["GET", "POST"])
@login_required
def review(process_id: int, project_id: int) -> Any:
    """Staff decide on a proposal: eligible, not eligible (with a public reason), merged into
    another, or on the ballot; with its cost."""
    process = _managed(process_id)
    project = db.session.get(BudgetProject, project_id)
    if project is None or project.process_id != process.id:
        abort(404)
    form = ReviewForm(obj=None)
    form.status.choices = [SelectChoice(str(s), str(labels.STATUS_LABELS[s]))
                           for s in ProjectStatus if s != ProjectStatus.PROPOSED]
    form.merged_into.choices = [SelectChoice("", _("Choose a proposal"))] + [
        SelectChoice(str(p.id), p.display_title(current_language()))
        for p in process.projects if p.id != project.id]
    form.themes.choices = _theme_choices(process, project)
    if request.method == "GET":
        form.themes.data = [t.id for t in project.themes]
        form.status.data = None if project.status == ProjectStatus.PROPOSED else str(project.status)
        form.cost.data = Decimal(project.cost_pence) / 100 if project.cost_pence else None
        form.public_reason.data = project.public_reason
        form.merged_into.data = project.merged_into_id
    if form.validate_on_submit():
        merged = db.session.get(BudgetProject, form.merged_into.data) \
            if form.merged_into.data else None
        cost = int(form.cost.data * 100) if form.cost.data is not None else None
        try:
            operations.review_project(project, ProjectStatus(form.status.data), cost,
                                      form.public_reason.data, current_user, merged_into=merged,
                                      theme_ids=form.themes.data or [])
            db.session.commit()
            flash(_("Decision saved"), "success")
            return redirect(url_for(".manage", process_id=process.id))
        except EngageError as error:
            db.session.rollback()
            target = getattr(form, error.field or "status", form.status)
            target.errors = [*target.errors, str(error)]
    return render_template("budgeting/project_review.html", process=process, project=project,
                           form=form), 400 if form.errors else 200


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
            return _summary_fragment(process, summary)
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


@bp.route("/budgeting/<int:process_id>/code", methods=["GET", "POST"])
def vote_with_code(process_id: int) -> Any:
    """Vote with the single-use code from a letter, without an account (works without JS)."""
    process = _process(process_id)
    if not process.is_voting_open(operations.now_utc()):
        return render_template("budgeting/closed.html", process=process), 409
    projects = operations.ballot_projects(process)
    codes: list[str] = []
    numbers: dict[str, int] = {}
    error = None
    error_field = "projects"
    voter_code = (request.form.get("voter_code") or "").strip()
    if request.method == "POST":
        codes, numbers = _submitted_choices(process)
        summary = operations.summarise_choices(process, codes, numbers)
        if _is_fragment():
            return _summary_fragment(process, summary)
        try:
            found = operations.find_voter_code(process, voter_code)
            if operations.code_is_used(process, found):
                raise EngageError(_("This voter code has already been used"),
                                  field="voter_code")
        except EngageError as problem:
            error, error_field = str(problem), "voter_code"
        if error is None:
            if request.form.get("age_confirmed") != "yes":
                error = _("Confirm that you are %(age)s or over", age=process.minimum_age)
                error_field = "projects"
            elif summary.problem:
                error = summary.problem
            else:
                return render_template(
                    "budgeting/review.html", process=process, codes=codes, numbers=numbers,
                    projects=projects, voter_code=voter_code,
                    confirm_url=url_for(".confirm_code_vote", process_id=process.id),
                    chosen=[p for p in projects if p.code in codes or numbers.get(p.code)])
    summary = operations.summarise_choices(process, codes, numbers)
    response = make_response(render_template(
        "budgeting/vote.html", process=process, projects=projects, codes=codes,
        numbers=numbers, summary=summary, error=error, error_field=error_field, problem=None,
        existing=None, age_confirmed=request.form.get("age_confirmed") == "yes",
        voter_code=voter_code, code_mode=True,
        action_url=url_for(".vote_with_code", process_id=process.id)), 400 if error else 200)
    response.vary.add("HX-Request")
    return response


@bp.post("/budgeting/<int:process_id>/code/confirm")
def confirm_code_vote(process_id: int) -> Any:
    process = _process(process_id)
    codes, numbers = _submitted_choices(process)
    try:
        ballot = operations.cast_with_code(process, request.form.get("voter_code", ""), codes,
                                           numbers, request.form.get("age_confirmed") == "yes")
        db.session.commit()
    except EngageError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".vote_with_code", process_id=process.id))
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


@bp.post("/budgeting/<int:process_id>/projects/<int:project_id>/updates")
@login_required
def post_update(process_id: int, project_id: int) -> WerkzeugResponse:
    process = _managed(process_id)
    project = db.session.get(BudgetProject, project_id)
    if project is None or project.process_id != process.id:
        abort(404)
    try:
        operations.post_delivery_update(project, request.form.get("text", ""),
                                        request.form.get("text_cy"), current_user)
        db.session.commit()
        flash(_("Update published"), "success")
    except EngageError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for(".results", process_id=process.id))


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
    # Roles on a partnership apply to the partnerships nested under it: list theirs too.
    managed = [p.id for p in partnership.descendants() if policy.can_manage(current_user, p)]
    processes = db.session.scalars(select(BudgetingProcess).where(
        BudgetingProcess.partnership_id.in_(managed)).order_by(BudgetingProcess.id)).all()
    return render_template("budgeting/index.html", partnership=partnership,
                           processes=processes, now=operations.now_utc())


def _process_form(partnership: Partnership, process: BudgetingProcess | None) -> ProcessForm:
    form = ProcessForm(obj=None)
    language = current_language()
    areas: list[Any] = []
    for area in partnership.areas:
        for found in [area, *area.wards()]:
            if found not in areas:
                areas.append(found)
    form.area_id.choices = [SelectChoice("", _("Choose the area"))] + [
        SelectChoice(str(a.id), a.display_name(language)) for a in areas]
    form.ballot_kind.choices = [SelectChoice(str(k), str(labels.BALLOT_KIND_LABELS[k]))
                                for k in BallotKind]
    form.rule.choices = [SelectChoice(code, str(label))
                         for code, label in labels.RULE_LABELS.items()]
    if request.method == "GET" and process is not None:
        form.title.data, form.title_cy.data = process.title, process.title_cy
        form.description.data, form.area_id.data = process.description, process.area_id
        form.budget.data = Decimal(process.budget_pence) / 100
        for name in ("proposals_open", "proposals_close"):
            moment = getattr(process, f"{name}_at")
            getattr(form, f"{name}_on").data = utc_to_london(moment)[0]
        form.voting_open_on.data, form.voting_open_time.data = \
            utc_to_london(process.voting_open_at)
        form.voting_close_on.data, form.voting_close_time.data = \
            utc_to_london(process.voting_close_at)
        form.ballot_kind.data = str(process.ballot_kind)
        form.max_choices.data, form.min_choices.data = process.max_choices, process.min_choices
        form.total_points.data, form.rule.data = process.total_points, process.rule
        form.minimum_age.data, form.allows_changes.data = \
            process.minimum_age, process.allows_changes
    return form


def _process_values(form: ProcessForm, partnership: Partnership) -> dict[str, Any]:
    allowed = {c.value for c in form.area_id.choices if c.value}  # type: ignore[union-attr]
    if str(form.area_id.data) not in allowed:
        raise EngageError(_("Choose the area"), field="area_id")
    voting_open = london_to_utc(form.voting_open_on.data, form.voting_open_time.data, "00:00")
    voting_close = london_to_utc(form.voting_close_on.data, form.voting_close_time.data, "23:59")
    return {
        "title": form.title.data, "title_cy": form.title_cy.data or None,
        "description": form.description.data or "", "area_id": form.area_id.data,
        "budget_pence": int((form.budget.data or 0) * 100),
        "proposals_open_at": london_to_utc(form.proposals_open_on.data, None, "00:00"),
        "proposals_close_at": london_to_utc(form.proposals_close_on.data, None, "23:59"),
        "voting_open_at": voting_open, "voting_close_at": voting_close,
        "ballot_kind": BallotKind(form.ballot_kind.data), "max_choices": form.max_choices.data,
        "min_choices": form.min_choices.data, "total_points": form.total_points.data,
        "rule": form.rule.data, "minimum_age": form.minimum_age.data,
        "allows_changes": bool(form.allows_changes.data),
    }


def _form_error(form: ProcessForm, error: EngageError) -> None:
    target = getattr(form, error.field or "title", None) or form.title
    target.errors = [*target.errors, str(error)]


@bp.route("/partnerships/<slug>/budgeting/new", methods=["GET", "POST"])
@login_required
def new_process(slug: str) -> Any:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None or not policy.can_manage(current_user, partnership):
        abort(404)
    form = _process_form(partnership, None)
    if form.validate_on_submit():
        try:
            process = operations.create_process(
                partnership, _process_values(form, partnership), current_user)
            db.session.commit()
            flash(_("Process created. Add projects by opening proposals, or import a .pb "
                    "file."), "success")
            return redirect(url_for(".manage", process_id=process.id))
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error)
    return render_template("budgeting/process_form.html", partnership=partnership,
                           process=None, form=form), 400 if form.errors else 200


@bp.route("/budgeting/<int:process_id>/settings", methods=["GET", "POST"])
@login_required
def settings(process_id: int) -> Any:
    process = _managed(process_id)
    form = _process_form(process.partnership, process)
    if form.validate_on_submit():
        try:
            values = _process_values(form, process.partnership)
            for key in ("proposals_open_at", "proposals_close_at", "voting_open_at",
                        "voting_close_at"):
                # The form shows minutes (proposal dates: days): an untouched time is unchanged.
                old = getattr(process, key)
                if old is not None and values[key] is not None and abs(
                        (values[key] - old).total_seconds()) < (86400 if "proposals" in key
                                                                else 60):
                    values[key] = old
            operations.update_process(process, values, current_user)
            db.session.commit()
            flash(_("Settings saved"), "success")
            return redirect(url_for(".manage", process_id=process.id))
        except EngageError as error:
            db.session.rollback()
            _form_error(form, error)
    return render_template("budgeting/process_form.html", partnership=process.partnership,
                           process=process, form=form), 400 if form.errors else 200


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


@bp.post("/budgeting/<int:process_id>/close")
@login_required
def close(process_id: int) -> WerkzeugResponse:
    process = _managed(process_id)
    try:
        operations.close_voting(process, current_user)
        db.session.commit()
        flash(_("Voting has closed. You can now count the votes."), "success")
    except EngageError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    return redirect(url_for(".manage", process_id=process.id))


@bp.post("/budgeting/<int:process_id>/recount")
@login_required
def recount(process_id: int) -> WerkzeugResponse:
    """Count again from the stored ballots, rule and tie-break; compare with the published."""
    process = _managed(process_id)
    result = operations.latest_result(process)
    if result is None or not process.is_closed(operations.now_utc()):
        flash(_("There is no published result to recount"), "error")
    elif operations.recount(process, result):
        flash(_("The recount reproduces the published result"), "success")
    else:
        flash(_("The recount does not match the published result: the ballots have changed "
                "since it was counted"), "error")
    return redirect(url_for(".manage", process_id=process.id))


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
    waiting = db.session.scalars(select(BudgetBallot).where(
        BudgetBallot.process_id == process.id, BudgetBallot.channel == BallotChannel.PAPER,
        BudgetBallot.is_confirmed.is_(False)).order_by(BudgetBallot.id)).all()
    return render_template("budgeting/paper.html", process=process, error=error,
                           waiting=waiting, by_code={p.code: p for p in process.projects},
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
