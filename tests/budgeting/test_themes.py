"""Projects have the partnership's themes, so participatory budgeting is evidence for priorities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engage.accounts.models import Role
from engage.budgeting import operations
from engage.budgeting.models import BallotChannel, BudgetBallot, BudgetProject, ProjectStatus
from engage.core.errors import EngageError
from engage.core.time import utcnow
from engage.extensions import db
from engage.priorities.aggregate import SourceKind
from engage.priorities.evidence import clear_evidence_cache
from engage.priorities.pipeline import compute_priorities, today
from engage.priorities.sources.budgeting import BudgetingSource
from tests.conftest import sign_in
from tests.factories import (
    ThemeFactory,
    make_budgeting_process,
    make_member,
    make_partnership,
    make_voter,
)


@pytest.fixture
def place(app: Any) -> Any:
    """A partnership with housing and transport themes, its open process (projects A, B, C),
    a coordinator, a resident; and another partnership with a theme of its own."""
    partnership = make_partnership("pbthemes")
    housing = ThemeFactory(partnership=partnership, slug="housing", name="Housing", position=1)
    transport = ThemeFactory(partnership=partnership, slug="transport",
                             name="Transport and getting around", position=2)
    process = make_budgeting_process(partnership)
    make_member(partnership, Role.COORDINATOR, "coordinator@example.org")
    make_voter(partnership, "voter@example.org")
    other = make_partnership("pbelsewhere")
    foreign = ThemeFactory(partnership=other, slug="parks", name="Parks")
    db.session.commit()
    clear_evidence_cache()
    yield partnership, process, housing, transport, foreign
    clear_evidence_cache()


def _by_code(process: Any) -> dict[str, BudgetProject]:
    db.session.expire_all()
    return {p.code: p for p in db.session.get(type(process), process.id).projects}


def _ballot(process: Any, index: int, codes: list[str], ward_id: int) -> None:
    db.session.add(BudgetBallot(
        process_id=process.id, voter_key=f"t{index}", channel=BallotChannel.ONLINE,
        ward_id=ward_id, choices={"projects": codes, "points": None}, age_confirmed=True,
        receipt_code=f"T{process.id}X{index}", is_confirmed=True))


def test_ballots_for_themed_projects_are_evidence_in_the_priorities(place: Any) -> None:
    partnership, process, housing, transport, _ = place
    projects = _by_code(process)
    projects["A"].themes = [housing]
    projects["B"].themes = [housing, transport]
    w1, w2 = partnership.areas[0].wards()
    # Ward 1: three ballots, two back a housing project, one backs transport (B) too.
    _ballot(process, 1, ["A"], w1.id)
    _ballot(process, 2, ["B"], w1.id)
    _ballot(process, 3, ["C"], w1.id)
    # Ward 2: one ballot, for C only (no theme).
    _ballot(process, 4, ["C"], w2.id)
    db.session.commit()

    items = BudgetingSource().collect(partnership, today())
    found = {(i.theme_id, i.area_id): (i.value, i.base) for i in items}
    assert found[("housing", w1.gss_code)] == (pytest.approx(2 / 3), 3)
    assert found[("transport", w1.gss_code)] == (pytest.approx(1 / 3), 3)
    assert found[("housing", w2.gss_code)] == (0.0, 1)
    assert all(i.source_kind is SourceKind.BUDGETING and i.is_respondent_level for i in items)

    picture = compute_priorities(partnership)
    for theme in ("housing", "transport"):
        score = picture.result.get(theme, picture.root_id)
        assert score is not None
        assert f"budgeting:process:{process.id}" in {c.source_id for c in score.contributions}
    described = picture.evidence.description(f"budgeting:process:{process.id}")
    assert described is not None and described.title == process.title


def test_a_process_without_themed_projects_gives_no_evidence(place: Any) -> None:
    partnership, process, *_ = place
    _ballot(process, 1, ["A"], partnership.areas[0].wards()[0].id)
    db.session.commit()
    assert BudgetingSource().collect(partnership, today()) == []


def test_the_review_form_saves_the_projects_themes(client: Any, place: Any) -> None:
    _, process, housing, transport, _ = place
    project = _by_code(process)["A"]
    url = f"/budgeting/{process.id}/projects/{project.id}"
    sign_in(client, "coordinator@example.org")
    page = client.get(url).get_data(as_text=True)
    assert 'name="themes"' in page and "Transport and getting around" in page
    assert client.post(url, data={"status": "shortlisted", "cost": "400",
                                  "themes": [str(housing.id), str(transport.id)]}
                       ).status_code == 302
    assert [t.slug for t in _by_code(process)["A"].themes] == ["housing", "transport"]
    shown = client.get(f"/budgeting/{process.id}").get_data(as_text=True)
    assert "Transport and getting around" in shown
    assert client.post(url, data={"status": "shortlisted", "cost": "400",
                                  "themes": [str(housing.id)]}).status_code == 302
    assert [t.slug for t in _by_code(process)["A"].themes] == ["housing"]


def test_another_partnerships_theme_is_refused(client: Any, place: Any) -> None:
    _, process, housing, _, foreign = place
    project = _by_code(process)["A"]
    sign_in(client, "coordinator@example.org")
    refused = client.post(f"/budgeting/{process.id}/projects/{project.id}", data={
        "status": "shortlisted", "cost": "400", "themes": [str(housing.id), str(foreign.id)]})
    assert refused.status_code == 400
    assert "Choose themes from the list" in refused.get_data(as_text=True)
    assert _by_code(process)["A"].themes == []
    with client.application.test_request_context(), pytest.raises(EngageError):
        operations.set_project_themes(_by_code(process)["A"], [foreign.id])


def test_themes_may_change_after_voting_starts_but_the_ballot_may_not(
    client: Any, place: Any
) -> None:
    partnership, process, housing, _, _ = place
    project = _by_code(process)["A"]
    _ballot(process, 1, ["A"], partnership.areas[0].wards()[0].id)
    db.session.commit()
    url = f"/budgeting/{process.id}/projects/{project.id}"
    sign_in(client, "coordinator@example.org")
    assert client.post(url, data={"status": "shortlisted", "cost": "400",
                                  "themes": [str(housing.id)]}).status_code == 302
    assert [t.slug for t in _by_code(process)["A"].themes] == ["housing"]
    changed = client.post(url, data={"status": "shortlisted", "cost": "999",
                                     "themes": [str(housing.id)]})
    assert changed.status_code == 400
    assert "Voting has started" in changed.get_data(as_text=True)
    assert _by_code(process)["A"].cost_pence == 40_000


def test_a_resident_may_give_a_proposal_themes(client: Any, place: Any) -> None:
    _, process, _, transport, _ = place
    now = utcnow()
    process.proposals_open_at = now - timedelta(days=1)
    process.proposals_close_at = now + timedelta(days=1)
    db.session.commit()
    sign_in(client, "voter@example.org")
    assert "Transport and getting around" in client.get(
        f"/budgeting/{process.id}/propose").get_data(as_text=True)
    sent = client.post(f"/budgeting/{process.id}/propose", data={
        "title": "Bus shelter", "description": "By the school.", "themes": [str(transport.id)]})
    assert sent.status_code == 302
    db.session.expire_all()
    project = db.session.query(BudgetProject).filter_by(title="Bus shelter").one()
    assert project.status == ProjectStatus.PROPOSED
    assert [t.slug for t in project.themes] == ["transport"]


PB = """META
key;value
description;Imported
num_projects;3
num_votes;2
budget;1000
vote_type;approval
PROJECTS
project_id;cost;name;category
1;400;Homes for the young;HOUSING, Transport and getting around
2;300;Park benches;parks,unknown
3;200;Nothing;
VOTES
voter_id;vote
1;1,2
2;3
"""


def test_a_pb_files_categories_become_the_partnerships_themes(place: Any) -> None:
    partnership, *_ = place
    coordinator = make_member(partnership, Role.COORDINATOR)
    copy = make_budgeting_process(partnership, title="Copy")
    for project in list(copy.projects):
        db.session.delete(project)
    db.session.flush()
    db.session.refresh(copy)
    assert operations.import_pb(copy, PB, coordinator) == 2
    db.session.commit()
    projects = _by_code(copy)
    assert projects["1"].title == "Homes for the young"
    assert [t.slug for t in projects["1"].themes] == ["housing", "transport"]
    # "parks" is another partnership's theme: not matched; nor is an unknown category.
    assert projects["2"].themes == [] and projects["3"].themes == []
    text = operations.export_pb(copy)
    assert "project_id;cost;name;category" in text
    assert "1;400.00;Homes for the young;housing,transport" in text
