"""CSRF on every form: every state-changing route refuses a request without a token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from engage import create_app
from engage.accounts.models import Role
from engage.extensions import db
from tests.conftest import TEST_PASSWORD, IsolatedClient, app_overrides
from tests.factories import make_member, make_partnership


@pytest.fixture
def csrf_app(app: Flask) -> Iterator[Flask]:
    overrides = app_overrides(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["ENGAGE_TEST_INSTANCE"]
    )
    overrides["WTF_CSRF_ENABLED"] = True
    protected = create_app(overrides)
    protected.test_client_class = IsolatedClient
    yield protected
    with protected.app_context():
        db.engine.dispose()


def _fill(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1).endswith("id") else "x", rule)


def test_no_route_is_exempt_from_csrf(csrf_app: Flask) -> None:
    from engage.extensions import csrf

    assert not csrf._exempt_views and not csrf._exempt_blueprints


def test_every_post_route_refuses_a_missing_token(csrf_app: Flask) -> None:
    partnership = make_partnership("ashby")
    admin = make_member(partnership, Role.ADMIN, email="a@example.org")
    admin.is_platform_admin = True
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/account/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post(
        "/account/sign-in",
        data={"email": "a@example.org", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302
    post_rules = [r for r in csrf_app.url_map.iter_rules() if "POST" in (r.methods or set())]
    assert len(post_rules) >= 10
    for rule in post_rules:
        response = client.post(_fill(rule.rule), data={"email": "a@example.org"})
        assert response.status_code == 400, rule.rule
        assert "Your form expired" in response.get_data(as_text=True)


def test_sign_in_without_a_token_is_refused(csrf_app: Flask) -> None:
    make_member(make_partnership("ashby"), Role.RESIDENT, email="r@example.org")
    db.session.commit()
    response = csrf_app.test_client().post(
        "/account/sign-in", data={"email": "r@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 400


def test_htmx_requests_send_the_token_in_a_header(csrf_app: Flask) -> None:
    make_member(make_partnership("ashby"), Role.RESIDENT, email="r@example.org")
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/account/sign-in").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/account/sign-in",
        data={"email": "r@example.org", "password": TEST_PASSWORD},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 302
