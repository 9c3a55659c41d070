"""The audit's pages and the strategy report, built from the pure analyses.

Each function takes an :class:`AuditContext` (the partnership's register loaded once as pure
``ActivityRecord`` values, with names for ids) and returns plain objects for the templates and
for the DOCX writer, so the HTML pages, the printable report and the DOCX never disagree.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from engage.audit import operations
from engage.audit.coverage import (
    GENERAL_PUBLIC,
    Clash,
    CoverageGrid,
    FatigueReport,
    FeedbackReport,
    MonthCount,
    SpendReach,
    activities_per_month,
    consultation_fatigue,
    feedback_loop,
    find_clashes,
    group_theme_grid,
    months_before,
    select_activities,
    spend_and_reach_by_method,
    spend_and_reach_by_partner,
    spend_and_reach_total,
    ward_theme_grid,
)
from engage.audit.labels import (
    DECISION_LABELS,
    GENERAL_PUBLIC_LABEL,
    RATING_LABELS,
    TREND_LABELS,
    label,
    method_label,
    reason_sentence,
)
from engage.audit.models import DuplicateReview
from engage.audit.overlap import ActivityRecord, OverlapConfig, find_overlaps
from engage.audit.self_assessment import (
    DimensionHistory,
    SelfAssessmentSummary,
    rating_history,
    summarise,
)
from engage.core.i18n import current_language, show_date
from engage.core.time import utcnow
from engage.partnerships.models import Area, Organisation, Partnership, Theme

DEFAULT_WINDOW_DAYS = 90
DEFAULT_MIN_SCORE = 0.6
DEFAULT_OVERDUE_DAYS = 90
DEFAULT_COVERAGE_MONTHS = 24


@dataclass
class AuditContext:
    """A partnership's register, loaded once, with names for every id."""

    partnership: Partnership
    geo: operations.Geography
    records: dict[int, ActivityRecord]
    organisations: dict[int, Organisation]
    themes: list[Theme]  # in use (active), in order
    theme_names: dict[int, str]
    group_names: dict[str, str]
    group_codes: list[str]  # active target groups, in order
    as_of: date
    language: str

    def organisation_name(self, organisation_id: int) -> str:
        organisation = self.organisations.get(organisation_id)
        return organisation.display_name(self.language) if organisation else str(organisation_id)

    def theme_name(self, theme_id: int) -> str:
        return self.theme_names.get(theme_id, str(theme_id))

    def ward(self, ward_id: int) -> Area:
        return self.geo.by_id[ward_id]

    def ward_name(self, ward_id: int) -> str:
        area = self.geo.by_id.get(ward_id)
        return area.display_name(self.language) if area else str(ward_id)

    def group_name(self, code: str) -> str:
        if code == GENERAL_PUBLIC:
            return str(GENERAL_PUBLIC_LABEL)
        return self.group_names.get(code, code)


def audit_context(partnership: Partnership, as_of: date | None = None) -> AuditContext:
    language = current_language()
    geo = operations.geography(partnership)
    groups = operations.target_groups(partnership)
    themes = operations.partnership_themes(partnership)
    return AuditContext(
        partnership=partnership,
        geo=geo,
        records=operations.load_records(partnership, geo),
        organisations={o.id: o for o in operations.partner_organisations(partnership)},
        themes=themes,
        theme_names={t.id: t.display_name(language) for t in partnership.themes},
        group_names={g.code: g.label(language) for g in groups},
        group_codes=[g.code for g in groups if g.is_active],
        as_of=as_of or utcnow().date(),
        language=language,
    )


# --------------------------------------------------------------------------------------------
# Formatting helpers shared by the pages and the DOCX
# --------------------------------------------------------------------------------------------


def pounds(pence: float | None) -> str:
    if pence is None:
        return "–"
    return "£" + format_decimal(pence / 100, format="#,##0.00")


def whole(value: float | None) -> str:
    if value is None:
        return "–"
    return format_decimal(round(value), format="#,##0")


def rate(value: float | None) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.0")


def share(value: float | None) -> str:
    if value is None:
        return "–"
    return format_percent(value, format="#,##0%")


# --------------------------------------------------------------------------------------------
# Duplication
# --------------------------------------------------------------------------------------------


@dataclass
class PairView:
    first: ActivityRecord
    second: ActivityRecord
    score: float
    reasons: list[str]
    review: DuplicateReview | None

    @property
    def key(self) -> str:
        return f"{self.first.id}-{self.second.id}"


@dataclass
class DuplicationView:
    window_days: int
    min_score: float
    open_pairs: list[PairView]
    reviewed_pairs: list[PairView]
    # Reviewed pairs no longer found with these settings (still listed, so marks never vanish).
    decisions: dict[str, int] = field(default_factory=dict)


