"""Results: per-type aggregates from the database, weighting worked by hand, suppression."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from engage.consultations import operations
from engage.consultations.models import Consultation, Question
from engage.consultations.results import (
    ResultsFilter,
    census_targets,
    compute_weighting,
    consultation_results,
    response_cells,
)
from engage.core.time import utcnow
from engage.disclosure import Equation, recoverable_cells
from engage.extensions import db
from tests.conftest import sign_in
from tests.consultations.conftest import Place, set_profile

ALL_TYPES: dict[str, dict[str, Any]] = {
    "single_choice": {
        "options": [{"code": "o1", "text": "Parks"}, {"code": "o2", "text": "Buses"}]
    },
    "multiple_choice": {
        "options": [{"code": "o1", "text": "Parks"}, {"code": "o2", "text": "Buses"}],
        "max_choices": 2,
    },
    "free_text": {"max_length": 500},
    "agree_scale": {},
    "ranking": {"options": [{"code": "o1", "text": "Parks"}, {"code": "o2", "text": "Buses"}]},
    "points": {
        "options": [{"code": "o1", "text": "Parks"}, {"code": "o2", "text": "Buses"}],
        "points": 10,
    },
    "number": {},
    "yes_no": {},
}


def _consultation(place: Place, kinds: dict[str, dict[str, Any]]) -> Consultation:
    from tests.factories import make_consultation

    consultation = make_consultation(place.partnership)
    consultation.questions.clear()
    db.session.flush()
    for position, (kind, settings) in enumerate(kinds.items(), start=1):
        consultation.questions.append(
            Question(kind=kind, page=1, position=position, text=f"{kind}?", settings=settings)
        )
    db.session.commit()
    return consultation


def _submit(consultation: Consultation, answers: dict[str, Any], **about: Any) -> None:
    response = operations.start_response(consultation, None, utcnow())
    by_kind = {q.kind: q for q in consultation.questions}
    operations.save_draft(
        response,
        utcnow(),
        answers={str(by_kind[k].id): v for k, v in answers.items()},
        about=about,
    )
    operations.submit_response(response, utcnow())


def _by_kind(results: Any) -> dict[str, Any]:
    return {item.question.kind: item.summary for item in results.questions}


def test_every_type_is_stored_and_summarised_from_sql_aggregates(app: Flask, place: Place) -> None:
    consultation = _consultation(place, ALL_TYPES)
    for i in range(6):
        _submit(
            consultation,
            {
                "single_choice": "o1" if i < 4 else "o2",
                "multiple_choice": ["o1", "o2"] if i < 3 else ["o2"],
                "free_text": f"Comment {i}",
                "agree_scale": "5" if i % 2 else "1",
                "ranking": {"o1": 1, "o2": 2} if i < 5 else {"o1": 2, "o2": 1},
                "points": {"o1": 10, "o2": 0} if i < 3 else {"o1": 4, "o2": 6},
                "number": i,
                "yes_no": "yes",
            },
        )
    db.session.commit()
    with app.test_request_context("/"):
        results = consultation_results(consultation, ResultsFilter(), 1, "en")
    summaries = _by_kind(results)
    assert results.respondents == 6
    assert [r.count for r in summaries["single_choice"].rows] == [4, 2]
    assert [r.count for r in summaries["multiple_choice"].rows] == [3, 6]
    assert summaries["multiple_choice"].base == 6
    assert summaries["free_text"].base == 6
    assert {r.code: r.count for r in summaries["agree_scale"].rows}["5"] == 3
    ranking = {r.code: r.value for r in summaries["ranking"].rows}
    assert ranking == pytest.approx({"o1": 7 / 6, "o2": 11 / 6})
    points = {r.code: r.value for r in summaries["points"].rows}
    assert points == pytest.approx({"o1": (30 + 12) / 6, "o2": 18 / 6})
    assert summaries["number"].mean == pytest.approx(2.5)
    assert [r.count for r in summaries["yes_no"].rows] == [6, 0]


def test_weighting_on_a_small_case_worked_by_hand(app: Flask, place: Place) -> None:
    """Census (adults): 16-24 30%, 25-44 70%; female 50%, male 50%.

    Respondents: A (16-24, F, yes), B and C (25-44, F, no), D (25-44, M, yes).
    With one weight per cell, the margins give (n = 4):
      16-24:  w_A             = 0.3 x 4 = 1.2
      male:   w_D             = 0.5 x 4 = 2.0
      female: w_A + 2 w_BC    = 2.0  ->  w_BC = 0.4
      check 25-44: 2 x 0.4 + 2.0 = 2.8 = 0.7 x 4
    Raw "yes" = 2/4 = 50%; weighted "yes" = (1.2 + 2.0) / 4 = 80%.
    """
    consultation = _consultation(place, {"yes_no": {}})
    for ward in place.partnership.areas[0].wards():
        set_profile(
            ward,
            {
                "age_band": {"0-15": 500, "16-24": 300, "25-44": 700},
                "sex": {"female": 750, "male": 750},
            },
        )
    _submit(consultation, {"yes_no": "yes"}, age_band="16-24", sex="female")
    _submit(consultation, {"yes_no": "no"}, age_band="25-44", sex="female")
    _submit(consultation, {"yes_no": "no"}, age_band="25-44", sex="female")
    _submit(consultation, {"yes_no": "yes"}, age_band="25-44", sex="male")
    db.session.commit()
    cells = response_cells(consultation, None)
    targets = census_targets([w.id for w in place.partnership.areas[0].wards()])
    assert "0-15" not in targets["age_band"]  # respondents are adults
    weighting = compute_weighting(cells, targets, ())
    assert weighting.converged
    assert weighting.weight("16-24", "female") == pytest.approx(1.2, abs=1e-5)
    assert weighting.weight("25-44", "female") == pytest.approx(0.4, abs=1e-5)
    assert weighting.weight("25-44", "male") == pytest.approx(2.0, abs=1e-5)
    with app.test_request_context("/"):
        results = consultation_results(consultation, ResultsFilter(), 1, "en")
    yes = _by_kind(results)["yes_no"].rows[0]
    assert yes.share == pytest.approx(0.5)
    assert yes.weighted_share == pytest.approx(0.8, abs=1e-5)
    # Kish: n_eff = (sum w)^2 / sum w^2 = 16 / (1.44 + 0.16 + 0.16 + 4) = 2.78
    assert results.weighting.effective_sample_size == pytest.approx(16 / 5.76, abs=1e-4)


def test_respondents_without_age_or_sex_keep_their_weight(app: Flask, place: Place) -> None:
    consultation = _consultation(place, {"yes_no": {}})
    for ward in place.partnership.areas[0].wards():
        set_profile(
            ward, {"age_band": {"16-24": 500, "25-44": 500}, "sex": {"female": 1, "male": 1}}
        )
    _submit(consultation, {"yes_no": "yes"}, age_band="16-24", sex="female")
    _submit(consultation, {"yes_no": "yes"}, age_band="25-44", sex="male")
    _submit(consultation, {"yes_no": "no"})
    db.session.commit()
    weighting = compute_weighting(
        response_cells(consultation, None),
        census_targets([w.id for w in place.partnership.areas[0].wards()]),
        (),
    )
    assert weighting.weight(None, None) == pytest.approx(1.0)


def _yes_no_counts(consultation: Consultation, yes: int, no: int) -> None:
    for _ in range(yes):
        _submit(consultation, {"single_choice": "o1"})
    for _ in range(no):
        _submit(consultation, {"single_choice": "o2"})


def test_no_published_count_is_under_the_threshold_even_by_differencing(
    app: Flask, place: Place
) -> None:
    options = [{"code": f"o{i}", "text": f"Option {i}"} for i in (1, 2, 3)]
    consultation = _consultation(place, {"single_choice": {"options": options}})
    for code, count in (("o1", 12), ("o2", 3), ("o3", 9)):
        for _ in range(count):
            _submit(consultation, {"single_choice": code})
    db.session.commit()
    with app.test_request_context("/"):
        summary = _by_kind(consultation_results(consultation, ResultsFilter(), 5, "en"))[
            "single_choice"
        ]
    published = [r.count for r in summary.rows] + [summary.base]
    assert all(v is None or v >= 5 for v in published)
    assert summary.rows[1].count is None  # the 3
    assert sum(v is None for v in published[:-1]) >= 2  # a second cell hides the first
    equations = [Equation(total=3, parts=(0, 1, 2))]
    assert recoverable_cells(published, equations) == ()
    # Shares and weighted shares of hidden cells are hidden too (share x base = count).
    for row in summary.rows:
        if row.count is None:
            assert row.share is None and row.weighted_share is None


def test_the_results_page_shows_no_small_count(
    app: Flask, place: Place, consultation: Consultation
) -> None:
    for ward in place.partnership.areas[0].wards():
        set_profile(
            ward, {"age_band": {"45-64": 600, "75+": 400}, "sex": {"female": 520, "male": 480}}
        )
    for _ in range(12):
        _submit(consultation, {"single_choice": "o1"}, age_band="45-64", sex="female")
    for _ in range(2):
        _submit(consultation, {"single_choice": "o2"}, age_band="75+", sex="male")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "councillor@example.org")
    html = client.get(f"/consultations/{consultation.id}/results").get_data(as_text=True)
    assert "Which matters most?" in html
    assert "[c]" in html
    assert ">2<" not in html and ">12<" not in html and ">14<" not in html
    assert "iterative proportional fitting" in html
    assert "<svg" in html and "<table" in html


def test_a_filter_too_small_to_show_is_withheld(
    app: Flask, place: Place, consultation: Consultation
) -> None:
    ward = place.partnership.areas[0].wards()[1]
    for _ in range(10):
        _submit(consultation, {"single_choice": "o1"})
    for _ in range(3):
        _submit(consultation, {"single_choice": "o1"}, ward_id=ward.id)
    db.session.commit()
    with app.test_request_context("/"):
        filtered = consultation_results(consultation, ResultsFilter(area=ward), 5, "en")
        everyone = consultation_results(consultation, ResultsFilter(), 5, "en")
    assert filtered.respondents is None and filtered.respondents_suppressed
    assert everyone.respondents == 13


def test_results_filter_by_ward_district_and_group(
    app: Flask, place: Place, consultation: Consultation
) -> None:
    ward = place.partnership.areas[0].wards()[1]
    for _ in range(6):
        _submit(consultation, {"single_choice": "o1"}, ward_id=ward.id, age_band="25-44")
    for _ in range(7):
        _submit(
            consultation,
            {"single_choice": "o2"},
            age_band="65-74",
            special_category_consent=True,
            disability="disabled",
        )
    db.session.commit()
    with app.test_request_context("/"):
        by_ward = consultation_results(consultation, ResultsFilter(area=ward), 5, "en")
        by_district = consultation_results(
            consultation, ResultsFilter(area=place.partnership.areas[0]), 5, "en"
        )
        by_age = consultation_results(
            consultation, ResultsFilter(group=("age_band", "65-74")), 5, "en"
        )
        by_disability = consultation_results(
            consultation, ResultsFilter(group=("disability", "disabled")), 5, "en"
        )
    assert by_ward.respondents == 6
    assert [r.count for r in _by_kind(by_ward)["single_choice"].rows] == [6, 0]
    assert by_district.respondents == 6  # the other responses gave no ward
    assert [r.count for r in _by_kind(by_age)["single_choice"].rows] == [0, 7]
    assert [r.count for r in _by_kind(by_disability)["single_choice"].rows] == [0, 7]
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    fragment = client.get(
        f"/consultations/{consultation.id}/results?area={ward.id}&group=age_band:25-44",
        headers={"HX-Request": "true"},
    )
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in fragment.get_data(as_text=True)


def test_a_draft_has_no_results_page(app: Flask, place: Place, consultation: Consultation) -> None:
    from engage.consultations.models import ConsultationStatus

    consultation.status = ConsultationStatus.DRAFT
    db.session.commit()
    client = app.test_client()
    sign_in(client, "coordinator@example.org")
    assert client.get(f"/consultations/{consultation.id}/results").status_code == 404


def test_closing_time_window_used_in_results_is_not_involved(consultation: Consultation) -> None:
    # Results never depend on the clock: a closed consultation keeps its figures.
    consultation.closes_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert response_cells(consultation, None) == {}


def test_running_tallies_always_equal_a_fresh_count_of_the_answers(
    app: Flask, place: Place, consultation: Consultation
) -> None:
    """Edits move answers between options, wards and age bands: the tallies follow exactly."""
    import random

    from engage.consultations.models import ResponseTally, Tally

    def snapshot() -> set[tuple[Any, ...]]:
        db.session.expire_all()
        answers = {
            (t.question_id, t.item, t.age_band, t.sex, t.ward_id, t.answers, round(t.number_sum, 6))
            for t in db.session.scalars(
                db.select(Tally).where(Tally.consultation_id == consultation.id)
            )
            if t.answers
        }
        cells = {
            ("cell", t.age_band, t.sex, t.ward_id, t.responses)
            for t in db.session.scalars(
                db.select(ResponseTally).where(ResponseTally.consultation_id == consultation.id)
            )
            if t.responses
        }
        return answers | cells

    rng = random.Random(5)
    wards = [w.id for w in place.partnership.areas[0].wards()]
    single = next(q for q in consultation.questions if q.kind == "single_choice")
    text = next(q for q in consultation.questions if q.kind == "free_text")
    people = [place.resident, place.coordinator, place.officer, None, None]
    for _round in range(4):
        for person in people:
            response = operations.start_response(consultation, person, utcnow())
            answers = {str(single.id): rng.choice(["o1", "o2"])}
            if rng.random() < 0.5:
                answers[str(text.id)] = "Some words"
            else:
                answers[str(text.id)] = None
            operations.save_draft(
                response,
                utcnow(),
                answers=answers,
                about={
                    "ward_id": rng.choice(wards),
                    "age_band": rng.choice(["16-24", "75+", None]),
                    "sex": rng.choice(["female", "male", None]),
                },
            )
            operations.submit_response(response, utcnow())
            db.session.commit()
    maintained = snapshot()
    operations.rebuild_tallies(consultation.id)
    db.session.commit()
    assert maintained == snapshot()
    assert sum(row[5] for row in maintained if row[0] == single.id) == 3 + 2 * 4
    assert sum(row[4] for row in maintained if row[0] == "cell") == 3 + 2 * 4
