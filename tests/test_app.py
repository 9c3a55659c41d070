"""The app factory, configuration, health check, headers and error pages."""

from __future__ import annotations

import json
import os
import re
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from engage import create_app
from engage.config import load_config


def test_secret_key_is_generated_into_instance_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    second = load_config(tmp_path)["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_voter_key_secret_is_its_own_secret_kept_in_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENGAGE_VOTER_KEY_SECRET", raising=False)
    config = load_config(tmp_path)
    assert config["ENGAGE_VOTER_KEY_SECRET"] != config["SECRET_KEY"]
    assert load_config(tmp_path)["ENGAGE_VOTER_KEY_SECRET"] == config["ENGAGE_VOTER_KEY_SECRET"]
    assert (tmp_path / "voter_key_secret").stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_processes_starting_together_agree_on_one_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with ProcessPoolExecutor(4) as pool:
        keys = set(pool.map(_secret_in, [tmp_path] * 16))
    assert len(keys) == 1 and len(keys.pop()) == 64


def _secret_in(path: Path) -> str:
    return str(load_config(path)["SECRET_KEY"])


def test_secret_key_from_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_config(tmp_path)["SECRET_KEY"] == "from-the-environment"


def test_defaults_are_safe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "ENGAGE_ENV", "REDIS_URL", "ENGAGE_DISCLOSURE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'engage.sqlite3'}"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["ENGAGE_HSTS"] is True
    assert config["ENGAGE_DISCLOSURE_THRESHOLD"] == 5
    assert config["REDIS_URL"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_postgres_urls_use_psycopg3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@127.0.0.1:5432/engage")
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_debug_is_off_by_default(app: Flask) -> None:
    assert app.debug is False


def test_sqlite_connections_use_wal_and_busy_timeout(tmp_path: Path) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3", "TESTING": True}
    )
    from engage.extensions import db

    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_healthz_checks_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_security_headers_on_every_page(client) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_inline_script_carries_the_csp_nonce(client) -> None:
    response = client.get("/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    html = response.get_data(as_text=True)
    assert f'<script nonce="{nonce}">' in html
    assert html.count("<script") == html.count(f'nonce="{nonce}"') + html.count("src=")


def test_htmx_is_configured_to_add_no_inline_styles_the_csp_would_block(client) -> None:
    """htmx's indicator <style> and its copying of style attributes across a swap
    (setAttribute("style")) are inline styles, which style-src 'self' refuses."""
    html = client.get("/").get_data(as_text=True)
    found = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert found is not None
    config = json.loads(unescape(found.group(1)))
    assert config["includeIndicatorStyles"] is False
    assert "style" not in config["attributesToSettle"]


def test_not_found_page_is_govuk_style_and_generic(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "govuk-heading-l" in html
    assert "Traceback" not in html


def test_server_error_page_reveals_nothing(
    app: Flask, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engage.main import views

    def broken() -> str:
        raise RuntimeError("secret internals")

    monkeypatch.setitem(app.view_functions, "main.privacy", broken)
    response = client.get("/privacy")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "secret internals" not in html
    assert "problem with the service" in html
    assert views  # the module is the one that owns the route


def test_session_cookie_flags(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_environment_is_not_leaked_between_apps() -> None:
    assert "ENGAGE_INSTANCE_PATH" in os.environ


def test_a_nul_character_in_a_query_or_form_is_refused_with_400(client) -> None:
    """PostgreSQL refuses NUL in text: the app answers 400 before any query, on every database."""
    assert client.get("/", query_string={"q": "a\x00b"}).status_code == 400
    assert client.get("/", query_string={"q": "a b"}).status_code == 200


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../../../tmp/evil.csv", "evil.csv"),
        ("..\\..\\evil.csv", "evil.csv"),
        ("evil\x00.csv", "evil.csv"),
        ("C:\\Windows\\report\r\n.xlsx", "report.xlsx"),
        ("", "upload"),
        ("../", "upload"),
    ],
)
def test_uploaded_file_names_keep_only_their_printable_last_part(name: str, expected: str) -> None:
    from engage.core.security import printable_filename

    assert printable_filename(name) == expected
