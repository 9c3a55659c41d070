"""Checking JSON request bodies against the OpenAPI document's own schemas (pure).

The API validates every JSON body with the schemas it publishes, so the document and the
behaviour cannot drift apart. Only the JSON Schema keywords the document uses are supported:
type (one or a list), properties, required, additionalProperties (false or a schema), items,
minItems, maxItems, enum, minLength, maxLength, minimum, maximum, format "date", and $ref to
#/components/schemas/*. An unsupported keyword raises, so the document cannot silently use
one this checker ignores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

SUPPORTED = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "maxItems", "minItems",
        "enum",
        "minLength", "maxLength", "minimum", "maximum", "format", "$ref", "description",
        "example", "examples", "title", "default", "pattern",
    }
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SchemaProblem(ValueError):
    """The schema itself uses something this checker does not understand."""


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":  # JSON Schema counts 5.0 as an integer too
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    raise SchemaProblem(f"unknown type {kind}")


def validate(
    value: Any, schema: Mapping[str, Any], components: Mapping[str, Any], path: str = "body"
) -> list[str]:
    """Every way ``value`` breaks ``schema``, as "path: problem" strings (empty when valid)."""
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise SchemaProblem(f"unsupported keywords {sorted(unknown)}")
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix("#/components/schemas/")
        return validate(value, components[name], components, path)
    problems: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_type_ok(value, kind) for kind in allowed):
            return [f"{path}: must be {' or '.join(allowed)}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{path}: too short")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{path}: not in the expected form")
        if schema.get("format") == "date":
            try:
                if not _DATE.match(value):
                    raise ValueError(value)
                date.fromisoformat(value)
            except ValueError:
                problems.append(f"{path}: must be a date like 2025-03-31")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: must be at most {schema['maximum']}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{path}: at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                problems += validate(item, schema["items"], components, f"{path}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}.{name}: required")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                problems += validate(item, properties[name], components, f"{path}.{name}")
            elif extra is False:
                problems.append(f"{path}.{name}: not allowed")
            elif isinstance(extra, dict):
                problems += validate(item, extra, components, f"{path}.{name}")
    return problems
