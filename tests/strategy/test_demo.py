"""The demo: priorities over the demo evidence, and a draft in progress that exports."""

from __future__ import annotations

import io

import docx
from flask import Flask
from pypdf import PdfReader

from engage.demo.foundation import load_foundation
from engage.extensions import db
from engage.priorities.demo import load_priorities_demo
from engage.strategy.demo import TITLE, load_strategy_demo
from engage.strategy.exports import export_draft
from engage.strategy.models import ExportFormat, StrategyDraft


def test_the_demo_draft_has_two_versions_comments_and_exports_that_open(app: Flask) -> None:
    load_foundation()
    load_priorities_demo()
    counts = load_strategy_demo()
    again = load_strategy_demo()
    db.session.commit()
    assert counts == again  # idempotent
    draft = db.session.query(StrategyDraft).filter_by(title=TITLE).one()
    assert len(draft.versions) == 2
    assert sum(len(s.comments) for s in draft.sections) >= 2
    assert draft.sections[0].body.startswith("By 2037 Hartmoor")
    # Local distinctiveness in the demo: Kelham puts safety clearly higher than the county.
    kelham = next(s for s in draft.sections if s.title == "Local priorities in Kelham")
    assert "Safer communities" in kelham.body.split("clearly less")[0]

    with app.test_request_context():
        word = export_draft(draft, ExportFormat.DOCX, "en", None)
        pdf = export_draft(draft, ExportFormat.PDF, "cy", None)
    document = docx.Document(io.BytesIO(word.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for expected in ("Hartmoor Sustainable Community Strategy 2027–2037", "Our vision",
                     "What residents told us", "Safer communities", "Housing",
                     "Local priorities in Kelham", "Action plan"):
        assert expected in headings
    header_rows = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert ["Rank", "Theme", "Score", "Plausible range", "Evidence strength", "People"] in header_rows
    assert any(row[:2] == ["Theme", "Indicator"] for row in header_rows)  # the action plan

    reader = PdfReader(io.BytesIO(pdf.content))
    assert reader.trailer["/Root"]["/Lang"] == "cy"
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Hartmoor Sustainable Community Strategy 2027–2037" in text
    assert "Local priorities in Kelham" in text
