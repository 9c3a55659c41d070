"""Benchmark: bulk import of the engagement register (CSV and XLSX), then the same file again.

Run:  .venv/bin/python bench/register_import.py [--rows 50000] [--xlsx] [--tracemalloc]

Builds a throwaway SQLite database (or uses DATABASE_URL) with the real migrations and the demo
foundation (Hartmoor: 30 wards, 10 themes, 13 partners), writes a seeded file of ``--rows``
activities that name partners, themes, wards (GSS codes and names), target groups and dates the
way people do, and imports it through the same code as the upload page
(``engage.audit.imports``): read, validate every row, then bulk INSERT ... RETURNING and
executemany links, in one transaction. It then imports the same file again (every row an
update: no duplicates) and prints wall time, rows per second and peak memory for each run.

Peak memory: the process's peak resident set size (``ru_maxrss``, includes the interpreter and
the app, about 100 MB before the import starts), and with ``--tracemalloc`` the peak of Python
allocations during the import (tracing slows the run down, so timings are then not comparable).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

METHODS = ("survey", "Focus group", "public meeting", "online consultation", "workshop",
           "door-to-door", "user forum", "citizens panel")
GROUPS = ("young_people", "Older people", "carers", "tenants", "businesses", "disabled_people", "")
STATUSES = ("planned", "live", "closed", "results published")


def build_file(rows: int, seed: int, wards: list[tuple[str, str]], themes: list[str],
               organisations: list[str], xlsx: bool) -> bytes:
    from engage.audit.imports import COLUMNS

    rng = random.Random(seed)
    first = date(2022, 1, 1)
    table: list[list[object]] = []
    for n in range(rows):
        start = first + timedelta(days=rng.randint(0, 3 * 365))
        chosen = rng.sample(wards, k=rng.randint(1, 3))
        areas = "all" if rng.random() < 0.1 else "; ".join(
            code if rng.random() < 0.5 else name for code, name in chosen)
        status = rng.choice(STATUSES)
        table.append([
            f"REF-{n:06d}", rng.choice(organisations), f"Activity {n}: {rng.choice(themes)} survey",
            "Seeded benchmark row", rng.choice(METHODS), "; ".join(rng.sample(themes, k=rng.randint(1, 2))),
            areas, "; ".join(g for g in rng.sample(GROUPS, k=rng.randint(0, 2)) if g),
            start.isoformat(), (start + timedelta(days=rng.randint(0, 60))).strftime("%d/%m/%Y"),
            str(rng.randint(0, 2000)), f"{rng.randint(0, 500_000) / 100:.2f}", status,
            "We acted on what you said" if status == "results published" else "",
            "", "", "yes", "", "",
        ])
    if xlsx:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Register")
        sheet.append(list(COLUMNS))
        for row in table:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return buffer.getvalue().encode("utf-8")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--xlsx", action="store_true", help="upload an XLSX workbook instead of CSV")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="engage-bench-import-")
    os.environ.setdefault("ENGAGE_INSTANCE_PATH", workdir)
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from engage import create_app
    from engage.audit import imports, operations
    from engage.audit.models import EngagementActivity
    from engage.core.transactions import write_intent
    from engage.demo.foundation import load_foundation
    from engage.extensions import db
    from engage.partnerships.models import Partnership

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context(), app.test_request_context(), write_intent():
        upgrade(revision="heads")
        load_foundation()
        db.session.commit()
        partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
        assert partnership is not None
        db.session.execute(EngagementActivity.__table__.delete().where(
            EngagementActivity.partnership_id == partnership.id))
        db.session.commit()
        geo = operations.geography(partnership)
        wards = [(w.gss_code, w.name) for w in geo.wards]
        themes = [t.name for t in operations.partnership_themes(partnership)]
        organisations = [o.name for o in operations.partner_organisations(partnership)]
        allowed = {o.id for o in operations.partner_organisations(partnership)}

        started = time.perf_counter()
        data = build_file(args.rows, args.seed, wards, themes, organisations, args.xlsx)
        kind = "XLSX" if args.xlsx else "CSV"
        print(f"{kind} file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB "
              f"(built in {time.perf_counter() - started:.1f} s)")
        print(f"database: {db.engine.dialect.name}; peak RSS before importing {peak_rss_mb():.0f} MB")

        for label in ("first import (all new)", "same file again (all updates)"):
            if args.tracemalloc:
                tracemalloc.start()
            started, cpu = time.perf_counter(), time.process_time()
            result = imports.import_activities(
                None, partnership, imports.read_upload(f"bench.{kind.lower()}", data),
                allowed_organisation_ids=allowed,
            )
            db.session.commit()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            traced = ""
            if args.tracemalloc:
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                traced = f", traced peak {peak / 1e6:.0f} MB"
            print(f"{label}: {elapsed:.2f} s wall ({cpu:.2f} s CPU), {args.rows / elapsed:,.0f} rows/s, "
                  f"created {result.created:,}, updated {result.updated:,}; "
                  f"peak RSS {peak_rss_mb():.0f} MB{traced}")
        stored = db.session.scalar(select(func.count()).select_from(EngagementActivity).where(
            EngagementActivity.partnership_id == partnership.id))
        print(f"activities stored: {stored:,} (no duplicates: {stored == args.rows})")
        started = time.perf_counter()
        records = operations.load_records(partnership, geo)
        print(f"loading the register for the audit: {len(records):,} records in "
              f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
