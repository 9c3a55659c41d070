"""Participatory budgeting in a browser.

A resident finds the vote from their home page, chooses projects within the budget (the running
total updates as they tick, with htmx), sees an over-budget choice refused with a clear message,
checks and confirms their vote and gets a receipt — in English and in Welsh, and without
JavaScript (the server validates and explains). A coordinator closes a vote, counts it and reads
the results. Every page reached is checked with axe when JavaScript is on.

Each test makes its own approval-within-budget process (£1,000: Benches £400, Bulbs £300, Play
area £700) in the live server's database, so tests do not depend on each other's votes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import COORDINATOR, LANGUAGES, sign_in, sign_out, start, unique
from tests.e2e.live_server import ROOT, LiveServer, server_environment
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser

RESIDENT = "resident@engage.example"  # demo resident of Kelham Riverside, email confirmed
OVER_BUDGET = "The projects you chose cost more than the budget. Remove a project and try again"

MAKE_PROCESS = """
import sys
from datetime import timedelta
from engage import create_app
from engage.budgeting.demo import _area
from engage.budgeting.models import (BallotChannel, BallotKind, BudgetBallot, BudgetingProcess,
                                     BudgetProject, ProjectStatus, VoterCode)
from engage.core.time import utcnow
from engage.extensions import db

title, ballots = sys.argv[1], int(sys.argv[2])
app = create_app()
with app.app_context():
    partnership, district = _area()
    now = utcnow()
    process = BudgetingProcess(
        partnership=partnership, area=district, title=title, budget_pence=100_000,
        description="Help decide how £1,000 is spent.", voting_open_at=now - timedelta(days=1),
        voting_close_at=now + timedelta(days=7), ballot_kind=BallotKind.APPROVAL_BUDGET,
        rule="greedy-cost", tie_break="lexicographic", minimum_age=16, allows_changes=True)
    db.session.add(process)
    for code, name, cost in (("A", "Benches", 40_000), ("B", "Bulbs", 30_000),
                             ("C", "Play area", 70_000)):
        db.session.add(BudgetProject(process=process, code=code, title=name, cost_pence=cost,
                                     description=name + ".", status=ProjectStatus.SHORTLISTED))
    db.session.flush()
    wards = district.wards()
    for index in range(ballots):
        db.session.add(BudgetBallot(
            process_id=process.id, voter_key=f"e2e{process.id}-{index}",
            channel=BallotChannel.ONLINE, ward_id=wards[index % len(wards)].id,
            choices={"projects": ["A", "B"] if index % 3 else ["C"], "points": None},
            age_confirmed=True, receipt_code=f"E2E{process.id}X{index}"))
    code = VoterCode(process_id=process.id, code=f"E2E{process.id:09d}", batch=1)
    db.session.add(code)
    db.session.commit()
    print(process.id, code.code)
"""


def make_process(server: LiveServer, ballots: int = 0) -> tuple[str, int, str]:
    """A new open process in the live server's database: its title, id and a voter code."""
    title = f"Pocket parks {unique('')}"
    made = subprocess.run([sys.executable, "-c", MAKE_PROCESS, title, str(ballots)], cwd=ROOT,
                          env=server_environment(server.instance), check=True,
                          capture_output=True, text=True, timeout=120)
    process_id, code = made.stdout.split()[-2:]
    return title, int(process_id), code


def _changes(visitor: Visitor, javascript: bool) -> Callable[[Callable[[], None]], None]:
    """Ticking a box: with JavaScript htmx updates the running total (checked as a page
    update); without it nothing happens until the form is sent."""
    if javascript:
        return visitor.update
    return lambda act: act()


def resident_votes(visitor: Visitor, server: LiveServer, language: str,
                   javascript: bool = True) -> None:
    title, _, _ = make_process(server)
    change = _changes(visitor, javascript)
    start(visitor, language)
    sign_in(visitor, RESIDENT)
    visitor.follow(visitor.link("Participatory budgeting: %(process)s", process=title,
                                within=visitor.main))
    visitor.expect_heading(title)
    visitor.follow(visitor.link("Vote now", within=visitor.main))
    visitor.expect_heading("Vote")

    benches = visitor.checkbox("Benches – £400.00")
    bulbs = visitor.checkbox("Bulbs – £300.00")
    play = visitor.checkbox("Play area – £700.00")
    summary = visitor.page.locator("#pb-summary")
    change(lambda: visitor.tick(benches))
    if javascript:
        expect(summary).to_contain_text(visitor.t(
            "Chosen: %(used)s. Left to spend: %(left)s.", used="£400.00", left="£600.00"))
    change(lambda: visitor.tick(play))
    if javascript:
        expect(summary).to_contain_text(visitor.t(OVER_BUDGET))
    change(lambda: visitor.tick(visitor.page.locator("#age_confirmed")))

    # Over budget: refused with a clear message, the choices kept, nothing stored.
    visitor.submit(visitor.button("Continue", within=visitor.main), status=400)
    visitor.expect_heading("Vote")
    error_summary = visitor.page.locator(".govuk-error-summary")
    expect(error_summary).to_contain_text(visitor.t("There is a problem"))
    expect(error_summary).to_contain_text(visitor.t(OVER_BUDGET))
    expect(visitor.page).to_have_title(visitor.t("Error") + ": " + visitor.t("Vote")
                                       + " – " + title)
    expect(play).to_be_checked()

    # Within budget: £700 of £1,000.
    change(lambda: play.uncheck())
    change(lambda: visitor.tick(bulbs))
    if javascript:
        expect(summary).to_contain_text(visitor.t(
            "Chosen: %(used)s. Left to spend: %(left)s.", used="£700.00", left="£300.00"))
    visitor.submit(visitor.button("Continue", within=visitor.main))
    visitor.expect_heading("Check your vote")
    choices = visitor.main.locator("table")
    expect(choices).to_contain_text("Benches")
    expect(choices).to_contain_text("Bulbs")
    expect(choices).not_to_contain_text("Play area")
    visitor.submit(visitor.button("Confirm my vote"))
    visitor.expect_heading("Vote recorded")
    expect(visitor.page.locator(".govuk-panel__body strong")).to_have_text(
        re.compile(r"^[A-Z0-9]{10}$"))
    expect(visitor.main).to_contain_text(visitor.t("Results are published after voting closes."))

    # The results stay hidden until the vote closes.
    visitor.follow(visitor.link("Back to the process"))
    visitor.expect_heading(title)
    expect(visitor.link("See the results", within=visitor.main)).to_have_count(0)
    sign_out(visitor)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_resident_votes_within_budget_after_an_over_budget_choice_is_refused(
    open_visitor: OpenVisitor, live_server: LiveServer, language: str
) -> None:
    resident_votes(open_visitor("resident"), live_server, language)


