"""A fork server for the SIGKILL tests: build the app once, then fork a worker per kill.

    python -m tests.faults.worker DB_PATH LOG_DIR

Prints one JSON line when the database is set up and the app is built ("ready"). Then reads
commands on stdin, one per line:

    go KIND RUN     fork a worker that repeats KIND (tally | import | ballot) until killed;
                    prints the worker's pid. The parent kills it with SIGKILL.
    quit

Workers run the real views through Flask's test client (no mocks), against the SQLite file
the parent checks afterwards. After each confirmed write a worker appends a line to
LOG_DIR/<kind>-<run>.log (written before the next request, so "confirmed" means the user
saw the confirmation): the parent checks that every confirmed write is stored. A "begin" line
goes before each write's request, so a log ending in "begin" means the kill landed mid-write.

Forking after the app is built keeps each kill cheap (no interpreter start or imports), as
gunicorn does with a preloaded app; no database connection is open when the server forks.
"""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Tally: enough ballots and projects that counting takes a noticeable time.
TALLY_BALLOTS = 4000
TALLY_PROJECTS = 30
# Import: rows per file (written in chunks of engage.audit.imports.WRITE_CHUNK = 2,000).
IMPORT_ROWS = 4500
# Ballots: voters per run (each worker uses its own voters).
VOTERS_PER_RUN = 1200  # more than the fastest machine signs in and votes before the latest kill
RUNS = max(25, int(os.environ.get("ENGAGE_FAULT_KILLS", "10")))  # runs (kills) per kind
BALLOT_CHOICES = (["A"], ["B"], ["A", "B"], ["C"], ["B", "A"])


def build_app(db_path: str) -> Any:
    os.environ["ENGAGE_INSTANCE_PATH"] = str(Path(db_path).parent)
    from engage import create_app
    from tests.conftest import app_overrides

    overrides = app_overrides(f"sqlite:///{db_path}", str(Path(db_path).parent))
    overrides.update({"RATELIMIT_ENABLED": False, "SERVER_NAME": None})
    return create_app(overrides)


def setup(app: Any) -> dict[str, Any]:
    """Schema by the real migrations, then a closed process with ballots to count, an open
    process with voters, and a partnership to import into."""
    import random

    from flask_migrate import upgrade

    from engage.accounts.models import Role, User
    from engage.accounts.passwords import hash_password
    from engage.budgeting.models import (
        BallotChannel,
        BudgetBallot,
        BudgetProject,
        ProjectStatus,
    )
    from engage.core.time import utcnow
    from engage.core.transactions import write_intent
    from engage.extensions import db
    from tests.conftest import TEST_PASSWORD
    from tests.factories import make_budgeting_process, make_member, make_partnership

    with app.app_context(), write_intent():
        upgrade(revision="heads")
        partnership = make_partnership("faults", ward_count=3)
        coordinator = make_member(partnership, Role.COORDINATOR, "coordinator@example.org")
        now = utcnow()
        closed = make_budgeting_process(
            partnership, title="Counted", voting_open_at=now - timedelta(days=9),
            voting_close_at=now - timedelta(days=1), budget_pence=3_000_000)
        rng = random.Random(10)
        codes = [f"T{n}" for n in range(TALLY_PROJECTS)]
        for code in codes:
            db.session.add(BudgetProject(process=closed, code=code, title=code,
                                         cost_pence=rng.randint(20, 400) * 1000,
                                         status=ProjectStatus.SHORTLISTED))
        db.session.flush()
        db.session.execute(BudgetBallot.__table__.insert(), [
            {"process_id": closed.id, "voter_key": f"i{n}", "channel": BallotChannel.PAPER,
             "age_confirmed": True, "is_confirmed": True,
             "choices": {"projects": rng.sample(codes, k=rng.randint(1, 6)), "points": None},
             "receipt_code": f"R{n}", "cast_at": now, "updated_at": now}
            for n in range(TALLY_BALLOTS)])
        open_process = make_budgeting_process(partnership, title="Open")
        hashed = hash_password(TEST_PASSWORD)
        ward = partnership.areas[0].wards()[0]
        db.session.execute(User.__table__.insert(), [
            {"email": f"voter{n}@example.org", "password_hash": hashed, "home_ward_id": ward.id,
             "email_confirmed_at": now}
            for n in range(VOTERS_PER_RUN * RUNS)])
        db.session.commit()
        info = {
            "coordinator": coordinator.email, "closed_id": closed.id,
            "open_id": open_process.id, "slug": partnership.slug,
            "organisation": partnership.organisations[0].name,
            "theme": partnership.themes[0].name,
            "tally_ballots": TALLY_BALLOTS,
        }
        db.session.remove()
        db.engine.dispose()
    return info


