"""What the load benchmarks share: a free port, a fresh database, the server's environment, a
checked subprocess, percentiles.

Not a benchmark itself (`make bench` skips files starting with "_").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
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


def server_env(instance: Path, database_url: str, port: int, *, workers: int, threads: int,
               real_hashing: bool) -> dict[str, str]:
    """This process's environment without Engage, Flask and gunicorn settings, plus those of a
    production-like server on 127.0.0.1:`port` for the benchmark."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ENGAGE_", "FLASK_", "GUNICORN_", "WEB_CONCURRENCY", "REDIS_URL"))}
    env.update(
        DATABASE_URL=database_url, SECRET_KEY=uuid.uuid4().hex * 2,
        ENGAGE_INSTANCE_PATH=str(instance), ENGAGE_ENV="production",
        ENGAGE_SECURE_COOKIES="0", ENGAGE_HSTS="0", ENGAGE_LOG_FORMAT="json",
        # Every simulated user comes from 127.0.0.1: lift the per-address limits for the test.
        ENGAGE_SIGN_IN_LIMIT="1000000 per minute",
        ENGAGE_SIGN_IN_PER_ACCOUNT_LIMIT="1000 per minute",
        # Cheap password hashing (as the scale-out test) unless asked: the subject is the load,
        # not Argon2.
        **({} if real_hashing else {"ENGAGE_ARGON2_TIME_COST": "1",
                                    "ENGAGE_ARGON2_MEMORY_KIB": "8192"}),
        WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads),
        GUNICORN_MAX_REQUESTS="0", ENGAGE_BIND=f"127.0.0.1:{port}", PYTHONPATH=str(ROOT),
    )
    return env


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
