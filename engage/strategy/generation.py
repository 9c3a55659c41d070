"""The first version of a strategy, written from the partnership's current priorities.

Sections: the vision (left for the coordinator), one chapter per priority theme ("what you
told us" with the evidence and quotes, the outcomes sought, indicators), one section per
district on its distinctive priorities, and an action plan. The text is Markdown in the
draft's language; counts below the disclosure threshold are never written into it, since
a strategy is published.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from engage.core.i18n import show_date
from engage.partnerships.models import Area, Theme
from engage.priorities import aggregate as agg
from engage.priorities import labels as priority_labels
from engage.priorities.evidence import collect_quotes
from engage.priorities.models import Measure
from engage.priorities.pipeline import PriorityPicture
from engage.priorities.presentation import evidence_view, withheld

QUOTES_PER_THEME = 3
# Measures of how things are (not of what people want first) make indicators; lower is better.
OUTCOME_MEASURES = {Measure.DISSATISFIED.value, Measure.CONCERNED.value, Measure.DISAGREE.value}


@dataclass(frozen=True)
class SectionSpec:
    key: str
    kind: str
    title: str
    body: str
    theme: Theme | None = None
    area: Area | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    section_key: str
    theme: Theme
    name: str
    unit: str
    baseline: float | None
    baseline_year: int | None
    is_higher_better: bool
    lead_organisation_id: int | None
    source_ref: str


def _pct(value: float) -> str:
    return str(format_percent(value, format="#,##0%"))


def _num(value: float) -> str:
    return str(format_decimal(value, format="#,##0"))


def _escape(text: str) -> str:
    """Keep the record's own words from being read as Markdown."""
    out = text.replace("\\", "\\\\")
    for char in "*_`[]#<>|":
        out = out.replace(char, "\\" + char)
    return " ".join(out.split())


def _theme_chapter(
    picture: PriorityPicture, rank: agg.ThemeRank, count: int, language: str, threshold: int
) -> SectionSpec:
    theme = picture.themes[rank.theme_id]
    root = picture.root_id
    score = picture.result.get(rank.theme_id, root)
    assert score is not None
    name = theme.display_name(language)
    area_name = picture.partnership.display_name(language)
    lines = [f"## {_('What you told us')}", ""]
    if withheld(score.strength.total_base, show_small=False, threshold=threshold):
        lines.append(
            _("Too few people have told us about %(theme)s yet to publish a figure.", theme=name)
        )
    else:
        lines.append(
            _(
                "%(theme)s ranks %(rank)d of %(count)d themes across %(area)s. On the evidence, "
                "%(score)s of residents would name it a priority (plausibly between %(lower)s "
                "and %(upper)s). The evidence is %(strength)s: %(people)s people from %(sources)d "
                "sources, the most recent from %(date)s.",
                theme=name,
                rank=rank.rank,
                count=count,
                area=area_name,
                score=_pct(score.score),
                lower=_pct(score.lower),
                upper=_pct(score.upper),
                strength=priority_labels.label(
                    priority_labels.STRENGTH_LABELS, score.strength.level
                ).lower(),
                people=_num(score.strength.total_base),
                sources=score.strength.sources,
                date=show_date(score.strength.most_recent),
            )
        )
    lines.append("")
    districts = [
        (picture.geography.area(d.area_id), d)
        for child in picture.geography.tree.children(root)
        for d in picture.distinct(child)
        if d.theme_id == rank.theme_id and d.direction is agg.Direction.HIGHER
    ]
    shown = [
        (area, d)
        for area, d in districts
        if area is not None
        and (s := picture.result.get(rank.theme_id, d.area_id)) is not None
        and not withheld(s.strength.total_base, show_small=False, threshold=threshold)
    ]
    if shown:
        lines.append(_("It matters clearly more than average in:"))
        lines.append("")
        for area, d in sorted(shown, key=lambda pair: -pair[1].difference):
            lines.append(
                "- "
                + _(
                    "%(area)s: %(points)s percentage points above the partnership as a whole",
                    area=_escape(area.display_name(language)),
                    points=_num(d.difference * 100),
                )
            )
        lines.append("")
    view = evidence_view(
        picture, rank.theme_id, root, show_small=False, threshold=threshold, with_shares=False
    )
    if view is not None and view.sources:
        lines.append(_("What the sources say:"))
        lines.append("")
        for row in view.sources:
            c = row.contribution
            title = row.description.title if row.description else c.source_id
            kind = priority_labels.label(priority_labels.KIND_LABELS, c.source_kind)
            if row.base is None:
                lines.append(
                    "- "
                    + _(
                        "**%(source)s** (%(kind)s): too few people to publish",
                        source=_escape(title),
                        kind=kind,
                    )
                )
            else:
                lines.append(
                    "- "
                    + _(
                        "**%(source)s** (%(kind)s): %(value)s of %(people)s people, %(date)s",
                        source=_escape(title),
                        kind=kind,
                        value=_pct(c.value),
                        people=_num(row.base),
                        date=show_date(c.most_recent),
                    )
                )
        lines.append("")
    quotes = collect_quotes(picture.partnership, rank.theme_id, picture.as_of)[:QUOTES_PER_THEME]
    for quote in quotes:
        description = picture.evidence.description(quote.source_id)
        attribution = description.title if description is not None else quote.attribution
        lines.append(f"> “{_escape(quote.text)}”")
        if attribution:
            lines.append(">")
            lines.append(f"> — {_escape(attribution)}")
        lines.append("")
    lines += [
        f"## {_('The outcomes we seek')}",
        "",
        "- " + _("Write the outcomes the partnership will work towards for this theme."),
        "",
        f"## {_('How we will measure progress')}",
        "",
        _(
            "The indicators below, each with its baseline, target and lead partner, show whether "
            "the outcomes are being achieved."
        ),
    ]
    return SectionSpec(
        key=f"theme:{theme.slug}",
        kind="theme",
        title=name,
        body="\n".join(lines).strip() + "\n",
        theme=theme,
    )


