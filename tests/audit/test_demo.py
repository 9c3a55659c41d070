"""The demo register loads idempotently and shows what it was planted with."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from engage.audit.models import EngagementActivity, SelfAssessmentRating
from engage.demo.foundation import DEMO_PASSWORD
from engage.extensions import db
from engage.partnerships.models import Area
from tests.audit.test_views import section, text_of
from tests.conftest import sign_in


def test_the_demo_register_shows_its_planted_duplicates_gaps_and_overdue_outcomes(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    activities = db.session.scalar(select(func.count()).select_from(EngagementActivity))
    assert 140 <= activities <= 160
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(EngagementActivity)) == activities
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRating)) == 30

    client = app.test_client()
    sign_in(client, "coordinator@engage.example", DEMO_PASSWORD)
    duplicates = client.get("/partnerships/hartmoor/audit/duplicates").get_data(as_text=True)
    waiting = text_of(section(duplicates, "Waiting for review", "Reviewed ("))
    assert "Kelham Riverside anti-social behaviour survey" in waiting
    assert "Anti-social behaviour in Kelham Riverside: residents' survey" in waiting
    assert "Wards both cover (1): Kelham Riverside" in waiting
    assert "GP access survey for older people in Ashby" in text_of(section(duplicates, "Reviewed ("))

    northbridge = db.session.scalar(select(Area.id).where(Area.name == "Northbridge"))
    coverage = client.get(f"/partnerships/hartmoor/audit/coverage?months=all&area={northbridge}").get_data(as_text=True)
    young = text_of(section(coverage, 'id="group-gaps"', "</ul>"))
    assert "Young people :" in young and "Transport and getting around" in young.split("Young people :")[1].split(" : ")[0]

    feedback = client.get("/partnerships/hartmoor/audit/feedback").get_data(as_text=True)
    assert "No outcomes are overdue." not in feedback

    assessment = client.get("/partnerships/hartmoor/audit/self-assessment").get_data(as_text=True)
    assert text_of(section(assessment, 'id="rag-history"', "</thead>")).count(" 20") >= 5

    councillor = app.test_client()
    sign_in(councillor, "cllr.patel@engage.example", DEMO_PASSWORD)
    page = councillor.get("/partnerships/ashby-vale/register/my-wards")
    assert page.status_code == 200 and "GP access survey for older people in Ashby" in page.get_data(as_text=True)
