"""Consultation use cases. They flush, never commit: the view owns the transaction."""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from engage.accounts.models import User
from engage.consultations import grouping
from engage.consultations.labels import (
    EQUALITY_CATEGORIES,
    SPECIAL_CATEGORY_FEATURES,
    show_when,
)
from engage.consultations.models import (
    Answer,
    Audience,
    Channel,
    Consultation,
    ConsultationStatus,
    FrameCode,
    Outcome,
    Phase,
    Question,
    Response,
    ResponseStatus,
    ResponseTally,
    SuggestedGroup,
    Tally,
    answer_codes,
    answer_themes,
)
from engage.consultations.question_types import (
    AnswerInvalid,
    StoredItem,
    question_type,
)
from engage.core.audit_log import record_audit
from engage.core.errors import EngageError
from engage.core.mail import send_mail
from engage.core.personal_data import register_personal_data
from engage.core.register_sources import register_source
from engage.core.time import as_utc, utcnow
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership, Theme

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REDACTED = "[redacted]"
# A wording fix once responses exist must keep this much of the old text (difflib ratio).
TYPO_FIX_SIMILARITY = 0.8


# ------------------------------------------------------------------- building


@dataclass(frozen=True)
class ConsultationDetails:
    """What the builder's details form sets."""

    title: str
    summary: str
    organisation: Organisation
    audience: Audience
    title_cy: str | None = None
    summary_cy: str | None = None
    allows_anonymous: bool = False
    has_equality_section: bool = True
    themes: Sequence[Theme] = ()
    wards: Sequence[Area] = ()
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _check_details(partnership: Partnership, details: ConsultationDetails) -> None:
    from engage.partnerships.policy import covers_area

    if not details.title.strip():
        raise EngageError(_("Enter a title"), field="title")
    if partnership not in details.organisation.partnerships and not any(
        p in details.organisation.partnerships for p in partnership.lineage()
    ):
        raise EngageError(_("Choose an organisation in this partnership"), field="organisation")
    if any(t.partnership_id != partnership.id for t in details.themes):
        raise EngageError(_("Choose themes of this partnership"), field="themes")
    if any(w.level != AreaLevel.WARD or not covers_area(partnership, w) for w in details.wards):
        raise EngageError(_("Choose wards in this partnership"), field="wards")
    if details.audience == Audience.WARDS and not details.wards:
        raise EngageError(_("Choose the wards whose residents can respond"), field="wards")
    if (
        details.opens_at is not None
        and details.closes_at is not None
        and details.closes_at <= details.opens_at
    ):
        raise EngageError(_("The closing date must be after the opening date"), field="closes_at")


def create_consultation(
    actor: User, partnership: Partnership, details: ConsultationDetails
) -> Consultation:
    """A new draft consultation owned by a partner organisation."""
    _check_details(partnership, details)
    consultation = Consultation(partnership=partnership, created_by_id=actor.id)
    _apply_details(consultation, details)
    db.session.add(consultation)
    db.session.flush()
    record_audit(
        "consultation.created",
        actor_id=actor.id,
        target=consultation,
        partnership_id=partnership.id,
    )
    return consultation


def _apply_details(consultation: Consultation, details: ConsultationDetails) -> None:
    consultation.title = details.title.strip()
    consultation.title_cy = _clean(details.title_cy)
    consultation.summary = details.summary.strip()
    consultation.summary_cy = _clean(details.summary_cy)
    consultation.organisation = details.organisation
    consultation.audience = details.audience
    consultation.allows_anonymous = (
        details.allows_anonymous and details.audience == Audience.EVERYONE
    )
    consultation.has_equality_section = details.has_equality_section
    consultation.themes = list(details.themes)
    consultation.wards = list(details.wards)
    consultation.opens_at = details.opens_at
    consultation.closes_at = details.closes_at


def has_responses(consultation: Consultation) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(
                Response.consultation_id == consultation.id,
                Response.status == ResponseStatus.SUBMITTED,
            )
        )
    )


def update_consultation(
    actor: User, consultation: Consultation, details: ConsultationDetails
) -> Consultation:
    """Change a consultation's details; once it has responses its audience is fixed."""
    _check_details(consultation.partnership, details)
    if consultation.status == ConsultationStatus.OUTCOME_PUBLISHED:
        raise EngageError(
            _("The outcome is published: this consultation cannot change"), field="title"
        )
    if has_responses(consultation) and (
        details.audience != consultation.audience
        or {w.id for w in details.wards} != {w.id for w in consultation.wards}
        or details.has_equality_section != consultation.has_equality_section
    ):
        raise EngageError(
            _("People have responded: the audience, wards and equality questions cannot change"),
            field="audience",
        )
    _apply_details(consultation, details)
    _record_change(consultation, actor, "consultation.updated")
    return consultation


@dataclass(frozen=True)
class QuestionDraft:
    kind: str
    text: str
    text_cy: str | None = None
    help_text: str | None = None
    help_text_cy: str | None = None
    is_required: bool = False
    page: int = 1
    settings: Mapping[str, Any] | None = None


def _wording(question: Question) -> list[str | None]:
    texts: list[str | None] = [
        question.text,
        question.text_cy,
        question.help_text,
        question.help_text_cy,
    ]
    for option in question.options():
        texts += [option.get("text"), option.get("text_cy") or None]
    return texts


def _is_typo_fix(old: str | None, new: str | None) -> bool:
    if (old or "") == (new or ""):
        return True
    if not old or not new:
        return False
    return difflib.SequenceMatcher(None, old, new).ratio() >= TYPO_FIX_SIMILARITY


