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
    from engage.demo.foundation import load_foundation

    return [("foundation", load_foundation), *DEMO_LOADERS]


@demo_cli.command("load")
def load() -> None:
    """Load (or refresh) the demo partnership. Safe to run again."""
    with write_intent():
        for name, loader in _loaders():
            counts = loader()
            db.session.commit()
            summary = ", ".join(f"{value} {key}" for key, value in counts.items())
            click.echo(f"{name}: {summary}")
