"""The app served for the browser tests: a real server process on 127.0.0.1.

One per test session: a temporary instance folder with its own SQLite database, migrated with
``flask db upgrade heads`` and filled with ``flask demo load`` (the same commands a developer
runs), then ``python -m tests.e2e.server`` listening on a free port. Stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Environment the server must not inherit: it uses its own SQLite file and in-memory limits.
_DROPPED = ("DATABASE_URL", "REDIS_URL", "ENGAGE_TEST_PG_UPGRADE_URL", "SECRET_KEY", "FLASK_APP")


def server_environment(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(
        ENGAGE_INSTANCE_PATH=str(instance),
        ENGAGE_ENV="development",  # plain-http cookies on 127.0.0.1, no HSTS
        # Every journey signs in and several register from one address within a minute; the
        # limits themselves are tested in tests/accounts/test_rate_limit.py.
        ENGAGE_SIGN_IN_LIMIT="1000 per minute",
        ENGAGE_SIGN_IN_PER_ACCOUNT_LIMIT="1000 per minute",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class LiveServer:
    """A running server: its base URL, instance folder and log file."""

    base_url: str
    instance: Path
    log_path: Path
    process: subprocess.Popen[str]
    _log: object = field(repr=False, default=None)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]


def _flask(instance: Path, env: dict[str, str], log: Path, *args: str) -> None:
    command = [sys.executable, "-m", "flask", "--app", "engage", *args]
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300
        )
    if result.returncode != 0:
        raise RuntimeError(
            f"`flask {' '.join(args)}` failed; see {log}:\n{log.read_text()[-3000:]}"
        )


def _read_port(process: subprocess.Popen[str], timeout: float) -> int:
    """The port the server prints once it listens (it binds port 0, so there is no race)."""
    found: list[str] = []
    reader = threading.Thread(
        target=lambda: found.append(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(timeout)
    line = found[0] if found else ""
    if not line.startswith("port "):
        raise RuntimeError(f"the test server did not start (said {line!r})")
    return int(line.split()[1])


def _wait_healthy(base_url: str, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{base_url}/healthz did not answer within {timeout} s")


def start_live_server(timeout: float = 60) -> LiveServer:
    """Migrate and demo-load a fresh SQLite database, then serve it on 127.0.0.1."""
    instance = Path(tempfile.mkdtemp(prefix="engage-e2e-"))
    env = server_environment(instance)
    log_path = instance / "server.log"
    try:
        _flask(instance, env, log_path, "db", "upgrade", "heads")
        _flask(instance, env, log_path, "demo", "load")
    except BaseException:
        shutil.rmtree(instance, ignore_errors=True)  # the error carries the log's tail
        raise
    log = log_path.open("a", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.server", "--host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    server = LiveServer("", instance, log_path, process, log)
    try:
        port = _read_port(process, timeout)
        server.base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(server.base_url, process, timeout)
    except BaseException as error:
        server.stop()
        detail = server.log_text()[-3000:]
        shutil.rmtree(instance, ignore_errors=True)
        if isinstance(error, Exception):
            raise RuntimeError(f"the test server did not start ({error}):\n{detail}") from error
        raise
    return server


def remove_instance(server: LiveServer) -> None:
    shutil.rmtree(server.instance, ignore_errors=True)
