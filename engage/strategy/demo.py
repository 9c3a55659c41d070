"""Demo: a draft Sustainable Community Strategy in progress, with two versions and comments."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from engage.accounts.models import User
from engage.extensions import db
from engage.partnerships.models import Partnership
from engage.priorities.pipeline import compute_priorities
from engage.strategy import operations
from engage.strategy.models import Rag, StrategyDraft

TITLE = "Hartmoor Sustainable Community Strategy 2027–2037"
VISION = """By 2037 Hartmoor will be a place where everyone can live a safe, healthy and
independent life, in a home they can afford, with good work and transport within reach –
in the towns and in the villages.

The partners will:

- listen first, and show residents what changed because they spoke up;
- put money and people where the evidence says the need is greatest;
- work as one public service, not thirteen separate ones.
"""


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def load_strategy_demo() -> dict[str, int]:
    """One draft for the Hartmoor Partnership (created once; later runs leave it alone)."""
    with force_locale("en_GB"):
        return _load()


def _load() -> dict[str, int]:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
    coordinator = _user("coordinator@engage.example")
    if partnership is None or coordinator is None:
        return {}
    draft = db.session.scalar(
        select(StrategyDraft).where(
            StrategyDraft.partnership_id == partnership.id, StrategyDraft.title == TITLE
        )
    )
    if draft is None:
        picture = compute_priorities(partnership)
        draft = operations.create_draft(
            coordinator,
            picture,
            title=TITLE,
            period_start=2027,
            period_end=2037,
            language="en",
            threshold=5,
        )
        vision = next(s for s in draft.sections if s.key == "vision")
        operations.save_section(
            coordinator.id,
            vision,
            title=vision.title,
            body=VISION,
            note="First draft of the vision",
        )
        police = _user("officer.police@engage.example")
        homes = _user("officer.homes@engage.example")
        by_key = {s.key: s for s in draft.sections}
        police_org = (
            next((m.organisation for m in police.memberships if m.organisation), None)
            if police
            else None
        )
        homes_org = (
            next((m.organisation for m in homes.memberships if m.organisation), None)
            if homes
            else None
        )
        if police and "theme:safer-communities" in by_key:
            operations.add_comment(
                police,
                by_key["theme:safer-communities"],
                "The confidence survey figure is for the whole county; we can give you the "
                "figure for each district, which shows Kelham town centre is the hot spot.",
                police_org,
            )
        if homes and "theme:housing" in by_key:
            operations.add_comment(
                homes,
                by_key["theme:housing"],
                "Please add the number of households on the housing register as an "
                "indicator – Vale Homes is happy to lead on it.",
                homes_org,
            )
        if police:
            vision_comment = operations.add_comment(
                police,
                vision,
                "Could the vision mention feeling safe in the night-time economy?",
                police_org,
            )
            operations.resolve_comment(coordinator.id, vision_comment)
        for indicator in draft.indicators:
            if (
                indicator.lead_organisation
                and indicator.lead_organisation.name == "Hartmoor Police"
            ):
                if police:
                    operations.record_update(
                        police,
                        indicator,
                        reported_on=date(2026, 9, 30),
                        value=indicator.baseline,
                        status=Rag.AMBER,
                        commentary="Street lighting bids delayed; night-time patrols increased.",
                        organisation=police_org,
                    )
                break
    db.session.flush()
    return {
        "drafts": 1,
        "versions": len(draft.versions),
        "comments": sum(len(s.comments) for s in draft.sections),
        "indicators": len(draft.indicators),
    }
