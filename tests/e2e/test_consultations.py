"""Consultations, from building to "we asked, you said, we did".

A coordinator builds a consultation with questions of several types and opens it; a resident
of Ashby Central finds it and responds; the ward's councillor reads the ward's feedback; the
coordinator closes it and publishes the outcome, which residents and anyone without an account
can read. Run in English and in Welsh; the resident's part again without JavaScript and with
the keyboard alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    COORDINATOR,
    COUNCILLOR,
    HARTMOOR,
    LANGUAGES,
    register,
    sign_in,
    sign_out,
    start,
    unique,
)
from tests.e2e.visitor import KeyboardHands, OpenVisitor, Visitor

pytestmark = pytest.mark.browser

# Demo: cllr.patel is a councillor for Ashby Central, a ward of the Hartmoor partnership's area.
WARD = "Ashby Central"
PASSWORD = "three random words"


@dataclass(frozen=True)
class Question:
    kind: str  # the question type's label on the manage page ("Add a question: ...")
    page: int
    required: bool
    text: dict[str, str]
    options: dict[str, list[str]]


QUESTIONS = (
    Question(
        "Single choice",
        1,
        True,
        {"en": "How often do you catch a bus?", "cy": "Pa mor aml ydych chi'n dal bws?"},
        {
            "en": ["Every day", "Every week", "Hardly ever"],
            "cy": ["Bob dydd", "Bob wythnos", "Bron byth"],
        },
    ),
    Question(
        "Multiple choice",
        2,
        True,
        {
            "en": "Which changes would help you most?",
            "cy": "Pa newidiadau fyddai'n eich helpu fwyaf?",
        },
        {
            "en": ["More buses", "Later buses", "Cheaper fares"],
            "cy": ["Mwy o fysiau", "Bysiau hwyrach", "Prisiau rhatach"],
        },
    ),
    Question(
        "Free text",
        2,
        False,
        {
            "en": "Is there anything else you want to tell us?",
            "cy": "Oes unrhyw beth arall yr hoffech ei ddweud wrthym?",
        },
        {"en": [], "cy": []},
    ),
)


@dataclass(frozen=True)
class Consultation:
    title: dict[str, str]
    address: str  # its public page, e.g. /consultations/12


def _london_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _enter_date(visitor: Visitor, legend: str, day: date) -> None:
    group = visitor.page.get_by_role("group", name=visitor.t(legend), exact=True)
    for part, value in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
        visitor.fill(group.get_by_label(visitor.t(part), exact=True), str(value))


# --------------------------------------------------------------------------- coordinator


def build_and_open(
    visitor: Visitor, language: str, questions: tuple[Question, ...]
) -> Consultation:
    """Signed in as the coordinator, from any page: a new consultation with these questions,
    open for responses now. Leaves the visitor on its manage page."""
    number = unique("")
    title = {"en": f"Buses in the evening {number}", "cy": f"Bysiau gyda'r nos {number}"}
    visitor.follow(visitor.link("Consultations", within=visitor.header))
    visitor.expect_heading("Consultations")
    visitor.follow(visitor.button("Create a consultation", within=visitor.main))
    visitor.expect_heading("Create a consultation")
    visitor.fill(visitor.field("Title"), title["en"])
    visitor.fill(visitor.field("Title in Welsh (optional)"), title["cy"])
    visitor.fill(
        visitor.field("Summary"), "We want to know how evening buses could serve you better."
    )
    visitor.fill(
        visitor.field("Summary in Welsh (optional)"),
        "Rydym am wybod sut y gallai bysiau gyda'r nos eich gwasanaethu'n well.",
    )
    organisation = visitor.field("Organisation running it")
    options: list[str] = organisation.evaluate("(s) => [...s.options].map((o) => o.text.trim())")
    visitor.select(organisation, options[1])  # the first organisation after "Choose ..."
    visitor.choose(visitor.radio(visitor.t("Everyone")))
    themes = visitor.page.get_by_role("group", name=visitor.t("Themes"), exact=True)
    visitor.tick(themes.get_by_role("checkbox").first)
    today = _london_today()
    _enter_date(visitor, "Opens on", today)
    visitor.fill(visitor.field("Opening time"), "00:00")
    _enter_date(visitor, "Closes on", today + timedelta(days=28))
    visitor.submit(visitor.button("Save"))
    visitor.expect_success("Consultation created. Now add its questions.")
    visitor.expect_heading(title[language])
    visitor.expect_text("No questions yet.")

    for question in questions:
        visitor.follow(visitor.link(question.kind, within=visitor.main))
        visitor.expect_heading("Add a question")
        kinds = visitor.page.get_by_role("group", name=visitor.t("Type of question"), exact=True)
        expect(
            kinds.get_by_role("radio", name=visitor.t(question.kind), exact=True)
        ).to_be_checked()
        visitor.fill(visitor.field("Question"), question.text["en"])
        visitor.fill(visitor.field("Question in Welsh (optional)"), question.text["cy"])
        if question.required:
            visitor.tick(visitor.checkbox(visitor.t("People must answer this question")))
        visitor.fill(visitor.field("Page"), str(question.page))
        if question.options["en"]:
            visitor.fill(
                visitor.field("Options (choice, ranking and points questions)"),
                "\n".join(question.options["en"]),
            )
            visitor.fill(
                visitor.field("Options in Welsh (optional)"), "\n".join(question.options["cy"])
            )
        visitor.submit(visitor.button("Save question"))
        visitor.expect_success("Question saved")
        table = visitor.main.get_by_role(
            "table", name=visitor.t("Questions on page %(page)d", page=question.page)
        )
        expect(table).to_contain_text(question.text[language])

    visitor.submit(visitor.button("Open for responses"))
    visitor.expect_success("The consultation is open and on the engagement register")
    expect(visitor.main.locator(".govuk-tag").first).to_have_text(visitor.t("Open"))
    address = visitor.link("Public page", within=visitor.main).get_attribute("href")
    assert address and address.startswith("/consultations/"), address
    return Consultation(title, address)


def open_from_the_list(visitor: Visitor, language: str, consultation: Consultation) -> None:
    """Signed in as the coordinator: the consultation's manage page, from the list."""
    visitor.follow(visitor.link("Consultations", within=visitor.header))
    visitor.expect_heading("Consultations")
    visitor.follow(visitor.link(consultation.title[language], within=visitor.main))
    visitor.expect_heading(consultation.title[language])


