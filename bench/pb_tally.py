"""Benchmark the participatory budgeting tally engine on the shared Pabulib instances.

    .venv/bin/python bench/pb_tally.py [--only FILE] [--rules R,...] [--repeat N]
                                       [--pabutools [--max-voters N]]

For every instance in ``../shared/data/pabulib`` and every rule of ``reference-winners.tsv``
(plus ``mes-cost-completed`` where the table has no row, and ``greedy-points`` for ballots with
points or ranks) it times ``read_pb`` + ``tally`` (parsing included), best of ``--repeat`` runs
(one run when a run takes over 2 s), and prints: our wall-clock and CPU seconds, pabutools'
seconds from the table (its rule call only, parsing excluded), the speed-ups, and whether the
winners match the table (``greedy-points`` rows are compared with the city's own ``selected``
column instead). CPU time is shown because the machine may be shared: under load, wall time
overstates the cost of this single-threaded code; the load average is printed too. With
``--pabutools`` it also runs pabutools 1.2.3 live on instances with at most ``--max-voters``
voters and prints its time and the speed-up against it. Exits 1 if any winners differ; exits 0
with a message when the shared data is absent.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engage.budgeting.pabulib import PbElection, read_pb  # noqa: E402
from engage.budgeting.rules import Rule, TallyResult, VoteType, applicable_rules, tally  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "pabulib"
REFERENCE = DATA / "reference-winners.tsv"
TARGETS = {  # seconds including parsing, per instance
    Rule.GREEDY_COST: 1.0,
    Rule.GREEDY_APPROVAL: 1.0,
    Rule.GREEDY_SCORE: 1.0,
    Rule.GREEDY_POINTS: 1.0,
    Rule.MES_COST: 2.0,
}
MIN_SPEEDUP = 20.0  # mes-cost-completed against pabutools' reference time


@dataclass
class Row:
    file: str
    rule: str
    voters: int
    ours: float
    cpu: float
    ref_seconds: float | None
    match: str  # "yes", "no", "yes*" (vs city's selection), "n/a"
    live: float | None = None
    live_match: str = ""
    note: str = ""


def load_reference() -> dict[tuple[str, str], tuple[str, float]]:
    ref: dict[tuple[str, str], tuple[str, float]] = {}
    with REFERENCE.open(newline="", encoding="utf-8") as fh:
        for record in csv.DictReader(fh, delimiter="\t"):
            ref[(record["file"], record["rule"])] = (
                record["winners"],
                float(record["pabutools_rule_seconds"]),
            )
    return ref


def timed(path: Path, rule: str, repeat: int) -> tuple[float, float, TallyResult]:
    """Best wall-clock and best CPU seconds of read_pb + tally over the repeats.

    Each repeat starts with the previous one's objects freed and collected (as timeit keeps
    the collector's debts out of a timing; unlike timeit, the collector stays on while timing).
    """
    best = best_cpu = float("inf")
    result: TallyResult | None = None
    for _ in range(max(1, repeat)):
        result = None
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        election = read_pb(path)
        result = tally(election.instance, election.profile, rule)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        if elapsed > 2.0:
            break
    assert result is not None
    return best, best_cpu, result


def official_selection(election: PbElection) -> str | None:
    """The city's own selection (``selected`` column), ids sorted as strings."""
    if "selected" not in election.project_header:
        return None
    column = [c for c in election.project_header if c not in ("project_id", "cost")]
    at = column.index("selected")
    chosen = [
        p.id for p, fields in zip(election.instance.projects, election.project_fields, strict=True)
        if fields[at].strip() == "1"
    ]
    return ",".join(sorted(chosen))


# --------------------------------------------------------------------------------------------
# pabutools, live (optional)


