"""Benchmark: the whole priorities pipeline on the demo partnership, and strategy exports.

Run: ``.venv/bin/python bench/priorities_pipeline.py [--keep]``

Builds a throwaway SQLite instance, runs the migrations, loads the full demo (about 3,000
consultation responses, a 5,000-respondent partner survey, police indicators and the figures
entered by hand), then times: collecting evidence from every source, aggregating (with raking
per ward), the year-by-year recalculation, the same again from the cache, one evidence page's
item shares, and DOCX/PDF/HTML exports of the demo draft. bench/aggregate.py covers the pure
aggregation at 1M answers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

T = TypeVar("T")


def timed(label: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = fn()
    print(f"{label:<52} {time.perf_counter() - start:8.3f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="engage-bench-priorities-")
    os.environ["ENGAGE_INSTANCE_PATH"] = instance
    try:
        run()
    finally:
        if args.keep:
            print(f"instance kept in {instance}")
        else:
            shutil.rmtree(instance, ignore_errors=True)


def run() -> None:
    from flask_migrate import upgrade

    from engage import create_app
    from engage.core.transactions import write_intent
    from engage.demo.cli import _loaders
    from engage.extensions import db
    from engage.partnerships.models import Partnership
    from engage.priorities import aggregate as agg
    from engage.priorities.evidence import clear_evidence_cache, collect_evidence
    from engage.priorities.pipeline import compute_priorities, period_results, today
    from engage.strategy.exports import export_draft
    from engage.strategy.models import ExportFormat, StrategyDraft

    app = create_app({"ENGAGE_JOBS_INLINE": True})
    with app.app_context():
        timed("migrations", lambda: upgrade(revision="heads"))
        with write_intent():
            for name, loader in _loaders():
                timed(f"demo: {name}", loader)
                db.session.commit()
    with app.test_request_context():
        partnership = db.session.query(Partnership).filter_by(slug="hartmoor").one()
        clear_evidence_cache()
        evidence = timed("collect evidence (every source, cold)",
                         lambda: collect_evidence(partnership, today()))
        print(f"  items by source: {dict(evidence.counts)}; respondent-level items: "
              f"{sum(1 for i in evidence.items if i.respondents is not None)}")
        clear_evidence_cache()
        picture = timed("compute priorities (collect + aggregate, cold)",
                        lambda: compute_priorities(partnership))
        print(f"  scores: {len(picture.result.scores)}; sources: "
              f"{len(picture.evidence.descriptions)}")
        timed("year-by-year recalculation (3 years, cold)", lambda: period_results(picture))
        warm = timed("compute priorities again (cached)", lambda: compute_priorities(partnership))
        timed("year-by-year again (cached)", lambda: period_results(warm))
        theme = picture.ranked(picture.root_id)[0].theme_id
        timed("item shares for one evidence page", lambda: agg.item_shares(
            picture.used_items, picture.geography.tree, picture.settings.config(picture.as_of),
            theme, picture.root_id))
        draft = db.session.query(StrategyDraft).first()
        if draft is not None:
            for fmt in (ExportFormat.DOCX, ExportFormat.PDF, ExportFormat.HTML):
                export = timed(f"export the demo draft as {fmt.value}",
                               lambda fmt=fmt: export_draft(draft, fmt, "en", None))
                print(f"  {export.size:,} bytes")
            db.session.rollback()


if __name__ == "__main__":
    main()
