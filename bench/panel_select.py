"""Benchmark: our leximin selection against sortition-algorithms' maximin.

For every pool in the shared sortition data directory (``people_X.csv``, ``features_X.csv``,
``settings_X.toml``, ``k_X.txt``) this runs

* the reference: ``sortition_algorithms``' ``find_distribution_maximin`` (HiGHS backend), on the
  files as read by the package itself, with the settings' seed;
* ours: :func:`engage.panels.selection.find_leximin_distribution`, on the files as read by
  :mod:`engage.panels.pool_files`;

each in a fresh process (so HiGHS state and imports do not leak between them), timing only the
distribution computation, not file reading.  It prints both wall times, their ratio, both
minimum selection probabilities, and whether our sorted probability vector is at least as good
as maximin's in the leximin order (compared coordinate by coordinate with tolerance ``--tol``).

Usage::

    .venv/bin/python bench/panel_select.py            # all pools
    .venv/bin/python bench/panel_select.py D          # just pool D
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "sortition"


@dataclass(frozen=True)
class Run:
    seconds: float
    probabilities: dict[str, float]
    panels: int


def _reference(data: Path, pool: str) -> Run:
    """sortition-algorithms' maximin on the pool (runs in a child process)."""
    import logging

    from sortition_algorithms.adapters import CSVFileDataSource, SelectionData
    from sortition_algorithms.committee_generation import find_distribution_maximin
    from sortition_algorithms.settings import Settings
    from sortition_algorithms.utils import set_random_provider

    for name in ("sortition_algorithms", "sortition_algorithms_user"):
        logging.getLogger(name).setLevel(logging.WARNING)
    settings, _ = Settings.load_from_file(data / f"settings_{pool}.toml")
    k = int((data / f"k_{pool}.txt").read_text().strip())
    source = CSVFileDataSource(
        features_file=data / f"features_{pool}.csv",
        people_file=data / f"people_{pool}.csv",
        already_selected_file=None,
        selected_file=Path("/dev/null"),
        remaining_file=Path("/dev/null"),
    )
    selection_data = SelectionData(source)
    features, _ = selection_data.load_features(k)
    people, _ = selection_data.load_people(settings, features)
    set_random_provider(settings.random_number_seed)
    started = time.perf_counter()
    committees, weights, _ = find_distribution_maximin(
        features, people, k, settings.normalised_address_columns, settings.solver_backend
    )
    seconds = time.perf_counter() - started
    probabilities = dict.fromkeys(people, 0.0)
    for committee, weight in zip(committees, weights, strict=True):
        for person_id in committee:
            probabilities[person_id] += weight
    return Run(seconds, probabilities, sum(1 for w in weights if w > 0))


def _ours(data: Path, pool: str) -> Run:
    """Our leximin on the pool (runs in a child process)."""
    sys.path.insert(0, str(REPO))
    from engage.panels.pool_files import (
        read_features_csv,
        read_panel_size,
        read_people_csv,
        read_settings_toml,
    )
    from engage.panels.selection import find_leximin_distribution

    settings_file = read_settings_toml((data / f"settings_{pool}.toml").read_bytes())
    features = read_features_csv((data / f"features_{pool}.csv").read_bytes())
    k, k_issues = read_panel_size((data / f"k_{pool}.txt").read_bytes())
    settings = settings_file.settings
    if settings is None or not features.ok or k is None:
        raise SystemExit(f"pool {pool}: {settings_file.issues} {features.issues} {k_issues}")
    people = read_people_csv(
        (data / f"people_{pool}.csv").read_bytes(),
        features.quotas,
        id_column=settings.id_column,
        address_columns=settings.household_columns,
    )
    if not people.ok:
        raise SystemExit(f"pool {pool}: {people.issues[:5]}")
    started = time.perf_counter()
    distribution = find_leximin_distribution(
        people.people, features.quotas, k, respect_households=bool(settings.household_columns)
    )
    seconds = time.perf_counter() - started
    return Run(seconds, distribution.probability_map(), len(distribution.panels))


def _in_child(function: object, *args: object) -> Run:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(function, *args)  # type: ignore[arg-type]
        result = future.result()
    assert isinstance(result, Run)
    return result


def leximin_compare(ours: list[float], reference: list[float], tol: float) -> tuple[int, int]:
    """Compare sorted probability vectors in the leximin order.

    Returns ``(sign, index)``: sign 1 if ours is better, -1 if worse, 0 if equal within
    ``tol``; index is the first coordinate that differs (or -1).
    """
    for index, (a, b) in enumerate(zip(ours, reference, strict=True)):
        if a > b + tol:
            return 1, index
        if a < b - tol:
            return -1, index
    return 0, -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pools", nargs="*", help="pool letters (default: all in the directory)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="pool directory")
    parser.add_argument("--tol", type=float, default=1e-9, help="leximin comparison tolerance")
    args = parser.parse_args(argv)
    data: Path = args.data
    if not data.is_dir():
        print(f"no pool directory at {data}", file=sys.stderr)
        return 2
    pools = args.pools or sorted(p.stem.removeprefix("people_") for p in data.glob("people_*.csv"))
    header = (
        f"{'pool':<5}{'people':>7}{'k':>4}{'maximin s':>11}{'leximin s':>11}{'ours/ref':>9}"
        f"{'maximin min':>13}{'leximin min':>13}{'Δmin':>10}{'lex≥max':>9}  {'first diff':<27}"
        f"{'panels ref/ours':>17}"
    )
    print(header)
    print("-" * len(header))
    all_ok = True
    for pool in pools:
        k = int((data / f"k_{pool}.txt").read_text().strip())
        reference = _in_child(_reference, data, pool)
        ours = _in_child(_ours, data, pool)
        if set(reference.probabilities) != set(ours.probabilities):
            print(f"{pool}: the two readers disagree on who is in the pool", file=sys.stderr)
            return 1
        ref_sorted = sorted(reference.probabilities.values())
        our_sorted = sorted(ours.probabilities.values())
        sign, index = leximin_compare(our_sorted, ref_sorted, args.tol)
        if index >= 0:
            where = f"#{index}: {our_sorted[index]:.6f} vs {ref_sorted[index]:.6f}"
        else:
            where = "none"
        delta = our_sorted[0] - ref_sorted[0]
        ratio = ours.seconds / reference.seconds
        verdict = {1: "better", 0: "equal", -1: "WORSE"}[sign]
        print(
            f"{pool:<5}{len(ours.probabilities):>7}{k:>4}{reference.seconds:>11.2f}"
            f"{ours.seconds:>11.2f}{ratio:>9.3f}{ref_sorted[0]:>13.8f}{our_sorted[0]:>13.8f}"
            f"{delta:>10.1e}{verdict:>9}  {where:<27}{f'{reference.panels}/{ours.panels}':>17}"
        )
        ok = delta >= -0.001 and sign >= 0 and ours.seconds <= reference.seconds
        all_ok = all_ok and ok
    print()
    print(
        "targets (min ≥ maximin min − 0.001, leximin-≥ maximin, time ≤ maximin): "
        + ("all met" if all_ok else "NOT all met")
    )
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