def duplication(
    ctx: AuditContext,
    reviews: dict[tuple[int, int], DuplicateReview],
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    min_score: float = DEFAULT_MIN_SCORE,
) -> DuplicationView:
    """Possible duplicates by different partners, open ones first, with reasons in words."""
    pairs = find_overlaps(
        ctx.records.values(), OverlapConfig(window_days=window_days, min_score=min_score)
    )
    open_pairs: list[PairView] = []
    reviewed: list[PairView] = []
    found_keys: set[tuple[int, int]] = set()
    for pair in pairs:
        key = (pair.first_id, pair.second_id)
        found_keys.add(key)
        view = PairView(
            first=ctx.records[pair.first_id],
            second=ctx.records[pair.second_id],
            score=pair.score,
            reasons=[
                reason_sentence(r, ctx.theme_name, ctx.ward_name, ctx.group_name)
                for r in pair.reasons
            ],
            review=reviews.get(key),
        )
        (reviewed if view.review is not None else open_pairs).append(view)
    # A marked pair stays on the page even when new settings no longer flag it.
    for key, review in sorted(reviews.items()):
        if key in found_keys or key[0] not in ctx.records or key[1] not in ctx.records:
            continue
        reviewed.append(
            PairView(first=ctx.records[key[0]], second=ctx.records[key[1]], score=0.0,
                     reasons=[], review=review)
        )
    decisions: dict[str, int] = {}
    for view in reviewed:
        assert view.review is not None
        decisions[view.review.decision.value] = decisions.get(view.review.decision.value, 0) + 1
    return DuplicationView(window_days, min_score, open_pairs, reviewed, decisions)


# --------------------------------------------------------------------------------------------
# Coverage, gaps and fatigue
# --------------------------------------------------------------------------------------------


@dataclass
class CoverageView:
    months: int | None
    period_start: date | None
    area: Area | None
    wards: list[Area]
    activity_count: int
    ward_grid: CoverageGrid[int]
    group_grid: CoverageGrid[str]
    fatigue: FatigueReport
    group_gaps: list[tuple[str, int]]  # (group code, theme id) never asked in the period


def coverage(
    ctx: AuditContext, *, months: int | None = DEFAULT_COVERAGE_MONTHS, area_id: int | None = None
) -> CoverageView:
    """Ward x theme and group x theme grids for a period and (optionally) one district."""
    start = months_before(ctx.as_of, months) if months else None
    pool = select_activities(ctx.records.values(), period_start=start, period_end=ctx.as_of)
    area = ctx.geo.by_id.get(area_id) if area_id is not None else None
    if area is not None:
        ward_ids = ctx.geo.expansion.get(area.id, frozenset())
        pool = tuple(a for a in pool if a.ward_ids & ward_ids)
    else:
        ward_ids = ctx.geo.ward_ids
    populations = {w: p for w, p in ctx.geo.populations.items() if w in ward_ids}
    theme_ids = [t.id for t in ctx.themes]
    ward_grid = ward_theme_grid(pool, populations, theme_ids)
    group_grid = group_theme_grid(pool, ctx.group_codes, theme_ids)
    fatigue_pool = [a for a in ctx.records.values() if a.ward_ids & ward_ids]
    fatigue = consultation_fatigue(fatigue_pool, ctx.as_of, populations, months=12)
    wards = sorted((ctx.geo.by_id[w] for w in populations), key=lambda w: w.name)
    return CoverageView(
        months=months,
        period_start=start,
        area=area,
        wards=wards,
        activity_count=len(pool),
        ward_grid=ward_grid,
        group_grid=group_grid,
        fatigue=fatigue,
        group_gaps=[(c.row, c.theme_id) for c in group_grid.empty if c.row != GENERAL_PUBLIC],
    )


# --------------------------------------------------------------------------------------------
# Calendar and clashes
# --------------------------------------------------------------------------------------------


@dataclass
class CalendarMonth:
    count: MonthCount
    activities: list[ActivityRecord]
    clashing_ids: set[int]

    @property
    def first_day(self) -> date:
        return date(self.count.year, self.count.month, 1)


@dataclass
class CalendarView:
    year: int
    years: list[int]
    months: list[CalendarMonth]
    clashes: list[Clash]
    busiest: int


