"""Interval charts of priority scores: SVG for pages, HTML and PDF; PNG (matplotlib) for DOCX.

Every chart is drawn from the same rows and always sits beside a table with the same figures;
the SVG carries a title and description for screen readers. No inline styles (strict CSP):
presentation attributes only.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BLUE = "#1d70b8"
DARK = "#0b0c0c"
GREY = "#b1b4b6"


@dataclass(frozen=True)
class ChartRow:
    """One bar of the chart: a label and a score with its interval (all 0 to 1)."""

    label: str
    score: float | None
    lower: float | None = None
    upper: float | None = None


def _scale_max(rows: Sequence[ChartRow]) -> float:
    highest = max([r.upper if r.upper is not None else (r.score or 0.0) for r in rows] + [0.1])
    return min(1.0, math.ceil(highest * 10 + 1e-9) / 10)


def _percent(value: float) -> str:
    return f"{round(value * 100):d}%"


def interval_chart_svg(
    rows: Sequence[ChartRow], *, title: str, description: str, chart_id: str
) -> Markup:
    """A horizontal chart: a dot at each score and a line across its interval."""
    label_width, plot_width, right = 230, 360, 50
    row_height, top, bottom = 30, 10, 34
    width = label_width + plot_width + right
    height = top + row_height * max(1, len(rows)) + bottom
    maximum = _scale_max(rows)

    def x(value: float) -> float:
        return label_width + plot_width * (value / maximum)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="engage-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="Arial, Helvetica, sans-serif" font-size="14">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    axis_y = top + row_height * max(1, len(rows))
    steps = round(maximum * 10)
    for step in range(steps + 1):
        value = step / 10
        tick = x(value)
        parts.append(
            f'<line x1="{tick:.1f}" y1="{top}" x2="{tick:.1f}" y2="{axis_y}" '
            f'stroke="{GREY}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{tick:.1f}" y="{axis_y + 20}" text-anchor="middle" '
            f'fill="{DARK}">{_percent(value)}</text>'
        )
    for index, row in enumerate(rows):
        middle = top + row_height * index + row_height / 2
        label = row.label if len(row.label) <= 32 else row.label[:31] + "…"
        parts.append(
            f'<text x="{label_width - 10}" y="{middle + 5:.1f}" text-anchor="end" '
            f'fill="{DARK}">{escape(label)}</text>'
        )
        if row.score is None:
            continue
        if row.lower is not None and row.upper is not None:
            parts.append(
                f'<line x1="{x(row.lower):.1f}" y1="{middle:.1f}" x2="{x(row.upper):.1f}" '
                f'y2="{middle:.1f}" stroke="{DARK}" stroke-width="2"/>'
            )
            for end in (row.lower, row.upper):
                parts.append(
                    f'<line x1="{x(end):.1f}" y1="{middle - 6:.1f}" x2="{x(end):.1f}" '
                    f'y2="{middle + 6:.1f}" stroke="{DARK}" stroke-width="2"/>'
                )
        parts.append(
            f'<circle cx="{x(row.score):.1f}" cy="{middle:.1f}" r="6" fill="{BLUE}" '
            f'stroke="{DARK}" stroke-width="1"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def interval_chart_png(rows: Sequence[ChartRow], *, title: str, axis_label: str) -> bytes:
    """The same chart as a PNG (for DOCX), drawn with matplotlib's non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    shown = [r for r in rows]
    height = 0.9 + 0.42 * max(1, len(shown))
    figure = Figure(figsize=(7.0, height), dpi=150)
    axes = figure.add_subplot()
    positions = list(range(len(shown)))[::-1]
    for position, row in zip(positions, shown, strict=True):
        if row.score is None:
            continue
        if row.lower is not None and row.upper is not None:
            axes.plot(
                [row.lower * 100, row.upper * 100],
                [position, position],
                color=DARK,
                linewidth=2,
                solid_capstyle="butt",
            )
            axes.plot([row.lower * 100] * 2, [position - 0.15, position + 0.15], color=DARK)
            axes.plot([row.upper * 100] * 2, [position - 0.15, position + 0.15], color=DARK)
        axes.plot(
            [row.score * 100],
            [position],
            marker="o",
            markersize=8,
            color=BLUE,
            markeredgecolor=DARK,
        )
    axes.set_yticks(positions, [r.label for r in shown])
    axes.set_xlim(0, _scale_max(rows) * 100)
    axes.set_xlabel(axis_label)
    axes.set_title(title, loc="left", fontsize=11)
    axes.grid(axis="x", color=GREY, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
