"""Strategy pages: generate, edit, compare, comment, status, indicators and delivery."""

from __future__ import annotations

import re

from engage.extensions import db
from engage.strategy.models import DraftStatus, IndicatorUpdate, StrategyDraft
from tests.conftest import sign_in


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _new_draft(client, county) -> StrategyDraft:
    sign_in(client, "coordinator@example.org")
    response = client.post(
        f"/partnerships/{county.partnership.slug}/strategy/new",
        data={
            "title": "Shire strategy",
            "period_start": "2027",
            "period_end": "2037",
            "language": "en",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return db.session.query(StrategyDraft).one()


def _base(county, draft) -> str:
    return f"/partnerships/{county.partnership.slug}/strategy/{draft.id}"


def test_a_coordinator_generates_a_draft_from_the_current_priorities(client, county) -> None:
    draft = _new_draft(client, county)
    html = _page(client.get(_base(county, draft)))
    assert "Our vision" in html and "Local priorities in District 1" in html
    assert "Action plan" in html and "To write" in html
    index = _page(client.get(f"/partnerships/{county.partnership.slug}/strategy/"))
    assert "Shire strategy" in index


def test_editing_a_section_saves_a_version_and_versions_compare_with_ins_and_del(
    client, county
) -> None:
    draft = _new_draft(client, county)
    vision = draft.sections[0]
    url = f"{_base(county, draft)}/sections/{vision.id}/edit"
    assert "Save as a new version" in _page(client.get(url))
    for body in ("A fair Shire.", "A fair and green Shire."):
        response = client.post(url, data={"title": "Our vision", "body": body, "note": ""})
        assert response.status_code == 302
    db.session.refresh(draft)
    assert [v.number for v in draft.versions] == [1, 2, 3]
    html = _page(client.get(f"{_base(county, draft)}/compare?a=2&b=3"))
    inserted = re.search(r"<ins class=\"engage-ins\">(.*?)</ins>", html, re.S)
    assert inserted is not None
    assert "[added:" in inserted.group(1) and "and green" in inserted.group(1)
    assert "govuk-visually-hidden" in inserted.group(1)
    html = _page(client.get(f"{_base(county, draft)}/compare?a=1&b=3"))
    assert "A fair and green Shire." in html
    assert "Every saved version" in _page(client.get(f"{_base(county, draft)}/versions"))


def test_the_edit_page_shows_a_preview_of_text_that_needs_fixing(client, county) -> None:
    draft = _new_draft(client, county)
    vision = draft.sections[0]
    html = _page(
        client.post(
            f"{_base(county, draft)}/sections/{vision.id}/edit",
            data={"title": "", "body": "## Hello <script>x()</script>", "note": ""},
        )
    )
    assert "Enter a title for the section" in html
    assert "<script>x()" not in html
    assert '<h3 class="govuk-heading-m">Hello </h3>' in html


def test_partners_comment_on_sections_and_coordinators_deal_with_them(client, county, app) -> None:
    draft = _new_draft(client, county)
    section = draft.sections[1]
    officer = app.test_client()
    sign_in(officer, "police@example.org")
    url = f"{_base(county, draft)}/sections/{section.id}"
    assert "Add comment" in _page(officer.get(url))
    response = officer.post(url, data={"body": "Use the district figures"})
    assert response.status_code == 302
    assert "Use the district figures" in _page(officer.get(url))
    db.session.refresh(section)
    comment = section.comments[0]
    assert comment.organisation == county.police
    assert officer.post(f"{_base(county, draft)}/comments/{comment.id}/resolve").status_code == 404
    response = client.post(f"{_base(county, draft)}/comments/{comment.id}/resolve")
    assert response.status_code == 302
    assert "Dealt with" in _page(client.get(url))


def test_councillors_read_drafts_but_may_not_comment(client, county, app) -> None:
    draft = _new_draft(client, county)
    councillor = app.test_client()
    sign_in(councillor, "councillor@example.org")
    url = f"{_base(county, draft)}/sections/{draft.sections[1].id}"
    assert "Add comment" not in _page(councillor.get(url))
    assert councillor.post(url, data={"body": "Hello"}).status_code == 404


def test_going_out_for_consultation_and_adopting(client, county) -> None:
    draft = _new_draft(client, county)
    url = f"{_base(county, draft)}/status"
    assert "Out for consultation" in _page(client.get(url))
    response = client.post(url, data={"status": "consultation"})
    assert response.status_code == 302
    html = _page(client.get(_base(county, draft)))
    assert "out for consultation" in html.lower()
    db.session.refresh(draft)
    assert draft.status == DraftStatus.CONSULTATION
    # Residents (anyone) can now read it.
    reader = client.application.test_client()
    public = _page(reader.get(f"{_base(county, draft)}/read"))
    assert "Shire strategy" in public and 'role="img"' in public
    response = client.post(url, data={"status": "adopted"})
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.status == DraftStatus.ADOPTED
    vision = draft.sections[0]
    assert client.get(f"{_base(county, draft)}/sections/{vision.id}/edit").status_code == 403


def test_a_draft_still_being_written_is_not_public(client, county, app) -> None:
    draft = _new_draft(client, county)
    assert app.test_client().get(f"{_base(county, draft)}/read").status_code == 404


def test_the_lead_partner_reports_and_the_dashboard_shows_rag(client, county, app) -> None:
    draft = _new_draft(client, county)
    (indicator,) = draft.indicators
    url = f"{_base(county, draft)}/indicators/{indicator.id}"
    homes = app.test_client()
    sign_in(homes, "homes@example.org")
    assert "Send a report" not in _page(homes.get(url))
    assert (
        homes.post(url, data={"reported_on": ["1", "3", "2026"], "status": "red"}).status_code
        == 404
    )
    police = app.test_client()
    sign_in(police, "police@example.org")
    response = police.post(
        url,
        data={
            "reported_on": ["31", "3", "2026"],
            "value": "35",
            "status": "amber",
            "commentary": "Patrols up",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    update = db.session.query(IndicatorUpdate).one()
    assert update.organisation == county.police and update.status.value == "amber"
    html = _page(police.get(f"{_base(county, draft)}/delivery"))
    assert "engage-rag--amber" in html and "Green 0, amber 1, red 0" in html


def test_coordinators_add_indicators(client, county) -> None:
    draft = _new_draft(client, county)
    housing = next(s for s in draft.sections if s.key == "theme:housing")
    url = f"{_base(county, draft)}/indicators/new"
    assert "Lead partner" in _page(client.get(f"{url}?section={housing.id}"))
    response = client.post(
        url,
        data={
            "section": str(housing.id),
            "name": "Affordable homes built",
            "unit": "homes",
            "baseline": "350",
            "baseline_year": "2025",
            "target": "600",
            "target_year": "2030",
            "is_higher_better": "yes",
            "lead_organisation": str(county.council.id),
        },
    )
    assert response.status_code == 302
    db.session.refresh(draft)
    added = next(i for i in draft.indicators if i.name == "Affordable homes built")
    assert added.lead_organisation == county.council and added.theme == housing.theme
    html = _page(client.get(f"{_base(county, draft)}/delivery"))
    assert "350 homes" in html and "600 homes (2030)" in html
