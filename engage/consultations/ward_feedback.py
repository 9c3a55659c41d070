"""A councillor's view of one ward: every consultation that reached it, against the area.

Comparisons publish the ward's counts and the whole area's, so the rest of the area (area
minus ward) is part of the linked table given to the disclosure control: no published number,
nor any difference of published numbers, reveals a count under the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from engage.consultations import grouping
from engage.consultations.labels import SCALE_CODES, SCALE_LABELS, YES_NO_LABELS
from engage.consultations.models import (
    Answer,
    Consultation,
    ConsultationStatus,
    FrameCode,
    Question,
    answer_codes,
    answer_themes,
)
from engage.consultations.question_types import QuestionTally
from engage.consultations.results import (
    ResultsFilter,
    Weighting,
    consultation_wards,
    responses_by_ward,
    tallies,
)
from engage.disclosure import suppress_table
from engage.extensions import db
from engage.partnerships.models import Area, Theme
from engage.partnerships.policy import covers_area

QUOTE_LENGTH = 300
TOP = 5


@dataclass(frozen=True)
class Comparison:
    label: str
    ward_share: float | None
    area_share: float | None
    ward_value: float | None = None
    area_value: float | None = None


@dataclass(frozen=True)
class WardQuestion:
    question: Question
    kind: str  # "shares" or "means"
    rows: tuple[Comparison, ...]
    ward_base: int | None
    area_base: int | None


@dataclass(frozen=True)
class Quote:
    code: str
    text: str


@dataclass(frozen=True)
class WardConsultation:
    consultation: Consultation
    ward_responses: int | None
    area_responses: int
    ward_rate: float | None
    area_rate: float | None
    questions: tuple[WardQuestion, ...]
    top_codes: tuple[tuple[str, int], ...]
    top_themes: tuple[tuple[str, int], ...]
    quotes: tuple[Quote, ...]


def consultations_reaching(ward: Area) -> list[Consultation]:
    """Consultations (opened at least once) whose audience area includes the ward."""
    found = db.session.scalars(
        select(Consultation)
        .where(Consultation.status != ConsultationStatus.DRAFT)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
    ).all()
    return [
        c for c in found if covers_area(c.partnership, ward) and (not c.wards or ward in c.wards)
    ]


_NO_WEIGHTS = Weighting(applied=False, cell_weights={}, respondents=0)


def _items(question: Question, locale: str) -> list[tuple[str, str]] | None:
    kind = question.kind
    if kind in ("single_choice", "multiple_choice"):
        return [(o["code"], question.option_label(o["code"], locale)) for o in question.options()]
    if kind == "agree_scale":
        return [(c, str(SCALE_LABELS[c])) for c in SCALE_CODES]
    if kind == "yes_no":
        return [(c, str(YES_NO_LABELS[c])) for c in ("yes", "no")]
    return None


def _compare_exclusive(
    items: Sequence[tuple[str, str]], ward: QuestionTally, area: QuestionTally, threshold: int
) -> tuple[tuple[Comparison, ...], int | None, int | None]:
    """Ward row and rest-of-area row in one table; publish the ward row and the area totals."""
    ward_counts = [ward.get(c).count for c, _l in items]
    rest_counts = [max(area.get(c).count - ward.get(c).count, 0) for c, _l in items]
    if sum(ward_counts) + sum(rest_counts) == 0:
        return tuple(Comparison(label, None, None) for _c, label in items), 0, 0
    table = suppress_table([ward_counts, rest_counts], threshold)
    ward_total = table.row_totals[0]
    grand = table.grand_total
    rows = []
    for index, (_code, label) in enumerate(items):
        cell = table.cells[0][index]
        column = table.column_totals[index]
        rows.append(
            Comparison(
                label,
                cell / ward_total if cell is not None and ward_total else None,
                column / grand if column is not None and grand else None,
            )
        )
    return tuple(rows), ward_total, grand


def _compare_several(
    items: Sequence[tuple[str, str]], ward: QuestionTally, area: QuestionTally, threshold: int
) -> tuple[tuple[Comparison, ...], int | None, int | None]:
    """Options people could pick several of: per option, a (picked, not picked) table."""
    ward_base = ward.get("").count
    area_base = area.get("").count
    rest_base = max(area_base - ward_base, 0)
    rows = []
    bases_shown = True
    for code, label in items:
        picked_w = ward.get(code).count
        picked_r = max(area.get(code).count - picked_w, 0)
        if ward_base + rest_base == 0:
            rows.append(Comparison(label, None, None))
            continue
        table = suppress_table(
            [[picked_w, ward_base - picked_w], [picked_r, rest_base - picked_r]], threshold
        )
        ward_total, grand = table.row_totals[0], table.grand_total
        if ward_total is None or grand is None:
            bases_shown = False
        cell, column = table.cells[0][0], table.column_totals[0]
        rows.append(
            Comparison(
                label,
                cell / ward_total if cell is not None and ward_total else None,
                column / grand if column is not None and grand else None,
            )
        )
    if not bases_shown:
        return tuple(Comparison(r.label, None, None) for r in rows), None, None
    return tuple(rows), ward_base, area_base


def _compare_means(
    question: Question, ward: QuestionTally, area: QuestionTally, threshold: int, locale: str
) -> tuple[tuple[Comparison, ...], int | None, int | None]:
    """Means shown only where ward, rest of area and area each have enough answers."""
    ward_base, area_base = ward.get("").count, area.get("").count
    rest_base = area_base - ward_base
    ward_ok = ward_base >= threshold and (rest_base == 0 or rest_base >= threshold)
    area_ok = area_base >= threshold
    if question.kind == "number":
        item_codes = [("", "")]
    else:
        item_codes = [
            (o["code"], question.option_label(o["code"], locale)) for o in question.options()
        ]
    rows = []
    for code, label in item_codes:
        w, a = ward.get(code), area.get(code)
        per_respondent = question.kind in ("points", "number")
        if per_respondent:
            ward_value = w.number_sum / ward_base if ward_ok and ward_base else None
            area_value = a.number_sum / area_base if area_ok and area_base else None
        else:
            ward_value = w.number_sum / w.count if ward_ok and w.count else None
            area_value = a.number_sum / a.count if area_ok and a.count else None
        rows.append(Comparison(label, None, None, ward_value, area_value))
    return (
        tuple(rows),
        ward_base if ward_ok or ward_base == 0 else None,
        area_base if area_ok or area_base == 0 else None,
    )


def ward_consultation(
    consultation: Consultation, ward: Area, threshold: int, locale: str
) -> WardConsultation:
    area_wards = consultation_wards(consultation)
    area_ids = [w.id for w in area_wards]
    by_ward = responses_by_ward(consultation)
    counts = {ward_id: n for ward_id, n in by_ward.items() if ward_id in set(area_ids)}
    ward_n = int(counts.get(ward.id, 0))
    area_n = int(sum(counts.values()))
    rest_n = area_n - ward_n
    ward_shown = ward_n == 0 or (ward_n >= threshold and (rest_n == 0 or rest_n >= threshold))
    population = sum(w.population for w in area_wards)
    area_tally = tallies(consultation, ResultsFilter(wards=tuple(sorted(area_ids))), _NO_WEIGHTS)
    ward_tally = tallies(consultation, ResultsFilter(wards=(ward.id,)), _NO_WEIGHTS)
    questions = []
    for question in consultation.questions:
        w, a = (
            ward_tally.get(question.id, QuestionTally()),
            area_tally.get(question.id, QuestionTally()),
        )
        items = _items(question, locale)
        if items is not None:
            if question.kind == "multiple_choice":
                rows, wb, ab = _compare_several(items, w, a, threshold)
            else:
                rows, wb, ab = _compare_exclusive(items, w, a, threshold)
            questions.append(WardQuestion(question, "shares", rows, wb, ab))
        elif question.kind in ("ranking", "points", "number"):
            rows, wb, ab = _compare_means(question, w, a, threshold, locale)
            questions.append(WardQuestion(question, "means", rows, wb, ab))
    codes, themes, quotes = _coded_text(consultation, ward, threshold, locale)
    return WardConsultation(
        consultation=consultation,
        ward_responses=ward_n if ward_shown else None,
        area_responses=area_n,
        ward_rate=1000 * ward_n / ward.population if ward_shown and ward.population else None,
        area_rate=1000 * area_n / population if population else None,
        questions=tuple(questions),
        top_codes=codes,
        top_themes=themes,
        quotes=quotes,
    )


def _coded_text(
    consultation: Consultation, ward: Area, threshold: int, locale: str
) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], tuple[Quote, ...]]:
    """Top codes and themes of the ward's coded free text, and a representative quote each.

    Only codes and themes tagged on at least ``threshold`` of the ward's answers appear.
    """
    codes = {c.id: c for c in consultation.codes}
    if not codes and not db.session.scalar(
        select(answer_themes.c.answer_id)
        .where(answer_themes.c.consultation_id == consultation.id)
        .limit(1)
    ):
        return (), (), ()
    # Each query starts from the consultation's tags (small), never from its answers.
    code_rows = db.session.execute(
        select(answer_codes.c.code_id, func.count())
        .select_from(FrameCode)
        .join(answer_codes, answer_codes.c.code_id == FrameCode.id)
        .join(Answer, Answer.id == answer_codes.c.answer_id)
        .where(FrameCode.consultation_id == consultation.id, Answer.ward_id == ward.id)
        .group_by(answer_codes.c.code_id)
    ).all()
    ranked = sorted(
        ((codes[cid], int(n)) for cid, n in code_rows if cid in codes and n >= threshold),
        key=lambda cn: (-cn[1], cn[0].position),
    )[:TOP]
    theme_counts: dict[int, set[int]] = {}
    for answer_id, theme_id in db.session.execute(
        select(answer_themes.c.answer_id, answer_themes.c.theme_id)
        .join(Answer, Answer.id == answer_themes.c.answer_id)
        .where(answer_themes.c.consultation_id == consultation.id, Answer.ward_id == ward.id)
    ):
        theme_counts.setdefault(theme_id, set()).add(answer_id)
    for answer_id, theme_id in db.session.execute(
        select(answer_codes.c.answer_id, FrameCode.theme_id)
        .select_from(FrameCode)
        .join(answer_codes, answer_codes.c.code_id == FrameCode.id)
        .join(Answer, Answer.id == answer_codes.c.answer_id)
        .where(
            FrameCode.consultation_id == consultation.id,
            Answer.ward_id == ward.id,
            FrameCode.theme_id.is_not(None),
        )
    ):
        theme_counts.setdefault(theme_id, set()).add(answer_id)
    theme_objects = {
        t.id: t for t in db.session.scalars(select(Theme).where(Theme.id.in_(list(theme_counts))))
    }
    themes = sorted(
        (
            (theme_objects[tid].display_name(locale), len(ids))
            for tid, ids in theme_counts.items()
            if tid in theme_objects and len(ids) >= threshold
        ),
        key=lambda tn: (-tn[1], tn[0]),
    )[:TOP]
    quotes = []
    for code, _n in ranked:
        texts = db.session.scalars(
            select(Answer.text)
            .join(answer_codes, answer_codes.c.answer_id == Answer.id)
            .where(
                answer_codes.c.code_id == code.id,
                Answer.ward_id == ward.id,
                Answer.text.is_not(None),
            )
            .order_by(Answer.id)
        ).all()
        if not texts:
            continue
        vectors = grouping.tfidf_vectors([t or "" for t in texts])
        best = grouping.representative(vectors, list(range(len(texts))))
        quotes.append(Quote(code.display_name(locale), _shorten(texts[best] or "")))
    return (
        tuple((c.display_name(locale), n) for c, n in ranked),
        tuple(themes),
        tuple(quotes),
    )


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUOTE_LENGTH:
        return text
    cut = text[:QUOTE_LENGTH].rsplit(" ", 1)[0]
    return cut + "…"


def ward_feedback(ward: Area, threshold: int, locale: str) -> list[WardConsultation]:
    return [ward_consultation(c, ward, threshold, locale) for c in consultations_reaching(ward)]
