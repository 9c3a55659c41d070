"""Reading the Sortition Foundation's people, features and settings files."""

from __future__ import annotations

from pathlib import Path

import pytest

from engage.panels.pool_files import (
    FileIssue,
    PoolSettings,
    read_features_csv,
    read_panel_size,
    read_people_csv,
    read_settings_toml,
)
from engage.panels.selection import Person, Quota

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sortition"

FEATURES = """feature,value,min,max
gender,Female,1,2
gender,Male,1,2
age,young,0,2
age,old,1,3
"""

PEOPLE = """id,name,address_line_1,postcode,gender,age
1,Ann,1 High St,AB1 2CD,Female,young
2,Bob,1 high st ,ab1  2cd,male,OLD
3,Cat,2 Low Rd,AB1 2CD, Female ,old
4,Dan,,,Male,young
"""

QUOTAS = read_features_csv(FEATURES).quotas


def shared(name: str) -> bytes:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"shared sortition data not found: {path}")
    return path.read_bytes()


# --------------------------------------------------------------------------------------------
# features files
# --------------------------------------------------------------------------------------------


def test_reads_features() -> None:
    result = read_features_csv(FEATURES)
    assert result.ok and not result.has_flex
    assert result.quotas[0] == Quota("gender", "Female", 1, 2)
    assert [q.value for q in result.quotas] == ["Female", "Male", "young", "old"]


def test_features_old_column_names_flex_bom_and_spaces() -> None:
    text = "\ufeffCategory , Name ,MIN,max,min_flex,max_flex\n  age , 16-24 , 1 , 3 , 0 , 5\n\n"
    result = read_features_csv(text.encode("utf-8"))
    assert result.ok and result.has_flex
    assert result.quotas == (Quota("age", "16-24", 1, 3, 0, 5),)


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("feature,value,min\n", FileIssue("missing_column", 1, "max")),
        ("feature,value,min,max,min\n", FileIssue("duplicate_column", 1, "min")),
        ("feature,value,min,max,min_flex\n", FileIssue("missing_column", 1, "max_flex")),
        ("feature,value,min,max\nage,old,3,1\n", FileIssue("min_greater_than_max", 2, "min", "3")),
        ("feature,value,min,max\nage,old,x,1\n", FileIssue("not_a_number", 2, "min", "x")),
        ("feature,value,min,max\nage,old,1,\n", FileIssue("empty_number", 2, "max", "")),
        ("feature,value,min,max\nage,old,-1,2\n", FileIssue("negative_number", 2, "min", "-1")),
        ("feature,value,min,max\nage,,1,2\n", FileIssue("empty_value", 2, "value", "")),
        ("feature,value,min,max\n,old,1,2\n", FileIssue("empty_feature", 2, "feature", "")),
        ("feature,value,min,max\nage,old,1,2,9\n", FileIssue("extra_cells", 2, None, "9")),
        (
            "feature,value,min,max,min_flex,max_flex\nage,old,1,2,2,2\n",
            FileIssue("min_flex_greater_than_min", 2, "min_flex", "2"),
        ),
        (
            "feature,value,min,max,min_flex,max_flex\nage,old,1,2,0,1\n",
            FileIssue("max_flex_less_than_max", 2, "max_flex", "1"),
        ),
        ("feature,value,min,max\n", FileIssue("no_quotas", 0)),
        ("", FileIssue("empty_file", 0)),
    ],
)
def test_features_issues(text: str, issue: FileIssue) -> None:
    result = read_features_csv(text)
    assert result.issues == (issue,)
    assert result.quotas == ()


def test_features_all_or_nothing_with_every_issue() -> None:
    text = "feature,value,min,max\nage,young,1,2\nage,old,5,2\nAge, YOUNG ,0,1\ngender,f,a,b\n"
    result = read_features_csv(text)
    assert result.quotas == ()
    assert [i.as_dict() for i in result.issues] == [
        {"code": "min_greater_than_max", "row": 3, "column": "min", "value": "5"},
        {
            "code": "duplicate_feature_value",
            "row": 4,
            "column": "value",
            "value": "YOUNG",
            "other_row": 2,
        },
        {"code": "not_a_number", "row": 5, "column": "min", "value": "a"},
        {"code": "not_a_number", "row": 5, "column": "max", "value": "b"},
    ]


def test_features_not_utf8_and_broken_csv() -> None:
    assert read_features_csv(b"feature,value\n\xff\xfe,1").issues == (FileIssue("not_utf8", 0),)
    broken = read_features_csv('feature,value,min,max\nage,"old,1,2\n')
    assert broken.issues[0].code == "csv_error"


# --------------------------------------------------------------------------------------------
# people files
# --------------------------------------------------------------------------------------------


def test_reads_people_with_households_and_kept_columns() -> None:
    result = read_people_csv(
        PEOPLE,
        QUOTAS,
        address_columns=("address_line_1", "postcode"),
        columns_to_keep=("name",),
    )
    assert result.ok
    people = result.people
    assert [p.id for p in people] == ["1", "2", "3", "4"]
    # values matched ignoring case and spaces, stored in the features file's spelling
    assert people[1].features == (("gender", "Male"), ("age", "old"))
    assert people[2].value("gender") == "Female"
    # same address, written differently: one household; no address: no household
    assert people[0].household is not None and people[0].household == people[1].household
    assert people[2].household not in (None, people[0].household)
    assert people[3].household is None
    assert result.records[0].row == 2
    assert result.records[0].extra == (("name", "Ann"),)
    without = read_people_csv(PEOPLE, QUOTAS)
    assert all(p.household is None for p in without.people)


