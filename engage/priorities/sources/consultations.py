"""Consultations as evidence: respondent-level, so each person is weighted to the census.

One source per question (``consultations:question:<id>``), from consultations that have
opened, counting responses submitted by the calculation date:

* free-text questions whose answers are coded to SCS themes (a code in the coding frame with
  a theme, or a theme set on the answer): for each theme in the coding frame, each person
  counts 1 if their answer raised it, else 0 (measure ``mentioned``);
* choice questions whose options are the partnership's themes (an option's text is a
  theme's name, in English or Welsh, or its short name): single and multiple choice give the
  share choosing the theme (``top_priority``), ranking the share putting it first
  (``top_priority``), points each person's share of their points (``points_share``).

Answers carry the respondent's ward, age band and sex, so items are per ward with those
characteristics for raking. Answers without a ward are left out unless no answer to the
question has one (then the item is for the partnership as a whole). Published outcome
statements ("you said") are offered as quotes; individual answers never are.

A consultation put to the citizens' panel (audience "panel") is a citizens' panel survey:
its questions are sources of that kind, with the panel's weight. This is how panel surveys
reach the priorities (the panels domain recruits and selects; its surveys are consultations).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from flask import has_request_context, url_for
from sqlalchemy import func, select

from engage.consultations.models import (
    Answer,
    Audience,
    Consultation,
    ConsultationStatus,
    FrameCode,
    Question,
    Response,
    ResponseStatus,
    answer_codes,
    answer_themes,
)
from engage.extensions import db
from engage.partnerships.models import Area, Partnership, Theme
from engage.priorities.aggregate import (
    EvidenceItem,
    RespondentSample,
    RespondentValues,
    SourceKind,
)
from engage.priorities.evidence import (
    Quote,
    SourceDescription,
    partnership_family_ids,
    partnership_key,
    register_evidence_source,
)
from engage.priorities.models import Measure
from engage.weighting import CodedColumn

NAME = "consultations"
AGE_BANDS = ("16-24", "25-44", "45-64", "65-74", "75+")
SEXES = ("female", "male")
CHOICE_KINDS = ("single_choice", "multiple_choice", "ranking", "points")


def _plain(text: str | None) -> str:
    return " ".join((text or "").casefold().replace("’", "'").split())


def _theme_lookup(partnership: Partnership) -> dict[str, str]:
    """Option text → theme slug, from every theme in the partnership's family."""
    lookup: dict[str, str] = {}
    for theme in db.session.scalars(
        select(Theme).where(Theme.partnership_id.in_(partnership_family_ids(partnership)))
    ):
        for text in (theme.name, theme.name_cy, theme.slug, theme.slug.replace("-", " ")):
            if text:
                lookup.setdefault(_plain(text), theme.slug)
    return lookup


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _consultations(partnership: Partnership, as_of: date) -> list[Consultation]:
    return list(
        db.session.scalars(
            select(Consultation)
            .where(
                Consultation.partnership_id.in_(partnership_family_ids(partnership)),
                Consultation.status != ConsultationStatus.DRAFT,
                Consultation.opened_at.is_not(None),
                Consultation.opened_at < _end_of(as_of),
            )
            .order_by(Consultation.id)
        )
    )


def _item_date(consultation: Consultation, as_of: date) -> date:
    if consultation.closes_at is not None and consultation.closes_at.date() <= as_of:
        return consultation.closes_at.date()
    return as_of


class _People:
    """The respondents to one question: ward, age band and sex, in a fixed order."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.wards: list[int | None] = []
        self.ages: list[int] = []
        self.sexes: list[int] = []

    def add(self, response_id: int, ward: int | None, age: str | None, sex: str | None) -> int:
        if response_id not in self.index:
            self.index[response_id] = len(self.wards)
            self.wards.append(ward)
            self.ages.append(AGE_BANDS.index(age) if age in AGE_BANDS else -1)
            self.sexes.append(SEXES.index(sex) if sex in SEXES else -1)
        return self.index[response_id]

    def __len__(self) -> int:
        return len(self.wards)


def _kind(consultation: Consultation) -> SourceKind:
    """A consultation put to the citizens' panel is a panel survey; any other, a consultation."""
    return (
        SourceKind.PANEL_SURVEY
        if consultation.audience == Audience.PANEL
        else SourceKind.CONSULTATION
    )