def save_question(
    actor: User, consultation: Consultation, draft: QuestionDraft, question: Question | None = None
) -> Question:
    """Add or change a question. Once anyone has responded only small wording fixes are
    allowed (the type, options, rules and page stay as they were); each fix is logged."""
    kind = question_type(draft.kind)
    if not draft.text.strip():
        raise EngageError(_("Enter the question"), field="text")
    if consultation.status == ConsultationStatus.OUTCOME_PUBLISHED:
        raise EngageError(
            _("The outcome is published: this consultation cannot change"), field="text"
        )
    if not 1 <= draft.page <= 50:
        raise EngageError(_("The page must be a number from 1 to 50"), field="page")
    settings = kind.clean_settings(draft.settings or {})
    if question is not None and question.settings.get("options") and settings.get("options"):
        # Options keep their codes by position, so stored answers keep their meaning.
        for old, new in zip(question.options(), settings["options"], strict=False):
            new["code"] = old["code"]
        used = {o["code"] for o in question.options()}
        counter = len(used)
        for option in settings["options"][len(question.options()) :]:
            counter += 1
            while f"o{counter}" in used:
                counter += 1
            option["code"] = f"o{counter}"
    locked = question is not None and has_responses(consultation)
    if question is None and has_responses(consultation):
        raise EngageError(
            _("People have responded: questions cannot be added or removed"), field="text"
        )
    if locked:
        assert question is not None
        _check_wording_only(question, draft, settings)
        before = _wording(question)
        question.text = draft.text.strip()
        question.text_cy = _clean(draft.text_cy)
        question.help_text = _clean(draft.help_text)
        question.help_text_cy = _clean(draft.help_text_cy)
        if settings.get("options"):
            question.settings = {**question.settings, "options": settings["options"]}
        after = _wording(question)
        if before != after:
            record_audit(
                "consultation.question_wording_fixed",
                actor_id=actor.id,
                target=question,
                partnership_id=consultation.partnership_id,
                before=[t for t in before],
                after=[t for t in after],
            )
        db.session.flush()
        return question
    if question is None:
        position = 1 + max(
            (q.position for q in consultation.questions if q.page == draft.page), default=0
        )
        question = Question(consultation_id=consultation.id, position=position)
        db.session.add(question)
    elif question.page != draft.page:
        question.position = 1 + max(
            (q.position for q in consultation.questions if q.page == draft.page), default=0
        )
    question.kind = kind.code
    question.text = draft.text.strip()
    question.text_cy = _clean(draft.text_cy)
    question.help_text = _clean(draft.help_text)
    question.help_text_cy = _clean(draft.help_text_cy)
    question.is_required = draft.is_required
    question.page = draft.page
    question.settings = settings
    db.session.flush()
    db.session.expire(consultation, ["questions"])
    record_audit(
        "consultation.question_saved",
        actor_id=actor.id,
        target=question,
        partnership_id=consultation.partnership_id,
    )
    return question


def _check_wording_only(
    question: Question, draft: QuestionDraft, settings: Mapping[str, Any]
) -> None:
    refuse = EngageError(
        _("People have responded: only small corrections to the wording are allowed"),
        field="text",
    )
    if draft.kind != question.kind or draft.is_required != question.is_required:
        raise refuse
    if draft.page != question.page:
        raise refuse
    old_rules = {k: v for k, v in question.settings.items() if k != "options"}
    new_rules = {k: v for k, v in settings.items() if k != "options"}
    if old_rules != new_rules or len(settings.get("options", [])) != len(question.options()):
        raise refuse
    pairs = [
        (question.text, draft.text.strip()),
        (question.text_cy, _clean(draft.text_cy)),
        (question.help_text, _clean(draft.help_text)),
        (question.help_text_cy, _clean(draft.help_text_cy)),
    ]
    for old, new in zip(question.options(), settings.get("options", []), strict=True):
        pairs += [
            (old["text"], new["text"]),
            (old.get("text_cy") or None, new.get("text_cy") or None),
        ]
    if not all(_is_typo_fix(old, new) for old, new in pairs):
        raise refuse


def delete_question(actor: User, question: Question) -> None:
    consultation = question.consultation
    if has_responses(consultation):
        raise EngageError(_("People have responded: questions cannot be added or removed"))
    record_audit(
        "consultation.question_deleted",
        actor_id=actor.id,
        target=question,
        partnership_id=consultation.partnership_id,
    )
    consultation.questions.remove(question)
    db.session.flush()


def move_question(actor: User, question: Question, direction: int) -> None:
    """Swap a question with its neighbour on the same page (direction -1 up, +1 down)."""
    consultation = question.consultation
    if has_responses(consultation):
        raise EngageError(_("People have responded: questions cannot be moved"))
    siblings = consultation.questions_on(question.page)
    index = siblings.index(question)
    other = index + direction
    if not 0 <= other < len(siblings):
        return
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    siblings[index].position, siblings[other].position = (
        siblings[other].position,
        siblings[index].position,
    )
    db.session.flush()
    db.session.expire(consultation, ["questions"])


def open_consultation(actor: User, consultation: Consultation, now: datetime) -> Consultation:
    """Open a draft for responses and add it to the engagement register."""
    if consultation.status != ConsultationStatus.DRAFT:
        raise EngageError(_("This consultation is not a draft"))
    if not consultation.questions:
        raise EngageError(_("Add at least one question before opening the consultation"))
    if consultation.opens_at is None or consultation.closes_at is None:
        raise EngageError(_("Set the opening and closing dates before opening the consultation"))
    if not consultation.themes:
        raise EngageError(_("Choose at least one theme before opening the consultation"))
    if as_utc(consultation.closes_at) <= now:
        raise EngageError(_("The closing date must be in the future"))
    consultation.status = ConsultationStatus.OPEN
    consultation.opened_at = now
    _record_change(consultation, actor, "consultation.opened")
    return consultation


