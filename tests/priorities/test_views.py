"""Priorities pages: ranking with intervals, distinctiveness, evidence, settings, entered evidence."""

from __future__ import annotations

import io
import re

import pytest

from engage.extensions import db
from engage.priorities.aggregate import SourceKind
from engage.priorities.models import EnteredEvidence, PrioritySnapshot, SourceWeight
from tests.conftest import sign_in
from tests.priorities.conftest import item

PANEL, CONSULTATION = SourceKind.PANEL_SURVEY, SourceKind.CONSULTATION


def _today_items(small):
    from engage.priorities.pipeline import today

    when = today()
    w1, w2 = small.w1.gss_code, small.w2.gss_code
    return [
        item("testpanel:1", PANEL, 0.6, 300, theme=small.theme, area=w1, when=when),
        item("testpanel:1", PANEL, 0.2, 300, theme=small.theme, area=w2, when=when),
        item("testpanel:1", PANEL, 0.3, 200, theme=small.other_theme, area=w1, when=when),
        item("testpanel:1", PANEL, 0.3, 200, theme=small.other_theme, area=w2, when=when),
        # Three people: below the disclosure threshold of 5.
        item("testconsult:9", CONSULTATION, 1.0, 3, theme=small.theme, area=w1, when=when),
    ]


@pytest.fixture
def evidence(small, add_source):
    add_source("testpanel", [i for i in _today_items(small) if i.source_id.startswith("testpanel")])
    add_source(
        "testconsult", [i for i in _today_items(small) if i.source_id.startswith("testconsult")]
    )
    return small


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_overview_ranks_themes_with_an_interval_chart_and_a_table(client, evidence) -> None:
    sign_in(client, "coordinator@example.org")
    html = _page(client.get(f"/partnerships/{evidence.partnership.slug}/priorities"))
    assert 'role="img"' in html and '<title id="ranking-chart-title">' in html
    table = html[html.index('id="ranking-table"') :]
    themes = re.findall(r"themes/([\w-]+)\?area=", table)
    assert themes[:2] == [evidence.theme, "housing"]  # 0.3 vs 0.35: theme first
    assert "Local distinctiveness" in html
    assert f"/priorities/areas/{evidence.w1.gss_code}" in html


def test_a_ward_shows_how_it_differs_from_its_district(client, evidence) -> None:
    sign_in(client, "coordinator@example.org")
    html = _page(
        client.get(
            f"/partnerships/{evidence.partnership.slug}/priorities/areas/{evidence.w1.gss_code}"
        )
    )
    assert "What is distinctive here" in html
    assert "Higher than the wider area" in html  # 0.6 in W1 against 0.3 overall


def test_each_scores_evidence_is_one_click_away(client, evidence) -> None:
    sign_in(client, "coordinator@example.org")
    html = _page(
        client.get(f"/partnerships/{evidence.partnership.slug}/priorities/themes/{evidence.theme}")
    )
    assert html.count("Title of testpanel:1") >= 2  # the source row and its items
    assert "Title of testconsult:9" in html
    # W1 counts 1,000/4,000 of the panel's part: each item's share of the score is listed.
    assert "Part of the score" in html
    assert ">3<" in html  # coordinators see small counts


def test_partners_do_not_see_counts_under_the_threshold(client, evidence) -> None:
    sign_in(client, "partner_officer@example.org")
    slug = evidence.partnership.slug
    html = _page(client.get(f"/partnerships/{slug}/priorities/themes/{evidence.theme}"))
    assert ">3<" not in html
    assert "*" in html
    csv = client.get(f"/partnerships/{slug}/priorities/scores.csv").get_data(as_text=True)
    assert evidence.theme in csv
    # The partner officer may not see ward priorities: only the district rows are in the CSV.
    assert evidence.w1.gss_code not in csv


def test_a_score_on_fewer_people_than_the_threshold_is_withheld(client, small, add_source) -> None:
    from engage.priorities.pipeline import today

    add_source(
        "testconsult",
        [
            item(
                "testconsult:9",
                CONSULTATION,
                1.0,
                3,
                theme=small.theme,
                area=small.w1.gss_code,
                when=today(),
            )
        ],
    )
    sign_in(client, "partner_officer@example.org")
    html = _page(client.get(f"/partnerships/{small.partnership.slug}/priorities"))
    assert "Not shown: fewer than 5 people" in html
    assert "100%" not in html.split('id="ranking-table"')[1].split("</table>")[0]


def test_htmx_gets_the_ranking_fragment(client, evidence) -> None:
    sign_in(client, "coordinator@example.org")
    response = client.get(
        f"/partnerships/{evidence.partnership.slug}/priorities", headers={"HX-Request": "true"}
    )
    html = _page(response)
    assert html.lstrip().startswith('<div id="ranking">')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_coordinators_change_source_weights(client, evidence) -> None:
    sign_in(client, "coordinator@example.org")
    slug = evidence.partnership.slug
    assert "Why the default" in _page(client.get(f"/partnerships/{slug}/priorities/settings"))
    response = client.post(
        f"/partnerships/{slug}/priorities/settings",
        data={
            "weight_panel_survey": "1",
            "weight_partner_dataset": "0.8",
            "weight_consultation": "0.25",
            "weight_budgeting": "0.5",
            "half_life_days": "365",
        },
    )
    assert response.status_code == 302
    weights = {w.key: w.weight for w in db.session.query(SourceWeight)}
    assert weights["consultation"] == 0.25 and weights["partner_dataset"] == 0.8
    response = client.post(
        f"/partnerships/{slug}/priorities/settings/source",
        data={"source_id": "testpanel:1", "weight": "0.9"},
    )
    assert response.status_code == 302
    assert db.session.query(SourceWeight).filter_by(key="testpanel:1").one().weight == 0.9


