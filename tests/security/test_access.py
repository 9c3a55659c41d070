"""Access: every route × every role, POSTs too; smuggled form fields; downloads; drafts by id.

tests/test_authorisation.py already sweeps GETs on the role's own partnership and GET+POST on
another partnership's records, from a table that must list every route in the URL map. This
file adds what that sweep leaves out: POSTs a role may not make on its OWN partnership, the
htmx variant of every page, and the ways in that do not go through the table.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from engage.accounts.models import Membership, Role, User
from engage.audit.models import EngagementActivity
from engage.extensions import db
from tests.conftest import TEST_PASSWORD, sign_in
from tests.factories import make_member
from tests.test_authorisation import (
    ACCESS,
    NOT_PARTNERSHIP_SCOPED,
    ROLES,
    World,
    _client,
    _denied,
    _rules,
    _url,
)

NO_POST_CHECK = {
    # Sign-out and account-level actions act only on the signed-in person.
    "accounts.sign_in", "accounts.register", "accounts.forgot_password", "accounts.reset_password",
    "accounts.two_factor",
}


def test_the_access_table_is_generated_from_the_url_map_and_complete(app: Flask) -> None:
    endpoints = {r.endpoint for r in _rules(app)}
    assert len(endpoints) > 150  # the sweep really walks the app
    missing = endpoints - set(ACCESS)
    assert not missing, f"routes with no written access rule: {sorted(missing)}"


def test_no_role_posts_where_it_may_not_on_its_own_partnership(app: Flask, world: World) -> None:
    failures = []
    for role in ROLES:
        client = _client(app, role)
        for rule in _rules(app):
            if "POST" not in (rule.methods or set()) or rule.endpoint in NO_POST_CHECK:
                continue
            if role in ACCESS[rule.endpoint]:
                continue
            url = _url(rule.rule, world.own, world)
            response = client.post(url, data={"title": "x", "confirm": "y", "action": "import"})
            if not _denied(response, role):
                failures.append((role, url, response.status_code))
    assert failures == []


def test_htmx_fragments_of_another_partnership_are_refused_like_full_pages(
    app: Flask, world: World
) -> None:
    leaks = []
    for role in ("councillor", "coordinator"):
        client = _client(app, role)
        for rule in _rules(app):
            if "GET" not in (rule.methods or set()) or "<slug>" not in rule.rule:
                continue
            if rule.endpoint in NOT_PARTNERSHIP_SCOPED:  # public, or the person's own
                continue
            url = _url(rule.rule, world.other, world)
            response = client.get(url, headers={"HX-Request": "true"})
            if not _denied(response, role):
                leaks.append((role, url, response.status_code))
    assert leaks == []


def test_extra_fields_on_the_register_form_are_ignored(app: Flask, world: World) -> None:
    ward = world.own.areas[0].wards()[1]
    client = app.test_client()
    client.post(f"/account/register?partnership={world.own.slug}", data={
        "email": "newcomer@example.org", "password": TEST_PASSWORD, "home_ward": str(ward.id),
        "role": "admin", "is_platform_admin": "1", "partnership_id": str(world.other.id),
        "organisation_id": str(world.other.organisations[0].id), "ward": "1",
    })
    user = db.session.scalar(select(User).where(User.email == "newcomer@example.org"))
    assert user is not None and not user.is_platform_admin
    assert [(m.role, m.partnership_id, m.organisation_id) for m in user.memberships] == [
        (Role.RESIDENT, world.own.id, None)
    ]
    assert user.home_ward_id == ward.id


def test_extra_fields_on_the_account_forms_are_ignored(app: Flask, world: World) -> None:
    client = _client(app, "resident")
    other_ward = world.other.areas[0].wards()[0]
    for url in ("/account/language", "/account/password"):
        client.post(url, data={"language": "cy", "current_password": TEST_PASSWORD,
                               "new_password": TEST_PASSWORD + "!", "role": "admin",
                               "home_ward_id": str(other_ward.id), "is_platform_admin": "y",
                               "partnership_id": str(world.other.id)})
    db.session.expire_all()
    user = db.session.get(User, world.users["resident"].id)
    assert not user.is_platform_admin and user.home_ward_id != other_ward.id
    assert [(m.role, m.partnership_id) for m in user.memberships] == [(Role.RESIDENT, world.own.id)]


def test_an_activity_cannot_be_smuggled_into_another_partnership_or_organisation(
    app: Flask, world: World
) -> None:
    client = _client(app, "partner_officer")
    other_org = world.other.organisations[0]
    before = db.session.scalar(select(func.count()).select_from(EngagementActivity))
    form = {
        "organisation_id": str(world.own.organisations[0].id), "title": "Smuggled", "method": "survey",
        "theme_ids": [str(world.own.themes[0].id)], "is_partnership_wide": "y",
        "start_date": ["1", "3", "2025"], "end_date": ["31", "3", "2025"], "status": "planned",
        "outcome_published_on": ["", "", ""],
        "partnership_id": str(world.other.id), "created_by_id": str(world.users["admin"].id),
    }
    response = client.post(f"/partnerships/{world.own.slug}/register/new", data=form)
    assert response.status_code == 302
    saved = db.session.scalar(select(EngagementActivity).where(EngagementActivity.title == "Smuggled"))
    assert (saved.partnership_id, saved.organisation_id) == (world.own.id, world.own.organisations[0].id)
    assert saved.created_by_id == world.users["partner_officer"].id
    # Choices from another partnership are not on the list, so nothing is saved.
    for field, value in (("organisation_id", str(other_org.id)),
                         ("theme_ids", [str(world.other.themes[0].id)]),
                         ("area_ids", [str(world.other.areas[0].wards()[0].id)])):
        response = client.post(f"/partnerships/{world.own.slug}/register/new",
                               data={**form, "title": "Smuggled 2", field: value,
                                     "is_partnership_wide": ""})
        assert response.status_code == 200, field
    assert db.session.scalar(select(func.count()).select_from(EngagementActivity)) == before + 1


def test_a_job_and_its_result_link_are_not_usable_by_another_person(app: Flask, world: World) -> None:
    from tests.factories import job_id_for

    job_id = job_id_for(world.own)
    make_member(world.own, Role.PARTNER_OFFICER, email="colleague@example.org")
    db.session.commit()
    colleague = app.test_client()
    sign_in(colleague, "colleague@example.org")  # same organisation, not the job's owner
    for client in (colleague, _client(app, "resident"), _client(app, "councillor")):
        assert client.get(f"/jobs/{job_id}").status_code in (403, 404)
        assert client.post(f"/jobs/{job_id}/retry").status_code in (403, 404)
    anonymous = app.test_client().get(f"/jobs/{job_id}")
    assert anonymous.status_code == 302 and "/account/sign-in" in anonymous.headers["Location"]


def test_export_links_are_not_replayable_by_others(app: Flask, world: World) -> None:
    from tests.factories import intelligence_values_for, strategy_values_for

    s = strategy_values_for(world.own)
    i = intelligence_values_for(world.own)
    links = [
        f"/partnerships/{world.own.slug}/strategy/{s['draft_id']}/exports/{s['export_id']}",
        f"/partnerships/{world.own.slug}/register/export.csv",
        f"/partnerships/{world.own.slug}/intelligence/datasets/{i['dataset_id']}/results.csv",
        f"/partnerships/{world.own.slug}/audit/report.docx",
        "/account/data.json",
    ]
    coordinator = _client(app, "coordinator")
    assert [coordinator.get(link).status_code for link in links[:-1]] == [200] * 4
    someone_else = app.test_client()
    sign_in(someone_else, "someone@example.org")  # a coordinator of the other partnership
    anonymous = app.test_client()
    for link in links[:-1]:
        assert someone_else.get(link).status_code in (403, 404), link
        response = anonymous.get(link)
        assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"], link
    # "Download my data" has no id in it: each person only ever gets their own.
    mine = someone_else.get("/account/data.json").get_data(as_text=True)
    assert "someone@example.org" in mine and "coordinator@example.org" not in mine


def test_drafts_are_not_reachable_by_guessing_ids(app: Flask, world: World) -> None:
    from engage.consultations.models import ConsultationStatus
    from engage.intelligence.models import Dataset, Sharing
    from engage.strategy.models import DraftStatus, StrategyDraft
    from tests.factories import make_consultation

    draft_consultation = make_consultation(world.own, title="Secret draft",
                                           status=ConsultationStatus.DRAFT)
    strategy = db.session.scalar(select(StrategyDraft).where(StrategyDraft.partnership_id == world.own.id))
    strategy.status = DraftStatus.DRAFT
    dataset = db.session.scalar(select(Dataset).where(Dataset.partnership_id == world.own.id))
    dataset.sharing = Sharing.ORGANISATION
    db.session.commit()
    public = [
        f"/consultations/{draft_consultation.id}",
        f"/consultations/{draft_consultation.id}/respond/1",
        f"/consultations/{draft_consultation.id}/respond/about-you",
        f"/consultations/{draft_consultation.id}/respond/check",
        f"/consultations/{draft_consultation.id}/receipt",
        f"/partnerships/{world.own.slug}/strategy/{strategy.id}/read",
    ]
    for role in ("anonymous", "resident"):
        client = _client(app, role)
        for url in public:
            response = client.get(url)
            assert response.status_code in (302, 403, 404), (role, url, response.status_code)
            assert "Secret draft" not in response.get_data(as_text=True)
        listing = client.get(f"/partnerships/{world.own.slug}/have-your-say").get_data(as_text=True)
        assert "Secret draft" not in listing
    # A private dataset is its organisation's: the partnership's councillor cannot guess it.
    councillor = _client(app, "councillor")
    assert councillor.get(
        f"/partnerships/{world.own.slug}/intelligence/datasets/{dataset.id}"
    ).status_code in (403, 404)


def test_revoking_a_role_takes_effect_on_the_next_request(app: Flask, world: World) -> None:
    client = _client(app, "coordinator")
    url = f"/partnerships/{world.own.slug}/audit"
    assert client.get(url).status_code == 200
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == world.users["coordinator"].id))
    db.session.delete(membership)
    db.session.commit()
    assert client.get(url).status_code in (403, 404)
