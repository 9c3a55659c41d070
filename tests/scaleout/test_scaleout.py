"""Several processes, one service: two gunicorn instances and two RQ workers on PostgreSQL and
Redis. A person's requests alternate between the instances (as behind a load balancer), and an
import job's worker is killed part-way; the job must complete exactly once, with no partial data.
Residents vote in a participatory budgeting process across both instances (two confirm the same
ballot on both at once); every confirmed ballot is stored once, and the count runs on a worker.

Runs only with ENGAGE_SCALEOUT=1, a PostgreSQL DATABASE_URL and a REDIS_URL (the role must be
allowed to create databases: the test makes its own). `scripts/scaleout_test.sh` starts throwaway
servers and runs it; `.ci/run` runs it after the PostgreSQL pass.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest

pytestmark = pytest.mark.scaleout

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "engage-demo-2026"
COORDINATOR = "coordinator@engage.example"
SCALEOUT_DB = "engage_scaleout"


def _settings() -> tuple[str, str]:
    if os.environ.get("ENGAGE_SCALEOUT") != "1":
        pytest.skip(
            "multi-process scale-out test: needs ENGAGE_SCALEOUT=1 with a PostgreSQL "
            "DATABASE_URL and a REDIS_URL (scripts/scaleout_test.sh sets them up)"
        )
    # CI asks for it explicitly: a missing server there is a failure, not a skip.
    missing = pytest.fail if os.environ.get("ENGAGE_SCALEOUT_STRICT") == "1" else pytest.skip
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgresql", "postgres:")):
        missing("scale-out test: DATABASE_URL must point at PostgreSQL")
    if not redis_url.startswith("redis"):
        missing("scale-out test: REDIS_URL is not set")
    return database_url, redis_url


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _fresh_database(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCALEOUT_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {SCALEOUT_DB}")
    return _with_database(admin_url, SCALEOUT_DB)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """One person's browser: one cookie jar, redirects not followed, any instance per request."""

    class _NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    def __init__(self) -> None:
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), self._NoRedirect)

    def open(
        self,
        base: str,
        path: str,
        data: dict[str, str | list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        body = urlencode(data, doseq=True).encode() if data is not None else None
        request = Request(base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


def _csrf(html: str) -> str:
    found = (
        re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        or re.search(r'name="csrf_token" value="([^"]+)"', html)
        or re.search(r'name="csrf-token" content="([^"]+)"', html)
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Stack:
    env: dict[str, str]
    database_url: str
    redis_url: str
    web: list[str]  # base URLs of the two gunicorn instances
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    log_dir: Path = Path()

    def flask(self, *args: str, timeout: int = 120) -> str:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "engage", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"flask {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name: str, command: list[str], **extra_env: str) -> None:
        out = self.log_dir / f"{name}.log"
        self.logs[name] = out
        with out.open("wb") as handle:  # the child keeps its own copy of the descriptor
            self.processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.env, **extra_env},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(_libpq(self.database_url), autocommit=True) as connection:
            return list(connection.execute(query, params).fetchall())

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    def tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.logs[name].read_text(errors="replace").splitlines()[-lines:])


def _wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    admin_url, redis_url = _settings()
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    database_url = _fresh_database(admin_url)
    instance = tmp_path_factory.mktemp("scaleout")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ENGAGE_", "FLASK_", "GUNICORN_", "WEB_CONCURRENCY"))
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=uuid.uuid4().hex * 2,  # the same on every process, as in production
        ENGAGE_VOTER_KEY_SECRET=uuid.uuid4().hex * 2,
        ENGAGE_INSTANCE_PATH=str(instance),
        ENGAGE_ENV="production",
        ENGAGE_SECURE_COOKIES="0",  # plain http on 127.0.0.1
        ENGAGE_HSTS="0",
        ENGAGE_LOG_FORMAT="json",
        ENGAGE_JOB_MODULES="tests.scaleout.handlers",
        ENGAGE_JOBS_HEARTBEAT_SECONDS="0.5",
        ENGAGE_JOBS_STALE_SECONDS="3",
        ENGAGE_SIGN_IN_PER_ACCOUNT_LIMIT="3 per minute",
        ENGAGE_ARGON2_TIME_COST="1",
        ENGAGE_ARGON2_MEMORY_KIB="8192",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        PYTHONPATH=str(ROOT),
    )
    ports = [_free_port(), _free_port()]
    result = Stack(
        env=env,
        database_url=database_url,
        redis_url=redis_url,
        web=[f"http://127.0.0.1:{port}" for port in ports],
        log_dir=instance,
    )
    try:
        result.flask("db", "upgrade")
        result.flask("demo", "load")
        for index, port in enumerate(ports):
            result.start(
                f"web{index + 1}",
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "engage:create_app()"],
                ENGAGE_BIND=f"127.0.0.1:{port}",
            )
        for index in (1, 2):
            result.start(
                f"worker{index}",
                [
                    str(BIN / "flask"),
                    "--app",
                    "engage",
                    "jobs",
                    "worker",
                    "--name",
                    f"scaleout-{index}-{os.getpid()}",
                ],
            )
        for index, base in enumerate(result.web):

            def ready(base: str = base) -> bool:
                try:
                    return Browser().open(base, "/readyz")[0] == 200
                except OSError:
                    return False

            try:
                _wait_for(ready, 60, f"{base}/readyz")
            except AssertionError:
                raise AssertionError(result.tail(f"web{index + 1}")) from None
        yield result
    finally:
        result.stop()


