"""Fixtures for the consultations tests: a partnership, its people and an open consultation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from engage.accounts.models import Role, User
from engage.consultations.models import Consultation, Question
from engage.extensions import db
from engage.partnerships.models import AreaProfileCount, Partnership
from tests.factories import make_consultation, make_member, make_partnership


@dataclass
class Place:
    partnership: Partnership
    coordinator: User
    officer: User
    councillor: User
    resident: User


@pytest.fixture
def place(app: Flask) -> Place:
    partnership = make_partnership("ashby", ward_count=3)
    place = Place(
        partnership=partnership,
        coordinator=make_member(partnership, Role.COORDINATOR, email="coordinator@example.org"),
        officer=make_member(partnership, Role.PARTNER_OFFICER, email="officer@example.org"),
        councillor=make_member(partnership, Role.COUNCILLOR, email="councillor@example.org"),
        resident=make_member(partnership, Role.RESIDENT, email="resident@example.org"),
    )
    db.session.commit()
    return place


def set_profile(area: Any, profile: dict[str, dict[str, int]]) -> None:
    for feature, counts in profile.items():
        for category, count in counts.items():
            db.session.add(
                AreaProfileCount(area_id=area.id, feature=feature, category=category, count=count)
            )
    db.session.flush()


@pytest.fixture
def consultation(place: Place) -> Consultation:
    """Open to everyone (anonymous too), one page: single choice (required) and free text."""
    found = make_consultation(place.partnership)
    found.questions[0].is_required = True
    db.session.commit()
    return found


def question(consultation: Consultation, kind: str) -> Question:
    return next(q for q in consultation.questions if q.kind == kind)
