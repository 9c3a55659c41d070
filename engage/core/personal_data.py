"""UK GDPR hooks: each domain registers how to export and erase a person's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Exporter = Callable[[Any], dict[str, Any]]
Eraser = Callable[[Any], None]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def register_personal_data(domain: str, exporter: Exporter, eraser: Eraser) -> None:
    """Register a domain's exporter (user → JSON-able dict) and eraser (anonymises in place)."""
    _exporters[domain] = exporter
    _erasers[domain] = eraser


def export_personal_data(user: Any) -> dict[str, Any]:
    return {domain: exporter(user) for domain, exporter in sorted(_exporters.items())}


def erase_personal_data(user: Any) -> None:
    for _domain, eraser in sorted(_erasers.items()):
        eraser(user)
