"""A budgeting process's register entry follows its phases by the clock and counts confirmed
ballots on the scheduled refresh (engage.core.register_sources)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engage.audit.models import EngagementActivity
from engage.audit.overlap import Status
from engage.budgeting import operations
from engage.budgeting.models import BallotChannel
from engage.core.register_sources import refresh_sources
from engage.core.time import utcnow
from engage.extensions import db
from tests.factories import make_budgeting_process, make_partnership


def _entry(process_id: int) -> EngagementActivity:
    db.session.expire_all()
    found = db.session.scalar(db.select(EngagementActivity).where(
        EngagementActivity.source_type == "budgeting", EngagementActivity.source_id == process_id))
    assert found is not None
    return found


def test_voting_closed_by_the_clock_turns_the_entry_closed_with_ballots_counted(app: Any) -> None:
    partnership = make_partnership("pbr")
    process = make_budgeting_process(
        partnership, organisation_id=partnership.organisations[0].id,
        theme_id=partnership.themes[0].id)
    operations.register_activity(process)
    db.session.commit()
    assert (_entry(process.id).status, _entry(process.id).participants) == (Status.LIVE, 0)
    for voter in ("v1", "v2", "v3"):
        operations.cast_ballot(process, voter_key=voter, channel=BallotChannel.ONLINE,
                               codes=["A"], points=None, age_confirmed=True)
    db.session.commit()

    assert refresh_sources(utcnow())["budgeting"] == 1
    db.session.commit()
    assert _entry(process.id).participants == 3
    after_close = process.voting_close_at + timedelta(minutes=1)
    assert refresh_sources(after_close)["budgeting"] == 1
    db.session.commit()
    assert (_entry(process.id).status, _entry(process.id).participants) == (Status.CLOSED, 3)
    assert refresh_sources(after_close)["budgeting"] == 0  # up to date: left alone


def test_a_process_without_a_lead_organisation_is_not_registered(app: Any) -> None:
    make_budgeting_process(make_partnership("pbn"))  # no lead organisation or theme
    db.session.commit()
    assert refresh_sources(utcnow())["budgeting"] == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(EngagementActivity)) == 0
