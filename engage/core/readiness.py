"""Readiness for a load balancer: the database answers, its schema is not behind the code's
migrations, and Redis answers when it is configured."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text

from engage.extensions import db


def _revisions(app: Flask) -> tuple[set[str], set[str]]:
    """(the head revisions the code expects, every revision it knows), read once per process."""
    known: tuple[set[str], set[str]] | None = app.extensions.get("engage_migration_revisions")
    if known is None:
        from alembic.script import ScriptDirectory

        migrate = app.extensions["migrate"]
        script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
        known = (set(script.get_heads()), {r.revision for r in script.walk_revisions()})
        app.extensions["engage_migration_revisions"] = known
    return known


def check_database(app: Flask) -> tuple[str, str]:
    """("ok" | "unreachable", "ok" | "behind" | "ahead" | "unknown")."""
    from alembic.migration import MigrationContext

    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:
        app.logger.exception("readiness: database check failed")
        return "unreachable", "unknown"
    expected, known = _revisions(app)
    if current == expected:
        return "ok", "ok"
    # A revision this code does not know means a newer release has migrated the database.
    return "ok", "ahead" if current - known else "behind"


def check_redis(app: Flask) -> str:
    """ "ok", "unreachable", or "not configured"."""
    url = app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    client = app.extensions.get("engage_redis_ping")
    if client is None:
        from redis import Redis

        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        app.extensions["engage_redis_ping"] = client
    try:
        client.ping()
    except Exception:
        app.logger.exception("readiness: redis check failed")
        return "unreachable"
    return "ok"


def readiness(app: Flask) -> tuple[dict[str, Any], bool]:
    database, migrations = check_database(app)
    redis = check_redis(app)
    # "ahead" (a newer release has migrated) stays ready: migrations are made to be run before
    # the new code rolls out, so the old processes keep serving until they are replaced.
    ready = database == "ok" and migrations in ("ok", "ahead") and redis in ("ok", "not configured")
    status = "ok" if ready else "unavailable"
    return {"status": status, "database": database, "migrations": migrations, "redis": redis}, ready