def calendar(ctx: AuditContext, year: int) -> CalendarView:
    """Activities by month of one year, with same-ward same-theme clashes highlighted."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    pool = select_activities(ctx.records.values(), period_start=first, period_end=last)
    counts = activities_per_month(pool, first_month=first, last_month=last)
    clashes = [c for c in find_clashes(pool) if c.overlap_end >= first and c.overlap_start <= last]
    clashing: dict[int, set[int]] = {}
    for clash in clashes:
        low, high = max(clash.overlap_start, first), min(clash.overlap_end, last)
        for month in range(low.month, high.month + 1):
            clashing.setdefault(month, set()).update((clash.first_id, clash.second_id))
    months = [
        CalendarMonth(
            count=c,
            activities=sorted((ctx.records[i] for i in c.activity_ids), key=lambda a: (a.start_date, a.id)),
            clashing_ids=clashing.get(c.month, set()),
        )
        for c in counts
    ]
    every_year = {a.start_date.year for a in ctx.records.values()} | {
        a.end_date.year for a in ctx.records.values()
    } | {ctx.as_of.year}
    return CalendarView(
        year=year,
        years=sorted(every_year),
        months=months,
        clashes=clashes,
        busiest=max((c.running for c in counts), default=0),
    )


# --------------------------------------------------------------------------------------------
# Feedback loop, spend and reach
# --------------------------------------------------------------------------------------------


def feedback(ctx: AuditContext, overdue_after_days: int = DEFAULT_OVERDUE_DAYS) -> FeedbackReport:
    return feedback_loop(ctx.records.values(), ctx.as_of, overdue_after_days=overdue_after_days)


@dataclass
class SpendView:
    partners: Sequence[SpendReach[int]]
    methods: Sequence[SpendReach[str]]
    total: SpendReach[str]
    largest_cost: int


def spend(ctx: AuditContext) -> SpendView:
    partners = spend_and_reach_by_partner(ctx.records.values())
    methods = spend_and_reach_by_method(ctx.records.values())
    return SpendView(
        partners=sorted(partners, key=lambda r: (-r.total_cost_pence, ctx.organisation_name(r.key))),
        methods=sorted(methods, key=lambda r: -r.total_cost_pence),
        total=spend_and_reach_total(ctx.records.values()),
        largest_cost=max((r.total_cost_pence for r in partners), default=0),
    )


# --------------------------------------------------------------------------------------------
# Self-assessment
# --------------------------------------------------------------------------------------------


@dataclass
class SelfAssessmentView:
    dimensions: list[operations.VocabularyEntry]
    history: tuple[DimensionHistory, ...]
    summary: SelfAssessmentSummary
    dates: list[date]  # every assessment date, oldest first
    evidence: dict[str, str]  # latest evidence per dimension

    def dimension_label(self, code: str, language: str) -> str:
        entry = next((d for d in self.dimensions if d.code == code), None)
        return entry.label(language) if entry else code


def self_assessment(partnership: Partnership) -> SelfAssessmentView:
    dimensions = [d for d in operations.assessment_dimensions(partnership) if d.is_active]
    codes = [d.code for d in dimensions]
    rows = operations.ratings(partnership)
    values = operations.assessments(rows, codes)
    history = rating_history(values, codes)
    evidence: dict[str, str] = {}
    for row in rows:  # oldest first, so the latest wins
        if row.dimension in codes:
            evidence[row.dimension] = row.evidence
    return SelfAssessmentView(
        dimensions=dimensions,
        history=history,
        summary=summarise(values, codes),
        dates=sorted({p.assessed_on for h in history for p in h.points}),
        evidence=evidence,
    )


# --------------------------------------------------------------------------------------------
# The engagement strategy report (HTML and DOCX)
# --------------------------------------------------------------------------------------------


@dataclass
class StrategyReport:
    ctx: AuditContext
    duplication: DuplicationView
    coverage: CoverageView
    feedback: FeedbackReport
    spend: SpendView
    assessment: SelfAssessmentView
    period_start: date

    @property
    def recent(self) -> list[ActivityRecord]:
        return [a for a in self.ctx.records.values() if a.end_date >= self.period_start
                and a.start_date <= self.ctx.as_of]


def strategy_report(
    ctx: AuditContext, reviews: dict[tuple[int, int], DuplicateReview]
) -> StrategyReport:
    return StrategyReport(
        ctx=ctx,
        duplication=duplication(ctx, reviews),
        coverage=coverage(ctx),
        feedback=feedback(ctx),
        spend=spend(ctx),
        assessment=self_assessment(ctx.partnership),
        period_start=ctx.as_of - timedelta(days=365),
    )


def _table(document: Any, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    document.add_paragraph()


def strategy_docx(report: StrategyReport) -> bytes:
    """The report as a Word document: real headings (Heading 1/2 styles) and tables."""
    from docx import Document

    ctx = report.ctx
    lang = ctx.language
    document = Document()
    document.core_properties.title = _("Engagement strategy report")
    document.add_heading(_("Engagement strategy report"), level=0)
    document.add_paragraph(
        _("%(partnership)s, as of %(date)s", partnership=ctx.partnership.display_name(lang),
          date=show_date(ctx.as_of))
    )

    document.add_heading(_("Summary"), level=1)
    total = report.spend.total
    _table(document, [_("Measure"), _("Value")], [
        [_("Activities in the register"), whole(len(ctx.records))],
        [_("Activities in the last 12 months"), whole(len(report.recent))],
        [_("People reached"), whole(total.participants)],
        [_("Total spend"), pounds(total.total_cost_pence)],
        [_("Possible duplicates not yet reviewed"), whole(len(report.duplication.open_pairs))],
        [_("Ward and theme combinations with no engagement"), whole(len(report.coverage.ward_grid.empty))],
        [_("Closed activities with a published outcome"), share(report.feedback.published_share)],
        [_("Outcomes overdue"), whole(len(report.feedback.overdue))],
    ])

    document.add_heading(_("Possible duplication"), level=1)
    if report.duplication.open_pairs:
        _table(document, [_("Activity"), _("Activity"), _("Why it was flagged")], [
            [f"{p.first.title} ({ctx.organisation_name(p.first.organisation_id)})",
             f"{p.second.title} ({ctx.organisation_name(p.second.organisation_id)})",
             "; ".join(p.reasons)]
            for p in report.duplication.open_pairs[:15]
        ])
    else:
        document.add_paragraph(_("No possible duplicates are waiting for review."))
    if report.duplication.decisions:
        document.add_paragraph(", ".join(
            f"{label(DECISION_LABELS, code)}: {count}"
            for code, count in sorted(report.duplication.decisions.items())
        ))

    document.add_heading(_("Coverage and gaps"), level=1)
    document.add_heading(_("Thinnest ward and theme combinations"), level=2)
    thin = report.coverage.ward_grid.thinnest[:15]
    if thin:
        _table(document, [_("Ward"), _("Theme"), _("Activities"), _("Participants per 1,000 residents")], [
            [ctx.ward_name(c.row), ctx.theme_name(c.theme_id), whole(c.activity_count), rate(c.participants_per_1000)]
            for c in thin
        ])
    document.add_heading(_("Target groups never asked about a theme"), level=2)
    if report.coverage.group_gaps:
        _table(document, [_("Target group"), _("Theme")], [
            [ctx.group_name(g), ctx.theme_name(t)] for g, t in report.coverage.group_gaps[:30]
        ])
    else:
        document.add_paragraph(_("Every target group was asked about every theme."))
    document.add_heading(_("Consultation fatigue: wards asked most in the last 12 months"), level=2)
    _table(document, [_("Rank"), _("Ward"), _("Activities"), _("Activities per 1,000 residents")], [
        [str(r.rank), ctx.ward_name(r.key), whole(r.activity_count), rate(r.activities_per_1000)]
        for r in report.coverage.fatigue.wards[:10]
    ])

    document.add_heading(_("Feedback loop"), level=1)
    _table(document, [_("Partner"), _("Closed"), _("Outcome published"), _("Share"), _("Overdue")], [
        [ctx.organisation_name(p.organisation_id), whole(p.closed_count), whole(p.published_count),
         share(p.published_share), whole(len(p.overdue))]
        for p in report.feedback.partners
    ])

    document.add_heading(_("Spend and reach"), level=1)
    _table(document, [_("Partner"), _("Activities"), _("Spend"), _("People reached"), _("Cost per person")], [
        [ctx.organisation_name(r.key), whole(r.activity_count), pounds(r.total_cost_pence),
         whole(r.participants), pounds(r.cost_per_participant_pence)]
        for r in report.spend.partners
    ])
    _table(document, [_("Method"), _("Activities"), _("Spend"), _("People reached"), _("Cost per person")], [
        [method_label(r.key), whole(r.activity_count), pounds(r.total_cost_pence),
         whole(r.participants), pounds(r.cost_per_participant_pence)]
        for r in report.spend.methods
    ])

    document.add_heading(_("Self-assessment"), level=1)
    assessment = report.assessment
    _table(document, [_("Dimension"), _("Rating"), _("Assessed on"), _("Trend"), _("Evidence")], [
        [assessment.dimension_label(s.dimension, lang),
         label(RATING_LABELS, s.latest) if s.latest else _("Not rated"),
         show_date(s.latest_on) if s.latest_on else "–",
         label(TREND_LABELS, s.trend),
         assessment.evidence.get(s.dimension, "")]
        for s in assessment.summary.dimensions
    ])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
