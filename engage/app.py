"""The application factory's work: config, templates, extensions, blueprints, errors, CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def build_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config from the environment (then overrides), extensions, blueprints, CLI."""
    instance_path = Path(os.environ.get("ENGAGE_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        static_url_path="/assets",
    )
    from engage.config import load_config

    app.config.update(load_config(instance_path))
    if overrides:
        app.config.update(overrides)
    from engage.core.security import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # huge ids → 404, not a 500

    register_templates(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_serving(app)
    return app


def register_serving(app: Flask) -> None:
    """JSON logs (ENGAGE_LOG_FORMAT=json), and trust for N proxies' X-Forwarded-* headers
    (ENGAGE_PROXY_COUNT, e.g. 1 behind one load balancer) so rate limits see the client."""
    from engage.core.structured_logging import configure_logging

    configure_logging(app)
    proxies = int(os.environ.get("ENGAGE_PROXY_COUNT", "0") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )


def register_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _configure_sqlite(app: Flask) -> None:
    """WAL and a busy timeout on every SQLite connection, and foreign keys enforced."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    connect_args = options.setdefault("connect_args", {})
    connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
    options.pop("pool_pre_ping", None)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # SQLAlchemy emits BEGIN itself (see _sqlite_begin), so pysqlite must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    """Writers take SQLite's write lock at BEGIN, so they queue on the busy timeout.

    A deferred transaction that reads and then writes can fail at once with "database is
    locked" when another writer got there first; BEGIN IMMEDIATE waits its turn instead.
    """
    if connection.dialect.name != "sqlite":
        return
    from engage.core.transactions import wants_write_lock

    connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")


def register_extensions(app: Flask) -> None:
    from engage import models  # noqa: F401  (every model, so metadata is complete)
    from engage.accounts.session import register_login
    from engage.core.i18n import select_locale
    from engage.core.security import register_security
    from engage.core.templating import register_template_helpers
    from engage.extensions import babel, csrf, db, limiter, migrate

    _configure_sqlite(app)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    limiter.init_app(app)
    register_login(app)
    register_security(app)
    register_template_helpers(app)


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    from engage import BLUEPRINTS

    for target in BLUEPRINTS:
        module_name, attribute = target.split(":")
        app.register_blueprint(getattr(import_module(module_name), attribute))


def register_errorhandlers(app: Flask) -> None:
    from engage.main.errors import register_errors

    register_errors(app)


def register_commands(app: Flask) -> None:
    from engage.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
