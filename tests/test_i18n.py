"""English and Welsh: a complete, fresh Welsh catalogue, locale choice, British dates."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from engage.accounts.models import Role, User
from engage.extensions import db
from tests.conftest import sign_in
from tests.factories import make_member, make_partnership

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "engage" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def _catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="cy")


def test_every_message_has_a_welsh_translation() -> None:
    missing = []
    for message in _catalogue():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            missing.append(message.id)
    assert missing == []


def test_translations_keep_placeholders_and_markup() -> None:
    broken = []
    for message in _catalogue():
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if set(PLACEHOLDER.findall(text)) - set(PLACEHOLDER.findall(source)) or (
                isinstance(message.id, str)
                and set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(text))
            ):
                broken.append((source, text))
            if sorted(TAG.findall(source)) != sorted(TAG.findall(text)):
                broken.append((source, text))
    assert broken == []


def test_catalogue_is_not_stale(tmp_path: Path) -> None:
    """Every string in the code and templates is in the catalogue, and nothing extra."""
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_ngettext:1,2",
            "--ignore-dirs=.* ._ __pycache__ node_modules static instance build dist test-artifacts",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    with pot.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    in_catalogue = {m.id for m in _catalogue() if m.id}
    assert sorted(map(str, extracted - in_catalogue)) == [], "run `make translations` and translate"
    assert sorted(map(str, in_catalogue - extracted)) == [], (
        "run `make translations` to drop old strings"
    )


def test_welsh_pages_say_welsh_things(client) -> None:
    client.get("/language/cy?next=/")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="cy"' in html
    assert "Neidio i&#39;r prif gynnwys" in html or "Neidio i'r prif gynnwys" in html
    assert "Skip to main content" not in html


def test_accept_language_chooses_welsh_when_nothing_else_is_set(client) -> None:
    html = client.get("/", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="cy"' in html


def test_account_choice_beats_the_cookie(app: Flask) -> None:
    user = make_member(make_partnership("ashby"), Role.RESIDENT, email="r@example.org")
    user.locale = "cy"
    db.session.commit()
    client = app.test_client()
    client.set_cookie("engage_lang", "en", domain="127.0.0.1")
    sign_in(client, "r@example.org")
    assert '<html lang="cy"' in client.get("/").get_data(as_text=True)


def test_language_switch_saves_the_choice_for_signed_in_users(app: Flask) -> None:
    make_member(make_partnership("ashby"), Role.RESIDENT, email="r@example.org")
    db.session.commit()
    client = app.test_client()
    sign_in(client, "r@example.org")
    response = client.get("/language/cy?next=/account/")
    assert response.headers["Location"] == "/account/"
    assert db.session.scalar(db.select(User.locale).where(User.email == "r@example.org")) == "cy"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_language_switch_refuses_open_redirects(client, target: str) -> None:
    assert client.get(f"/language/cy?next={target}").headers["Location"] == "/"


def test_english_dates_are_formatted_the_british_way(app: Flask) -> None:
    from flask_babel import refresh

    from engage.core.i18n import show_date, show_datetime

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert show_date(datetime(2026, 7, 14, tzinfo=UTC)) == "14 July 2026"
        # 23:30 UTC in summer is 00:30 the next day in London.
        assert show_datetime(datetime(2026, 7, 14, 23, 30, tzinfo=UTC), "short").startswith(
            "15/07/2026"
        )
    with app.test_request_context("/", headers={"Accept-Language": "cy"}):
        refresh()
        assert show_date(datetime(2026, 7, 14, tzinfo=UTC)) == "14 Gorffennaf 2026"


def test_govuk_component_texts_are_translated(app: Flask) -> None:
    make_member(make_partnership("ashby"), Role.ADMIN, email="a@example.org")
    db.session.commit()
    client = app.test_client()
    client.get("/language/cy?next=/")
    html = client.get("/account/sign-in").get_data(as_text=True)
    for english in ("Skip to main content", "Menu", "Sign in", "Email address", "Privacy"):
        assert f">{english}<" not in html, english