def test_an_invalid_weight_is_explained(client, evidence) -> None:
    sign_in(client, "coordinator@example.org")
    html = _page(
        client.post(
            f"/partnerships/{evidence.partnership.slug}/priorities/settings",
            data={
                "weight_panel_survey": "2",
                "weight_partner_dataset": "0.8",
                "weight_consultation": "0.25",
                "weight_budgeting": "0.5",
            },
        )
    )
    assert "There is a problem" in html and "Enter a weight from 0 to 1" in html


def test_coordinators_enter_evidence_by_hand_and_it_counts(client, small) -> None:
    sign_in(client, "coordinator@example.org")
    slug = small.partnership.slug
    response = client.post(
        f"/partnerships/{slug}/priorities/entered/new",
        data={
            "title": "Residents' survey 2024",
            "source_kind": "partner_dataset",
            "organisation": "",
            "collected_on": ["31", "10", "2024"],
            "method": "Postal",
            "link": "",
            "design_effect": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    evidence = db.session.query(EnteredEvidence).one()
    theme = small.partnership.themes[0]
    response = client.post(
        f"/partnerships/{slug}/priorities/entered/{evidence.id}",
        data={
            "theme": str(theme.id),
            "area": str(small.w1.id),
            "measure": "top_priority",
            "percent": "42",
            "base": "300",
            "quote": "",
        },
    )
    assert response.status_code == 302
    csv = (
        f"theme,area,measure,percent,base,quote\nhousing,{small.w2.gss_code},dissatisfied,55,250,\n"
    ).encode()
    response = client.post(
        f"/partnerships/{slug}/priorities/entered/{evidence.id}/import",
        data={"file": (io.BytesIO(csv), "figures.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(evidence)
    assert len(evidence.figures) == 2
    html = _page(client.get(f"/partnerships/{slug}/priorities"))
    assert "Residents" in _page(client.get(f"/partnerships/{slug}/priorities/themes/housing"))
    assert "There is no evidence for this area yet." not in html


def test_a_bad_csv_lists_its_rows_and_imports_nothing(client, small) -> None:
    from tests.factories import make_entered_evidence

    evidence = make_entered_evidence(small.partnership)
    db.session.commit()
    sign_in(client, "coordinator@example.org")
    csv = b"theme,area,measure,percent,base\nnope,,top_priority,40,10\n"
    html = _page(
        client.post(
            f"/partnerships/{small.partnership.slug}/priorities/entered/{evidence.id}/import",
            data={"file": (io.BytesIO(csv), "figures.csv")},
            content_type="multipart/form-data",
        )
    )
    assert "Nothing was imported" in html and "Unknown theme" in html
    db.session.refresh(evidence)
    assert len(evidence.figures) == 1


def test_a_snapshot_keeps_todays_scores(client, evidence) -> None:
    sign_in(client, "coordinator@example.org")
    slug = evidence.partnership.slug
    response = client.post(f"/partnerships/{slug}/priorities/snapshots", data={"label": "Board"})
    assert response.status_code == 302
    snapshot = db.session.query(PrioritySnapshot).one()
    assert snapshot.label == "Board" and snapshot.scores
    assert "Board" in _page(client.get(response.headers["Location"]))


def test_the_method_page_is_public_and_explains_the_default_weights(client) -> None:
    html = _page(client.get("/priorities/method"))
    for phrase in (
        "What is combined",
        "How it is combined",
        "Assumptions and limits",
        "Wilson",
        "Citizens&#39; panel survey",
    ):
        assert phrase in html
    client.get("/language/cy")
    assert 'lang="cy"' in _page(client.get("/priorities/method"))


def test_residents_cannot_see_priorities(client, evidence) -> None:
    from engage.accounts.models import Role
    from tests.factories import make_member

    make_member(evidence.partnership, Role.RESIDENT, email="res@example.org")
    db.session.commit()
    sign_in(client, "res@example.org")
    assert client.get(f"/partnerships/{evidence.partnership.slug}/priorities").status_code == 404


def test_a_ward_page_shows_change_over_time_year_by_year(client, small, add_source) -> None:
    from datetime import date

    from engage.priorities.pipeline import today

    year = today().year
    w1 = small.w1.gss_code
    add_source(
        "testpanel",
        [
            item("testpanel:a", PANEL, 0.2, 400, theme=small.theme, area=w1,
                 when=date(year - 2, 5, 1)),
            item("testpanel:b", PANEL, 0.5, 400, theme=small.theme, area=w1,
                 when=date(year - 1, 5, 1)),
        ],
    )
    sign_in(client, "coordinator@example.org")
    html = _page(client.get(f"/partnerships/{small.partnership.slug}/priorities/areas/{w1}"))
    assert "Scores year by year in" in html
    table = html[html.index("Scores year by year in"):].split("</table>", 1)[0]
    assert f">{year - 2}<" in table and f">{year - 1}<" in table
    assert "clear change" in table  # 20% then 50% on 400 people each: the ranges do not overlap
