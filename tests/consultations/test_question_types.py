"""Each question type validates an answer, stores it (and reads it back), and summarises results."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from engage.consultations.question_types import (
    QUESTION_TYPES,
    AnswerInvalid,
    ItemTally,
    QuestionTally,
    StoredItem,
    question_type,
)
from engage.core.errors import EngageError

OPTIONS = [
    {"code": "o1", "text": "Parks", "text_cy": "Parciau"},
    {"code": "o2", "text": "Buses", "text_cy": ""},
    {"code": "o3", "text": "Libraries", "text_cy": ""},
]


@dataclass
class FakeQuestion:
    """Just what the type classes read from a question."""

    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    id: int = 7

    @property
    def field_name(self) -> str:
        return f"q{self.id}"

    def options(self) -> list[dict[str, str]]:
        return list(self.settings.get("options", []))

    def option_label(self, code: str, locale: str) -> str:
        for option in self.options():
            if option["code"] == code:
                return (option.get("text_cy") if locale == "cy" else None) or option["text"]
        return code


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context("/"):
        yield


def tally(**items: tuple[int, float]) -> QuestionTally:
    """Items as name → (count, number sum); weights of 1 (weighted = raw)."""
    result = QuestionTally()
    for name, (count, number_sum) in items.items():
        key = "" if name == "head" else name
        result.items[key] = ItemTally(count, float(count), number_sum, number_sum)
    return result


def roundtrip(question: FakeQuestion, value: Any) -> Any:
    kind = question_type(question.kind)
    stored = kind.store(question, value)
    return kind.load(question, [StoredItem(s.item, s.number, s.text) for s in stored])


def test_every_type_has_a_unique_code_and_an_input_template() -> None:
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates" / "consultations" / "questions"
    for code in QUESTION_TYPES:
        assert (templates / f"_{code}.html").exists(), code


def test_an_unknown_kind_is_refused(ctx: None) -> None:
    with pytest.raises(EngageError):
        question_type("essay")


# ------------------------------------------------------------------- single choice


def test_single_choice_accepts_one_of_its_options_and_refuses_others(ctx: None) -> None:
    q = FakeQuestion("single_choice", {"options": OPTIONS})
    kind = question_type("single_choice")
    assert kind.validate(q, "o2") == "o2"
    assert kind.validate(q, "") is None
    with pytest.raises(AnswerInvalid):
        kind.validate(q, "o9")
    assert kind.from_form(q, MultiDict({"q7": "o3"})) == "o3"


def test_single_choice_is_stored_as_one_row_and_read_back(ctx: None) -> None:
    q = FakeQuestion("single_choice", {"options": OPTIONS})
    assert question_type("single_choice").store(q, "o1") == [StoredItem(item="o1")]
    assert roundtrip(q, "o1") == "o1"


def test_single_choice_results_give_counts_and_shares_raw_and_weighted(ctx: None) -> None:
    q = FakeQuestion("single_choice", {"options": OPTIONS})
    counted = tally(o1=(10, 0), o2=(30, 0), o3=(60, 0))
    counted.items["o1"].weighted = 20.0  # weighting doubles o1's respondents
    summary = question_type("single_choice").summarise(q, counted, 5, "en")
    assert summary.base == 100
    assert [r.count for r in summary.rows] == [10, 30, 60]
    assert [r.share for r in summary.rows] == pytest.approx([0.1, 0.3, 0.6])
    assert [r.weighted_share for r in summary.rows] == pytest.approx([20 / 110, 30 / 110, 60 / 110])
    assert summary.rows[0].label == "Parks"
    assert question_type("single_choice").summarise(q, counted, 5, "cy").rows[0].label == "Parciau"


def test_single_choice_needs_two_distinct_options_to_be_built(ctx: None) -> None:
    kind = question_type("single_choice")
    with pytest.raises(EngageError):
        kind.clean_settings({"options": [{"text": "Only one"}]})
    with pytest.raises(EngageError):
        kind.clean_settings({"options": [{"text": "Same"}, {"text": "same"}]})
    cleaned = kind.clean_settings({"options": [{"text": " A "}, {"text": "B"}]})
    assert [o["code"] for o in cleaned["options"]] == ["o1", "o2"]
    assert cleaned["options"][0]["text"] == "A"


# ------------------------------------------------------------------- multiple choice


def test_multiple_choice_enforces_its_maximum(ctx: None) -> None:
    q = FakeQuestion("multiple_choice", {"options": OPTIONS, "max_choices": 2})
    kind = question_type("multiple_choice")
    assert kind.validate(q, ["o3", "o1"]) == ["o1", "o3"]  # option order, not click order
    with pytest.raises(AnswerInvalid, match="2 options or fewer"):
        kind.validate(q, ["o1", "o2", "o3"])
    with pytest.raises(AnswerInvalid):
        kind.validate(q, ["o1", "nope"])
    assert kind.from_form(q, MultiDict([("q7", "o1"), ("q7", "o2")])) == ["o1", "o2"]


def test_multiple_choice_stores_an_answered_marker_and_one_row_per_choice(ctx: None) -> None:
    q = FakeQuestion("multiple_choice", {"options": OPTIONS, "max_choices": 3})
    stored = question_type("multiple_choice").store(q, ["o1", "o3"])
    assert [s.item for s in stored] == ["", "o1", "o3"]
    assert roundtrip(q, ["o1", "o3"]) == ["o1", "o3"]


def test_multiple_choice_results_are_shares_of_those_who_answered(ctx: None) -> None:
    q = FakeQuestion("multiple_choice", {"options": OPTIONS, "max_choices": 3})
    summary = question_type("multiple_choice").summarise(
        q, tally(head=(50, 0), o1=(40, 0), o2=(25, 0), o3=(10, 0)), 5, "en"
    )
    assert summary.base == 50
    assert [r.share for r in summary.rows] == pytest.approx([0.8, 0.5, 0.2])


def test_a_choice_nearly_everyone_made_is_suppressed_because_its_complement_is_small(
    ctx: None,
) -> None:
    q = FakeQuestion("multiple_choice", {"options": OPTIONS, "max_choices": 3})
    summary = question_type("multiple_choice").summarise(
        q, tally(head=(50, 0), o1=(48, 0), o2=(25, 0), o3=(10, 0)), 5, "en"
    )
    # 48 of 50 chose o1, so publishing 48 would reveal that exactly 2 did not.
    assert summary.rows[0].count is None and summary.rows[0].share is None
    assert summary.rows[1].count == 25


# ------------------------------------------------------------------- free text


def test_free_text_enforces_its_length_limit(ctx: None) -> None:
    q = FakeQuestion("free_text", {"max_length": 20})
    kind = question_type("free_text")
    assert kind.validate(q, "Short enough") == "Short enough"
    with pytest.raises(AnswerInvalid, match="20 characters or fewer"):
        kind.validate(q, "x" * 21)
    # A line break typed in a browser arrives as CRLF but counts as one character.
    assert kind.from_form(q, MultiDict({"q7": "a\r\nb"})) == "a\nb"


def test_free_text_is_stored_as_text_and_counted_in_results(ctx: None) -> None:
    q = FakeQuestion("free_text", {"max_length": 200})
    assert question_type("free_text").store(q, "More buses") == [StoredItem(text="More buses")]
    assert roundtrip(q, "More buses") == "More buses"
    summary = question_type("free_text").summarise(q, tally(head=(12, 0)), 5, "en")
    assert (summary.template, summary.base) == ("text", 12)
    assert question_type("free_text").summarise(q, tally(head=(3, 0)), 5, "en").base is None


def test_free_text_limit_must_be_sensible_to_build(ctx: None) -> None:
    with pytest.raises(EngageError):
        question_type("free_text").clean_settings({"max_length": 5})
    assert question_type("free_text").clean_settings({})["max_length"] == 2000


# ------------------------------------------------------------------- agree scale


def test_agree_scale_accepts_the_five_points_only(ctx: None) -> None:
    q = FakeQuestion("agree_scale")
    kind = question_type("agree_scale")
    assert kind.validate(q, "5") == "5"
    with pytest.raises(AnswerInvalid):
        kind.validate(q, "6")


def test_agree_scale_stores_its_score_and_reports_net_agreement(ctx: None) -> None:
    q = FakeQuestion("agree_scale")
    assert question_type("agree_scale").store(q, "4") == [StoredItem(item="4", number=4.0)]
    assert roundtrip(q, "4") == "4"
    summary = question_type("agree_scale").summarise(
        q,
        tally(**{"5": (20, 100), "4": (30, 120), "3": (10, 30), "2": (25, 50), "1": (15, 15)}),
        5,
        "en",
    )
    assert [r.code for r in summary.rows] == ["5", "4", "3", "2", "1"]
    assert summary.extra["net_agree"] == pytest.approx(0.5 - 0.4)


# ------------------------------------------------------------------- ranking


def test_ranking_needs_every_option_ranked_once(ctx: None) -> None:
    q = FakeQuestion("ranking", {"options": OPTIONS})
    kind = question_type("ranking")
    form = MultiDict({"q7-o1": "2", "q7-o2": "1", "q7-o3": "3"})
    assert kind.validate(q, kind.from_form(q, form)) == {"o1": 2, "o2": 1, "o3": 3}
    assert kind.validate(q, kind.from_form(q, MultiDict())) is None
    with pytest.raises(AnswerInvalid):
        kind.validate(q, {"o1": "1", "o2": "1", "o3": "3"})
    with pytest.raises(AnswerInvalid):
        kind.validate(q, {"o1": "1", "o2": "2", "o3": ""})


def test_ranking_stores_ranks_and_summarises_average_rank_best_first(ctx: None) -> None:
    q = FakeQuestion("ranking", {"options": OPTIONS})
    stored = question_type("ranking").store(q, {"o1": 2, "o2": 1, "o3": 3})
    assert [(s.item, s.number) for s in stored] == [
        ("", None),
        ("o1", 2.0),
        ("o2", 1.0),
        ("o3", 3.0),
    ]
    assert roundtrip(q, {"o1": 2, "o2": 1, "o3": 3}) == {"o1": 2, "o2": 1, "o3": 3}
    summary = question_type("ranking").summarise(
        q, tally(head=(10, 0), o1=(10, 25), o2=(10, 12), o3=(10, 23)), 5, "en"
    )
    assert [r.code for r in summary.rows] == ["o2", "o3", "o1"]
    assert summary.rows[0].value == pytest.approx(1.2)


# ------------------------------------------------------------------- points


def test_points_must_add_up_to_the_total(ctx: None) -> None:
    q = FakeQuestion("points", {"options": OPTIONS, "points": 10})
    kind = question_type("points")
    assert kind.validate(q, {"o1": "6", "o2": "4", "o3": ""}) == {"o1": 6, "o2": 4, "o3": 0}
    with pytest.raises(AnswerInvalid, match="add up to 10"):
        kind.validate(q, {"o1": "6", "o2": "5", "o3": ""})
    with pytest.raises(AnswerInvalid):
        kind.validate(q, {"o1": "-1", "o2": "11", "o3": ""})
    with pytest.raises(AnswerInvalid):
        kind.validate(q, {"o1": "five", "o2": "5", "o3": ""})


def test_points_store_only_options_given_points_and_average_over_everyone(ctx: None) -> None:
    q = FakeQuestion("points", {"options": OPTIONS, "points": 10})
    stored = question_type("points").store(q, {"o1": 10, "o2": 0, "o3": 0})
    assert [s.item for s in stored] == ["", "o1"]
    assert roundtrip(q, {"o1": 10, "o2": 0, "o3": 0}) == {"o1": 10, "o2": 0, "o3": 0}
    summary = question_type("points").summarise(
        q, tally(head=(20, 0), o1=(15, 120), o2=(10, 80)), 5, "en"
    )
    values = {r.code: r.value for r in summary.rows}
    assert values == pytest.approx({"o1": 6.0, "o2": 4.0, "o3": 0.0})


# ------------------------------------------------------------------- number


def test_number_checks_its_range_and_whole_numbers(ctx: None) -> None:
    q = FakeQuestion("number", {"min_value": 0, "max_value": 120, "whole_numbers": True})
    kind = question_type("number")
    assert kind.validate(q, "42") == 42
    with pytest.raises(AnswerInvalid, match="between 0 and 120"):
        kind.validate(q, "121")
    with pytest.raises(AnswerInvalid, match="whole number"):
        kind.validate(q, "4.5")
    with pytest.raises(AnswerInvalid):
        kind.validate(q, "lots")
    with pytest.raises(AnswerInvalid):
        kind.validate(q, "nan")


def test_number_is_stored_as_a_number_and_averaged(ctx: None) -> None:
    q = FakeQuestion("number", {})
    assert question_type("number").store(q, 2.5) == [StoredItem(number=2.5)]
    assert roundtrip(q, 3) == 3
    summary = question_type("number").summarise(q, tally(head=(8, 40)), 5, "en")
    assert summary.mean == pytest.approx(5.0)
    assert question_type("number").summarise(q, tally(head=(4, 40)), 5, "en").mean is None


def test_number_range_must_be_in_order_to_build(ctx: None) -> None:
    with pytest.raises(EngageError):
        question_type("number").clean_settings({"min_value": "10", "max_value": "1"})


# ------------------------------------------------------------------- yes / no


def test_yes_no_accepts_yes_or_no(ctx: None) -> None:
    q = FakeQuestion("yes_no")
    kind = question_type("yes_no")
    assert kind.validate(q, "no") == "no"
    with pytest.raises(AnswerInvalid):
        kind.validate(q, "maybe")
    assert roundtrip(q, "yes") == "yes"


def test_yes_no_results_suppress_a_small_side_and_its_complement(ctx: None) -> None:
    q = FakeQuestion("yes_no")
    summary = question_type("yes_no").summarise(q, tally(yes=(40, 0), no=(3, 0)), 5, "en")
    # "No" is 3; with the total published, "Yes" would reveal it, so both are withheld.
    assert [r.count for r in summary.rows] == [None, None]
    assert all(r.share is None and r.weighted_share is None for r in summary.rows)
