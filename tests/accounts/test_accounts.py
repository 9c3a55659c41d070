"""Registration, sign-in, sessions, password reset, two-factor, data export and erasure."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from engage.accounts import operations
from engage.accounts.models import PasswordResetToken, Role, User
from engage.core.mail import outbox
from engage.core.models import AuditLog
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import TEST_PASSWORD, page_without_tokens, sign_in
from tests.factories import make_member, make_partnership


@pytest.fixture
def partnership(app: Flask):
    found = make_partnership("ashby")
    db.session.commit()
    return found


def _register(
    client: FlaskClient, partnership, email: str, password: str = TEST_PASSWORD, ward=None
):
    ward = ward or partnership.areas[0].wards()[0]
    return client.post(
        f"/account/register?partnership={partnership.slug}",
        data={"email": email, "password": password, "home_ward": str(ward.id)},
    )


def test_resident_registers_with_a_ward_and_a_hashed_password(
    client: FlaskClient, partnership
) -> None:
    response = _register(client, partnership, "new@example.org")
    assert response.status_code == 200
    user = db.session.scalar(db.select(User).where(User.email == "new@example.org"))
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in user.password_hash
    assert user.home_ward.id == partnership.areas[0].wards()[0].id
    assert [m.role for m in user.memberships] == [Role.RESIDENT]


def test_registration_refuses_a_ward_outside_the_partnership(
    client: FlaskClient, partnership
) -> None:
    other = make_partnership("kelham")
    db.session.commit()
    response = _register(client, partnership, "x@example.org", ward=other.areas[0].wards()[0])
    assert response.status_code == 200
    assert db.session.scalar(db.select(User).where(User.email == "x@example.org")) is None
    assert "Choose your ward from the list" in response.get_data(as_text=True)


def test_registration_refuses_a_short_password(client: FlaskClient, partnership) -> None:
    response = _register(client, partnership, "short@example.org", password="short")
    assert "10 characters or more" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "short@example.org")) is None


def test_registering_a_known_email_looks_the_same_as_a_new_one(
    client: FlaskClient, partnership
) -> None:
    make_member(partnership, Role.RESIDENT, email="known@example.org")
    db.session.commit()
    known = _register(client, partnership, "known@example.org")
    fresh = _register(client, partnership, "fresh@example.org")
    assert known.status_code == fresh.status_code == 200
    assert page_without_tokens(known) == page_without_tokens(fresh)
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(User).where(User.email == "known@example.org")
        )
        == 1
    )


def test_sign_in_and_out(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    sign_in(client, "r@example.org")
    assert client.get("/account/").status_code == 200
    client.post("/account/sign-out")
    assert client.get("/account/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, partnership
) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    wrong = client.post(
        "/account/sign-in", data={"email": "r@example.org", "password": "not the password"}
    )
    unknown = client.post(
        "/account/sign-in", data={"email": "nobody@example.org", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert page_without_tokens(wrong) == page_without_tokens(unknown)
    assert "Enter a correct email address and password" in wrong.get_data(as_text=True)


def test_old_session_cookie_is_dead_after_sign_out(app: Flask, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    first = app.test_client()
    sign_in(first, "r@example.org")
    stolen = first.get_cookie("engage_session", domain="127.0.0.1").value
    first.post("/account/sign-out")
    replay = app.test_client()
    replay.set_cookie("engage_session", stolen, domain="127.0.0.1")
    assert replay.get("/account/").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app: Flask, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "r@example.org")
    sign_in(phone, "r@example.org")
    response = laptop.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert laptop.get("/account/").status_code == 200
    assert phone.get("/account/").status_code == 302
    sign_in(app.test_client(), "r@example.org", "a brand new passphrase")


def test_disabled_account_loses_its_session(app: Flask, partnership) -> None:
    admin = make_member(partnership, Role.ADMIN, email="a@example.org")
    admin.is_platform_admin = True
    target = make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    resident, admin_client = app.test_client(), app.test_client()
    sign_in(resident, "r@example.org")
    sign_in(admin_client, "a@example.org")
    admin_client.post(f"/manage/users/{target.id}/disable")
    assert resident.get("/account/").status_code == 302
    assert client_sign_in_fails(app, "r@example.org")


def client_sign_in_fails(app: Flask, email: str) -> bool:
    response = app.test_client().post(
        "/account/sign-in", data={"email": email, "password": TEST_PASSWORD}
    )
    return response.status_code == 200


def _reset_link(email: str) -> str:
    mail = [m for m in outbox() if m.to == email][-1]
    return re.search(r"http://127\.0\.0\.1(/account/reset-password/\S+)", mail.body).group(1)


def test_password_reset_token_is_single_use(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    client.post("/account/forgot-password", data={"email": "r@example.org"})
    link = _reset_link("r@example.org")
    assert client.post(link, data={"password": "a new long passphrase"}).status_code == 302
    assert client.post(link, data={"password": "another passphrase!"}).status_code == 410
    sign_in(client, "r@example.org", "a new long passphrase")


def test_password_reset_token_expires(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    client.post("/account/forgot-password", data={"email": "r@example.org"})
    link = _reset_link("r@example.org")
    token = db.session.scalar(db.select(PasswordResetToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 410


def test_reset_request_for_unknown_email_looks_the_same_and_sends_nothing(
    client: FlaskClient, partnership
) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    known = client.post("/account/forgot-password", data={"email": "r@example.org"})
    unknown = client.post("/account/forgot-password", data={"email": "nobody@example.org"})
    assert page_without_tokens(known) == page_without_tokens(unknown)
    assert [m.to for m in outbox()] == ["r@example.org"]


def test_two_factor_sign_in(client: FlaskClient, partnership) -> None:
    user = make_member(partnership, Role.COORDINATOR, email="c@example.org")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    response = client.post(
        "/account/sign-in", data={"email": "c@example.org", "password": TEST_PASSWORD}
    )
    assert response.headers["Location"].endswith("/account/sign-in/security-code")
    assert client.get("/account/").status_code == 302  # not signed in yet
    wrong = client.post("/account/sign-in/security-code", data={"code": "000000"})
    assert "not right" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(user.totp_secret).now()
    assert client.post("/account/sign-in/security-code", data={"code": code}).status_code == 302
    assert client.get("/account/").status_code == 200


def test_partnership_can_require_two_factor_for_staff(client: FlaskClient, partnership) -> None:
    partnership.requires_staff_two_factor = True
    make_member(partnership, Role.COORDINATOR, email="c@example.org")
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    sign_in(client, "c@example.org")
    assert client.get("/manage/").headers["Location"].endswith("/account/two-factor")
    page = client.get("/account/two-factor")
    secret = re.search(
        r'<code class="engage-code">([A-Z2-7]{32})</code>', page.get_data(as_text=True)
    ).group(1)
    client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/manage/").status_code == 200
    resident = client.application.test_client()
    sign_in(resident, "r@example.org")
    assert resident.get("/").status_code == 200


def test_download_my_data_has_account_and_activity(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    sign_in(client, "r@example.org")
    response = client.get("/account/data.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "r@example.org"
    assert data["account"]["home_ward"]["gss_code"] == partnership.areas[0].wards()[0].gss_code
    assert data["account"]["memberships"][0]["role"] == "resident"
    assert "account.signed_in" in [a["action"] for a in data["account"]["activity"]]
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_delete_account_erases_personal_data(client: FlaskClient, partnership) -> None:
    user = make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    user_id = user.id
    sign_in(client, "r@example.org")
    response = client.post("/account/delete", data={"password": TEST_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    erased = db.session.get(User, user_id)
    assert erased.erased_at is not None
    assert "r@example.org" not in erased.email
    assert erased.password_hash is None and erased.home_ward_id is None
    assert erased.memberships == []
    assert (
        db.session.scalar(db.select(AuditLog).where(AuditLog.action == "account.erased"))
        is not None
    )
    assert client.get("/account/").status_code == 302
    assert client_sign_in_fails(client.application, "r@example.org")


def test_delete_account_needs_the_password(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    sign_in(client, "r@example.org")
    response = client.post("/account/delete", data={"password": "wrong password!"})
    assert "not right" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "r@example.org")).erased_at is None


def test_sign_in_redirects_only_to_safe_next(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    for evil in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        fresh = client.application.test_client()
        fresh.get(f"/account/sign-in?next={evil}")
        response = sign_in(fresh, "r@example.org")
        assert response.headers["Location"] == "/", evil
    fresh = client.application.test_client()
    fresh.get("/account/sign-in?next=/account/")
    assert sign_in(fresh, "r@example.org").headers["Location"] == "/account/"


def test_sign_in_starts_a_fresh_session(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, "r@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sensitive_actions_are_audited(client: FlaskClient, partnership) -> None:
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    sign_in(client, "r@example.org")
    client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "something longer"},
    )
    actions = set(db.session.scalars(db.select(AuditLog.action)))
    assert {"account.signed_in", "account.password_changed"} <= actions


def test_authenticate_rehashes_weaker_hashes(app: Flask, partnership) -> None:
    from argon2 import PasswordHasher

    user = make_member(partnership, Role.RESIDENT, email="r@example.org")
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=128).hash(TEST_PASSWORD)
    db.session.commit()
    assert operations.authenticate("r@example.org", TEST_PASSWORD) is not None
    assert "t=1" in user.password_hash


def test_registration_mails_a_link_that_confirms_the_email(
    client: FlaskClient, partnership
) -> None:
    _register(client, partnership, "new@example.org")
    mail = [m for m in outbox() if m.to == "new@example.org"][-1]
    link = re.search(r"http://127\.0\.0\.1(/account/confirm/\S+)", mail.body).group(1)
    user = db.session.scalar(db.select(User).where(User.email == "new@example.org"))
    assert user.email_confirmed_at is None
    assert client.get(link).status_code == 302
    db.session.refresh(user)
    assert user.email_confirmed_at is not None


def test_tampered_confirmation_link_is_refused(client: FlaskClient, partnership) -> None:
    _register(client, partnership, "new@example.org")
    mail = [m for m in outbox() if m.to == "new@example.org"][-1]
    link = re.search(r"http://127\.0\.0\.1(/account/confirm/\S+)", mail.body).group(1)
    assert client.get(link[:-3] + "abc").status_code == 410
    assert (
        db.session.scalar(db.select(User.email_confirmed_at).where(User.email == "new@example.org"))
        is None
    )


def test_platform_admin_finds_and_disables_an_account(app: Flask, partnership) -> None:
    admin = make_member(partnership, Role.ADMIN, email="a@example.org")
    admin.is_platform_admin = True
    target = make_member(partnership, Role.RESIDENT, email="target@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "a@example.org")
    page = client.get("/manage/users?email=target").get_data(as_text=True)
    assert "target@example.org" in page and "a@example.org" not in page
    client.post(f"/manage/users/{target.id}/disable", data={"disabled": "1"})
    db.session.refresh(target)
    assert target.is_disabled
    client.post(f"/manage/users/{target.id}/disable", data={"disabled": "0"})
    db.session.refresh(target)
    assert not target.is_disabled


def test_sign_in_does_not_hold_the_sqlite_write_lock_while_checking_the_password(
    app: Flask, client: FlaskClient, partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer gets in while argon2 runs (it used to wait for the whole hash check)."""
    import sqlite3

    from engage.accounts import passwords

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's write lock only")
    make_member(partnership, Role.RESIDENT, email="r@example.org")
    db.session.commit()
    real_verify = passwords.verify_password
    wrote: list[bool] = []

    def verify_while_another_writer_writes(password_hash: str | None, password: str) -> bool:
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.2)
        try:
            with other:
                other.execute("UPDATE themes SET name = name")
            wrote.append(True)
        finally:
            other.close()
        return real_verify(password_hash, password)

    monkeypatch.setattr(operations, "verify_password", verify_while_another_writer_writes)
    sign_in(client, "r@example.org")
    assert wrote == [True]
