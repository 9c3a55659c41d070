"""Every route × every role, on the role's own partnership and on another partnership's records.

The route list comes from the app's URL map, so a new route fails the table test until its
access rule is written down here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask

from engage.accounts.models import Membership, Role, User
from engage.extensions import db
from engage.partnerships.models import Partnership
from tests.conftest import sign_in
from tests.factories import (
    activity_id_for,
    budgeting_values_for,
    consultation_values_for,
    intelligence_values_for,
    job_id_for,
    make_activity,
    make_consultation_records,
    make_intelligence_records,
    make_job,
    make_member,
    make_partnership,
    make_strategy_records,
    panel_values_for,
    strategy_values_for,
)

ROLES = ("anonymous", "resident", "councillor", "partner_officer", "coordinator", "admin", "platform_admin")
PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {"anonymous"}
MANAGERS = frozenset({"coordinator", "admin", "platform_admin"})
ADMINS = frozenset({"admin", "platform_admin"})
STAFF = frozenset({"councillor", "partner_officer", "coordinator", "admin", "platform_admin"})
WARD_VIEWERS = frozenset({"councillor", "coordinator", "admin", "platform_admin"})
CONSULTATION_BUILDERS = frozenset({"partner_officer", "coordinator", "admin", "platform_admin"})
STAFF_ROLES_FOR_CONSULTATIONS = CONSULTATION_BUILDERS | {"councillor"}

# endpoint → roles that may use it on their own partnership's records.
ACCESS: dict[str, frozenset[str]] = {
    "main.home": PUBLIC,
    "main.healthz": PUBLIC,
    "main.readyz": PUBLIC,
    "main.language": PUBLIC,
    "main.privacy": PUBLIC,
    "main.accessibility": PUBLIC,
    "main.cookies": PUBLIC,
    "main.ward": frozenset({"councillor", "coordinator", "admin", "platform_admin"}),
    "accounts.register": PUBLIC,
    "accounts.sign_in": PUBLIC,
    "accounts.two_factor": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts.sign_out": SIGNED_IN,
    "accounts.account": SIGNED_IN,
    "accounts.save_language": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.two_factor_setup": SIGNED_IN,
    "accounts.two_factor_off": SIGNED_IN,
    "accounts.download_data": SIGNED_IN,
    "accounts.delete_account": SIGNED_IN,
    "admin.index": MANAGERS,
    "admin.new_partnership": frozenset({"platform_admin"}),
    "admin.partnership": MANAGERS,
    "admin.edit_partnership": ADMINS,
    "admin.areas": MANAGERS,
    "admin.areas_template": ADMINS,
    "admin.import_areas": ADMINS,
    "admin.themes": MANAGERS,
    "admin.theme": MANAGERS,
    "admin.organisations": MANAGERS,
    "admin.organisation": MANAGERS,
    "admin.members": ADMINS,
    "admin.revoke": ADMINS,
    "admin.disable_user": frozenset({"platform_admin"}),
    "admin.users": frozenset({"platform_admin"}),
    "accounts.confirm_email": PUBLIC,
    "accounts.resend_confirmation": SIGNED_IN,
    # A job's owner (the partner officer here) and its partnership's coordinators and admins.
    "jobs.status": frozenset({"partner_officer", "coordinator", "admin", "platform_admin"}),
    "jobs.retry": frozenset({"partner_officer", "coordinator", "admin", "platform_admin"}),
    # Engagement register and audit (engage/audit/policy.py). The sweep's activity is the
    # partner officer's organisation's, partnership-wide, so it touches the councillor's ward.
    "audit.register": MANAGERS | {"partner_officer"},
    "audit.export_register": MANAGERS | {"partner_officer"},
    "audit.activity": MANAGERS | {"partner_officer", "councillor"},
    "audit.edit_activity": MANAGERS | {"partner_officer"},
    "audit.delete_activity": MANAGERS | {"partner_officer"},
    "audit.import_template": MANAGERS | {"partner_officer"},
    "audit.import_activities": MANAGERS | {"partner_officer"},
    "audit.councillor": frozenset({"councillor"}),
    "audit.councillor_export": frozenset({"councillor"}),
    "audit.overview": MANAGERS,
    "audit.duplicates": MANAGERS,
    "audit.review_duplicate": MANAGERS,
    "audit.coverage": MANAGERS,
    "audit.calendar": MANAGERS,
    "audit.feedback": MANAGERS,
    "audit.spend": MANAGERS,
    "audit.self_assessment": MANAGERS,
    "audit.vocabulary": MANAGERS,
    "audit.report": MANAGERS,
    "audit.report_docx": MANAGERS,
    # Consultations (engage/consultations/policy.py). The sweep's consultation is open to
    # everyone (anonymous too) and owned by the partner officer's organisation.
    "consultations.index": STAFF_ROLES_FOR_CONSULTATIONS,
    "consultations.new": CONSULTATION_BUILDERS,
    "consultations.edit": CONSULTATION_BUILDERS,
    "consultations.manage": CONSULTATION_BUILDERS,
    "consultations.question": CONSULTATION_BUILDERS,
    "consultations.delete_question": CONSULTATION_BUILDERS,
    "consultations.move_question": CONSULTATION_BUILDERS,
    "consultations.open_consultation": CONSULTATION_BUILDERS,
    "consultations.close_consultation": CONSULTATION_BUILDERS,
    "consultations.preview": CONSULTATION_BUILDERS,
    "consultations.outcome": CONSULTATION_BUILDERS,
    "consultations.publish_outcome": CONSULTATION_BUILDERS,
    "consultations.results": STAFF_ROLES_FOR_CONSULTATIONS,
    "consultations.responses": CONSULTATION_BUILDERS,
    "consultations.export": CONSULTATION_BUILDERS,
    "consultations.paper_response": CONSULTATION_BUILDERS,
    "consultations.coding_frame": CONSULTATION_BUILDERS,
    "consultations.coding": CONSULTATION_BUILDERS,
    "consultations.suggest_groups": CONSULTATION_BUILDERS,
    "consultations.code_group": CONSULTATION_BUILDERS,
    "consultations.redact_answer": CONSULTATION_BUILDERS,
    "consultations.public_index": PUBLIC,
    "consultations.archive": PUBLIC,
    "consultations.show": PUBLIC,
    "consultations.respond": PUBLIC,
    "consultations.about_you": PUBLIC,
    "consultations.check_answers": PUBLIC,
    "consultations.receipt": PUBLIC,
    "consultations.ward_feedback": frozenset({"councillor", "coordinator", "admin", "platform_admin"}),
    "consultations.ward_feedback_csv": frozenset({"councillor", "coordinator", "admin", "platform_admin"}),
    # Priorities (engage/priorities/policy.py): staff see partnership and district priorities,
    # wards as the ward pages; coordinators and admins manage weights and entered evidence.
    "priorities.method": PUBLIC,
    "priorities.overview": STAFF,
    "priorities.area": WARD_VIEWERS,
    "priorities.evidence": STAFF,
    "priorities.scores_csv": STAFF,
    "priorities.snapshot": STAFF,
    "priorities.settings": MANAGERS,
    "priorities.source_weight": MANAGERS,
    "priorities.entered_list": MANAGERS,
    "priorities.entered_form": MANAGERS,
    "priorities.entered": MANAGERS,
    "priorities.delete_figure": MANAGERS,
    "priorities.delete_entered": MANAGERS,
    "priorities.figures_template": MANAGERS,
    "priorities.import_figures": MANAGERS,
    "priorities.save_snapshot": MANAGERS,
    # Strategy drafts (engage/strategy/policy.py): staff read and export; partner officers
    # comment; the lead partner's officers report on indicators; coordinators edit.
    "strategy.index": STAFF,
    "strategy.draft": STAFF,
    "strategy.section": STAFF,
    "strategy.versions": STAFF,
    "strategy.compare": STAFF,
    "strategy.delivery": STAFF,
    "strategy.indicator": STAFF,
    "strategy.exports": STAFF,
    "strategy.download_export": STAFF,
    "strategy.new": MANAGERS,
    "strategy.edit_section": MANAGERS,
    "strategy.resolve_comment": MANAGERS,
    "strategy.status": MANAGERS,
    "strategy.indicator_form": MANAGERS,
    "strategy.delete_indicator": MANAGERS,
    "strategy.public": PUBLIC,  # only while out for consultation or adopted
    # Partner intelligence (engage/intelligence/policy.py). The sweep's dataset is shared with
    # the partnership and owned by the partner officer's organisation.
    "intelligence.index": SIGNED_IN,
    "intelligence.new_dataset": CONSULTATION_BUILDERS,
    "intelligence.dataset": STAFF,
    "intelligence.export": STAFF,
    "intelligence.edit_dataset": frozenset({"partner_officer", "admin", "platform_admin"}),
    "intelligence.delete_dataset": frozenset({"partner_officer", "admin", "platform_admin"}),
    "intelligence.upload": frozenset({"partner_officer", "admin", "platform_admin"}),
    "intelligence.mapping": frozenset({"partner_officer", "admin", "platform_admin"}),
    "intelligence.postcode_districts": MANAGERS,
    "intelligence.import_postcode_districts": MANAGERS,
    "intelligence.delete_postcode_district": MANAGERS,
    "api_tokens.tokens": frozenset({"partner_officer"}),
    "api_tokens.revoke": frozenset({"partner_officer"}),
    # The partner API takes bearer tokens only: every browser session is refused (401).
    # Participatory budgeting (engage/budgeting/policy.py): process pages and results are public
    # (results say "not yet" until close); voting needs an account; coordinators manage; staff
    # key in paper ballots.
    "budgeting.show": PUBLIC,
    "budgeting.results": PUBLIC,
    "budgeting.results_csv": PUBLIC,
    "budgeting.vote": SIGNED_IN,
    "budgeting.confirm_vote": SIGNED_IN,
    "budgeting.receipt": SIGNED_IN,
    "budgeting.vote_with_code": PUBLIC,
    "budgeting.propose": SIGNED_IN,
    "budgeting.review": MANAGERS,
    "budgeting.new_process": MANAGERS,
    "budgeting.settings": MANAGERS,
    "budgeting.post_update": MANAGERS,
    "budgeting.confirm_code_vote": PUBLIC,
    "budgeting.close": MANAGERS,
    "budgeting.recount": MANAGERS,
    "budgeting.index": MANAGERS,
    "budgeting.manage": MANAGERS,
    "budgeting.run_tally": MANAGERS,
    "budgeting.generate_codes": MANAGERS,
    "budgeting.print_letters": MANAGERS,
    "budgeting.ballots_pb": MANAGERS,
    "budgeting.paper": STAFF,
    "budgeting.confirm_paper": STAFF,
    # Citizens' panels (engage/panels/policy.py): sign-up and privacy notice are public;
    # the pool, quotas, selections and members are for coordinators and admins only.
    "panels.sign_up": PUBLIC,
    "panels.privacy": PUBLIC,
    "panels.leave": SIGNED_IN,  # a volunteer's own entry only; others are told they have none
    "panels.index": MANAGERS,
    "panels.panel": MANAGERS,
    "panels.volunteers": MANAGERS,
    "panels.add_volunteer": MANAGERS,
    "panels.import_pool": MANAGERS,
    "panels.quotas": MANAGERS,
    "panels.quota": MANAGERS,
    "panels.select_panel": MANAGERS,
    "panels.selection": MANAGERS,
    "panels.members": MANAGERS,
    "panels.member_status": MANAGERS,
    "panels.report": MANAGERS,
    "panels.settings": MANAGERS,
    "panels.erase_volunteer": MANAGERS,
    "panels.surveys": MANAGERS,
    "api.openapi": PUBLIC,
    "api.datasets": frozenset(),
    "api.create_dataset": frozenset(),
    "api.dataset": frozenset(),
    "api.dataset_mapping": frozenset(),
    "api.dataset_rows": frozenset(),
    "api.dataset_import": frozenset(),
    "api.dataset_results": frozenset(),
    "api.themes": frozenset(),
    "api.areas": frozenset(),
    "api.activities": frozenset(),
    "api.create_activity": frozenset(),
    "api.elsewhere": frozenset(),
}

# Routes whose access does not depend on whose record it is.
NOT_PARTNERSHIP_SCOPED = {e for e, roles in ACCESS.items() if roles in (PUBLIC, SIGNED_IN)} | {
    "admin.index", "admin.new_partnership", "admin.disable_user", "admin.users",
}


@dataclass
class World:
    own: Partnership
    other: Partnership
    users: dict[str, User]
    other_member: Membership


@pytest.fixture
def world(app: Flask) -> World:
    own, other = make_partnership("own"), make_partnership("other")
    users = {role: make_member(own, Role(role), email=f"{role}@example.org") for role in
             ("resident", "councillor", "partner_officer", "coordinator", "admin")}
    platform = make_member(own, Role.RESIDENT, email="platform_admin@example.org")
    platform.is_platform_admin = True
    users["platform_admin"] = platform
    other_user = make_member(other, Role.COORDINATOR, email="someone@example.org")
    make_job(own, users["partner_officer"]), make_job(other, other_user)
    make_activity(own), make_activity(other)
    make_consultation_records(own), make_consultation_records(other)
    make_strategy_records(own), make_strategy_records(other)
    make_intelligence_records(own), make_intelligence_records(other)
    db.session.commit()
    return World(own, other, users, other_user.memberships[0])


def _url(rule: str, partnership: Partnership, world: World) -> str:
    ward = partnership.areas[0].wards()[0]
    membership = world.other_member if partnership is world.other else world.users["resident"].memberships[0]
    values = {
        "slug": partnership.slug,
        "gss_code": ward.gss_code,
        "theme_id": str(partnership.themes[0].id),
        "organisation_id": str(partnership.organisations[0].id),
        "membership_id": str(membership.id),
        "user_id": str(membership.user_id),
        "token": "not-a-real-token",
        "language": "cy",
        "job_id": str(job_id_for(partnership)),
        "activity_id": str(activity_id_for(partnership)),
        "fmt": "csv",
        "kind": "target-groups",
        **consultation_values_for(partnership),
        **strategy_values_for(partnership),
        **intelligence_values_for(partnership),
        **budgeting_values_for(partnership),
        **panel_values_for(partnership),
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule)


def _client(app: Flask, role: str):
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, f"{role}@example.org")
    return client


def _rules(app: Flask):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_has_an_access_rule(app: Flask) -> None:
    endpoints = {r.endpoint for r in _rules(app)}
    assert endpoints == set(ACCESS), f"write down who may use: {sorted(endpoints ^ set(ACCESS))}"


def _denied(response, role: str) -> bool:
    if response.request.path.startswith("/api/"):  # token-only API: no browser gets in
        return response.status_code == 401
    if role == "anonymous":
        return response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    return response.status_code in (403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_own_pages(app: Flask, world: World, role: str) -> None:
    client = _client(app, role)
    failures = []
    for rule in _rules(app):
        if "GET" not in (rule.methods or set()) or rule.endpoint in (
            "accounts.reset_password", "accounts.two_factor", "accounts.confirm_email"
        ):
            continue
        url = _url(rule.rule, world.own, world)
        response = client.get(url)
        allowed = role in ACCESS[rule.endpoint]
        if allowed and response.status_code >= 400:
            failures.append((url, response.status_code, "should be allowed"))
        if not allowed and not _denied(response, role):
            failures.append((url, response.status_code, "should be refused"))
    assert failures == []


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_another_partnerships_records(app: Flask, world: World, role: str) -> None:
    client = _client(app, role)
    leaks = []
    for rule in _rules(app):
        if rule.endpoint in NOT_PARTNERSHIP_SCOPED or role == "platform_admin":
            continue
        url = _url(rule.rule, world.other, world)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = client.open(url, method=method, data={})
            if not _denied(response, role):
                leaks.append((method, url, response.status_code))
    assert leaks == []


def test_admin_of_one_partnership_cannot_revoke_roles_in_another(app: Flask, world: World) -> None:
    client = _client(app, "admin")
    response = client.post(f"/manage/partnerships/{world.other.slug}/people/{world.other_member.id}/revoke")
    assert response.status_code == 404
    assert db.session.get(Membership, world.other_member.id) is not None


def test_membership_of_other_partnership_cannot_be_revoked_through_own_slug(app: Flask, world: World) -> None:
    client = _client(app, "admin")
    response = client.post(f"/manage/partnerships/{world.own.slug}/people/{world.other_member.id}/revoke")
    assert response.status_code == 404
    assert db.session.get(Membership, world.other_member.id) is not None


def test_parent_partnership_roles_apply_to_child_partnerships(app: Flask, world: World) -> None:
    child = make_partnership("child")
    child.parent = world.own
    db.session.commit()
    client = _client(app, "coordinator")
    assert client.get(f"/manage/partnerships/{child.slug}").status_code == 200
    assert client.get(f"/manage/partnerships/{world.other.slug}").status_code == 404


def test_councillor_sees_only_their_own_wards(app: Flask, world: World) -> None:
    client = _client(app, "councillor")
    own_ward, other_ward = world.own.areas[0].wards()
    assert client.get(f"/partnerships/{world.own.slug}/wards/{own_ward.gss_code}").status_code == 200
    assert client.get(f"/partnerships/{world.own.slug}/wards/{other_ward.gss_code}").status_code == 404


def test_extra_form_fields_cannot_raise_a_role(app: Flask, world: World) -> None:
    client = _client(app, "resident")
    client.post("/account/language", data={"language": "cy", "role": "admin", "is_platform_admin": "1"})
    user = db.session.get(User, world.users["resident"].id)
    assert user.locale == "cy"
    assert not user.is_platform_admin
    assert [m.role for m in user.memberships] == [Role.RESIDENT]
