"""Exports open, and are accessible: parsed back with python-docx, pypdf and lxml."""

from __future__ import annotations

import io
import itertools
import re

import docx
import lxml.html
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from engage.extensions import db
from engage.priorities.pipeline import compute_priorities
from engage.strategy import operations
from engage.strategy.exports import export_draft
from engage.strategy.models import ExportFormat, StrategyDraft, StrategyExport
from tests.conftest import sign_in

VISION = "A safe, fair Shire.\n\n## What we will do\n\n- Listen first\n- Act together"


@pytest.fixture
def draft(county) -> StrategyDraft:
    picture = compute_priorities(county.partnership)
    made = operations.create_draft(
        county.users["coordinator"],
        picture,
        title="Shire strategy",
        period_start=2027,
        period_end=2037,
        language="en",
        threshold=5,
    )
    operations.save_section(
        county.users["coordinator"].id, made.sections[0], title="Our vision", body=VISION
    )
    db.session.commit()
    return made


def _headings(document: docx.document.Document) -> list[tuple[int, str]]:
    return [
        (int(p.style.name.split()[-1]), p.text)
        for p in document.paragraphs
        if p.style.name.startswith("Heading ")
    ]


def _in_order(levels: list[int]) -> bool:
    return levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_the_docx_has_real_headings_tables_and_charts_with_alt_text(app, draft) -> None:
    with app.test_request_context():
        export = export_draft(draft, ExportFormat.DOCX, "en", None)
    document = docx.Document(io.BytesIO(export.content))
    headings = _headings(document)
    titles = [t for _, t in headings]
    assert headings[0] == (1, "Shire strategy")
    for expected in (
        "Contents",
        "Our vision",
        "What we will do",
        "What residents told us",
        "Safer communities",
        "What you told us",
        "Local priorities in District 1",
        "Action plan",
        "How the priorities were worked out",
    ):
        assert expected in titles
    assert _in_order([level for level, _ in headings])
    assert len(document.tables) >= 5
    first = document.tables[0]
    assert [c.text for c in first.rows[0].cells][:3] == ["Rank", "Theme", "Score"]
    assert first.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # header repeats
    assert all(run.bold for run in first.rows[0].cells[0].paragraphs[0].runs)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert len(captions) == len(document.tables)
    pictures = document.inline_shapes
    assert len(pictures) >= 2
    assert all(p._inline.docPr.get("descr") for p in pictures)
    assert document.core_properties.language == "en-GB"
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets[:2] == ["Listen first", "Act together"]


def test_the_docx_in_welsh_declares_its_language(app, draft) -> None:
    with app.test_request_context():
        export = export_draft(draft, ExportFormat.DOCX, "cy", None)
    document = docx.Document(io.BytesIO(export.content))
    assert document.core_properties.language == "cy-GB"
    assert export.filename.endswith("-cy.docx")


def test_the_pdf_opens_with_a_contents_page_bookmarks_and_tags(app, draft) -> None:
    with app.test_request_context():
        export = export_draft(draft, ExportFormat.PDF, "en", None)
    reader = PdfReader(io.BytesIO(export.content))
    assert len(reader.pages) > 5
    first = reader.pages[0].extract_text()
    assert "Contents" in first and "Shire strategy" in first
    # The contents list gives each chapter's page number (leader dots, then the number).
    assert re.search(r"Our vision\s*\.+\s*\d+", first)
    outline = [item["/Title"] for item in reader.outline if isinstance(item, dict)]
    assert outline == ["Shire strategy"]
    chapters = [item["/Title"] for item in reader.outline[1] if isinstance(item, dict)]
    assert "Contents" in chapters and "Our vision" in chapters and "Action plan" in chapters
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for expected in (
        "What you told us",
        "Priority scores across Shire Partnership",
        "Indicators for Safer communities",
        "Lead partner",
    ):
        assert expected in text
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en" and "/StructTreeRoot" in root  # tagged (PDF/UA-1)


def test_the_html_export_is_one_accessible_document(app, draft) -> None:
    with app.test_request_context():
        export = export_draft(draft, ExportFormat.HTML, "en", None)
    page = lxml.html.fromstring(export.content)
    assert page.get("lang") == "en"
    assert len(page.findall(".//h1")) == 1
    levels = [int(h.tag[1]) for h in page.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert _in_order(levels)
    assert all(img.get("alt") for img in page.iter("img"))
    for table in page.iter("table"):
        assert table.find("caption") is not None
        assert all(th.get("scope") in ("col", "row") for th in table.iter("th"))


def test_an_export_runs_as_a_job_and_is_downloaded(client, county, draft) -> None:
    sign_in(client, "councillor@example.org")
    base = f"/partnerships/{county.partnership.slug}/strategy/{draft.id}"
    assert "Word document" in client.get(f"{base}/exports").get_data(as_text=True)
    response = client.post(f"{base}/exports", data={"format": "docx", "language": "en"})
    assert response.status_code == 302
    assert "/jobs/" in response.headers["Location"]
    status = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{base}/exports#export-" in status
    export = db.session.query(StrategyExport).one()
    download = client.get(f"{base}/exports/{export.id}")
    assert download.status_code == 200
    assert download.mimetype.endswith("wordprocessingml.document")
    assert docx.Document(io.BytesIO(download.data)).paragraphs[0].text == "Shire strategy"
    # The same version in the same format and language is not made twice.
    again = client.post(f"{base}/exports", data={"format": "docx", "language": "en"})
    assert again.headers["Location"] == response.headers["Location"]
    assert db.session.query(StrategyExport).count() == 1


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_a_pdf_or_html_export_made_by_a_job_outside_any_request_succeeds(
    client, county, draft, fmt
) -> None:
    # Jobs run in an app context of their own, with no request: the HTML template must render.
    sign_in(client, "councillor@example.org")
    base = f"/partnerships/{county.partnership.slug}/strategy/{draft.id}"
    response = client.post(f"{base}/exports", data={"format": fmt, "language": "cy"})
    assert response.status_code == 302
    status = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{base}/exports#export-" in status
    export = db.session.query(StrategyExport).one()
    download = client.get(f"{base}/exports/{export.id}")
    assert download.status_code == 200
    if fmt == "pdf":
        assert download.data.startswith(b"%PDF-")
    else:
        assert lxml.html.fromstring(download.data).get("lang") == "cy"
