"""A test evidence source (the adapter fixture) and a small partnership worked by hand."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from engage.accounts.models import Role
from engage.extensions import db
from engage.partnerships.models import Area, Partnership
from engage.priorities.aggregate import EvidenceItem, SourceKind
from engage.priorities.evidence import (
    Quote,
    SourceDescription,
    evidence_sources,
    register_evidence_source,
    unregister_evidence_source,
)
from tests.factories import make_member, make_partnership

AS_OF = date(2025, 6, 30)


@dataclass
class FixtureSource:
    """An evidence source whose items are given in the test."""

    name: str
    items: list[EvidenceItem] = field(default_factory=list)
    quoted: list[Quote] = field(default_factory=list)

    def collect(self, partnership: Partnership, as_of: date) -> list[EvidenceItem]:
        return [i for i in self.items if i.date <= as_of]

    def describe(
        self, partnership: Partnership, source_ids: Collection[str]
    ) -> Mapping[str, SourceDescription]:
        kinds = {i.source_id: i.source_kind for i in self.items}
        return {s: SourceDescription(s, f"Title of {s}", kinds[s]) for s in source_ids}

    def quotes(self, partnership: Partnership, theme_id: str, as_of: date) -> list[Quote]:
        return [q for q in self.quoted if q.theme_id == theme_id]


def item(
    source_id: str,
    kind: SourceKind,
    value: float,
    base: int,
    *,
    theme: str,
    area: str,
    when: date = AS_OF,
    measure: str = "top_priority",
) -> EvidenceItem:
    return EvidenceItem(
        source_id=source_id,
        source_kind=kind,
        theme_id=theme,
        area_id=area,
        measure=measure,
        value=value,
        base=base,
        date=when,
    )


@pytest.fixture
def add_source() -> Iterator[Callable[..., FixtureSource]]:
    """Register fixture sources for one test; they are removed afterwards."""
    added: list[str] = []
    taken = {s.name for s in evidence_sources()}  # the built-in adapters, loaded first

    def add(
        name: str, items: list[EvidenceItem], quotes: list[Quote] | None = None
    ) -> FixtureSource:
        assert name not in taken, f"{name!r} is a built-in source: use another name"
        source = FixtureSource(name, items, quotes or [])
        register_evidence_source(source)
        added.append(name)
        return source

    yield add
    for name in added:
        unregister_evidence_source(name)


@dataclass
class Small:
    """One district partnership: W1 (1,000 residents) and W2 (3,000) — the hand-worked tree."""

    partnership: Partnership
    w1: Area
    w2: Area
    theme: str
    other_theme: str
    users: dict[str, Any]

    @property
    def root(self) -> str:
        return self.partnership.areas[0].gss_code


@pytest.fixture
def small(app: Any) -> Small:
    partnership = make_partnership("small", ward_count=2)
    w1, w2 = partnership.areas[0].wards()
    w1.population, w2.population = 1000, 3000
    from tests.factories import ThemeFactory

    ThemeFactory(partnership=partnership, name="Housing", slug="housing", position=1)
    users = {
        role: make_member(partnership, role, email=f"{role.value}@example.org")
        for role in (Role.COORDINATOR, Role.PARTNER_OFFICER, Role.COUNCILLOR)
    }
    db.session.commit()
    return Small(partnership, w1, w2, partnership.themes[0].slug, "housing", users)


@pytest.fixture(autouse=True)
def _fresh_evidence_cache() -> Iterator[None]:
    """Each test starts from the database, not from a previous test's cached evidence."""
    from engage.priorities.evidence import clear_evidence_cache

    clear_evidence_cache()
    yield
    clear_evidence_cache()
