"""Running a panel: settings, erasure on request, the selection report, panel surveys, privacy."""

from __future__ import annotations

import logging

import pytest

from engage.accounts.models import Role
from engage.consultations.models import Audience, Response, ResponseStatus
from engage.core.models import AuditLog
from engage.extensions import db
from engage.panels import operations
from engage.panels.models import Algorithm, MemberStatus, Panel, PanelMember, Selection, Volunteer
from tests.conftest import sign_in
from tests.factories import make_consultation, make_member, make_panel, make_partnership


@pytest.fixture
def panel(app) -> Panel:  # type: ignore[no-untyped-def]
    partnership = make_partnership("own")
    make_member(partnership, Role.COORDINATOR, email="coordinator@example.org")
    panel = make_panel(partnership, pool=40)
    db.session.commit()
    return panel


def _base(panel: Panel) -> str:
    return f"/partnerships/own/panels/{panel.id}"


def _selected(panel: Panel) -> Selection:
    operations.set_quotas_from_census(panel, 1, actor_id=None)
    selection = operations.select_members(panel, Algorithm.LEGACY, 3, actor_id=None)
    db.session.commit()
    return selection


def test_coordinator_chooses_the_questions_and_closes_recruitment(client, panel: Panel) -> None:
    operations.set_quotas_from_census(panel, 1, actor_id=None)
    db.session.commit()
    sign_in(client, "coordinator@example.org")
    assert client.get(f"{_base(panel)}/settings").status_code == 200
    response = client.post(f"{_base(panel)}/settings", data={
        "name": "Kelham panel", "size": "12", "features": ["sex", "age_band"],
        "retention_days": "90", "is_one_per_household": "y",
    })
    assert response.status_code == 302
    db.session.refresh(panel)
    assert panel.features == ["age_band", "sex"] and panel.size == 12
    assert not panel.is_recruiting and panel.retention_days == 90
    assert {q.feature for q in panel.quotas} == {"sex"}  # tenure's quotas went with the question
    client.post("/account/sign-out")
    assert client.get(f"{_base(panel)}/join").status_code == 410


def test_settings_need_at_least_one_question(client, panel: Panel) -> None:
    sign_in(client, "coordinator@example.org")
    response = client.post(f"{_base(panel)}/settings", data={
        "name": "Panel", "size": "10", "retention_days": "90"})
    assert response.status_code == 200
    assert "Choose at least one question" in response.get_data(as_text=True)


def test_volunteer_never_selected_is_deleted_on_request(client, panel: Panel) -> None:
    volunteer_id = panel.volunteers[0].id
    sign_in(client, "coordinator@example.org")
    url = f"{_base(panel)}/volunteers/{volunteer_id}/erase"
    assert client.get(url).status_code == 200
    refused = client.post(url, data={})
    assert "Confirm that they asked" in refused.get_data(as_text=True)
    assert client.post(url, data={"confirm": "y"}).status_code == 302
    assert db.session.get(Volunteer, volunteer_id) is None
    entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "panels.volunteer_erased"))
    assert entry is not None and "sex" not in entry.details


def test_member_erased_on_request_is_withdrawn_and_replaceable(client, panel: Panel) -> None:
    _selected(panel)
    member_id, volunteer_id = panel.members[0].id, panel.members[0].volunteer_id
    sign_in(client, "coordinator@example.org")
    client.post(f"{_base(panel)}/volunteers/{volunteer_id}/erase", data={"confirm": "y"})
    member = db.session.get(PanelMember, member_id)
    assert member.status == MemberStatus.WITHDRAWN
    assert member.volunteer.name == "—" and member.volunteer.email is None
    assert member.volunteer.household_key is None
    operations.replace_withdrawn(panel, 5, actor_id=None)
    db.session.commit()
    assert len(operations.current_members(panel)) == panel.size


def test_selection_job_leads_to_its_report_with_probabilities(client, panel: Panel) -> None:
    operations.set_quotas_from_census(panel, 1, actor_id=None)
    db.session.commit()
    sign_in(client, "coordinator@example.org")
    response = client.post(f"{_base(panel)}/select", data={"algorithm": "leximin", "seed": "8"})
    status = client.get(response.headers["Location"]).get_data(as_text=True)
    selection = db.session.scalar(db.select(Selection))
    report_url = f"{_base(panel)}/selections/{selection.id}"
    assert report_url in status
    html = client.get(report_url).get_data(as_text=True)
    assert "Lowest selection probability" in html and "Volunteers by chance of being selected" in html
    summary = operations.selection_summary(selection, 5)
    assert summary["minimum"] == min(selection.probabilities.values())
    assert sum(b["count"] or 0 for b in summary["bands"]) <= len(selection.probabilities)
    assert all(b["count"] is None or b["count"] == 0 or b["count"] >= 5 for b in summary["bands"])
    for quota in summary["quotas"]:
        assert quota["min"] <= quota["selected"] <= quota["max"]


def test_double_click_queues_one_selection(client, panel: Panel) -> None:
    operations.set_quotas_from_census(panel, 1, actor_id=None)
    db.session.commit()
    from engage.jobs import enqueue_job

    key = f"panel-{panel.id}:round-0:legacy:4"
    first = enqueue_job("panels.select", {"panel_id": panel.id, "algorithm": "legacy", "seed": 4},
                        owner_id=None, partnership_id=panel.partnership_id, key=key)
    again = enqueue_job("panels.select", {"panel_id": panel.id, "algorithm": "legacy", "seed": 4},
                        owner_id=None, partnership_id=panel.partnership_id, key=key)
    assert first.id == again.id


