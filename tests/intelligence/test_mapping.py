"""Column roles, answer scales and area-name matching (pure, no app)."""

from __future__ import annotations

import pytest

from engage.intelligence.mapping import (
    DROP,
    ColumnProfile,
    ColumnRole,
    DatasetMapping,
    DatasetShape,
    KnownArea,
    Scale,
    Unit,
    apply_scale,
    initial_mapping,
    match_areas,
    normalise_area_name,
    normalise_postcode_district,
    parse_count,
    parse_number,
    parse_weight,
    suggest_category,
    suggest_point,
    suggest_scale,
    suggest_unit,
)

AREAS = [
    KnownArea(1, "E05000001", "St Anne's", None, "ward"),
    KnownArea(2, "E05000002", "Castle & Mead", "Castell a Mead", "ward"),
    KnownArea(3, "E05000003", "Saint Peter", None, "ward"),
    KnownArea(4, "E07000004", "Kelham", None, "district"),
    KnownArea(5, "E05000005", "Kelham", None, "ward"),
    KnownArea(6, "E05000006", "Twin", None, "ward"),
    KnownArea(7, "E05000007", "Twin", None, "ward"),
]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("St Anne's", 1),
        ("st anne's", 1),
        ("  ST.   ANNES  ", 1),
        ("Saint Anne's", 1),
        ("Castle and Mead", 2),
        ("castle &mead", 2),
        ("Castell a Mead", 2),
        ("St Peter", 3),
        ("St Peter Ward", 3),
        ("E05000003", 3),
        ("e05000003", 3),
    ],
)
def test_area_names_match_ignoring_case_spacing_and_and_saint(written: str, expected: int) -> None:
    match = match_areas([written], AREAS, by=ColumnRole.WARD_NAME)
    assert match.matched == {written: expected}
    assert match.unmatched == ()


def test_unknown_and_ambiguous_names_are_left_for_the_user() -> None:
    match = match_areas(["Nowhere", "Twin", "Castle Meadow"], AREAS, by=ColumnRole.WARD_NAME)
    assert match.matched == {}
    assert match.unmatched == ("Nowhere", "Twin", "Castle Meadow")


def test_a_name_shared_by_a_ward_and_a_district_prefers_the_ward() -> None:
    assert match_areas(["Kelham"], AREAS, by=ColumnRole.AREA).matched == {"Kelham": 5}
    assert match_areas(["Kelham"], AREAS, by=ColumnRole.AREA,
                       prefer_levels=("district", "ward")).matched == {"Kelham": 4}


def test_a_code_column_matches_codes_only() -> None:
    match = match_areas(["E05000001", "St Anne's"], AREAS, by=ColumnRole.WARD_CODE)
    assert match.matched == {"E05000001": 1}
    assert match.unmatched == ("St Anne's",)


def test_postcode_districts_come_from_the_partnerships_own_table() -> None:
    table = {"HM1": 1, "HM12": 2}
    match = match_areas(["hm1", "HM12 3AB", "HM9", "nonsense"], AREAS,
                        by=ColumnRole.POSTCODE_DISTRICT, postcode_districts=table)
    assert match.matched == {"hm1": 1, "HM12 3AB": 2}
    assert match.unmatched == ("HM9", "nonsense")


@pytest.mark.parametrize(
    ("text", "district"),
    [("HM1", "HM1"), ("hm1 2ab", "HM1"), ("SW1A 1AA", "SW1A"), ("M1", "M1"), ("12", None),
     ("", None)],
)
def test_postcode_district_normalisation(text: str, district: str | None) -> None:
    assert normalise_postcode_district(text) == district


def test_normalised_names() -> None:
    assert normalise_area_name("St. Mary’s & All Saints Ward") == "saint marys and all saints"


@pytest.mark.parametrize(
    ("value", "scale", "point"),
    [
        ("Strongly agree", Scale.AGREE, "strongly_agree"),
        ("Tend to agree", Scale.AGREE, "agree"),
        ("Neither agree nor disagree", Scale.AGREE, "neither"),
        ("Tend to disagree", Scale.AGREE, "disagree"),
        ("Strongly disagree", Scale.AGREE, "strongly_disagree"),
        ("Don’t know", Scale.AGREE, "dont_know"),
        ("Very satisfied", Scale.SATISFIED, "very_satisfied"),
        ("Fairly satisfied", Scale.SATISFIED, "satisfied"),
        ("Fairly dissatisfied", Scale.SATISFIED, "dissatisfied"),
        ("Very dissatisfied", Scale.SATISFIED, "very_dissatisfied"),
        ("Yes", Scale.AGREE, None),
        ("Agree", Scale.NONE, None),
    ],
)
def test_answers_are_suggested_a_scale_point(value: str, scale: Scale, point: str | None) -> None:
    assert suggest_point(value, scale) == point


