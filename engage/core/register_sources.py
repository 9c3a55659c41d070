"""Register entries owned by other domains, refreshed on a schedule.

Consultations and participatory budgeting processes keep their own entry in the engagement
register (engage.audit) and refresh it whenever someone changes them. Two things change without
anyone editing: the clock (a consultation closes at its closing time) and participation
(responses, ballots). Each source domain registers here how to catch up with both;
``flask --app engage audit refresh-register`` (schedule it hourly) runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Refresher = Callable[[datetime], int]  # now -> entries updated

_refreshers: dict[str, Refresher] = {}


def register_source(source_type: str, refresher: Refresher) -> None:
    """Register how a source domain brings its register entries up to date."""
    _refreshers[source_type] = refresher


def refresh_sources(now: datetime) -> dict[str, int]:
    """Run every source's refresher; entries updated per source type."""
    return {source: refresh(now) for source, refresh in sorted(_refreshers.items())}
