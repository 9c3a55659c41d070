"""Mixed load against a real server: people browsing, responding to a consultation and voting.

    .venv/bin/python bench/mixed_load.py [--seconds 60 | --minutes 10] [--users 30]
                                         [--browse 0.5] [--respond 0.25] [--workers 2]
                                         [--threads 4] [--real-hashing] [--keep]

Starts the app under gunicorn (``--workers`` processes, gthread ``--threads``) on 127.0.0.1
with a fresh database: SQLite (WAL) in a temporary instance folder, or PostgreSQL when
DATABASE_URL points at one (a fresh database ``engage_mixedload`` is made on that server; the
role needs CREATEDB). It migrates and makes one partnership with an open consultation (a
single-choice and a free-text question) and an open participatory budgeting vote (choose up
to 2 of 4 projects), voters, and a pool of residents who have not responded yet.

Then ``--users`` simulated people run at once, with no pause between requests (a closed
loop: the server is always busy), each in one role for the whole run:

- browsing (share ``--browse``): anonymous GETs of the home page, the consultation, the
  "have your say" list, the vote's page and the sign-in page;
- responding (share ``--respond``): a resident not seen before signs in, answers page 1,
  the "about you" page, checks and sends (CSRF tokens, no JavaScript), then signs out; every
  response carries a unique text;
- voting (the rest): signs in once, then votes and changes the vote (vote page, review,
  confirm), as bench/vote_load.py.

Printed: requests, requests/s, p50/p95/p99 latency (all requests, and per step), errors
(5xx, failed connections, or an unexpected status), and the counts that must agree:
responses confirmed (the receipt page) against responses stored with the text that was sent,
and voters told "vote recorded" against ballots stored with a choice they were confirmed for.
Exits 1 if any check fails. The machine may be shared: timings are noisy.
"""

from __future__ import annotations

import argparse
import json
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
import uuid
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
PASSWORD = "mixed-load-password-2026"  # noqa: S105 - throwaway accounts
PG_DATABASE = "engage_mixedload"
VOTE_CHOICES = (("G1",), ("G2",), ("G3",), ("G4",), ("G1", "G3"), ("G2", "G4"), ("G1", "G4"))