def close_consultation(actor: User, consultation: Consultation, now: datetime) -> Consultation:
    """Close early (or confirm the close): no more responses."""
    if consultation.status != ConsultationStatus.OPEN:
        raise EngageError(_("Only an open consultation can be closed"))
    consultation.status = ConsultationStatus.CLOSED
    if consultation.closes_at is None or as_utc(consultation.closes_at) > now:
        consultation.closes_at = now
    _record_change(consultation, actor, "consultation.closed")
    return consultation


@dataclass(frozen=True)
class OutcomeText:
    we_asked: str
    you_said: str
    we_did: str
    we_asked_cy: str | None = None
    you_said_cy: str | None = None
    we_did_cy: str | None = None


def save_outcome(actor: User, consultation: Consultation, text: OutcomeText) -> Outcome:
    """Save the "we asked, you said, we did" statement (published separately)."""
    if consultation.status == ConsultationStatus.DRAFT:
        raise EngageError(_("Open the consultation before writing its outcome"), field="we_asked")
    for name in ("we_asked", "you_said", "we_did"):
        if not getattr(text, name).strip():
            raise EngageError(_("Fill in all three parts of the outcome"), field=name)
    outcome = consultation.outcome
    if outcome is None:
        # Into the session at once: anything below that loads (an expired actor) autoflushes.
        outcome = Outcome(consultation=consultation)
        db.session.add(outcome)
    for name in ("we_asked", "you_said", "we_did"):
        setattr(outcome, name, getattr(text, name).strip())
        setattr(outcome, f"{name}_cy", _clean(getattr(text, f"{name}_cy")))
    outcome.updated_at = utcnow()
    outcome.updated_by_id = actor.id
    db.session.add(outcome)
    db.session.flush()
    record_audit(
        "consultation.outcome_saved",
        actor_id=actor.id,
        target=consultation,
        partnership_id=consultation.partnership_id,
    )
    return outcome


def publish_outcome(actor: User, consultation: Consultation, now: datetime) -> int:
    """Publish the outcome and email respondents who asked to hear; returns emails sent."""
    if consultation.phase(now) != Phase.CLOSED:
        raise EngageError(_("The outcome can be published once the consultation has closed"))
    if consultation.outcome is None:
        raise EngageError(_("Write the outcome before publishing it"))
    consultation.status = ConsultationStatus.OUTCOME_PUBLISHED
    consultation.outcome_published_at = now
    _record_change(consultation, actor, "consultation.outcome_published")
    return _email_outcome(consultation)


def _email_outcome(consultation: Consultation) -> int:
    recipients = db.session.scalars(
        select(User)
        .join(Response, Response.user_id == User.id)
        .where(
            Response.consultation_id == consultation.id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.wants_outcome_email.is_(True),
            User.erased_at.is_(None),
            User.is_disabled.is_(False),
        )
    ).all()
    link = url_for("consultations.show", consultation_id=consultation.id, _external=True)
    assert consultation.outcome is not None
    for user in recipients:
        language = "cy" if user.locale == "cy" else "en"
        with force_locale("cy" if language == "cy" else "en_GB"):
            subject = _(
                "We asked, you said, we did: %(title)s", title=consultation.display_title(language)
            )
            body = "\n\n".join(
                [
                    _(
                        "Thank you for responding to %(title)s.",
                        title=consultation.display_title(language),
                    ),
                    _("We asked") + "\n" + consultation.outcome.part("we_asked", language),
                    _("You said") + "\n" + consultation.outcome.part("you_said", language),
                    _("We did") + "\n" + consultation.outcome.part("we_did", language),
                    _("Read more: %(link)s", link=link),
                ]
            )
        send_mail(user.email, subject, body)
    return len(recipients)


def _record_change(consultation: Consultation, actor: User, event: str) -> None:
    """After a change by staff: write it, log it in the audit log, refresh the register."""
    db.session.flush()
    record_audit(event, actor_id=actor.id, target=consultation,
                 partnership_id=consultation.partnership_id)
    sync_register(consultation, actor)


def sync_register(
    consultation: Consultation, actor: User | None, now: datetime | None = None
) -> None:
    """Keep the consultation's entry in the engagement register (engage.audit) up to date.

    The register belongs to the audit domain (imported here, not at module level, to keep the
    two domains' imports acyclic). A consultation without themes (which cannot be opened, see
    open_consultation) is not registered.
    """
    if consultation.status == ConsultationStatus.DRAFT or not consultation.themes:
        return
    from engage.audit.operations import ActivityData, upsert_activity_from_source

    upsert_activity_from_source(
        "consultation",
        consultation.id,
        partnership=consultation.partnership,
        data=ActivityData(**register_entry(consultation, now)),
        actor_id=actor.id if actor is not None else None,
    )


def refresh_register(now: datetime) -> int:
    """Catch the register up with what changes without an edit (see
    engage.core.register_sources): an open consultation's entry turns "closed" at its closing
    time and counts the responses submitted since. Published consultations (final) and entries
    already up to date are left alone. Returns the entries updated."""
    from engage.audit.operations import ActivityData, refresh_sourced_activities

    changing = db.session.scalars(
        select(Consultation).where(
            Consultation.status.in_((ConsultationStatus.OPEN, ConsultationStatus.CLOSED))
        )
    )
    return refresh_sourced_activities("consultation", (
        (c.id, c.partnership, ActivityData(**register_entry(c, now)))
        for c in changing if c.themes
    ))


