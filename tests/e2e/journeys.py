"""Steps every journey shares, and the demo facts they rely on (see README.md, Demo logins).

A new capability's journey is a test function that opens a visitor (``open_visitor``), uses
these steps to get signed in in the language under test, then follows links and submits forms
with ``Visitor`` methods; every page it reaches is checked on arrival.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from tests.e2e.visitor import Visitor

LANGUAGES = ("en", "cy")
DEMO_PASSWORD = "engage-demo-2026"
ADMIN = "admin@engage.example"
COORDINATOR = "coordinator@engage.example"
COUNCILLOR = "cllr.patel@engage.example"

# Demo data: names are data, not messages, so they are not in the catalogue.
HARTMOOR = {"en": "Hartmoor Partnership", "cy": "Partneriaeth Hartmoor"}
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}

_serial = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other journey in this session uses (one server and database per session)."""
    return f"{prefix}{next(_serial):06d}"


def other_language(language: str) -> str:
    return "cy" if language == "en" else "en"


def start(visitor: Visitor, language: str) -> None:
    """Open the start page and, for Welsh, pick Cymraeg in the header's language switch."""
    visitor.open("/")
    visitor.expect_language("en")
    if language != "en":
        switch = visitor.page.get_by_role("navigation", name=visitor.t("Language"))
        visitor.follow(switch.get_by_role("link", name=LANGUAGE_NAMES[language], exact=True))
    visitor.expect_language(language)


def sign_in(visitor: Visitor, email: str, password: str = DEMO_PASSWORD) -> None:
    """From any page while signed out: the header's Sign in link, the form, the home page."""
    visitor.follow(visitor.link("Sign in", within=visitor.header))
    visitor.expect_heading("Sign in")
    visitor.fill(visitor.field("Email address"), email)
    visitor.fill(visitor.field("Password"), password)
    visitor.submit(visitor.button("Sign in", within=visitor.main))
    visitor.expect_heading("Welcome", exact=False)


def sign_out(visitor: Visitor) -> None:
    visitor.submit(visitor.button("Sign out", within=visitor.header))
    visitor.expect_success("You have signed out")
    visitor.expect_heading("Have your say where you live")


def register(visitor: Visitor, email: str, password: str, ward: str) -> None:
    """From the start page: create a resident account living in ``ward``; then sign in."""
    visitor.follow(visitor.button("Create an account", within=visitor.main))
    visitor.expect_heading("Create an account")
    visitor.fill(visitor.field("Email address"), email)
    visitor.fill(visitor.field("Create a password"), password)
    visitor.select(visitor.field("Which ward do you live in?"), ward)
    visitor.submit(visitor.button("Create account"))
    visitor.expect_heading("Check your email")
    visitor.expect_text("We have sent a message to %(email)s.", email=email)
    visitor.follow(visitor.link("Sign in", within=visitor.main))
    visitor.fill(visitor.field("Email address"), email)
    visitor.fill(visitor.field("Password"), password)
    visitor.submit(visitor.button("Sign in", within=visitor.main))
    visitor.expect_heading("Welcome", exact=False)


def download_my_data(visitor: Visitor) -> dict[str, Any]:
    """On the account page: "Download my data (JSON)"; the file's content."""
    download = visitor.download(visitor.link("Download my data (JSON)"))
    assert download.suggested_filename == "engage-my-data.json"
    data: dict[str, Any] = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    return data
