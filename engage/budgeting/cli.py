"""`flask --app engage pb ...`: count a Pabulib file with the tally engine."""

from __future__ import annotations

from pathlib import Path

import click

from engage.budgeting import pabulib, rules


def _money(units: int | object, scale: int) -> str:
    return f"{float(units) / scale:,.2f}"  # type: ignore[arg-type]


@click.command("tally")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rule", "rule", required=True,
              type=click.Choice([r.value for r in rules.Rule]))
@click.option("--tie-break", default=rules.TieBreak.LEXICOGRAPHIC.value,
              type=click.Choice([t.value for t in rules.TieBreak]))
@click.option("--explain", is_flag=True, help="Print why each project was or was not funded.")
def tally_command(path: Path, rule: str, tie_break: str, explain: bool) -> None:
    """Print the selected project ids, sorted as strings and joined by commas."""
    try:
        election = pabulib.read_pb(path)
        result = rules.tally(election.instance, election.profile, rule, tie_break=tie_break,
                             explain=explain)
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(",".join(result.winners))
    if not explain:
        return
    scale = result.unit_scale
    click.echo(f"rule={result.rule} tie_break={result.tie_break} "
               f"budget={_money(result.budget, scale)} spent={_money(result.total_cost, scale)}")
    for e in result.explanations:
        line = f"{e.project_id}: {e.code} cost={_money(e.cost, scale)} supporters={e.supporters}"
        if e.stage:
            line += f" stage={e.stage}"
        if e.total_points is not None:
            line += f" points={e.total_points}"
        if e.remaining_budget is not None:
            line += f" budget_left={_money(e.remaining_budget, scale)}"
        if e.mes is not None:
            line += (f" round={e.mes.round} share={_money(e.mes.share, scale)}"
                     f" payer_groups={len(e.mes.groups)}")
        click.echo(line)