def register_entry(consultation: Consultation, now: datetime | None = None) -> dict[str, Any]:
    """The register's view of a consultation (the fields of engage.audit's ActivityData)."""
    from flask import has_request_context

    from engage.core.time import LONDON

    now = now or utcnow()
    published = consultation.status == ConsultationStatus.OUTCOME_PUBLISHED
    if published:
        status = "results_published"
    elif consultation.phase(now) == Phase.CLOSED:
        status = "closed"
    elif consultation.phase(now) == Phase.SCHEDULED:
        status = "planned"
    else:
        status = "live"
    opens = as_utc(consultation.opens_at or consultation.opened_at or now).astimezone(LONDON)
    closes = as_utc(consultation.closes_at or now).astimezone(LONDON)
    outcome = consultation.outcome
    link = (
        url_for("consultations.show", consultation_id=consultation.id, _external=True)
        if has_request_context()
        else None
    )
    return {
        "organisation_id": consultation.organisation_id,
        "title": consultation.title,
        "description": consultation.summary,
        "method": "online_consultation",
        "theme_ids": [t.id for t in consultation.themes],
        "area_ids": [w.id for w in consultation.wards],
        "is_partnership_wide": not consultation.wards,
        "start_date": opens.date(),
        "end_date": max(closes.date(), opens.date()),
        "participants": _submitted_count(consultation),
        "status": status,
        "outcome_statement": outcome.we_did if (outcome is not None and published) else "",
        "outcome_url": link if published else None,
        "outcome_published_on": (
            as_utc(consultation.outcome_published_at).astimezone(LONDON).date()
            if published and consultation.outcome_published_at
            else None
        ),
    }


def _submitted_count(consultation: Consultation) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(
                Response.consultation_id == consultation.id,
                Response.status == ResponseStatus.SUBMITTED,
            )
        )
        or 0
    )


# ------------------------------------------------------------------- answering


