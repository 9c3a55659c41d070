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


def test_only_the_token_api_is_exempt_from_csrf(csrf_app: Flask) -> None:
    """One exemption: the partner API, which takes bearer tokens only and refuses any request
    carrying the session cookie (see engage/api/views.py and the API tests below), so a
    browser's ambient credentials can never reach it. No view is exempt, and every route of
    the exempt blueprint lives under /api/."""
    from engage.api.views import bp as api_bp
    from engage.extensions import csrf

    assert not csrf._exempt_views
    assert csrf._exempt_blueprints == {api_bp}
    api_rules = [r for r in csrf_app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert api_rules and all(r.rule.startswith("/api/") for r in api_rules)


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
        if rule.endpoint.startswith("api."):
            # The token-only API refuses the signed-in browser outright.
            assert response.status_code == 401, rule.rule
            assert response.get_json()["error"] == "cookies_not_accepted"
            continue
        assert response.status_code == 400, rule.rule
        assert "Your form expired" in response.get_data(as_text=True)


def test_every_api_route_refuses_a_cookie_carrying_request_even_with_a_valid_token(
    csrf_app: Flask,
) -> None:
    """The CSRF exemption is safe only because no API route accepts ambient credentials."""
    from engage.api.operations import create_token
    from engage.intelligence.models import Dataset

    partnership = make_partnership("ashby")
    officer = make_member(partnership, Role.PARTNER_OFFICER, email="o@example.org")
    _token, secret = create_token(officer.id, partnership, partnership.organisations[0], "t")
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/account/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/account/sign-in",
                data={"email": "o@example.org", "password": TEST_PASSWORD, "csrf_token": token})
    headers = {"Authorization": f"Bearer {secret}"}
    assert csrf_app.test_client().get("/api/v1/datasets", headers=headers).status_code == 200
    api_rules = [r for r in csrf_app.url_map.iter_rules()
                 if r.endpoint.startswith("api.") and r.endpoint != "api.openapi"]
    assert len(api_rules) >= 8
    for rule in api_rules:
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(_fill(rule.rule), method=method, headers=headers,
                                   json={"title": "x", "shape": "respondent"})
            assert response.status_code == 401, (method, rule.rule)
            assert "Set-Cookie" not in response.headers
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Dataset)) == 0


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
