"""The demo partner intelligence: the three datasets the issue asks for, loaded idempotently."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from engage.demo.foundation import load_foundation
from engage.extensions import db
from engage.intelligence.demo import load_intelligence
from engage.intelligence.models import (
    Dataset,
    DatasetIndicatorValue,
    DatasetShape,
    DatasetStatus,
    Sharing,
)


def test_the_demo_has_a_resident_survey_police_confidence_by_ward_and_tenant_satisfaction(
    app: Flask,
) -> None:
    load_foundation()
    db.session.commit()
    first = load_intelligence()
    db.session.commit()
    assert first["datasets created"] == 3
    again = load_intelligence()
    db.session.commit()
    assert again["datasets created"] == 0

    datasets = {d.title: d for d in db.session.scalars(select(Dataset))}
    assert len(datasets) == 3
    survey = datasets["Hartmoor Residents' Survey 2025"]
    police = datasets["Police confidence survey by ward 2025/26"]
    tenants = datasets["Vale Homes tenant satisfaction 2025"]
    assert all(d.status == DatasetStatus.READY for d in datasets.values())
    assert (survey.shape, police.shape, tenants.shape) == (
        DatasetShape.RESPONDENT, DatasetShape.AGGREGATE, DatasetShape.RESPONDENT)
    assert survey.respondents == 5000 and survey.is_weighted
    assert tenants.respondents == 1200
    assert (survey.sharing, police.sharing, tenants.sharing) == (
        Sharing.PUBLIC, Sharing.PARTNERSHIP, Sharing.ORGANISATION)
    indicator_values = db.session.scalar(
        select(func.count()).select_from(DatasetIndicatorValue)
        .where(DatasetIndicatorValue.dataset_id == police.id))
    assert indicator_values >= 30  # three indicators by ward, plus districts
