"""Records as the JSON the OpenAPI document promises (see engage.api.openapi)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engage.intelligence import labels, operations
from engage.intelligence.mapping import (
    DROP,
    ColumnRole,
    DatasetMapping,
    DatasetShape,
    Scale,
    Unit,
    apply_scale,
    points_for,
)
from engage.intelligence.models import Dataset, DatasetImport, QuestionKind
from engage.partnerships.models import Area, Theme


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def dataset_json(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": dataset.id,
        "title": dataset.title,
        "shape": dataset.shape.value,
        "organisation": {"id": dataset.organisation.id, "name": dataset.organisation.name},
        "source": dataset.source,
        "method": dataset.method,
        "fieldwork_start": dataset.fieldwork_start.isoformat() if dataset.fieldwork_start else None,
        "fieldwork_end": dataset.fieldwork_end.isoformat() if dataset.fieldwork_end else None,
        "sample_size": dataset.sample_size,
        "weighting_note": dataset.weighting_note,
        "sharing": dataset.sharing.value,
        "licence": dataset.licence,
        "themes": [t.slug for t in dataset.themes],
        "areas": [a.gss_code for a in dataset.areas],
        "status": dataset.status.value,
        "version": dataset.current_version,
        "respondents": dataset.respondents,
        "is_weighted": dataset.is_weighted,
        "created_at": _time(dataset.created_at),
        "imported_at": _time(dataset.imported_at),
    }


def import_json(record: DatasetImport) -> dict[str, Any]:
    state = operations.import_state(record)
    check = operations.check_mapping(record) if state in operations.EDITABLE else None
    return {
        "id": record.id,
        "dataset_id": record.dataset_id,
        "status": state.value,
        "filename": record.filename,
        "rows": record.data_rows,
        "rows_imported": record.rows_imported,
        "rows_dropped": record.rows_dropped,
        "problems": list(check.problems) if check else [],
        "unmatched_areas": list(check.unmatched) if check else [],
        "row_errors": [
            {"row": int(e.get("row", 0)), "column": e.get("column"), "message": str(e.get("message", ""))}
            for e in operations.import_row_errors(record)
        ],
        "job_id": record.job_id,
        "created_at": _time(record.created_at),
        "finished_at": _time(record.finished_at),
    }


def results_json(dataset: Dataset) -> dict[str, Any]:
    wards = operations.wards_in(None, dataset.partnership)
    questions = []
    if dataset.shape == DatasetShape.RESPONDENT:
        visible = operations.visible_questions(dataset, kind=QuestionKind.QUESTION)
        for view in operations.question_views(dataset, visible, wards):
            question = view.question
            if question.scale == Scale.NONE:
                columns = [{"code": code, "label": label}
                           for code, label in zip(view.result.columns, view.result.column_labels,
                                                  strict=True)]
            else:
                columns = [{"code": code, "label": labels.column_label(question.scale, code)}
                           for code in view.result.columns]

            def area(row: Any, place: Area | None) -> dict[str, Any]:
                return {
                    "gss_code": place.gss_code if place else None,
                    "name": place.name if place else "all",
                    "base": row.base,
                    "cells": [{"count": c.count, "share": c.share} for c in row.cells],
                }

            questions.append({
                "id": question.id,
                "text": question.text,
                "theme": question.theme.slug if question.theme else None,
                "scale": question.scale.value,
                "columns": columns,
                "overall": area(view.result.overall, None),
                "areas": [area(row, view.areas[row.area_id]) for row in view.result.areas
                          if row.area_id is not None],
            })
    indicators = []
    if dataset.shape == DatasetShape.AGGREGATE:
        visible = operations.visible_questions(dataset, kind=QuestionKind.INDICATOR)
        for indicator in operations.indicator_views(dataset, visible, None):
            question = indicator.question
            indicators.append({
                "id": question.id,
                "text": question.text,
                "theme": question.theme.slug if question.theme else None,
                "unit": (question.unit or Unit.SCORE).value,
                "values": [
                    {"gss_code": place.gss_code, "name": place.name, "period": value.period,
                     "value": value.value, "base": value.base}
                    for place, value in indicator.values
                ],
            })
    return {
        "dataset_id": dataset.id,
        "version": dataset.current_version,
        "threshold": operations.threshold(),
        "questions": questions,
        "indicators": indicators,
    }


def theme_json(theme: Theme) -> dict[str, Any]:
    return {"slug": theme.slug, "name": theme.name, "name_cy": theme.name_cy}


def area_json(area: Area) -> dict[str, Any]:
    return {
        "gss_code": area.gss_code,
        "name": area.name,
        "name_cy": area.name_cy,
        "level": area.level.value,
        "parent_gss_code": area.parent.gss_code if area.parent else None,
    }


def activity_json(activity: Any) -> dict[str, Any]:
    return {
        "id": activity.id,
        "title": activity.title,
        "description": activity.description,
        "organisation": {"id": activity.organisation.id, "name": activity.organisation.name},
        "method": str(activity.method.value),
        "status": str(activity.status.value),
        "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat(),
        "themes": [t.slug for t in activity.themes],
        "areas": [a.gss_code for a in activity.areas],
        "is_partnership_wide": activity.is_partnership_wide,
        "target_groups": list(activity.target_groups),
        "participants": activity.participants,
        "cost_pence": activity.cost_pence,
        "outcome_statement": activity.outcome_statement,
        "outcome_url": activity.outcome_url,
        "is_shared_with_partners": activity.is_shared_with_partners,
        "created_at": _time(activity.created_at),
    }


# --------------------------------------------------------------------------- mapping by name


def apply_mapping_spec(
    mapping: DatasetMapping,
    spec: dict[str, Any],
    distinct: dict[int, list[str]],
    themes: dict[str, int],
    areas: dict[str, int],
) -> list[str]:
    """Apply an API mapping (columns by name, themes by slug, areas by GSS code).

    Returns problems as "where: what" strings; the mapping is changed only where valid.
    """
    problems: list[str] = []
    by_name = {c.name: c for c in mapping.columns}
    for name, wanted in dict(spec.get("columns", {})).items():
        column = by_name.get(name)
        if column is None:
            problems.append(f"columns.{name}: no such column in the rows")
            continue
        if "role" in wanted:
            column.role = ColumnRole(wanted["role"])
        if "feature" in wanted:
            column.feature = wanted["feature"]
        if "text" in wanted:
            column.text = str(wanted["text"]).strip() or column.name
        if "theme" in wanted:
            slug = wanted["theme"]
            if slug is None:
                column.theme_id = None
            elif slug in themes:
                column.theme_id = themes[slug]
            else:
                problems.append(f"columns.{name}.theme: unknown theme {slug}")
        values = distinct.get(column.index, [])
        if "scale" in wanted:
            apply_scale(column, Scale(wanted["scale"]), values)
        for value, point in dict(wanted.get("values", {})).items():
            if point is not None and point not in points_for(column.scale):
                problems.append(f"columns.{name}.values: {point} is not on the {column.scale} scale")
            elif value not in values:
                problems.append(f"columns.{name}.values: no answer {value!r} in the rows")
            else:
                column.values[value] = point
    for value, target in dict(spec.get("area_fixes", {})).items():
        if target == DROP:
            mapping.area_fixes[value] = DROP
        elif str(target).upper() in areas:
            mapping.area_fixes[value] = areas[str(target).upper()]
        else:
            problems.append(f"area_fixes.{value}: unknown GSS code {target}")
    indicators = {i.name: i for i in mapping.indicators}
    for name, wanted in dict(spec.get("indicators", {})).items():
        indicator = indicators.get(name)
        if indicator is None:
            problems.append(f"indicators.{name}: no such indicator in the rows")
            continue
        if "unit" in wanted:
            indicator.unit = Unit(wanted["unit"])
        if "theme" in wanted:
            slug = wanted["theme"]
            if slug is None:
                indicator.theme_id = None
            elif slug in themes:
                indicator.theme_id = themes[slug]
            else:
                problems.append(f"indicators.{name}.theme: unknown theme {slug}")
    return problems
