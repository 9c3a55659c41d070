"""`flask pb tally FILE.pb --rule RULE` against the shared Pabulib reference winners."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from engage.budgeting.cli import tally_command

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pabulib"
SMALL = 200_000  # bytes: keep the test quick


def _cases() -> list[tuple[str, str, str]]:
    table = DATA / "reference-winners.tsv"
    if not table.exists():
        return []
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(r["file"], r["rule"], r["winners"]) for r in rows
            if (DATA / r["file"]).exists() and (DATA / r["file"]).stat().st_size < SMALL
            and r["rule"] != "mes-cost-completed"]


@pytest.mark.skipif(not _cases(), reason="shared Pabulib data not present")
@pytest.mark.parametrize(("name", "rule", "winners"), _cases())
def test_pb_tally_prints_the_reference_winners(app: Any, name: str, rule: str,
                                               winners: str) -> None:
    result = app.test_cli_runner().invoke(tally_command, [str(DATA / name), "--rule", rule])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == winners


def test_pb_tally_explain_prints_a_reason_for_every_project(app: Any, tmp_path: Path) -> None:
    path = tmp_path / "tiny.pb"
    path.write_text(
        "META\nkey;value\ndescription;tiny\nnum_projects;2\nnum_votes;2\nbudget;10\n"
        "vote_type;approval\nrule;greedy\n"
        "PROJECTS\nproject_id;cost\n1;6\n2;6\n"
        "VOTES\nvoter_id;vote\n1;1\n2;1,2\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        tally_command, [str(path), "--rule", "greedy-cost", "--explain"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "1"
    assert any(line.startswith("2: over_budget_remaining") for line in lines)


def test_pb_tally_is_reachable_through_flask_cli(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["pb", "tally", "--help"])
    assert result.exit_code == 0 and "--explain" in result.output