def test_both_instances_are_ready_with_database_migrations_and_redis(stack: Stack) -> None:
    for base in stack.web:
        status, _, body = Browser().open(base, "/readyz")
        assert status == 200
        assert json.loads(body) == {
            "status": "ok",
            "database": "ok",
            "migrations": "ok",
            "redis": "ok",
        }


def test_a_session_started_on_one_instance_continues_on_the_other(stack: Stack) -> None:
    a, b = stack.web
    browser = Browser()
    status, _, page = browser.open(a, "/account/sign-in")
    assert status == 200
    status, headers, _ = browser.open(
        b,
        "/account/sign-in",
        {"csrf_token": _csrf(page), "email": COORDINATOR, "password": DEMO_PASSWORD},
    )
    assert status == 302, "sign-in on B with A's form failed"
    for base in (a, b, a, b):
        status, _, home = browser.open(base, "/")
        assert status == 200
        assert "Sign out" in home
    status, _, manage = browser.open(b, "/manage/")
    assert status == 200
    # A form fetched from B is accepted by A (CSRF token and session from another process).
    status, _, _ = browser.open(a, "/account/sign-out", {"csrf_token": _csrf(manage)})
    assert status == 302
    status, headers, _ = browser.open(b, "/manage/")
    assert status == 302 and "/account/sign-in" in headers["Location"]


def test_failed_sign_ins_are_counted_across_instances(stack: Stack) -> None:
    a, b = stack.web
    browser = Browser()
    statuses = []
    for attempt in range(4):
        base = (a, b)[attempt % 2]
        _, _, page = browser.open(base, "/account/sign-in")
        status, _, _ = browser.open(
            base,
            "/account/sign-in",
            {"csrf_token": _csrf(page), "email": "resident@engage.example", "password": "wrong"},
        )
        statuses.append(status)
    assert statuses == [200, 200, 200, 429], "the limit of 3 per minute must hold across processes"


def test_a_job_whose_worker_is_killed_completes_exactly_once(stack: Stack) -> None:
    a, b = stack.web
    browser = Browser()
    _, _, page = browser.open(a, "/account/sign-in")
    status, _, _ = browser.open(
        b,
        "/account/sign-in",
        {"csrf_token": _csrf(page), "email": COORDINATOR, "password": DEMO_PASSWORD},
    )
    assert status == 302
    prefix, count = f"Scale-out import {uuid.uuid4().hex[:6]}", 30
    key = f"scaleout:{prefix}"
    job_id = int(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.scaleout.producer",
                COORDINATOR,
                prefix,
                str(count),
                "0.1",
                key,
            ],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
    )

    def job() -> dict[str, Any]:
        columns = (
            "status",
            "attempts",
            "progress_done",
            "progress_total",
            "message_code",
            "error_code",
        )
        row = stack.sql(f"SELECT {', '.join(columns)} FROM jobs WHERE id = %s", job_id)[0]
        return dict(zip(columns, row, strict=True))

    def imported() -> int:
        return int(
            stack.sql("SELECT count(*) FROM organisations WHERE name LIKE %s", prefix + " %")[0][0]
        )

    def fragment(base: str) -> str:
        status, headers, html = browser.open(
            base, f"/jobs/{job_id}", headers={"HX-Request": "true"}
        )
        assert status == 200
        assert "HX-Request" in headers.get("Vary", "")
        return html

    try:
        running = _wait_for(
            lambda: (j := job())["status"] == "RUNNING" and j["progress_done"] >= 5 and j,
            90,
            "the job to be part-way",
        )
    except AssertionError:
        raise AssertionError(f"{job()}\n{stack.tail('worker1')}\n{stack.tail('worker2')}") from None
    # Part-way: progress is visible from either instance, the rows are not.
    assert imported() == 0
    for base in (a, b):
        html = fragment(base)
        assert 'hx-trigger="every 1s"' in html
        assert re.search(r'<progress id="job-progress" [^>]*max="30" value="\d+"', html)
    pid = int(running["message_code"].removeprefix("pid-"))
    victim = next(
        name for name, p in stack.processes.items() if name.startswith("worker") and p.pid == pid
    )
    os.kill(pid, signal.SIGKILL)
    stack.processes[victim].wait(timeout=10)
    assert imported() == 0, "a killed attempt must leave no rows behind"

    try:
        done = _wait_for(
            lambda: (j := job())["status"] in ("SUCCEEDED", "FAILED") and j,
            90,
            "the job to be recovered and finish",
        )
    except AssertionError:
        survivor = "worker2" if victim == "worker1" else "worker1"
        raise AssertionError(f"{job()}\n{stack.tail(survivor)}") from None
    assert done["status"] == "SUCCEEDED", done
    assert done["attempts"] == 2
    assert (done["progress_done"], done["progress_total"]) == (count, count)
    assert imported() == count
    names = {
        row[0]
        for row in stack.sql("SELECT name FROM organisations WHERE name LIKE %s", prefix + " %")
    }
    assert names == {f"{prefix} {index:03d}" for index in range(count)}
    for base in (a, b):
        html = fragment(base)
        assert "hx-trigger" not in html
        assert "Finished" in html

    # Retrying a finished job and queueing the same key again change nothing.
    assert stack.flask("jobs", "retry", str(job_id)).strip() == f"job {job_id}: succeeded"
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.scaleout.producer",
            COORDINATOR,
            prefix,
            str(count),
            "0.1",
            key,
        ],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert int(again) == job_id
    time.sleep(1)
    assert job()["attempts"] == 2
    assert imported() == count


