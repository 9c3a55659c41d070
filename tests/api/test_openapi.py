"""The OpenAPI document is served, every route is in it (and nothing else), and the running
API keeps to it under generated requests (schemathesis)."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask import globals as flask_globals
from hypothesis import HealthCheck, settings

from engage.api.openapi import openapi_document
from engage.extensions import db
from tests.api.conftest import ApiWorld

DOCUMENT = openapi_document()
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _documented_operations() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method.upper() in METHODS
    }


def _api_rules(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in ("api.openapi", "api.elsewhere"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        found |= {(path, method) for method in (rule.methods or set()) & METHODS}
    return found


def test_every_documented_operation_is_a_route_and_every_api_route_is_documented(
    app: Flask,
) -> None:
    assert _documented_operations() == _api_rules(app)


def test_every_reference_in_the_document_resolves() -> None:
    def refs(node: Any) -> Iterable[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    names = set(DOCUMENT["components"]["schemas"])
    assert {r.removeprefix("#/components/schemas/") for r in refs(DOCUMENT)} <= names
    assert DOCUMENT["openapi"] == "3.1.0"


def test_the_document_is_served_without_a_token(app: Flask) -> None:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == DOCUMENT


class IsolatedWsgi:
    """The app as a WSGI callable whose requests get their own app context and session,
    like tests.conftest.IsolatedClient (schemathesis drives its own werkzeug client)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if flask_globals._cv_app.get(None) is not None:
            db.session.commit()

        def run() -> list[bytes]:
            flask_globals._cv_app.set(None)  # type: ignore[arg-type]
            flask_globals._cv_request.set(None)  # type: ignore[arg-type]
            return list(self.app(environ, start_response))

        return contextvars.copy_context().run(run)


# Loaded from the document itself (a fixture-based loader does not work with pytest 9);
# the requests go to the app through IsolatedWsgi.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(
    case: Any, app: Flask, api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ENGAGE_API_RATE_LIMIT", "10000 per minute")
    response = case.call(app=IsolatedWsgi(app), headers=api_world.police.headers)
    # Excluded: schema-valid bodies can still break a rule no schema can say (a theme slug that
    # does not exist, an end date before the start), which answer 422 as documented; and the
    # auth probe, which cannot tell our explicit test token from a generated one (test_api.py
    # checks missing, invalid, revoked and cookie-carrying requests are refused).
    case.validate_response(response, excluded_checks=[
        schemathesis.checks.positive_data_acceptance, schemathesis.checks.ignored_auth,
    ])


def test_unknown_api_paths_and_methods_answer_in_json(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    headers = api_world.police.headers
    missing = client.get("/api/v1/nothing-here", headers=headers)
    assert (missing.status_code, missing.get_json()["error"]) == (404, "not_found")
    wrong = client.delete("/api/v1/themes", headers=headers)
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert wrong.get_json()["error"] == "method_not_allowed"


def test_ids_too_big_for_the_database_answer_404_in_json(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    headers = api_world.police.headers
    for method, url in (
        ("GET", "/api/v1/datasets/2147483648"),
        ("GET", "/api/v1/datasets/2147483648/results"),
        ("PUT", "/api/v1/datasets/99999999999999999999/mapping"),
        ("GET", "/api/v1/datasets/1/imports/2147483648"),
    ):
        response = client.open(url, method=method, headers=headers, json={})
        assert response.status_code == 404, (method, url)
        assert response.get_json()["error"] == "not_found", (method, url)