def _district_section(
    picture: PriorityPicture, area: Area, language: str, threshold: int
) -> SectionSpec:
    name = area.display_name(language)
    key = area.gss_code
    lines: list[str] = []
    ranks = [
        r
        for r in picture.ranked(key)
        if (s := picture.result.get(r.theme_id, key)) is not None
        and not withheld(s.strength.total_base, show_small=False, threshold=threshold)
    ]
    if not ranks:
        lines.append(
            _(
                "There is not yet enough evidence from %(area)s to describe its own priorities.",
                area=_escape(name),
            )
        )
    else:
        lines.append(_("Residents of %(area)s put these themes first:", area=_escape(name)))
        lines.append("")
        for r in ranks[:3]:
            lines.append(
                f"{r.rank}. "
                + _(
                    "%(theme)s (%(score)s)",
                    theme=picture.themes[r.theme_id].display_name(language),
                    score=_pct(r.score),
                )
            )
        lines.append("")
        distinct = {d.theme_id: d for d in picture.distinct(key)}
        shown = {r.theme_id for r in ranks}
        higher = [
            d for t, d in distinct.items() if t in shown and d.direction is agg.Direction.HIGHER
        ]
        lower = [
            d for t, d in distinct.items() if t in shown and d.direction is agg.Direction.LOWER
        ]
        if higher:
            lines.append(
                _("Compared with the partnership as a whole, they give clearly more priority to:")
            )
            lines.append("")
            for d in sorted(higher, key=lambda x: -x.difference):
                lines.append(
                    "- "
                    + _(
                        "%(theme)s (%(points)s percentage points more)",
                        theme=picture.themes[d.theme_id].display_name(language),
                        points=_num(d.difference * 100),
                    )
                )
            lines.append("")
        if lower:
            lines.append(_("and clearly less to:"))
            lines.append("")
            for d in sorted(lower, key=lambda x: x.difference):
                lines.append(
                    "- "
                    + _(
                        "%(theme)s (%(points)s percentage points less)",
                        theme=picture.themes[d.theme_id].display_name(language),
                        points=_num(-d.difference * 100),
                    )
                )
            lines.append("")
        if not higher and not lower:
            lines.append(_("Its priorities are much the same as the partnership's as a whole."))
            lines.append("")
    lines.append(_("Write here how the partnership will respond to these local priorities."))
    return SectionSpec(
        key=f"district:{key}",
        kind="district",
        title=_("Local priorities in %(area)s", area=name),
        body="\n".join(lines).strip() + "\n",
        area=area,
    )


def generate_sections(picture: PriorityPicture, language: str, threshold: int) -> list[SectionSpec]:
    """The sections of a new draft, in order. Call inside force_locale(language)."""
    sections = [
        SectionSpec(key="vision", kind="vision", title=_("Our vision"), body=""),
    ]
    ranks = picture.ranked(picture.root_id)
    for rank in ranks:
        if rank.theme_id in picture.themes:
            sections.append(_theme_chapter(picture, rank, len(ranks), language, threshold))
    for area in picture.geography.districts():
        if picture.geography.tree.get(area.gss_code).parent_id == picture.root_id:
            sections.append(_district_section(picture, area, language, threshold))
    sections.append(
        SectionSpec(
            key="action-plan",
            kind="action_plan",
            title=_("Action plan"),
            body=_(
                "What the partners will do, by when, and who leads each action. "
                "Every indicator, with its lead partner and target, is listed below."
            )
            + "\n",
        )
    )
    return sections


def suggest_indicators(picture: PriorityPicture, threshold: int) -> list[IndicatorSpec]:
    """Partners' datasets on how things are (dissatisfaction, concern) make natural indicators:
    the baseline is today's figure and the partner who holds the data leads."""
    specs: list[IndicatorSpec] = []
    for rank in picture.ranked(picture.root_id):
        theme = picture.themes.get(rank.theme_id)
        score = picture.result.get(rank.theme_id, picture.root_id)
        if theme is None or score is None:
            continue
        for c in score.contributions:
            description = picture.evidence.description(c.source_id)
            if (
                c.source_kind is not agg.SourceKind.PARTNER_DATASET
                or description is None
                or description.organisation_id is None
                or not set(c.measures) & OUTCOME_MEASURES
                or withheld(c.base, show_small=False, threshold=threshold)
            ):
                continue
            specs.append(
                IndicatorSpec(
                    section_key=f"theme:{theme.slug}",
                    theme=theme,
                    name=_(
                        "%(source)s (%(measure)s)",
                        source=description.title,
                        measure=", ".join(
                            priority_labels.label(priority_labels.MEASURE_LABELS, m).lower()
                            for m in c.measures
                        ),
                    ),
                    unit="%",
                    baseline=round(c.value * 100, 1),
                    baseline_year=c.most_recent.year,
                    is_higher_better=False,
                    lead_organisation_id=description.organisation_id,
                    source_ref=c.source_id,
                )
            )
    return specs
