"""The register and audit through the app: hand-built cases whose right answers are known."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

from docx import Document
from flask import Flask
from flask.testing import FlaskClient

from engage.audit.models import DuplicateReview, EngagementActivity
from engage.core.time import utcnow
from engage.extensions import db
from tests.audit.conftest import RegisterWorld
from tests.conftest import sign_in

TODAY = utcnow().date()
RECENT = TODAY - timedelta(days=60)


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, email)
    return client


def text_of(html: str) -> str:
    """Visible text with tags removed and whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html: str, start: str, end: str | None = None) -> str:
    tail = html.split(start, 1)[1]
    return tail.split(end, 1)[0] if end else tail


# ---- duplication ------------------------------------------------------------------------------


def plant_duplicates(world: RegisterWorld) -> tuple[EngagementActivity, EngagementActivity]:
    """The police and the council survey Hill about anti-social behaviour at the same time."""
    police = world.activity(
        title="Hill anti-social behaviour survey",
        description="Residents' views on anti-social behaviour and feeling safe in Hill",
        start_date=RECENT, end_date=RECENT + timedelta(days=20), status="closed",
    )
    council = world.activity(
        organisation_id=world.council.id,
        title="Anti-social behaviour in Hill: residents' survey",
        description="We ask Hill residents about anti-social behaviour and feeling safe",
        start_date=RECENT + timedelta(days=5), end_date=RECENT + timedelta(days=25), status="closed",
    )
    # Another theme in another ward: never flagged.
    world.activity(organisation_id=world.council.id, title="Moor bus routes meeting",
                   themes=[world.transport], areas=[world.wards[2]], method="public_meeting",
                   start_date=RECENT, end_date=RECENT)
    db.session.commit()
    return police, council


def test_a_planted_duplicate_pair_is_found_with_its_reasons_on_the_page(app: Flask, world: RegisterWorld) -> None:
    police, council = plant_duplicates(world)
    html = client_for(app, "coordinator@example.org").get("/partnerships/hart/audit/duplicates").get_data(as_text=True)
    waiting = section(html, "Waiting for review", "Reviewed")
    assert text_of(waiting).count("Why they were flagged") == 1
    assert police.title in text_of(waiting) and council.title in text_of(waiting)
    assert f'id="pair-{police.id}-{council.id}"' in waiting
    assert "Moor bus routes meeting" not in html
    reasons = text_of(waiting)
    for sentence in ("Both are about: Safer streets", "Wards both cover (1): Hill",
                     "Both are open to the general public", "They run at the same time",
                     "Both use the same method: Survey"):
        assert sentence in reasons


def test_two_activities_of_the_same_partner_are_never_paired(app: Flask, world: RegisterWorld) -> None:
    first = world.activity(title="Hill anti-social behaviour survey", start_date=RECENT, end_date=RECENT)
    second = world.activity(title="Hill anti-social behaviour survey", start_date=RECENT, end_date=RECENT)
    db.session.commit()
    html = client_for(app, "coordinator@example.org").get("/partnerships/hart/audit/duplicates").get_data(as_text=True)
    assert "Waiting for review (0)" in text_of(html)
    assert f'id="pair-{first.id}-{second.id}"' not in html


def test_marking_a_pair_sticks_and_moves_it_to_the_reviewed_list(app: Flask, world: RegisterWorld) -> None:
    police, council = plant_duplicates(world)
    client = client_for(app, "coordinator@example.org")
    response = client.post("/partnerships/hart/audit/duplicates/review", data={
        "first_id": council.id, "second_id": police.id, "decision": "coordinate",
        "note": "Share one question set", "window": "30", "min_score": "0.6",
    })
    assert response.status_code == 302 and "window=30" in response.headers["Location"]
    html = client.get("/partnerships/hart/audit/duplicates").get_data(as_text=True)
    assert "No possible duplicates are waiting for review." in html
    reviewed = text_of(section(html, "Reviewed ("))
    assert "Decision: Coordinate" in reviewed and "Share one question set" in reviewed
    review = db.session.query(DuplicateReview).one()
    assert (review.first_activity_id, review.second_activity_id) == tuple(sorted((police.id, council.id)))
    # A narrower window no longer flags the pair, but the decision is still shown.
    html = client.get("/partnerships/hart/audit/duplicates?window=0&min_score=0.8").get_data(as_text=True)
    assert police.title in section(html, "Reviewed (")


