"""The process killed with SIGKILL at random moments during a tally, an import and a ballot.

A fork server (tests/faults/worker.py) builds the app once against a SQLite file; for each kill
it forks a worker that repeats one kind of write through the real views, and this test kills
the worker after a random delay (seeded; the seed and delays are printed). After each kill the
database, opened afresh with the sqlite3 module, must be in an old or a new complete state:

- tally: every stored result is complete (all ballots counted, every project explained) and
  belongs to exactly one succeeded job; no result without its job, no succeeded job without
  its result;
- import: each uploaded file is in the register with all its rows (and their theme links and
  one audit record) or not at all;
- ballot: each voter's ballot is there with the choices they sent, or absent;

and every write the user was told had worked is stored; PRAGMA integrity_check says ok and
PRAGMA foreign_key_check finds nothing. Set ENGAGE_FAULT_KILLS to change the kills per kind
(default 10) and ENGAGE_FAULT_SEED to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults import worker

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("ENGAGE_FAULT_KILLS", "10"))
SEED = int(os.environ.get("ENGAGE_FAULT_SEED", str(random.SystemRandom().randrange(10**6))))
# Random delays before the kill, per kind: roughly one to three repetitions of the write.
DELAYS = {"tally": (0.05, 2.5), "import": (0.05, 3.0), "ballot": (0.02, 2.0)}


class ForkServer:
    def __init__(self, directory: Path) -> None:
        self.db_path = directory / "faults.sqlite3"
        self.logs = directory
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
        self.errors = (directory / "server.err").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.worker", str(self.db_path), str(directory)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.errors, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.close()
            raise RuntimeError((directory / "server.err").read_text()[-3000:])
        self.info: dict[str, Any] = json.loads(line)

    def start(self, kind: str, run: int) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"go {kind} {run}\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def log(self, kind: str, run: int) -> list[str]:
        """The confirmations the killed worker had received."""
        return [line for line in self._lines(kind, run) if line != "begin"]

    def killed_mid_write(self, kind: str, run: int) -> bool:
        """Did the kill land after a write was sent and before its confirmation came back?"""
        lines = self._lines(kind, run)
        return bool(lines) and lines[-1] == "begin"

    def _lines(self, kind: str, run: int) -> list[str]:
        path = self.logs / f"{kind}-{run}.log"
        return path.read_text().splitlines() if path.exists() else []

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout, self.errors):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    fork_server = ForkServer(tmp_path_factory.mktemp("faults"))
    yield fork_server
    fork_server.close()


def _open(server: ForkServer) -> sqlite3.Connection:
    return sqlite3.connect(server.db_path, timeout=30)


def _assert_intact(connection: sqlite3.Connection) -> None:
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def _kill_at_random(server: ForkServer, kind: str, run: int, rng: random.Random) -> float:
    pid = server.start(kind, run)
    delay = rng.uniform(*DELAYS[kind])
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    return delay


def _report(server: ForkServer, kind: str, delays: list[float], confirmed: int) -> None:
    mid = sum(server.killed_mid_write(kind, run) for run in range(len(delays)))
    print(f"\n{kind}: seed {SEED}, {len(delays)} kills after "
          + ", ".join(f"{d:.2f}" for d in delays)
          + f" s; {mid} landed mid-write; {confirmed} confirmed writes, all stored")


def test_a_tally_killed_at_random_moments_leaves_a_complete_result_or_none(
    server: ForkServer,
) -> None:
    rng = random.Random(f"tally-{SEED}")
    closed_id = server.info["closed_id"]
    delays, confirmed_jobs = [], set()
    for run in range(KILLS):
        delays.append(_kill_at_random(server, "tally", run, rng))
        confirmed_jobs |= {int(line.split()[1]) for line in server.log("tally", run)}
        with _open(server) as connection:
            _assert_intact(connection)
            projects = {code for (code,) in connection.execute(
                "SELECT code FROM budgeting_projects WHERE process_id = ?", (closed_id,))}
            results = connection.execute(
                "SELECT id, ballots, selected, explanations, inputs_hash FROM budgeting_results "
                "WHERE process_id = ?", (closed_id,)).fetchall()
            selections = set()
            for _id, ballots, selected, explanations, inputs_hash in results:
                assert ballots == server.info["tally_ballots"]
                assert set(json.loads(explanations)) == projects
                assert len(inputs_hash) == 64
                selections.add(tuple(json.loads(selected)))
            assert len(selections) <= 1, "every complete count gives the same result"
            jobs = connection.execute(
                "SELECT id, status, result FROM jobs WHERE name = 'budgeting.tally'").fetchall()
            succeeded = {job_id: json.loads(result) for job_id, status, result in jobs
                         if status == "SUCCEEDED"}
            result_ids = Counter(result["result_id"] for result in succeeded.values())
            assert set(result_ids) == {row[0] for row in results}
            assert max(result_ids.values(), default=1) == 1
            assert confirmed_jobs <= set(succeeded), "a confirmed tally is stored"
            unfinished = [status for _id, status, _r in jobs if status != "SUCCEEDED"]
            assert all(status in {"QUEUED", "RUNNING"} for status in unfinished)
        connection.close()
    _report(server, "tally", delays, len(confirmed_jobs))
    assert confirmed_jobs, "some tallies finished between kills"


def test_an_import_killed_at_random_moments_stores_whole_files_or_nothing(
    server: ForkServer,
) -> None:
    rng = random.Random(f"import-{SEED}")
    delays, confirmed_files = [], set()
    for run in range(KILLS):
        delays.append(_kill_at_random(server, "import", run, rng))
        confirmed_files |= {line.split()[1] for line in server.log("import", run)}
        with _open(server) as connection:
            _assert_intact(connection)
            per_file: Counter[str] = Counter()
            for (title,) in connection.execute(
                    "SELECT title FROM engagement_activities WHERE title LIKE 'Fault run %'"):
                _fault, _run, run_number, _file, file_number, *_rest = title.split()
                per_file[f"{run_number}-{file_number}"] += 1
            partial = {name: count for name, count in per_file.items()
                       if count != worker.IMPORT_ROWS}
            assert partial == {}, "an import stores all its rows or none"
            links = connection.execute(
                "SELECT COUNT(*) FROM engagement_activity_themes t JOIN engagement_activities a "
                "ON a.id = t.activity_id WHERE a.title LIKE 'Fault run %'").fetchone()[0]
            assert links == sum(per_file.values())
            audits = connection.execute(
                "SELECT COUNT(*) FROM audit_logs WHERE action = 'activities.imported'"
            ).fetchone()[0]
            assert audits == len(per_file)
            assert confirmed_files <= set(per_file), "a confirmed import is stored"
        connection.close()
    _report(server, "import", delays, len(confirmed_files))
    assert confirmed_files, "some imports finished between kills"


def test_a_ballot_submission_killed_at_random_moments_stores_whole_ballots_or_none(
    server: ForkServer,
) -> None:
    rng = random.Random(f"ballot-{SEED}")
    open_id = server.info["open_id"]
    delays, confirmed = [], {}
    for run in range(KILLS):
        delays.append(_kill_at_random(server, "ballot", run, rng))
        lines = server.log("ballot", run)
        assert "exhausted" not in lines, "the kill came after the run's voters were used up"
        for line in lines:
            email, choice = line.split()
            confirmed[email] = choice.split("+")
        with _open(server) as connection:
            _assert_intact(connection)
            stored = {email: (json.loads(choices), channel, receipt) for email, choices, channel,
                      receipt in connection.execute(
                "SELECT u.email, b.choices, b.channel, b.receipt_code FROM budgeting_ballots b "
                "JOIN users u ON u.id = b.user_id WHERE b.process_id = ?", (open_id,))}
            for email, (choices, channel, receipt) in stored.items():
                number = int(email.removeprefix("voter").split("@")[0])
                assert choices["projects"] == worker.BALLOT_CHOICES[number % 5], email
                assert channel == "ONLINE" and receipt
            assert set(confirmed) <= set(stored), "a confirmed ballot is stored"
            # At most the one ballot in flight at the kill is stored without its confirmation.
            assert len(set(stored) - set(confirmed)) <= run + 1
            total = connection.execute(
                "SELECT COUNT(*) FROM budgeting_ballots WHERE process_id = ?",
                (open_id,)).fetchone()[0]
            assert total == len(stored)
        connection.close()
    _report(server, "ballot", delays, len(confirmed))
    assert confirmed
