"""Benchmark: raking and priority aggregation at partnership scale.

Run: ``.venv/bin/python bench/aggregate.py [--respondents N] [--seed S] [--no-tracemalloc]``

Generates (seeded) respondent-level answers across 30 wards in 3 districts and 10
themes from two sources (a consultation and a panel survey), plus 200 aggregate
datasets, then aggregates every theme at every area level with raking to each ward's
census profile.  Prints wall times, peak memory and the raking time for 100k and 1M
respondents.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engage.priorities.aggregate import (
    AggregationConfig,
    Area,
    AreaLevel,
    AreaTree,
    EvidenceItem,
    RespondentSample,
    RespondentValues,
    SourceKind,
    aggregate,
    rank_themes,
)
from engage.weighting import CodedColumn, rake

T = TypeVar("T")

AGES = ("16-24", "25-34", "35-49", "50-64", "65-74", "75+")
SEXES = ("female", "male")
TENURES = ("owner", "social_rent", "private_rent")
THEMES = tuple(f"theme-{i:02d}" for i in range(10))
AS_OF = date(2025, 6, 30)


def timed(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<46} {elapsed:8.3f} s")
    return value, elapsed


def build_areas(rng: np.random.Generator) -> AreaTree:
    areas = [Area("P", AreaLevel.PARTNERSHIP, None, 1.0)]
    wards: list[Area] = []
    for d in range(3):
        district = f"D{d + 1}"
        for w in range(10):
            population = float(rng.integers(5_000, 15_000))
            profile = {
                "age": dict(zip(AGES, rng.dirichlet(np.full(6, 8.0)) * population, strict=True)),
                "sex": dict(zip(SEXES, rng.dirichlet([30.0, 30.0]) * population, strict=True)),
                "tenure": dict(
                    zip(TENURES, rng.dirichlet([12.0, 5.0, 6.0]) * population, strict=True)
                ),
            }
            wards.append(
                Area(f"{district}-W{w + 1:02d}", AreaLevel.WARD, district, population, profile)
            )
    for d in range(3):
        district = f"D{d + 1}"
        population = sum(a.population for a in wards if a.parent_id == district)
        areas.append(Area(district, AreaLevel.DISTRICT, "P", population))
    areas[0] = Area("P", AreaLevel.PARTNERSHIP, None, sum(a.population for a in wards))
    return AreaTree((*areas, *wards))


def correlated_tenure(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Tenure that depends on age band (owners older, private renters younger)."""
    owner = 0.25 + 0.12 * age
    u = rng.random(age.shape[0])
    return np.where(u < owner, 0, np.where(u < owner + 0.18, 1, 2))


def respondent_items(rng: np.random.Generator, tree: AreaTree, total: int) -> list[EvidenceItem]:
    wards = [a for a in tree.areas if a.level is AreaLevel.WARD]
    pop = np.array([a.population for a in wards])
    sources = (
        (
            "consultation-2024",
            SourceKind.CONSULTATION,
            date(2024, 3, 1),
            int(total * 0.6),
            np.array([0.6, 0.8, 1.0, 1.3, 1.6, 1.4]),
        ),
        (
            "panel-2025",
            SourceKind.PANEL_SURVEY,
            date(2025, 1, 15),
            total - int(total * 0.6),
            np.array([0.9, 1.0, 1.0, 1.0, 1.1, 1.0]),
        ),
    )
    # Theme preference depends on age band: logits (age x theme).
    logits = rng.normal(0.0, 0.6, size=(len(AGES), len(THEMES)))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    cumulative = probs.cumsum(axis=1)
    items: list[EvidenceItem] = []
    for source_id, kind, when, n, age_bias in sources:
        ward = rng.choice(len(wards), size=n, p=pop / pop.sum())
        age = rng.choice(len(AGES), size=n, p=age_bias / age_bias.sum())
        age[rng.random(n) < 0.02] = -1  # prefer not to say
        sex = rng.choice(2, size=n, p=[0.56, 0.44])
        tenure = correlated_tenure(rng, np.where(age < 0, 2, age))
        age_for_choice = np.where(age < 0, 2, age)
        u = rng.random(n)
        choice = (u[:, None] > cumulative[age_for_choice]).sum(axis=1)
        skipped = rng.random(n) < 0.03
        order = np.argsort(ward, kind="stable")
        bounds = np.searchsorted(ward[order], np.arange(len(wards) + 1))
        for w, area in enumerate(wards):
            idx = order[bounds[w] : bounds[w + 1]]
            sample = RespondentSample(
                {
                    "age": CodedColumn(age[idx], AGES),
                    "sex": CodedColumn(sex[idx], SEXES),
                    "tenure": CodedColumn(tenure[idx], TENURES),
                }
            )
            ward_choice = choice[idx]
            ward_skipped = skipped[idx]
            for t, theme in enumerate(THEMES):
                values = (ward_choice == t).astype(np.float64)
                values[ward_skipped] = np.nan
                values.setflags(write=False)
                answered = values[~ward_skipped]
                items.append(
                    EvidenceItem(
                        source_id=source_id,
                        source_kind=kind,
                        theme_id=theme,
                        area_id=area.area_id,
                        measure="share_top_priority",
                        value=float(answered.mean()) if answered.size else 0.0,
                        base=int(answered.size),
                        date=when,
                        is_respondent_level=True,
                        respondents=RespondentValues(sample, values),
                    )
                )
    return items