def test_reviewing_by_htmx_returns_the_pairs_fragment(app: Flask, world: RegisterWorld) -> None:
    police, council = plant_duplicates(world)
    response = client_for(app, "coordinator@example.org").post(
        "/partnerships/hart/audit/duplicates/review",
        data={"first_id": police.id, "second_id": council.id, "decision": "not_duplicate"},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.startswith('<div id="duplicate-pairs">') and "<html" not in html
    assert "Not a duplicate" in section(html, "Reviewed (")


def test_the_duplicate_window_is_configurable(app: Flask, world: RegisterWorld) -> None:
    world.activity(title="Hill anti-social behaviour survey", start_date=RECENT, end_date=RECENT)
    world.activity(organisation_id=world.council.id, title="Hill anti-social behaviour survey",
                   start_date=RECENT + timedelta(days=40), end_date=RECENT + timedelta(days=40))
    db.session.commit()
    client = client_for(app, "coordinator@example.org")
    assert "Days between them: 40" in text_of(client.get("/partnerships/hart/audit/duplicates?window=90").get_data(as_text=True))
    assert "Waiting for review (0)" in text_of(client.get("/partnerships/hart/audit/duplicates?window=30").get_data(as_text=True))


# ---- coverage, gaps, fatigue ------------------------------------------------------------------


def plant_coverage(world: RegisterWorld) -> None:
    # Safety in Hill only, for young people; transport everywhere, for everyone.
    world.activity(title="Hill youth safety", areas=[world.wards[0]], groups=["young_people"],
                   participants=100, start_date=RECENT, end_date=RECENT + timedelta(days=10))
    world.activity(organisation_id=world.council.id, title="Transport plan", themes=[world.transport],
                   areas=[], is_partnership_wide=True, participants=700,
                   start_date=RECENT, end_date=RECENT + timedelta(days=30))
    db.session.commit()


def test_a_planted_gap_is_listed_and_rates_are_per_1000_residents(app: Flask, world: RegisterWorld) -> None:
    plant_coverage(world)
    html = client_for(app, "coordinator@example.org").get("/partnerships/hart/audit/coverage").get_data(as_text=True)
    gaps = text_of(section(html, 'id="ward-gaps"', "</ul>"))
    assert "Vale : Safer streets" in gaps and "Moor : Safer streets" in gaps and "Hill" not in gaps
    group_gaps = text_of(section(html, 'id="group-gaps"', "</ul>"))
    assert "Young people : Transport" in group_gaps
    # 700 transport participants split by population (1,000 / 2,000 / 4,000) is 100 per 1,000
    # residents in every ward; 100 safety participants in Hill (1,000 residents) is 100.0 too.
    rates = section(html, 'id="ward-theme-rates"', "</table>")
    hill_row = section(rates, ">Hill</th>", "</tr>")
    assert re.findall(r">([\d.,]+)<", hill_row) == ["100.0", "100.0"]
    moor_row = section(rates, ">Moor</th>", "</tr>")
    assert "engage-cell--empty" in moor_row


def test_coverage_can_be_narrowed_to_one_district_and_period(app: Flask, world: RegisterWorld) -> None:
    plant_coverage(world)
    world.activity(title="Old survey", start_date=TODAY - timedelta(days=900), end_date=TODAY - timedelta(days=890),
                   areas=[world.wards[1]])
    db.session.commit()
    client = client_for(app, "coordinator@example.org")
    html = client.get(f"/partnerships/hart/audit/coverage?months=12&area={world.district.id}").get_data(as_text=True)
    assert re.search(r"Activities from .* to .*: 2", text_of(html))
    html = client.get("/partnerships/hart/audit/coverage?months=all").get_data(as_text=True)
    assert "Activities, all time: 3" in text_of(html)


def test_fatigue_ranks_the_ward_asked_most(app: Flask, world: RegisterWorld) -> None:
    plant_coverage(world)
    html = client_for(app, "coordinator@example.org").get("/partnerships/hart/audit/coverage").get_data(as_text=True)
    first_row = section(section(html, 'id="fatigue-wards"', "</table>"), "<tbody", "</tr>")
    assert ">Hill</th>" in first_row and ">2<" in first_row


# ---- feedback loop, spend, calendar -----------------------------------------------------------


def test_feedback_rates_per_partner_and_the_overdue_list_are_right(app: Flask, world: RegisterWorld) -> None:
    long_ago = TODAY - timedelta(days=200)
    world.activity(title="Published police survey", status="results_published", outcome_statement="Done",
                   start_date=long_ago, end_date=long_ago, outcome_published_on=long_ago + timedelta(days=30))
    world.activity(title="Forgotten police survey", status="closed", start_date=long_ago, end_date=long_ago)
    world.activity(organisation_id=world.council.id, title="Council meeting", status="results_published",
                   outcome_statement="We listened", start_date=long_ago, end_date=long_ago,
                   outcome_published_on=long_ago + timedelta(days=10))
    world.activity(title="Still open", status="live", start_date=RECENT, end_date=TODAY + timedelta(days=5))
    db.session.commit()
    html = client_for(app, "coordinator@example.org").get("/partnerships/hart/audit/feedback").get_data(as_text=True)
    assert "Closed activities with a published outcome: 2 of 3 (67%)" in text_of(html)
    partners = section(html, 'id="feedback-partners"', "</table>")
    police_row = text_of(section(partners, ">Hart Police</th>", "</tr>"))
    council_row = text_of(section(partners, ">Hart Council</th>", "</tr>"))
    assert police_row.split()[:3] == ["2", "1", "50%"] and police_row.endswith("30 1")
    assert council_row.split()[:3] == ["1", "1", "100%"]
    overdue = text_of(section(html, 'id="overdue-outcomes"', "</table>"))
    assert "Forgotten police survey" in overdue and "110" in overdue  # 200 days since, 90 allowed
    assert "Published police survey" not in overdue
    html = client_for(app, "coordinator@example.org").get("/partnerships/hart/audit/feedback?overdue=365").get_data(as_text=True)
    assert "No outcomes are overdue." in html


def test_spend_and_reach_per_partner_and_method(app: Flask, world: RegisterWorld) -> None:
    world.activity(cost_pence=100_000, participants=400)
    world.activity(cost_pence=50_000, participants=100, method="focus_group")
    world.activity(organisation_id=world.council.id, cost_pence=30_000, participants=0)
    db.session.commit()
    html = client_for(app, "coordinator@example.org").get("/partnerships/hart/audit/spend").get_data(as_text=True)
    police = text_of(section(section(html, 'id="spend-partners"', "</table>"), ">Hart Police</th>", "</tr>"))
    assert police == "2 £1,500.00 500 £3.00"
    council = text_of(section(section(html, 'id="spend-partners"', "</table>"), ">Hart Council</th>", "</tr>"))
    assert council == "1 £300.00 0 –"
    methods = section(html, 'id="spend-methods"', "</table>")
    assert text_of(section(methods, ">Focus group</th>", "</tr>")) == "1 £500.00 100 £5.00"


def test_the_calendar_highlights_a_clash_in_the_same_ward_and_theme(app: Flask, world: RegisterWorld) -> None:
    year = RECENT.year
    start = RECENT.replace(day=1)
    world.activity(title="Police walkabout", start_date=start, end_date=start + timedelta(days=10))
    world.activity(organisation_id=world.council.id, title="Council street audit", start_date=start + timedelta(days=3),
                   end_date=start + timedelta(days=6))
    world.activity(title="Moor transport survey", themes=[world.transport], areas=[world.wards[2]],
                   start_date=start, end_date=start + timedelta(days=10))
    db.session.commit()
    html = client_for(app, "coordinator@example.org").get(f"/partnerships/hart/audit/calendar?year={year}").get_data(as_text=True)
    clashes = text_of(section(html, 'id="clashes"', "</table>"))
    assert "Police walkabout" in clashes and "Council street audit" in clashes and "Hill" in clashes
    assert "Moor transport survey" not in clashes
    month = section(html, f'id="month-{start.month}"', "</ul>")
    assert month.count('class="engage-clash"') == 2
    assert "<svg" in html and 'id="calendar-table"' in html  # chart with its table alternative


# ---- self-assessment and the report -----------------------------------------------------------


def test_a_rating_is_saved_and_shown_in_the_history_table_and_chart(app: Flask, world: RegisterWorld) -> None:
    client = client_for(app, "coordinator@example.org")
    day = TODAY - timedelta(days=3)
    for rating in ("red", "green"):
        response = client.post("/partnerships/hart/audit/self-assessment", data={
            "dimension": "delivery", "rating": rating, "evidence": f"Evidence {rating}",
            "assessed_on": [str(day.day), str(day.month), str(day.year)],
        })
        assert response.status_code == 302
        day = TODAY
    html = client.get("/partnerships/hart/audit/self-assessment").get_data(as_text=True)
    summary = text_of(section(section(html, 'id="rag-summary"', "</table>"), ">Delivery</th>", "</tr>"))
    assert summary.startswith("Green") and "Improving" in summary and "Evidence green" in summary
    history = text_of(section(section(html, 'id="rag-history"', "</table>"), ">Delivery</th>", "</tr>"))
    assert history == "Red Green"
    assert 'class="engage-rag-cell engage-rag-cell--red"' in html


def test_a_rating_without_evidence_shows_a_govuk_error(app: Flask, world: RegisterWorld) -> None:
    response = client_for(app, "coordinator@example.org").post("/partnerships/hart/audit/self-assessment", data={
        "dimension": "delivery", "rating": "red", "evidence": "", "assessed_on": ["1", "1", "2025"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Enter the evidence for this rating" in html


def test_the_strategy_report_is_one_printable_page_and_a_word_document(app: Flask, world: RegisterWorld) -> None:
    plant_duplicates(world)
    client = client_for(app, "coordinator@example.org")
    html = client.get("/partnerships/hart/audit/report").get_data(as_text=True)
    for heading in ("Possible duplication", "Coverage and gaps", "Feedback loop", "Spend and reach", "Self-assessment"):
        assert f'<h2 class="govuk-heading-l">{heading}</h2>' in html
    assert "Hill anti-social behaviour survey" in html
    response = client.get("/partnerships/hart/audit/report.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(response.data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Summary", "Possible duplication", "Coverage and gaps"]
    assert len(document.tables) >= 6
    assert document.tables[0].rows[1].cells[0].text == "Activities in the register"
    assert "Hill anti-social behaviour survey (Hart Police)" in {
        c.text for t in document.tables for r in t.rows for c in r.cells}


# ---- the register table -----------------------------------------------------------------------


def test_filters_work_without_javascript_and_as_an_htmx_fragment(app: Flask, world: RegisterWorld) -> None:
    world.activity(title="Safety survey")
    world.activity(title="Transport survey", themes=[world.transport], organisation_id=world.council.id)
    db.session.commit()
    client = client_for(app, "coordinator@example.org")
    page = client.get(f"/partnerships/hart/register?theme={world.transport.id}")
    html = page.get_data(as_text=True)
    assert "<html" in html and "Transport survey" in html and "Safety survey" not in html
    fragment = client.get(f"/partnerships/hart/register?organisation={world.police.id}", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    body = fragment.get_data(as_text=True)
    assert body.startswith('<div id="register-results"') and "Safety survey" in body and "Transport survey" not in body
    assert "export.csv?organisation=" in body  # the export keeps the filters


def test_bad_filter_values_are_reported_and_ignored(app: Flask, world: RegisterWorld) -> None:
    world.activity(title="Safety survey")
    db.session.commit()
    response = client_for(app, "coordinator@example.org").get(
        "/partnerships/hart/register?ward=abc&date_from=31&date_from=2&date_from=2025&status=nonsense")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html and "Safety survey" in html


def test_ward_filter_includes_district_and_partnership_wide_activities(app: Flask, world: RegisterWorld) -> None:
    world.activity(title="In Hill")
    world.activity(title="In Moor", areas=[world.wards[2]])
    world.activity(title="District wide", areas=[world.district])
    world.activity(title="Everywhere", areas=[], is_partnership_wide=True)
    db.session.commit()
    html = client_for(app, "coordinator@example.org").get(
        f"/partnerships/hart/register?ward={world.wards[0].id}").get_data(as_text=True)
    assert "In Hill" in html and "District wide" in html and "Everywhere" in html and "In Moor" not in html


def test_the_register_is_paged(app: Flask, world: RegisterWorld) -> None:
    for n in range(55):
        world.activity(title=f"Activity {n:02d}", start_date=RECENT - timedelta(days=n), end_date=RECENT)
    db.session.commit()
    client = client_for(app, "coordinator@example.org")
    first = text_of(client.get("/partnerships/hart/register").get_data(as_text=True))
    assert "Activities 1 to 50 of 55" in first and "Activity 00" in first and "Activity 54" not in first
    second = text_of(client.get("/partnerships/hart/register?page=2").get_data(as_text=True))
    assert "Activities 51 to 55 of 55" in second and "Activity 54" in second


def test_an_officer_adds_an_activity_for_their_own_organisation(app: Flask, world: RegisterWorld) -> None:
    client = client_for(app, "police@example.org")
    form = {
        "organisation_id": str(world.police.id), "title": "Hill street survey", "method": "survey",
        "theme_ids": [str(world.safety.id)], "area_ids": [str(world.wards[0].id)],
        "start_date": ["1", "3", "2025"], "end_date": ["31", "3", "2025"], "participants": "40",
        "cost": "£1,200.50", "status": "planned", "outcome_published_on": ["", "", ""],
        "is_shared_with_partners": "y",
    }
    response = client.post("/partnerships/hart/register/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    stored = db.session.query(EngagementActivity).filter_by(title="Hill street survey").one()
    assert (stored.organisation_id, stored.cost_pence, stored.created_by_id) == (world.police.id, 120050, world.police_officer.id)
    # The council is not theirs to choose.
    response = client.post("/partnerships/hart/register/new", data={**form, "organisation_id": str(world.council.id)})
    assert response.status_code == 200 and "Choose a partner organisation from the list" in response.get_data(as_text=True)


def test_an_invalid_activity_form_shows_errors_against_its_fields(app: Flask, world: RegisterWorld) -> None:
    response = client_for(app, "coordinator@example.org").post("/partnerships/hart/register/new", data={
        "organisation_id": str(world.police.id), "title": "Bad dates", "method": "survey",
        "theme_ids": [str(world.safety.id)], "is_partnership_wide": "y",
        "start_date": ["31", "3", "2025"], "end_date": ["1", "3", "2025"], "status": "planned",
        "outcome_published_on": ["", "", ""],
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "End date must be the same as or after the start date" in html


# ---- permissions ------------------------------------------------------------------------------


def test_a_partner_officer_cannot_edit_another_organisations_activity(app: Flask, world: RegisterWorld) -> None:
    councils = world.activity(organisation_id=world.council.id, title="Council survey", cost_pence=99_900,
                              is_shared_with_partners=False, outcome_statement="Secret findings",
                              status="closed")
    own = world.activity(title="Police survey")
    db.session.commit()
    client = client_for(app, "police@example.org")
    assert client.get(f"/partnerships/hart/register/{councils.id}/edit").status_code == 404
    response = client.post(f"/partnerships/hart/register/{councils.id}/edit", data={"title": "Hijacked"})
    assert response.status_code == 404
    assert client.post(f"/partnerships/hart/register/{councils.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(EngagementActivity, councils.id).title == "Council survey"
    # They can read it (to avoid duplicating it), without its cost or unshared results.
    html = client.get(f"/partnerships/hart/register/{councils.id}").get_data(as_text=True)
    assert "Council survey" in html and "£999.00" not in html and "Secret findings" not in html
    assert "Change this activity" not in html
    assert client.get(f"/partnerships/hart/register/{own.id}/edit").status_code == 200


def test_a_councillor_sees_only_activities_touching_their_wards(app: Flask, world: RegisterWorld) -> None:
    hill = world.activity(title="Hill survey", participants=3)
    world.activity(title="District consultation", areas=[world.district], participants=500)
    moor = world.activity(title="Moor survey", areas=[world.wards[2]])
    db.session.commit()
    client = client_for(app, "councillor@example.org")
    html = client.get("/partnerships/hart/register/my-wards").get_data(as_text=True)
    assert "Hill survey" in html and "District consultation" in html and "Moor survey" not in html
    assert "Elsewhere secret survey" not in html
    assert "&lt;5" in html and ">500<" in html  # small counts suppressed
    assert client.get(f"/partnerships/hart/register/{hill.id}").status_code == 200
    assert client.get(f"/partnerships/hart/register/{moor.id}").status_code == 404
    assert client.get("/partnerships/hart/register").status_code == 404
    assert client.get(f"/partnerships/hart/register/{hill.id}/edit").status_code == 404


def test_a_councillor_filters_their_list_to_one_ward_and_downloads_it(app: Flask, world: RegisterWorld) -> None:
    vale = world.wards[1]
    membership = world.councillor.memberships[0]
    membership.wards = [world.wards[0], vale]
    world.activity(title="Hill survey", participants=3, cost_pence=99_900)
    world.activity(title="Vale survey", areas=[vale], participants=40)
    world.activity(title="Moor survey", areas=[world.wards[2]])
    db.session.commit()
    client = client_for(app, "councillor@example.org")
    page = "/partnerships/hart/register/my-wards"
    html = client.get(page).get_data(as_text=True)
    assert "Hill survey" in html and "Vale survey" in html and "Moor survey" not in html
    html = client.get(f"{page}?ward={vale.id}").get_data(as_text=True)
    assert "Vale survey" in html and "Hill survey" not in html
    assert f"my-wards/export.csv?ward={vale.id}" in html
    # A ward that is not theirs is ignored: the list stays theirs.
    html = client.get(f"{page}?ward={world.wards[2].id}").get_data(as_text=True)
    assert "Moor survey" not in html and "Hill survey" in html

    everything = client.get(f"{page}/export.csv")
    assert everything.status_code == 200 and everything.mimetype == "text/csv"
    assert "attachment" in everything.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(everything.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["title"] for r in rows} == {"Hill survey", "Vale survey"}
    hill = next(r for r in rows if r["title"] == "Hill survey")
    assert hill["participants"] == "" and hill["cost"] == ""  # small count, restricted cost
    one = client.get(f"{page}/export.csv?ward={vale.id}").get_data(as_text=True)
    assert "Vale survey" in one and "Hill survey" not in one
    assert client.get(f"{page}/export.xlsx").status_code == 200
    assert client.get(f"{page}/export.pdf").status_code == 404
    assert client_for(app, "police@example.org").get(f"{page}/export.csv").status_code == 404


def test_a_councillor_in_a_district_sees_county_wide_activities_on_their_wards(app: Flask, world: RegisterWorld) -> None:
    world.other.parent = world.partnership  # "elsewhere" becomes a child of "hart"
    from tests.factories import MembershipFactory, UserFactory
    councillor = UserFactory(email="district.cllr@example.org")
    membership = MembershipFactory(user=councillor, partnership=world.other, role="councillor")
    membership.wards = [world.other.areas[0].wards()[0]]
    county = world.activity(title="County-wide survey", areas=[], is_partnership_wide=True)
    world.other.areas[0].parent = world.district  # the child's district sits inside the county
    db.session.commit()
    html = client_for(app, "district.cllr@example.org").get("/partnerships/elsewhere/register/my-wards").get_data(as_text=True)
    assert "Elsewhere secret survey" in html  # its own partnership's, partnership-wide
    assert county.title in html


def test_another_partnerships_activity_is_not_found_through_our_address(app: Flask, world: RegisterWorld) -> None:
    theirs = db.session.query(EngagementActivity).filter_by(title="Elsewhere secret survey").one()
    for email in ("coordinator@example.org", "police@example.org", "councillor@example.org"):
        client = client_for(app, email)
        assert client.get(f"/partnerships/hart/register/{theirs.id}").status_code == 404
        assert client.get(f"/partnerships/hart/register/{theirs.id}/edit").status_code == 404
        assert client.get("/partnerships/elsewhere/register").status_code == 404


def test_partner_officers_cannot_open_the_audit(app: Flask, world: RegisterWorld) -> None:
    client = client_for(app, "police@example.org")
    for page in ("", "/duplicates", "/coverage", "/calendar", "/feedback", "/spend", "/self-assessment", "/report"):
        assert client.get(f"/partnerships/hart/audit{page}").status_code == 404


def test_pages_render_in_welsh(app: Flask, world: RegisterWorld) -> None:
    plant_coverage(world)
    client = client_for(app, "coordinator@example.org")
    client.get("/language/cy")
    html = client.get("/partnerships/hart/audit/coverage").get_data(as_text=True)
    assert 'lang="cy"' in html and "Strydoedd diogel" in html
    assert client.get("/partnerships/hart/audit/report.docx").status_code == 200


def test_an_officer_changes_and_deletes_their_own_activity(app: Flask, world: RegisterWorld) -> None:
    activity = world.activity(title="Old title", groups=["carers"], cost_pence=5000)
    db.session.commit()
    client = client_for(app, "police@example.org")
    page = client.get(f"/partnerships/hart/register/{activity.id}/edit").get_data(as_text=True)
    assert 'value="Old title"' in page and 'value="50.00"' in page
    response = client.post(f"/partnerships/hart/register/{activity.id}/edit", data={
        "organisation_id": str(world.police.id), "title": "New title", "method": "workshop",
        "theme_ids": [str(world.transport.id)], "area_ids": [str(world.wards[1].id), str(world.wards[2].id)],
        "target_groups": ["young_people"], "start_date": ["1", "4", "2025"], "end_date": ["2", "4", "2025"],
        "participants": "12", "cost": "", "status": "results_published",
        "outcome_statement": "We added a bus", "outcome_published_on": ["", "", ""],
    })
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(EngagementActivity, activity.id)
    assert (changed.title, changed.method.value, changed.target_groups, changed.cost_pence) == (
        "New title", "workshop", ["young_people"], 0)
    assert sorted(a.name for a in changed.areas) == ["Moor", "Vale"]
    assert changed.outcome_published_on == TODAY and changed.is_shared_with_partners is False
    activity_id = activity.id
    assert client.post(f"/partnerships/hart/register/{activity_id}/delete").status_code == 302
    db.session.expunge_all()
    assert db.session.get(EngagementActivity, activity_id) is None


def test_a_source_managed_activity_is_read_only_in_the_register(app: Flask, world: RegisterWorld) -> None:
    activity = world.activity(title="Budget consultation", source_type="consultation", source_id=3)
    db.session.commit()
    client = client_for(app, "coordinator@example.org")
    html = client.get(f"/partnerships/hart/register/{activity.id}").get_data(as_text=True)
    assert "kept up to date from Engage itself" in html and "Change this activity" not in html
    assert client.get(f"/partnerships/hart/register/{activity.id}/edit").status_code == 404


def test_small_counts_of_other_partners_are_suppressed_for_officers(app: Flask, world: RegisterWorld) -> None:
    council = world.activity(organisation_id=world.council.id, title="Council focus group", participants=3)
    own = world.activity(title="Police focus group", participants=4)
    db.session.commit()
    officer = client_for(app, "police@example.org")
    table = officer.get("/partnerships/hart/register").get_data(as_text=True)
    council_row = section(table, "Council focus group", "</tr>")
    assert "&lt;5" in council_row and ">3<" not in council_row
    assert ">4<" in section(table, "Police focus group", "</tr>")
    assert "Fewer than 5" in officer.get(f"/partnerships/hart/register/{council.id}").get_data(as_text=True)
    coordinator_table = client_for(app, "coordinator@example.org").get("/partnerships/hart/register").get_data(as_text=True)
    assert ">3<" in section(coordinator_table, "Council focus group", "</tr>")
    assert own.participants == 4


def test_method_target_group_status_and_date_filters_each_narrow_the_register(
    app: Flask, world: RegisterWorld
) -> None:
    from datetime import date

    world.activity(title="Spring youth survey", groups=["young_people"], status="closed",
                   start_date=date(2025, 3, 1), end_date=date(2025, 3, 31))
    world.activity(title="Autumn meeting", method="public_meeting", status="live",
                   start_date=date(2025, 10, 1), end_date=date(2025, 10, 2))
    db.session.commit()
    client = client_for(app, "coordinator@example.org")

    def titles(query: str) -> set[str]:
        html = client.get(f"/partnerships/hart/register?{query}").get_data(as_text=True)
        assert "There is a problem" not in html
        return {t for t in ("Spring youth survey", "Autumn meeting") if t in html}

    assert titles("") == {"Spring youth survey", "Autumn meeting"}
    assert titles("method=public_meeting") == {"Autumn meeting"}
    assert titles("target_group=young_people") == {"Spring youth survey"}
    assert titles("status=closed") == {"Spring youth survey"}
    assert titles("date_from=1&date_from=9&date_from=2025") == {"Autumn meeting"}
    assert titles("date_to=30&date_to=4&date_to=2025") == {"Spring youth survey"}
    assert titles("date_from=1&date_from=4&date_from=2025&date_to=30&date_to=9&date_to=2025") == set()


def test_a_coordinator_edits_any_partners_activity(app: Flask, world: RegisterWorld) -> None:
    police = world.activity(title="Police survey")
    db.session.commit()
    client = client_for(app, "coordinator@example.org")
    form = {
        "organisation_id": str(world.police.id), "title": "Police survey (renamed)", "method": "survey",
        "theme_ids": [str(world.safety.id)], "area_ids": [str(world.wards[1].id)],
        "start_date": ["1", "3", "2025"], "end_date": ["31", "3", "2025"], "participants": "40",
        "cost": "", "status": "closed", "outcome_published_on": ["", "", ""],
        "is_shared_with_partners": "y",
    }
    response = client.post(f"/partnerships/hart/register/{police.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    changed = db.session.get(EngagementActivity, police.id)
    assert (changed.title, changed.organisation_id, changed.updated_by_id) == (
        "Police survey (renamed)", world.police.id, world.coordinator.id)
    assert [a.id for a in changed.areas] == [world.wards[1].id]
