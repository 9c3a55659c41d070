"""A councillor: opens their ward page, prints it, and cannot open another ward; filters the
engagement in their wards to one ward and exports it as CSV.

Run in English and in Welsh, and without JavaScript.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import COUNCILLOR, LANGUAGES, sign_in, sign_out, start
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser

# Demo: cllr.patel is the councillor for Ashby Central and Brookfield, in Ashby Vale.
OWN_WARD = "Ashby Central"
OTHER_OWN_WARD = "Brookfield"
NEIGHBOURING_WARD = "/partnerships/ashby-vale/wards/E05901002"  # Ashby North: not theirs
ANOTHER_DISTRICTS_WARD = "/partnerships/kelham/wards/E05902001"  # Kelham Abbey


def councillor_journey(visitor: Visitor, language: str) -> None:
    start(visitor, language)
    sign_in(visitor, COUNCILLOR)
    visitor.expect_text("As a councillor")

    visitor.follow(visitor.link(OWN_WARD, within=visitor.main))
    visitor.expect_heading("%(ward)s ward", ward=OWN_WARD)
    expect(visitor.page.get_by_role("table").first).to_be_visible()

    # The print stylesheet drops the header, the footer and the skip link; the content stays.
    page = visitor.page
    header = page.locator("header.govuk-template__header")
    footer = page.locator("footer.govuk-footer")
    expect(header).to_have_count(1)
    expect(footer).to_have_count(1)
    expect(header).to_be_visible()
    expect(footer).to_be_visible()
    with visitor.printing():
        expect(header).to_be_hidden()
        expect(footer).to_be_hidden()
        expect(page.locator(".govuk-skip-link")).to_be_hidden()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_role("table").first).to_be_visible()
    expect(header).to_be_visible()

    # Another ward answers "Page not found", whether in their district or another one.
    for address in (NEIGHBOURING_WARD, ANOTHER_DISTRICTS_WARD):
        visitor.open(address, status=404)
        visitor.expect_heading("Page not found")

    # Their own wards still open from the home page.
    visitor.follow(visitor.link("Go to the home page"))
    visitor.follow(visitor.link(OTHER_OWN_WARD, within=visitor.main))
    visitor.expect_heading("%(ward)s ward", ward=OTHER_OWN_WARD)
    filter_and_export_engagement(visitor)
    sign_out(visitor)


def filter_and_export_engagement(visitor: Visitor) -> None:
    """The engagement register as a councillor sees it: their wards only, filtered to one
    ward (a plain GET form), and downloaded as CSV with the same rows."""
    visitor.follow(visitor.link("Home", within=visitor.header))
    visitor.follow(visitor.link("Engagement in your wards", within=visitor.main))
    visitor.expect_heading("Engagement in your wards")
    listed = visitor.main.get_by_role("table", name=visitor.t("Activities touching your wards"))
    rows = listed.locator("tbody tr")
    everything = rows.count()
    assert everything > 0

    ward = visitor.field("Ward")
    visitor.select(ward, OWN_WARD)
    visitor.submit(visitor.button("Apply filters"))
    visitor.expect_heading("Engagement in your wards")
    expect(ward.locator("option:checked")).to_have_text(OWN_WARD)
    in_ward = rows.count()
    assert 0 < in_ward <= everything

    download = visitor.download(visitor.link("Download as CSV", within=visitor.main))
    assert download.suggested_filename.startswith("engagement-in-your-wards-ashby-vale-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert len(exported) == in_ward
    titles = [cell.strip() for cell in listed.locator("tbody tr td:first-child a").all_inner_texts()]
    assert sorted(row["title"] for row in exported) == sorted(titles)
    assert all(row["cost"] == "" and row["contact_email"] == "" for row in exported)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_councillor_opens_and_prints_their_ward_page_but_not_another_ward(
    open_visitor: OpenVisitor, language: str
) -> None:
    councillor_journey(open_visitor("councillor"), language)


def test_a_councillor_can_do_every_step_without_javascript(open_visitor: OpenVisitor) -> None:
    councillor_journey(open_visitor("councillor", javascript=False), "en")
