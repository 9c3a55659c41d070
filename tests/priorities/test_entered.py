"""Evidence entered by hand: operations, the CSV import and the source adapter."""

from __future__ import annotations

from datetime import date

import pytest

from engage.core.errors import EngageError, ImportFailed
from engage.extensions import db
from engage.priorities import operations
from engage.priorities.aggregate import SourceKind
from engage.priorities.models import EnteredFigure, Measure
from engage.priorities.sources.entered import EnteredEvidenceSource
from tests.priorities.conftest import AS_OF


def _coordinator(small):
    return next(iter(small.users.values()))


def _evidence(small, **values):
    return operations.save_entered_evidence(
        _coordinator(small).id,
        small.partnership,
        title=values.pop("title", "Residents' survey 2024"),
        source_kind=values.pop("source_kind", SourceKind.PARTNER_DATASET),
        collected_on=values.pop("collected_on", date(2024, 10, 31)),
        **values,
    )


def _rows(small, percent: str = "34.5") -> list[dict[str, str]]:
    return [
        {
            "theme": small.theme,
            "area": small.w1.gss_code,
            "measure": "top_priority",
            "percent": percent,
            "base": "412",
            "quote": "Buses!",
        },
        {
            "theme": "housing",
            "area": "",
            "measure": "dissatisfied",
            "percent": "51%",
            "base": "1,250",
            "quote": "",
        },
    ]


def _themes(small):
    return {t.slug: t for t in small.partnership.themes}


def _areas(small):
    return {a.gss_code: a for a in (small.w1, small.w2)}


def test_entered_figures_become_aggregate_evidence_items(small) -> None:
    evidence = _evidence(small, design_effect=1.5)
    operations.import_figures(
        _coordinator(small).id, evidence, _rows(small), themes=_themes(small), areas=_areas(small)
    )
    items = sorted(
        EnteredEvidenceSource().collect(small.partnership, AS_OF), key=lambda i: i.theme_id
    )
    assert [(i.source_id, i.theme_id, i.area_id, i.measure, i.value, i.base) for i in items] == [
        (f"entered:{evidence.id}", "housing", small.root, "dissatisfied", 0.51, 1250),
        (f"entered:{evidence.id}", small.theme, small.w1.gss_code, "top_priority", 0.345, 412),
    ]
    assert all(not i.is_respondent_level and i.design_effect == 1.5 for i in items)
    quotes = EnteredEvidenceSource().quotes(small.partnership, small.theme, AS_OF)
    assert [q.text for q in quotes] == ["Buses!"]


def test_evidence_collected_after_the_date_asked_for_is_not_returned(small) -> None:
    evidence = _evidence(small, collected_on=date(2025, 7, 1))
    operations.import_figures(
        _coordinator(small).id, evidence, _rows(small), themes=_themes(small), areas=_areas(small)
    )
    assert EnteredEvidenceSource().collect(small.partnership, AS_OF) == []


def test_importing_the_same_file_twice_adds_nothing(small) -> None:
    evidence = _evidence(small)
    first = operations.import_figures(
        _coordinator(small).id, evidence, _rows(small), themes=_themes(small), areas=_areas(small)
    )
    second = operations.import_figures(
        _coordinator(small).id,
        evidence,
        _rows(small, "40"),
        themes=_themes(small),
        areas=_areas(small),
    )
    assert (first.created, first.updated, second.created, second.updated) == (2, 0, 0, 2)
    assert db.session.query(EnteredFigure).count() == 2
    assert sorted(f.value for f in evidence.figures) == [0.4, 0.51]


def test_a_bad_row_means_nothing_is_imported_and_every_problem_is_listed(small) -> None:
    evidence = _evidence(small)
    rows = [
        *_rows(small),
        {"theme": "nope", "area": "E99999999", "measure": "vibes", "percent": "140", "base": "0"},
        {
            "theme": small.theme,
            "area": small.w1.gss_code,
            "measure": "top_priority",
            "percent": "10",
            "base": "5",
        },
    ]
    with pytest.raises(ImportFailed) as failure:
        operations.import_figures(
            _coordinator(small).id, evidence, rows, themes=_themes(small), areas=_areas(small)
        )
    assert [(e.row, e.column) for e in failure.value.errors] == [
        (4, "theme"),
        (4, "area"),
        (4, "measure"),
        (4, "percent"),
        (4, "base"),
        (5, None),
    ]
    assert evidence.figures == []


def test_a_figure_for_the_same_theme_area_and_measure_replaces_the_old_one(small) -> None:
    evidence = _evidence(small)
    theme = small.partnership.themes[0]
    for percent in (20, 25):
        operations.save_figure(
            _coordinator(small).id,
            evidence,
            theme=theme,
            area=small.w1,
            measure=Measure.TOP_PRIORITY,
            percent=percent,
            base=100,
        )
    assert [(f.value, f.base) for f in evidence.figures] == [(0.25, 100)]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": " "}, "title"),
        ({"design_effect": 0.5}, "design_effect"),
        ({"collected_on": date(2999, 1, 1)}, "collected_on"),
        ({"link": "javascript:alert(1)"}, "link"),
    ],
)
def test_entered_evidence_is_checked(small, values, field) -> None:
    with pytest.raises(EngageError) as error:
        _evidence(small, **values)
    assert error.value.field == field


@pytest.mark.parametrize(("percent", "base"), [(101, 10), (-1, 10), (50, 0)])
def test_figures_are_checked(small, percent, base) -> None:
    with pytest.raises(EngageError):
        operations.save_figure(
            _coordinator(small).id,
            _evidence(small),
            theme=small.partnership.themes[0],
            area=None,
            measure=Measure.TOP_PRIORITY,
            percent=percent,
            base=base,
        )


def test_weights_outside_zero_to_one_are_refused(small) -> None:
    with pytest.raises(EngageError):
        operations.save_weight_settings(
            _coordinator(small).id,
            small.partnership,
            kind_weights={SourceKind.PANEL_SURVEY: 1.5},
            half_life_days=730,
        )
    with pytest.raises(EngageError):
        operations.save_weight_settings(
            _coordinator(small).id,
            small.partnership,
            kind_weights={SourceKind.PANEL_SURVEY: 1.0},
            half_life_days=5,
        )
