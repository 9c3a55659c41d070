"""Benchmark: duplication finder and coverage analyses on seeded synthetic registers.

Run:  .venv/bin/python bench/audit_overlap.py [--sizes 5000 20000] [--seed 2024] [--repeat 3]

Each register spans three years, 20 themes, 40 wards and 30 partners; about one activity in
ten is district-wide (all 40 wards), the rest cover one to four wards. Titles and descriptions
are drawn from theme word lists plus common filler, and one activity in fifty is a planted
duplicate (another partner, same theme, wards and groups, a reworded text, up to 60 days
later), so the bench also reports how many planted duplicates the finder recovers.
Timings are the best of ``--repeat`` runs, in seconds; the stemmer's cache is cleared before
each ``find_overlaps`` run. Also printed: how many pairs clear several score thresholds.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from engage.audit.coverage import (
    activities_per_month,
    consultation_fatigue,
    feedback_loop,
    find_clashes,
    group_theme_grid,
    spend_and_reach_by_method,
    spend_and_reach_by_partner,
    ward_theme_grid,
)
from engage.audit.overlap import (
    ActivityRecord,
    Method,
    OverlapConfig,
    OverlapPair,
    TargetGroup,
    find_overlaps,
    iter_candidate_pairs,
    stem,
)

T = TypeVar("T")

THEMES = 20
WARDS = 40
PARTNERS = 30
FIRST_DAY = date(2022, 1, 1)
DAYS = 3 * 365
AS_OF = date(2025, 1, 1)

_THEME_WORDS = [
    ["park", "green", "space", "play", "trees", "allotment"],
    ["crime", "safety", "antisocial", "policing", "night", "street"],
    ["housing", "homes", "tenants", "repairs", "rent", "estate"],
    ["health", "gp", "surgery", "wellbeing", "mental", "clinic"],
    ["bus", "transport", "routes", "cycling", "parking", "roads"],
    ["school", "education", "skills", "college", "learning", "training"],
    ["waste", "recycling", "bins", "collection", "litter", "fly-tipping"],
    ["library", "culture", "museum", "arts", "heritage", "festival"],
    ["youth", "club", "activities", "holiday", "sport", "centre"],
    ["care", "social", "carers", "support", "home", "elderly"],
    ["jobs", "employment", "business", "high", "shops", "economy"],
    ["climate", "energy", "flooding", "insulation", "solar", "emissions"],
    ["budget", "council", "tax", "savings", "spending", "priorities"],
    ["community", "hall", "volunteering", "groups", "grants", "events"],
    ["food", "poverty", "bank", "cost", "living", "advice"],
    ["planning", "development", "regeneration", "town", "masterplan", "design"],
    ["water", "river", "canal", "walks", "nature", "wildlife"],
    ["digital", "online", "broadband", "access", "services", "app"],
    ["alcohol", "drugs", "recovery", "treatment", "harm", "outreach"],
    ["domestic", "abuse", "refuge", "safeguarding", "victims", "helpline"],
]
_FILLER = (  # noqa: SIM905 - a word list reads better as prose
    "consultation survey views residents local plans proposals have your say tell us about "
    "future improving new changes share experience feedback help shape options review"
).split()
_GROUPS = [g.value for g in TargetGroup]
_METHODS = [m.value for m in Method]


def _text(rng: random.Random, theme_ids: list[int], words: int) -> str:
    vocabulary = [w for t in theme_ids for w in _THEME_WORDS[t % len(_THEME_WORDS)]]
    return " ".join(
        rng.choice(vocabulary) if rng.random() < 0.6 else rng.choice(_FILLER) for _ in range(words)
    )


def _status(rng: random.Random, start: date, end: date) -> tuple[str, bool, date | None]:
    if start > AS_OF:
        return "planned", False, None
    if end >= AS_OF:
        return "live", False, None
    if rng.random() < 0.6:
        published = end + timedelta(days=rng.randrange(10, 150))
        if published <= AS_OF:
            return "results_published", True, published
    return "closed", False, None


def synthetic_register(size: int, seed: int) -> tuple[list[ActivityRecord], set[tuple[int, int]]]:
    """``size`` activities and the set of planted duplicate id pairs."""
    rng = random.Random(seed)
    activities: list[ActivityRecord] = []
    planted: set[tuple[int, int]] = set()
    for activity_id in range(1, size + 1):
        if activities and rng.random() < 0.02:
            original = rng.choice(activities)
            start = original.start_date + timedelta(days=rng.randrange(0, 61))
            end = start + (original.end_date - original.start_date)
            organisation = rng.choice(
                [p for p in range(1, PARTNERS + 1) if p != original.organisation_id]
            )
            status, published, published_on = _status(rng, start, end)
            activities.append(
                ActivityRecord(
                    id=activity_id,
                    organisation_id=organisation,
                    title=" ".join(rng.sample(original.title.split(), len(original.title.split()))),
                    description=original.description + " " + _text(rng, [0], 3),
                    method=original.method,
                    theme_ids=original.theme_ids,
                    ward_ids=original.ward_ids,
                    target_groups=original.target_groups,
                    start_date=start,
                    end_date=end,
                    participants=rng.randrange(0, 400),
                    cost_pence=rng.randrange(0, 500_000),
                    status=status,
                    outcome_published=published,
                    outcome_published_on=published_on,
                )
            )
            planted.add((original.id, activity_id))
            continue
        themes = rng.sample(range(1, THEMES + 1), rng.choice([1, 1, 2, 2, 3]))
        if rng.random() < 0.1:
            wards = frozenset(range(1, WARDS + 1))
        else:
            wards = frozenset(rng.sample(range(1, WARDS + 1), rng.randint(1, 4)))
        groups = (
            frozenset() if rng.random() < 0.4 else frozenset(rng.sample(_GROUPS, rng.randint(1, 2)))
        )
        start = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        end = start + timedelta(days=rng.choice([0, 0, 7, 14, 28, 42, 56, 84]))
        status, published, published_on = _status(rng, start, end)
        activities.append(
            ActivityRecord(
                id=activity_id,
                organisation_id=rng.randint(1, PARTNERS),
                title=_text(rng, themes, rng.randint(3, 7)),
                description=_text(rng, themes, rng.randint(15, 40)),
                method=rng.choice(_METHODS),
                theme_ids=frozenset(themes),
                ward_ids=wards,
                target_groups=groups,
                start_date=start,
                end_date=end,
                participants=rng.randrange(0, 400),
                cost_pence=rng.randrange(0, 500_000),
                status=status,
                outcome_published=published,
                outcome_published_on=published_on,
            )
        )
    return activities, planted


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def bench(size: int, seed: int, repeat: int) -> None:
    activities, planted = synthetic_register(size, seed)
    wards = {w: 5_000 + 250 * w for w in range(1, WARDS + 1)}
    themes = list(range(1, THEMES + 1))
    config = OverlapConfig()

    t_block, candidates = best_of(
        repeat, lambda: sum(1 for _ in iter_candidate_pairs(activities, config.window_days))
    )

    def cold_find_overlaps() -> tuple[OverlapPair, ...]:
        stem.cache_clear()  # time the text work from cold, as on a fresh worker
        return find_overlaps(activities, config)

    t_overlap, pairs = best_of(repeat, cold_find_overlaps)
    found = {(p.first_id, p.second_id) for p in pairs}
    recovered = len(planted & found)

    coverage_steps: list[tuple[str, Callable[[], object]]] = [
        ("ward_theme_grid", lambda: ward_theme_grid(activities, wards, themes)),
        ("group_theme_grid", lambda: group_theme_grid(activities, _GROUPS, themes)),
        ("consultation_fatigue", lambda: consultation_fatigue(activities, AS_OF, wards)),
        ("activities_per_month", lambda: activities_per_month(activities)),
        ("find_clashes", lambda: find_clashes(activities)),
        ("feedback_loop", lambda: feedback_loop(activities, AS_OF)),
        (
            "spend_and_reach",
            lambda: (spend_and_reach_by_partner(activities), spend_and_reach_by_method(activities)),
        ),
    ]
    timings = {name: best_of(repeat, step) for name, step in coverage_steps}
    clashes = timings["find_clashes"][1]
    assert isinstance(clashes, tuple)

    print(f"\n== {size:,} activities (seed {seed}, best of {repeat}) ==")
    print(f"all pairs (n^2/2)              {size * (size - 1) // 2:>14,}")
    print(f"blocked candidate pairs         {candidates:>14,}   {t_block:7.3f} s")
    print(
        f"find_overlaps (min_score {config.min_score})  {len(pairs):>10,} pairs "
        f"{t_overlap:7.3f} s   planted duplicates recovered {recovered}/{len(planted)}"
    )
    thresholds = (0.5, 0.6, 0.7, 0.8, 0.9)
    spread = find_overlaps(activities, OverlapConfig(min_score=thresholds[0]))  # untimed
    print(
        "pairs at score >= "
        + ", ".join(f"{t}: {sum(1 for p in spread if p.score >= t):,}" for t in thresholds)
    )
    total = 0.0
    for name, (seconds, _) in timings.items():
        total += seconds
        print(f"  {name:<28} {seconds:7.3f} s")
    print(f"coverage total                  {total:7.3f} s   ({len(clashes):,} clashes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        bench(size, args.seed, args.repeat)


if __name__ == "__main__":
    main()
