"""Sign-in is slowed after repeated failures without locking the real person out."""

from __future__ import annotations

from flask import Flask

from engage.accounts.models import Role
from engage.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.factories import make_member, make_partnership


def _attempt(app: Flask, address: str, password: str) -> int:
    client = app.test_client()
    response = client.post(
        "/account/sign-in",
        data={"email": "r@example.org", "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_repeated_failures_are_refused_with_429(app: Flask) -> None:
    make_member(make_partnership("ashby"), Role.RESIDENT, email="r@example.org")
    db.session.commit()
    statuses = [_attempt(app, "203.0.113.9", "wrong password!") for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]


def test_attacker_elsewhere_does_not_lock_out_the_real_person(app: Flask) -> None:
    make_member(make_partnership("ashby"), Role.RESIDENT, email="r@example.org")
    db.session.commit()
    for _ in range(8):
        _attempt(app, "203.0.113.9", "wrong password!")
    assert _attempt(app, "198.51.100.7", TEST_PASSWORD) == 302


def test_successful_sign_ins_do_not_count_against_the_limit(app: Flask) -> None:
    make_member(make_partnership("ashby"), Role.RESIDENT, email="r@example.org")
    db.session.commit()
    assert [_attempt(app, "192.0.2.1", TEST_PASSWORD) for _ in range(8)] == [302] * 8
