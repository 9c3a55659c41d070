"""Partners' datasets as evidence (``intelligence:question:<id>``), one source per question.

Only datasets shared with the partnership (or public) count: a dataset its organisation keeps
to itself never reaches the priorities pages. Only questions and indicators mapped to an SCS
theme are used, and a dataset counts from the end of its fieldwork.

* Respondent-level questions on an agree or satisfied scale: each person counts 1 if they
  disagree or are dissatisfied, 0 if they agree, are satisfied or neither; "don't know" is
  left out (measures ``disagree`` and ``dissatisfied``). Statements are taken to be worded
  positively ("I feel safe after dark"), as they usually are. Each respondent's ward and the
  demographics mapped to census features (age band, sex, tenure...) are used for raking.
* Aggregate indicators in per cent with a base: 100% minus the figure (``not_positive``),
  on the same assumption that the published figure is a "% positive" one. Counts, rates and
  scores are not shares of people and are not used.

Coordinators can set any source's weight to 0 where an assumption does not hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date

import numpy as np
from flask import has_request_context, url_for
from sqlalchemy import select

from engage.extensions import db
from engage.intelligence.mapping import DatasetShape, Scale, Unit, group_of
from engage.intelligence.models import (
    Dataset,
    DatasetAnswer,
    DatasetDemographic,
    DatasetIndicatorValue,
    DatasetQuestion,
    DatasetStatus,
    DatasetValue,
    QuestionKind,
    Sharing,
)
from engage.partnerships.models import Area, Partnership
from engage.priorities.aggregate import (
    EvidenceItem,
    RespondentSample,
    RespondentValues,
    SourceKind,
)
from engage.priorities.evidence import (
    SourceDescription,
    partnership_family_ids,
    register_evidence_source,
)
from engage.priorities.models import Measure
from engage.weighting import CodedColumn

NAME = "intelligence"
MEASURES = {Scale.AGREE: Measure.DISAGREE, Scale.SATISFIED: Measure.DISSATISFIED}


def _when(dataset: Dataset) -> date | None:
    if dataset.fieldwork_end:
        return dataset.fieldwork_end
    if dataset.fieldwork_start:
        return dataset.fieldwork_start
    return dataset.imported_at.date() if dataset.imported_at else None


def _datasets(partnership: Partnership, as_of: date) -> list[tuple[Dataset, date]]:
    found = []
    for dataset in db.session.scalars(
        select(Dataset)
        .where(
            Dataset.partnership_id.in_(partnership_family_ids(partnership)),
            Dataset.status == DatasetStatus.READY,
            Dataset.current_version > 0,
            Dataset.sharing != Sharing.ORGANISATION,
        )
        .order_by(Dataset.id)
    ):
        when = _when(dataset)
        if when is not None and when <= as_of:
            found.append((dataset, when))
    return found


def _questions(dataset: Dataset, kind: QuestionKind) -> list[DatasetQuestion]:
    return list(
        db.session.scalars(
            select(DatasetQuestion)
            .where(
                DatasetQuestion.dataset_id == dataset.id,
                DatasetQuestion.version == dataset.current_version,
                DatasetQuestion.kind == kind,
            )
            .order_by(DatasetQuestion.position, DatasetQuestion.id)
        )
    )


def _points(question_ids: list[int]) -> dict[tuple[int, int], str | None]:
    if not question_ids:
        return {}
    return {
        (v.question_id, v.code): v.point
        for v in db.session.scalars(
            select(DatasetValue).where(DatasetValue.question_id.in_(question_ids))
        )
    }


class IntelligenceSource:
    """Partners' surveys (respondent-level) and indicators (aggregate)."""

    name = NAME

    def collect(self, partnership: Partnership, as_of: date) -> list[EvidenceItem]:
        wards = {
            a.id: a.gss_code for a in db.session.scalars(select(Area).where(Area.level == "ward"))
        }
        areas = {a.id: a.gss_code for a in db.session.scalars(select(Area))}
        items: list[EvidenceItem] = []
        for dataset, when in _datasets(partnership, as_of):
            if dataset.shape == DatasetShape.RESPONDENT:
                items.extend(self._respondents(dataset, when, wards))
            else:
                items.extend(self._indicators(dataset, when, areas))
        return items

    def evidence_version(self, partnership: Partnership, as_of: date) -> str:
        """Changes with the shared datasets, their current versions and theme mappings."""
        datasets = _datasets(partnership, as_of)
        parts: list[object] = [
            [
                (
                    d.id,
                    d.current_version,
                    d.sharing.value,
                    d.status.value,
                    when,
                    d.imported_at,
                    d.updated_at,
                )
                for d, when in datasets
            ]
        ]
        current = {d.id: d.current_version for d, _ in datasets}
        if current:
            parts.append(
                [
                    row
                    for row in db.session.execute(
                        select(
                            DatasetQuestion.id,
                            DatasetQuestion.dataset_id,
                            DatasetQuestion.version,
                            DatasetQuestion.theme_id,
                            DatasetQuestion.scale,
                            DatasetQuestion.unit,
                            DatasetQuestion.feature,
                        )
                        .where(DatasetQuestion.dataset_id.in_(list(current)))
                        .order_by(DatasetQuestion.id)
                    ).all()
                    if current.get(row.dataset_id) == row.version
                ]
            )
        return repr(parts)

    def _respondents(
        self, dataset: Dataset, when: date, wards: Mapping[int, str]
    ) -> list[EvidenceItem]:
        questions = [
            q
            for q in _questions(dataset, QuestionKind.QUESTION)
            if q.theme is not None and q.scale in MEASURES
        ]
        if not questions:
            return []
        demographics = [q for q in _questions(dataset, QuestionKind.DEMOGRAPHIC) if q.feature]
        points = _points([q.id for q in questions + demographics])
        answers = db.session.execute(
            select(
                DatasetAnswer.question_id,
                DatasetAnswer.respondent_no,
                DatasetAnswer.ward_id,
                DatasetAnswer.value_code,
            ).where(
                DatasetAnswer.dataset_id == dataset.id,
                DatasetAnswer.version == dataset.current_version,
                DatasetAnswer.question_id.in_([q.id for q in questions]),
            )
        ).all()
        respondents = sorted({a.respondent_no for a in answers})
        row_of = {r: i for i, r in enumerate(respondents)}
        ward_of = np.full(len(respondents), -1, dtype=np.int64)
        for a in answers:
            if a.ward_id in wards:
                ward_of[row_of[a.respondent_no]] = a.ward_id
        # Demographic columns coded to the census categories the mapping gave them.
        columns: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
        if demographics:
            found: dict[int, dict[int, str]] = defaultdict(dict)
            for d in db.session.execute(
                select(
                    DatasetDemographic.question_id,
                    DatasetDemographic.respondent_no,
                    DatasetDemographic.value_code,
                ).where(
                    DatasetDemographic.dataset_id == dataset.id,
                    DatasetDemographic.version == dataset.current_version,
                )
            ):
                point = points.get((d.question_id, d.value_code))
                if point and d.respondent_no in row_of:
                    found[d.question_id][row_of[d.respondent_no]] = point
            for question in demographics:
                values = found.get(question.id, {})
                categories = tuple(sorted(set(values.values())))
                if not categories:
                    continue
                codes = np.full(len(respondents), -1, dtype=np.intp)
                for row, point in values.items():
                    codes[row] = categories.index(point)
                columns[str(question.feature)] = (codes, categories)
        values_of: dict[int, np.ndarray] = {
            q.id: np.full(len(respondents), np.nan) for q in questions
        }
        for a in answers:
            group = group_of(points.get((a.question_id, a.value_code)))
            if group is None or group.value == "dont_know":
                continue
            values_of[a.question_id][row_of[a.respondent_no]] = (
                1.0 if group.value == "negative" else 0.0
            )
        items: list[EvidenceItem] = []
        for ward_id in sorted(set(ward_of[ward_of >= 0].tolist())):
            rows = np.flatnonzero(ward_of == ward_id)
            sample = RespondentSample(
                {f: CodedColumn(codes[rows], cats) for f, (codes, cats) in sorted(columns.items())}
            )
            for question in questions:
                chosen = values_of[question.id][rows]
                answered = chosen[~np.isnan(chosen)]
                if answered.size == 0:
                    continue
                assert question.theme is not None
                items.append(
                    EvidenceItem(
                        source_id=f"{NAME}:question:{question.id}",
                        source_kind=SourceKind.PARTNER_DATASET,
                        theme_id=question.theme.slug,
                        area_id=wards[int(ward_id)],
                        measure=MEASURES[question.scale].value,
                        value=float(answered.mean()),
                        base=int(answered.size),
                        date=when,
                        is_respondent_level=True,
                        respondents=RespondentValues(sample, chosen) if columns else None,
                    )
                )
        return items

    def _indicators(
        self, dataset: Dataset, when: date, areas: Mapping[int, str]
    ) -> list[EvidenceItem]:
        questions = {
            q.id: q
            for q in _questions(dataset, QuestionKind.INDICATOR)
            if q.theme is not None and q.unit == Unit.PERCENT
        }
        if not questions:
            return []
        items: list[EvidenceItem] = []
        for value in db.session.scalars(
            select(DatasetIndicatorValue)
            .where(
                DatasetIndicatorValue.dataset_id == dataset.id,
                DatasetIndicatorValue.version == dataset.current_version,
                DatasetIndicatorValue.question_id.in_(list(questions)),
            )
            .order_by(DatasetIndicatorValue.id)
        ):
            question = questions[value.question_id]
            if not value.base or value.area_id not in areas or not 0.0 <= value.value <= 100.0:
                continue
            assert question.theme is not None
            items.append(
                EvidenceItem(
                    source_id=f"{NAME}:question:{question.id}",
                    source_kind=SourceKind.PARTNER_DATASET,
                    theme_id=question.theme.slug,
                    area_id=areas[value.area_id],
                    measure=Measure.NOT_POSITIVE.value,
                    value=round(1.0 - value.value / 100.0, 6),
                    base=int(value.base),
                    date=when,
                )
            )
        return items

    def describe(
        self, partnership: Partnership, source_ids: Collection[str]
    ) -> Mapping[str, SourceDescription]:
        ids = [int(s.rsplit(":", 1)[1]) for s in source_ids if s.startswith(f"{NAME}:question:")]
        out: dict[str, SourceDescription] = {}
        for question in db.session.scalars(
            select(DatasetQuestion).where(DatasetQuestion.id.in_(ids))
        ):
            dataset = question.dataset
            source_id = f"{NAME}:question:{question.id}"
            url = None
            if has_request_context():
                url = url_for(
                    "intelligence.dataset", slug=dataset.partnership.slug, dataset_id=dataset.id
                )
            out[source_id] = SourceDescription(
                source_id=source_id,
                title=f"{dataset.title}: {question.text}",
                kind=SourceKind.PARTNER_DATASET,
                detail=dataset.method,
                url=url,
                organisation_id=dataset.organisation_id,
                organisation=dataset.organisation.name,
            )
        return out


register_evidence_source(IntelligenceSource())
