"""Demo partner intelligence: a residents' survey (respondent-level, about 5,000 rows), police
confidence by ward (aggregate) and a tenants' satisfaction survey (respondent-level, placed by
postcode district). Loaded through the real upload, mapping and import code. Idempotent."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

from sqlalchemy import select

from engage.extensions import db
from engage.intelligence import importer, operations
from engage.intelligence.mapping import ColumnRole, DatasetShape
from engage.intelligence.models import Dataset, DatasetStatus, PostcodeDistrict, Sharing
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership

AGREE = ("Strongly agree", "Tend to agree", "Neither agree nor disagree", "Tend to disagree",
         "Strongly disagree", "Don't know")
SATISFIED = ("Very satisfied", "Fairly satisfied", "Neither satisfied nor dissatisfied",
             "Fairly dissatisfied", "Very dissatisfied")
AGES = ("16-24", "25-44", "45-64", "65-74", "75+")
# How a few wards are written in partners' files (matched by the mapping's name rules).
SPELLINGS = {"St Anne's": ("St Annes", "Saint Anne's", "ST ANNE'S"), "Marsh Green": ("marsh green",),
             "Castle Mead": ("Castle Mead ward",)}


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _answer(rng: random.Random, options: tuple[str, ...], lean: float) -> str:
    """An answer leaning positive (lean near 1) or negative (near 0)."""
    weights = [max(0.02, 1 - abs(i / (len(options) - 1) - (1 - lean)) * 1.6)
               for i in range(len(options))]
    if options[-1] == "Don't know":
        weights[-1] = 0.05
    return rng.choices(options, weights)[0]


def _import(dataset: Dataset, data: bytes, filename: str, themes: dict[str, int],
            question_themes: dict[str, str]) -> None:
    """Upload, map (themes by column name) and import, as a partner officer would."""
    record = operations.start_upload(None, dataset, io.BytesIO(data), filename)
    mapping = operations.import_mapping(record)
    for column in mapping.columns:
        slug = question_themes.get(column.name)
        if slug and column.role == ColumnRole.QUESTION:
            column.theme_id = themes.get(slug)
    for indicator in mapping.indicators:
        slug = question_themes.get(indicator.name)
        if slug:
            indicator.theme_id = themes.get(slug)
    operations.save_mapping(None, record, mapping)
    check = operations.check_mapping(record)
    assert check.ready, (dataset.title, check.problems, check.unmatched)
    db.session.commit()
    importer.run_import(importer.QuietContext(), {"import_id": record.id})
    db.session.commit()


def _dataset(partnership: Partnership, organisation: Organisation, title: str,
             shape: DatasetShape, details: operations.DatasetDetails) -> Dataset | None:
    """A new dataset, or None when the demo one is already there and imported."""
    existing = db.session.scalar(select(Dataset).where(
        Dataset.partnership_id == partnership.id, Dataset.title == title))
    if existing is not None and existing.status == DatasetStatus.READY:
        return None
    if existing is not None:
        operations.delete_dataset(None, existing)
    return operations.create_dataset(None, partnership, organisation, shape, details)


def load_intelligence() -> dict[str, int]:
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
    if partnership is None:
        return {"datasets": 0}
    organisations = {o.name: o for o in partnership.organisations}
    themes = {t.slug: t.id for t in operations.partnership_themes(partnership)}
    wards = sorted((w for top in partnership.areas for w in top.wards()), key=lambda w: w.gss_code)
    rng = random.Random(20261124)  # noqa: S311 - demo data, not secrets
    mood = {w.id: rng.uniform(0.35, 0.8) for w in wards}
    created = 0

    # 1. Residents' survey: respondent-level, weighted, public.
    survey = _dataset(
        partnership, organisations["Hartmoor County Council"], "Hartmoor Residents' Survey 2025",
        DatasetShape.RESPONDENT,
        operations.DatasetDetails(
            title="Hartmoor Residents' Survey 2025", source="Hartmoor County Council",
            method="Postal and online survey of a random sample of addresses; 5,000 responses.",
            fieldwork_start=date(2025, 9, 1), fieldwork_end=date(2025, 10, 31),
            weighting_note="Weighted to ward population by age and sex (2021 Census).",
            sharing=Sharing.PUBLIC, licence="Open Government Licence v3.0",
            theme_ids=[themes["safer-communities"], themes["stronger-communities"]],
        ),
    )
    if survey is not None:
        header = ["Respondent ID", "Ward", "Age group", "Sex", "Tenure", "Weight",
                  "I feel safe outside in my area after dark",
                  "Satisfaction with my local area as a place to live",
                  "People from different backgrounds get on well together here",
                  "I can influence decisions affecting my local area",
                  "How do you usually travel to work?"]
        rows = []
        for number in range(1, 5001):
            ward = wards[int(rng.triangular(0, len(wards), len(wards) / 3)) % len(wards)]
            name = rng.choice((*SPELLINGS.get(ward.name, ()), ward.name))
            lean = mood[ward.id]
            rows.append([
                str(number), name, rng.choice(AGES), rng.choice(("Female", "Male")),
                rng.choice(("Owned", "Social rented", "Private rented")),
                f"{rng.uniform(0.6, 1.6):.3f}",
                _answer(rng, AGREE, lean), _answer(rng, SATISFIED, lean + 0.05),
                _answer(rng, AGREE, lean), _answer(rng, AGREE, lean - 0.2),
                "" if rng.random() < 0.2 else rng.choice(
                    ("Car", "Car", "Bus", "Walk", "Cycle", "Train", "Work from home")),
            ])
        _import(survey, _csv(header, rows), "residents-survey-2025.csv", themes, {
            "I feel safe outside in my area after dark": "safer-communities",
            "Satisfaction with my local area as a place to live": "stronger-communities",
            "People from different backgrounds get on well together here": "stronger-communities",
            "I can influence decisions affecting my local area": "stronger-communities",
            "How do you usually travel to work?": "transport",
        })
        created += 1

    # 2. Police confidence by ward: aggregate, shared with the partnership.
    police = _dataset(
        partnership, organisations["Hartmoor Police"], "Police confidence survey by ward 2025/26",
        DatasetShape.AGGREGATE,
        operations.DatasetDetails(
            title="Police confidence survey by ward 2025/26", source="Hartmoor Police",
            method="Telephone survey, rolling quarterly sample; published by ward and district.",
            fieldwork_start=date(2025, 4, 1), fieldwork_end=date(2025, 6, 30),
            weighting_note="Not weighted.", sharing=Sharing.PARTNERSHIP,
            theme_ids=[themes["safer-communities"]],
        ),
    )
    if police is not None:
        indicators = ("% who agree the police deal with the issues that matter here",
                      "% who feel safe walking alone after dark",
                      "Number of anti-social behaviour incidents reported")
        rows = []
        for ward in wards:
            base = rng.choice((3, 12, 40, 60, 85, 120)) if ward.gss_code.endswith("9") else \
                rng.randint(25, 160)
            rows.append([indicators[0], ward.gss_code, f"{40 + 40 * mood[ward.id]:.1f}", str(base),
                         "2025/26 Q1"])
            rows.append([indicators[1], ward.name, f"{35 + 50 * mood[ward.id]:.1f}", str(base),
                         "2025/26 Q1"])
            rows.append([indicators[2], ward.gss_code, str(rng.choice((2, 4, 9, 17, 26, 41))), "",
                         "2025/26 Q1"])
        for district in (a for top in partnership.areas for a in top.children
                         if a.level == AreaLevel.DISTRICT):
            rows.append([indicators[0], district.name, f"{rng.uniform(55, 70):.1f}", "900",
                         "2025/26 Q1"])
        _import(police, _csv(["Indicator", "Area", "Value", "Base (n)", "Period"], rows),
                "police-confidence-q1.csv", themes, {name: "safer-communities" for name in indicators})
        created += 1

    # 3. Tenants' satisfaction: respondent-level by postcode district, own organisation only.
    districts = _postcode_table(partnership, wards)
    tenants = _dataset(
        partnership, organisations["Vale Homes"], "Vale Homes tenant satisfaction 2025",
        DatasetShape.RESPONDENT,
        operations.DatasetDetails(
            title="Vale Homes tenant satisfaction 2025", source="Vale Homes",
            method="Tenant Satisfaction Measures perception survey, census of tenants by phone.",
            fieldwork_start=date(2025, 5, 1), fieldwork_end=date(2025, 7, 31),
            weighting_note="Not weighted.", sharing=Sharing.ORGANISATION,
            theme_ids=[themes["housing"]],
        ),
    )
    if tenants is not None:
        header = ["Postcode district", "Overall satisfaction with the service",
                  "Satisfaction that the home is safe", "Satisfaction with repairs",
                  "Vale Homes treats me fairly and with respect"]
        codes = sorted(districts)
        rows = []
        for _number in range(1200):
            district = rng.choice(codes)
            lean = mood[districts[district]]
            rows.append([f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}",
                         _answer(rng, SATISFIED, lean), _answer(rng, SATISFIED, lean + 0.1),
                         _answer(rng, SATISFIED, lean - 0.15), _answer(rng, AGREE, lean)])
        _import(tenants, _csv(header, rows), "tenant-satisfaction-2025.csv", themes,
                {name: "housing" for name in header[1:]})
        created += 1
    return {"datasets created": created, "postcode districts": len(districts)}


def _postcode_table(partnership: Partnership, wards: list[Area]) -> dict[str, int]:
    """HM1 ... HM12, each in one ward, in the partnership's own table (idempotent)."""
    existing = {
        row.district: row for row in db.session.scalars(
            select(PostcodeDistrict).where(PostcodeDistrict.partnership_id == partnership.id))
    }
    table: dict[str, int] = {}
    for number, ward in enumerate(wards[:12], start=1):
        code = f"HM{number}"
        row = existing.get(code)
        if row is None:
            db.session.add(PostcodeDistrict(partnership_id=partnership.id, district=code,
                                            ward_id=ward.id))
        table[code] = row.ward_id if row is not None else ward.id
    db.session.flush()
    return table
