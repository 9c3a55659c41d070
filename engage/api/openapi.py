"""The OpenAPI 3.1 description of the partner API, served at /api/openapi.json.

It is the single source of truth: request bodies are validated against these schemas
(engage.api.schema_check), and tests check every documented route exists with its methods
and that real responses match the documented response schemas.
"""

from __future__ import annotations

from typing import Any

from engage.audit.overlap import Method, Status
from engage.intelligence.mapping import (
    DEMOGRAPHIC_FEATURES,
    ColumnRole,
    DatasetShape,
    Scale,
    Unit,
    points_for,
)
from engage.intelligence.models import DatasetStatus, ImportStatus, Sharing

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INTEGER = {"type": ["integer", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
TIMESTAMP = {"type": "string", "description": "ISO 8601, UTC"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "description": "ISO 8601, UTC"}
SLUGS = {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 50}
POINTS = sorted({p for scale in Scale for p in points_for(scale)})


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _all_required(properties: dict[str, Any]) -> dict[str, Any]:
    return _object(properties, list(properties))


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": {"type": "string", "description": "A code, e.g. invalid_token"},
            "message": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "string"}},
        },
        ["error", "message"],
    ),
    "RowError": _all_required(
        {"row": {"type": "integer"}, "column": NULLABLE_STRING, "message": {"type": "string"}}
    ),
    "Organisation": _all_required({"id": {"type": "integer"}, "name": {"type": "string"}}),
    "DatasetInput": _object(
        {
            "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "shape": {"type": "string", "enum": [s.value for s in DatasetShape]},
            "source": {"type": "string", "maxLength": 300},
            "method": {"type": "string", "maxLength": 4000},
            "fieldwork_start": NULLABLE_DATE,
            "fieldwork_end": NULLABLE_DATE,
            "sample_size": {"type": ["integer", "null"], "minimum": 0, "maximum": 100_000_000},
            "weighting_note": {"type": "string", "maxLength": 4000},
            "sharing": {"type": "string", "enum": [s.value for s in Sharing]},
            "licence": {"type": "string", "maxLength": 200},
            "themes": SLUGS,
        },
        ["title", "shape"],
    ),
    "Dataset": _all_required(
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "shape": {"type": "string", "enum": [s.value for s in DatasetShape]},
            "organisation": _ref("Organisation"),
            "source": {"type": "string"},
            "method": {"type": "string"},
            "fieldwork_start": NULLABLE_DATE,
            "fieldwork_end": NULLABLE_DATE,
            "sample_size": NULLABLE_INTEGER,
            "weighting_note": {"type": "string"},
            "sharing": {"type": "string", "enum": [s.value for s in Sharing]},
            "licence": {"type": "string"},
            "themes": {"type": "array", "items": {"type": "string"}},
            "areas": {"type": "array", "items": {"type": "string"},
                      "description": "GSS codes of the areas the data covers"},
            "status": {"type": "string", "enum": [s.value for s in DatasetStatus]},
            "version": {"type": "integer"},
            "respondents": {"type": "integer"},
            "is_weighted": {"type": "boolean"},
            "created_at": TIMESTAMP,
            "imported_at": NULLABLE_TIMESTAMP,
        }
    ),
    "DatasetList": _all_required({"datasets": {"type": "array", "items": _ref("Dataset")}}),
    "ColumnMapping": _object(
        {
            "role": {"type": "string", "enum": [r.value for r in ColumnRole]},
            "feature": {"type": "string", "enum": list(DEMOGRAPHIC_FEATURES)},
            "theme": {"type": ["string", "null"], "maxLength": 80},
            "scale": {"type": "string", "enum": [s.value for s in Scale]},
            "text": {"type": "string", "maxLength": 300},
            "values": {
                "type": "object",
                "additionalProperties": {"type": ["string", "null"], "enum": [*POINTS, None]},
            },
        }
    ),
    "IndicatorMapping": _object(
        {
            "theme": {"type": ["string", "null"], "maxLength": 80},
            "unit": {"type": "string", "enum": [u.value for u in Unit]},
        }
    ),
    "Mapping": _object(
        {
            "columns": {"type": "object", "additionalProperties": _ref("ColumnMapping"),
                        "description": "By column name, as in the header row"},
            "area_fixes": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 200},
                "description": "Area value as written → a GSS code, or \"drop\" to drop its rows",
            },
            "indicators": {"type": "object", "additionalProperties": _ref("IndicatorMapping")},
        }
    ),
    "MappingSaved": _all_required({"dataset_id": {"type": "integer"}, "mapping": _ref("Mapping")}),
    "RowsInput": _object(
        {
            "rows": {
                "type": "array",
                "maxItems": 100_000,
                "items": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                },
            },
            "mapping": _ref("Mapping"),
        },
        ["rows"],
    ),
    "Import": _all_required(
        {
            "id": {"type": "integer"},
            "dataset_id": {"type": "integer"},
            "status": {"type": "string", "enum": [s.value for s in ImportStatus]},
            "filename": {"type": "string"},
            "rows": {"type": "integer"},
            "rows_imported": {"type": "integer"},
            "rows_dropped": {"type": "integer"},
            "problems": {"type": "array", "items": {"type": "string"}},
            "unmatched_areas": {"type": "array", "items": {"type": "string"}},
            "row_errors": {"type": "array", "items": _ref("RowError")},
            "job_id": NULLABLE_INTEGER,
            "created_at": TIMESTAMP,
            "finished_at": NULLABLE_TIMESTAMP,
        }
    ),
    "ImportResult": _all_required({"import": _ref("Import")}),
    "Cell": _all_required({"count": NULLABLE_INTEGER, "share": NULLABLE_NUMBER}),
    "AreaResult": _all_required(
        {
            "gss_code": NULLABLE_STRING,
            "name": {"type": "string"},
            "base": NULLABLE_INTEGER,
            "cells": {"type": "array", "items": _ref("Cell")},
        }
    ),
    "QuestionResult": _all_required(
        {
            "id": {"type": "integer"},
            "text": {"type": "string"},
            "theme": NULLABLE_STRING,
            "scale": {"type": "string", "enum": [s.value for s in Scale]},
            "columns": {"type": "array", "items": _all_required(
                {"code": {"type": "string"}, "label": {"type": "string"}})},
            "overall": _ref("AreaResult"),
            "areas": {"type": "array", "items": _ref("AreaResult")},
        }
    ),
    "IndicatorValue": _all_required(
        {
            "gss_code": {"type": "string"},
            "name": {"type": "string"},
            "period": {"type": "string"},
            "value": NULLABLE_NUMBER,
            "base": NULLABLE_INTEGER,
        }
    ),
    "IndicatorResult": _all_required(
        {
            "id": {"type": "integer"},
            "text": {"type": "string"},
            "theme": NULLABLE_STRING,
            "unit": {"type": "string", "enum": [u.value for u in Unit]},
            "values": {"type": "array", "items": _ref("IndicatorValue")},
        }
    ),
    "Results": _all_required(
        {
            "dataset_id": {"type": "integer"},
            "version": {"type": "integer"},
            "threshold": {"type": "integer",
                          "description": "Counts below this are withheld (null)"},
            "questions": {"type": "array", "items": _ref("QuestionResult")},
            "indicators": {"type": "array", "items": _ref("IndicatorResult")},
        }
    ),
    "Theme": _all_required(
        {"slug": {"type": "string"}, "name": {"type": "string"}, "name_cy": NULLABLE_STRING}
    ),
    "ThemeList": _all_required({"themes": {"type": "array", "items": _ref("Theme")}}),
    "Area": _all_required(
        {
            "gss_code": {"type": "string"},
            "name": {"type": "string"},
            "name_cy": NULLABLE_STRING,
            "level": {"type": "string"},
            "parent_gss_code": NULLABLE_STRING,
        }
    ),
    "AreaList": _all_required({"areas": {"type": "array", "items": _ref("Area")}}),
    "ActivityInput": _object(
        {
            "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "description": {"type": "string", "maxLength": 4000},
            "method": {"type": "string", "enum": [m.value for m in Method]},
            "status": {"type": "string", "enum": [s.value for s in Status]},
            "start_date": DATE,
            "end_date": DATE,
            "themes": {**SLUGS, "minItems": 1},
            "areas": {"type": "array", "items": {"type": "string", "maxLength": 9},
                      "maxItems": 500, "description": "GSS codes of wards or districts"},
            "is_partnership_wide": {"type": "boolean"},
            "target_groups": {"type": "array", "items": {"type": "string", "maxLength": 60},
                              "maxItems": 30},
            "participants": {"type": "integer", "minimum": 0, "maximum": 100_000_000},
            "cost_pence": {"type": "integer", "minimum": 0, "maximum": 100_000_000_000},
            "outcome_statement": {"type": "string", "maxLength": 4000},
            "outcome_url": {"type": ["string", "null"], "maxLength": 500},
            "is_shared_with_partners": {"type": "boolean"},
        },
        ["title", "start_date", "end_date", "themes"],
    ),
    "Activity": _all_required(
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "organisation": _ref("Organisation"),
            "method": {"type": "string"},
            "status": {"type": "string"},
            "start_date": DATE,
            "end_date": DATE,
            "themes": {"type": "array", "items": {"type": "string"}},
            "areas": {"type": "array", "items": {"type": "string"}},
            "is_partnership_wide": {"type": "boolean"},
            "target_groups": {"type": "array", "items": {"type": "string"}},
            "participants": {"type": "integer"},
            "cost_pence": {"type": "integer"},
            "outcome_statement": {"type": "string"},
            "outcome_url": NULLABLE_STRING,
            "is_shared_with_partners": {"type": "boolean"},
            "created_at": TIMESTAMP,
        }
    ),
    "ActivityList": _all_required({"activities": {"type": "array", "items": _ref("Activity")}}),
}

