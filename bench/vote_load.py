"""Load test participatory budgeting votes against a real server: one person, one vote at speed.

    .venv/bin/python bench/vote_load.py [--duration 30] [--voters 200] [--resubmit 0.25]
                                        [--workers 2] [--threads 4] [--no-demo]
                                        [--real-hashing] [--keep]

Starts the app under gunicorn (``--workers`` processes, gthread) on 127.0.0.1 with a fresh
database: SQLite in a temporary instance folder, or PostgreSQL when DATABASE_URL points at one
(a fresh database ``engage_voteload`` is made on that server; the role needs CREATEDB).
It migrates, loads the demo (the open demo process "Kelham Green Spaces 2027": choose up to 2 of
4 projects) and adds ``--voters`` residents. Then ``--voters`` simulated voters run at once for
``--duration`` seconds: each signs in once, then keeps voting (vote page, review, confirm —
the no-JavaScript journey, with CSRF tokens) and changing its vote; on a ``--resubmit`` share of
its turns it sends the confirmation twice at the same moment (a double click on two tabs).

Printed: requests, requests/s, confirmed ballots/s, p50/p95/p99 latency (all requests and the
confirm step), server errors (5xx and failed connections), and the counts that must agree:
voters told "vote recorded" versus ballots stored, duplicate ballots (must be 0), ballots for
voters never confirmed (must be 0), and that every stored ballot holds one of the choices the
voter was confirmed for. Exits 1 if any check fails. The machine is shared: timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from _serving import (  # bench/_serving.py
    free_port,
    fresh_database,
    percentile,
    run_checked,
    server_env,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "vote-load-password-2026"  # noqa: S105 - throwaway accounts
OPEN_TITLE = "Kelham Green Spaces 2027"  # engage/budgeting/demo.py
PG_DATABASE = "engage_voteload"
CHOICES = (("G1",), ("G2",), ("G3",), ("G4",), ("G1", "G3"), ("G2", "G4"), ("G1", "G4"))

SETUP = """
import sys
from sqlalchemy import select
from engage import create_app
from engage.accounts.models import User
from engage.accounts.passwords import hash_password
from engage.budgeting.models import BudgetingProcess
from engage.core.time import utcnow
from engage.extensions import db

count, password, title = int(sys.argv[1]), sys.argv[2], sys.argv[3]
app = create_app()
with app.app_context():
    process = db.session.scalar(select(BudgetingProcess).where(BudgetingProcess.title == title))
    if process is None:  # --no-demo: a process of our own on the first district with wards
        from datetime import timedelta
        from engage.budgeting.models import BallotKind, BudgetProject, ProjectStatus
        from engage.partnerships.models import Area, AreaLevel, Partnership
        from tests.factories import make_partnership
        partnership = db.session.scalar(select(Partnership)) or make_partnership("voteload")
        district = next(a for a in partnership.areas if a.wards())
        now = utcnow()
        process = BudgetingProcess(
            partnership=partnership, area=district, title=title, budget_pence=1_500_000,
            voting_open_at=now - timedelta(days=1), voting_close_at=now + timedelta(days=7),
            ballot_kind=BallotKind.CHOOSE_K, max_choices=2, min_choices=1, rule="greedy-cost",
            tie_break="lexicographic", minimum_age=16, allows_changes=True)
        db.session.add(process)
        for code, cost in (("G1", 400_000), ("G2", 900_000), ("G3", 600_000), ("G4", 500_000)):
            db.session.add(BudgetProject(process=process, code=code, title=code,
                                         cost_pence=cost, status=ProjectStatus.SHORTLISTED))
        db.session.flush()
    wards = process.area.wards()
    hashed = hash_password(password)
    now = utcnow()
    users = [User(email=f"voter{i}@voteload.example", password_hash=hashed,
                  home_ward_id=wards[i % len(wards)].id, email_confirmed_at=now,
                  display_name=f"Voter {i}") for i in range(count)]
    db.session.add_all(users)
    db.session.commit()
    print(process.id)
