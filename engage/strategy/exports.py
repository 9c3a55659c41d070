"""Strategy exports: one document model, rendered as HTML, PDF (WeasyPrint) and DOCX (python-docx).

Accessible by construction: one h1, section headings at h2 and their sub-headings below, in
order; every table has a caption and header cells; every chart is an image with alternative
text and sits beside a table of the same figures; the document's language is declared. The
UI words (headings, table headers) are in the export's language; the draft's own text is as
written. Counts below the disclosure threshold are never published.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from engage.core.i18n import show_date
from engage.extensions import db
from engage.partnerships.models import Area
from engage.priorities import labels as priority_labels
from engage.priorities.charts import ChartRow, interval_chart_png, interval_chart_svg
from engage.priorities.geography import build_geography
from engage.priorities.presentation import withheld
from engage.strategy import labels
from engage.strategy.markdown import markdown_html
from engage.strategy.models import (
    ExportFormat,
    SectionKind,
    StrategyDraft,
    StrategyExport,
    StrategyIndicator,
)

MIME_TYPES = {
    ExportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ExportFormat.PDF: "application/pdf",
    ExportFormat.HTML: "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class TableSpec:
    caption: str
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ChartSpec:
    chart_id: str
    title: str
    description: str
    axis_label: str
    rows: list[ChartRow]

    def svg(self) -> Markup:
        return interval_chart_svg(
            self.rows, title=self.title, description=self.description, chart_id=self.chart_id
        )

    def svg_data_uri(self) -> str:
        data = base64.b64encode(str(self.svg()).encode()).decode()
        return f"data:image/svg+xml;base64,{data}"

    def png(self) -> bytes:
        return interval_chart_png(self.rows, title=self.title, axis_label=self.axis_label)


@dataclass(frozen=True)
class Block:
    """One chapter of the document (h2) with its text, charts and tables."""

    anchor: str
    title: str
    html: str
    charts: list[tuple[ChartSpec, TableSpec]] = field(default_factory=list)
    tables: list[tuple[str, TableSpec]] = field(default_factory=list)
    chapter: bool = True


@dataclass(frozen=True)
class ExportDocument:
    language: str
    title: str
    lines: list[str]
    blocks: list[Block]
    contents_label: str
    text_language: str


def _pct(value: float | None) -> str:
    return "–" if value is None else str(format_percent(value, format="#,##0%"))


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return str(format_decimal(value, format="#,##0" if digits == 0 else "#,##0." + "0" * digits))


def _value(value: float | None, unit: str) -> str:
    from engage.strategy.operations import with_unit

    if value is None:
        return _("To be set")
    return with_unit(_num(value, 1 if value != int(value) else 0), unit)


def _indicator_rows(
    indicators: Sequence[StrategyIndicator], language: str, *, with_theme: bool
) -> list[list[str]]:
    rows = []
    for i in indicators:
        latest = i.latest_update
        row = [
            i.name,
            _("%(value)s in %(year)s", value=_value(i.baseline, i.unit), year=i.baseline_year)
            if i.baseline_year
            else _value(i.baseline, i.unit),
            _("%(value)s by %(year)s", value=_value(i.target, i.unit), year=i.target_year)
            if i.target_year
            else _value(i.target, i.unit),
            i.lead_organisation.display_name(language)
            if i.lead_organisation
            else _("To be agreed"),
            labels.label(labels.RAG_SHORT, latest.status) if latest else _("No report yet"),
        ]
        if with_theme:
            row.insert(0, i.theme.display_name(language) if i.theme else "–")
        rows.append(row)
    return rows


def _indicator_header(*, with_theme: bool) -> list[str]:
    header = [_("Indicator"), _("Baseline"), _("Target"), _("Lead partner"), _("Latest status")]
    if with_theme:
        header.insert(0, _("Theme"))
    return header


def build_document(draft: StrategyDraft, language: str, threshold: int) -> ExportDocument:
    """The export's content in ``language`` (call inside force_locale(language))."""
    partnership = draft.partnership
    geography = build_geography(partnership)
    themes = {t.slug: t for t in partnership.themes}
    snapshot = draft.snapshot
    scores = snapshot.scores if snapshot else []
    by_theme_area = {(s["theme"], s["area"]): s for s in scores}
    root = geography.root_id
    partnership_name = partnership.display_name(language)

    def area_name(code: str) -> str:
        if code == root:
            return partnership_name
        area = geography.area(code) or db.session.query(Area).filter_by(gss_code=code).first()
        return area.display_name(language) if area else code

    def publishable(row: dict[str, Any]) -> bool:
        return not withheld(int(row["total_base"]), show_small=False, threshold=threshold)

    status = labels.label(labels.STATUS_LABELS, draft.status)
    latest = draft.latest_version
    lines = [
        partnership_name,
        _("%(status)s, version %(version)d", status=status, version=latest.number if latest else 0),
        _("Period: %(start)d to %(end)d", start=draft.period_start, end=draft.period_end),
    ]
    if snapshot is not None:
        lines.append(_("Evidence as at %(date)s", date=show_date(snapshot.as_of)))

    blocks: list[Block] = []
    sections = list(draft.sections)
    vision = [s for s in sections if s.kind == SectionKind.VISION]
    for section in vision:
        blocks.append(
            Block(
                f"section-{section.key}",
                section.title,
                markdown_html(section.body)
                or f"<p>{_('The vision has not been written yet.')}</p>",
            )
        )

    ranking = sorted(
        (s for s in scores if s["area"] == root and s["theme"] in themes),
        key=lambda s: (-s["score"], s["theme"]),
    )
    if ranking:
        shown = [s for s in ranking if publishable(s)]
        chart = ChartSpec(
            chart_id="chart-priorities",
            title=_("Priority scores across %(area)s", area=partnership_name),
            description=_(
                "Themes in order of priority. %(first)s is highest at %(score)s. Each dot is a "
                "score and each line the range it plausibly lies in; the table that follows "
                "gives every figure.",
                first=themes[shown[0]["theme"]].display_name(language) if shown else "–",
                score=_pct(shown[0]["score"]) if shown else "–",
            ),
            axis_label=_("Priority score, per cent"),
            rows=[
                ChartRow(
                    themes[s["theme"]].display_name(language), s["score"], s["lower"], s["upper"]
                )
                for s in shown
            ],
        )
        table = TableSpec(
            caption=_("Priority scores across %(area)s", area=partnership_name),
            header=[
                _("Rank"),
                _("Theme"),
                _("Score"),
                _("Plausible range"),
                _("Evidence strength"),
                _("People"),
            ],
            rows=[
                [
                    str(index),
                    themes[s["theme"]].display_name(language),
                    _pct(s["score"]) if publishable(s) else _("Not shown"),
                    _("%(lower)s to %(upper)s", lower=_pct(s["lower"]), upper=_pct(s["upper"]))
                    if publishable(s)
                    else "–",
                    priority_labels.label(priority_labels.STRENGTH_LABELS, s["strength"]),
                    _num(s["total_base"]) if publishable(s) else "*",
                ]
                for index, s in enumerate(ranking, start=1)
            ],
            numeric=frozenset({0, 2, 3, 5}),
        )
        blocks.append(
            Block(
                "priorities",
                _("What residents told us"),
                "<p>"
                + _(
                    "These scores bring together everything residents have told the partners: "
                    "consultations, participatory budgeting, the citizens' panel and partners' "
                    "own surveys. A higher score means more residents would name the theme a "
                    "priority."
                )
                + "</p>",
                charts=[(chart, table)],
            )
        )

    for section in sections:
        if section.kind != SectionKind.THEME:
            continue
        charts: list[tuple[ChartSpec, TableSpec]] = []
        slug = section.theme.slug if section.theme else None
        if slug:
            codes = [root, *geography.tree.children(root)]
            rows = [
                (code, found)
                for code in codes
                if (found := by_theme_area.get((slug, code))) is not None
            ]
            shown_rows = [(code, r) for code, r in rows if publishable(r)]
            if len(rows) > 1:
                charts.append(
                    (
                        ChartSpec(
                            chart_id=f"chart-{slug}",
                            title=_("%(theme)s: priority score by area", theme=section.title),
                            description=_(
                                "The priority score for %(theme)s across the partnership and in "
                                "each area, with the range each plausibly lies in. The table "
                                "that follows gives every figure.",
                                theme=section.title,
                            ),
                            axis_label=_("Priority score, per cent"),
                            rows=[
                                ChartRow(area_name(code), r["score"], r["lower"], r["upper"])
                                for code, r in shown_rows
                            ],
                        ),
                        TableSpec(
                            caption=_("%(theme)s: priority score by area", theme=section.title),
                            header=[_("Area"), _("Score"), _("Plausible range"), _("People")],
                            rows=[
                                [
                                    area_name(code),
                                    _pct(r["score"]) if publishable(r) else _("Not shown"),
                                    _(
                                        "%(lower)s to %(upper)s",
                                        lower=_pct(r["lower"]),
                                        upper=_pct(r["upper"]),
                                    )
                                    if publishable(r)
                                    else "–",
                                    _num(r["total_base"]) if publishable(r) else "*",
                                ]
                                for code, r in rows
                            ],
                            numeric=frozenset({1, 2, 3}),
                        ),
                    )
                )
        indicators = [i for i in draft.indicators if i.section_id == section.id]
        tables = []
        if indicators:
            tables.append(
                (
                    _("Indicators"),
                    TableSpec(
                        caption=_("Indicators for %(theme)s", theme=section.title),
                        header=_indicator_header(with_theme=False),
                        rows=_indicator_rows(indicators, language, with_theme=False),
                    ),
                )
            )
        blocks.append(
            Block(
                f"section-{section.key}",
                section.title,
                markdown_html(section.body),
                charts=charts,
                tables=tables,
            )
        )

    for section in sections:
        if section.kind == SectionKind.DISTRICT:
            blocks.append(
                Block(f"section-{section.key}", section.title, markdown_html(section.body))
            )

    for section in sections:
        if section.kind != SectionKind.ACTION_PLAN:
            continue
        tables = []
        if draft.indicators:
            tables.append(
                (
                    _("All indicators"),
                    TableSpec(
                        caption=_("Indicators, targets and lead partners"),
                        header=_indicator_header(with_theme=True),
                        rows=_indicator_rows(draft.indicators, language, with_theme=True),
                    ),
                )
            )
        blocks.append(
            Block(
                f"section-{section.key}", section.title, markdown_html(section.body), tables=tables
            )
        )

    if snapshot is not None and snapshot.sources:
        source_rows = [
            [
                info["title"],
                priority_labels.label(priority_labels.KIND_LABELS, info["kind"]),
                info.get("organisation") or "–",
            ]
            for _id, info in sorted(snapshot.sources.items(), key=lambda kv: kv[1]["title"])
        ]
        blocks.append(
            Block(
                "method",
                _("How the priorities were worked out"),
                "<p>"
                + _(
                    "Each source's results are weighted to match the census profile of the area "
                    "where we hold each person's answer, then combined in proportion to the "
                    "number of people behind them, allowing for the age and kind of each "
                    "source. Each score is shown with the range it plausibly lies in. Figures "
                    "based on fewer than %(threshold)d people are not published.",
                    threshold=threshold,
                )
                + "</p>",
                tables=[
                    (
                        _("Sources of evidence"),
                        TableSpec(
                            caption=_("Sources of evidence"),
                            header=[_("Source"), _("Kind"), _("Partner")],
                            rows=source_rows,
                        ),
                    )
                ],
            )
        )

    return ExportDocument(
        language=language,
        title=draft.title,
        lines=lines,
        blocks=blocks,
        contents_label=_("Contents"),
        text_language=draft.language,
    )


