"""What the load benchmarks share: a free port, a fresh database, a checked subprocess, percentiles.

Not a benchmark itself (`make bench` skips files starting with "_").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def fresh_database(instance: Path, pg_database: str) -> tuple[str, str]:
    """The URL the server uses, and a label: a new PostgreSQL database named `pg_database` when
    DATABASE_URL points at PostgreSQL, else a SQLite file in `instance`."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgresql", "postgres:")):
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(url)
        libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {pg_database} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {pg_database}")
        return admin.set(database=pg_database).render_as_string(hide_password=False), "PostgreSQL"
    return f"sqlite:///{instance / 'engage.sqlite3'}", "SQLite (WAL)"


def run_checked(env: dict[str, str], *args: str, timeout: int) -> str:
    """Run a command in the project root; exit with its output if it fails."""
    result = subprocess.run(
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:4])} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result.stdout
