"""Opening a consultation on a strategy draft, through the consultations domain's operations.

When the draft goes out for consultation, a consultation owned by the partnership's lead
public-sector partner is created and opened for twelve weeks: one agree-or-disagree question
per priority theme and one free-text question, in English and Welsh, linking to the public
reading copy of the draft. Without the consultations domain only the status changes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from importlib.util import find_spec

from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from engage.accounts.models import User
from engage.core.errors import EngageError
from engage.core.time import utcnow
from engage.partnerships.models import Organisation, Sector
from engage.strategy.models import SectionKind, StrategyDraft

CONSULTATION_WEEKS = 12
REFERENCE_PREFIX = "consultation:"


def consultations_available() -> bool:
    try:
        return find_spec("engage.consultations.operations") is not None
    except ModuleNotFoundError:
        return False


def consultation_id(reference: str | None) -> int | None:
    if reference and reference.startswith(REFERENCE_PREFIX):
        return int(reference.removeprefix(REFERENCE_PREFIX))
    return None


def _owner(draft: StrategyDraft) -> Organisation | None:
    from engage.strategy.operations import partnership_organisations

    organisations = partnership_organisations(draft.partnership)
    public = [o for o in organisations if o.sector == Sector.PUBLIC]
    chosen = public or organisations
    return chosen[0] if chosen else None


def _both(make: Callable[[], str]) -> tuple[str, str]:
    """A text in English and in Welsh."""
    with force_locale("en_GB"):
        english = make()
    with force_locale("cy"):
        welsh = make()
    return english, welsh


def open_consultation_on(actor: User, draft: StrategyDraft) -> str | None:
    """Create and open a consultation on the draft; its reference, or None without the domain."""
    if not consultations_available():
        return None
    from engage.consultations import operations as consultations
    from engage.consultations.models import Audience

    owner = _owner(draft)
    if owner is None:
        return None
    sections = [s for s in draft.sections if s.kind == SectionKind.THEME and s.theme is not None]
    themes = [
        s.theme for s in sections if s.theme and s.theme.partnership_id == draft.partnership_id
    ]
    link = (
        url_for("strategy.public", slug=draft.partnership.slug, draft_id=draft.id, _external=True)
        if has_request_context()
        else ""
    )
    title, title_cy = _both(lambda: _("Have your say on the draft %(title)s", title=draft.title))
    summary, summary_cy = _both(
        lambda: _(
            "The partners have written a draft strategy for %(start)d to %(end)d from what residents "
            "told us. Read it and tell us what you think. %(link)s",
            start=draft.period_start,
            end=draft.period_end,
            link=link,
        )
    )
    now = utcnow()
    consultation = consultations.create_consultation(
        actor,
        draft.partnership,
        consultations.ConsultationDetails(
            title=title[:200],
            title_cy=title_cy[:200],
            summary=summary,
            summary_cy=summary_cy,
            organisation=owner,
            audience=Audience.EVERYONE,
            allows_anonymous=True,
            themes=themes,
            opens_at=now,
            closes_at=now + timedelta(weeks=CONSULTATION_WEEKS),
        ),
    )
    for section in sections:
        name = section.theme.name if section.theme else section.title
        name_cy = (section.theme.name_cy or name) if section.theme else section.title
        with force_locale("en_GB"):
            text = _("How far do you agree that %(theme)s should be a priority?", theme=name)
        with force_locale("cy"):
            text_cy = _("How far do you agree that %(theme)s should be a priority?", theme=name_cy)
        consultations.save_question(
            actor,
            consultation,
            consultations.QuestionDraft(kind="agree_scale", text=text, text_cy=text_cy),
        )
    text, text_cy = _both(lambda: _("What would you change in the draft strategy, and why?"))
    consultations.save_question(
        actor,
        consultation,
        consultations.QuestionDraft(
            kind="free_text", text=text, text_cy=text_cy, settings={"max_length": 2000}
        ),
    )
    # If it cannot open (e.g. no themes), it stays a draft for the coordinator to finish.
    with suppress(EngageError):
        consultations.open_consultation(actor, consultation, now)
    return f"{REFERENCE_PREFIX}{consultation.id}"
