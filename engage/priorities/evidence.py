"""The one interface every source of evidence about priorities implements, and its registry.

A source (consultations, participatory budgeting, panel surveys, partners' datasets, evidence
entered by hand) turns its records into :class:`~engage.priorities.aggregate.EvidenceItem`
values, all in one shape:

* ``source_id`` — ``"<source name>:<its own id>"``, e.g. ``"consultations:question:42"``
  (one question, one PB process, one panel survey, one partner dataset);
* ``source_kind`` — a :class:`~engage.priorities.aggregate.SourceKind`;
* ``theme_id`` — the theme's slug (themes with the same slug in nested partnerships are one
  theme, so a district consultation counts towards the county's priorities);
* ``area_id`` — the GSS code of a ward or district, or :func:`partnership_key` for the
  partnership as a whole (see :mod:`engage.priorities.geography`);
* ``measure`` — a :class:`~engage.priorities.models.Measure` code; ``value`` — a share (0 to 1);
  ``base`` — the number of people it is based on; ``date``;
* ``is_respondent_level`` with ``respondents`` when each person's answer and census
  characteristics are held (they are then re-weighted to the area's census profile), else
  aggregate.

A source registers itself once::

    from engage.priorities.evidence import register_evidence_source
    register_evidence_source(MySource())

Sources may also describe their records for the evidence pages (``describe``) and offer
publishable quotes for the strategy (``quotes``); both are optional.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from engage.priorities.aggregate import EvidenceItem, SourceKind
from engage.priorities.geography import area_key, partnership_key

if TYPE_CHECKING:
    from engage.partnerships.models import Partnership

__all__ = [
    "CollectedEvidence",
    "EvidenceSource",
    "Quote",
    "SourceDescription",
    "area_key",
    "collect_evidence",
    "evidence_fingerprint",
    "evidence_sources",
    "partnership_key",
    "register_evidence_source",
    "unregister_evidence_source",
]


@dataclass(frozen=True)
class SourceDescription:
    """What the evidence pages show about one source id.

    ``title`` and ``detail`` are the record's own words (a consultation's title, a dataset's
    name); ``url`` links to the record in Engage where there is a page for it.
    """

    source_id: str
    title: str
    kind: SourceKind
    detail: str = ""
    url: str | None = None
    organisation_id: int | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class Quote:
    """A comment a source allows to be quoted (anonymised), for "what you told us"."""

    source_id: str
    theme_id: str
    text: str
    date: date
    area_id: str | None = None
    # Where it comes from, when the source id is not one of the evidence items' sources.
    attribution: str | None = None


@runtime_checkable
class EvidenceSource(Protocol):
    """A source of evidence: a name (the prefix of its source ids) and ``collect``."""

    name: str

    def collect(self, partnership: Partnership, as_of: date) -> list[EvidenceItem]:
        """Every evidence item of this source for the partnership, dated on or before as_of."""
        ...


@runtime_checkable
class DescribingSource(Protocol):
    def describe(
        self, partnership: Partnership, source_ids: Collection[str]
    ) -> Mapping[str, SourceDescription]: ...


@runtime_checkable
class QuotingSource(Protocol):
    def quotes(self, partnership: Partnership, theme_id: str, as_of: date) -> list[Quote]: ...


_registry: dict[str, EvidenceSource] = {}


def register_evidence_source(source: EvidenceSource) -> EvidenceSource:
    """Add (or replace) a source under its name. Returns it, so it can decorate a class."""
    if not isinstance(source, EvidenceSource):
        raise TypeError("an evidence source needs a name and collect(partnership, as_of)")
    if not source.name or ":" in source.name:
        raise ValueError("a source name is a non-empty code without ':'")
    _registry[source.name] = source
    return source


def unregister_evidence_source(name: str) -> None:
    """Remove a source (tests use this to add and remove fixtures)."""
    _registry.pop(name, None)


def evidence_sources() -> tuple[EvidenceSource, ...]:
    """The registered sources, by name (the built-in adapters are loaded first)."""
    from engage.priorities.sources import load_builtin_sources

    load_builtin_sources()
    return tuple(_registry[name] for name in sorted(_registry))


@dataclass(frozen=True)
class CollectedEvidence:
    """All items from all sources, with the sources' descriptions and counts."""

    items: tuple[EvidenceItem, ...]
    descriptions: Mapping[str, SourceDescription]
    counts: Mapping[str, int] = field(default_factory=dict)
    # Set when every source is versioned: the same key means the same evidence.
    cache_key: Hashable | None = None

    def description(self, source_id: str) -> SourceDescription | None:
        return self.descriptions.get(source_id)


