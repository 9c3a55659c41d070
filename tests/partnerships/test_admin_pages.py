"""Admin pages: create partnerships, themes, organisations and grant roles."""

from __future__ import annotations

from flask import Flask

from engage.accounts.models import Membership, Role
from engage.core.models import AuditLog
from engage.extensions import db
from engage.partnerships.models import Organisation, Partnership, Theme
from engage.partnerships.operations import DEFAULT_THEMES
from tests.conftest import sign_in
from tests.factories import make_member, make_partnership


def _admin(app: Flask, platform: bool = True):
    partnership = make_partnership("ashby")
    admin = make_member(partnership, Role.ADMIN, email="a@example.org")
    admin.is_platform_admin = platform
    db.session.commit()
    client = app.test_client()
    sign_in(client, "a@example.org")
    return client, partnership


def test_platform_admin_creates_a_partnership_with_default_themes(app: Flask) -> None:
    client, _ = _admin(app)
    response = client.post(
        "/manage/partnerships/new",
        data={"name": "Wyre Forest Partnership", "slug": "wyre-forest", "kind": "district"},
    )
    assert response.status_code == 302
    created = db.session.scalar(db.select(Partnership).where(Partnership.slug == "wyre-forest"))
    assert [t.slug for t in created.themes] == [slug for slug, _, _ in DEFAULT_THEMES]
    assert (
        db.session.scalar(db.select(AuditLog).where(AuditLog.action == "partnership.created"))
        is not None
    )
    assert any(m.role == Role.ADMIN for m in created.memberships)


def test_partnership_slug_must_be_unique_and_tidy(app: Flask) -> None:
    client, existing = _admin(app)
    clash = client.post(
        "/manage/partnerships/new", data={"name": "X", "slug": existing.slug, "kind": "district"}
    )
    assert "exists already" in clash.get_data(as_text=True)
    messy = client.post(
        "/manage/partnerships/new", data={"name": "X", "slug": "Not A Slug!", "kind": "district"}
    )
    assert "lower-case letters" in messy.get_data(as_text=True)


def test_coordinator_adds_and_renames_a_theme(app: Flask) -> None:
    client, partnership = _admin(app)
    client.post(
        f"/manage/partnerships/{partnership.slug}/themes/new",
        data={"name": "Digital inclusion", "name_cy": "Cynhwysiant digidol", "is_active": "y"},
    )
    theme = db.session.scalar(db.select(Theme).where(Theme.name == "Digital inclusion"))
    assert theme.name_cy == "Cynhwysiant digidol" and theme.slug == "digital-inclusion"
    client.post(
        f"/manage/partnerships/{partnership.slug}/themes/{theme.id}",
        data={"name": "Digital access"},
    )
    db.session.refresh(theme)
    assert (
        theme.name == "Digital access" and theme.slug == "digital-inclusion" and not theme.is_active
    )


def test_organisation_joins_rather_than_duplicates(app: Flask) -> None:
    client, partnership = _admin(app)
    other = make_partnership("kelham")
    db.session.commit()
    name = other.organisations[0].name
    client.post(
        f"/manage/partnerships/{partnership.slug}/organisations/new",
        data={"name": name, "sector": "public"},
    )
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(Organisation).where(Organisation.name == name)
        )
        == 1
    )
    organisation = db.session.scalar(db.select(Organisation).where(Organisation.name == name))
    assert {p.slug for p in organisation.partnerships} == {"ashby", "kelham"}


def test_admin_grants_a_councillor_role_with_wards(app: Flask) -> None:
    client, partnership = _admin(app)
    person = make_member(partnership, Role.RESIDENT, email="cllr@example.org")
    db.session.commit()
    ward = partnership.areas[0].wards()[1]
    response = client.post(
        f"/manage/partnerships/{partnership.slug}/people",
        data={"email": "cllr@example.org", "role": "councillor", "wards": [str(ward.id)]},
    )
    assert response.status_code == 302
    membership = db.session.scalar(
        db.select(Membership).where(
            Membership.user_id == person.id, Membership.role == Role.COUNCILLOR
        )
    )
    assert [w.id for w in membership.wards] == [ward.id]


def test_councillor_needs_wards_and_officer_needs_organisation(app: Flask) -> None:
    client, partnership = _admin(app)
    make_member(partnership, Role.RESIDENT, email="p@example.org")
    db.session.commit()
    no_wards = client.post(
        f"/manage/partnerships/{partnership.slug}/people",
        data={"email": "p@example.org", "role": "councillor"},
    )
    assert "at least one ward" in no_wards.get_data(as_text=True)
    no_org = client.post(
        f"/manage/partnerships/{partnership.slug}/people",
        data={"email": "p@example.org", "role": "partner_officer"},
    )
    assert "partner organisation" in no_org.get_data(as_text=True)


def test_wards_of_another_partnership_cannot_be_granted(app: Flask) -> None:
    client, partnership = _admin(app)
    other = make_partnership("kelham")
    make_member(partnership, Role.RESIDENT, email="p@example.org")
    db.session.commit()
    foreign_ward = other.areas[0].wards()[0]
    response = client.post(
        f"/manage/partnerships/{partnership.slug}/people",
        data={"email": "p@example.org", "role": "councillor", "wards": [str(foreign_ward.id)]},
    )
    assert response.status_code == 200
    assert (
        db.session.scalar(db.select(Membership).where(Membership.role == Role.COUNCILLOR)) is None
    )


def test_revoking_a_role_is_audited(app: Flask) -> None:
    client, partnership = _admin(app)
    person = make_member(partnership, Role.COORDINATOR, email="c@example.org")
    db.session.commit()
    membership_id = person.memberships[0].id
    client.post(f"/manage/partnerships/{partnership.slug}/people/{membership_id}/revoke")
    assert db.session.get(Membership, membership_id) is None
    entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "membership.revoked"))
    assert entry.details["user_id"] == person.id