def aggregate_items(rng: np.random.Generator, tree: AreaTree, count: int) -> list[EvidenceItem]:
    wards = [a.area_id for a in tree.areas if a.level is AreaLevel.WARD]
    districts = [a.area_id for a in tree.areas if a.level is AreaLevel.DISTRICT]
    kinds = (SourceKind.PARTNER_DATASET, SourceKind.BUDGETING)
    measures = {
        SourceKind.PARTNER_DATASET: "share_dissatisfied",
        SourceKind.BUDGETING: "points_share",
    }
    items = []
    for i in range(count):
        kind = kinds[int(rng.random() < 0.3)]
        area = districts[rng.integers(3)] if rng.random() < 0.2 else wards[rng.integers(30)]
        items.append(
            EvidenceItem(
                source_id=f"dataset-{i:03d}",
                source_kind=kind,
                theme_id=THEMES[rng.integers(len(THEMES))],
                area_id=area,
                measure=measures[kind],
                value=float(rng.beta(2.0, 8.0)),
                base=int(rng.integers(50, 2_000)),
                date=date(2022, 1, 1) + timedelta(days=int(rng.integers(0, 1_200))),
            )
        )
    return items


def rake_benchmark(rng: np.random.Generator, n: int) -> None:
    age = rng.choice(7, size=n, p=[0.02, 0.1, 0.12, 0.2, 0.22, 0.2, 0.14]) - 1
    columns = {
        "age": CodedColumn(age, AGES),
        "sex": CodedColumn(rng.choice(2, size=n, p=[0.56, 0.44]), SEXES),
        "tenure": CodedColumn(correlated_tenure(rng, np.maximum(age, 0)), TENURES),
    }
    targets = {
        "age": dict(zip(AGES, (14.0, 17.0, 24.0, 22.0, 12.0, 11.0), strict=True)),
        "sex": {"female": 51.0, "male": 49.0},
        "tenure": {"owner": 63.0, "social_rent": 17.0, "private_rent": 20.0},
    }
    for label, kwargs in (("3 margins", {}), ("3 margins, cap 2 x mean", {"cap": 2.0})):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            result = rake(columns, targets, **kwargs)  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)
        print(
            f"rake {n:>9,} respondents ({label}): first {times[0]:.3f} s, best of 3 "
            f"{min(times):.3f} s; converged={result.converged} iterations={result.iterations} "
            f"design_effect={result.design_effect:.3f} trimmed={result.trimmed:,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20250630)
    parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="skip the second aggregation run under tracemalloc",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    run_start = time.perf_counter()

    print(f"Engage priorities benchmark (seed {args.seed})")
    rake_benchmark(np.random.default_rng(args.seed + 1), 100_000)
    rake_benchmark(np.random.default_rng(args.seed + 2), 1_000_000)

    tree = build_areas(rng)
    items, t_build = timed(
        f"generate {args.respondents:,} respondents + items",
        lambda: respondent_items(rng, tree, args.respondents),
    )
    items += aggregate_items(rng, tree, args.datasets)
    config = AggregationConfig(as_of=AS_OF)
    print(f"evidence items: {len(items):,}; areas: {len(tree.areas)}; themes: {len(THEMES)}")
    result, t_aggregate = timed(
        "aggregate all themes x all areas (raking)", lambda: aggregate(items, tree, config)
    )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"scores: {len(result.scores)}; skipped items: {len(result.skipped)}")
    top = rank_themes(result, "P")[:3]
    print(
        "partnership top themes: "
        + ", ".join(
            f"{r.theme_id} {r.score:.3f} [{r.lower:.3f}, {r.upper:.3f}] ranks {r.best_rank}-"
            f"{r.worst_rank}"
            for r in top
        )
    )
    print(
        f"wall time: generate {t_build:.3f} s, aggregate {t_aggregate:.3f} s "
        f"(target < 5 s for the aggregation)"
    )
    print(f"peak resident memory (whole process, ru_maxrss): {peak_kib / 1024:.0f} MiB")
    if not args.no_tracemalloc:
        tracemalloc.start()
        timed("aggregate again under tracemalloc", lambda: aggregate(items, tree, config))
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"tracemalloc peak during aggregation: {traced_peak / 2**20:.1f} MiB")
    print(f"whole benchmark: {time.perf_counter() - run_start:.2f} s")


if __name__ == "__main__":
    main()