def test_panel_survey_response_rates_overall_and_by_group(client, panel: Panel) -> None:
    _selected(panel)
    survey = make_consultation(panel.partnership, audience=Audience.PANEL, allows_anonymous=False,
                               title="Panel survey one")
    members = operations.current_members(panel)
    for index, member in enumerate(members):
        user = make_member(panel.partnership, Role.RESIDENT, email=f"member{index}@example.org")
        member.volunteer.user_id = user.id
        if index < 7:
            db.session.add(Response(consultation_id=survey.id, user_id=user.id,
                                    status=ResponseStatus.SUBMITTED))
    db.session.add(Response(consultation_id=survey.id, status=ResponseStatus.SUBMITTED))  # paper
    db.session.commit()
    [row] = operations.survey_response_rates(panel, 5)
    assert (row["responses"], row["answered"], row["members"]) == (8, 7, 10)
    assert row["rate"] == pytest.approx(0.7)
    for group in row["groups"]:
        share = group["share"]
        if share.share is not None:
            assert share.base >= 5 and share.numerator >= 5
    assert {g["feature"] for g in row["groups"]} == {"sex", "tenure"}
    sign_in(client, "coordinator@example.org")
    html = client.get(f"{_base(panel)}/surveys").get_data(as_text=True)
    assert "Panel survey one" in html and "70.0%" in html


def test_special_category_answers_stay_out_of_logs_urls_and_audit(client, panel: Panel,
                                                                  caplog) -> None:
    panel.features = ["sex", "ethnicity", "disability"]
    db.session.commit()
    form = client.get(f"{_base(panel)}/join").get_data(as_text=True)
    assert 'method="post"' in form  # answers travel in the body, never in the address
    with caplog.at_level(logging.DEBUG):
        response = client.post(f"{_base(panel)}/join", data={
            "name": "Ann Example", "email": "ann@example.org", "address": "9 Low Road",
            "postcode": "AB1 9ZZ", "contact_preference": "email", "feature_sex": "female",
            "feature_ethnicity": "black", "feature_disability": "disabled",
            "special_category_consent": "y",
        })
    assert response.status_code == 200 and response.request.query_string == b""
    volunteer = db.session.scalar(db.select(Volunteer).where(Volunteer.name == "Ann Example"))
    assert volunteer.demographics["ethnicity"] == "black"
    logged = " ".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    assert "black" not in logged and "disabled" not in logged
    details = [e.details for e in db.session.scalars(db.select(AuditLog))]
    assert "black" not in repr(details) and "disabled" not in repr(details)


def test_residents_home_offers_the_recruiting_panel(client, panel: Panel) -> None:
    make_member(panel.partnership, Role.RESIDENT, email="resident@example.org")
    db.session.commit()
    sign_in(client, "resident@example.org")
    html = client.get("/").get_data(as_text=True)
    assert f"Volunteer for {panel.name}".replace("'", "&#39;") in html
    panel.is_recruiting = False
    db.session.commit()
    assert "Volunteer for" not in client.get("/").get_data(as_text=True)


def test_pool_import_keeps_names_and_contact_details(panel: Panel) -> None:
    people = (b"id,first_name,last_name,email,address_line_1,postcode,sex,tenure\n"
              b"S1,Ann,Jones,ann@example.org,1 Mill Road,hm1 2ab,female,owned\n"
              b"S2,Bob,Evans,,2 Mill Road,HM1 2AB,male,owned\n")
    features = b"feature,value,min,max\nsex,female,0,5\nsex,male,0,5\ntenure,owned,0,5\n"
    assert operations.import_pool(panel, people, features, actor_id=None) == 2
    ann = db.session.scalar(db.select(Volunteer).where(Volunteer.reference == "S1"))
    assert (ann.name, ann.email, ann.address, ann.postcode) == (
        "Ann Jones", "ann@example.org", "1 Mill Road", "HM1 2AB")
    assert ann.demographics == {"sex": "female", "tenure": "owned"}


def test_a_volunteer_with_an_account_leaves_the_panel_themselves(client, panel: Panel) -> None:
    _selected(panel)
    resident = make_member(panel.partnership, Role.RESIDENT, email="resident@example.org")
    make_member(panel.partnership, Role.RESIDENT, email="other@example.org")
    member = panel.members[0]
    member.volunteer.user_id = resident.id
    member_id = member.id
    db.session.commit()
    sign_in(client, "other@example.org")  # not a volunteer: nothing to leave, nothing erased
    page = client.get(f"{_base(panel)}/leave").get_data(as_text=True)
    assert "You are not in this panel" in page
    client.post(f"{_base(panel)}/leave", data={"confirm": "y"})
    assert db.session.get(PanelMember, member_id).status != MemberStatus.WITHDRAWN
    client.post("/account/sign-out")
    sign_in(client, "resident@example.org")
    refused = client.post(f"{_base(panel)}/leave", data={})
    assert "Confirm that you want to leave" in refused.get_data(as_text=True)
    assert client.post(f"{_base(panel)}/leave", data={"confirm": "y"}).status_code == 302
    member = db.session.get(PanelMember, member_id)
    assert member.status == MemberStatus.WITHDRAWN and member.volunteer.email is None
    assert member.volunteer.user_id is None
