"""A coordinator: opens the residents' priorities, generates a Sustainable Community Strategy
draft from them, edits a section (a new version), and exports the draft as DOCX, PDF and HTML.

Exports run as long jobs (a thread in the test server): the coordinator waits on the job's
status page, which updates itself, then downloads each file from the draft's Download page.
Run in English and in Welsh.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import COORDINATOR, LANGUAGE_NAMES, LANGUAGES, sign_in, sign_out, start
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser

# Format label (as the Download page shows it), file ending, Content-Type, first bytes.
EXPORTS = (
    (
        "Word document (DOCX)",
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK",
    ),
    ("PDF", ".pdf", "application/pdf", b"%PDF-"),
    ("Web page (HTML)", ".html", "text/html", b"<!"),
)
JOB_TIMEOUT_MS = 60_000


def open_strategy_drafts(visitor: Visitor) -> None:
    """From the home page: Priorities in the header, then the strategy drafts."""
    visitor.follow(visitor.link("Priorities", within=visitor.header))
    visitor.expect_heading("Residents' priorities")
    priorities = visitor.page.get_by_role("navigation", name=visitor.t("Priorities"))
    visitor.follow(visitor.link("Strategy drafts", within=priorities))
    visitor.expect_heading("Sustainable Community Strategy")


def export_and_download(
    visitor: Visitor, fmt: str, ending: str, content_type: str, magic: bytes
) -> int:
    """On the Download page: make one file (a job), wait for it, download it; its size."""
    visitor.expect_heading("Download the draft")
    visitor.choose(visitor.radio(visitor.t(fmt)))
    visitor.choose(visitor.radio(LANGUAGE_NAMES[visitor.language]))
    visitor.submit(visitor.button("Create the file"))
    visitor.expect_heading("Exporting the strategy")

    # The status page refreshes itself (htmx polling, or a meta refresh without JavaScript)
    # until the job has finished; then it offers Continue.
    status = visitor.page.locator("#job-status-tag")
    finished, failed = visitor.t("Finished"), visitor.t("Failed")
    expect(status).to_have_text(
        re.compile(f"^({re.escape(finished)}|{re.escape(failed)})$"), timeout=JOB_TIMEOUT_MS
    )
    expect(status).to_have_text(finished, timeout=1)  # not Failed
    visitor.recheck()  # the finished status, as it was swapped in
    visitor.expect_text("The task has finished.")
    visitor.follow(visitor.link("Continue", within=visitor.main))
    visitor.expect_heading("Download the draft")

    # The file just made is the newest row, the one the Continue link pointed at.
    fragment = visitor.page.url.partition("#")[2]
    assert fragment.startswith("export-"), visitor.page.url
    newest = visitor.page.locator(f"#{fragment}")
    expect(newest).to_have_count(1)
    expect(newest).to_contain_text(visitor.t(fmt))
    link = newest.get_by_role("link")
    name = link.inner_text().strip()
    assert name.endswith(ending), name

    download = visitor.download(link)
    assert download.suggested_filename == name
    body = Path(download.path()).read_bytes()
    assert body.startswith(magic), body[:40]
    assert len(body) > 1_000, len(body)

    # The same file as the server labels it (the browser's cookies, no navigation).
    href = link.get_attribute("href")
    assert href
    answer = visitor.page.request.get(href)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith(content_type), answer.headers
    assert answer.headers["content-disposition"].startswith("attachment"), answer.headers
    assert answer.body() == body
    return len(body)


def strategy_journey(
    visitor: Visitor, language: str, formats: tuple[str, ...] = (".docx", ".pdf", ".html")
) -> dict[str, int]:
    """The whole journey in ``language``, exporting the ``formats`` (file endings); the size
    of each file downloaded, by ending."""
    start(visitor, language)
    sign_in(visitor, COORDINATOR)
    open_strategy_drafts(visitor)

    # Generate a draft from the current priorities, in the language of the page.
    visitor.follow(visitor.link("Start a new draft", within=visitor.main))
    visitor.expect_heading("Start a new draft")
    title = visitor.field("Title").input_value()
    assert title, "the title is suggested"
    expect(visitor.radio(LANGUAGE_NAMES[language])).to_be_checked()
    visitor.submit(visitor.button("Create the draft from current priorities"))
    visitor.expect_success("Draft created from the current priorities")
    visitor.expect_heading(title)
    summary = visitor.main.locator(".govuk-summary-list")
    expect(summary).to_contain_text(visitor.t("Draft"))
    sections = visitor.main.get_by_role("table", name=visitor.t("Sections"))
    rows = sections.locator("tbody tr")
    assert rows.count() >= 3, "a vision, chapters and an action plan"

    # Edit the first section: saving makes version 2.
    first = rows.first.get_by_role("rowheader").get_by_role("link").inner_text().strip()
    visitor.follow(sections.get_by_role("link", name=f"{visitor.t('Edit')} {first}", exact=True))
    visitor.expect_heading("%(edit)s: %(title)s", edit=visitor.t("Edit"), title=first)
    body = visitor.field("Text")
    text = body.input_value()
    addition = "Residents asked for more evening bus services; partners will report on them."
    visitor.fill(body, f"{text}\n\n{addition}\n")
    note = "Added the bus services commitment"
    visitor.fill(visitor.field("What did you change? (optional)"), note)
    visitor.submit(visitor.button("Save as a new version"))
    visitor.expect_success("Saved as a new version")
    visitor.expect_heading(first)
    expect(visitor.main).to_contain_text(addition)

    visitor.follow(visitor.link("Back to the draft"))
    visitor.expect_heading(title)
    expect(summary).to_contain_text("2")
    draft_nav = visitor.page.get_by_role("navigation", name=visitor.t("This draft"))
    visitor.follow(visitor.link("Versions", within=draft_nav))
    visitor.expect_heading("Versions")
    versions = visitor.main.get_by_role(
        "table", name=visitor.t("Every saved version, newest first")
    )
    newest = versions.locator("tbody tr").first
    expect(newest.locator("td, th").first).to_have_text("2")
    expect(newest).to_contain_text(note)

    # Export in each format, waiting on the job, and download each file.
    sizes: dict[str, int] = {}
    chosen = [export for export in EXPORTS if export[1] in formats]
    for fmt, ending, content_type, magic in chosen:
        draft_nav = visitor.page.get_by_role("navigation", name=visitor.t("This draft"))
        visitor.follow(visitor.link("Download", within=draft_nav))
        sizes[ending] = export_and_download(visitor, fmt, ending, content_type, magic)
    files = visitor.main.get_by_role("table", name=visitor.t("Files made"))
    expect(files.locator("tbody tr")).to_have_count(len(chosen))
    for row in files.locator("tbody tr").all():
        expect(row.locator("td").nth(2)).to_have_text("2")  # every file is of version 2
    sign_out(visitor)
    return sizes


# Every format in English; in Welsh the same pages again with one file (the pages are the same
# for every format, and each export takes a few seconds of the browser tests' time budget).
FORMATS = {"en": (".docx", ".pdf", ".html"), "cy": (".pdf",)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_coordinator_generates_edits_and_exports_a_strategy_draft(
    open_visitor: OpenVisitor, language: str
) -> None:
    sizes = strategy_journey(open_visitor("coordinator"), language, FORMATS[language])
    assert set(sizes) == set(FORMATS[language])
