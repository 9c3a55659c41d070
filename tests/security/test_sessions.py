"""Sessions and sign-in: a new session on sign-in, old cookies dead, reset links single-use and
expiring, failures slowed without locking the real person out, no account enumeration.

tests/accounts covers each of these once; here they are tried the way an attacker would,
against every way a session can end.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engage.accounts.models import PasswordResetToken, User
from engage.core.mail import outbox
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import TEST_PASSWORD, page_without_tokens, sign_in
from tests.test_authorisation import World

COOKIE = "engage_session"
NEW_PASSWORD = "a brand new passphrase"


def _cookie(client: FlaskClient) -> str:
    found = client.get_cookie(COOKIE, domain="127.0.0.1")
    return found.value if found else ""


def _replay(app: Flask, cookie: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie(COOKIE, cookie, domain="127.0.0.1")
    return client


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account/").status_code == 200


def test_signing_in_replaces_a_session_an_attacker_planted(app: Flask, world: World) -> None:
    victim = app.test_client()
    victim.get("/account/sign-in", query_string={"next": "/account/"})  # a pre-sign-in session
    planted = _cookie(victim)
    assert planted
    sign_in(victim, "resident@example.org")
    assert _cookie(victim) != planted
    assert not _signed_in(_replay(app, planted))
    assert _signed_in(victim)


def _reset_link(email: str) -> str:
    mail = [m for m in outbox() if m.to == email][-1]
    return re.search(r"http://127\.0\.0\.1(/account/reset-password/\S+)", mail.body).group(1)


def _admin_disables(app: Flask, world: World, email: str) -> None:
    admin = app.test_client()
    sign_in(admin, "platform_admin@example.org")
    user = db.session.scalar(select(User).where(User.email == email))
    assert admin.post(f"/manage/users/{user.id}/disable").status_code == 302


ENDINGS = {
    "sign-out": lambda app, world, client: client.post("/account/sign-out"),
    "password change": lambda app, world, client: client.post(
        "/account/password", data={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}),
    "password reset": lambda app, world, client: (
        app.test_client().post("/account/forgot-password", data={"email": "resident@example.org"}),
        app.test_client().post(_reset_link("resident@example.org"), data={"password": NEW_PASSWORD})),
    "account disabled": lambda app, world, client: _admin_disables(app, world, "resident@example.org"),
    "account deleted": lambda app, world, client: client.post(
        "/account/delete", data={"password": TEST_PASSWORD}),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_copied_cookie_is_dead_after_the_session_ends(app: Flask, world: World, ending: str) -> None:
    client, elsewhere = app.test_client(), app.test_client()
    sign_in(client, "resident@example.org")
    sign_in(elsewhere, "resident@example.org")
    stolen = _cookie(client)
    ENDINGS[ending](app, world, client)
    for replay in (_replay(app, stolen), elsewhere):
        assert not _signed_in(replay)
        # Fragments and downloads too, not just full pages.
        assert replay.get("/account/data.json", headers={"HX-Request": "true"}).status_code == 302


def test_reset_links_are_single_use_expire_and_die_when_the_password_changes(
    app: Flask, world: World
) -> None:
    client = app.test_client()
    for _ in range(2):
        client.post("/account/forgot-password", data={"email": "resident@example.org"})
    first, second = [re.search(r"(/account/reset-password/\S+)", m.body).group(1)
                     for m in outbox() if m.to == "resident@example.org"]
    assert client.post(second, data={"password": NEW_PASSWORD}).status_code == 302
    assert client.post(second, data={"password": NEW_PASSWORD + "2"}).status_code == 410
    # The older link sent earlier died with the change too.
    assert client.get(first).status_code == 410
    client.post("/account/forgot-password", data={"email": "resident@example.org"})
    third = _reset_link("resident@example.org")
    token = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.used_at.is_(None)))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post(third, data={"password": "yet another passphrase"}).status_code == 410
    assert client.get("/account/reset-password/" + "A" * 43).status_code == 410
    sign_in(app.test_client(), "resident@example.org", NEW_PASSWORD)


def test_a_password_change_kills_reset_links_sent_before_it(app: Flask, world: World) -> None:
    client = app.test_client()
    client.post("/account/forgot-password", data={"email": "resident@example.org"})
    link = _reset_link("resident@example.org")
    sign_in(client, "resident@example.org")
    client.post("/account/password", data={"current_password": TEST_PASSWORD,
                                           "new_password": NEW_PASSWORD})
    assert app.test_client().get(link).status_code == 410


def _attempt(app: Flask, address: str, email: str, password: str) -> int:
    return app.test_client().post(
        "/account/sign-in", data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_guessing_is_slowed_but_the_real_person_still_gets_in(app: Flask, world: World) -> None:
    attacker = "203.0.113.9"
    statuses = [_attempt(app, attacker, "resident@example.org", f"guess {n}!!") for n in range(12)]
    assert 429 in statuses and statuses[:5] == [200] * 5
    # Even the right password is refused to the attacker's address for now...
    assert _attempt(app, attacker, "resident@example.org", TEST_PASSWORD) == 429
    # ...but the real person, elsewhere, is not locked out, and nor is anyone else.
    assert _attempt(app, "198.51.100.7", "resident@example.org", TEST_PASSWORD) == 302
    assert _attempt(app, "198.51.100.8", "councillor@example.org", TEST_PASSWORD) == 302


def test_known_and_unknown_emails_get_identical_answers(app: Flask, world: World) -> None:
    ward = world.own.areas[0].wards()[0]
    answers = {}
    for email in ("resident@example.org", "nobody-here@example.org"):
        client = app.test_client()
        answers[email] = [
            page_without_tokens(client.post("/account/sign-in", data={"email": email, "password": "wrong one!"})),
            page_without_tokens(client.post("/account/forgot-password", data={"email": email})),
            page_without_tokens(client.post(
                f"/account/register?partnership={world.own.slug}",
                data={"email": email, "password": TEST_PASSWORD, "home_ward": str(ward.id)})),
        ]
    known, unknown = answers.values()
    assert known == unknown
    assert "EMAIL" in known[1]  # the pages did say something about the address
