"""The checks every journey relies on can fail: deliberately broken pages make them fail.

The accessibility fixtures are served by the test server only (tests/e2e/server.py) inside the
app's own layout, under its real Content-Security-Policy. The keyboard fixtures need an inline
style or script, which that CSP forbids, so they are loaded with ``page.set_content``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.axe import AccessibilityViolations
from tests.e2e.server import FIXTURE_PREFIX
from tests.e2e.visitor import KeyboardProblem, OpenVisitor

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_the_accessibility_check_fails_on_a_page_with_an_input_without_a_label(
    open_visitor: OpenVisitor,
) -> None:
    visitor = open_visitor("checker")
    with pytest.raises(AccessibilityViolations) as failure:
        visitor.open(f"{FIXTURE_PREFIX}/unlabelled_input")
    assert failure.value.rule_ids == ["label"]
    assert "#nickname" in str(failure.value)


def test_the_accessibility_check_passes_on_the_same_page_with_the_label(
    open_visitor: OpenVisitor,
) -> None:
    visitor = open_visitor("checker")
    visitor.open(f"{FIXTURE_PREFIX}/labelled_input")
    assert visitor.pages_checked


def test_the_keyboard_check_fails_when_focus_cannot_be_seen(open_visitor: OpenVisitor) -> None:
    visitor = open_visitor("checker", keyboard=True)
    visitor.page.set_content((FIXTURES / "invisible_focus.html").read_text())
    with pytest.raises(KeyboardProblem, match="focus is not visible"):
        visitor.hands.activate(visitor.page.get_by_role("link", name="Second"))


def test_the_keyboard_check_fails_when_focus_looks_the_same_as_no_focus(
    open_visitor: OpenVisitor,
) -> None:
    visitor = open_visitor("checker", keyboard=True)
    visitor.page.set_content((FIXTURES / "unchanged_focus.html").read_text())
    with pytest.raises(KeyboardProblem, match="looks the same with and without focus"):
        visitor.hands.activate(visitor.page.get_by_role("button", name="Second"))


def test_the_keyboard_check_fails_when_tab_cannot_leave_a_field(open_visitor: OpenVisitor) -> None:
    visitor = open_visitor("checker", keyboard=True)
    visitor.page.set_content((FIXTURES / "keyboard_trap.html").read_text())
    with pytest.raises(KeyboardProblem, match="focus is trapped"):
        visitor.hands.activate(visitor.page.get_by_role("link", name="After the trap"))


def test_the_page_check_fails_on_an_unexpected_status(open_visitor: OpenVisitor) -> None:
    visitor = open_visitor("checker")
    with pytest.raises(AssertionError, match="answered 404, expected 200"):
        visitor.open(f"{FIXTURE_PREFIX}/no-such-fixture")