# --------------------------------------------------------------------------- HTML and PDF


def render_html(document: ExportDocument, *, for_pdf: bool = False) -> str:
    return render_template("strategy/export_document.html", doc=document, for_pdf=for_pdf)


def render_pdf(document: ExportDocument) -> bytes:
    """A tagged PDF (PDF/UA-1) with a contents page, bookmarks and page numbers."""
    from weasyprint import HTML

    html = render_html(document, for_pdf=True)
    pdf: bytes = HTML(string=html, base_url=None).write_pdf(pdf_variant="pdf/ua-1")
    return pdf


# --------------------------------------------------------------------------- DOCX


def _set_language(document: Any, language: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tag = "cy-GB" if language == "cy" else "en-GB"
    document.core_properties.language = tag
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        return
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        return
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), tag)


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _docx_table(document: Any, spec: TableSpec) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document.add_paragraph(spec.caption, style="Caption")
    table = document.add_table(rows=1, cols=len(spec.header))
    table.style = "Table Grid"
    for index, text in enumerate(spec.header):
        cell = table.rows[0].cells[index]
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    _repeat_header(table.rows[0])
    for values in spec.rows:
        cells = table.add_row().cells
        for index, text in enumerate(values):
            cells[index].text = text
            if index in spec.numeric:
                cells[index].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _docx_picture(document: Any, chart: ChartSpec) -> None:
    from docx.shared import Cm

    document.add_picture(io.BytesIO(chart.png()), width=Cm(16))
    inline = document.inline_shapes[-1]._inline
    properties = inline.docPr
    properties.set("descr", chart.description)
    properties.set("title", chart.title)


