"""Two partner organisations in one partnership, each with an officer and an API token;
and a checker that every API response matches the OpenAPI document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask

from engage.accounts.models import Role, User
from engage.api import operations
from engage.api.openapi import openapi_document
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership
from tests.factories import OrganisationFactory, make_member, make_partnership


@dataclass
class Partner:
    organisation: Organisation
    officer: User
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


@dataclass
class ApiWorld:
    partnership: Partnership
    wards: list[Area]
    police: Partner
    homes: Partner


@pytest.fixture
def api_world(app: Flask) -> ApiWorld:
    partnership = make_partnership("ashby", ward_count=3)
    wards = sorted(partnership.areas[0].wards(), key=lambda w: w.id)
    police_org = partnership.organisations[0]
    homes_org = OrganisationFactory(name="Vale Homes")
    homes_org.partnerships.append(partnership)
    police_officer = make_member(partnership, Role.PARTNER_OFFICER, email="police@example.org")
    homes_officer = make_member(partnership, Role.PARTNER_OFFICER, email="homes@example.org")
    homes_officer.memberships[0].organisation = homes_org
    _police_token, police_secret = operations.create_token(police_officer.id, partnership,
                                                           police_org, "Police system")
    _homes_token, homes_secret = operations.create_token(homes_officer.id, partnership, homes_org,
                                                         "Housing system")
    db.session.commit()
    return ApiWorld(
        partnership, wards,
        Partner(police_org, police_officer, police_secret),
        Partner(homes_org, homes_officer, homes_secret),
    )


DOCUMENT = openapi_document()


def _template(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def documented(response: Any, method: str) -> Any:
    """Assert the response's status and JSON body are as the OpenAPI document says."""
    from flask import current_app

    adapter = current_app.url_map.bind("localhost")
    path = response.request.path
    rule, _args = adapter.match(path, method=method, return_rule=True)
    operation = DOCUMENT["paths"][_template(rule.rule)][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path} answered undocumented {status}"
    content = operation["responses"][status]["content"]
    assert response.mimetype in content, response.mimetype
    schema = {**content[response.mimetype]["schema"], "components": DOCUMENT["components"]}
    body = response.get_json()
    errors = [str(e) for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(body)]
    assert errors == [], errors
    return body