def _items_for(
    source_id: str,
    kind: SourceKind,
    people: _People,
    values: Mapping[str, np.ndarray],
    measure: str,
    when: date,
    ward_keys: Mapping[int, str],
    root: str,
) -> list[EvidenceItem]:
    """Per-ward respondent-level items (one sample per ward, shared by the themes)."""
    wards = np.array([w if w in ward_keys else -1 for w in people.wards], dtype=np.int64)
    groups: list[tuple[str, np.ndarray]]
    if (wards >= 0).any():
        groups = [
            (ward_keys[int(w)], np.flatnonzero(wards == w))
            for w in sorted(set(wards[wards >= 0].tolist()))
        ]
    else:
        groups = [(root, np.arange(len(people)))]
    ages = np.array(people.ages, dtype=np.intp)
    sexes = np.array(people.sexes, dtype=np.intp)
    items: list[EvidenceItem] = []
    for area_id, rows in groups:
        sample = RespondentSample(
            {
                "age_band": CodedColumn(ages[rows], AGE_BANDS),
                "sex": CodedColumn(sexes[rows], SEXES),
            }
        )
        for theme_id in sorted(values):
            chosen = values[theme_id][rows]
            answered = chosen[~np.isnan(chosen)]
            if answered.size == 0:
                continue
            items.append(
                EvidenceItem(
                    source_id=source_id,
                    source_kind=kind,
                    theme_id=theme_id,
                    area_id=area_id,
                    measure=measure,
                    value=float(answered.mean()),
                    base=int(answered.size),
                    date=when,
                    is_respondent_level=True,
                    respondents=RespondentValues(sample, chosen),
                )
            )
    return items


def _submitted(question_ids: list[int], as_of: date) -> list[Any]:
    """Answer rows of submitted responses (submitted by the end of as_of), in a fixed order."""
    if not question_ids:
        return []
    return list(
        db.session.execute(
            select(
                Answer.id,
                Answer.question_id,
                Answer.item,
                Answer.number,
                Answer.response_id,
                Answer.ward_id,
                Answer.age_band,
                Answer.sex,
            )
            .join(Response, Response.id == Answer.response_id)
            .where(
                Answer.question_id.in_(question_ids),
                Response.status == ResponseStatus.SUBMITTED,
                Response.submitted_at < _end_of(as_of),
            )
            .order_by(Answer.response_id, Answer.id)
        ).all()
    )