"""


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    confirmed: dict[str, set[tuple[str, ...]]] = field(default_factory=lambda: defaultdict(set))
    confirmations: int = 0
    refused: int = 0

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Voter:
    """One person's browser: a cookie jar, no redirects followed, HTTP/1.0 style requests."""

    def __init__(self, base: str, email: str, stats: Stats) -> None:
        self.base, self.email, self.stats = base, email, stats
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect)

    def open(self, kind: str, path: str, data: dict[str, Any] | None = None
             ) -> tuple[int, str, str]:
        body = urlencode(data, doseq=True).encode() if data is not None else None
        request = Request(self.base + path, data=body)  # noqa: S310 - http://127.0.0.1 only
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as reply:
                status, location, text = (reply.status, reply.headers.get("Location", ""),
                                          reply.read().decode())
        except HTTPError as error:
            status, location, text = (error.code, error.headers.get("Location", ""),
                                      error.read().decode(errors="replace"))
        except (URLError, OSError) as error:
            self.stats.record(kind, time.perf_counter() - started)
            self.stats.error(f"{kind}: {type(error).__name__}: {error}")
            return 0, "", ""
        self.stats.record(kind, time.perf_counter() - started)
        if status >= 500:
            self.stats.error(f"{kind}: HTTP {status}")
        return status, location, text

    def sign_in(self) -> bool:
        _, _, page = self.open("sign_in_page", "/account/sign-in")
        status, _, _ = self.open("sign_in", "/account/sign-in", {
            "csrf_token": _csrf(page), "email": self.email, "password": PASSWORD})
        if status != 302:
            self.stats.error(f"sign_in: HTTP {status}")
        return status == 302

    def confirm(self, process_id: int, token: str, choice: tuple[str, ...]) -> None:
        status, location, _ = self.open("confirm", f"/budgeting/{process_id}/vote/confirm", {
            "csrf_token": token, "projects": list(choice), "age_confirmed": "yes"})
        with self.stats.lock:
            if status == 302 and location.endswith("/receipt"):
                self.stats.confirmed[self.email].add(choice)
                self.stats.confirmations += 1
            elif status:
                self.stats.refused += 1

    def vote_once(self, process_id: int, rng: random.Random, resubmit: float) -> None:
        _, _, page = self.open("vote_page", f"/budgeting/{process_id}/vote")
        if not page:
            return
        token = _csrf(page)
        choice = rng.choice(CHOICES)
        status, _, review = self.open("review", f"/budgeting/{process_id}/vote", {
            "csrf_token": token, "projects": list(choice), "age_confirmed": "yes"})
        if status != 200 or "vote/confirm" not in review:
            self.stats.error(f"review: HTTP {status} without a confirm form")
            return
        if rng.random() < resubmit:
            other = rng.choice(CHOICES)
            twins = [threading.Thread(target=self.confirm, args=(process_id, token, c))
                     for c in (choice, other)]
            for twin in twins:
                twin.start()
            for twin in twins:
                twin.join()
        else:
            self.confirm(process_id, token, choice)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html)
    return found.group(1) if found else ""


