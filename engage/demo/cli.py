"""`flask --app engage demo load`: a realistic fictional partnership, loaded idempotently."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup

from engage.core.transactions import write_intent
from engage.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")

# Each capability adds its loader here, in dependency order.
DEMO_LOADERS: list[tuple[str, Callable[[], dict[str, int]]]] = []


def _loaders() -> list[tuple[str, Callable[[], dict[str, int]]]]:
    from engage.audit.demo import load_audit_demo
    from engage.budgeting.demo import load_budgeting_demo
    from engage.consultations.demo import load_consultations
    from engage.demo.foundation import load_foundation
    from engage.intelligence.demo import load_intelligence
    from engage.panels.demo import load_panels_demo
    from engage.priorities.demo import load_priorities_demo
    from engage.strategy.demo import load_strategy_demo

    # Priorities and the strategy draft use every other domain's evidence: keep them last.
    return [("foundation", load_foundation), ("audit", load_audit_demo),
            ("consultations", load_consultations), ("intelligence", load_intelligence),
            *DEMO_LOADERS, ("budgeting", load_budgeting_demo), ("panels", load_panels_demo),
            ("priorities", load_priorities_demo), ("strategy", load_strategy_demo)]


@demo_cli.command("load")
def load() -> None:
    """Load (or refresh) the demo partnership. Safe to run again."""
    with write_intent():
        for name, loader in _loaders():
            counts = loader()
            db.session.commit()
            summary = ", ".join(f"{value} {key}" for key, value in counts.items())
            click.echo(f"{name}: {summary}")
