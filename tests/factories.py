"""factory-boy factories for the foundation models."""

from __future__ import annotations

import itertools

import factory
from factory.alchemy import SQLAlchemyModelFactory

from engage.accounts.models import Membership, Role, User
from engage.accounts.passwords import hash_password
from engage.audit.models import EngagementActivity, Method, Status
from engage.core.time import utcnow
from engage.extensions import db
from engage.jobs.models import Job, JobStatus
from engage.partnerships.models import (
    Area,
    AreaLevel,
    Organisation,
    Partnership,
    PartnershipKind,
    Sector,
    Theme,
)
from tests.conftest import TEST_PASSWORD


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = db.session
        sqlalchemy_session_persistence = "flush"


class PartnershipFactory(Base):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Partnership {n}")
    slug = factory.Sequence(lambda n: f"partnership-{n}")
    kind = PartnershipKind.DISTRICT


class AreaFactory(Base):
    class Meta:
        model = Area

    gss_code = factory.Sequence(lambda n: f"E05{n:06d}")
    name = factory.Sequence(lambda n: f"Ward {n}")
    level = AreaLevel.WARD
    population = 5000


class ThemeFactory(Base):
    class Meta:
        model = Theme

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Theme {n}")


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    sector = Sector.PUBLIC


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password_hash = factory.LazyFunction(lambda: hash_password(TEST_PASSWORD))


class MembershipFactory(Base):
    class Meta:
        model = Membership

    role = Role.RESIDENT


_district_codes = itertools.count(1)


def make_partnership(slug: str, ward_count: int = 2) -> Partnership:
    """A district partnership covering one district with some wards, a theme and a partner."""
    partnership = PartnershipFactory(slug=slug, name=f"{slug.title()} Partnership")
    district = AreaFactory(level=AreaLevel.DISTRICT, name=f"{slug.title()} District",
                           gss_code=f"E07{next(_district_codes):06d}", population=0)
    for index in range(ward_count):
        AreaFactory(parent=district, name=f"{slug.title()} Ward {index + 1}")
    partnership.areas.append(district)
    ThemeFactory(partnership=partnership, name=f"{slug.title()} theme")
    organisation = OrganisationFactory(name=f"{slug.title()} Police")
    organisation.partnerships.append(partnership)
    db.session.flush()
    return partnership


def make_member(partnership: Partnership, role: Role, email: str | None = None) -> User:
    """A user holding one role in the partnership (with an organisation or wards as the role needs)."""
    user = UserFactory(email=email) if email else UserFactory()
    wards = partnership.areas[0].wards()
    membership = MembershipFactory(user=user, partnership=partnership, role=role)
    if role == Role.PARTNER_OFFICER:
        membership.organisation = partnership.organisations[0]
    if role == Role.COUNCILLOR:
        membership.wards = [wards[0]]
    if role == Role.RESIDENT:
        user.home_ward = wards[0]
    db.session.flush()
    return user


# ---- jobs (engage/jobs) ----

def make_job(partnership: Partnership, owner: User, **values: object) -> Job:
    """A failed job row (not dispatched) owned by `owner` in `partnership`."""
    job = Job(name="testjobs.sample", payload={}, owner_id=owner.id,
              partnership_id=partnership.id, status=JobStatus.FAILED, attempts=1,
              error_code="internal", created_at=utcnow(), **values)
    db.session.add(job)
    db.session.flush()
    return job


def job_id_for(partnership: Partnership) -> int:
    """The first job of a partnership (the authorisation sweep's `job_id`)."""
    return int(db.session.scalar(
        db.select(Job.id).where(Job.partnership_id == partnership.id).order_by(Job.id)
    ))


# ---- engagement register (engage/audit) ----

