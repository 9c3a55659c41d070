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
from tests.factories import make_member, make_partnership

ROLES = ("anonymous", "resident", "councillor", "partner_officer", "coordinator", "admin", "platform_admin")
PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {"anonymous"}
MANAGERS = frozenset({"coordinator", "admin", "platform_admin"})
ADMINS = frozenset({"admin", "platform_admin"})

# endpoint → roles that may use it on their own partnership's records.
ACCESS: dict[str, frozenset[str]] = {
    "main.home": PUBLIC,
    "main.healthz": PUBLIC,
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