def test_the_scale_is_suggested_from_the_answers() -> None:
    assert suggest_scale(["Strongly agree", "Tend to agree", "Tend to disagree"]) == Scale.AGREE
    assert suggest_scale(["Very satisfied", "Fairly dissatisfied"]) == Scale.SATISFIED
    assert suggest_scale(["Yes", "No"]) == Scale.NONE


def _profile(index: int, name: str, values: list[str]) -> ColumnProfile:
    profile = ColumnProfile(index=index, name=name)
    for value in values:
        profile.add(value, cap=50)
    return profile


def test_initial_mapping_guesses_roles_scales_and_demographics() -> None:
    profiles = [
        _profile(0, "Respondent ID", [str(i) for i in range(100)]),
        _profile(1, "Ward", ["St Anne's", "Kelham"]),
        _profile(2, "Age group", ["16-24", "25-44"]),
        _profile(3, "Weight", ["0.9", "1.2"]),
        _profile(4, "I feel safe after dark", ["Strongly agree", "Tend to disagree"]),
        _profile(5, "Gender", ["Female", "Male"]),
        _profile(6, "Second ward column", ["x"]),
    ]
    mapping = initial_mapping(DatasetShape.RESPONDENT, profiles)
    roles = [(c.role, c.feature) for c in mapping.columns]
    assert roles == [
        (ColumnRole.IGNORE, None),
        (ColumnRole.WARD_NAME, None),
        (ColumnRole.DEMOGRAPHIC, "age_band"),
        (ColumnRole.WEIGHT, None),
        (ColumnRole.QUESTION, None),
        (ColumnRole.DEMOGRAPHIC, "sex"),
        (ColumnRole.IGNORE, None),  # a second area column is not guessed
    ]
    question = mapping.columns[4]
    assert question.scale == Scale.AGREE
    assert question.values == {"Strongly agree": "strongly_agree", "Tend to disagree": "disagree"}
    assert mapping.problems() == []


def test_mapping_round_trips_through_json_and_reports_problems() -> None:
    profiles = [_profile(0, "Area", ["Kelham"]), _profile(1, "Indicator", ["% safe"]),
                _profile(2, "Value", ["56"]), _profile(3, "Base", ["120"]),
                _profile(4, "Period", ["2025"])]
    mapping = initial_mapping(DatasetShape.AGGREGATE, profiles)
    assert [c.role for c in mapping.columns] == [
        ColumnRole.AREA, ColumnRole.INDICATOR, ColumnRole.VALUE, ColumnRole.BASE, ColumnRole.PERIOD
    ]
    assert mapping.indicators[0].unit == Unit.PERCENT
    mapping.area_fixes = {"Old Town": DROP, "New Town": 5}
    again = DatasetMapping.from_json(mapping.to_json())
    assert again.to_json() == mapping.to_json()
    again.columns[2].role = ColumnRole.IGNORE
    assert again.problems() == ["needs_value"]
    again.columns[2].role = ColumnRole.QUESTION
    assert "role_not_for_shape" in again.problems()


def test_switching_scale_keeps_what_fits_and_suggests_the_rest() -> None:
    profiles = [_profile(0, "Ward", ["A"]), _profile(1, "Q", ["Agree", "Disagree", "Dunno"])]
    mapping = initial_mapping(DatasetShape.RESPONDENT, profiles)
    question = mapping.columns[1]
    question.values["Dunno"] = "dont_know"
    apply_scale(question, Scale.SATISFIED, ["Agree", "Disagree", "Dunno"])
    assert question.values == {"Agree": None, "Disagree": None, "Dunno": "dont_know"}
    question.values["Agree"] = "strongly_agree"
    assert mapping.problems() == ["point_not_on_scale"]


def test_numbers_counts_and_weights() -> None:
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("56%") == 56
    assert parse_number("nan") is None
    assert parse_count("1,200") == 1200
    assert parse_count("12.5") is None
    assert parse_count("-1") is None
    assert parse_weight("0") is None
    assert parse_weight("1.25") == 1.25


def test_demographic_answers_line_up_with_profile_categories() -> None:
    ages = ("0-15", "16-24", "25-44", "45-64", "65-74", "75+")
    assert suggest_category("age_band", "25 to 44", ages) == "25-44"
    assert suggest_category("age_band", "75 and over", ages) == "75+"
    assert suggest_category("sex", "F", ("female", "male")) == "female"
    assert suggest_category("tenure", "Social rented", ("owned", "social_rented")) == "social_rented"
    assert suggest_category("sex", "Prefer not to say", ("female", "male")) is None


def test_units_are_suggested_from_names() -> None:
    assert suggest_unit("% who feel safe after dark", "value") == Unit.PERCENT
    assert suggest_unit("Number of incidents", "value") == Unit.COUNT
    assert suggest_unit("Crime rate per 1,000", "value") == Unit.RATE
