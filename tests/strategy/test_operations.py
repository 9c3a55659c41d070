"""Strategy drafts: generated from priorities, edited as versions, commented, delivered."""

from __future__ import annotations

from datetime import date

import pytest

from engage.core.errors import EngageError
from engage.extensions import db
from engage.priorities.pipeline import compute_priorities
from engage.strategy import operations
from engage.strategy.diff import Change, compare_texts
from engage.strategy.models import DraftStatus, Rag, SectionKind, StrategyDraft


def _draft(county, **values) -> StrategyDraft:
    picture = compute_priorities(county.partnership)
    return operations.create_draft(
        county.users["coordinator"],
        picture,
        title=values.get("title", "Shire strategy 2027–2037"),
        period_start=values.get("period_start", 2027),
        period_end=values.get("period_end", 2037),
        language=values.get("language", "en"),
        threshold=5,
    )


def test_a_new_draft_has_a_vision_a_chapter_per_priority_districts_and_an_action_plan(
    county,
) -> None:
    draft = _draft(county)
    keys = [s.key for s in draft.sections]
    # Housing 0.375 > safer communities 0.4 combined with police concern... ranked by score.
    picture = compute_priorities(county.partnership)
    ranked = [r.theme_id for r in picture.ranked(picture.root_id)]
    assert keys == (
        ["vision"]
        + [f"theme:{slug}" for slug in ranked]
        + ["district:E07000001", "district:E07000002", "action-plan"]
    )
    assert draft.sections[0].kind == SectionKind.VISION and draft.sections[0].body == ""
    assert [v.number for v in draft.versions] == [1]
    assert draft.snapshot is not None and draft.snapshot.scores
    assert draft.status == DraftStatus.DRAFT


def test_a_theme_chapter_says_what_residents_told_us_with_evidence_and_quotes(county) -> None:
    draft = _draft(county)
    chapter = next(s for s in draft.sections if s.key == "theme:safer-communities")
    assert chapter.body.startswith("## What you told us")
    assert "Shire residents' survey 2025" in chapter.body
    assert "of 1,000 people" in chapter.body
    assert "> “Nobody walks home after dark.”" in chapter.body
    assert "## The outcomes we seek" in chapter.body
    assert "It matters clearly more than average in:" in chapter.body
    assert "District 2" in chapter.body


def test_a_figure_from_fewer_people_than_the_threshold_is_never_written_into_a_draft(
    county,
) -> None:
    draft = _draft(county)
    transport = next(s for s in draft.sections if s.key == "theme:transport")
    assert "Tiny focus group" in transport.body
    assert "too few people to publish" in transport.body
    assert "of 4 people" not in transport.body


def test_a_district_section_describes_its_distinctive_priorities(county) -> None:
    draft = _draft(county)
    district = next(s for s in draft.sections if s.key == "district:E07000002")
    assert district.title == "Local priorities in District 2"
    assert "clearly more priority to:" in district.body
    assert "Safer communities" in district.body


def test_partners_outcome_data_become_indicators_led_by_them(county) -> None:
    draft = _draft(county)
    (indicator,) = draft.indicators
    assert indicator.name == "Shire Police confidence survey: unsafe after dark (share concerned)"
    assert indicator.lead_organisation == county.police
    assert indicator.baseline == pytest.approx(37.0)  # districts of equal population
    assert indicator.baseline_year == 2025 and not indicator.is_higher_better
    assert indicator.section.key == "theme:safer-communities"


def test_a_draft_can_be_written_in_welsh(county) -> None:
    draft = _draft(county, language="cy")
    assert draft.language == "cy"
    assert draft.sections[0].title  # translated when the catalogue has it


def test_every_save_is_a_new_version_and_versions_compare(county) -> None:
    draft = _draft(county)
    vision = draft.sections[0]
    coordinator = county.users["coordinator"]
    operations.save_section(
        coordinator.id, vision, title="Our vision", body="A safe and fair Shire.", note="first go"
    )
    operations.save_section(
        coordinator.id, vision, title="Our vision", body="A safe, green and fair Shire."
    )
    assert [v.number for v in draft.versions] == [1, 2, 3]
    second, third = draft.versions[1], draft.versions[2]
    assert second.note == "first go"
    old = second.content["sections"][0]["body"]
    new = third.content["sections"][0]["body"]
    diff = compare_texts(old, new)
    assert [s.text for s in diff.new if s.change is Change.INSERTED] == [", green"]
    assert draft.versions[0].content["sections"][0]["body"] == ""


def test_an_indicator_change_is_a_version_too(county) -> None:
    draft = _draft(county)
    chapter = next(s for s in draft.sections if s.key == "theme:housing")
    operations.save_indicator(
        county.users["coordinator"].id,
        draft,
        section=chapter,
        name="Homes built",
        unit=" homes",
        baseline=400,
        baseline_year=2025,
        target=600,
        target_year=2030,
        is_higher_better=True,
        lead_organisation=county.council,
    )
    latest = draft.versions[-1].content
    housing = next(s for s in latest["sections"] if s["key"] == "theme:housing")
    assert housing["indicators"] == [
        "Homes built · 400 homes (2025) → 600 homes (2030) · Shire Council"
    ]