def _count(database_url: str, process_id: int) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT u.email, b.choices FROM budgeting_ballots b JOIN users u ON u.id = b.user_id "
            "WHERE b.process_id = :p"), {"p": process_id}).all()
        duplicates = connection.execute(text(
            "SELECT COUNT(*) FROM (SELECT voter_key FROM budgeting_ballots WHERE process_id = :p "
            "GROUP BY voter_key HAVING COUNT(*) > 1) d"), {"p": process_id}).scalar_one()
        total = connection.execute(text(
            "SELECT COUNT(*) FROM budgeting_ballots WHERE process_id = :p"),
            {"p": process_id}).scalar_one()
    engine.dispose()
    return {"rows": rows, "duplicates": int(duplicates), "total": int(total)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (30)")
    parser.add_argument("--voters", type=int, default=200, help="concurrent voters (200)")
    parser.add_argument("--resubmit", type=float, default=0.25,
                        help="share of turns that confirm twice at once (0.25)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--no-demo", action="store_true",
                        help="skip the full demo (about 25 s); make just the open process")
    parser.add_argument("--real-hashing", action="store_true",
                        help="production Argon2 cost for sign-in (default: cheap, as in tests)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="engage-voteload-"))
    database_url, label = fresh_database(instance, PG_DATABASE)
    port = free_port()
    env = server_env(instance, database_url, port, workers=args.workers, threads=args.threads,
                     real_hashing=args.real_hashing)
    flask = str(BIN / "flask")
    print(f"database: {label}; gunicorn {args.workers} workers x {args.threads} threads; "
          f"{args.voters} voters for {args.duration:g} s; resubmit share {args.resubmit:g}")
    started = time.perf_counter()
    run_checked(env, flask, "--app", "engage", "db", "upgrade", "heads", timeout=300)
    if not args.no_demo:
        run_checked(env, flask, "--app", "engage", "demo", "load", timeout=600)
    process_id = int(run_checked(env, sys.executable, "-c", SETUP, str(args.voters), PASSWORD,
                          OPEN_TITLE, timeout=300).split()[-1])
    print(f"setup: {time.perf_counter() - started:.1f} s (migrate"
          f"{'' if args.no_demo else ', demo'}, {args.voters} voters)")

    log = (instance / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "engage:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Voter(base, "", Stats()).open("ready", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log.flush()
                sys.exit("server did not start:\n"
                         + (instance / "gunicorn.log").read_text(errors="replace")[-4000:])
            time.sleep(0.2)

        stats = Stats()
        stop_at = time.monotonic() + args.duration
        turns = [0]

        def run_voter(index: int) -> None:
            rng = random.Random(index)
            voter = Voter(base, f"voter{index}@voteload.example", stats)
            if not voter.sign_in():
                return
            while time.monotonic() < stop_at:
                voter.vote_once(process_id, rng, args.resubmit)
                with stats.lock:
                    turns[0] += 1

        threads = [threading.Thread(target=run_voter, args=(i,), daemon=True)
                   for i in range(args.voters)]
        load_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.duration + 120)
        elapsed = time.perf_counter() - load_started
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()

    counted = _count(database_url, process_id)
    stored = {email: tuple(choices["projects"]) if isinstance(choices, dict) else choices
              for email, choices in ((r[0], _json(r[1])) for r in counted["rows"])}
    confirmed_voters = set(stats.confirmed)
    phantom = sorted(set(stored) - confirmed_voters)
    missing = sorted(confirmed_voters - set(stored))
    wrong = sorted(e for e, c in stored.items()
                   if e in stats.confirmed and tuple(c) not in stats.confirmed[e])
    every = [s for values in stats.latencies.values() for s in values]
    confirms = stats.latencies.get("confirm", [])
    server_errors = len(stats.errors)

    print(f"load: {elapsed:.1f} s, {turns[0]} voting turns, {len(every)} requests "
          f"({len(every) / elapsed:.1f} requests/s)")
    print(f"ballots confirmed: {stats.confirmations} ({stats.confirmations / elapsed:.1f}/s); "
          f"refused: {stats.refused}")
    print(f"latency, all requests: p50 {percentile(every, .5) * 1000:.0f} ms, "
          f"p95 {percentile(every, .95) * 1000:.0f} ms, p99 {percentile(every, .99) * 1000:.0f} ms")
    print(f"latency, confirm:      p50 {percentile(confirms, .5) * 1000:.0f} ms, "
          f"p95 {percentile(confirms, .95) * 1000:.0f} ms, "
          f"p99 {percentile(confirms, .99) * 1000:.0f} ms")
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        print(f"  {kind:13s} n={len(values):6d} p50 {percentile(values, .5) * 1000:6.0f} ms  "
              f"p95 {percentile(values, .95) * 1000:6.0f} ms")
    print(f"server errors: {server_errors}" + (f" (first: {stats.errors[0]})"
                                               if stats.errors else ""))
    print(f"voters told 'vote recorded': {len(confirmed_voters)}; ballots stored: "
          f"{counted['total']}; duplicates: {counted['duplicates']}; stored without a "
          f"confirmation: {len(phantom)}; confirmed but missing: {len(missing)}; stored choice "
          f"never confirmed: {len(wrong)}")
    ok = (server_errors == 0 and counted["duplicates"] == 0 and not phantom and not missing
          and not wrong and len(confirmed_voters) == counted["total"] and stats.confirmations > 0)
    print("result: " + ("OK" if ok else "FAILED"))
    if args.keep:
        print(f"instance kept: {instance}")
    else:
        shutil.rmtree(instance, ignore_errors=True)
    return 0 if ok else 1


def _json(value: Any) -> Any:
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value


if __name__ == "__main__":
    sys.exit(main())
