"""The adapters of the evidence domains that exist: consultations and partner intelligence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import engage.consultations.models as consultations
from engage.core.time import utcnow
from engage.extensions import db
from engage.priorities.aggregate import SourceKind
from engage.priorities.pipeline import compute_priorities, today


def _respond(consultation, answers: dict[int, object], ward, age: str, sex: str) -> None:
    from engage.consultations import operations

    now = utcnow()
    response = operations.start_response(consultation, None, now)
    operations.save_draft(
        response,
        now,
        answers={str(k): v for k, v in answers.items()},
        about={"ward_id": ward.id, "age_band": age, "sex": sex},
    )
    operations.submit_response(response, now)


@pytest.fixture
def consulted(small):
    """Four people rank themes and write comments; one comment is coded to housing."""
    from engage.consultations.models import FrameCode, Question, answer_codes
    from tests.factories import make_consultation

    theme = small.partnership.themes[0]
    consultation = make_consultation(small.partnership, opened_at=utcnow() - timedelta(days=1))
    single, text = consultation.questions
    ranking = Question(
        consultation_id=consultation.id,
        page=1,
        position=3,
        kind="ranking",
        text="Rank these",
        settings={
            "options": [
                {"code": "o1", "text": "Housing", "text_cy": ""},
                {"code": "o2", "text": theme.name, "text_cy": ""},
                {"code": "o3", "text": "Something else", "text_cy": ""},
            ]
        },
    )
    db.session.add(ranking)
    db.session.flush()
    db.session.expire(consultation, ["questions"])
    people = [
        (small.w1, "25-44", "female", {"o1": 1, "o2": 2, "o3": 3}, "Homes cost too much"),
        (small.w1, "65-74", "male", {"o1": 2, "o2": 1, "o3": 3}, "Buses"),
        (small.w2, "45-64", "female", {"o1": 1, "o2": 3, "o3": 2}, "Rent is too high"),
        (small.w2, "16-24", "male", {"o1": 3, "o2": 2, "o3": 1}, "Nothing to do"),
    ]
    for ward, age, sex, ranks, comment in people:
        _respond(
            consultation, {single.id: "o1", text.id: comment, ranking.id: ranks}, ward, age, sex
        )
    code = FrameCode(
        consultation_id=consultation.id,
        label="Housing costs",
        theme=next(t for t in small.partnership.themes if t.slug == "housing"),
    )
    db.session.add(code)
    db.session.flush()
    coded = [
        a.id
        for a in db.session.query(consultations.Answer).filter(
            consultations.Answer.question_id == text.id,
            consultations.Answer.text.in_(["Homes cost too much", "Rent is too high"]),
        )
    ]
    db.session.execute(answer_codes.insert(), [{"answer_id": i, "code_id": code.id} for i in coded])
    db.session.commit()
    return small, consultation, ranking, text


def test_a_ranking_of_themes_gives_the_share_putting_each_first_per_ward(consulted) -> None:
    from engage.priorities.sources.consultations import ConsultationSource

    small, _consultation, ranking, _text = consulted
    items = [
        i
        for i in ConsultationSource().collect(small.partnership, today())
        if i.source_id == f"consultations:question:{ranking.id}"
    ]
    found = {(i.theme_id, i.area_id): (i.value, i.base) for i in items}
    assert found == {
        ("housing", small.w1.gss_code): (0.5, 2),
        ("housing", small.w2.gss_code): (0.5, 2),
        (small.theme, small.w1.gss_code): (0.5, 2),
        (small.theme, small.w2.gss_code): (0.0, 2),
    }
    assert all(i.is_respondent_level and i.respondents is not None for i in items)
    assert all(
        i.source_kind is SourceKind.CONSULTATION and i.measure == "top_priority" for i in items
    )
    sample = items[0].respondents.sample
    assert set(sample.demographics) == {"age_band", "sex"}


def test_coded_comments_give_the_share_raising_a_theme(consulted) -> None:
    from engage.priorities.sources.consultations import ConsultationSource

    small, _consultation, _ranking, text = consulted
    items = [
        i
        for i in ConsultationSource().collect(small.partnership, today())
        if i.source_id == f"consultations:question:{text.id}"
    ]
    assert {(i.theme_id, i.area_id, i.value, i.measure) for i in items} == {
        ("housing", small.w1.gss_code, 0.5, "mentioned"),
        ("housing", small.w2.gss_code, 0.5, "mentioned"),
    }


def test_consultations_count_in_the_priorities_with_their_description(consulted) -> None:
    small, consultation, ranking, _text = consulted
    picture = compute_priorities(small.partnership)
    score = picture.result.get("housing", small.root)
    assert score is not None
    assert f"consultations:question:{ranking.id}" in {c.source_id for c in score.contributions}
    description = picture.evidence.description(f"consultations:question:{ranking.id}")
    assert description.title == consultation.title and description.detail == "Rank these"


def test_a_consultation_put_to_the_citizens_panel_is_panel_survey_evidence(consulted) -> None:
    from engage.priorities.sources.consultations import ConsultationSource

    small, consultation, ranking, _text = consulted
    consultation.audience = consultations.Audience.PANEL
    db.session.commit()
    items = [
        i
        for i in ConsultationSource().collect(small.partnership, today())
        if i.source_id == f"consultations:question:{ranking.id}"
    ]
    assert items and all(i.source_kind is SourceKind.PANEL_SURVEY for i in items)
    picture = compute_priorities(small.partnership)
    score = picture.result.get("housing", small.root)
    assert score is not None
    assert SourceKind.PANEL_SURVEY in {c.source_kind for c in score.contributions}


def test_responses_after_the_date_asked_for_are_not_used(consulted) -> None:
    from engage.priorities.sources.consultations import ConsultationSource

    small, *_ = consulted
    assert ConsultationSource().collect(small.partnership, today() - timedelta(days=2)) == []


def test_a_draft_consultation_is_not_evidence(small) -> None:
    from engage.consultations.models import ConsultationStatus
    from engage.priorities.sources.consultations import ConsultationSource
    from tests.factories import make_consultation

    make_consultation(small.partnership, status=ConsultationStatus.DRAFT, opened_at=None)
    db.session.commit()
    assert ConsultationSource().collect(small.partnership, today()) == []


# --------------------------------------------------------------------------- intelligence


def _dataset(small, *, shape: str, sharing: str, title: str):
    from engage.intelligence.models import Dataset, DatasetStatus

    dataset = Dataset(
        partnership_id=small.partnership.id,
        organisation_id=small.partnership.organisations[0].id,
        title=title,
        shape=shape,
        sharing=sharing,
        status=DatasetStatus.READY,
        current_version=1,
        next_version=2,
        fieldwork_end=date(2025, 6, 30),
    )
    db.session.add(dataset)
    db.session.flush()
    return dataset


@pytest.fixture
def datasets(small):
    """A satisfaction survey (two wards, sex recorded) and a % indicator, shared; one private."""
    from engage.intelligence.models import (
        DatasetAnswer,
        DatasetDemographic,
        DatasetIndicatorValue,
        DatasetQuestion,
        DatasetValue,
        QuestionKind,
    )

    housing = next(t for t in small.partnership.themes if t.slug == "housing")
    survey = _dataset(small, shape="respondent", sharing="partnership", title="Tenants' survey")
    question = DatasetQuestion(
        dataset_id=survey.id,
        version=1,
        kind=QuestionKind.QUESTION,
        text="Satisfaction with repairs",
        theme_id=housing.id,
        scale="satisfied",
    )
    sex = DatasetQuestion(
        dataset_id=survey.id, version=1, kind=QuestionKind.DEMOGRAPHIC, text="Sex", feature="sex"
    )
    db.session.add_all([question, sex])
    db.session.flush()
    for code, point in enumerate(
        (
            "very_satisfied",
            "satisfied",
            "neither",
            "dissatisfied",
            "very_dissatisfied",
            "dont_know",
        ),
        start=1,
    ):
        db.session.add(DatasetValue(question_id=question.id, code=code, label=point, point=point))
    db.session.add_all(
        [
            DatasetValue(question_id=sex.id, code=1, label="F", point="female"),
            DatasetValue(question_id=sex.id, code=2, label="M", point="male"),
        ]
    )
    # W1: dissatisfied, satisfied, don't know; W2: very dissatisfied, neither.
    answers = [
        (1, small.w1, 4, 1),
        (2, small.w1, 2, 2),
        (3, small.w1, 6, 1),
        (4, small.w2, 5, 2),
        (5, small.w2, 3, 1),
    ]
    for number, ward, code, sex_code in answers:
        db.session.add(
            DatasetAnswer(
                dataset_id=survey.id,
                version=1,
                respondent_no=number,
                question_id=question.id,
                ward_id=ward.id,
                value_code=code,
            )
        )
        db.session.add(
            DatasetDemographic(
                dataset_id=survey.id,
                version=1,
                respondent_no=number,
                question_id=sex.id,
                value_code=sex_code,
            )
        )
    indicators = _dataset(small, shape="aggregate", sharing="public", title="Police figures")
    safe = DatasetQuestion(
        dataset_id=indicators.id,
        version=1,
        kind=QuestionKind.INDICATOR,
        text="% who feel safe after dark",
        theme_id=small.partnership.themes[0].id,
        unit="percent",
    )
    count = DatasetQuestion(
        dataset_id=indicators.id,
        version=1,
        kind=QuestionKind.INDICATOR,
        text="Incidents",
        theme_id=small.partnership.themes[0].id,
        unit="count",
    )
    db.session.add_all([safe, count])
    db.session.flush()
    db.session.add_all(
        [
            DatasetIndicatorValue(
                dataset_id=indicators.id,
                version=1,
                question_id=safe.id,
                area_id=small.w1.id,
                value=70.0,
                base=200,
            ),
            DatasetIndicatorValue(
                dataset_id=indicators.id,
                version=1,
                question_id=safe.id,
                area_id=small.w2.id,
                value=55.0,
                base=None,
            ),
            DatasetIndicatorValue(
                dataset_id=indicators.id,
                version=1,
                question_id=count.id,
                area_id=small.w1.id,
                value=14.0,
                base=None,
            ),
        ]
    )
    private = _dataset(small, shape="aggregate", sharing="organisation", title="Private")
    hidden = DatasetQuestion(
        dataset_id=private.id,
        version=1,
        kind=QuestionKind.INDICATOR,
        text="% private",
        theme_id=housing.id,
        unit="percent",
    )
    db.session.add(hidden)
    db.session.flush()
    db.session.add(
        DatasetIndicatorValue(
            dataset_id=private.id,
            version=1,
            question_id=hidden.id,
            area_id=small.w1.id,
            value=10.0,
            base=500,
        )
    )
    db.session.commit()
    return small, question, safe


def test_a_satisfaction_question_gives_the_share_dissatisfied_weighted_by_ward(datasets) -> None:
    from engage.priorities.sources.intelligence import IntelligenceSource

    small, question, _safe = datasets
    items = IntelligenceSource().collect(small.partnership, today())
    survey = {i.area_id: i for i in items if i.source_id == f"intelligence:question:{question.id}"}
    assert (survey[small.w1.gss_code].value, survey[small.w1.gss_code].base) == (0.5, 2)
    assert (survey[small.w2.gss_code].value, survey[small.w2.gss_code].base) == (0.5, 2)
    assert survey[small.w1.gss_code].measure == "dissatisfied"
    assert set(survey[small.w1.gss_code].respondents.sample.demographics) == {"sex"}
    assert all(i.source_kind is SourceKind.PARTNER_DATASET for i in items)


def test_a_percent_indicator_with_a_base_counts_as_its_complement(datasets) -> None:
    from engage.priorities.sources.intelligence import IntelligenceSource

    small, _question, safe = datasets
    items = [
        i
        for i in IntelligenceSource().collect(small.partnership, today())
        if i.source_id == f"intelligence:question:{safe.id}"
    ]
    assert [(i.area_id, i.value, i.base, i.measure) for i in items] == [
        (small.w1.gss_code, pytest.approx(0.3), 200, "not_positive"),
    ]


def test_a_dataset_its_partner_keeps_to_itself_is_never_evidence(datasets) -> None:
    from engage.priorities.sources.intelligence import IntelligenceSource

    small, *_ = datasets
    titles = {
        d.title
        for d in IntelligenceSource()
        .describe(
            small.partnership,
            [i.source_id for i in IntelligenceSource().collect(small.partnership, today())],
        )
        .values()
    }
    assert titles == {
        "Tenants' survey: Satisfaction with repairs",
        "Police figures: % who feel safe after dark",
    }


def test_a_dataset_counts_from_the_end_of_its_fieldwork(datasets) -> None:
    from engage.priorities.sources.intelligence import IntelligenceSource

    small, *_ = datasets
    assert IntelligenceSource().collect(small.partnership, date(2025, 6, 29)) == []


# --------------------------------------------------------------------------- budgeting


def test_a_ballot_gives_each_theme_its_share() -> None:
    from engage.priorities.sources.budgeting import _shares

    # The share of each ballot given to each theme, as the adapter works it out.
    themes = {"p1": {"housing"}, "p2": {"housing", "transport"}, "p3": {"transport"}}
    assert _shares({"projects": ["p1", "p3"]}, themes, points=False) == {
        "housing": 1.0, "transport": 1.0}
    assert _shares({"projects": ["p1", "p2"], "points": [30, 70]}, themes, points=True) == {
        "housing": 1.0, "transport": 0.7}
    # End to end through the real adapter: tests/budgeting/test_themes.py.
