"""`flask panels select` on Sortition Foundation files, and `flask panels purge`."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import SHARED

DATA = SHARED / "data" / "sortition"
FEATURES = b"feature,value,min,max\nsex,female,2,3\nsex,male,2,3\nage,young,1,3\nage,old,2,4\n"


def _people(tmp_path: Path) -> Path:
    rows = ["id,sex,age"] + [
        f"p{i},{'female' if i % 2 else 'male'},{'young' if i % 3 == 0 else 'old'}" for i in range(30)
    ]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _run(runner, people: Path, features: Path, size: int, out: Path, seed: int = 7):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["panels", "select", "--people", str(people), "--features",
                               str(features), "--size", str(size), "--algorithm", "leximin",
                               "--seed", str(seed), "--out", str(out)])


def test_select_writes_selected_and_probabilities(app, tmp_path: Path) -> None:
    features = tmp_path / "features.csv"
    features.write_bytes(FEATURES)
    runner = app.test_cli_runner()
    result = _run(runner, _people(tmp_path), features, 5, tmp_path / "out")
    assert result.exit_code == 0, result.output
    selected = (tmp_path / "out" / "selected.csv").read_text().split()
    assert selected[0] == "id" and len(selected) == 6
    with (tmp_path / "out" / "probabilities.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30
    assert sum(float(r["probability"]) for r in rows) == pytest.approx(5, abs=1e-3)
    again = _run(runner, _people(tmp_path), features, 5, tmp_path / "again")
    assert again.exit_code == 0
    assert (tmp_path / "again" / "selected.csv").read_text() == "\n".join(selected) + "\n"


@pytest.mark.skipif(not (DATA / "people_D.csv").exists(), reason="shared sortition data absent")
def test_select_on_the_shared_pool_d(app, tmp_path: Path) -> None:
    size = int((DATA / "k_D.txt").read_text().strip())
    result = _run(app.test_cli_runner(), DATA / "people_D.csv", DATA / "features_D.csv", size,
                  tmp_path / "out", seed=4242)
    assert result.exit_code == 0, result.output
    selected = (tmp_path / "out" / "selected.csv").read_text().split()[1:]
    assert len(selected) == size


def test_select_reports_infeasible_quotas(app, tmp_path: Path) -> None:
    features = tmp_path / "features.csv"
    features.write_bytes(b"feature,value,min,max\nsex,female,20,25\nsex,male,0,25\n")
    result = _run(app.test_cli_runner(), _people(tmp_path), features, 25, tmp_path / "out")
    assert result.exit_code == 1
    assert "too_few_volunteers" in result.output


def test_purge_command_is_safe_to_run_twice(app) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["panels", "purge"])
    second = runner.invoke(args=["panels", "purge"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "purged 0 volunteers" in second.output


def test_purge_command_runs_the_purge_as_a_job(app) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import func, select

    from engage.core.time import utcnow
    from engage.extensions import db
    from engage.jobs import Job, JobStatus
    from engage.panels.models import Volunteer
    from tests.factories import make_panel, make_partnership

    panel = make_panel(make_partnership("own"), pool=6)
    for volunteer in panel.volunteers[:4]:
        volunteer.created_at = utcnow() - timedelta(days=panel.retention_days + 1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["panels", "purge"])
    assert result.exit_code == 0, result.output
    job = db.session.scalar(select(Job).where(Job.name == "panels.purge"))
    assert job is not None and job.status == JobStatus.SUCCEEDED
    assert job.result == {"removed": 4}
    assert f"purged 4 volunteers (job {job.id})" in result.output
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 2
