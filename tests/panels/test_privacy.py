"""Volunteers' demographics: coordinators of the partnership only, and every view audited."""

from __future__ import annotations

import pytest

from engage.accounts.models import Role
from engage.core.models import AuditLog
from engage.core.personal_data import erase_personal_data, export_personal_data
from engage.extensions import db
from engage.panels import operations
from engage.panels.models import Volunteer, VolunteerSource
from tests.conftest import sign_in
from tests.factories import make_member, make_panel, make_partnership


@pytest.fixture
def base(app) -> str:  # type: ignore[no-untyped-def]
    partnership = make_partnership("own")
    for role in (Role.COORDINATOR, Role.COUNCILLOR, Role.PARTNER_OFFICER, Role.RESIDENT):
        make_member(partnership, role, email=f"{role.value}@example.org")
    other = make_partnership("other")
    make_member(other, Role.COORDINATOR, email="elsewhere@example.org")
    panel = make_panel(partnership, pool=12)
    db.session.commit()
    return f"/partnerships/own/panels/{panel.id}"


@pytest.mark.parametrize("email", ["councillor@example.org", "partner_officer@example.org",
                                   "resident@example.org", "elsewhere@example.org"])
def test_demographics_are_hidden_from_everyone_but_coordinators(client, base: str, email: str) -> None:
    sign_in(client, email)
    for path in ("/volunteers", "/members", "/report"):
        assert client.get(f"{base}{path}").status_code in (403, 404)
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).where(
        AuditLog.action == "panels.demographics_viewed")) == 0


def test_coordinators_views_of_demographics_are_audited_without_values(client, base: str) -> None:
    sign_in(client, "coordinator@example.org")
    page = client.get(f"{base}/volunteers")
    assert page.status_code == 200 and "Social rented" in page.get_data(as_text=True)
    client.get(f"{base}/report")
    entries = db.session.scalars(db.select(AuditLog).where(
        AuditLog.action == "panels.demographics_viewed")).all()
    assert [e.details["view"] for e in entries] == ["pool", "report"]
    for entry in entries:
        text = str(entry.details)
        assert "female" not in text and "rented" not in text and "owned" not in text


def test_personal_data_is_exported_and_erased(app, base: str) -> None:
    from engage.panels.models import Panel

    panel = db.session.scalar(db.select(Panel))
    user = make_member(panel.partnership, Role.RESIDENT)
    operations.sign_up_volunteer(
        panel, name="Ann", email="ann@example.org", phone=None, address="1 High St",
        postcode="AB1 2CD", ward=None, demographics={"sex": "female"},
        special_category_consent=False, source=VolunteerSource.ONLINE, user=user)
    exported = export_personal_data(user)["panels"]["volunteers"]
    assert exported[0]["name"] == "Ann" and exported[0]["demographics"] == {"sex": "female"}
    erase_personal_data(user)
    assert db.session.scalar(db.select(Volunteer).where(Volunteer.name == "Ann")) is None