def clean_answers(
    questions: Iterable[Question], form: Any, *, enforce_required: bool
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """Validate the answers a form gives to some questions.

    Returns (clean answers by question id, error messages by field name, raw answers by
    question id to show again with the errors).
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw_values: dict[str, Any] = {}
    for question in questions:
        kind = question.type
        raw = kind.from_form(question, form)
        raw_values[str(question.id)] = raw
        try:
            value = kind.validate(question, raw)
        except AnswerInvalid as problem:
            errors[question.field_name] = str(problem)
            continue
        if value is None and question.is_required and enforce_required:
            errors[question.field_name] = _("Answer this question")
            continue
        values[str(question.id)] = value
    return values, errors, raw_values


def clean_about(
    consultation: Consultation, form: Any, *, asks_ward: bool, asks_email: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The "about you" page: ward, equality monitoring (with consent) and outcome emails."""
    about: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if asks_ward:
        from engage.consultations.results import consultation_wards

        raw = (form.get("ward") or "").strip()
        allowed = {str(w.id): w.id for w in consultation_wards(consultation)}
        if raw and raw not in allowed:
            errors["ward"] = _("Choose your ward from the list")
        about["ward_id"] = allowed.get(raw)
    if consultation.has_equality_section:
        consent = form.get("special_category_consent") == "yes"
        about["special_category_consent"] = consent
        for feature, categories in EQUALITY_CATEGORIES.items():
            raw = (form.get(feature) or "").strip() or None
            if raw is not None and raw not in categories:
                errors[feature] = _("Choose one of the options")
                continue
            if feature in SPECIAL_CATEGORY_FEATURES and raw is not None and not consent:
                errors[feature] = _(
                    "To tell us this, tick the box to say we may use it, or leave it blank"
                )
                continue
            about[feature] = raw
    if asks_email:
        about["wants_outcome_email"] = form.get("wants_outcome_email") == "yes"
    return about, errors


def accepting_or_refuse(consultation: Consultation, now: datetime) -> None:
    if not consultation.is_accepting(now):
        if consultation.closes_at is not None and now >= as_utc(consultation.closes_at):
            raise EngageError(
                _(
                    "This consultation closed on %(when)s. Responses can no longer be sent or changed.",
                    when=show_when(consultation.closes_at),
                )
            )
        raise EngageError(_("This consultation is not open for responses"))


def find_response(consultation: Consultation, user: Any) -> Response | None:
    """The signed-in person's response to this consultation, if any."""
    if not isinstance(user, User):
        return None
    return db.session.scalar(
        select(Response).where(
            Response.consultation_id == consultation.id, Response.user_id == user.id
        )
    )


def start_response(consultation: Consultation, user: User | None, now: datetime) -> Response:
    """The person's response, made if need be: one per signed-in resident, even under races.

    The database's unique (consultation, user) constraint decides a race: the loser's insert
    fails inside a savepoint and it carries on with the winner's row.
    """
    accepting_or_refuse(consultation, now)
    if user is not None:
        existing = find_response(consultation, user)
        if existing is not None:
            return existing
    response = Response(
        consultation_id=consultation.id,
        user_id=user.id if user is not None else None,
        status=ResponseStatus.DRAFT,
        channel=Channel.ONLINE,
        ward_id=user.home_ward_id if user is not None else None,
        draft={"answers": {}, "about": {}},
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        if user is None:
            raise
        found = find_response(consultation, user)
        if found is None:
            raise
        return found
    return response


def response_values(response: Response | None) -> dict[str, Any]:
    """The answers to show in the form: the draft, else what was submitted."""
    if response is None:
        return {"answers": {}, "about": {}}
    if response.draft is not None:
        return {
            "answers": dict(response.draft.get("answers", {})),
            "about": dict(response.draft.get("about", {})),
        }
    return {"answers": stored_answers(response), "about": stored_about(response)}


def stored_answers(response: Response) -> dict[str, Any]:
    by_question: dict[int, list[StoredItem]] = {}
    for answer in response.answers:
        by_question.setdefault(answer.question_id, []).append(
            StoredItem(answer.item, answer.number, answer.text)
        )
    questions = {q.id: q for q in response.consultation.questions}
    return {
        str(qid): questions[qid].type.load(questions[qid], items)
        for qid, items in by_question.items()
        if qid in questions
    }


def stored_about(response: Response) -> dict[str, Any]:
    return {
        "ward_id": response.ward_id,
        "age_band": response.age_band,
        "sex": response.sex,
        "ethnicity": response.ethnicity,
        "disability": response.disability,
        "special_category_consent": response.special_category_consent,
        "wants_outcome_email": response.wants_outcome_email,
    }


def save_draft(
    response: Response,
    now: datetime,
    *,
    answers: Mapping[str, Any] | None = None,
    about: Mapping[str, Any] | None = None,
) -> Response:
    """Keep answers given so far (a page at a time) until the response is sent."""
    accepting_or_refuse(response.consultation, now)
    current = response_values(response)
    merged_answers = {**current["answers"], **(answers or {})}
    merged_about = {**current["about"], **(about or {})}
    response.draft = {
        "answers": {k: v for k, v in merged_answers.items() if v is not None},
        "about": merged_about,
    }
    response.updated_at = now
    db.session.flush()
    return response


def _new_reference() -> str:
    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"{code[:4]}-{code[4:]}"
        if db.session.scalar(select(Response.id).where(Response.reference == reference)) is None:
            return reference


def missing_required(consultation: Consultation, answers: Mapping[str, Any]) -> list[Question]:
    return [
        q
        for q in consultation.questions
        if q.is_required and q.type.is_blank(answers.get(str(q.id)))
    ]


def submit_response(
    response: Response, now: datetime, *, enforce_required: bool = True
) -> Response:
    """Send a response: its answers are stored as rows, it gets a reference (kept on edits)."""
    consultation = response.consultation
    if response.channel == Channel.ONLINE:
        accepting_or_refuse(consultation, now)
    # Serialise concurrent submits of one response (PostgreSQL: a row lock, read afresh;
    # SQLite's BEGIN IMMEDIATE already serialises writers).
    db.session.flush()
    db.session.refresh(response, with_for_update=True)
    old_cell = (
        (response.age_band, response.sex, response.ward_id)
        if response.status == ResponseStatus.SUBMITTED
        else None
    )
    values = response_values(response)
    answers, about = values["answers"], values["about"]
    if enforce_required:
        missing = missing_required(consultation, answers)
        if missing:
            raise EngageError(
                _("Answer every question marked as required before sending your response"),
            )
    response.age_band = about.get("age_band")
    response.sex = about.get("sex")
    consent = bool(about.get("special_category_consent"))
    response.special_category_consent = consent
    response.ethnicity = about.get("ethnicity") if consent else None
    response.disability = about.get("disability") if consent else None
    if "ward_id" in about and (response.user_id is None or response.channel == Channel.PAPER):
        response.ward_id = about.get("ward_id")
    response.wants_outcome_email = (
        bool(about.get("wants_outcome_email")) and response.user_id is not None
    )
    _write_answers(response, answers)
    if response.reference is None:
        response.reference = _new_reference()
    if response.submitted_at is None:
        response.submitted_at = now
    response.status = ResponseStatus.SUBMITTED
    response.updated_at = now
    response.draft = None
    new_cell = (response.age_band, response.sex, response.ward_id)
    if old_cell != new_cell:
        _move_response_tallies(consultation.id, old_cell, new_cell)
    db.session.flush()
    return response


def _move_response_tallies(
    consultation_id: int,
    old: tuple[str | None, str | None, int | None] | None,
    new: tuple[str | None, str | None, int | None],
) -> None:
    """A response enters a weighting cell (and leaves its old one, when edited)."""
    rows = [
        {
            "consultation_id": consultation_id,
            "age_band": cell[0] or "",
            "sex": cell[1] or "",
            "ward_id": cell[2] or 0,
            "responses": change,
        }
        for cell, change in ((old, -1), (new, 1))
        if cell is not None
    ]
    table = ResponseTally.__table__
    statement = _upsert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.consultation_id, table.c.age_band, table.c.sex, table.c.ward_id],
        set_={"responses": table.c.responses + statement.excluded.responses},
    )
    db.session.execute(statement, rows)


