"""Uploads: wrong encodings, oversized bodies (413), XLSX zip bombs, path tricks in file names,
one bad row → nothing imported, the same file twice → no duplicates.

Across the area import (admin), the register import (audit) and the dataset upload
(intelligence); the panel pool and priorities figures imports have their own twice/bad-row
tests in tests/panels and tests/priorities.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from engage.audit.models import EngagementActivity
from engage.core.spreadsheets import UnreadableFile, check_workbook_archive
from engage.extensions import db
from engage.partnerships.models import Area
from tests.factories import intelligence_values_for
from tests.test_authorisation import World, _client

AREAS = """gss_code,name,name_cy,level,parent_code,population
E07800901,Riverton,,district,,20000
E05800901,Riverton North,,ward,E07800901,9000
E05800902,Riverton South,,ward,E07800901,11000
"""
AREAS_BAD_ROW = AREAS + "E05800903,Broken,,ward,E07800901,many\n"
REGISTER_HEADER = ["organisation", "title", "method", "themes", "areas", "start_date", "end_date",
                   "participants", "status"]


def _register_csv(world: World, titles: list[str], bad: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REGISTER_HEADER)
    for title in titles:
        writer.writerow([world.own.organisations[0].name, title, "survey", world.own.themes[0].name,
                         "all", "2025-03-01", "2025-03-31", "40", "closed"])
    if bad:
        writer.writerow([world.own.organisations[0].name, "Broken", "carrier pigeon", "nope",
                         "Atlantis", "31/02/2025", "", "many", "closed"])
    return buffer.getvalue().encode("utf-8")


def _post(client, url: str, data: bytes, filename: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _urls(world: World) -> dict[str, str]:
    values = intelligence_values_for(world.own)
    return {
        "areas": f"/manage/partnerships/{world.own.slug}/areas/import",
        "register": f"/partnerships/{world.own.slug}/register/import",
        "dataset": f"/partnerships/{world.own.slug}/intelligence/datasets/{values['dataset_id']}/upload",
        "districts": f"/partnerships/{world.own.slug}/intelligence/postcode-districts/import",
    }


def _counts() -> tuple[int, int]:
    from engage.intelligence.models import DatasetImport

    return (
        int(db.session.scalar(select(func.count()).select_from(Area)) or 0)
        + int(db.session.scalar(select(func.count()).select_from(EngagementActivity)) or 0),
        int(db.session.scalar(select(func.count()).select_from(DatasetImport)) or 0),
    )


def _bomb(uncompressed: int = 20 * 1024 * 1024) -> bytes:
    """A real workbook whose sheet inflates to `uncompressed` bytes (whitespace after the root)."""
    workbook = Workbook()
    workbook.active.append(["organisation", "title"])
    plain = io.BytesIO()
    workbook.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as bomb:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content += b" " * uncompressed
            bomb.writestr(item.filename, content)
    return out.getvalue()


def test_max_content_length_is_set() -> None:
    from engage.config import load_config

    assert 0 < load_config(Path("/tmp"))["MAX_CONTENT_LENGTH"] <= 100 * 1024 * 1024


def test_oversized_bodies_are_refused_with_413_everywhere(app: Flask, world: World) -> None:
    client = _client(app, "platform_admin")
    officer = _client(app, "partner_officer")
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = _counts()
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        for name, url in _urls(world).items():
            who = officer if name == "dataset" else client
            response = _post(who, url, b"a,b\n" + b"x,y\n" * 5000, "big.csv")
            assert response.status_code == 413, name
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert _counts() == before
    from engage.intelligence.importer import upload_folder

    assert not list(upload_folder().glob("*.part"))  # no half-written upload left behind


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "binary"])
def test_wrong_encodings_are_refused_and_nothing_is_imported(
    app: Flask, world: World, encoding: str
) -> None:
    client, officer = _client(app, "platform_admin"), _client(app, "partner_officer")
    before = _counts()
    for name, url in _urls(world).items():
        text = AREAS if name == "areas" else _register_csv(world, ["Encoded"]).decode()
        data = os.urandom(64) + b"\x00\x01" if encoding == "binary" else text.encode(encoding)
        response = _post(officer if name == "dataset" else client, url, data, "file.csv")
        assert response.status_code in (200, 400), (name, response.status_code)
    assert _counts() == before


def test_zip_bombs_are_refused_before_they_are_inflated(app: Flask, world: World) -> None:
    bomb = _bomb()
    assert len(bomb) < 200_000
    with pytest.raises(UnreadableFile):
        check_workbook_archive(bomb)
    with pytest.raises(UnreadableFile):  # too big in total, however well it compresses
        check_workbook_archive(_bomb(1024), max_bytes=1000)
    check_workbook_archive(_bomb(1024))  # an ordinary workbook passes
    client, officer = _client(app, "platform_admin"), _client(app, "partner_officer")
    before = _counts()
    urls = _urls(world)
    response = _post(client, urls["register"], bomb, "register.xlsx")
    assert response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)
    response = _post(officer, urls["dataset"], bomb, "survey.xlsx")
    assert response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)
    assert _counts() == before


def test_path_tricks_in_file_names_stay_in_the_upload_folder(app: Flask, world: World) -> None:
    from engage.intelligence.importer import upload_folder
    from engage.intelligence.models import DatasetImport

    officer = _client(app, "partner_officer")
    url = _urls(world)["dataset"]
    names = ["../../../../tmp/engage-evil.csv", "..\\..\\evil.csv", "/etc/passwd.csv",
             "evil\x00.csv", "C:\\Windows\\evil.csv"]
    for name in names:
        response = _post(officer, url, b"Ward,Q1\nA,Agree\n", name)
        assert response.status_code in (302, 200), name
    assert not Path("/tmp/engage-evil.csv").exists()
    folder = upload_folder().resolve()
    for record in db.session.scalars(select(DatasetImport).where(DatasetImport.stored_name != "")):
        stored = (folder / record.stored_name).resolve()
        assert stored.parent == folder and stored.exists()
        assert "/" not in record.stored_name and ".." not in record.stored_name


def test_one_bad_row_imports_nothing_and_the_same_file_twice_adds_nothing(
    app: Flask, world: World
) -> None:
    client = _client(app, "platform_admin")
    urls = _urls(world)
    before = _counts()
    good_register = _register_csv(world, ["Imported one", "Imported two"])
    bad_register = _register_csv(world, ["Imported one", "Imported two"], bad=True)
    for url, bad, good in ((urls["areas"], AREAS_BAD_ROW.encode(), AREAS.encode()),
                           (urls["register"], bad_register, good_register)):
        response = _post(client, url, bad, "file.csv")
        assert response.status_code == 200 and "Nothing was imported" in response.get_data(as_text=True)
        assert _counts() == before
        assert _post(client, url, good, "file.csv").status_code == 302
        once = _counts()
        assert once[0] > before[0]
        assert _post(client, url, good, "file.csv").status_code == 302
        assert _counts() == once
        before = once
