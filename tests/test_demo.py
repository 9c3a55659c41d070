"""The demo loads idempotently and every README login reaches its role's home page."""

from __future__ import annotations

from flask import Flask

from engage.accounts.models import User
from engage.demo.foundation import DEMO_PASSWORD, DEMO_USERS
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership
from tests.conftest import sign_in


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(db.select(db.func.count()).select_from(model))
        for model in (Area, Partnership, Organisation, User)
    )


def test_demo_load_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = _counts()
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert _counts() == counts
    wards = db.session.scalars(db.select(Area).where(Area.level == AreaLevel.WARD)).all()
    assert len(wards) == 30
    assert counts[2] >= 10
    for ward in wards:
        for feature, categories in ward.profile().items():
            assert sum(categories.values()) == ward.population, (ward.name, feature)


def test_every_demo_login_reaches_its_home_page(app: Flask) -> None:
    app.test_cli_runner().invoke(args=["demo", "load"])
    expected = {
        "admin": "As administrator",
        "coordinator": "As coordinator",
        "partner_officer": "As a partner officer",
        "councillor": "As a councillor",
        "resident": "As a resident",
    }
    for spec in DEMO_USERS:
        client = app.test_client()
        if spec.locale == "cy":
            continue  # checked below in Welsh
        sign_in(client, spec.email, DEMO_PASSWORD)
        html = client.get("/").get_data(as_text=True)
        assert expected[spec.role.value] in html, spec.email
    welsh = next(s for s in DEMO_USERS if s.locale == "cy")
    client = app.test_client()
    sign_in(client, welsh.email, DEMO_PASSWORD)
    assert '<html lang="cy"' in client.get("/").get_data(as_text=True)