def _upsert(table: Any) -> Any:
    """INSERT ... ON CONFLICT for this database (SQLite or PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    postgres = db.session.get_bind().dialect.name == "postgresql"
    return (postgresql.insert if postgres else sqlite.insert)(table)


def _write_answers(response: Response, answers: Mapping[str, Any]) -> None:
    """Store answers as rows, changing only rows whose content changed (codes survive), and
    move the consultation's running tallies by the difference, in the same transaction."""
    consultation = response.consultation
    wanted: dict[tuple[int, str], StoredItem] = {}
    for question in consultation.questions:
        value = answers.get(str(question.id))
        if value is None or question.type.is_blank(value):
            continue
        clean = question.type.validate(question, value)
        if clean is None:
            continue
        for item in question.type.store(question, clean):
            wanted[(question.id, item.item)] = item
    existing = {
        (row.question_id, row.item): row
        for row in db.session.execute(
            select(
                Answer.id,
                Answer.question_id,
                Answer.item,
                Answer.number,
                Answer.text,
                Answer.ward_id,
                Answer.age_band,
                Answer.sex,
            ).where(Answer.response_id == response.id)
        )
    }
    deltas: dict[tuple[int, str, str, str, int], list[float]] = {}

    def move(
        question_id: int,
        item: str,
        number: float | None,
        ward_id: int | None,
        age_band: str | None,
        sex: str | None,
        sign: int,
    ) -> None:
        key = (question_id, item, age_band or "", sex or "", ward_id or 0)
        delta = deltas.setdefault(key, [0, 0.0])
        delta[0] += sign
        delta[1] += sign * (number or 0.0)

    for row in existing.values():
        move(row.question_id, row.item, row.number, row.ward_id, row.age_band, row.sex, -1)
    for (question_id, key_item), item in wanted.items():
        move(
            question_id, key_item, item.number, response.ward_id, response.age_band, response.sex, 1
        )
    stale = [row.id for key, row in existing.items() if key not in wanted]
    if stale:
        db.session.execute(delete(Answer).where(Answer.id.in_(stale)))
    for key, item in wanted.items():
        current = existing.get(key)
        if current is not None and (current.number != item.number or current.text != item.text):
            db.session.execute(
                update(Answer)
                .where(Answer.id == current.id)
                .values(number=item.number, text=item.text, redacted_at=None)
            )
    new_rows = [
        {
            "response_id": response.id,
            "consultation_id": consultation.id,
            "question_id": qid,
            "item": item.item,
            "number": item.number,
            "text": item.text,
        }
        for (qid, _key), item in wanted.items()
        if (qid, _key) not in existing
    ]
    if new_rows:
        db.session.execute(insert(Answer), new_rows)
    # The copies of the respondent's ward, age band and sex used by the results queries.
    db.session.execute(
        update(Answer)
        .where(Answer.response_id == response.id)
        .values(ward_id=response.ward_id, age_band=response.age_band, sex=response.sex)
    )
    _move_tallies(consultation.id, deltas)
    db.session.expire(response, ["answers"])


_TALLY_KEY = ("consultation_id", "question_id", "item", "age_band", "sex", "ward_id")


def _move_tallies(
    consultation_id: int, deltas: Mapping[tuple[int, str, str, str, int], list[float]]
) -> None:
    """Add (or take away) answer counts and sums in the running tallies (an atomic upsert)."""
    rows = [
        {
            "consultation_id": consultation_id,
            "question_id": question_id,
            "item": item,
            "age_band": age_band,
            "sex": sex,
            "ward_id": ward_id,
            "answers": int(count),
            "number_sum": float(total),
        }
        for (question_id, item, age_band, sex, ward_id), (count, total) in deltas.items()
        if count or total
    ]
    if not rows:
        return
    table = Tally.__table__
    statement = _upsert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in _TALLY_KEY],
        set_={
            "answers": table.c.answers + statement.excluded.answers,
            "number_sum": table.c.number_sum + statement.excluded.number_sum,
        },
    )
    db.session.execute(statement, rows)


# Inline SQL literals, not bound parameters: PostgreSQL only matches a SELECT expression to its
# GROUP BY twin when both are the same text, and each bound parameter gets its own placeholder.
_EMPTY = literal_column("''")
_ZERO = literal_column("0")


def rebuild_tallies(consultation_id: int) -> None:
    """Recompute a consultation's tallies from its answers and responses (after bulk loads)."""
    db.session.execute(
        delete(ResponseTally).where(ResponseTally.consultation_id == consultation_id)
    )
    cells = (
        select(
            Response.consultation_id,
            func.coalesce(Response.age_band, _EMPTY),
            func.coalesce(Response.sex, _EMPTY),
            func.coalesce(Response.ward_id, _ZERO),
            func.count(),
        )
        .where(
            Response.consultation_id == consultation_id,
            Response.status == ResponseStatus.SUBMITTED,
        )
        .group_by(
            Response.consultation_id,
            func.coalesce(Response.age_band, _EMPTY),
            func.coalesce(Response.sex, _EMPTY),
            func.coalesce(Response.ward_id, _ZERO),
        )
    )
    db.session.execute(
        insert(ResponseTally).from_select(
            ["consultation_id", "age_band", "sex", "ward_id", "responses"], cells
        )
    )
    db.session.execute(delete(Tally).where(Tally.consultation_id == consultation_id))
    grouped = (
        select(
            Answer.consultation_id,
            Answer.question_id,
            Answer.item,
            func.coalesce(Answer.age_band, _EMPTY),
            func.coalesce(Answer.sex, _EMPTY),
            func.coalesce(Answer.ward_id, _ZERO),
            func.count(),
            func.coalesce(func.sum(Answer.number), 0.0),
        )
        .where(Answer.consultation_id == consultation_id)
        .group_by(
            Answer.consultation_id,
            Answer.question_id,
            Answer.item,
            func.coalesce(Answer.age_band, _EMPTY),
            func.coalesce(Answer.sex, _EMPTY),
            func.coalesce(Answer.ward_id, _ZERO),
        )
    )
    db.session.execute(insert(Tally).from_select([*_TALLY_KEY, "answers", "number_sum"], grouped))


