"""axe-core in the page: WCAG 2.0, 2.1 and 2.2 A and AA rules, zero violations allowed.

axe is injected with ``page.evaluate`` of ``node_modules/axe-core/axe.min.js``. Playwright runs
that through the DevTools protocol, which the page's Content-Security-Policy does not govern, so
the app is tested under its real, strict CSP: no ``bypass_csp`` anywhere.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

_RUN = """(tags) => axe.run(document, {
  runOnly: {type: 'tag', values: tags},
  resultTypes: ['violations'],
}).then((results) => results.violations.map((v) => ({
  id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
  nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
})))"""


class AccessibilityViolations(AssertionError):
    """axe found WCAG A/AA violations on a page."""

    def __init__(self, url: str, language: str, violations: list[dict[str, Any]]) -> None:
        self.url = url
        self.violations = violations
        self.rule_ids = [v["id"] for v in violations]
        lines = [f"axe: {len(violations)} WCAG A/AA violation(s) on {url} (lang={language}):"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"][:5]:
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"    {node['target']}: {summary}")
            if len(v["nodes"]) > 5:
                lines.append(f"    ... and {len(v['nodes']) - 5} more")
        super().__init__("\n".join(lines))


@cache
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        raise FileNotFoundError(f"{AXE_SOURCE} is missing: run `make install` (npm ci)")
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; the list of violations (empty when clean)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    violations: list[dict[str, Any]] = page.evaluate(_RUN, list(WCAG_TAGS))
    return violations


def assert_accessible(page: Page) -> None:
    """Fail with a readable list of every WCAG A/AA violation axe finds on the page."""
    violations = axe_violations(page)
    if violations:
        language = page.locator("html").get_attribute("lang") or "?"
        raise AccessibilityViolations(page.url, language, violations)