def expect_responses(visitor: Visitor, count: int) -> None:
    """On a manage page: the number of responses."""
    row = visitor.main.locator(".govuk-summary-list__row").filter(
        has=visitor.page.get_by_text(visitor.t("Responses"), exact=True)
    )
    expect(row.locator(".govuk-summary-list__value")).to_have_text(str(count))


def close_and_publish_outcome(
    visitor: Visitor, language: str, consultation: Consultation, responses: int
) -> None:
    """Signed in as the coordinator: close it, write the outcome and publish it."""
    open_from_the_list(visitor, language, consultation)
    expect_responses(visitor, responses)
    visitor.submit(visitor.button("Close now"))
    visitor.expect_success("The consultation is closed")

    visitor.follow(visitor.link("Outcome", within=visitor.main))
    visitor.expect_heading("We asked, you said, we did")
    visitor.fill(visitor.field("We asked"), "We asked how evening buses could serve you better.")
    visitor.fill(
        visitor.field("We asked, in Welsh (optional)"),
        "Gofynnon ni sut y gallai bysiau gyda'r nos eich gwasanaethu'n well.",
    )
    visitor.fill(visitor.field("You said"), "You said later buses matter most.")
    visitor.fill(
        visitor.field("You said, in Welsh (optional)"),
        "Dywedoch chi mai bysiau hwyrach sydd bwysicaf.",
    )
    visitor.fill(visitor.field("We did"), "We did add a bus at 11pm from the town centre.")
    visitor.fill(
        visitor.field("We did, in Welsh (optional)"),
        "Fe wnaethon ni ychwanegu bws am 11pm o ganol y dref.",
    )
    visitor.submit(visitor.button("Save outcome"))
    visitor.expect_success("Outcome saved")
    visitor.submit(visitor.button("Publish the outcome"))
    visitor.expect_success(
        "Outcome published. %(count)d respondents were emailed.", count=responses
    )
    visitor.expect_heading(consultation.title[language])
    expect_outcome(visitor, language)