def record_paper_response(
    actor: User,
    consultation: Consultation,
    answers: Mapping[str, Any],
    about: Mapping[str, Any],
    now: datetime,
) -> Response:
    """A paper response keyed in by staff, marked as such (required questions may be blank)."""
    if consultation.status not in (ConsultationStatus.OPEN, ConsultationStatus.CLOSED):
        raise EngageError(
            _(
                "Paper responses can be added while the consultation is open or closed, before its outcome is published"
            )
        )
    response = Response(
        consultation_id=consultation.id,
        status=ResponseStatus.DRAFT,
        channel=Channel.PAPER,
        entered_by_id=actor.id,
        draft={
            "answers": {k: v for k, v in answers.items() if v is not None},
            "about": dict(about),
        },
        created_at=now,
        updated_at=now,
    )
    db.session.add(response)
    db.session.flush()
    submit_response(response, now, enforce_required=False)
    record_audit(
        "consultation.paper_response_recorded",
        actor_id=actor.id,
        target=response,
        partnership_id=consultation.partnership_id,
    )
    return response


def send_receipt(response: Response) -> None:
    """Email a signed-in respondent their reference."""
    user = response.user
    if user is None or not user.is_active:
        return
    language = "cy" if user.locale == "cy" else "en"
    title = response.consultation.display_title(language)
    with force_locale("cy" if language == "cy" else "en_GB"):
        subject = _("Your response to %(title)s", title=title)
        body = _(
            "Thank you. We have your response to %(title)s. Your reference is %(reference)s. "
            "You can change your answers until the consultation closes on %(closes)s.",
            title=title,
            reference=response.reference or "",
            closes=show_when(response.consultation.closes_at),
        )
    send_mail(user.email, subject, body)


