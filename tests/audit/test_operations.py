"""Register operations: rules, source upserts, duplicate reviews, ratings, vocabularies, GDPR."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engage.audit import operations
from engage.audit.models import (
    AssessmentDimension,
    DuplicateDecision,
    DuplicateReview,
    EngagementActivity,
    Method,
    Status,
    TargetGroup,
)
from engage.audit.self_assessment import Rating
from engage.core.errors import EngageError
from engage.core.time import utcnow
from engage.extensions import db
from tests.audit.conftest import RegisterWorld


def data(world: RegisterWorld, **values: object) -> operations.ActivityData:
    fields: dict[str, object] = {
        "organisation_id": world.police.id,
        "title": "Street safety survey",
        "start_date": date(2025, 3, 1),
        "end_date": date(2025, 3, 31),
        "method": Method.SURVEY,
        "theme_ids": [world.safety.id],
        "area_ids": [world.wards[0].id],
    }
    fields.update(values)
    return operations.ActivityData(**fields)  # type: ignore[arg-type]


def test_saving_an_activity_stores_its_themes_wards_and_groups(app: Flask, world: RegisterWorld) -> None:
    activity = operations.save_activity(
        world.coordinator.id, world.partnership,
        data(world, target_groups=["young_people", "carers"], cost_pence=12345, participants=40),
    )
    db.session.commit()
    stored = db.session.get(EngagementActivity, activity.id)
    assert [t.slug for t in stored.themes] == ["safety"]
    assert [a.name for a in stored.areas] == ["Hill"]
    assert stored.target_groups == ["carers", "young_people"]
    assert (stored.cost_pence, stored.participants, stored.status) == (12345, 40, Status.PLANNED)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": date(2025, 2, 1)}, "end_date"),
        ({"title": "  "}, "title"),
        ({"theme_ids": []}, "theme_ids"),
        ({"area_ids": []}, "area_ids"),
        ({"target_groups": ["martians"]}, "target_groups"),
        ({"status": Status.RESULTS_PUBLISHED}, "outcome_statement"),
        ({"outcome_url": "javascript:alert(1)"}, "outcome_url"),
        ({"contact_email": "not an email"}, "contact_email"),
    ],
)
def test_broken_rules_are_refused_with_the_field_named(
    app: Flask, world: RegisterWorld, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(EngageError) as caught:
        operations.save_activity(world.coordinator.id, world.partnership, data(world, **changes))
    assert caught.value.field == field


def test_another_partnerships_theme_or_ward_or_partner_is_refused(app: Flask, world: RegisterWorld) -> None:
    other_ward = world.other.areas[0].wards()[0]
    for changes in (
        {"theme_ids": [world.other.themes[0].id]},
        {"area_ids": [other_ward.id]},
        {"organisation_id": world.other.organisations[0].id},
    ):
        with pytest.raises(EngageError):
            operations.save_activity(world.coordinator.id, world.partnership, data(world, **changes))


def test_publishing_results_dates_the_outcome_today_when_no_date_is_given(app: Flask, world: RegisterWorld) -> None:
    activity = operations.save_activity(
        world.coordinator.id, world.partnership,
        data(world, status=Status.RESULTS_PUBLISHED, outcome_statement="We fixed the lights"),
    )
    assert activity.outcome_published_on == utcnow().date()


def test_partnership_wide_activities_cover_every_ward_in_the_analyses(app: Flask, world: RegisterWorld) -> None:
    wide = world.activity(is_partnership_wide=True, areas=[])
    district = world.activity(areas=[world.district])
    db.session.commit()
    geo = operations.geography(world.partnership)
    records = operations.load_records(world.partnership, geo)
    every = {w.id for w in world.wards}
    assert records[wide.id].ward_ids == every
    assert records[district.id].ward_ids == every
    assert set(records) == {wide.id, district.id}  # the other partnership's is not loaded


def test_source_upserts_create_once_then_update_in_place(app: Flask, world: RegisterWorld) -> None:
    first = operations.upsert_activity_from_source(
        "consultation", 42, partnership=world.partnership, data=data(world, title="Budget consultation"),
    )
    again = operations.upsert_activity_from_source(
        "consultation", 42, partnership=world.partnership,
        data=data(world, title="Budget consultation 2025", participants=300, status=Status.CLOSED),
    )
    db.session.commit()
    assert again.id == first.id
    count = db.session.scalar(select(func.count()).select_from(EngagementActivity).where(
        EngagementActivity.source_type == "consultation"))
    assert count == 1
    stored = db.session.get(EngagementActivity, first.id)
    assert (stored.title, stored.participants, stored.is_from_source) == ("Budget consultation 2025", 300, True)


def test_the_database_refuses_two_entries_for_one_source(app: Flask, world: RegisterWorld) -> None:
    world.activity(source_type="budgeting", source_id=7)
    with pytest.raises(IntegrityError):
        world.activity(source_type="budgeting", source_id=7, title="Copy")
    db.session.rollback()


def test_a_source_entry_of_another_partnership_is_not_taken_over(app: Flask, world: RegisterWorld) -> None:
    operations.upsert_activity_from_source("consultation", 5, partnership=world.partnership, data=data(world))
    with pytest.raises(EngageError):
        operations.upsert_activity_from_source(
            "consultation", 5, partnership=world.other,
            data=data(world, organisation_id=world.other.organisations[0].id,
                      theme_ids=[world.other.themes[0].id], area_ids=[], is_partnership_wide=True),
        )


def test_source_entries_cannot_be_deleted_from_the_register(app: Flask, world: RegisterWorld) -> None:
    activity = operations.upsert_activity_from_source(
        "budgeting", 9, partnership=world.partnership, data=data(world))
    with pytest.raises(EngageError):
        operations.delete_activity(world.coordinator.id, world.partnership, activity)


def test_a_duplicate_review_is_keyed_by_the_ordered_pair_and_replaced_not_copied(
    app: Flask, world: RegisterWorld
) -> None:
    a, b = world.activity(), world.activity(organisation_id=world.council.id)
    operations.review_duplicate(world.coordinator.id, world.partnership, b.id, a.id, DuplicateDecision.COORDINATE)
    operations.review_duplicate(world.coordinator.id, world.partnership, a.id, b.id, DuplicateDecision.MERGED, "one survey now")
    db.session.commit()
    reviews = db.session.scalars(select(DuplicateReview)).all()
    assert [(r.first_activity_id, r.second_activity_id, r.decision, r.note) for r in reviews] == [
        (min(a.id, b.id), max(a.id, b.id), DuplicateDecision.MERGED, "one survey now")
    ]
    operations.review_duplicate(world.coordinator.id, world.partnership, a.id, b.id, None)
    db.session.commit()
    assert db.session.scalars(select(DuplicateReview)).all() == []


def test_a_pair_from_another_partnership_cannot_be_reviewed(app: Flask, world: RegisterWorld) -> None:
    mine = world.activity()
    theirs = db.session.scalar(select(EngagementActivity.id).where(
        EngagementActivity.partnership_id == world.other.id))
    with pytest.raises(EngageError):
        operations.review_duplicate(world.coordinator.id, world.partnership, mine.id, theirs,
                                    DuplicateDecision.COORDINATE)


def test_ratings_need_a_known_dimension_and_a_date_not_in_the_future(app: Flask, world: RegisterWorld) -> None:
    operations.record_rating(world.coordinator.id, world.partnership, dimension="delivery",
                             rating=Rating.AMBER, evidence="Plan", assessed_on=date(2025, 1, 1))
    with pytest.raises(EngageError):
        operations.record_rating(world.coordinator.id, world.partnership, dimension="vibes",
                                 rating=Rating.RED, evidence="", assessed_on=date(2025, 1, 1))
    with pytest.raises(EngageError):
        operations.record_rating(world.coordinator.id, world.partnership, dimension="delivery",
                                 rating=Rating.RED, evidence="",
                                 assessed_on=utcnow().date() + timedelta(days=2))


def test_adding_a_target_group_keeps_the_defaults_and_children_inherit_it(app: Flask, world: RegisterWorld) -> None:
    defaults = [e.code for e in operations.target_groups(world.partnership)]
    operations.add_vocabulary_entry(world.coordinator.id, TargetGroup, world.partnership,
                                    name="Gypsy and Traveller communities", name_cy=None)
    codes = [e.code for e in operations.target_groups(world.partnership)]
    assert codes == [*defaults, "gypsy_and_traveller_communities"]
    with pytest.raises(EngageError):
        operations.add_vocabulary_entry(world.coordinator.id, TargetGroup, world.partnership,
                                        name="Carers", name_cy=None)
    world.other.parent = world.partnership
    db.session.flush()
    assert [e.code for e in operations.target_groups(world.other)] == codes


def test_a_dimension_no_longer_used_stays_listed_as_not_in_use(app: Flask, world: RegisterWorld) -> None:
    operations.set_vocabulary_entry_active(world.coordinator.id, AssessmentDimension, world.partnership,
                                           "communications", False)
    entries = {e.code: e.is_active for e in operations.assessment_dimensions(world.partnership)}
    assert entries["communications"] is False
    assert entries["delivery"] is True


def test_download_my_data_lists_activities_and_erasure_removes_the_contact(app: Flask, world: RegisterWorld) -> None:
    from engage.core.personal_data import erase_personal_data, export_personal_data

    activity = world.activity(contact_name="Pat Police", contact_email="police@example.org",
                              created_by_id=world.police_officer.id)
    db.session.commit()
    exported = export_personal_data(world.police_officer)["audit"]
    assert exported["activities"][0]["contact_email"] == "police@example.org"
    erase_personal_data(world.police_officer)
    db.session.commit()
    stored = db.session.get(EngagementActivity, activity.id)
    assert (stored.contact_name, stored.contact_email) == (None, None)
    assert stored.title == "Survey"  # what the organisation did stays on record
