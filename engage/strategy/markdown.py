"""Section text: Markdown rendered with `markdown`, then sanitised with `nh3`.

Headings in a section are moved down so the section's own first heading level is
``heading_base`` (a section title is h2, so text headings start at h3), keeping the
document's headings in order whatever levels the author typed.
"""

from __future__ import annotations

import re

import markdown as markdown_lib
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "blockquote",
    "a",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"}}
_HEADING = re.compile(r"<(/?)h([1-6])(\s|>)")


def _shift_headings(html: str, base: int) -> str:
    levels = [int(m.group(2)) for m in _HEADING.finditer(html)]
    if not levels:
        return html
    top = min(levels)

    def replace(match: re.Match[str]) -> str:
        level = min(6, base + int(match.group(2)) - top)
        return f"<{match.group(1)}h{level}{match.group(3)}"

    return _HEADING.sub(replace, html)


def markdown_html(text: str, *, heading_base: int = 3) -> str:
    """Safe HTML for a section's Markdown (no classes: the caller adds its own)."""
    raw = markdown_lib.markdown(
        text or "", extensions=["tables", "sane_lists"], output_format="html"
    )
    raw = _shift_headings(raw, heading_base)
    clean = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return clean.replace("<th>", '<th scope="col">')


_GOVUK_CLASSES = (
    ("<p>", '<p class="govuk-body">'),
    ("<ul>", '<ul class="govuk-list govuk-list--bullet">'),
    ("<ol>", '<ol class="govuk-list govuk-list--number">'),
    ("<ol start=", '<ol class="govuk-list govuk-list--number" start='),
    ("<h3>", '<h3 class="govuk-heading-m">'),
    ("<h4>", '<h4 class="govuk-heading-s">'),
    ("<h5>", '<h5 class="govuk-heading-s">'),
    ("<h6>", '<h6 class="govuk-heading-s">'),
    ("<a href=", '<a class="govuk-link" href='),
    ("<table>", '<table class="govuk-table">'),
    ("<tr>", '<tr class="govuk-table__row">'),
    ('<th scope="col">', '<th scope="col" class="govuk-table__header">'),
    ("<td>", '<td class="govuk-table__cell">'),
    ("<blockquote>", '<blockquote class="govuk-inset-text">'),
)


def govuk_html(html: str) -> Markup:
    """GOV.UK Frontend classes on HTML that is already safe (sanitised or our own)."""
    for plain, styled in _GOVUK_CLASSES:
        html = html.replace(plain, styled)
    html = html.replace(
        '<blockquote class="govuk-inset-text">\n<p class="govuk-body">',
        '<blockquote class="govuk-inset-text">\n<p>',
    )
    return Markup(html)  # noqa: S704 - the caller passes safe HTML


def render_markdown(text: str, *, heading_base: int = 3) -> Markup:
    """Sanitised HTML, with GOV.UK Frontend classes for the app's pages."""
    return govuk_html(markdown_html(text, heading_base=heading_base))