def purge_stale_drafts(before: datetime) -> int:
    """Delete anonymous drafts never sent (they hold answers nobody can come back to)."""
    result = db.session.execute(
        delete(Response).where(
            Response.user_id.is_(None),
            Response.status == ResponseStatus.DRAFT,
            Response.updated_at < before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ------------------------------------------------------------------- coding free text


def save_code(
    actor: User,
    consultation: Consultation,
    label: str,
    *,
    label_cy: str | None = None,
    description: str | None = None,
    theme: Theme | None = None,
    code: FrameCode | None = None,
) -> FrameCode:
    """Add or change a code in the consultation's coding frame."""
    label = label.strip()
    if not label:
        raise EngageError(_("Enter a name for the code"), field="label")
    if theme is not None and theme.partnership_id not in {
        p.id for p in consultation.partnership.lineage()
    }:
        raise EngageError(_("Choose a theme of this partnership"), field="theme")
    clash = db.session.scalar(
        select(FrameCode.id).where(
            FrameCode.consultation_id == consultation.id,
            func.lower(FrameCode.label) == label.lower(),
        )
    )
    if clash is not None and (code is None or clash != code.id):
        raise EngageError(_("There is already a code with this name"), field="label")
    if code is None:
        code = FrameCode(
            consultation=consultation,
            position=1 + max((c.position for c in consultation.codes), default=0),
        )
        db.session.add(code)
    code.label = label
    code.label_cy = _clean(label_cy)
    code.description = _clean(description)
    code.theme = theme
    db.session.flush()
    record_audit(
        "consultation.code_saved",
        actor_id=actor.id,
        target=code,
        partnership_id=consultation.partnership_id,
    )
    return code


def tag_answers(
    actor: User,
    consultation: Consultation,
    tags: Mapping[int, tuple[Iterable[int], Iterable[int]]],
) -> int:
    """Set the codes and themes of free-text answers: answer id → (code ids, theme ids)."""
    code_ids = {c.id for c in consultation.codes}
    theme_ids = {t.id for p in consultation.partnership.lineage() for t in p.themes}
    answers = _text_answers(consultation, tags.keys())
    for answer in answers:
        chosen_codes, chosen_themes = tags[answer.id]
        codes = set(chosen_codes)
        themes = set(chosen_themes)
        if not codes <= code_ids or not themes <= theme_ids:
            raise EngageError(_("Choose codes and themes from the lists"))
        db.session.execute(delete(answer_codes).where(answer_codes.c.answer_id == answer.id))
        db.session.execute(delete(answer_themes).where(answer_themes.c.answer_id == answer.id))
        if codes:
            db.session.execute(
                insert(answer_codes),
                [{"answer_id": answer.id, "code_id": c} for c in sorted(codes)],
            )
        if themes:
            db.session.execute(
                insert(answer_themes),
                [
                    {"answer_id": answer.id, "theme_id": t, "consultation_id": consultation.id}
                    for t in sorted(themes)
                ],
            )
        db.session.expire(answer, ["codes", "themes"])
    record_audit(
        "consultation.answers_coded",
        actor_id=actor.id,
        target=consultation,
        partnership_id=consultation.partnership_id,
        answers=len(answers),
    )
    db.session.flush()
    return len(answers)


def _text_answers(consultation: Consultation, answer_ids: Iterable[int]) -> list[Answer]:
    ids = list(answer_ids)
    if not ids:
        return []
    text_questions = [q.id for q in consultation.questions if q.type.is_free_text]
    found = db.session.scalars(
        select(Answer).where(
            Answer.id.in_(ids),
            Answer.consultation_id == consultation.id,
            Answer.question_id.in_(text_questions),
        )
    ).all()
    if len(found) != len(set(ids)):
        raise EngageError(_("Choose answers to this consultation"))
    return list(found)


def apply_code_to_group(actor: User, group: SuggestedGroup, code: FrameCode) -> int:
    """Tag every answer of a suggested group with a code (keeping their other codes)."""
    consultation = group.question.consultation
    if code.consultation_id != consultation.id:
        raise EngageError(_("Choose a code of this consultation"), field="code")
    live = [a.id for a in _existing_answers(group)]
    already = set(
        db.session.scalars(
            select(answer_codes.c.answer_id).where(
                answer_codes.c.code_id == code.id, answer_codes.c.answer_id.in_(live)
            )
        )
    )
    rows = [{"answer_id": a, "code_id": code.id} for a in live if a not in already]
    if rows:
        db.session.execute(insert(answer_codes), rows)
    record_audit(
        "consultation.group_coded",
        actor_id=actor.id,
        target=group,
        partnership_id=consultation.partnership_id,
        code_id=code.id,
        answers=len(rows),
    )
    db.session.flush()
    return len(rows)


def _existing_answers(group: SuggestedGroup) -> list[Answer]:
    if not group.answer_ids:
        return []
    return list(
        db.session.scalars(
            select(Answer)
            .where(Answer.id.in_(group.answer_ids), Answer.question_id == group.question_id)
            .order_by(Answer.id)
        )
    )


def group_members(group: SuggestedGroup) -> list[Answer]:
    return _existing_answers(group)


def compute_suggested_groups(
    question: Question, now: datetime | None = None
) -> list[SuggestedGroup]:
    """Replace a free-text question's suggested groups (engage.consultations.grouping)."""
    rows = db.session.execute(
        select(Answer.id, Answer.text)
        .where(Answer.question_id == question.id, Answer.item == "", Answer.text.is_not(None))
        .order_by(Answer.id)
    ).all()
    ids = [row.id for row in rows]
    groups = grouping.suggest_groups([row.text or "" for row in rows])
    db.session.execute(delete(SuggestedGroup).where(SuggestedGroup.question_id == question.id))
    made = []
    for position, group in enumerate(groups, start=1):
        suggested = SuggestedGroup(
            question_id=question.id,
            position=position,
            terms=list(group.terms),
            answer_ids=[ids[i] for i in group.members],
            representative_answer_id=ids[group.representative],
            computed_at=now or utcnow(),
        )
        db.session.add(suggested)
        made.append(suggested)
    db.session.flush()
    return made


def redact_answer(actor: User, answer: Answer, phrases: Sequence[str]) -> Answer:
    """Replace personal data in a free-text answer with "[redacted]".

    The original wording is kept only in the audit log, for the record.
    """
    if answer.text is None:
        raise EngageError(_("Only written answers can be redacted"), field="phrases")
    wanted = [p.strip() for p in phrases if p.strip()]
    if not wanted:
        raise EngageError(_("Enter the words to redact, one on each line"), field="phrases")
    missing = [p for p in wanted if p.lower() not in answer.text.lower()]
    if missing:
        raise EngageError(
            _("These words are not in the answer: %(words)s", words=", ".join(missing)),
            field="phrases",
        )
    original = answer.text
    redacted = original
    for phrase in sorted(wanted, key=len, reverse=True):
        redacted = _replace_all(redacted, phrase, REDACTED)
    answer.text = redacted
    answer.redacted_at = utcnow()
    record_audit(
        "consultation.answer_redacted",
        actor_id=actor.id,
        target=answer,
        partnership_id=answer.response.consultation.partnership_id,
        original=original,
        redacted=redacted,
    )
    db.session.flush()
    return answer


def _replace_all(text: str, phrase: str, replacement: str) -> str:
    lowered, target = text.lower(), phrase.lower()
    out, start = [], 0
    while True:
        found = lowered.find(target, start)
        if found < 0:
            out.append(text[start:])
            return "".join(out)
        out.append(text[start:found])
        out.append(replacement)
        start = found + len(phrase)


# ------------------------------------------------------------------- personal data


def export_consultation_data(user: Any) -> dict[str, Any]:
    """A person's consultation responses, with their answers as they read them."""
    responses = db.session.scalars(
        select(Response).where(Response.user_id == user.id).order_by(Response.id)
    ).all()
    exported = []
    for response in responses:
        consultation = response.consultation
        values = response_values(response)
        answers = []
        for question in consultation.questions:
            value = values["answers"].get(str(question.id))
            if value is None:
                continue
            answers.append(
                {"question": question.text, "answer": question.type.describe(question, value, "en")}
            )
        exported.append(
            {
                "consultation": consultation.title,
                "status": response.status.value,
                "reference": response.reference,
                "submitted_at": response.submitted_at.isoformat()
                if response.submitted_at
                else None,
                "ward": response.ward.gss_code if response.ward else None,
                "age_band": values["about"].get("age_band"),
                "sex": values["about"].get("sex"),
                "ethnicity": values["about"].get("ethnicity"),
                "disability": values["about"].get("disability"),
                "special_category_consent": bool(values["about"].get("special_category_consent")),
                "wants_outcome_email": bool(values["about"].get("wants_outcome_email")),
                "answers": answers,
            }
        )
    return {"responses": exported}


def erase_consultation_data(user: Any) -> None:
    """Erasure keeps sent responses (unlinked from the person); unsent drafts are deleted."""
    db.session.execute(
        delete(Response).where(Response.user_id == user.id, Response.status == ResponseStatus.DRAFT)
    )
    db.session.execute(
        update(Response)
        .where(Response.user_id == user.id)
        .values(user_id=None, wants_outcome_email=False, draft=None)
    )
    db.session.flush()


register_personal_data("consultations", export_consultation_data, erase_consultation_data)
register_source("consultation", refresh_register)


def current_threshold() -> int:
    return int(current_app.config["ENGAGE_DISCLOSURE_THRESHOLD"])


def now_utc() -> datetime:
    """The clock the views use (tests may replace it)."""
    return utcnow()
