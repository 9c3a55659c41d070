"""Section text: Markdown rendered and sanitised (markdown + nh3)."""

from __future__ import annotations

from engage.strategy.markdown import markdown_html, render_markdown


def test_scripts_and_dangerous_links_are_removed() -> None:
    html = markdown_html(
        "Hi <script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[bad](javascript:alert(1)) [good](https://example.org)"
    )
    assert "<script" not in html and "onerror" not in html and "<img" not in html
    assert "javascript:" not in html
    assert 'href="https://example.org"' in html


def test_headings_start_below_the_section_title_and_keep_their_order() -> None:
    html = markdown_html("### First\n\ntext\n\n#### Second\n\n###### Deep")
    assert "<h3>First</h3>" in html and "<h4>Second</h4>" in html and "<h6>Deep</h6>" in html
    assert "<h1" not in markdown_html("# Top") and "<h3>Top</h3>" in markdown_html("# Top")


def test_tables_get_header_scopes_and_pages_get_govuk_classes() -> None:
    html = str(render_markdown("| Area | Score |\n|---|---|\n| Kelham | 44% |"))
    assert '<th scope="col" class="govuk-table__header">Area</th>' in html
    assert '<table class="govuk-table">' in html
    assert '<p class="govuk-body">' in str(render_markdown("Plain text."))