def _sign_in(client: Any, email: str) -> None:
    from tests.conftest import TEST_PASSWORD

    response = client.post("/account/sign-in", data={"email": email, "password": TEST_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed for {email}: {response.status_code}")


def import_file(run: int, number: int, info: dict[str, Any], rows: int = IMPORT_ROWS) -> bytes:
    from engage.audit.imports import COLUMNS

    lines = [",".join(COLUMNS)]
    for n in range(rows):
        values = {
            "reference": f"K{run}-{number}-{n}", "organisation": info["organisation"],
            "title": f"Fault run {run} file {number} row {n}", "method": "survey",
            "themes": info["theme"], "areas": "all", "start_date": "2026-01-05",
            "end_date": "2026-02-05", "participants": str(n % 300), "status": "planned",
            "shared_with_partners": "yes",
        }
        lines.append(",".join(values.get(c, "") for c in COLUMNS))
    return ("\n".join(lines) + "\n").encode()


def work(app: Any, kind: str, run: int, info: dict[str, Any], log_path: str) -> None:
    """Repeat one kind of write until killed, logging each confirmation."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def confirmed(line: str) -> None:
        os.write(log, (line + "\n").encode())

    client = app.test_client()
    if kind == "tally":
        _sign_in(client, info["coordinator"])
        while True:
            os.write(log, b"begin\n")
            response = client.post(f"/budgeting/{info['closed_id']}/tally")
            if response.status_code != 302 or "/jobs/" not in response.location:
                raise SystemExit(f"tally: {response.status_code}")
            confirmed(f"job {response.location.rstrip('/').split('/')[-1]}")
    elif kind == "import":
        _sign_in(client, info["coordinator"])
        number = 0
        while True:
            data = import_file(run, number, info)
            os.write(log, b"begin\n")
            response = client.post(
                f"/partnerships/{info['slug']}/register/import",
                data={"file": (io.BytesIO(data), f"run{run}.csv")},
                content_type="multipart/form-data")
            if response.status_code != 302:
                raise SystemExit(f"import: {response.status_code} "
                                 f"{response.get_data(as_text=True)[:2000]}")
            confirmed(f"file {run}-{number}")
            number += 1
    elif kind == "ballot":
        for n in range(run * VOTERS_PER_RUN, (run + 1) * VOTERS_PER_RUN):
            voter = app.test_client()
            _sign_in(voter, f"voter{n}@example.org")
            choice = BALLOT_CHOICES[n % len(BALLOT_CHOICES)]
            os.write(log, b"begin\n")
            response = voter.post(f"/budgeting/{info['open_id']}/vote/confirm",
                                  data={"projects": choice, "age_confirmed": "yes"})
            if response.status_code != 302 or not response.location.endswith("/receipt"):
                raise SystemExit(f"ballot: {response.status_code}")
            confirmed(f"voter{n}@example.org {'+'.join(choice)}")
        os.write(log, b"exhausted\n")
    else:
        raise SystemExit(f"unknown kind {kind}")


def main() -> None:
    db_path, log_dir = sys.argv[1], sys.argv[2]
    app = build_app(db_path)
    info = setup(app)
    print(json.dumps({"ready": True, **info}), flush=True)
    children: list[int] = []
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        for pid in children:
            os.waitpid(pid, 0)
        children.clear()
        kind, run = parts[1], int(parts[2])
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                # No app context around the work: each request gets its own, as in a server.
                work(app, kind, run, info, os.path.join(log_dir, f"{kind}-{run}.log"))
            except BaseException as error:  # reported to the parent
                sys.stderr.write(f"worker {kind} {run}: {error!r}\n")
                code = 3
            finally:
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
        print(pid, flush=True)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