OUTCOME_WE_DID = {
    "en": "We did add a bus at 11pm from the town centre.",
    "cy": "Fe wnaethon ni ychwanegu bws am 11pm o ganol y dref.",
}


def expect_outcome(visitor: Visitor, language: str) -> None:
    """The consultation's public page shows what happened, in the page's language."""
    visitor.expect_text("What happened")
    for heading in ("We asked", "You said", "We did"):
        expect(
            visitor.main.get_by_role("heading", name=visitor.t(heading), exact=True)
        ).to_be_visible()
    visitor.expect_text(OUTCOME_WE_DID[language])


# --------------------------------------------------------------------------- resident


def respond(visitor: Visitor, language: str, consultation: Consultation) -> str:
    """Signed in as a resident, on the home page: find the consultation, answer every page,
    check and send. Returns the response's reference."""
    title = consultation.title[language]
    home = visitor.page.get_by_role("region", name=HARTMOOR[language])
    visitor.follow(visitor.link("Have your say: open consultations", within=home))
    visitor.expect_heading("Have your say")
    visitor.follow(visitor.link(title, within=visitor.main))
    visitor.expect_heading(title)
    visitor.follow(visitor.button("Start now", within=visitor.main))

    pages = max(q.page for q in QUESTIONS)
    for page in range(1, pages + 1):
        visitor.expect_heading("Page %(page)d of %(count)d", page=page, count=pages)
        if page == 1:
            # Continue without the required answer: the error is shown, then put right.
            visitor.submit(visitor.button("Continue"), status=200)
            expect(visitor.page.locator(".govuk-error-summary")).to_contain_text(
                visitor.t("There is a problem")
            )
            expect(visitor.page).to_have_title(re.compile("^" + re.escape(visitor.t("Error"))))
        for question in QUESTIONS:
            if question.page != page:
                continue
            if question.kind == "Single choice":
                visitor.choose(visitor.radio(question.options[language][2]))
            elif question.kind == "Multiple choice":
                visitor.tick(visitor.checkbox(question.options[language][1]))
                visitor.tick(visitor.checkbox(question.options[language][2]))
            else:
                label = f"{question.text[language]} {visitor.t('(optional)')}"
                visitor.fill(
                    visitor.page.get_by_label(label, exact=True), "A shelter with a light, please."
                )
        visitor.submit(visitor.button("Continue"))

    visitor.expect_heading("About you")
    visitor.expect_text(
        "Your response will count for %(ward)s ward, the ward on your account.", ward=WARD
    )
    visitor.tick(visitor.checkbox(visitor.t("Email me when the outcome is published")))
    visitor.submit(visitor.button("Continue"))

    visitor.expect_heading("Check your answers before sending your response")
    answers = visitor.main.locator(".govuk-summary-list")
    expect(answers.first).to_contain_text(QUESTIONS[0].options[language][2])
    expect(answers.nth(1)).to_contain_text(QUESTIONS[1].options[language][1])
    visitor.submit(visitor.button("Send response"))
    visitor.expect_text("Response sent")
    reference = visitor.page.locator(".govuk-panel__body strong").inner_text().strip()
    assert reference
    visitor.follow(visitor.link("Back to the consultation", within=visitor.main))
    visitor.expect_heading(title)
    expect(visitor.main.locator(".govuk-inset-text")).to_contain_text(reference)
    return reference


