"""Serving in production: readiness, JSON logs, gunicorn settings from the environment."""

from __future__ import annotations

import json
import logging
import runpy
from pathlib import Path

from flask import Flask, g

from engage.core.structured_logging import JsonFormatter, current_job_id

ROOT = Path(__file__).resolve().parents[2]


def test_readyz_reports_database_and_migrations_at_head(app: Flask, client, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "redis": "not configured",
    }


def test_readyz_fails_when_redis_is_configured_but_unreachable(
    app: Flask, client, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    app.extensions.pop("engage_redis_ping", None)
    try:
        response = client.get("/readyz")
    finally:
        app.extensions.pop("engage_redis_ping", None)
    assert response.status_code == 503
    assert response.get_json()["redis"] == "unreachable"


def test_readyz_fails_when_the_schema_is_behind(app: Flask, client) -> None:
    # The code expects a revision the database has not reached yet.
    from engage.core.readiness import _revisions

    _heads, known = _revisions(app)
    app.extensions["engage_migration_revisions"] = (
        {"a-newer-revision"},
        known | {"a-newer-revision"},
    )
    try:
        response = client.get("/readyz")
    finally:
        app.extensions.pop("engage_migration_revisions", None)
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "behind"


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "engage.test", "levelname": "INFO", "msg": message, "levelno": logging.INFO}
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_log_lines_carry_the_request_id(app: Flask) -> None:
    with app.test_request_context("/somewhere?x=1", method="POST"):
        g.request_id = "abc123def456"
        line = json.loads(JsonFormatter().format(_record("hello %s", args=None)))
    assert line["message"] == "hello %s"
    assert (line["request_id"], line["method"], line["path"]) == (
        "abc123def456",
        "POST",
        "/somewhere",
    )
    assert line["level"] == "info"
    assert line["time"].endswith("+00:00")


def test_json_log_lines_carry_the_job_id_and_extra_fields() -> None:
    marker = current_job_id.set(42)
    try:
        line = json.loads(JsonFormatter().format(_record("job step", rows=3)))
    finally:
        current_job_id.reset(marker)
    assert (line["job_id"], line["rows"]) == (42, 3)
    assert "request_id" not in line


def test_json_log_lines_include_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = _record("failed")
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in line["exc"]


def test_gunicorn_settings_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("ENGAGE_BIND", "127.0.0.1:9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "2")
    monkeypatch.setenv("ENGAGE_LOG_FORMAT", "json")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == ["127.0.0.1:9123"]
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == (3, 2, "gthread")
    assert settings["preload_app"] is False
    assert settings["logger_class"] == "engage.core.gunicorn_logger.JsonLogger"


def test_gunicorn_defaults_scale_with_the_cpus(monkeypatch) -> None:
    for name in ("ENGAGE_BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENGAGE_ENV", "development")
    monkeypatch.delenv("ENGAGE_LOG_FORMAT", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert 3 <= settings["workers"] <= 8
    assert "logger_class" not in settings


def test_sessions_are_signed_cookies_only(app: Flask) -> None:
    from flask.sessions import SecureCookieSessionInterface

    assert type(app.session_interface) is SecureCookieSessionInterface


def test_rate_limits_share_redis_when_it_is_configured(monkeypatch, tmp_path) -> None:
    from engage.config import load_config

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    assert load_config(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6390/0"
    monkeypatch.delenv("REDIS_URL")
    assert load_config(tmp_path)["RATELIMIT_STORAGE_URI"] == "memory://"


def test_readyz_stays_ready_when_a_newer_release_has_migrated(app: Flask, client) -> None:
    from alembic.migration import MigrationContext

    from engage.extensions import db

    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    # The code knows fewer revisions than the database has: as if the database were newer.
    app.extensions["engage_migration_revisions"] = (set(), set())
    try:
        response = client.get("/readyz")
    finally:
        app.extensions.pop("engage_migration_revisions", None)
    assert current
    assert response.status_code == 200
    assert response.get_json()["migrations"] == "ahead"
