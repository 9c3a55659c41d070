"""A partnership with three named wards, a partner officer, and helpers to upload and import."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from flask import Flask

from engage.accounts.models import Role, User
from engage.extensions import db
from engage.intelligence import operations
from engage.intelligence.mapping import DatasetMapping, DatasetShape
from engage.intelligence.models import Dataset, DatasetImport, Sharing
from engage.jobs import Job, get_job
from engage.partnerships.models import Area, Partnership
from tests.factories import make_member, make_partnership

WARD_NAMES = ("St Anne's", "Castle & Mead", "Riverside")


@dataclass
class Place:
    partnership: Partnership
    wards: list[Area]
    officer: User

    @property
    def organisation(self):  # type: ignore[no-untyped-def]
        return self.partnership.organisations[0]


@pytest.fixture
def place(app: Flask) -> Place:
    partnership = make_partnership("ashby", ward_count=3)
    wards = sorted(partnership.areas[0].wards(), key=lambda w: w.id)
    for ward, name in zip(wards, WARD_NAMES, strict=True):
        ward.name = name
    officer = make_member(partnership, Role.PARTNER_OFFICER, email="officer@example.org")
    db.session.commit()
    return Place(partnership, wards, officer)


def new_dataset(
    place: Place, shape: DatasetShape = DatasetShape.RESPONDENT, **details: object
) -> Dataset:
    values = {"title": "Residents survey 2025", "sharing": Sharing.PARTNERSHIP, **details}
    dataset = operations.create_dataset(
        place.officer.id, place.partnership, place.organisation, shape,
        operations.DatasetDetails(**values),  # type: ignore[arg-type]
    )
    db.session.commit()
    return dataset


def upload(dataset: Dataset, data: bytes | str, filename: str = "survey.csv") -> DatasetImport:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    record = operations.start_upload(dataset.created_by_id, dataset, io.BytesIO(raw), filename)
    db.session.commit()
    return record


def edit_mapping(record: DatasetImport) -> DatasetMapping:
    return operations.import_mapping(record)


def save(record: DatasetImport, mapping: DatasetMapping) -> None:
    operations.save_mapping(None, record, mapping)
    db.session.commit()


def run(record: DatasetImport) -> Job:
    """Queue the import; the job runs when the transaction commits (inline in tests)."""
    job = operations.start_import(record.uploaded_by_id, record)
    db.session.commit()  # the inline job runs here, in its own session
    db.session.expire_all()
    found = get_job(job.id)
    assert found is not None
    return found
