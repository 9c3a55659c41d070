"""A coordinator audits the partnership's engagement: marks a possible duplicate pair
"coordinate" (the mark sticks after a reload, and is withdrawn again), reads coverage and gaps,
the calendar, the feedback loop, spend and reach, adds a self-assessment rating, and opens and
downloads the engagement strategy report. Run in English and in Welsh.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.journeys import COORDINATOR, LANGUAGES, sign_in, sign_out, start, unique
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser


def audit_nav(visitor: Visitor, page: str) -> None:
    """Follow a link of the audit's own navigation."""
    nav = visitor.page.get_by_role("navigation", name=visitor.t("Engagement register and audit"))
    visitor.follow(visitor.link(page, within=nav))


def table(visitor: Visitor, caption: str, **values: str | int) -> None:
    """A table with this caption is on the page, with at least one row of data."""
    found = visitor.main.get_by_role("table", name=visitor.t(caption, **values), exact=True)
    expect(found).to_be_visible()
    expect(found.locator("tbody tr").first).to_be_visible()


def review_a_duplicate(visitor: Visitor) -> None:
    audit_nav(visitor, "Duplication")
    visitor.expect_heading("Possible duplication")
    # The demo plants pairs by different partners; take the first still waiting for review.
    pair = visitor.main.locator(".engage-pair").first
    expect(pair).to_contain_text(visitor.t("Why they were flagged"))
    pair_id = pair.get_attribute("id")
    pair = visitor.main.locator(f'[id="{pair_id}"]')

    def button(message: str) -> Locator:  # "Coordinate: <the two titles>" (visually hidden)
        return pair.get_by_role("button", name=re.compile(f"^{re.escape(visitor.t(message))}\\s*:"))

    visitor.update(
        lambda: visitor.hands.activate(
            button("Coordinate")
        )
    )
    tag = pair.locator(".govuk-tag")
    expect(tag).to_have_text(visitor.t("Coordinate"))

    # The mark sticks: the page opened afresh still shows it.
    visitor.open(visitor.page.url)
    visitor.expect_heading("Possible duplication")
    expect(tag).to_have_text(visitor.t("Coordinate"))

    # Withdrawn again, so the other language's run finds the same demo state.
    visitor.update(
        lambda: visitor.hands.activate(
            button("Open for review again")
        )
    )
    expect(button("Coordinate")).to_be_visible()


def read_the_audit(visitor: Visitor) -> None:
    audit_nav(visitor, "Coverage and gaps")
    visitor.expect_heading("Coverage and gaps")
    table(visitor, "Activities by ward and theme")
    table(visitor, "Activities by target group and theme")
    # The demo leaves gaps: wards never asked about a theme are listed, by ward.
    gaps = visitor.main.get_by_role("heading", name=visitor.t("Gaps: wards never asked about a theme"))
    expect(gaps).to_be_visible()
    expect(visitor.main.locator("#ward-gaps li").first).to_be_visible()
    expect(visitor.main).to_contain_text(visitor.t("Consultation fatigue"))

    audit_nav(visitor, "Calendar")
    year = int(visitor.page.get_by_role("heading", level=1).inner_text().split()[-1])
    visitor.expect_heading("Engagement calendar %(year)d", year=year)
    table(visitor, "Activities by month")

    audit_nav(visitor, "Feedback loop")
    visitor.expect_heading("Feedback loop: you said, we did")
    table(visitor, "By partner")

    audit_nav(visitor, "Spend and reach")
    visitor.expect_heading("Spend and reach")
    table(visitor, "By partner")
    table(visitor, "By method")


def rate_the_partnership(visitor: Visitor, evidence: str) -> None:
    audit_nav(visitor, "Self-assessment")
    visitor.expect_heading("Self-assessment")
    dimension = visitor.page.get_by_role("group", name=visitor.t("Dimension"), exact=True)
    visitor.choose(dimension.get_by_role("radio", name=visitor.t("Communications"), exact=True))
    rating = visitor.page.get_by_role("group", name=visitor.t("Rating"), exact=True)
    visitor.choose(rating.get_by_role("radio", name=visitor.t("Amber"), exact=True))
    visitor.fill(visitor.field("Evidence"), evidence)
    visitor.submit(visitor.button("Save rating"))
    visitor.expect_success("Rating saved")
    history = visitor.main.get_by_role("table", name=visitor.t("Ratings over time"), exact=True)
    row = history.get_by_role("row").filter(has_text=visitor.t("Communications"))
    expect(row).to_contain_text(visitor.t("Amber"))


def open_the_report(visitor: Visitor) -> None:
    audit_nav(visitor, "Strategy report")
    visitor.expect_heading("Engagement strategy report")
    for heading in ("Possible duplication", "Coverage and gaps"):
        expect(
            visitor.main.get_by_role("heading", name=visitor.t(heading), exact=True).first
        ).to_be_visible()
    download = visitor.download(visitor.link("Download as Word (DOCX)"))
    assert download.suggested_filename.startswith("engagement-strategy-report-hartmoor-")
    assert download.suggested_filename.endswith(".docx")
    with zipfile.ZipFile(Path(download.path())) as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert "Hartmoor" in body


def coordinator_audit_journey(visitor: Visitor, language: str) -> None:
    evidence = f"Board minutes {unique('')}: the engagement plan was agreed"
    start(visitor, language)
    sign_in(visitor, COORDINATOR)
    visitor.expect_text("As coordinator")
    visitor.follow(
        visitor.link("Engagement audit: duplication, gaps, feedback loop and self-assessment")
    )
    visitor.expect_heading("Engagement audit")
    review_a_duplicate(visitor)
    read_the_audit(visitor)
    rate_the_partnership(visitor, evidence)
    open_the_report(visitor)
    sign_out(visitor)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_coordinator_reviews_a_duplicate_reads_the_audit_and_downloads_the_report(
    open_visitor: OpenVisitor, language: str
) -> None:
    coordinator_audit_journey(open_visitor("coordinator"), language)