def new_resident(
    open_visitor: OpenVisitor, language: str, *, javascript: bool = True, keyboard: bool = False
) -> Visitor:
    """A resident of Ashby Central who has just registered and signed in, in ``language``.

    With ``keyboard``, they use the keyboard alone from then on (registering with the keyboard
    is the resident journey's, in test_resident.py).
    """
    resident = open_visitor("resident", javascript=javascript)
    start(resident, language)
    register(resident, f"{unique('respondent')}@example.org", PASSWORD, WARD)
    resident.expect_language(language)
    if keyboard:
        resident.hands = KeyboardHands(resident.page)
    return resident


# --------------------------------------------------------------------------- councillor


def review_ward_feedback(visitor: Visitor, language: str, consultation: Consultation) -> None:
    """Signed in as the councillor, on the home page: their ward's consultation feedback."""
    visitor.follow(
        visitor.page.get_by_role(
            "link", name=f"{visitor.t('consultation feedback')} {WARD}", exact=True
        )
    )
    visitor.expect_heading("What %(ward)s ward told us", ward=WARD)
    section = visitor.main.get_by_role("region", name=consultation.title[language], exact=True)
    expect(section).to_be_visible()
    expect(section.get_by_role("table").first).to_contain_text(QUESTIONS[0].options[language][2])
    # One response from the ward is fewer than the disclosure threshold: not shown.
    responses = section.locator(".govuk-summary-list__row").first
    expect(responses).to_contain_text(visitor.t("Responses from the ward"))
    expect(responses.locator(".govuk-summary-list__value")).not_to_have_text("1")


# --------------------------------------------------------------------------- the journey

# Who responds, by language: in English also a resident without JavaScript and one using the
# keyboard alone (Tab, arrows, Space and Enter; focus visible at every step, no traps).
RESPONDENTS: dict[str, tuple[dict[str, bool], ...]] = {
    "en": ({}, {"javascript": False}, {"keyboard": True}),
    "cy": ({},),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_consultation_is_built_answered_reviewed_and_its_outcome_published(
    open_visitor: OpenVisitor, language: str
) -> None:
    coordinator = open_visitor("coordinator")
    start(coordinator, language)
    sign_in(coordinator, COORDINATOR)
    consultation = build_and_open(coordinator, language, QUESTIONS)

    residents = []
    for options in RESPONDENTS[language]:
        resident = new_resident(open_visitor, language, **options)
        reference = respond(resident, language, consultation)
        if options.get("javascript") is False:
            # GOV.UK Frontend marks the body when its JavaScript runs: it did not.
            expect(resident.page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
        residents.append((resident, reference))

    councillor = open_visitor("councillor")
    start(councillor, language)
    sign_in(councillor, COUNCILLOR)
    review_ward_feedback(councillor, language, consultation)
    sign_out(councillor)

    close_and_publish_outcome(coordinator, language, consultation, len(residents))
    sign_out(coordinator)

    # The first resident finds it among closed consultations, with what was done.
    resident, reference = residents[0]
    resident.follow(resident.link("Home", within=resident.header))
    home = resident.page.get_by_role("region", name=HARTMOOR[language])
    resident.follow(resident.link("What happened after consultations closed", within=home))
    resident.expect_heading("Closed consultations and what happened")
    card = resident.main.locator(".engage-consultation-card").filter(
        has=resident.page.get_by_role("link", name=consultation.title[language], exact=True)
    )
    expect(card).to_contain_text(OUTCOME_WE_DID[language])
    resident.follow(card.get_by_role("link", name=consultation.title[language], exact=True))
    expect_outcome(resident, language)
    sign_out(resident)

    # Anyone can read it, without an account.
    reader = open_visitor("reader")
    start(reader, language)
    reader.open(consultation.address)
    reader.expect_heading(consultation.title[language])
    expect_outcome(reader, language)
    assert reference not in reader.page.content()