def make_activity(partnership: Partnership, **values: object) -> EngagementActivity:
    """A partnership-wide survey by the partnership's first organisation (override any field)."""
    from datetime import date

    fields: dict[str, object] = {
        "partnership_id": partnership.id,
        "organisation_id": partnership.organisations[0].id,
        "title": f"{partnership.name} residents' survey",
        "method": Method.SURVEY,
        "status": Status.LIVE,
        "start_date": date(2025, 3, 1),
        "end_date": date(2025, 3, 31),
        "is_partnership_wide": True,
    }
    fields.update(values)
    themes = fields.pop("themes", [partnership.themes[0]])
    areas = fields.pop("areas", [])
    activity = EngagementActivity(**fields)
    activity.themes = list(themes)  # type: ignore[call-overload]
    activity.areas = list(areas)  # type: ignore[call-overload]
    db.session.add(activity)
    db.session.flush()
    return activity


def activity_id_for(partnership: Partnership) -> int:
    """The first activity of a partnership (the authorisation sweep's `activity_id`)."""
    return int(db.session.scalar(
        db.select(EngagementActivity.id)
        .where(EngagementActivity.partnership_id == partnership.id)
        .order_by(EngagementActivity.id)
    ))


# ---- consultations (engage/consultations) ----


def make_consultation(partnership: Partnership, **values: object):  # type: ignore[no-untyped-def]
    """An open consultation (everyone, anonymous allowed) by the partnership's first partner,
    with a single-choice and a free-text question on page 1 (override any field)."""
    from datetime import timedelta

    from engage.consultations.models import (
        Audience,
        Consultation,
        ConsultationStatus,
        Question,
    )
    from engage.core.time import utcnow

    now = utcnow()
    fields: dict[str, object] = {
        "partnership_id": partnership.id,
        "organisation_id": partnership.organisations[0].id,
        "title": f"{partnership.name} consultation",
        "summary": "Tell us what you think.",
        "audience": Audience.EVERYONE,
        "allows_anonymous": True,
        "status": ConsultationStatus.OPEN,
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
    }
    fields.update(values)
    consultation = Consultation(**fields)
    consultation.themes = [partnership.themes[0]]
    db.session.add(consultation)
    db.session.flush()
    consultation.questions.append(
        Question(
            kind="single_choice", page=1, position=1, text="Which matters most?",
            settings={"options": [
                {"code": "o1", "text": "Parks", "text_cy": ""},
                {"code": "o2", "text": "Buses", "text_cy": ""},
            ]},
        )
    )
    consultation.questions.append(
        Question(kind="free_text", page=1, position=2, text="Anything else?",
                 settings={"max_length": 2000})
    )
    db.session.flush()
    return consultation


def make_consultation_records(partnership: Partnership) -> None:
    """The authorisation sweep's consultation, with a response, a code and a suggested group."""
    from engage.consultations import operations
    from engage.consultations.models import FrameCode, SuggestedGroup
    from engage.core.time import utcnow

    consultation = make_consultation(partnership)
    single, text = consultation.questions
    response = operations.start_response(consultation, None, utcnow())
    operations.save_draft(
        response, utcnow(), answers={str(single.id): "o1", str(text.id): "More buses please"}
    )
    operations.submit_response(response, utcnow())
    db.session.add(FrameCode(consultation=consultation, label="Transport"))
    answer_id = next(a.id for a in response.answers if a.question_id == text.id)
    db.session.add(SuggestedGroup(question_id=text.id, terms=["bus"], answer_ids=[answer_id]))
    db.session.flush()


def consultation_values_for(partnership: Partnership) -> dict[str, str]:
    """URL values for the sweep: the partnership's first consultation and its records."""
    from engage.consultations.models import Answer, Consultation, Question, SuggestedGroup

    consultation_id = db.session.scalar(
        db.select(Consultation.id)
        .where(Consultation.partnership_id == partnership.id)
        .order_by(Consultation.id)
    )
    question_id = db.session.scalar(
        db.select(Question.id)
        .where(Question.consultation_id == consultation_id, Question.kind == "free_text")
        .order_by(Question.id)
    )
    answer_id = db.session.scalar(
        db.select(Answer.id).where(Answer.question_id == question_id).order_by(Answer.id)
    )
    group_id = db.session.scalar(
        db.select(SuggestedGroup.id)
        .where(SuggestedGroup.question_id == question_id)
        .order_by(SuggestedGroup.id)
    )
    return {
        "consultation_id": str(consultation_id),
        "question_id": str(question_id),
        "answer_id": str(answer_id),
        "group_id": str(group_id),
        "page": "1",
    }


