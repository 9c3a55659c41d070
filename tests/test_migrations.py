"""Models and migrations agree, and `flask db upgrade` builds an empty database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, inspect

from engage.extensions import db

ROOT = Path(__file__).resolve().parents[1]


def test_autogenerate_finds_no_difference_between_models_and_migrations(app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def _upgrade(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "ENGAGE_INSTANCE_PATH": str(tmp_path)}
    flask = Path(sys.executable).with_name("flask")
    return subprocess.run(
        [str(flask), "--app", "engage", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_upgrade_builds_an_empty_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.sqlite3"
    result = _upgrade(url, tmp_path)
    assert result.returncode == 0, result.stderr
    tables = set(inspect(create_engine(url)).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_db_upgrade_builds_an_empty_postgresql_database(tmp_path: Path) -> None:
    url = os.environ.get("ENGAGE_TEST_PG_UPGRADE_URL")
    if not url:
        pytest.skip(
            "ENGAGE_TEST_PG_UPGRADE_URL is not set (.ci/run sets it on the PostgreSQL pass)"
        )
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    result = _upgrade(url, tmp_path)
    assert result.returncode == 0, result.stderr
    tables = set(inspect(engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    engine.dispose()
