"""Results of a consultation: SQL aggregates, raking weights and disclosure control.

Speed: answer counts come from the running tallies (models.Tally), which the same transaction
that writes answers keeps up to date, so they are never stale and a consultation with 100,000
responses needs a GROUP BY over a few thousand rows, not 1.6 million. Filters by ethnic group
or disability (not in the tallies) group the answers themselves, through the covering index
``ix_consultation_answers_results``. Weighting needs only the respondents per (age band, sex)
cell (models.ResponseTally, kept the same way), since every respondent in a cell gets the same
raking weight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.consultations.labels import EQUALITY_CATEGORIES, PREFER_NOT_TO_SAY, equality_label
from engage.consultations.models import (
    Answer,
    Consultation,
    FrameCode,
    Question,
    Response,
    ResponseStatus,
    ResponseTally,
    Tally,
    answer_codes,
)
from engage.consultations.question_types import ItemTally, QuestionTally, ResultRow, Summary
from engage.disclosure import suppress_series, suppress_table
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, AreaProfileCount
from engage.weighting import CodedColumn, rake

WEIGHTING_FEATURES = ("age_band", "sex")
# Respondents are 16 or over: the under-16 census band is not a weighting target (an
# under-16 respondent keeps their weight on the age margin).
WEIGHTING_EXCLUDED = {("age_band", "0-15")}
WEIGHT_CAP = 5.0
FILTER_FEATURES = ("age_band", "sex", "ethnicity", "disability")

Cell = tuple[str | None, str | None]


@dataclass(frozen=True)
class ResultsFilter:
    """Which respondents to count: an area (ward or district) and one demographic group."""

    area: Area | None = None
    group: tuple[str, str] | None = None
    # An explicit list of wards (used instead of ``area`` when given).
    wards: tuple[int, ...] | None = None

    @property
    def ward_ids(self) -> tuple[int, ...] | None:
        if self.wards is not None:
            return self.wards
        if self.area is None:
            return None
        return tuple(sorted(w.id for w in self.area.wards()))

    @property
    def is_empty(self) -> bool:
        return self.area is None and self.group is None and self.wards is None


@dataclass(frozen=True)
class Weighting:
    """How the weighted figures were made, in plain numbers the page states."""

    applied: bool
    cell_weights: dict[Cell, float]
    respondents: int
    effective_sample_size: float = 0.0
    design_effect: float = 1.0
    converged: bool = True
    iterations: int = 0
    area_names: tuple[str, ...] = ()
    missing: dict[str, int] = field(default_factory=dict)
    reason: str | None = None

    def weight(self, age_band: str | None, sex: str | None) -> float:
        return self.cell_weights.get((age_band, sex), 1.0)


@dataclass(frozen=True)
class ProfileRow:
    category: str
    label: str
    count: int | None
    share: float | None
    population_share: float | None


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    summary: Summary
    codes: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class ConsultationResults:
    consultation: Consultation
    results_filter: ResultsFilter
    respondents: int | None
    respondents_suppressed: bool
    questions: tuple[QuestionResult, ...]
    weighting: Weighting
    profile: dict[str, tuple[ProfileRow, ...]]
    threshold: int


# ------------------------------------------------------------------- areas and targets


def consultation_wards(consultation: Consultation) -> list[Area]:
    """The wards a consultation reaches: those it names, else every ward of its partnership."""
    if consultation.wards:
        return list(consultation.wards)
    wards: dict[int, Area] = {}
    for area in consultation.partnership.areas:
        for ward in area.wards():
            wards[ward.id] = ward
    return sorted(wards.values(), key=lambda w: w.name)


def consultation_districts(consultation: Consultation) -> list[Area]:
    districts = {
        w.parent.id: w.parent
        for w in consultation_wards(consultation)
        if w.parent is not None and w.parent.level == AreaLevel.DISTRICT
    }
    return sorted(districts.values(), key=lambda d: d.name)


def census_targets(ward_ids: Iterable[int]) -> dict[str, dict[str, float]]:
    """Census counts per category of the weighting features, summed over the wards."""
    ids = list(ward_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            AreaProfileCount.feature, AreaProfileCount.category, func.sum(AreaProfileCount.count)
        )
        .where(
            AreaProfileCount.area_id.in_(ids),
            AreaProfileCount.feature.in_(WEIGHTING_FEATURES),
        )
        .group_by(AreaProfileCount.feature, AreaProfileCount.category)
    ).all()
    targets: dict[str, dict[str, float]] = {}
    for feature, category, count in rows:
        if (feature, category) in WEIGHTING_EXCLUDED or not count:
            continue
        targets.setdefault(feature, {})[category] = float(count)
    return targets


def _area_filter_ward_ids(consultation: Consultation, results_filter: ResultsFilter) -> list[int]:
    ids = results_filter.ward_ids
    if ids is not None:
        return list(ids)
    return [w.id for w in consultation_wards(consultation)]


# ------------------------------------------------------------------- queries


def _responses_where(
    statement: Any, consultation: Consultation, ward_ids: Sequence[int] | None
) -> Any:
    statement = statement.where(
        Response.consultation_id == consultation.id,
        Response.status == ResponseStatus.SUBMITTED,
    )
    if ward_ids is not None:
        statement = statement.where(Response.ward_id.in_(ward_ids))
    return statement


def _cell_rows(consultation: Consultation) -> list[tuple[str | None, str | None, int | None, int]]:
    """Submitted responses per (age band, sex, ward), from the running response tallies."""
    rows = db.session.execute(
        select(
            ResponseTally.age_band,
            ResponseTally.sex,
            ResponseTally.ward_id,
            ResponseTally.responses,
        ).where(ResponseTally.consultation_id == consultation.id, ResponseTally.responses > 0)
    )
    return [(age or None, sex or None, ward or None, int(n)) for age, sex, ward, n in rows]


def response_cells(consultation: Consultation, ward_ids: Sequence[int] | None) -> dict[Cell, int]:
    """Submitted responses per (age band, sex) cell, within the area filter."""
    wanted = set(ward_ids) if ward_ids is not None else None
    cells: dict[Cell, int] = defaultdict(int)
    for age, sex, ward_id, n in _cell_rows(consultation):
        if wanted is None or ward_id in wanted:
            cells[(age, sex)] += n
    return dict(cells)


def responses_by_ward(consultation: Consultation) -> dict[int | None, int]:
    """Submitted responses per ward (None: no ward given)."""
    counts: dict[int | None, int] = defaultdict(int)
    for _age, _sex, ward_id, n in _cell_rows(consultation):
        counts[ward_id] += n
    return dict(counts)


def _answers_filtered(
    statement: Any,
    consultation: Consultation,
    results_filter: ResultsFilter,
    *,
    scoped: bool = True,
) -> Any:
    """Restrict answers to the filter; ``scoped=False`` when the statement already limits
    itself to the consultation some other way."""
    if scoped:
        statement = statement.where(Answer.consultation_id == consultation.id)
    ward_ids = results_filter.ward_ids
    if ward_ids is not None:
        statement = statement.where(Answer.ward_id.in_(ward_ids))
    if results_filter.group is not None:
        feature, category = results_filter.group
        if feature == "age_band":
            statement = statement.where(Answer.age_band == category)
        elif feature == "sex":
            statement = statement.where(Answer.sex == category)
        else:
            column = getattr(Response, feature)
            chosen = select(Response.id).where(
                Response.consultation_id == consultation.id,
                Response.status == ResponseStatus.SUBMITTED,
                column == category,
            )
            statement = statement.where(Answer.response_id.in_(chosen))
    return statement


def tallies(
    consultation: Consultation, results_filter: ResultsFilter, weighting: Weighting
) -> dict[int, QuestionTally]:
    """Raw and weighted counts and sums per question and item.

    Read from the running tallies (a few thousand rows at most) unless the filter is a group
    the tallies do not break down by (ethnic group, disability): those group the answers
    themselves, for the respondents in the group.
    """
    group = results_filter.group
    if group is not None and group[0] not in ("age_band", "sex"):
        return _tallies_from_answers(consultation, results_filter, weighting)
    statement = (
        select(
            Tally.question_id,
            Tally.item,
            Tally.age_band,
            Tally.sex,
            func.sum(Tally.answers),
            func.sum(Tally.number_sum),
        )
        .where(Tally.consultation_id == consultation.id)
        .group_by(Tally.question_id, Tally.item, Tally.age_band, Tally.sex)
    )
    ward_ids = results_filter.ward_ids
    if ward_ids is not None:
        statement = statement.where(Tally.ward_id.in_(ward_ids))
    if group is not None:
        statement = statement.where(getattr(Tally, group[0]) == group[1])
    rows = (
        (question_id, item, age_band or None, sex or None, count, number_sum)
        for question_id, item, age_band, sex, count, number_sum in db.session.execute(statement)
    )
    return _accumulate(rows, weighting)


def _tallies_from_answers(
    consultation: Consultation, results_filter: ResultsFilter, weighting: Weighting
) -> dict[int, QuestionTally]:
    statement = _answers_filtered(
        select(
            Answer.question_id,
            Answer.item,
            Answer.age_band,
            Answer.sex,
            func.count(),
            func.sum(Answer.number),
        ),
        consultation,
        results_filter,
    ).group_by(Answer.question_id, Answer.item, Answer.age_band, Answer.sex)
    return _accumulate(db.session.execute(statement), weighting)


def _accumulate(rows: Iterable[Any], weighting: Weighting) -> dict[int, QuestionTally]:
    result: dict[int, QuestionTally] = defaultdict(QuestionTally)
    for question_id, item, age_band, sex, count, number_sum in rows:
        if not count:
            continue
        w = weighting.weight(age_band, sex)
        tally = result[question_id].items.setdefault(item, ItemTally())
        tally.count += count
        tally.weighted += count * w
        if number_sum is not None:
            tally.number_sum += number_sum
            tally.weighted_number_sum += number_sum * w
    return result


def code_counts(
    consultation: Consultation, results_filter: ResultsFilter
) -> dict[int, dict[int, int]]:
    """Coded free-text answers: question id → code id → answers tagged with it."""
    if not consultation.codes:
        return {}
    # Driven from the consultation's codes (a small table), never a scan of its answers.
    statement = _answers_filtered(
        select(Answer.question_id, answer_codes.c.code_id, func.count())
        .select_from(FrameCode)
        .join(answer_codes, answer_codes.c.code_id == FrameCode.id)
        .join(Answer, Answer.id == answer_codes.c.answer_id)
        .where(FrameCode.consultation_id == consultation.id),
        consultation,
        results_filter,
        scoped=False,
    ).group_by(Answer.question_id, answer_codes.c.code_id)
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, code_id, count in db.session.execute(statement):
        result[question_id][code_id] = int(count)
    return result


# ------------------------------------------------------------------- weighting


def compute_weighting(
    cells: dict[Cell, int], targets: dict[str, dict[str, float]], area_names: tuple[str, ...]
) -> Weighting:
    """Raking weights per cell (Deming-Stephan IPF, weights capped at 5 x the mean)."""
    n = sum(cells.values())
    usable = {f: t for f, t in targets.items() if t and sum(t.values()) > 0}
    if n == 0 or not usable:
        return Weighting(
            applied=False,
            cell_weights={},
            respondents=n,
            reason="no_respondents" if n == 0 else "no_census_profile",
        )
    ordered = sorted(cells.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1])))
    counts = np.array([count for _cell, count in ordered], dtype=np.intp)
    columns: dict[str, CodedColumn] = {}
    for position, feature in enumerate(WEIGHTING_FEATURES):
        categories = tuple(sorted({str(c[position]) for c, _n in ordered if c[position]}))
        index = {category: i for i, category in enumerate(categories)}
        per_cell = np.array(
            [index[str(c[position])] if c[position] else -1 for c, _n in ordered], dtype=np.intp
        )
        columns[feature] = CodedColumn(np.repeat(per_cell, counts), categories)
    result = rake(columns, usable, cap=WEIGHT_CAP if n > 1 else None, max_iterations=200)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    cell_weights = {
        cell: float(result.weights[start])
        for (cell, _n), start in zip(ordered, starts, strict=True)
    }
    missing = {m.variable: m.missing + sum(c for _cat, c in m.unmatched) for m in result.margins}
    return Weighting(
        applied=True,
        cell_weights=cell_weights,
        respondents=n,
        effective_sample_size=result.effective_sample_size,
        design_effect=result.design_effect,
        converged=result.converged,
        iterations=result.iterations,
        area_names=area_names,
        missing=missing,
    )


# ------------------------------------------------------------------- the whole page


def _profile(
    cells: dict[Cell, int], targets: dict[str, dict[str, float]], threshold: int,
    wider: Sequence[dict[Cell, int]] = (),
) -> dict[str, tuple[ProfileRow, ...]]:
    """Who responded, by age band and sex, against the census share (a count is hidden too
    where a wider view's count minus it would be small)."""
    profile: dict[str, tuple[ProfileRow, ...]] = {}
    for position, feature in enumerate(WEIGHTING_FEATURES):
        categories = [*EQUALITY_CATEGORIES[feature], None]
        counts = [
            sum(n for cell, n in cells.items() if cell[position] == category)
            for category in categories
        ]
        total = sum(counts)
        if total == 0:
            continue
        published = suppress_series(counts, threshold)
        hidden = {i for i, count in enumerate(published.cells) if count is None}
        for other in wider:
            rest = [
                max(sum(n for cell, n in other.items() if cell[position] == category) - mine, 0)
                for category, mine in zip(categories, counts, strict=True)
            ]
            pattern = suppress_table([counts, rest], threshold)
            hidden |= {i for i, count in enumerate(pattern.cells[0]) if count is None}
        if hidden and len(hidden) < len(counts) and published.total is not None:
            # A single hidden count would be the total minus the rest.
            hidden = hidden if len(hidden) > 1 else hidden | {
                min((i for i in range(len(counts)) if i not in hidden),
                    key=lambda i: (counts[i] == 0, counts[i]))
            }
        target = targets.get(feature, {})
        target_total = sum(target.values())
        rows = []
        for index, (category, count) in enumerate(zip(categories, published.cells, strict=True)):
            count = None if index in hidden else count
            population = target.get(category) if category else None
            rows.append(
                ProfileRow(
                    category=category or "",
                    label=equality_label(feature, category),
                    count=count,
                    share=count / total if count is not None and published.total else None,
                    population_share=(
                        population / target_total if population and target_total else None
                    ),
                )
            )
        profile[feature] = tuple(rows)
    return profile


def consultation_results(
    consultation: Consultation,
    results_filter: ResultsFilter,
    threshold: int,
    locale: str,
) -> ConsultationResults:
    """Every question's results, raw and weighted, with small counts suppressed."""
    ward_ids = _area_filter_ward_ids(consultation, results_filter)
    area_ids = list(results_filter.ward_ids) if results_filter.ward_ids is not None else None
    cells = response_cells(consultation, area_ids)
    targets = census_targets(ward_ids)
    names = (results_filter.area.display_name(locale),) if results_filter.area else ()
    weighting = compute_weighting(cells, targets, names)
    counted = tallies(consultation, results_filter, weighting)
    codes = code_counts(consultation, results_filter)
    if results_filter.group is None:
        respondents = sum(cells.values())
    else:
        respondents = _group_respondents(consultation, results_filter, cells)
    respondents_suppressed = 0 < respondents < threshold
    labels = {c.id: c.display_name(locale) for c in consultation.codes}
    # The same respondents seen through a wider filter (the whole consultation, the ward's
    # district, the area without the group...): a filtered figure is published only where
    # the wider figure minus it is not a small count (see _protect_from_differencing).
    wider = [
        (tallies(consultation, parent, weighting), code_counts(consultation, parent),
         _respondents_in(consultation, parent))
        for parent in _wider_filters(consultation, results_filter)
    ]
    for _tallies, _codes, parent_respondents in wider:
        if 0 < parent_respondents - respondents < threshold:
            respondents_suppressed = True
    questions = []
    for question in consultation.questions:
        tally = counted.get(question.id, QuestionTally())
        summary = question.type.summarise(question, tally, threshold, locale)
        for parent_tallies, _codes, _n in wider:
            summary = _protect_from_differencing(
                summary, tally, parent_tallies.get(question.id, QuestionTally()), threshold
            )
        coded: tuple[tuple[str, int | None], ...] = ()
        if question.type.is_free_text and codes.get(question.id):
            ranked = sorted(codes[question.id].items(), key=lambda kv: (-kv[1], kv[0]))
            coded = tuple(
                (
                    labels.get(code_id, "?"),
                    n if n >= threshold and not any(
                        0 < parent.get(question.id, {}).get(code_id, 0) - n < threshold
                        for _t, parent, _n in wider
                    ) else None,
                )
                for code_id, n in ranked
                if code_id in labels
            )
        questions.append(QuestionResult(question, summary, coded))
    return ConsultationResults(
        consultation=consultation,
        results_filter=results_filter,
        respondents=None if respondents_suppressed else respondents,
        respondents_suppressed=respondents_suppressed,
        questions=tuple(questions),
        weighting=weighting,
        profile=_profile(
            cells, targets, threshold,
            wider=[response_cells(consultation, parent.ward_ids)
                   for parent in _wider_filters(consultation, results_filter)],
        ) if results_filter.group is None else {},
        threshold=threshold,
    )


def _wider_filters(consultation: Consultation, chosen: ResultsFilter) -> list[ResultsFilter]:
    """Every published view that contains the chosen one (none for the unfiltered view)."""
    if chosen.is_empty:
        return []
    wider = [ResultsFilter()]
    if chosen.group is not None and (chosen.area is not None or chosen.wards is not None):
        wider.append(ResultsFilter(group=chosen.group))
        wider.append(ResultsFilter(area=chosen.area, wards=chosen.wards))
    area = chosen.area
    districts = {d.id for d in consultation_districts(consultation)}
    if area is not None and area.parent_id in districts and area.parent is not None:
        wider.append(ResultsFilter(area=area.parent))
        if chosen.group is not None:
            wider.append(ResultsFilter(area=area.parent, group=chosen.group))
    return wider


def _respondents_in(consultation: Consultation, results_filter: ResultsFilter) -> int:
    cells = response_cells(consultation, results_filter.ward_ids)
    if results_filter.group is None:
        return sum(cells.values())
    return _group_respondents(consultation, results_filter, cells)


def _protect_from_differencing(
    summary: Summary, tally: QuestionTally, wider: QuestionTally, threshold: int
) -> Summary:
    """Hide the filtered figures that, taken from the wider view's, would leave a small count.

    The filtered counts and the rest (wider minus filtered) form a two-row table whose
    column totals the wider view publishes; that table is suppressed as one system and its
    pattern applied to the filtered row, on top of the filtered view's own suppression.
    """
    base, wider_base = _answered(tally), _answered(wider)
    base_hidden = summary.base_suppressed or 0 < wider_base - base < threshold
    rows = list(summary.rows)
    counted = [i for i, row in enumerate(rows) if row.count is not None]
    if counted:
        mine = [tally.get(rows[i].code).count for i in counted]
        rest = [max(wider.get(rows[i].code).count - n, 0) for i, n in zip(counted, mine, strict=True)]
        pattern = suppress_table([mine, rest], threshold)
        base_hidden = base_hidden or pattern.row_totals[0] is None
        for position, i in enumerate(counted):
            if pattern.cells[0][position] is None or base_hidden:
                rows[i] = ResultRow(rows[i].code, rows[i].label, None, suppressed=True)
    if base_hidden and not summary.base_suppressed:
        rows = [
            ResultRow(r.code, r.label, None, suppressed=True) if r.value is not None else r
            for r in rows
        ]
        return Summary(summary.template, None, True, tuple(rows), value_label=summary.value_label,
                       extra=summary.extra)
    if rows == list(summary.rows):
        return summary
    return Summary(summary.template, summary.base, summary.base_suppressed, tuple(rows),
                   summary.mean, summary.weighted_mean, summary.value_label, summary.extra)


def _answered(tally: QuestionTally) -> int:
    """How many answered: the head item where the type keeps one, else the items' sum."""
    head = tally.items.get("")
    if head is not None:
        return head.count
    return sum(item.count for item in tally.items.values())


def _group_respondents(
    consultation: Consultation, results_filter: ResultsFilter, cells: dict[Cell, int]
) -> int:
    assert results_filter.group is not None
    feature, category = results_filter.group
    if feature in WEIGHTING_FEATURES:
        position = WEIGHTING_FEATURES.index(feature)
        return sum(n for cell, n in cells.items() if cell[position] == category)
    statement = (
        _responses_where(select(Response.ward_id, func.count()), consultation, None)
        .where(getattr(Response, feature) == category)
        .group_by(Response.ward_id)
    )
    wanted = results_filter.ward_ids
    return sum(
        int(n)
        for ward_id, n in db.session.execute(statement)
        if wanted is None or ward_id in wanted
    )


def filter_groups() -> list[tuple[str, str, str]]:
    """(feature, category, label) choices for the demographic filter."""
    from engage.partnerships.labels import feature_label

    choices = []
    for feature in FILTER_FEATURES:
        for category in EQUALITY_CATEGORIES[feature]:
            if category == PREFER_NOT_TO_SAY:
                continue
            choices.append(
                (
                    feature,
                    category,
                    f"{feature_label(feature)}: {equality_label(feature, category)}",
                )
            )
    return choices


def respondent_count(consultation: Consultation) -> int:
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


def weighting_method_text(weighting: Weighting) -> str:
    """The method statement shown beside weighted figures."""
    if not weighting.applied:
        if weighting.reason == "no_census_profile":
            return str(
                _(
                    "Weighted figures equal the raw figures: there is no census profile for this area."
                )
            )
        return str(_("There are no responses to weight yet."))
    return str(
        _(
            "Weighted figures are raked (iterative proportional fitting) so that respondents match "
            "the census profile of residents aged 16 and over in the area by age band and by sex. "
            "No respondent counts for more than %(cap)d times the average. Respondents who did not "
            "give their age band or sex keep their weight for that item.",
            cap=int(WEIGHT_CAP),
        )
    )
