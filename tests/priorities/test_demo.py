"""The demo priorities are computed over every demo source, not only the figures entered by hand."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from engage.consultations.demo import load_consultations
from engage.demo.foundation import load_foundation
from engage.extensions import db
from engage.intelligence.demo import load_intelligence
from engage.partnerships.models import Partnership
from engage.priorities.aggregate import SourceKind
from engage.priorities.demo import load_priorities_demo
from engage.priorities.pipeline import compute_priorities


def test_demo_priorities_draw_on_consultations_panel_surveys_partner_data_and_entered_figures(
    app: Flask,
) -> None:
    load_foundation()
    db.session.commit()
    for loader in (load_consultations, load_intelligence, load_priorities_demo):
        loader()
        db.session.commit()
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
    picture = compute_priorities(partnership)
    used = {i.source_id.split(":", 1)[0] for i in picture.used_items}
    assert {"consultations", "intelligence", "entered"} <= used, used
    kinds = {i.source_kind for i in picture.used_items}
    assert {SourceKind.CONSULTATION, SourceKind.PANEL_SURVEY, SourceKind.PARTNER_DATASET} <= kinds
    # Every theme of the partnership gets a score for the partnership as a whole.
    root = picture.root_id
    assert all(picture.result.get(slug, root) is not None for slug in picture.themes)