def pabutools_rule(rule: str, vote_type: str) -> Callable[[Any, Any], Any]:
    from pabutools.election import (  # type: ignore[import-untyped]
        Additive_Borda_Sat,
        Additive_Cardinal_Sat,
        AdditiveSatisfaction,
        Cardinality_Sat,
        Cost_Sat,
    )
    from pabutools.rules import (  # type: ignore[import-untyped]
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    class PointsCostSat(AdditiveSatisfaction):  # type: ignore[misc]
        """Satisfaction points x cost (ordinal: K..1 for a ballot of length K)."""

        def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
            def func(inst: Any, prof: Any, ball: Any, project: Any, pre: Any) -> Any:
                if project not in ball:
                    return 0
                if vote_type == VoteType.ORDINAL:
                    return (len(ball) - ball.position(project)) * project.cost
                return ball[project] * project.cost

            AdditiveSatisfaction.__init__(self, instance, profile, ballot, func)

    if rule == Rule.GREEDY_COST:
        return lambda i, p: greedy_utilitarian_welfare(i, p, sat_class=Cost_Sat)
    if rule == Rule.GREEDY_APPROVAL:
        return lambda i, p: greedy_utilitarian_welfare(i, p, sat_class=Cardinality_Sat)
    if rule == Rule.GREEDY_SCORE:
        sat = Additive_Borda_Sat if vote_type == VoteType.ORDINAL else Additive_Cardinal_Sat
        return lambda i, p: greedy_utilitarian_welfare(i, p, sat_class=sat)
    if rule == Rule.GREEDY_POINTS:
        return lambda i, p: greedy_utilitarian_welfare(i, p, sat_class=PointsCostSat)
    if rule == Rule.MES_COST:
        return lambda i, p: method_of_equal_shares(i, p, sat_class=Cost_Sat)
    return lambda i, p: completion_by_rule_combination(
        i, p, [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
    )


def run_pabutools(path: Path, rule: str, vote_type: str) -> tuple[float, str]:
    from pabutools.election import parse_pabulib

    instance, profile = parse_pabulib(str(path))
    call = pabutools_rule(rule, vote_type)
    start = time.perf_counter()
    outcome = call(instance, profile)
    elapsed = time.perf_counter() - start
    return elapsed, ",".join(sorted(str(p.name) for p in outcome))


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="instance file name (or part of it); repeatable")
    parser.add_argument("--rules", default="", help="comma-separated rule names")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--pabutools", action="store_true", help="also run pabutools live")
    parser.add_argument("--max-voters", type=int, default=10_000,
                        help="with --pabutools: skip larger instances (default 10000)")
    args = parser.parse_args(argv)

    if not REFERENCE.is_file():
        print(f"skipped: shared Pabulib data not found at {DATA}")
        return 0
    reference = load_reference()
    files = sorted({f for f, _ in reference}, key=lambda f: (DATA / f).stat().st_size)
    if args.only:
        files = [f for f in files if any(o in f for o in args.only)]
    wanted = {r.strip() for r in args.rules.split(",") if r.strip()}

    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    rows: list[Row] = []
    for name in files:
        path = DATA / name
        probe = read_pb(path)
        vote_type = probe.profile.vote_type
        voters = len(probe.profile.ballots)
        official = official_selection(probe)
        del probe  # not kept alive (and traversed by the collector) while timing
        rules = [r for r in applicable_rules(vote_type) if not wanted or r in wanted]
        for rule in rules:
            ref = reference.get((name, rule))
            if ref is None and rule not in (Rule.MES_COST_COMPLETED, Rule.GREEDY_POINTS):
                continue
            seconds, cpu, result = timed(path, rule, args.repeat)
            winners = ",".join(result.winners)
            if ref is not None:
                match = "yes" if winners == ref[0] else "no"
            elif rule == Rule.GREEDY_POINTS and official is not None:
                match = "yes*" if winners == official else "no*"
            else:
                match = "n/a"
            row = Row(name, str(rule), voters, seconds, cpu, ref[1] if ref else None, match)
            if rule == Rule.MES_COST_COMPLETED:
                row.note = f"{result.mes_runs} MES runs for {result.budget_increments} increments"
            if args.pabutools:
                if voters > args.max_voters:
                    row.live_match = "skipped"
                else:
                    try:
                        row.live, live_winners = run_pabutools(path, rule, vote_type)
                        row.live_match = "yes" if live_winners == winners else "no"
                    except ImportError:
                        row.live_match = "no pabutools"
            rows.append(row)
            print_row(row, args.pabutools, header=len(rows) == 1)

    return summarise(rows, args.pabutools)


def print_row(row: Row, live: bool, header: bool) -> None:
    if header:
        title = (f"{'file':38} {'rule':19} {'voters':>7} {'wall s':>8} {'cpu s':>8} {'ref s':>9} "
                 f"{'x wall':>8} {'x cpu':>8} {'match':>5}")
        if live:
            title += f" {'live s':>9} {'live x':>7} {'live ok':>7}"
        print(title)
        print("-" * len(title))
    ref = f"{row.ref_seconds:9.4f}" if row.ref_seconds is not None else f"{'-':>9}"
    ratio = f"{row.ref_seconds / row.ours:7.1f}x" if row.ref_seconds else f"{'-':>8}"
    ratio_cpu = f"{row.ref_seconds / row.cpu:7.1f}x" if row.ref_seconds else f"{'-':>8}"
    line = (f"{row.file[:38]:38} {row.rule:19} {row.voters:7d} {row.ours:8.4f} {row.cpu:8.4f} "
            f"{ref} {ratio} {ratio_cpu} {row.match:>5}")
    if live:
        if row.live is not None:
            line += f" {row.live:9.4f} {row.live / row.ours:6.1f}x {row.live_match:>7}"
        else:
            line += f" {'-':>9} {'-':>7} {row.live_match:>7}"
    if row.note:
        line += f"  ({row.note})"
    print(line, flush=True)


def missed(rows: list[Row], attr: str) -> list[str]:
    out = []
    for r in rows:
        seconds = getattr(r, attr)
        limit = TARGETS.get(Rule(r.rule))
        if limit is not None and seconds > limit:
            out.append(f"{r.file} {r.rule}: {seconds:.3f}s > {limit}s")
        if r.rule == Rule.MES_COST_COMPLETED and r.ref_seconds:
            speedup = r.ref_seconds / seconds
            if speedup < MIN_SPEEDUP:
                out.append(f"{r.file} {r.rule}: {speedup:.1f}x < {MIN_SPEEDUP:.0f}x")
    return out


def summarise(rows: list[Row], live: bool) -> int:
    print()
    print("Timings: read_pb + tally, best of the repeats; ref s = pabutools 1.2.3 rule call from")
    print("reference-winners.tsv (parsing excluded). match yes* = greedy-points equals the city's")
    print("own 'selected' column (no pabutools reference for that rule).")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    failures = [r for r in rows if r.match in ("no", "no*") or r.live_match == "no"]
    print(f"winners: {sum(r.match.startswith('yes') for r in rows)} match, "
          f"{len(failures)} differ, {sum(r.match == 'n/a' for r in rows)} without reference")
    for label, attr in (("wall-clock", "ours"), ("CPU", "cpu")):
        slow = missed(rows, attr)
        if slow:
            print(f"speed targets missed ({label} time):")
            for line in slow:
                print("  " + line)
        else:
            print(f"speed targets ({label} time): all met (greedy < 1 s, mes-cost < 2 s incl. "
                  "parsing; mes-cost-completed >= 20x pabutools)")
    if failures:
        print("DIFFERENT WINNERS:")
        for r in failures:
            print(f"  {r.file} {r.rule}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