@runtime_checkable
class VersionedSource(Protocol):
    def evidence_version(self, partnership: Partnership, as_of: date) -> str:
        """A cheap string that changes whenever collect() would return something else."""
        ...


class LruCache:
    """A small thread-safe LRU cache for one process (evidence and aggregations)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_collected = LruCache(64)


def clear_evidence_cache() -> None:
    """Forget every cached collection (tests; after bulk changes outside the sources)."""
    _collected.clear()
    from engage.priorities import pipeline

    pipeline.clear_cache()


def _collect_one(
    source: EvidenceSource, partnership: Partnership, as_of: date
) -> tuple[tuple[EvidenceItem, ...], dict[str, SourceDescription]]:
    found = tuple(source.collect(partnership, as_of))
    prefix = f"{source.name}:"
    for item in found:
        if not item.source_id.startswith(prefix):
            raise ValueError(f"source {source.name!r} returned an item for {item.source_id!r}")
    descriptions: dict[str, SourceDescription] = {}
    if isinstance(source, DescribingSource) and found:
        descriptions.update(source.describe(partnership, sorted({i.source_id for i in found})))
    return found, descriptions


def collect_evidence(
    partnership: Partnership,
    as_of: date,
    sources: Iterable[EvidenceSource] | None = None,
) -> CollectedEvidence:
    """Ask every source for its items; each source's ids must carry its name as prefix.

    A source that says which version of its data it holds (``evidence_version``) is asked
    again only when that changes; ``cache_key`` is then set, so the aggregation can be
    cached too.
    """
    items: list[EvidenceItem] = []
    descriptions: dict[str, SourceDescription] = {}
    counts: dict[str, int] = {}
    versions: list[tuple[str, str]] = []
    cacheable = True
    for source in sources if sources is not None else evidence_sources():
        if isinstance(source, VersionedSource):
            version = source.evidence_version(partnership, as_of)
            key = (source.name, id(source), partnership.id, as_of, version)
            cached = _collected.get(key)
            if cached is None:
                cached = _collect_one(source, partnership, as_of)
                _collected.put(key, cached)
            found, described = cached
            versions.append((source.name, version))
        else:
            cacheable = False
            found, described = _collect_one(source, partnership, as_of)
        counts[source.name] = len(found)
        items.extend(found)
        descriptions.update(described)
    return CollectedEvidence(
        items=tuple(items),
        descriptions=descriptions,
        counts=counts,
        cache_key=(partnership.id, as_of, tuple(versions)) if cacheable else None,
    )


def collect_quotes(partnership: Partnership, theme_id: str, as_of: date) -> list[Quote]:
    """Publishable quotes about a theme from every source that offers them, newest first."""
    found: list[Quote] = []
    for source in evidence_sources():
        if isinstance(source, QuotingSource):
            found.extend(source.quotes(partnership, theme_id, as_of))
    return sorted(found, key=lambda q: (q.date, q.source_id, q.text), reverse=True)


def evidence_fingerprint(items: Iterable[EvidenceItem]) -> str:
    """A SHA-256 of the items' published figures, independent of their order."""
    rows = sorted(
        json.dumps(
            [
                i.source_id,
                i.source_kind.value,
                i.theme_id,
                i.area_id,
                i.measure,
                repr(i.value),
                i.base,
                i.date.isoformat(),
                i.is_respondent_level,
                repr(i.design_effect),
            ]
        )
        for i in items
    )
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def partnership_family_ids(partnership: Partnership) -> set[int]:
    """The partnership, the partnerships above it and those nested under it.

    Sources collect the records of all of them: a county consultation has ward results that
    count in a district partnership, and a district's consultation counts in the county's.
    Items for areas outside the partnership are set aside by the aggregation.
    """
    return {p.id for p in partnership.lineage()} | {p.id for p in partnership.descendants()}