SETUP = """
import json, sys
from datetime import timedelta
from engage import create_app
from engage.accounts.models import User
from engage.accounts.passwords import hash_password
from engage.budgeting.models import BallotKind, BudgetingProcess, BudgetProject, ProjectStatus
from engage.core.time import utcnow
from engage.core.transactions import write_intent
from engage.extensions import db
from tests.factories import make_consultation, make_partnership

voters, residents, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
app = create_app()
with app.app_context(), write_intent():
    partnership = make_partnership("mixedload", ward_count=4)
    consultation = make_consultation(partnership, title="Parks and buses")
    district = partnership.areas[0]
    now = utcnow()
    process = BudgetingProcess(
        partnership=partnership, area=district, title="Mixed load vote", budget_pence=1_500_000,
        voting_open_at=now - timedelta(days=1), voting_close_at=now + timedelta(days=7),
        ballot_kind=BallotKind.CHOOSE_K, max_choices=2, min_choices=1, rule="greedy-cost",
        tie_break="lexicographic", minimum_age=16, allows_changes=True)
    db.session.add(process)
    for code, cost in (("G1", 400_000), ("G2", 900_000), ("G3", 600_000), ("G4", 500_000)):
        db.session.add(BudgetProject(process=process, code=code, title=code, cost_pence=cost,
                                     status=ProjectStatus.SHORTLISTED))
    wards = district.wards()
    hashed = hash_password(password)
    people = [User(email=f"voter{i}@mixedload.example", password_hash=hashed,
                   home_ward_id=wards[i % len(wards)].id, email_confirmed_at=now,
                   display_name=f"Voter {i}") for i in range(voters)]
    people += [User(email=f"resident{i}@mixedload.example", password_hash=hashed,
                    home_ward_id=wards[i % len(wards)].id, email_confirmed_at=now,
                    display_name=f"Resident {i}") for i in range(residents)]
    db.session.add_all(people)
    db.session.commit()
    single, text = consultation.questions
    print(json.dumps({"process": process.id, "consultation": consultation.id,
                      "single": single.field_name, "text": text.field_name,
                      "slug": partnership.slug}))
"""


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    votes: dict[str, set[tuple[str, ...]]] = field(default_factory=lambda: defaultdict(set))
    vote_confirmations: int = 0
    responses: dict[str, str] = field(default_factory=dict)  # email -> the text sent
    turns: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Browser:
    """One person's browser: a cookie jar, redirects not followed."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base, self.stats = base, stats
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect)

    def open(self, kind: str, path: str, data: dict[str, Any] | None = None,
             expect: tuple[int, ...] = (200, 302)) -> tuple[int, str, str]:
        body = urlencode(data, doseq=True).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(Request(self.base + path, data=body),  # noqa: S310 - http only
                                  timeout=60) as reply:
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
        if status not in expect:
            self.stats.error(f"{kind}: HTTP {status}")
        return status, location, text

    def sign_in(self, email: str) -> bool:
        _, _, page = self.open("sign_in_page", "/account/sign-in")
        status, _, _ = self.open("sign_in", "/account/sign-in", {
            "csrf_token": _csrf(page), "email": email, "password": PASSWORD}, expect=(302,))
        return status == 302


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html)
    return found.group(1) if found else ""


def browse(base: str, info: dict[str, Any], stats: Stats, rng: random.Random,
           stop_at: float) -> None:
    pages = ("/", f"/consultations/{info['consultation']}",
             f"/partnerships/{info['slug']}/have-your-say", f"/budgeting/{info['process']}",
             "/account/sign-in")
    browser = Browser(base, stats)
    while time.monotonic() < stop_at:
        browser.open("browse", rng.choice(pages), expect=(200,))
        with stats.lock:
            stats.turns["browse"] += 1


def respond(base: str, info: dict[str, Any], stats: Stats, rng: random.Random,
            stop_at: float, residents: list[str]) -> None:
    cid = info["consultation"]
    while time.monotonic() < stop_at:
        with stats.lock:
            if not residents:
                stats.error("respond: the pool of residents ran out")
                return
            email = residents.pop()
        browser = Browser(base, stats)
        if not browser.sign_in(email):
            continue
        _, _, page = browser.open("respond_page", f"/consultations/{cid}/respond/1", expect=(200,))
        text = f"Mixed load answer {uuid.uuid4().hex}"
        status, location, _ = browser.open(
            "respond_answers", f"/consultations/{cid}/respond/1",
            {"csrf_token": _csrf(page), info["single"]: rng.choice(("o1", "o2")),
             info["text"]: text}, expect=(302,))
        if status != 302:
            continue
        if location.endswith("/about-you"):
            _, _, page = browser.open("respond_about_page", location, expect=(200,))
            status, location, _ = browser.open(
                "respond_about", location, {"csrf_token": _csrf(page)}, expect=(302,))
            if status != 302:
                continue
        _, _, page = browser.open("respond_check_page", f"/consultations/{cid}/respond/check",
                                  expect=(200,))
        status, location, _ = browser.open(
            "respond_send", f"/consultations/{cid}/respond/check",
            {"csrf_token": _csrf(page)}, expect=(302,))
        if status == 302 and location.endswith("/receipt"):
            with stats.lock:
                stats.responses[email] = text
                stats.turns["respond"] += 1
        _, _, page = browser.open("receipt", location or f"/consultations/{cid}/receipt",
                                  expect=(200,))
        browser.open("sign_out", "/account/sign-out", {"csrf_token": _csrf(page)},
                     expect=(302,))


def vote(base: str, info: dict[str, Any], stats: Stats, rng: random.Random, stop_at: float,
         email: str) -> None:
    pid = info["process"]
    browser = Browser(base, stats)
    if not browser.sign_in(email):
        return
    while time.monotonic() < stop_at:
        _, _, page = browser.open("vote_page", f"/budgeting/{pid}/vote", expect=(200,))
        if not page:
            continue
        token = _csrf(page)
        choice = rng.choice(VOTE_CHOICES)
        status, _, review = browser.open("vote_review", f"/budgeting/{pid}/vote", {
            "csrf_token": token, "projects": list(choice), "age_confirmed": "yes"},
            expect=(200,))
        if status != 200 or "vote/confirm" not in review:
            continue
        status, location, _ = browser.open("vote_confirm", f"/budgeting/{pid}/vote/confirm", {
            "csrf_token": token, "projects": list(choice), "age_confirmed": "yes"},
            expect=(302,))
        if status == 302 and location.endswith("/receipt"):
            with stats.lock:
                stats.votes[email].add(choice)
                stats.vote_confirmations += 1
                stats.turns["vote"] += 1


def _stored(database_url: str, info: dict[str, Any]) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        ballots = connection.execute(text(
            "SELECT u.email, b.choices FROM budgeting_ballots b JOIN users u ON u.id = b.user_id "
            "WHERE b.process_id = :p"), {"p": info["process"]}).all()
        text_id = int(info["text"].removeprefix("q"))
        responses = connection.execute(text(
            "SELECT u.email, r.status, a.text FROM consultation_responses r "
            "JOIN users u ON u.id = r.user_id LEFT JOIN consultation_answers a "
            "ON a.response_id = r.id AND a.question_id = :q AND a.item = '' "
            "WHERE r.consultation_id = :c"), {"c": info["consultation"], "q": text_id}).all()
    engine.dispose()
    return {"ballots": ballots, "responses": responses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument("--minutes", type=float, help="minutes of load (overrides --seconds)")
    parser.add_argument("--users", type=int, default=30, help="simulated people at once (30)")
    parser.add_argument("--browse", type=float, default=0.5, help="share browsing (0.5)")
    parser.add_argument("--respond", type=float, default=0.25, help="share responding (0.25)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--real-hashing", action="store_true",
                        help="production Argon2 cost for sign-in (default: cheap, as in tests)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    args = parser.parse_args()
    seconds = args.minutes * 60 if args.minutes else args.seconds

    browsers = round(args.users * args.browse)
    responders = round(args.users * args.respond)
    voters = max(0, args.users - browsers - responders)
    # Each response needs a resident who has not responded: about 1 per second per responder
    # at most on this kind of machine; twice that for headroom.
    pool = max(200, int(responders * seconds * 2))

    instance = Path(tempfile.mkdtemp(prefix="engage-mixedload-"))
    database_url, label = fresh_database(instance, PG_DATABASE)
    port = free_port()
    env = server_env(instance, database_url, port, workers=args.workers, threads=args.threads,
                     real_hashing=args.real_hashing)
    print(f"database: {label}; gunicorn {args.workers} workers x {args.threads} threads; "
          f"{args.users} people ({browsers} browsing, {responders} responding, {voters} voting) "
          f"for {seconds:g} s")
    started = time.perf_counter()
    run_checked(env, str(BIN / "flask"), "--app", "engage", "db", "upgrade", "heads", timeout=600)
    info = json.loads(run_checked(env, sys.executable, "-c", SETUP, str(voters), str(pool),
                           PASSWORD, timeout=600).strip().splitlines()[-1])
    print(f"setup: {time.perf_counter() - started:.1f} s (migrate, {voters} voters, "
          f"{pool} residents who may respond)")

    log = (instance / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "engage:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    stats = Stats()
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if Browser(base, Stats()).open("ready", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log.flush()
                sys.exit("server did not start:\n"
                         + (instance / "gunicorn.log").read_text(errors="replace")[-4000:])
            time.sleep(0.2)

        stop_at = time.monotonic() + seconds
        residents = [f"resident{i}@mixedload.example" for i in range(pool)][::-1]
        threads = []
        for n in range(args.users):
            rng = random.Random(n)
            target: Any
            extra: tuple[Any, ...]
            if n < browsers:
                target, extra = browse, ()
            elif n < browsers + responders:
                target, extra = respond, (residents,)
            else:
                target, extra = vote, (f"voter{n - browsers - responders}@mixedload.example",)
            threads.append(threading.Thread(
                target=target, args=(base, info, stats, rng, stop_at, *extra), daemon=True))
        load_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 180)
        elapsed = time.perf_counter() - load_started
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()

    stored = _stored(database_url, info)
    ballots = {email: tuple(_json(choices)["projects"]) for email, choices in stored["ballots"]}
    vote_missing = sorted(set(stats.votes) - set(ballots))
    vote_phantom = sorted(set(ballots) - set(stats.votes))
    vote_wrong = sorted(e for e, c in ballots.items() if e in stats.votes
                        and c not in stats.votes[e])
    submitted = {email: answer for email, status, answer in stored["responses"]
                 if str(status).upper() == "SUBMITTED"}
    response_missing = sorted(set(stats.responses) - set(submitted))
    response_phantom = sorted(set(submitted) - set(stats.responses))
    response_wrong = sorted(e for e, t in stats.responses.items()
                            if e in submitted and submitted[e] != t)

    every = [s for values in stats.latencies.values() for s in values]
    print(f"load: {elapsed:.1f} s, {len(every)} requests ({len(every) / elapsed:.1f} requests/s); "
          f"turns: browse {stats.turns['browse']}, respond {stats.turns['respond']}, "
          f"vote {stats.turns['vote']}")
    print(f"latency, all requests: p50 {percentile(every, .5) * 1000:.0f} ms, "
          f"p95 {percentile(every, .95) * 1000:.0f} ms, p99 {percentile(every, .99) * 1000:.0f} ms")
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        print(f"  {kind:19s} n={len(values):6d}  p50 {percentile(values, .5) * 1000:6.0f} ms  "
              f"p95 {percentile(values, .95) * 1000:6.0f} ms  "
              f"p99 {percentile(values, .99) * 1000:6.0f} ms")
    print(f"errors: {len(stats.errors)}" + (f" (first: {stats.errors[0]})" if stats.errors else ""))
    print(f"responses: confirmed {len(stats.responses)}, stored {len(submitted)} "
          f"(missing {len(response_missing)}, stored without confirmation "
          f"{len(response_phantom)}, text differs {len(response_wrong)})")
    print(f"votes: {stats.vote_confirmations} confirmations by {len(stats.votes)} voters, "
          f"ballots stored {len(ballots)} (missing {len(vote_missing)}, stored without "
          f"confirmation {len(vote_phantom)}, choice never confirmed {len(vote_wrong)})")
    ok = (not stats.errors and not response_missing and not response_phantom
          and not response_wrong and not vote_missing and not vote_phantom and not vote_wrong
          and len(stats.responses) == len(submitted) and len(stats.votes) == len(ballots)
          and (responders == 0 or stats.responses) and (voters == 0 or stats.votes))
    print("result: " + ("OK" if ok else "FAILED"))
    if args.keep:
        print(f"instance kept: {instance}")
    else:
        shutil.rmtree(instance, ignore_errors=True)
    return 0 if ok else 1


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


if __name__ == "__main__":
    sys.exit(main())
