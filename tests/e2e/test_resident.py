"""A resident: registers, switches language, downloads their data, switches back, signs out.

Run with a mouse in English and in Welsh, with the keyboard alone, and without JavaScript.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    LANGUAGE_NAMES,
    LANGUAGES,
    download_my_data,
    other_language,
    sign_out,
    start,
    unique,
)
from tests.e2e.visitor import OpenVisitor, Visitor

pytestmark = pytest.mark.browser

WARD = "Kelham Riverside"
PASSWORD = "three random words"


def resident_journey(visitor: Visitor, language: str) -> dict[str, Any]:
    """The whole journey in ``language``, visiting the other language on the way.

    Returns the downloaded personal data.
    """
    other = other_language(language)
    email = f"{unique('resident')}@example.org"
    start(visitor, language)

    # Register, getting the password wrong once (the error summary and message are checked too).
    visitor.follow(visitor.button("Create an account", within=visitor.main))
    visitor.expect_heading("Create an account")
    visitor.fill(visitor.field("Email address"), email)
    visitor.fill(visitor.field("Create a password"), "too short")
    visitor.select(visitor.field("Which ward do you live in?"), WARD)
    visitor.submit(visitor.button("Create account"))
    summary = visitor.page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(visitor.t("There is a problem"))
    expect(summary).to_contain_text(
        visitor.t("Password must be %(count)d characters or more", count=10)
    )
    expect(visitor.page).to_have_title(re.compile("^" + re.escape(visitor.t("Error"))))
    visitor.fill(visitor.field("Create a password"), PASSWORD)
    visitor.submit(visitor.button("Create account"))
    visitor.expect_heading("Check your email")

    # Sign in: the home page, in the language they registered in.
    visitor.follow(visitor.link("Sign in", within=visitor.main))
    visitor.fill(visitor.field("Email address"), email)
    visitor.fill(visitor.field("Password"), PASSWORD)
    visitor.submit(visitor.button("Sign in", within=visitor.main))
    visitor.expect_heading("Welcome", exact=False)
    visitor.expect_text("You live in %(ward)s ward.", ward=WARD)
    visitor.expect_language(language)

    # Choose the other language on the account page; the home page follows it.
    visitor.follow(visitor.link("Your account", within=visitor.header))
    visitor.expect_heading("Your account")
    visitor.choose(visitor.radio(LANGUAGE_NAMES[other]))
    visitor.submit(visitor.button("Save language"))
    visitor.expect_language(other)
    visitor.expect_success("Your language has been saved")
    visitor.follow(visitor.link("Home", within=visitor.header))
    visitor.expect_language(other)
    visitor.expect_heading("Welcome", exact=False)
    visitor.expect_text("You live in %(ward)s ward.", ward=WARD)

    # Download their data (a JSON file), from the account page.
    visitor.follow(visitor.link("Your account, language and data", within=visitor.main))
    data = download_my_data(visitor)

    # Change back, and sign out.
    visitor.choose(visitor.radio(LANGUAGE_NAMES[language]))
    visitor.submit(visitor.button("Save language"))
    visitor.expect_language(language)
    visitor.expect_success("Your language has been saved")
    sign_out(visitor)
    visitor.expect_language(language)

    account = data["account"]
    assert isinstance(account, dict)
    assert account["email"] == email
    assert account["language"] == other
    assert account["home_ward"]["name"] == WARD
    actions = [entry["action"] for entry in account["activity"]]
    assert "account.registered" in actions
    assert "account.signed_in" in actions
    return data


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_resident_registers_changes_language_downloads_their_data_and_signs_out(
    open_visitor: OpenVisitor, language: str
) -> None:
    resident_journey(open_visitor("resident"), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_resident_can_do_every_step_with_the_keyboard_alone(
    open_visitor: OpenVisitor, language: str
) -> None:
    resident_journey(open_visitor("resident", keyboard=True), language)


def test_a_resident_can_do_every_step_without_javascript(open_visitor: OpenVisitor) -> None:
    visitor = open_visitor("resident", javascript=False)
    resident_journey(visitor, "en")
    # GOV.UK Frontend marks the body when its JavaScript runs: it did not.
    expect(visitor.page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
