"""Residents propose projects; staff decide, with public reasons, merges and the shortlist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engage.accounts.models import Role
from engage.budgeting.models import BudgetProject, ProjectStatus
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.factories import make_budgeting_process, make_member, make_partnership, make_voter


@pytest.fixture
def process(app: Any) -> Any:
    partnership = make_partnership("pbp")
    now = utcnow()
    found = make_budgeting_process(
        partnership, proposals_open_at=now - timedelta(days=1),
        proposals_close_at=now + timedelta(days=1), voting_open_at=now + timedelta(days=10),
        voting_close_at=now + timedelta(days=20))
    make_voter(partnership, "voter@example.org")
    make_member(partnership, Role.COORDINATOR, "coordinator@example.org")
    db.session.commit()
    return found


def _project(title: str) -> BudgetProject:
    db.session.commit()
    return db.session.query(BudgetProject).filter_by(title=title).one()


def test_a_resident_proposes_a_project_which_staff_put_on_the_ballot(
    client: Any, process: Any
) -> None:
    sign_in(client, "voter@example.org")
    assert "Propose a project" in client.get(f"/budgeting/{process.id}").get_data(as_text=True)
    empty = client.post(f"/budgeting/{process.id}/propose", data={"title": ""})
    assert "Enter a name for your project" in empty.get_data(as_text=True)
    sent = client.post(f"/budgeting/{process.id}/propose", data={
        "title": "Outdoor gym", "description": "By the river.", "title_cy": "Campfa awyr agored"})
    assert sent.status_code == 302
    project = _project("Outdoor gym")
    assert project.status == ProjectStatus.PROPOSED and project.code == "P4"
    assert project.title_cy == "Campfa awyr agored"

    staff = client.application.test_client()
    sign_in(staff, "coordinator@example.org")
    url = f"/budgeting/{process.id}/projects/{project.id}"
    assert "Outdoor gym" in staff.get(url).get_data(as_text=True)
    refused = staff.post(url, data={"status": "ineligible", "cost": ""})
    assert refused.status_code == 400
    assert "Enter the reason the proposal is not eligible" in refused.get_data(as_text=True)
    assert staff.post(url, data={"status": "shortlisted", "cost": "1,250.50"}).status_code == 400
    assert staff.post(url, data={"status": "shortlisted", "cost": "1250.50"}).status_code == 302
    project = _project("Outdoor gym")
    assert project.status == ProjectStatus.SHORTLISTED and project.cost_pence == 125_050


def test_an_ineligible_proposal_shows_its_public_reason_and_duplicates_merge(
    client: Any, process: Any
) -> None:
    sign_in(client, "coordinator@example.org")
    first, second = process.projects[0], process.projects[1]
    client.post(f"/budgeting/{process.id}/projects/{first.id}", data={
        "status": "ineligible", "public_reason": "The land is not the council's."})
    page = client.get(f"/budgeting/{process.id}").get_data(as_text=True)
    assert "The land is not the council&#39;s." in page
    merged = client.post(f"/budgeting/{process.id}/projects/{second.id}",
                         data={"status": "merged", "merged_into": ""})
    assert "Choose the proposal to merge this one into" in merged.get_data(as_text=True)
    client.post(f"/budgeting/{process.id}/projects/{second.id}",
                data={"status": "merged", "merged_into": str(first.id)})
    db.session.commit()
    db.session.refresh(second)
    assert second.status == ProjectStatus.MERGED and second.merged_into_id == first.id


def test_proposals_are_refused_outside_the_proposal_phase_and_by_non_residents(
    client: Any, process: Any
) -> None:
    outsider = make_voter(make_partnership("pbq"), "outsider@example.org")
    assert outsider
    db.session.commit()
    sign_in(client, "outsider@example.org")
    page = client.get(f"/budgeting/{process.id}/propose").get_data(as_text=True)
    assert "Only residents of the area can" in page
    client.post(f"/budgeting/{process.id}/propose", data={"title": "X", "description": "Y"})
    process.proposals_close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resident = client.application.test_client()
    sign_in(resident, "voter@example.org")
    assert resident.get(f"/budgeting/{process.id}/propose").status_code == 302
    resident.post(f"/budgeting/{process.id}/propose", data={"title": "Late", "description": "Y"})
    db.session.commit()
    assert db.session.query(BudgetProject).filter(
        BudgetProject.title.in_(["X", "Late"])).count() == 0
