"""Engage: one platform for a Local Strategic Partnership's engagement and strategy.

The package itself imports no framework, so the pure algorithm modules under it (budgeting/rules,
panels/selection, priorities/aggregate, weighting, disclosure, audit/*) load without Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# One blueprint per domain, as "module:attribute"; add a domain with one line here.
BLUEPRINTS = (
    "engage.main.views:bp",
    "engage.accounts.views:bp",
    "engage.admin.views:bp",
    "engage.jobs.views:bp",
    "engage.audit.views:bp",
    "engage.consultations.views:bp",
    "engage.intelligence.views:bp",
    "engage.api.views:bp",
    "engage.api.token_views:bp",
    "engage.priorities.views:bp",
    "engage.strategy.views:bp",
    "engage.budgeting.views:bp",
    "engage.panels.views:bp",
)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config from the environment (then overrides), extensions, blueprints, CLI."""
    from engage.app import build_app

    return build_app(overrides)
