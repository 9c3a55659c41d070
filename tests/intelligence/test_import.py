"""Dataset imports round trip, all or nothing, for both shapes and awkward files."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engage.core.errors import EngageError
from engage.core.spreadsheets import csv_bytes
from engage.extensions import db
from engage.intelligence import importer, operations
from engage.intelligence.mapping import DROP, ColumnRole, DatasetShape, Scale
from engage.intelligence.models import (
    DatasetAnswer,
    DatasetDemographic,
    DatasetImport,
    DatasetIndicatorValue,
    DatasetQuestion,
    DatasetResult,
    ImportStatus,
    PostcodeDistrict,
    QuestionKind,
)
from engage.jobs import JobStatus, retry_job
from tests.intelligence.conftest import Place, edit_mapping, new_dataset, run, save, upload

HEADER = "Respondent ID,Ward,Age group,Sex,Weight,I feel safe after dark,Satisfaction with area\n"
ANSWERS = [
    ("St Anne's", "16-24", "Female", "1.2", "Strongly agree", "Very satisfied"),
    ("st annes", "25-44", "Male", "0.8", "Tend to agree", "Fairly satisfied"),
    ("Castle and Mead", "45-64", "Female", "1.0", "Tend to disagree", "Fairly dissatisfied"),
    ("CASTLE & MEAD", "65-74", "Male", "1.0", "Strongly disagree", ""),
    ("Riverside", "75+", "Female", "1.5", "Neither agree nor disagree", "Very dissatisfied"),
    ("Riverside ward", "25-44", "Male", "0.5", "Don't know", "Fairly satisfied"),
]


def survey(rows: int = 60, extra: str = "") -> str:
    lines = [HEADER]
    for number in range(1, rows + 1):
        lines.append(",".join([str(number), *ANSWERS[number % len(ANSWERS)]]) + "\n")
    return "".join(lines) + extra


def _count(model: type, **where: object) -> int:
    db.session.rollback()
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return int(db.session.scalar(query) or 0)


def test_a_respondent_level_survey_round_trips(place: Place) -> None:
    dataset = new_dataset(place)
    record = upload(dataset, survey())
    assert record.encoding == "utf-8"
    assert record.data_rows == 60
    mapping = edit_mapping(record)
    assert [c.role for c in mapping.columns] == [
        ColumnRole.IGNORE, ColumnRole.WARD_NAME, ColumnRole.DEMOGRAPHIC, ColumnRole.DEMOGRAPHIC,
        ColumnRole.WEIGHT, ColumnRole.QUESTION, ColumnRole.QUESTION,
    ]
    assert mapping.columns[5].scale == Scale.AGREE
    assert mapping.columns[6].scale == Scale.SATISFIED
    theme = place.partnership.themes[0]
    mapping.columns[5].theme_id = theme.id
    save(record, mapping)
    check = operations.check_mapping(record)
    assert check.ready, (check.problems, check.unmatched)

    job = run(record)
    assert job.status == JobStatus.SUCCEEDED, (job.error_code, job.result)
    assert job.result["respondents"] == 60
    # Progress is reported for the progress bar: validation then loading, each row counted once.
    assert (job.progress_done, job.progress_total, job.percent) == (120, 120, 100)
    assert job.result["next_url"] == f"/partnerships/ashby/intelligence/datasets/{dataset.id}"
    db.session.refresh(dataset)
    assert dataset.current_version == 1
    assert dataset.respondents == dataset.sample_size == 60
    assert dataset.is_weighted
    assert sorted(a.name for a in dataset.areas) == sorted(w.name for w in place.wards)
    # Every non-blank answer stored once, with integer codes; demographics in a narrow table.
    assert _count(DatasetAnswer, dataset_id=dataset.id) == 60 + 50
    assert _count(DatasetDemographic, dataset_id=dataset.id) == 120
    questions = operations.visible_questions(dataset, kind=QuestionKind.QUESTION)
    safe = questions[0]
    assert (safe.text, safe.theme_id, safe.scale) == ("I feel safe after dark", theme.id, Scale.AGREE)
    assert {v.label: v.point for v in safe.values}["Tend to agree"] == "agree"
    views = operations.question_views(dataset, [safe], place.wards)
    by_ward = {view_row.area_id: view_row for view_row in views[0].result.areas}
    st_annes = by_ward[place.wards[0].id]
    assert st_annes.base == 20
    assert [c.count for c in st_annes.cells] == [20, 0, 0]
    assert st_annes.cells[0].share == 1.0
    riverside = by_ward[place.wards[2].id]
    # Shares are of answers on the scale: "Don't know" is counted among the options only.
    assert [c.count for c in riverside.cells] == [0, 10, 0]
    options = {row.option.label: row.cell.count for row in views[0].result.options}
    assert options["Don't know"] == 10
    # Weighted shares: St Anne's 20 answers weigh 1.2 and 0.8, Castle & Mead's 1.0, and
    # Riverside's "neither" 1.5: 20 of 55 weighted (unweighted it would be 20 of 50).
    assert views[0].result.overall.cells[0].count == 20
    assert views[0].result.overall.cells[0].share == pytest.approx(20 / 55)
    demographics = operations.visible_questions(dataset, kind=QuestionKind.DEMOGRAPHIC)
    assert {v.label: v.point for v in demographics[0].values}["75+"] == "75+"


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(place: Place) -> None:
    text = survey(rows=10).replace("\n8,Castle and Mead,45-64,Female,1.0,", "\n8,Castle and Mead,45-64,Female,heavy,")
    dataset = new_dataset(place)
    record = upload(dataset, text)
    job = run(record)
    assert job.status == JobStatus.FAILED
    assert job.error_code == "import_failed"
    errors = job.result["row_errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(9, "Weight")]
    assert "heavy" in errors[0]["message"]
    db.session.refresh(dataset)
    assert dataset.current_version == 0
    assert _count(DatasetAnswer) == 0
    assert _count(DatasetQuestion) == 0
    db.session.refresh(record)
    assert operations.import_state(record) == ImportStatus.FAILED
    assert operations.import_row_errors(record)[0]["row"] == 9


def test_an_answer_missing_from_the_mapping_is_a_row_error(place: Place) -> None:
    dataset = new_dataset(place)
    record = upload(dataset, survey(rows=13))
    mapping = edit_mapping(record)
    profile = operations.import_profile(record)
    # Pretend the file changed after profiling: the stored profile no longer knows an answer.
    profile[5].distinct.pop("Strongly agree")
    record.profile = [p.to_json() for p in profile]
    save(record, mapping)
    job = run(record)
    assert job.status == JobStatus.FAILED
    rows = [e["row"] for e in job.result["row_errors"]]
    assert rows == [7, 13]  # respondents 6 and 12, after the header
    assert _count(DatasetAnswer) == 0


def test_windows_1252_files_are_read(place: Place) -> None:
    text = survey(rows=12).replace("Don't know", "Don’t know").replace("Riverside ward", "Rïverside")
    dataset = new_dataset(place)
    record = upload(dataset, text.encode("cp1252"))
    assert record.encoding == "cp1252"
    check = operations.check_mapping(record)
    assert check.unmatched == ("Rïverside",)
    mapping = edit_mapping(record)
    mapping.area_fixes = {"Rïverside": place.wards[2].id}
    assert mapping.columns[5].values["Don’t know"] == "dont_know"
    save(record, mapping)
    assert run(record).status == JobStatus.SUCCEEDED
    safe = operations.visible_questions(dataset, kind=QuestionKind.QUESTION)[0]
    assert "Don’t know" in [v.label for v in safe.values]


def test_a_byte_order_mark_is_not_part_of_the_first_header(place: Place) -> None:
    text = "Ward,Q1 I feel safe\n" + "St Anne's,Strongly agree\n" * 6
    dataset = new_dataset(place)
    record = upload(dataset, b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert record.encoding == "utf-8-sig"
    mapping = edit_mapping(record)
    assert mapping.columns[0].name == "Ward"
    assert mapping.columns[0].role == ColumnRole.WARD_NAME
    assert run(record).status == JobStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfeW\x00a\x00r\x00d\x00", "UTF-16"),
        (b"Ward,Q\n\x81\x8d\x8f,x\n", "UTF-8 or Windows-1252"),
        (b"", "empty"),
        (b"PK\x03\x04rest-of-a-zip", "CSV or an Excel workbook"),
    ],
)
def test_unreadable_files_are_refused_clearly(place: Place, data: bytes, message: str) -> None:
    dataset = new_dataset(place)
    with pytest.raises(EngageError) as refused:
        upload(dataset, data, filename="survey.csv")
    assert refused.value.field == "file"
    assert message in str(refused.value)
    assert list(importer.upload_folder().glob("*.part")) == []


def test_formula_like_cells_are_stored_as_text_and_exported_safely(place: Place) -> None:
    text = "Ward,=1+1 How do you travel?\n" + "".join(
        f"{ward},{answer}\n"
        for ward in ("St Anne's", "Riverside")
        for answer in ['"=HYPERLINK(""http://evil.example"",""Bus"")"', "@SUM(A1:A9)", "Walk"] * 5
    )
    dataset = new_dataset(place)
    record = upload(dataset, text)
    mapping = edit_mapping(record)
    assert mapping.columns[1].role == ColumnRole.QUESTION
    assert mapping.columns[1].scale == Scale.NONE
    assert run(record).status == JobStatus.SUCCEEDED
    question = operations.visible_questions(dataset)[0]
    assert question.text == "=1+1 How do you travel?"
    labels = [v.label for v in question.values]
    assert labels == ['=HYPERLINK("http://evil.example","Bus")', "@SUM(A1:A9)", "Walk"]
    header, rows = operations.results_rows(dataset)
    exported = list(csv.reader(io.StringIO(csv_bytes(header, rows).decode("utf-8-sig"))))
    cells = [cell for row in exported for cell in row]
    assert "'=1+1 How do you travel?" in cells
    assert "'@SUM(A1:A9)" in cells
    assert not any(cell.startswith(("=", "@")) for cell in cells)


def test_xlsx_uploads_stream_and_keep_formulas_as_text(place: Place) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ward", "Weight", "Satisfied with your home?"])
    for index in range(12):
        sheet.append([place.wards[index % 2].gss_code, 1.0 + index % 3,
                      "Very satisfied" if index % 2 else "=1+2"])
    out = io.BytesIO()
    workbook.save(out)
    dataset = new_dataset(place)
    record = upload(dataset, out.getvalue(), filename="tenants.xlsx")
    assert record.file_format == "xlsx"
    mapping = edit_mapping(record)
    assert [c.role for c in mapping.columns] == [
        ColumnRole.WARD_CODE, ColumnRole.WEIGHT, ColumnRole.QUESTION,
    ]
    assert run(record).status == JobStatus.SUCCEEDED
    question = operations.visible_questions(dataset)[0]
    assert sorted(v.label for v in question.values) == ["=1+2", "Very satisfied"]
    assert _count(DatasetAnswer, dataset_id=dataset.id) == 12


def test_unmatched_ward_names_are_listed_then_mapped_or_dropped(place: Place) -> None:
    extra = "61,Old Town,16-24,Female,1,Tend to agree,\n62,Nowhere,16-24,Male,1,Tend to agree,\n"
    dataset = new_dataset(place)
    record = upload(dataset, survey(rows=60, extra=extra))
    check = operations.check_mapping(record)
    assert check.unmatched == ("Old Town", "Nowhere")
    with pytest.raises(EngageError):
        operations.start_import(None, record)
    db.session.rollback()
    mapping = edit_mapping(record)
    mapping.area_fixes = {"Old Town": place.wards[1].id, "Nowhere": DROP}
    save(record, mapping)
    assert operations.check_mapping(record).ready
    job = run(record)
    assert job.status == JobStatus.SUCCEEDED
    assert (job.result["respondents"], job.result["dropped"]) == (61, 1)
    db.session.refresh(record)
    assert (record.rows_imported, record.rows_dropped) == (61, 1)


def test_postcode_districts_use_the_partnerships_table(place: Place) -> None:
    operations.save_postcode_district(None, place.partnership, "hm1", place.wards[0])
    operations.save_postcode_district(None, place.partnership, "HM2", place.wards[1])
    db.session.commit()
    text = "Postcode district,Do you agree?\n" + "HM1 4AB,Agree\nHM2,Disagree\n" * 5
    dataset = new_dataset(place)
    record = upload(dataset, text)
    mapping = edit_mapping(record)
    assert mapping.columns[0].role == ColumnRole.POSTCODE_DISTRICT
    assert operations.check_mapping(record).ready
    assert run(record).status == JobStatus.SUCCEEDED
    assert _count(DatasetAnswer, ward_id=place.wards[0].id) == 5
    assert _count(PostcodeDistrict) == 2


def test_importing_the_same_file_again_replaces_rather_than_duplicates(place: Place) -> None:
    dataset = new_dataset(place)
    assert run(upload(dataset, survey())).status == JobStatus.SUCCEEDED
    answers = _count(DatasetAnswer)
    results = _count(DatasetResult)
    second = upload(dataset, survey())
    assert edit_mapping(second).columns[5].theme_id is None  # reused from the saved mapping
    assert run(second).status == JobStatus.SUCCEEDED
    db.session.refresh(dataset)
    assert dataset.current_version == 2
    assert _count(DatasetAnswer) == answers
    assert _count(DatasetResult) == results
    assert _count(DatasetAnswer, version=1) == 0
    assert _count(DatasetQuestion, version=1) == 0


def test_a_killed_import_leaves_nothing_and_a_retry_succeeds(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = new_dataset(place)
    assert run(upload(dataset, survey(rows=12))).status == JobStatus.SUCCEEDED
    before = _count(DatasetAnswer)
    record = upload(dataset, survey(rows=60))
    monkeypatch.setattr(importer, "BATCH_ROWS", 7)
    original = importer.BulkWriter.flush
    calls = {"n": 0}

    def dies_part_way(self: importer.BulkWriter) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker killed")
        original(self)

    monkeypatch.setattr(importer.BulkWriter, "flush", dies_part_way)
    job = run(record)
    assert job.status == JobStatus.FAILED
    db.session.refresh(dataset)
    assert dataset.current_version == 1
    assert _count(DatasetAnswer) == before
    assert _count(DatasetAnswer, version=2) == 0
    monkeypatch.setattr(importer.BulkWriter, "flush", original)
    retry_job(job)
    db.session.commit()
    db.session.expire_all()
    db.session.refresh(dataset)
    assert dataset.current_version == 2
    assert _count(DatasetAnswer, dataset_id=dataset.id) == 110
    assert _count(DatasetAnswer, version=1) == 0


AGGREGATE = """Indicator,Area,Value,Base (n),Period
% who feel safe after dark,St Anne's,61.5,120,2025
% who feel safe after dark,Castle and Mead,48,3,2025
% who feel safe after dark,{riverside},55,90,2025
% who feel safe after dark,Ashby District,57,400,2025
Number of burglaries,Riverside,3,,2025
Number of burglaries,St Anne's,12,,2025
"""


def test_an_aggregate_dataset_round_trips_with_small_bases_withheld(place: Place) -> None:
    dataset = new_dataset(place, DatasetShape.AGGREGATE, title="Police confidence by ward")
    record = upload(dataset, AGGREGATE.format(riverside=place.wards[2].gss_code))
    mapping = edit_mapping(record)
    assert [c.role for c in mapping.columns] == [
        ColumnRole.INDICATOR, ColumnRole.AREA, ColumnRole.VALUE, ColumnRole.BASE, ColumnRole.PERIOD,
    ]
    assert [i.unit.value for i in mapping.indicators] == ["percent", "count"]
    assert operations.check_mapping(record).ready
    job = run(record)
    assert job.status == JobStatus.SUCCEEDED, job.result
    assert _count(DatasetIndicatorValue, dataset_id=dataset.id) == 6
    indicators = operations.visible_questions(dataset, kind=QuestionKind.INDICATOR)
    views = operations.indicator_views(dataset, indicators, None)
    safe = {area.name: value for area, value in views[0].values}
    assert safe["St Anne's"].value == 61.5
    assert safe["Castle & Mead"].value is None  # base of 3
    assert safe["Ashby District"].value == 57
    burglaries = {area.name: value for area, value in views[1].values}
    assert burglaries["Riverside"].value is None  # a count of 3
    assert burglaries["St Anne's"].value == 12


def test_aggregate_duplicates_and_bad_values_are_row_errors(place: Place) -> None:
    text = AGGREGATE.format(riverside="Riverside") + (
        "% who feel safe after dark,St Anne's,60,100,2025\n"
        "Number of burglaries,Castle and Mead,lots,,2025\n"
    )
    dataset = new_dataset(place, DatasetShape.AGGREGATE)
    job = run(upload(dataset, text))
    assert job.status == JobStatus.FAILED
    assert [e["row"] for e in job.result["row_errors"]] == [8, 9]
    assert "row 2" in job.result["row_errors"][0]["message"]
    assert _count(DatasetIndicatorValue) == 0


def test_errors_stop_after_two_hundred(place: Place) -> None:
    text = "Ward,Q\n" + "Nowhere,Agree\n" * 250
    dataset = new_dataset(place)
    record = upload(dataset, text)
    mapping = edit_mapping(record)
    profile = operations.import_profile(record)
    profile[0].distinct.pop("Nowhere")  # as if the file had more areas than were listed
    record.profile = [p.to_json() for p in profile]
    save(record, mapping)
    job = run(record)
    errors = job.result["row_errors"]
    assert len(errors) == importer.MAX_ERRORS + 1
    assert errors[-1]["row"] == 0
    assert "200" in errors[-1]["message"]


def test_deleting_a_dataset_removes_every_row(place: Place) -> None:
    dataset = new_dataset(place)
    record = upload(dataset, survey())
    assert run(record).status == JobStatus.SUCCEEDED
    operations.delete_dataset(None, dataset)
    db.session.commit()
    for model in (DatasetAnswer, DatasetDemographic, DatasetResult, DatasetQuestion, DatasetImport):
        assert _count(model) == 0
