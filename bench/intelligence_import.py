"""Benchmark: import a respondent-level survey of 1,000,000 rows through the real code path.

    .venv/bin/python bench/intelligence_import.py                # 1,000,000 rows
    .venv/bin/python bench/intelligence_import.py --rows 100000  # quicker
    .venv/bin/python bench/intelligence_import.py --tracemalloc  # also trace Python allocations

Generates a CSV (ward GSS code, age band, sex, weight and five agree/satisfied questions),
then, on a fresh SQLite database built by the real migrations: stores and profiles the upload
(operations.start_upload), suggests the mapping, queues the import job (operations.start_import)
and lets engage.jobs run it (inline: validation pass, then the batched load and publish).
Prints seconds per phase, rows per second, the database size, and peak memory: the process's
peak RSS (includes the interpreter and app, printed separately as the baseline) and, with
--tracemalloc, the peak of Python allocations during the import (tracing slows it down).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AGREE = ("Strongly agree", "Tend to agree", "Neither agree nor disagree", "Tend to disagree",
         "Strongly disagree", "Don't know")
SATISFIED = ("Very satisfied", "Fairly satisfied", "Neither satisfied nor dissatisfied",
             "Fairly dissatisfied", "Very dissatisfied")
AGES = ("16-24", "25-44", "45-64", "65-74", "75+")
WARDS = 30


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def generate(path: Path, rows: int, codes: list[str]) -> None:
    rng = random.Random(2026)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Respondent ID", "Ward code", "Age group", "Sex", "Weight",
                         "I feel safe after dark", "I am satisfied with my area",
                         "People get on well together", "I can influence decisions",
                         "Satisfaction with council services"])
        for number in range(1, rows + 1):
            writer.writerow([
                number, codes[number % WARDS], rng.choice(AGES), rng.choice(("Female", "Male")),
                f"{rng.uniform(0.5, 1.8):.3f}", rng.choice(AGREE), rng.choice(SATISFIED),
                rng.choice(AGREE), "" if number % 7 == 0 else rng.choice(AGREE),
                rng.choice(SATISFIED),
            ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="engage-bench-intelligence-"))
    os.environ["ENGAGE_INSTANCE_PATH"] = str(workdir)
    os.environ.setdefault("ENGAGE_LOG_FORMAT", "text")
    from flask_migrate import upgrade

    from engage import create_app
    from engage.extensions import db
    from engage.intelligence import operations
    from engage.intelligence.mapping import DatasetShape
    from engage.intelligence.models import Dataset, Sharing
    from engage.jobs import get_job
    from engage.partnerships.models import (
        Area,
        AreaLevel,
        Organisation,
        Partnership,
        PartnershipKind,
    )

    database = workdir / "bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "ENGAGE_JOBS_INLINE": True, "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        partnership = Partnership(name="Bench", slug="bench", kind=PartnershipKind.DISTRICT)
        district = Area(gss_code="E07009999", name="Bench District", level=AreaLevel.DISTRICT)
        for index in range(WARDS):
            district.children.append(Area(gss_code=f"E0590{index:04d}", name=f"Ward {index}",
                                          level=AreaLevel.WARD, population=8000))
        partnership.areas.append(district)
        organisation = Organisation(name="Bench Council", sector="public")
        organisation.partnerships.append(partnership)
        db.session.add_all([partnership, organisation])
        db.session.commit()
        codes = [w.gss_code for w in district.children]

        csv_path = workdir / "survey.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows, codes)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        print(f"generated {args.rows:,} rows, {size_mb:.1f} MB CSV in "
              f"{time.perf_counter() - started:.1f} s (not counted below)")

        dataset = operations.create_dataset(
            None, partnership, organisation, DatasetShape.RESPONDENT,
            operations.DatasetDetails(title="Bench survey", sharing=Sharing.PARTNERSHIP),
        )
        db.session.commit()
        baseline = current_rss_mb()
        if args.tracemalloc:
            tracemalloc.start()

        print(f"load average before: {load_average()}")
        cpu_started = cpu_seconds()
        started = time.perf_counter()
        with csv_path.open("rb") as stream:
            record = operations.start_upload(None, dataset, stream, "survey.csv")
        db.session.commit()
        uploaded = time.perf_counter()
        check = operations.check_mapping(record)
        assert check.ready, (check.problems, check.unmatched)
        job = operations.start_import(None, record)
        db.session.commit()  # the inline job runs here: validation, load, publish
        finished = time.perf_counter()
        cpu_used = cpu_seconds() - cpu_started

        traced_peak = None
        if args.tracemalloc:
            _current, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        db.session.expire_all()
        outcome = get_job(job.id)
        assert outcome is not None and outcome.status.value == "succeeded", (
            outcome.status if outcome else None, outcome.error_code if outcome else None,
            outcome.result if outcome else None)
        result = outcome.result or {}
        imported = db.session.get(Dataset, dataset.id)
        assert imported is not None and imported.respondents == args.rows

    total = finished - started
    print(f"store + encoding check + profile: {uploaded - started:6.1f} s")
    print(f"validate + load + publish (job):  {finished - uploaded:6.1f} s "
          f"(handler {result.get('seconds')} s)")
    print(f"total:                            {total:6.1f} s  "
          f"({args.rows / total:,.0f} respondent rows/s; {result.get('answers', 0):,} answer rows)")
    print(f"CPU time of the import (user + system, all threads): {cpu_used:.1f} s; "
          f"load average after: {load_average()}")
    print(f"database: {database.stat().st_size / 1024 / 1024:.0f} MB "
          f"(+ WAL {Path(str(database) + '-wal').stat().st_size / 1024 / 1024:.0f} MB)"
          if Path(str(database) + "-wal").exists() else
          f"database: {database.stat().st_size / 1024 / 1024:.0f} MB")
    print(f"RSS before the import: {baseline:.0f} MB; peak RSS of the process: "
          f"{peak_rss_mb():.0f} MB (growth {peak_rss_mb() - baseline:.0f} MB)")
    if traced_peak is not None:
        print(f"tracemalloc peak during the import: {traced_peak / 1024 / 1024:.1f} MB")
    print(f"targets: under 60 s and under 500 MB for 1,000,000 rows on a 2-core machine "
          f"(shared with other work: timings are noisy); cores here: {os.cpu_count()}")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept {workdir}")


if __name__ == "__main__":
    main()
