"""`flask --app engage panels select|purge`: the engine on pool files, and the retention purge."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from engage.panels.pool_files import read_features_csv, read_people_csv
from engage.panels.selection import (
    ALGORITHMS,
    InfeasibleSelectionError,
    SelectionRequest,
    select_panel,
)


def _fail(label: str, issues: tuple) -> None:  # type: ignore[type-arg]
    for issue in issues:
        details = ", ".join(f"{k}={v}" for k, v in issue.as_dict().items())
        click.echo(f"{label}: {details}", err=True)
    raise SystemExit(1)


@click.command("select")
@click.option("--people", "people_path", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--features", "features_path", type=click.Path(exists=True, dir_okay=False),
              required=True)
@click.option("--size", type=click.IntRange(min=1), required=True)
@click.option("--algorithm", type=click.Choice(ALGORITHMS), default="leximin", show_default=True)
@click.option("--seed", type=int, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--address-column", "address_columns", multiple=True,
              help="Columns making up the address (repeat); same address = one household.")
def select_command(
    people_path: str, features_path: str, size: int, algorithm: str, seed: int, out_dir: str,
    address_columns: tuple[str, ...],
) -> None:
    """Select a panel from Sortition Foundation files; write selected.csv and probabilities.csv."""
    features = read_features_csv(Path(features_path).read_bytes())
    if not features.ok:
        _fail("features", features.issues)
    people = read_people_csv(Path(people_path).read_bytes(), features.quotas,
                             address_columns=address_columns)
    if not people.ok:
        _fail("people", people.issues)
    try:
        result = select_panel(SelectionRequest(
            people=people.people, quotas=features.quotas, k=size, seed=seed,
            algorithm=algorithm,  # type: ignore[arg-type]
            respect_households=bool(address_columns),
        ))
    except InfeasibleSelectionError as error:
        _fail("infeasible", error.report.issues)
        return
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "selected.csv").write_text("id\n" + "".join(f"{i}\n" for i in result.panel),
                                      encoding="utf-8")
    (out / "probabilities.csv").write_text(
        "id,probability\n" + "".join(f"{i},{p:.6f}\n" for i, p in result.probabilities),
        encoding="utf-8",
    )
    click.echo(f"selected {len(result.panel)} of {len(people.people)} ({algorithm}, seed {seed}); "
               f"minimum probability {result.min_probability:.4f}")


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete unselected volunteers' data once their panel's retention period has passed.

    Runs as a job ("panels.purge": on an RQ worker with REDIS_URL, else in this process) and
    waits for it."""
    from engage.core.transactions import write_intent
    from engage.extensions import db
    from engage.jobs import JobStatus, enqueue_job, wait_for_job

    with write_intent():
        job = enqueue_job("panels.purge", owner_id=None, partnership_id=None)
        db.session.commit()  # dispatched on commit
    job = wait_for_job(job.id)
    if job.status != JobStatus.SUCCEEDED:
        click.echo(f"purge job {job.id} did not finish: {job.status} {job.error_code or ''}",
                   err=True)
        raise SystemExit(1)
    click.echo(f"purged {(job.result or {}).get('removed', 0)} volunteers (job {job.id})")
