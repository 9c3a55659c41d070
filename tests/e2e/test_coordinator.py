"""A coordinator: opens Manage, their partnership's overview, and adds a theme.

Run in English and in Welsh.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import COORDINATOR, HARTMOOR, LANGUAGES, sign_in, sign_out, start, unique
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser


def coordinator_journey(visitor: Visitor, language: str) -> None:
    number = unique("")
    theme, theme_cy = f"Digital inclusion {number}", f"Cynhwysiant digidol {number}"
    start(visitor, language)
    sign_in(visitor, COORDINATOR)
    visitor.expect_text("As coordinator")

    visitor.follow(visitor.link("Manage", within=visitor.header))
    visitor.expect_heading("Manage partnerships")
    visitor.follow(visitor.link(HARTMOOR[language], within=visitor.main))
    visitor.expect_heading(HARTMOOR[language])
    expect(visitor.main.locator(".govuk-summary-list")).to_contain_text(visitor.t("Themes"))

    set_up = visitor.page.get_by_role("navigation", name=visitor.t("Partnership set-up"))
    visitor.follow(visitor.link("Themes", within=set_up))
    visitor.expect_heading("Themes")
    visitor.follow(visitor.link("Add a theme", within=visitor.main))
    visitor.expect_heading("Add a theme")
    visitor.fill(visitor.field("Theme"), theme)
    visitor.fill(visitor.field("Theme in Welsh (optional)"), theme_cy)
    visitor.submit(visitor.button("Save theme"))
    visitor.expect_success("Theme saved")
    row = visitor.main.get_by_role("row").filter(has_text=theme)
    expect(row).to_contain_text(theme_cy)
    expect(row).to_contain_text(visitor.t("In use"))
    sign_out(visitor)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_coordinator_opens_their_partnership_overview_and_adds_a_theme(
    open_visitor: OpenVisitor, language: str
) -> None:
    coordinator_journey(open_visitor("coordinator"), language)