_DESCRIPTIONS = {
    "200": "OK",
    "201": "Created",
    "202": "Accepted: the import runs in the background; poll the import",
    "400": "The body is not valid JSON (or not the content type the route takes)",
    "401": "No valid bearer token (or the request carried a session cookie)",
    "404": "Not found, or not your organisation's",
    "413": "The body is too large",
    "415": "Unsupported content type",
    "422": "The request was understood but breaks a rule; nothing was stored",
    "429": "Too many requests for this token: wait and try again",
}


def _responses(ok: dict[str, str], *errors: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, schema in ok.items():
        responses[status] = {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    for status in ("401", "429", *errors):
        responses[status] = {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    return responses


def _json_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647}}


PATHS: dict[str, Any] = {
    "/api/v1/datasets": {
        "get": {
            "operationId": "listDatasets",
            "summary": "Your organisation's datasets in the token's partnership",
            "responses": _responses({"200": "DatasetList"}),
        },
        "post": {
            "operationId": "createDataset",
            "summary": "Describe a new dataset (then PUT its mapping and POST its rows)",
            "requestBody": _json_body("DatasetInput"),
            "responses": _responses({"201": "Dataset"}, "400", "413", "415", "422"),
        },
    },
    "/api/v1/datasets/{dataset_id}": {
        "parameters": [_id("dataset_id")],
        "get": {
            "operationId": "getDataset",
            "summary": "One of your organisation's datasets",
            "responses": _responses({"200": "Dataset"}, "404"),
        },
    },
    "/api/v1/datasets/{dataset_id}/mapping": {
        "parameters": [_id("dataset_id")],
        "put": {
            "operationId": "putMapping",
            "summary": "How the columns of uploaded rows are read (used for CSV bodies)",
            "requestBody": _json_body("Mapping"),
            "responses": _responses({"200": "MappingSaved"}, "400", "404", "413", "415", "422"),
        },
    },
    "/api/v1/datasets/{dataset_id}/rows": {
        "parameters": [_id("dataset_id")],
        "post": {
            "operationId": "uploadRows",
            "summary": "Replace the dataset's rows: JSON rows, or a CSV body (all or nothing)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("RowsInput")},
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
            "responses": _responses(
                {"201": "ImportResult", "202": "ImportResult"}, "400", "404", "413", "415", "422"
            ),
        },
    },
    "/api/v1/datasets/{dataset_id}/imports/{import_id}": {
        "parameters": [_id("dataset_id"), _id("import_id")],
        "get": {
            "operationId": "getImport",
            "summary": "An upload's progress and outcome (with row-numbered problems)",
            "responses": _responses({"200": "ImportResult"}, "404"),
        },
    },
    "/api/v1/datasets/{dataset_id}/results": {
        "parameters": [_id("dataset_id")],
        "get": {
            "operationId": "getResults",
            "summary": "Published results per area (small counts withheld)",
            "responses": _responses({"200": "Results"}, "404"),
        },
    },
    "/api/v1/themes": {
        "get": {
            "operationId": "listThemes",
            "summary": "The partnership's themes (use their slugs)",
            "responses": _responses({"200": "ThemeList"}),
        },
    },
    "/api/v1/areas": {
        "get": {
            "operationId": "listAreas",
            "summary": "The partnership's areas (use their GSS codes)",
            "responses": _responses({"200": "AreaList"}),
        },
    },
    "/api/v1/activities": {
        "get": {
            "operationId": "listActivities",
            "summary": "Your organisation's engagement activities in the partnership",
            "responses": _responses({"200": "ActivityList"}),
        },
        "post": {
            "operationId": "createActivity",
            "summary": "Add an engagement activity to the partnership's register",
            "requestBody": _json_body("ActivityInput"),
            "responses": _responses({"201": "Activity"}, "400", "413", "415", "422"),
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Engage partner API",
            "version": "1.0.0",
            "description": (
                "For partner organisations' systems. Authenticate with an organisation token "
                "(Authorization: Bearer ...), created by a partner officer in Engage; it reaches "
                "only that organisation's data in one partnership. Requests carrying Engage's "
                "session cookie are refused: the API never uses cookies."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def request_schema(name: str) -> dict[str, Any]:
    return SCHEMAS[name]  # type: ignore[no-any-return]