def test_a_resident_votes_without_javascript(
    open_visitor: OpenVisitor, live_server: LiveServer
) -> None:
    visitor = open_visitor("resident", javascript=False)
    resident_votes(visitor, live_server, "en", javascript=False)
    expect(visitor.page.locator("body")).not_to_have_class(
        re.compile(r"\bjs-enabled\b"))


def coordinator_closes_and_counts(visitor: Visitor, server: LiveServer, language: str) -> None:
    title, _, _ = make_process(server, ballots=12)  # 8 for Benches and Bulbs, 4 for the Play area
    start(visitor, language)
    sign_in(visitor, COORDINATOR)
    visitor.follow(visitor.link(
        "Participatory budgeting: voting, paper ballots, counts and results", within=visitor.main))
    visitor.expect_heading("Participatory budgeting")
    visitor.follow(visitor.main.get_by_role("link", name=title, exact=True))
    visitor.expect_heading(title)
    expect(visitor.button("Count the votes")).to_have_count(0)  # not before the close

    visitor.submit(visitor.button("Close voting now"))
    visitor.expect_success("Voting has closed. You can now count the votes.")
    expect(visitor.button("Close voting now")).to_have_count(0)

    visitor.submit(visitor.button("Count the votes"))
    visitor.expect_heading("Counting a participatory budgeting vote")
    proceed = visitor.link("Continue", within=visitor.main)
    expect(proceed).to_be_visible(timeout=20_000)  # htmx polls the job's status
    visitor.follow(proceed)
    visitor.expect_heading("Results")
    funded = visitor.main.locator("h2", has_text=visitor.t("Funded projects"))
    expect(funded).to_be_visible()
    table = visitor.main.get_by_role("table").filter(
        has_text=visitor.t("Every project, its support and why it was or was not funded"))
    expect(table).to_contain_text("Benches")
    expect(table).to_contain_text("Play area")
    sign_out(visitor)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_coordinator_closes_a_vote_counts_it_and_reads_the_results(
    open_visitor: OpenVisitor, live_server: LiveServer, language: str
) -> None:
    coordinator_closes_and_counts(open_visitor("coordinator"), live_server, language)


def test_a_resident_votes_once_with_the_code_from_their_letter_without_an_account(
    open_visitor: OpenVisitor, live_server: LiveServer
) -> None:
    visitor = open_visitor("letter")
    title, process_id, code = make_process(live_server)
    start(visitor, "en")
    # The letter gives the process page's address.
    visitor.open(f"/budgeting/{process_id}")
    visitor.expect_heading(title)
    visitor.follow(visitor.link("Vote with the code from your letter", within=visitor.main))
    visitor.expect_heading("Vote")
    visitor.fill(visitor.field("Voter code"), "WRONG CODE")
    visitor.update(lambda: visitor.tick(visitor.checkbox("Bulbs – £300.00")))
    visitor.update(lambda: visitor.tick(visitor.page.locator("#age_confirmed")))
    visitor.submit(visitor.button("Continue", within=visitor.main), status=400)
    expect(visitor.page.locator(".govuk-error-summary")).to_contain_text(
        visitor.t("Enter a valid voter code"))
    visitor.fill(visitor.field("Voter code"), code.lower())
    visitor.submit(visitor.button("Continue", within=visitor.main))
    visitor.expect_heading("Check your vote")
    visitor.submit(visitor.button("Confirm my vote"))
    visitor.expect_heading("Vote recorded")
    expect(visitor.link("Change your vote")).to_have_count(0)
    # The code works once.
    visitor.open(f"/budgeting/{process_id}/code")
    visitor.fill(visitor.field("Voter code"), code)
    visitor.update(lambda: visitor.tick(visitor.checkbox("Benches – £400.00")))
    visitor.update(lambda: visitor.tick(visitor.page.locator("#age_confirmed")))
    visitor.submit(visitor.button("Continue", within=visitor.main), status=400)
    expect(visitor.page.locator(".govuk-error-summary")).to_contain_text(
        visitor.t("This voter code has already been used"))