PB_VOTERS = 6
PB_CHOICES = (("G1",), ("G2", "G3"), ("G1", "G4"), ("G3",), ("G2", "G4"), ("G1", "G3"))


def _receipt_code(html: str) -> str:
    found = re.search(r"<br><strong>([A-Z0-9]+)</strong>", html)
    assert found, "no receipt code on the receipt page"
    return found.group(1)


def run_pb_voting_journey(stack: Stack, browser: Browser) -> None:
    """Residents vote with each request on the other instance (as behind a load balancer), one
    changes their vote, two confirm the same ballot on both instances at the same moment; every
    confirmed ballot is stored once. Then the coordinator closes the vote and the tally runs as
    a job on a worker, counting each ballot once."""
    a, b = stack.web
    prefix = f"pb{uuid.uuid4().hex[:6]}"
    lines = subprocess.run(
        [sys.executable, "-m", "tests.scaleout.pb_setup", prefix, str(PB_VOTERS), DEMO_PASSWORD],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    process_id, emails = int(lines[0]), lines[1:]
    assert len(emails) == PB_VOTERS
    base = f"/budgeting/{process_id}"
    confirmed: dict[str, tuple[str, ...]] = {}  # the ballot each person was told is recorded
    receipts: dict[str, str] = {}

    def sign_in(person: Browser, email: str, first: str, second: str) -> None:
        _, _, page = person.open(first, "/account/sign-in")
        status, _, _ = person.open(
            second,
            "/account/sign-in",
            {"csrf_token": _csrf(page), "email": email, "password": DEMO_PASSWORD},
        )
        assert status == 302, f"{email} could not sign in"

    def review(person: Browser, first: str, second: str, choice: tuple[str, ...]) -> str:
        """Vote page on one instance, choices posted to the other: the review page's token."""
        status, _, page = person.open(first, f"{base}/vote")
        assert status == 200 and 'name="projects"' in page
        status, _, checked = person.open(
            second,
            f"{base}/vote",
            {"csrf_token": _csrf(page), "projects": list(choice), "age_confirmed": "yes"},
        )
        assert status == 200 and f"{base}/vote/confirm" in checked, checked[-2000:]
        return _csrf(checked)

    def confirm(person: Browser, where: str, token: str, choice: tuple[str, ...]) -> str:
        status, headers, _ = person.open(
            where,
            f"{base}/vote/confirm",
            {"csrf_token": token, "projects": list(choice), "age_confirmed": "yes"},
        )
        assert status == 302, status
        return headers["Location"]

    def confirm_on_both(person: Browser, token: str, choice: tuple[str, ...]) -> list[str]:
        """The same confirmation sent to both instances at the same moment."""
        start = threading.Barrier(2)
        locations: list[str] = []

        def send(where: str) -> None:
            start.wait(timeout=10)
            locations.append(confirm(person, where, token, choice))

        threads = [threading.Thread(target=send, args=(where,)) for where in (a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return locations

    for index, email in enumerate(emails):
        person = browser if index == 0 else Browser()
        x, y = (a, b) if index % 2 == 0 else (b, a)
        choice = PB_CHOICES[index]
        sign_in(person, email, x, y)
        token = review(person, x, y, choice)
        if index >= PB_VOTERS - 2:
            # The same ballot confirmed on both instances at the same moment (two tabs, a
            # double click behind a load balancer): a first ballot raced on the unique key.
            locations = confirm_on_both(person, token, choice)
            assert len(locations) == 2, "a concurrent confirmation got no answer"
            assert any(location.endswith(f"{base}/receipt") for location in locations)
        else:
            assert confirm(person, x, token, choice).endswith(f"{base}/receipt")
        confirmed[email] = choice
        status, _, page = person.open(y, f"{base}/receipt")
        assert status == 200
        receipts[email] = _receipt_code(page)
        if index == 0:
            # A change of mind, on the other instance: still one ballot, the new choices.
            choice = ("G2", "G4")
            token = review(person, y, x, choice)
            assert confirm(person, y, token, choice).endswith(f"{base}/receipt")
            confirmed[email] = choice
            status, _, page = person.open(x, f"{base}/receipt")
            receipts[email] = _receipt_code(page)

    rows = stack.sql(
        "SELECT u.email, b.voter_key, b.choices, b.receipt_code, b.channel, b.is_confirmed "
        "FROM budgeting_ballots b JOIN users u ON u.id = b.user_id WHERE b.process_id = %s",
        process_id,
    )
    stored = [row[0] for row in rows]
    assert sorted(stored) == sorted(confirmed), "every confirmed ballot stored exactly once"
    total = stack.sql("SELECT count(*) FROM budgeting_ballots WHERE process_id = %s", process_id)
    assert int(total[0][0]) == PB_VOTERS, "none lost, none doubled"
    for email, voter_key, choices, receipt, channel, is_confirmed in rows:
        choices = json.loads(choices) if isinstance(choices, str) else choices
        assert sorted(choices["projects"]) == sorted(confirmed[email]), email
        assert voter_key.startswith("u") and channel == "ONLINE" and is_confirmed
        assert receipt == receipts[email], f"{email}: the receipt shown is the one stored"

    # The coordinator closes the vote on one instance and counts it on the other: the tally
    # is a job, run by a worker; the page that shows its progress works on either instance.
    staff = Browser()
    sign_in(staff, COORDINATOR, b, a)
    _, _, manage = staff.open(a, f"{base}/manage")
    status, _, _ = staff.open(b, f"{base}/close", {"csrf_token": _csrf(manage)})
    assert status == 302
    status, _, _ = browser.open(a, f"{base}/vote")
    assert status == 409, "voting is closed on every instance"
    _, _, manage = staff.open(b, f"{base}/manage")
    status, headers, _ = staff.open(a, f"{base}/tally", {"csrf_token": _csrf(manage)})
    assert status == 302 and "/jobs/" in headers["Location"]
    job_id = int(headers["Location"].rstrip("/").rsplit("/", 1)[-1])

    def finished() -> tuple[Any, ...] | None:
        row = stack.sql("SELECT status, result, error_code FROM jobs WHERE id = %s", job_id)[0]
        return row if row[0] in ("SUCCEEDED", "FAILED") else None

    status_, result, error = _wait_for(finished, 90, "the tally job")
    assert status_ == "SUCCEEDED", (error, stack.tail("worker1"), stack.tail("worker2"))
    result = json.loads(result) if isinstance(result, str) else result
    assert result["ballots"] == PB_VOTERS
    for where in (a, b):
        status, _, page = staff.open(where, f"/jobs/{job_id}")
        assert status == 200 and "Finished" in page
        status, _, page = staff.open(where, f"{base}/results")
        assert status == 200


def test_pb_voting_works_across_instances(stack: Stack) -> None:
    run_pb_voting_journey(stack, Browser())


def test_logs_are_json_lines_with_request_ids(stack: Stack) -> None:
    status, headers, _ = Browser().open(
        stack.web[0], "/healthz", headers={"X-Request-ID": "scaleout-log-check-1"}
    )
    assert status == 200 and headers["X-Request-ID"] == "scaleout-log-check-1"
    time.sleep(0.5)
    entries = []
    for line in stack.logs["web1"].read_text().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    access = [e for e in entries if e.get("kind") == "access"]
    assert any(
        e["request_id"] == "scaleout-log-check-1" and e["path"] == "/healthz" and e["status"] == 200
        for e in access
    )
