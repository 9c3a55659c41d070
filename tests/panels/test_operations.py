"""Panels operations on the database: quotas, selection, replacement, refresh, purge."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from engage.core.errors import EngageError, ImportFailed
from engage.core.time import utcnow
from engage.extensions import db
from engage.panels import operations
from engage.panels.models import (
    Algorithm,
    MemberStatus,
    Panel,
    Selection,
    Volunteer,
    VolunteerSource,
)
from tests.factories import make_panel, make_partnership


def _quotas_met(panel: Panel, references: list[str]) -> bool:
    by_reference = {v.reference: v for v in panel.volunteers}
    for quota in panel.quotas:
        count = sum(by_reference[r].demographics.get(quota.feature) == quota.value
                    for r in references)
        if not quota.minimum <= count <= quota.maximum:
            return False
    return True


@pytest.fixture
def panel(app) -> Panel:  # type: ignore[no-untyped-def]
    panel = make_panel(make_partnership("own"))
    operations.set_quotas_from_census(panel, 1, actor_id=None)
    return panel


def test_census_quotas_follow_the_profile_for_the_panel_size(panel: Panel) -> None:
    quotas = {(q.feature, q.value): (q.minimum, q.maximum) for q in panel.quotas}
    # 52% female of 10 → 5 ± 1; 60% owners → 6 ± 1
    assert quotas[("sex", "female")] == (4, 6)
    assert quotas[("tenure", "owned")] == (5, 7)


@pytest.mark.parametrize("algorithm", [Algorithm.LEXIMIN, Algorithm.LEGACY])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quotas_are_met_in_every_drawn_panel(panel: Panel, algorithm: Algorithm, seed: int) -> None:
    selection = operations.select_members(panel, algorithm, seed, actor_id=None)
    assert len(selection.selected) == panel.size
    assert _quotas_met(panel, selection.selected)
    assert sorted(m.volunteer.reference for m in operations.current_members(panel)) == sorted(
        selection.selected)


def test_selection_probabilities_sum_to_the_panel_size(panel: Panel) -> None:
    selection = operations.select_members(panel, Algorithm.LEXIMIN, 7, actor_id=None)
    assert sum(selection.probabilities.values()) == pytest.approx(panel.size, abs=1e-3)
    assert len(selection.probabilities) == len(panel.volunteers)


def test_same_inputs_and_seed_give_the_same_panel(panel: Panel) -> None:
    first = operations.select_members(panel, Algorithm.LEXIMIN, 42, actor_id=None).selected
    second = operations.select_members(panel, Algorithm.LEXIMIN, 42, actor_id=None).selected
    assert first == second
    stored = db.session.scalars(db.select(Selection)).all()
    assert [s.seed for s in stored] == [42, 42]


def test_infeasible_quotas_are_explained_in_plain_words(panel: Panel) -> None:
    quota = next(q for q in panel.quotas if q.value == "social_rented")
    quota.minimum, quota.maximum = 9, 10
    social = sum(v.demographics["tenure"] == "social_rented" for v in panel.volunteers)
    messages = operations.feasibility_messages(panel)
    assert messages, "should be infeasible"
    assert any("Housing tenure – Social rented" in m and "9" in m for m in messages) or any(
        "Housing tenure" in m for m in messages), messages
    quota.minimum = social + 2
    quota.maximum = social + 2
    panel.size = social + 2
    messages = operations.feasibility_messages(panel)
    assert (f"Housing tenure – Social rented: the quotas need at least {social + 2} people but "
            f"only {social} volunteers are in the pool, 2 too few.") in messages
    with pytest.raises(EngageError, match="2 too few"):
        operations.select_members(panel, Algorithm.LEXIMIN, 1, actor_id=None)


def test_replacement_keeps_quotas_met(panel: Panel) -> None:
    operations.select_members(panel, Algorithm.LEXIMIN, 5, actor_id=None)
    leaving = operations.current_members(panel)[:3]
    for member in leaving:
        operations.set_member_status(member, MemberStatus.WITHDRAWN, actor_id=None)
    selection = operations.replace_withdrawn(panel, 9, actor_id=None)
    assert selection is not None and len(selection.selected) == 3
    current = [m.volunteer.reference for m in operations.current_members(panel)]
    assert len(current) == panel.size
    assert not {m.volunteer.reference for m in leaving} & set(current)
    assert _quotas_met(panel, current)


def test_refresh_round_replaces_a_share_and_keeps_quotas(panel: Panel) -> None:
    operations.select_members(panel, Algorithm.LEXIMIN, 5, actor_id=None)
    before = {m.volunteer.reference for m in operations.current_members(panel)}
    operations.refresh_panel(panel, 30, 11, actor_id=None)
    after = [m.volunteer.reference for m in operations.current_members(panel)]
    assert len(after) == panel.size and len(before - set(after)) == 3
    assert _quotas_met(panel, after)
    assert Counter(s.kind.value for s in panel.selections) == {"initial": 1, "refresh": 1}


def test_one_volunteer_per_household_by_normalised_address(panel: Panel) -> None:
    common = dict(email=None, phone=None, ward=None, demographics={"sex": "female"},
                  special_category_consent=False, source=VolunteerSource.ONLINE)
    operations.sign_up_volunteer(panel, name="A", address="7, King St.", postcode="xy3 3jn",
                                 **common)
    with pytest.raises(EngageError, match="one person per household"):
        operations.sign_up_volunteer(panel, name="B", address="7 king st", postcode="XY33JN",
                                     **common)


def test_special_category_answers_are_dropped_without_consent(panel: Panel) -> None:
    panel.features = ["sex", "ethnicity", "disability"]
    volunteer = operations.sign_up_volunteer(
        panel, name="A", email=None, phone=None, address="1 High St", postcode="AB1 2CD",
        ward=None, demographics={"sex": "male", "ethnicity": "asian", "disability": "disabled"},
        special_category_consent=False, source=VolunteerSource.ONLINE)
    assert volunteer.demographics == {"sex": "male"}


FEATURES = b"feature,value,min,max\nsex,female,1,2\nsex,male,1,2\n"


def test_pool_import_is_all_or_nothing_with_row_numbers(panel: Panel) -> None:
    people = b"id,sex,address_line_1,postcode\nA1,female,1 Road,AA1\nA2,alien,2 Road,AA1\nA3,,3 Road,AA1\n"
    before = len(panel.volunteers)
    db.session.commit()
    with pytest.raises(ImportFailed) as failure:
        operations.import_pool(panel, people, FEATURES, actor_id=None)
    rows = [(e.row, e.message) for e in failure.value.errors]
    assert rows[0][0] == 3 and "“alien” is not one of the values" in rows[0][1]
    assert rows[1][0] == 4
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Volunteer.id))) == before


def test_importing_the_same_pool_twice_adds_nobody_twice(panel: Panel) -> None:
    people = b"id,sex\nA1,female\nA2,Male\n"
    assert operations.import_pool(panel, people, FEATURES, actor_id=None) == 2
    assert operations.import_pool(panel, people, FEATURES, actor_id=None) == 0
    assert [(q.feature, q.value) for q in panel.quotas] == [("sex", "female"), ("sex", "male")]


def test_purge_deletes_only_unselected_volunteers_past_retention(panel: Panel) -> None:
    operations.select_members(panel, Algorithm.LEGACY, 3, actor_id=None)
    members = {m.volunteer_id for m in panel.members}
    old = utcnow() - timedelta(days=panel.retention_days + 1)
    recent_unselected = None
    for volunteer in panel.volunteers:
        volunteer.created_at = old
    for volunteer in panel.volunteers:
        if volunteer.id not in members:
            recent_unselected = volunteer
            volunteer.created_at = utcnow() - timedelta(days=1)
            break
    assert recent_unselected is not None
    db.session.flush()
    expected = len(panel.volunteers) - len(members) - 1
    assert operations.purge_unselected() == expected
    remaining = set(db.session.scalars(db.select(Volunteer.id)))
    assert remaining == members | {recent_unselected.id}
    assert operations.purge_unselected() == 0  # safe to run twice


def test_active_panel_member_is_in_the_panel_audience(panel: Panel) -> None:
    from engage.accounts.models import Role
    from tests.factories import make_member

    user = make_member(panel.partnership, Role.RESIDENT)
    operations.select_members(panel, Algorithm.LEGACY, 3, actor_id=None)
    assert not operations.is_active_panel_member(user, panel.partnership)
    member = operations.current_members(panel)[0]
    member.volunteer.user_id = user.id
    operations.set_member_status(member, MemberStatus.ACTIVE, actor_id=None)
    assert operations.is_active_panel_member(user, panel.partnership)
    operations.set_member_status(member, MemberStatus.WITHDRAWN, actor_id=None)
    assert not operations.is_active_panel_member(user, panel.partnership)
