"""Adapters that turn each domain's records into evidence items (one module per domain).

They live here, not in the domains, so each domain's own files stay its own. An adapter is
loaded only when its domain's models exist, so the pipeline works before a domain is built.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

# adapter module → the domain module it needs
BUILTIN = (
    ("engage.priorities.sources.entered", None),
    ("engage.priorities.sources.consultations", "engage.consultations.models"),
    ("engage.priorities.sources.budgeting", "engage.budgeting.models"),
    ("engage.priorities.sources.intelligence", "engage.intelligence.models"),
)
# Citizens' panel surveys are consultations put to the panel: see sources/consultations.py.

_loaded = False


def _exists(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def load_builtin_sources() -> None:
    """Import (and so register) every adapter whose domain exists. Idempotent."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for adapter, needs in BUILTIN:
        if needs is not None and not _exists(needs):
            continue
        if _exists(adapter):
            import_module(adapter)