class ConsultationSource:
    """Each question of a consultation that speaks to SCS themes is one source."""

    name = NAME

    def collect(self, partnership: Partnership, as_of: date) -> list[EvidenceItem]:
        consultations = _consultations(partnership, as_of)
        if not consultations:
            return []
        ward_keys = {
            area.id: area.gss_code
            for area in db.session.scalars(select(Area).where(Area.level == "ward"))
        }
        root = partnership_key(partnership)
        lookup = _theme_lookup(partnership)
        items: list[EvidenceItem] = []
        for consultation in consultations:
            when = _item_date(consultation, as_of)
            items.extend(self._free_text(consultation, as_of, when, ward_keys, root))
            items.extend(self._choices(consultation, as_of, when, ward_keys, root, lookup))
        return items

    def evidence_version(self, partnership: Partnership, as_of: date) -> str:
        """Changes with the consultations, their questions, responses, coding and themes."""
        consultations = _consultations(partnership, as_of)
        ids = [c.id for c in consultations]
        parts: list[object] = [
            [
                (
                    c.id,
                    c.status.value,
                    c.opened_at,
                    c.closes_at,
                    c.outcome_published_at,
                    tuple(t.id for t in c.themes),
                )
                for c in consultations
            ],
            sorted(_theme_lookup(partnership).items()),
        ]
        if ids:
            parts.append(
                tuple(
                    db.session.execute(
                        select(func.count(Response.id), func.max(Response.submitted_at)).where(
                            Response.consultation_id.in_(ids),
                            Response.status == ResponseStatus.SUBMITTED,
                            Response.submitted_at < _end_of(as_of),
                        )
                    ).one()
                )
            )
            parts.append(
                db.session.execute(
                    select(Question.id, Question.kind, Question.settings)
                    .where(Question.consultation_id.in_(ids))
                    .order_by(Question.id)
                ).all()
            )
            parts.append(
                db.session.execute(
                    select(FrameCode.id, FrameCode.theme_id)
                    .where(FrameCode.consultation_id.in_(ids))
                    .order_by(FrameCode.id)
                ).all()
            )
            answers = select(Answer.id).where(Answer.consultation_id.in_(ids))
            parts.append(
                db.session.scalar(
                    select(func.count())
                    .select_from(answer_codes)
                    .where(answer_codes.c.answer_id.in_(answers))
                )
            )
            parts.append(
                db.session.scalar(
                    select(func.count())
                    .select_from(answer_themes)
                    .where(answer_themes.c.answer_id.in_(answers))
                )
            )
            parts.append(
                db.session.scalar(
                    select(func.count())
                    .select_from(Answer)
                    .where(Answer.consultation_id.in_(ids), Answer.redacted_at.is_not(None))
                )
            )
        return repr(parts)

    # ---- free text coded to themes

    def _free_text(
        self,
        consultation: Consultation,
        as_of: date,
        when: date,
        ward_keys: Mapping[int, str],
        root: str,
    ) -> list[EvidenceItem]:
        questions = [q for q in consultation.questions if q.kind == "free_text"]
        if not questions:
            return []
        frame = {
            code.id: code.theme.slug
            for code in db.session.scalars(
                select(FrameCode).where(FrameCode.consultation_id == consultation.id)
            )
            if code.theme is not None
        }
        items: list[EvidenceItem] = []
        for question in questions:
            answers = [r for r in _submitted([question.id], as_of) if r.item == ""]
            if not answers:
                continue
            ids = [a.id for a in answers]
            tagged: dict[int, set[str]] = defaultdict(set)
            for answer_id, code_id in db.session.execute(
                select(answer_codes.c.answer_id, answer_codes.c.code_id).where(
                    answer_codes.c.answer_id.in_(ids)
                )
            ):
                if code_id in frame:
                    tagged[answer_id].add(frame[code_id])
            for answer_id, slug in db.session.execute(
                select(answer_themes.c.answer_id, Theme.slug)
                .join(Theme, Theme.id == answer_themes.c.theme_id)
                .where(answer_themes.c.answer_id.in_(ids))
            ):
                tagged[answer_id].add(slug)
            themes = set(frame.values()) | {s for found in tagged.values() for s in found}
            if not themes:
                continue
            people = _People()
            rows = [people.add(a.response_id, a.ward_id, a.age_band, a.sex) for a in answers]
            values = {t: np.zeros(len(people)) for t in themes}
            for answer, row in zip(answers, rows, strict=True):
                for slug in tagged.get(answer.id, ()):
                    values[slug][row] = 1.0
            items.extend(
                _items_for(
                    f"{NAME}:question:{question.id}",
                    _kind(consultation),
                    people,
                    values,
                    Measure.MENTIONED.value,
                    when,
                    ward_keys,
                    root,
                )
            )
        return items

    # ---- choice questions whose options are themes

    def _choices(
        self,
        consultation: Consultation,
        as_of: date,
        when: date,
        ward_keys: Mapping[int, str],
        root: str,
        lookup: Mapping[str, str],
    ) -> list[EvidenceItem]:
        items: list[EvidenceItem] = []
        for question in consultation.questions:
            if question.kind not in CHOICE_KINDS:
                continue
            option_theme = {}
            for option in question.options():
                slug = lookup.get(_plain(option.get("text"))) or lookup.get(
                    _plain(option.get("text_cy"))
                )
                if slug:
                    option_theme[option["code"]] = slug
            if not option_theme:
                continue
            answers = _submitted([question.id], as_of)
            if not answers:
                continue
            people = _People()
            for a in answers:
                people.add(a.response_id, a.ward_id, a.age_band, a.sex)
            themes = sorted(set(option_theme.values()))
            values = {t: np.zeros(len(people)) for t in themes}
            totals = np.zeros(len(people))
            for a in answers:
                row = people.index[a.response_id]
                if question.kind == "points" and a.item and a.number:
                    totals[row] += a.number
            for a in answers:
                slug = option_theme.get(a.item)
                if slug is None:
                    continue
                row = people.index[a.response_id]
                if question.kind == "points":
                    if totals[row] > 0 and a.number:
                        values[slug][row] += a.number / totals[row]
                elif question.kind == "ranking":
                    values[slug][row] = max(values[slug][row], float(a.number == 1))
                else:
                    values[slug][row] = 1.0
            if question.kind == "points":
                for slug in themes:
                    values[slug][totals <= 0] = np.nan
            measure = Measure.POINTS_SHARE if question.kind == "points" else Measure.TOP_PRIORITY
            items.extend(
                _items_for(
                    f"{NAME}:question:{question.id}",
                    _kind(consultation),
                    people,
                    {t: np.clip(v, 0.0, 1.0) for t, v in values.items()},
                    measure.value,
                    when,
                    ward_keys,
                    root,
                )
            )
        return items

    # ---- descriptions and quotes

    def describe(
        self, partnership: Partnership, source_ids: Collection[str]
    ) -> Mapping[str, SourceDescription]:
        ids = [int(s.rsplit(":", 1)[1]) for s in source_ids if s.startswith(f"{NAME}:question:")]
        out: dict[str, SourceDescription] = {}
        for question in db.session.scalars(select(Question).where(Question.id.in_(ids))):
            consultation = question.consultation
            source_id = f"{NAME}:question:{question.id}"
            url = None
            if has_request_context():
                url = url_for("consultations.results", consultation_id=consultation.id)
            out[source_id] = SourceDescription(
                source_id=source_id,
                title=consultation.title,
                kind=_kind(consultation),
                detail=question.text,
                url=url,
                organisation_id=consultation.organisation_id,
                organisation=consultation.organisation.name,
            )
        return out

    def quotes(self, partnership: Partnership, theme_id: str, as_of: date) -> list[Quote]:
        """Published "you said" statements of consultations about the theme."""
        found: list[Quote] = []
        for consultation in _consultations(partnership, as_of):
            outcome = consultation.outcome
            if (
                consultation.status != ConsultationStatus.OUTCOME_PUBLISHED
                or outcome is None
                or not outcome.you_said.strip()
                or theme_id not in {t.slug for t in consultation.themes}
            ):
                continue
            published = consultation.outcome_published_at
            found.append(
                Quote(
                    source_id=f"{NAME}:consultation:{consultation.id}",
                    theme_id=theme_id,
                    text=outcome.you_said.strip(),
                    date=published.date() if published else as_of,
                    attribution=consultation.title,
                )
            )
        return found


register_evidence_source(ConsultationSource())