def _add_runs(
    paragraph: Any, element: Any, *, bold: bool = False, italic: bool = False, code: bool = False
) -> None:
    def add(text: str | None, b: bool, i: bool, c: bool) -> None:
        if not text:
            return
        run = paragraph.add_run(re.sub(r"\s+", " ", text))
        run.bold = b or None
        run.italic = i or None
        if c:
            run.font.name = "Courier New"

    add(element.text, bold, italic, code)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            paragraph.add_run().add_break()
        else:
            _add_runs(
                paragraph,
                child,
                bold=bold or tag in ("strong", "b"),
                italic=italic or tag in ("em", "i"),
                code=code or tag == "code",
            )
            if tag == "a" and child.get("href") and child.get("href") != child.text_content():
                add(f" ({child.get('href')})", bold, italic, code)
        add(child.tail, bold, italic, code)


def _docx_html(document: Any, html: str) -> None:
    """The sanitised section HTML as Word paragraphs, headings, lists, quotes and tables."""
    import lxml.html

    if not html.strip():
        return
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root:
        tag = element.tag if isinstance(element.tag, str) else ""
        if re.fullmatch(r"h[1-6]", tag):
            document.add_heading(element.text_content().strip(), level=int(tag[1]))
        elif tag == "p":
            _add_runs(document.add_paragraph(), element)
        elif tag in ("ul", "ol"):
            style = "List Bullet" if tag == "ul" else "List Number"
            for item in element.iter("li"):
                _add_runs(document.add_paragraph(style=style), item)
        elif tag == "blockquote":
            for part in element.iter("p"):
                _add_runs(document.add_paragraph(style="Quote"), part)
            if not list(element.iter("p")):
                _add_runs(document.add_paragraph(style="Quote"), element)
        elif tag == "table":
            header = [c.text_content().strip() for c in element.iter("th")]
            rows = [
                [c.text_content().strip() for c in tr.iter("td")]
                for tr in element.iter("tr")
                if list(tr.iter("td"))
            ]
            width = max([len(header)] + [len(r) for r in rows]) if (header or rows) else 0
            if width:
                _docx_table(
                    document,
                    TableSpec(
                        caption=_("Table"),
                        header=(header + [""] * width)[:width],
                        rows=[(r + [""] * width)[:width] for r in rows],
                    ),
                )
        elif tag == "pre":
            paragraph = document.add_paragraph()
            run = paragraph.add_run(element.text_content())
            run.font.name = "Courier New"
        elif tag == "hr":
            continue
        else:
            text = element.text_content().strip()
            if text:
                document.add_paragraph(text)