def test_people_issues_all_or_nothing() -> None:
    text = (
        "ID,gender,age\n"
        "1,Female,young\n"
        ",Male,old\n"  # empty id
        "1,Male,old\n"  # duplicate id
        "3,Other,old\n"  # unknown value
        "4,Male,\n"  # empty value
        ",,\n"  # blank row: ignored
        "5,Male,old,extra\n"
    )
    result = read_people_csv(text, QUOTAS)
    assert result.people == ()
    assert [i.as_dict() for i in result.issues] == [
        {"code": "empty_id", "row": 3, "column": "ID", "value": ""},
        {"code": "duplicate_id", "row": 4, "column": "ID", "value": "1", "other_row": 2},
        {"code": "unknown_feature_value", "row": 5, "column": "gender", "value": "Other"},
        {"code": "empty_feature_value", "row": 6, "column": "age", "value": ""},
        {"code": "extra_cells", "row": 8, "value": "extra"},
    ]


def test_people_missing_and_duplicate_columns() -> None:
    result = read_people_csv("id,gender,Gender\n1,Female,Female\n", QUOTAS, columns_to_keep=["x"])
    assert result.issues == (
        FileIssue("duplicate_column", 1, "Gender"),
        FileIssue("missing_column", 1, "age"),
        FileIssue("missing_column", 1, "x"),
    )
    assert read_people_csv("id,gender,age\n", QUOTAS).issues == (FileIssue("no_people", 0),)


# --------------------------------------------------------------------------------------------
# settings and panel size
# --------------------------------------------------------------------------------------------


def test_settings() -> None:
    text = (
        'id_column = "nationbuilder_id"\ncolumns_to_keep = ["name"]\ncheck_same_address = true\n'
        'check_same_address_columns = ["addr", "postcode"]\nrandom_number_seed = 7\n'
    )
    result = read_settings_toml(text)
    assert result.settings == PoolSettings(
        id_column="nationbuilder_id",
        check_same_address=True,
        address_columns=("addr", "postcode"),
        columns_to_keep=("name",),
        random_number_seed=7,
    )
    off = read_settings_toml('id_column = "id"\ncheck_same_address_columns = ["a"]\n').settings
    assert off is not None and off.household_columns == ()
    assert read_settings_toml("id_column = ").issues == (FileIssue("invalid_toml", 0),)
    bad = read_settings_toml("check_same_address = true\nrandom_number_seed = 'x'\n")
    assert [i.column for i in bad.issues] == [
        "id_column",
        "check_same_address_columns",
        "random_number_seed",
    ]


def test_panel_size() -> None:
    assert read_panel_size(b"24") == (24, ())
    assert read_panel_size(" 7\n") == (7, ())
    assert read_panel_size("x")[1] == (FileIssue("not_a_number", 1, None, "x"),)
    assert read_panel_size("0")[1] == (FileIssue("invalid_panel_size", 1, None, "0"),)


# --------------------------------------------------------------------------------------------
# the shared pools, against sortition-algorithms' own reader
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", ["D", "E"])
def test_shared_pool_matches_reference_reader(pool: str, tmp_path: Path) -> None:
    settings_file = read_settings_toml(shared(f"settings_{pool}.toml"))
    features = read_features_csv(shared(f"features_{pool}.csv"))
    k, _ = read_panel_size(shared(f"k_{pool}.txt"))
    assert settings_file.settings is not None and features.ok and k is not None
    settings = settings_file.settings
    people = read_people_csv(
        shared(f"people_{pool}.csv"),
        features.quotas,
        id_column=settings.id_column,
        address_columns=settings.household_columns,
        columns_to_keep=settings.columns_to_keep,
    )
    assert people.ok
    assert people.records[0].extra[0][0] == "first_name"

    reference = pytest.importorskip("sortition_algorithms.adapters")
    from sortition_algorithms.settings import Settings

    ref_settings, _ = Settings.load_from_file(DATA / f"settings_{pool}.toml")
    source = reference.CSVFileDataSource(
        features_file=DATA / f"features_{pool}.csv",
        people_file=DATA / f"people_{pool}.csv",
        already_selected_file=None,
        selected_file=tmp_path / "selected.csv",
        remaining_file=tmp_path / "remaining.csv",
    )
    data = reference.SelectionData(source)
    ref_features, _ = data.load_features(k)
    ref_people, _ = data.load_people(ref_settings, ref_features)
    assert {(q.feature, q.value, q.min, q.max) for q in features.quotas} == {
        (f, v, mm.min, mm.max) for f, values in ref_features.items() for v, mm in values.items()
    }
    ours: dict[str, Person] = {p.id: p for p in people.people}
    assert set(ours) == set(ref_people)
    for pid, row in ref_people.items():
        for feature in ref_features:
            assert ours[pid].value(feature) == row[feature]
    # households: same partition as the reference's address grouping
    columns = ref_settings.check_same_address_columns
    ref_households = {frozenset(m) for m in ref_people.households(columns).values()}
    by_key: dict[str | None, set[str]] = {}
    for p in people.people:
        by_key.setdefault(p.household or p.id, set()).add(p.id)
    assert {frozenset(m) for m in by_key.values()} == ref_households
