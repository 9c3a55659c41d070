"""Fixtures: one app per test session on SQLite (or DATABASE_URL), tables emptied after each test."""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask import globals as flask_globals
from flask.testing import FlaskClient
from sqlalchemy import text

from engage import create_app
from engage.extensions import db as _db
from engage.extensions import limiter

SHARED = Path(__file__).resolve().parents[2] / "shared"

TEST_PASSWORD = "correct horse battery"


def app_overrides(database_url: str, instance: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "MAIL_BACKEND": "memory",
        # Still argon2id, with the cheapest parameters so the suite stays quick.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "SERVER_NAME": "127.0.0.1",
        "ENGAGE_TEST_INSTANCE": instance,
        # Jobs run synchronously when the enqueuing transaction commits: deterministic tests.
        "ENGAGE_JOBS_INLINE": True,
    }


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context, g and database session,
    as in production, instead of borrowing the test's (which would leak the signed-in
    user cached in g from one client to the next)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if flask_globals._cv_app.get(None) is not None:
            # End the test's own transaction so the request sees its data and the test,
            # afterwards, sees what the request wrote (SQLite readers keep a snapshot).
            _db.session.commit()

        def run() -> Any:
            flask_globals._cv_app.set(None)  # type: ignore[arg-type]
            flask_globals._cv_request.set(None)  # type: ignore[arg-type]
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


@pytest.fixture(scope="session")
def _instance() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="engage-test-") as path:
        os.environ["ENGAGE_INSTANCE_PATH"] = path
        yield path


@pytest.fixture(scope="session")
def database_url(_instance: str) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{_instance}/test.sqlite3"


@pytest.fixture(scope="session")
def app(database_url: str, _instance: str) -> Iterator[Flask]:
    app = create_app(app_overrides(database_url, _instance))
    app.test_client_class = IsolatedClient
    with app.app_context():
        _reset_schema(app)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _reset_schema(app: Flask) -> None:
    """Drop everything and build the schema with the real migrations."""
    from flask_migrate import upgrade

    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(revision="heads")


def _empty_tables() -> None:
    _db.session.remove()
    tables = [t.name for t in _db.metadata.sorted_tables]
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        # Self-referencing trees (areas, partnerships) need the checks off while emptying.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for name in reversed(tables):
            connection.exec_driver_sql(f"DELETE FROM {name}")


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        limiter.reset()
        app.extensions.pop("engage_outbox", None)
        yield
        _empty_tables()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page_without_tokens(response: Any) -> str:
    """A page's HTML with per-request tokens (nonces, CSRF) and email addresses blanked."""
    html: str = response.get_data(as_text=True)
    html = re.sub(r'nonce="[^"]+"', 'nonce=""', html)
    html = re.sub(r'name="csrf-token" content="[^"]*"', 'name="csrf-token" content=""', html)
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", html)
    return re.sub(r"[\w.+-]+@example\.org", "EMAIL", html)


def sign_in(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> Any:
    response = client.post("/account/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