def render_docx(document: ExportDocument) -> bytes:
    """A Word document with real headings, a contents list, tables and charts with alt text."""
    from docx import Document

    out = Document()
    _set_language(out, document.language)
    out.core_properties.title = document.title
    out.core_properties.subject = document.lines[0] if document.lines else ""
    out.add_heading(document.title, level=1)
    for line in document.lines:
        out.add_paragraph(line)
    out.add_heading(document.contents_label, level=2)
    for block in document.blocks:
        out.add_paragraph(block.title, style="List Number")
    for block in document.blocks:
        out.add_heading(block.title, level=2)
        _docx_html(out, block.html)
        for chart, table in block.charts:
            _docx_picture(out, chart)
            _docx_table(out, table)
        for heading, table in block.tables:
            out.add_heading(heading, level=3)
            _docx_table(out, table)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- running an export


def _filename(draft: StrategyDraft, fmt: ExportFormat, language: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", draft.title.lower()).strip("-")[:60] or "strategy"
    latest = draft.latest_version
    return f"{stem}-v{latest.number if latest else 0}-{language}.{fmt.value}"


def _request_context() -> AbstractContextManager[Any]:
    """Exports run as jobs, outside any request; rendering templates (the HTML and PDF
    files) needs one for the app's context processors, which build URLs."""
    return nullcontext() if has_request_context() else current_app.test_request_context()


def export_draft(
    draft: StrategyDraft, fmt: ExportFormat, language: str, actor_id: int | None
) -> StrategyExport:
    """Render the draft in one format and language and keep the file (flushes, no commit)."""
    from engage.strategy.operations import babel_locale, store_export

    threshold = int(current_app.config.get("ENGAGE_DISCLOSURE_THRESHOLD", 5))
    with _request_context(), force_locale(babel_locale(language)):
        document = build_document(draft, language, threshold)
        if fmt == ExportFormat.DOCX:
            content = render_docx(document)
        elif fmt == ExportFormat.PDF:
            content = render_pdf(document)
        else:
            content = render_html(document).encode("utf-8")
    return store_export(actor_id, draft, fmt, language, content, _filename(draft, fmt, language))