def test_partners_comment_and_coordinators_mark_comments_dealt_with(county) -> None:
    draft = _draft(county)
    chapter = draft.sections[1]
    comment = operations.add_comment(
        county.users["police"], chapter, "Add the night-time figures", county.police
    )
    assert comment.version_number == 1 and comment.organisation == county.police
    operations.resolve_comment(county.users["coordinator"].id, comment)
    assert comment.resolved_at is not None
    with pytest.raises(EngageError):
        operations.add_comment(county.users["police"], chapter, "  ", county.police)


def test_status_moves_from_draft_to_consultation_to_adopted(county) -> None:
    draft = _draft(county)
    coordinator = county.users["coordinator"]
    with pytest.raises(EngageError):
        operations.change_status(coordinator, draft, DraftStatus.ADOPTED)
    operations.change_status(coordinator, draft, DraftStatus.CONSULTATION)
    assert draft.status == DraftStatus.CONSULTATION
    operations.change_status(coordinator, draft, DraftStatus.ADOPTED)
    assert draft.status == DraftStatus.ADOPTED and draft.adopted_on is not None
    with pytest.raises(EngageError):
        operations.save_section(coordinator.id, draft.sections[0], title="x", body="y")
    with pytest.raises(EngageError):
        operations.change_status(coordinator, draft, DraftStatus.DRAFT)


def test_going_out_for_consultation_opens_a_consultation_on_the_draft(county) -> None:
    from engage.strategy.consultation_link import consultation_id, consultations_available

    assert consultations_available()
    from engage.consultations.models import Consultation, ConsultationStatus

    draft = _draft(county)
    reference = operations.change_status(
        county.users["coordinator"], draft, DraftStatus.CONSULTATION
    )
    consultation = db.session.get(Consultation, consultation_id(reference))
    assert consultation is not None and draft.consultation_ref == reference
    assert consultation.status == ConsultationStatus.OPEN
    assert consultation.organisation.name == "Shire Council"  # first public-sector partner
    kinds = [q.kind for q in consultation.questions]
    assert kinds.count("agree_scale") == 3 and kinds[-1] == "free_text"
    assert consultation.title_cy


def test_lead_partners_report_red_amber_green(county) -> None:
    draft = _draft(county)
    (indicator,) = draft.indicators
    update = operations.record_update(
        county.users["police"],
        indicator,
        reported_on=date(2026, 3, 31),
        value=28.0,
        status=Rag.AMBER,
        commentary="Lighting delayed",
        organisation=county.police,
    )
    assert indicator.latest_update is update
    with pytest.raises(EngageError):
        operations.record_update(
            county.users["police"],
            indicator,
            reported_on=date(2999, 1, 1),
            value=None,
            status=Rag.GREEN,
            commentary=None,
            organisation=county.police,
        )


@pytest.mark.parametrize(("start", "end"), [(2027, 2027), (2027, 2070), (1990, 2000)])
def test_the_period_must_make_sense(county, start: int, end: int) -> None:
    with pytest.raises(EngageError):
        _draft(county, period_start=start, period_end=end)


def test_comments_and_reports_are_in_download_my_data_and_unlinked_on_erasure(county) -> None:
    from engage.core.personal_data import erase_personal_data, export_personal_data

    draft = _draft(county)
    police = county.users["police"]
    comment = operations.add_comment(police, draft.sections[1], "A comment", county.police)
    data = export_personal_data(police)["strategy"]
    assert data["comments"][0]["comment"] == "A comment"
    erase_personal_data(police)
    assert comment.author_id is None


def test_a_partnership_without_evidence_still_gets_a_draft_that_exports(app) -> None:
    import io

    import docx

    from engage.accounts.models import Role
    from engage.strategy.exports import export_draft
    from engage.strategy.models import ExportFormat
    from tests.factories import make_member, make_partnership

    partnership = make_partnership("empty")
    coordinator = make_member(partnership, Role.COORDINATOR)
    draft = operations.create_draft(
        coordinator,
        compute_priorities(partnership),
        title="Empty strategy",
        period_start=2027,
        period_end=2030,
        language="en",
        threshold=5,
    )
    assert [s.key for s in draft.sections] == ["vision", "action-plan"]
    with app.test_request_context():
        export = export_draft(draft, ExportFormat.DOCX, "en", None)
    headings = [
        p.text
        for p in docx.Document(io.BytesIO(export.content)).paragraphs
        if p.style.name.startswith("Heading")
    ]
    assert headings == ["Empty strategy", "Contents", "Our vision", "Action plan"]