# ---- priorities and strategy (engage/priorities, engage/strategy) ----

def make_entered_evidence(partnership: Partnership, **values: object):
    """Evidence entered by hand, with one figure for the partnership's first theme and ward."""
    from datetime import date

    from engage.priorities.aggregate import SourceKind
    from engage.priorities.models import EnteredEvidence, EnteredFigure, Measure

    evidence = EnteredEvidence(
        partnership_id=partnership.id,
        title=str(values.pop("title", "Residents' survey 2025")),
        source_kind=values.pop("source_kind", SourceKind.PARTNER_DATASET),
        collected_on=values.pop("collected_on", date(2025, 6, 30)),
        **values,
    )
    ward = partnership.areas[0].wards()[0]
    evidence.figures.append(
        EnteredFigure(theme=partnership.themes[0], area=ward, measure=Measure.TOP_PRIORITY,
                      value=0.4, base=120)
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def make_strategy_records(partnership: Partnership) -> None:
    """The sweep's records: entered evidence, a snapshot, and a draft with a section, a
    version, a comment, an indicator led by the partnership's first organisation, and an export."""
    from datetime import date

    from engage.priorities.models import PrioritySnapshot
    from engage.strategy.models import (
        DraftStatus,
        ExportFormat,
        SectionKind,
        StrategyComment,
        StrategyDraft,
        StrategyExport,
        StrategyIndicator,
        StrategySection,
    )
    from engage.strategy.operations import record_version

    make_entered_evidence(partnership)
    snapshot = PrioritySnapshot(partnership_id=partnership.id, as_of=date(2026, 1, 1),
                                settings={}, scores=[], sources={}, fingerprint="0" * 64)
    # Out for consultation, so its public reading copy exists too.
    draft = StrategyDraft(partnership=partnership, title=f"{partnership.name} strategy",
                          period_start=2027, period_end=2037, language="en", snapshot=snapshot,
                          status=DraftStatus.CONSULTATION)
    section = StrategySection(key=f"theme:{partnership.themes[0].slug}", kind=SectionKind.THEME,
                              title=partnership.themes[0].name, body="## What you told us\n\nText.",
                              theme=partnership.themes[0])
    draft.sections.append(section)
    db.session.add(draft)
    db.session.flush()
    draft.indicators.append(
        StrategyIndicator(section=section, theme=partnership.themes[0], name="Feel safe",
                          unit="%", baseline=60.0, baseline_year=2025, target=70.0,
                          target_year=2030, lead_organisation=partnership.organisations[0])
    )
    section.comments.append(StrategyComment(body="Please add the police figures.", version_number=1))
    db.session.flush()
    record_version(None, draft, "first")
    db.session.add(StrategyExport(draft=draft, version_number=1, format=ExportFormat.HTML,
                                  language="en", filename="strategy.html",
                                  content=b"<html></html>", size=13))
    db.session.flush()


def strategy_values_for(partnership: Partnership) -> dict[str, str]:
    """URL values for the sweep: the partnership's first priorities and strategy records."""
    from engage.priorities.models import EnteredEvidence, EnteredFigure, PrioritySnapshot
    from engage.strategy.models import (
        StrategyComment,
        StrategyDraft,
        StrategyExport,
        StrategyIndicator,
        StrategySection,
    )

    def first(model: type, *where: object) -> str:
        return str(db.session.scalar(db.select(model.id).where(*where).order_by(model.id)))

    draft_id = first(StrategyDraft, StrategyDraft.partnership_id == partnership.id)
    evidence_id = first(EnteredEvidence, EnteredEvidence.partnership_id == partnership.id)
    section_id = first(StrategySection, StrategySection.draft_id == int(draft_id))
    return {
        "theme_slug": partnership.themes[0].slug,
        "evidence_id": evidence_id,
        "figure_id": first(EnteredFigure, EnteredFigure.evidence_id == int(evidence_id)),
        "snapshot_id": first(PrioritySnapshot, PrioritySnapshot.partnership_id == partnership.id),
        "draft_id": draft_id,
        "section_id": section_id,
        "comment_id": first(StrategyComment, StrategyComment.section_id == int(section_id)),
        "indicator_id": first(StrategyIndicator, StrategyIndicator.draft_id == int(draft_id)),
        "export_id": first(StrategyExport, StrategyExport.draft_id == int(draft_id)),
    }


# ---- partner intelligence and the partner API (engage/intelligence, engage/api) ----

def make_intelligence_records(partnership: Partnership) -> None:
    """A dataset shared with the partnership (owned by the partner officer's organisation),
    an upload waiting to be mapped, a postcode district and an API token."""
    from engage.api.operations import create_token
    from engage.intelligence.mapping import ColumnProfile, DatasetShape, initial_mapping
    from engage.intelligence.models import Dataset, DatasetImport, PostcodeDistrict, Sharing

    organisation = partnership.organisations[0]
    ward = partnership.areas[0].wards()[0]
    dataset = Dataset(partnership=partnership, organisation=organisation, title="Survey",
                      shape=DatasetShape.RESPONDENT, sharing=Sharing.PARTNERSHIP)
    db.session.add(dataset)
    profiles = [ColumnProfile(index=0, name="Ward", distinct={ward.name: 3}, filled=3),
                ColumnProfile(index=1, name="Q1", distinct={"Agree": 2, "Disagree": 1}, filled=3)]
    db.session.add(DatasetImport(
        dataset=dataset, filename="survey.csv", stored_name="", file_format="csv",
        encoding="utf-8", sha256="0" * 64, data_rows=3, profile=[p.to_json() for p in profiles],
        mapping=initial_mapping(DatasetShape.RESPONDENT, profiles).to_json(),
    ))
    db.session.add(PostcodeDistrict(partnership_id=partnership.id, district="HM1", ward=ward))
    db.session.flush()
    create_token(None, partnership, organisation, "Sweep token")


def intelligence_values_for(partnership: Partnership) -> dict[str, str]:
    """URL values for the sweep: the partnership's first intelligence records."""
    from engage.api.models import ApiToken
    from engage.intelligence.models import Dataset, DatasetImport, PostcodeDistrict

    def first(model: type, *where: object) -> str:
        return str(db.session.scalar(db.select(model.id).where(*where).order_by(model.id)))

    dataset_id = first(Dataset, Dataset.partnership_id == partnership.id)
    return {
        "dataset_id": dataset_id,
        "import_id": first(DatasetImport, DatasetImport.dataset_id == int(dataset_id)),
        "district_id": first(PostcodeDistrict, PostcodeDistrict.partnership_id == partnership.id),
        "token_id": first(ApiToken, ApiToken.partnership_id == partnership.id),
        "rest": "anything",
    }


# ---- participatory budgeting (engage/budgeting) ----

def make_budgeting_process(partnership: Partnership, **values: object):  # type: ignore[no-untyped-def]
    """An open approval-within-budget process (£1,000) with three shortlisted projects."""
    from datetime import timedelta

    from engage.budgeting.models import (
        BallotKind,
        BudgetingProcess,
        BudgetProject,
        ProjectStatus,
    )

    now = utcnow()
    fields: dict[str, object] = {
        "partnership": partnership, "area": partnership.areas[0], "title": "Pocket parks",
        "budget_pence": 100_000, "voting_open_at": now - timedelta(days=1),
        "voting_close_at": now + timedelta(days=7), "ballot_kind": BallotKind.APPROVAL_BUDGET,
        "rule": "greedy-cost", "tie_break": "lexicographic", "minimum_age": 16,
        "allows_changes": True,
    }
    fields.update(values)
    process = BudgetingProcess(**fields)
    db.session.add(process)
    for code, title, cost in (("A", "Benches", 40_000), ("B", "Bulbs", 30_000),
                              ("C", "Play area", 70_000)):
        db.session.add(BudgetProject(process=process, code=code, title=title, cost_pence=cost,
                                     status=ProjectStatus.SHORTLISTED))
    db.session.flush()
    return process


def make_voter(partnership: Partnership, email: str | None = None) -> User:
    """A resident of the partnership's first ward with a confirmed email address."""
    user = make_member(partnership, Role.RESIDENT, email)
    user.email_confirmed_at = utcnow()
    db.session.flush()
    return user


def budgeting_values_for(partnership: Partnership) -> dict[str, str]:
    """URL values for the authorisation sweep: the partnership's process and a code batch."""
    from engage.budgeting.models import BudgetingProcess, VoterCode

    process = db.session.scalar(
        db.select(BudgetingProcess).where(BudgetingProcess.partnership_id == partnership.id)
    )
    if process is None:
        process = make_budgeting_process(partnership)
        db.session.add(VoterCode(process_id=process.id, code=f"SWEEP{process.id:07d}", batch=1))
        db.session.flush()
    return {"process_id": str(process.id), "batch": "1", "ballot_id": "1",
            "project_id": str(process.projects[0].id)}


# ---- citizens' panels (engage/panels) ----

PANEL_PROFILE = {
    "sex": {"female": 520, "male": 480},
    "tenure": {"owned": 600, "social_rented": 200, "private_rented": 200},
}


def make_panel(partnership: Partnership, *, pool: int = 60, size: int = 10,
               seed: int = 1):  # type: ignore[no-untyped-def]
    """A panel of `size` over two features (sex, tenure) with a census profile on the
    partnership's district and a pool of `pool` imported volunteers in distinct households."""
    import random

    from engage.panels.models import Panel, PanelMember, Volunteer, VolunteerSource
    from engage.partnerships.models import AreaProfileCount

    district = partnership.areas[0]
    if not district.profile_counts:
        for feature, counts in PANEL_PROFILE.items():
            for category, count in counts.items():
                district.profile_counts.append(
                    AreaProfileCount(feature=feature, category=category, count=count))
    panel = Panel(partnership=partnership, slug=f"panel-{partnership.slug}", name="Citizens' panel",
                  size=size, tolerance=1, features=list(PANEL_PROFILE))
    db.session.add(panel)
    rng = random.Random(seed)
    for index in range(pool):
        panel.volunteers.append(Volunteer(
            reference=f"P{index:04d}", name=f"Volunteer {index}",
            email=f"volunteer{index}@example.org", household_key=f"house-{index}",
            demographics={"sex": rng.choice(["female", "male"]),
                          "tenure": rng.choice(["owned", "owned", "social_rented", "private_rented"])},
            is_special_category_consented=True, source=VolunteerSource.IMPORT))
    db.session.flush()
    _ = PanelMember  # members come from selections
    return panel


def panel_values_for(partnership: Partnership) -> dict[str, str]:
    """URL values for the sweep: the partnership's panel, a quota, a selection and a member."""
    from engage.panels import operations
    from engage.panels.models import Algorithm, Panel

    panel = db.session.scalar(db.select(Panel).where(Panel.partnership_id == partnership.id))
    if panel is None:
        panel = make_panel(partnership)
        operations.set_quotas_from_census(panel, 1, actor_id=None)
        operations.select_members(panel, Algorithm.LEGACY, 1, actor_id=None)
    return {"panel_id": str(panel.id), "quota_id": str(panel.quotas[0].id),
            "selection_id": str(panel.selections[0].id), "member_id": str(panel.members[0].id),
            "volunteer_id": str(panel.volunteers[-1].id)}
