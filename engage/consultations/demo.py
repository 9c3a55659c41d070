"""Demo consultations for the Hartmoor partnership: six consultations, ~3,100 responses.

One open, one with its outcome published, two for the citizens' panel only (keyed in from
paper at panel sessions: one open, one closed), one fully bilingual, one with lots of free text (coded, with
suggested groups). Responses are spread unevenly across the wards, with the usual skew
(older people and women respond more), and are written with bulk inserts. Idempotent: a
consultation already present (by title) is left alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from engage.accounts.models import User
from engage.consultations import operations
from engage.consultations.models import (
    Answer,
    Audience,
    Channel,
    Consultation,
    ConsultationStatus,
    FrameCode,
    Outcome,
    Question,
    Response,
    ResponseStatus,
    answer_codes,
)
from engage.core.time import LONDON, utcnow
from engage.extensions import db
from engage.partnerships.models import Area, Organisation, Partnership

SEED = 20261124
AGE_WEIGHTS = {"16-24": 0.06, "25-44": 0.22, "45-64": 0.34, "65-74": 0.22, "75+": 0.10}
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class Spec:
    title: str
    summary: str
    organisation: str
    themes: tuple[str, ...]
    status: ConsultationStatus
    opens_days: int  # relative to today (negative: in the past)
    closes_days: int
    responses: int
    questions: list[dict[str, Any]]
    answer: Callable[[random.Random, dict[str, Any]], dict[int, Any]]
    audience: Audience = Audience.EVERYONE
    allows_anonymous: bool = True
    title_cy: str | None = None
    summary_cy: str | None = None
    channel: Channel = Channel.ONLINE
    outcome: dict[str, str] | None = None
    codes: list[tuple[str, str | None, str, tuple[str, ...]]] = field(default_factory=list)


def _options(*texts: str, welsh: tuple[str, ...] = ()) -> list[dict[str, str]]:
    return [
        {"code": f"o{i + 1}", "text": text, "text_cy": welsh[i] if welsh else ""}
        for i, text in enumerate(texts)
    ]


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _older(person: dict[str, Any]) -> float:
    """0 for the youngest respondents, 1 for the oldest."""
    order = ["16-24", "25-44", "45-64", "65-74", "75+"]
    age = person.get("age_true", "45-64")
    return order.index(age) / 4


# ------------------------------------------------------------------- free text


TRANSPORT_TEXT = [
    (
        "buses",
        [
            "The buses stop too early in the evening",
            "We need more buses to the villages",
            "Evening bus services are poor and the last bus is too early",
            "Bus fares are too high for a short trip into town",
            "Please bring back the Sunday bus service",
        ],
    ),
    (
        "parking",
        [
            "Parking charges in the town centre are too expensive",
            "There is never anywhere to park near the market",
            "Free parking for the first hour would help the shops",
            "The car park by the station is always full",
        ],
    ),
    (
        "cycling",
        [
            "Safer cycle lanes would get me out of the car",
            "The cycle path stops halfway and you have to join the main road",
            "Secure bike parking at the station please",
        ],
    ),
    (
        "pavements",
        [
            "The pavements are uneven and dangerous with a pushchair",
            "Dropped kerbs are missing for wheelchair users",
            "Pavements are blocked by parked cars",
        ],
    ),
]

GREEN_TEXT = {
    "What would make parks and green spaces better for you?": [
        (
            "play",
            [
                "More play equipment for younger children",
                "The play area needs fixing, the swings are broken",
                "A splash park for the summer holidays",
                "Better play areas for toddlers",
            ],
        ),
        (
            "toilets",
            [
                "Public toilets that are open all year",
                "The park toilets are always locked",
                "Somewhere to get a cup of tea and use the toilet",
            ],
        ),
        (
            "litter",
            [
                "More bins and emptied more often",
                "Litter is a real problem after weekends",
                "Dog fouling on the playing fields needs tackling",
                "Fly-tipping by the woods is getting worse",
            ],
        ),
        (
            "safety",
            [
                "Better lighting on the paths after dark",
                "I do not feel safe walking through the park at night",
                "Paths need lighting in winter",
            ],
        ),
        (
            "nature",
            [
                "Leave some areas wild for wildflowers and bees",
                "Plant more trees along the streets",
                "Create a wildlife meadow instead of mowing everything",
            ],
        ),
    ],
    "What should the partnership do first about climate change?": [
        (
            "insulation",
            [
                "Help people insulate their homes and cut their bills",
                "Grants for insulation and heat pumps",
                "Warm homes for older people, insulation first",
            ],
        ),
        (
            "transport",
            [
                "Better buses so people can leave the car at home",
                "More electric car charging points",
                "Safer cycling routes to schools",
            ],
        ),
        (
            "trees",
            [
                "Plant more trees and protect the ones we have",
                "Stop cutting down trees for new housing",
            ],
        ),
        (
            "flooding",
            [
                "Deal with the flooding on the river road",
                "Clear the drains before the winter floods",
                "Flood defences for the lower town",
            ],
        ),
        (
            "solar",
            ["Solar panels on council buildings and schools", "Community solar energy schemes"],
        ),
    ],
    "Is there anything else you want to tell us?": [
        ("thanks", ["Thank you for asking residents", "Good to be consulted for once"]),
        (
            "listen",
            [
                "Please actually listen this time",
                "Tell us what you did with the answers",
                "We filled in a survey last year and heard nothing back",
            ],
        ),
        (
            "youth",
            [
                "Young people need somewhere to go in the evenings",
                "More for teenagers to do in the parks",
            ],
        ),
    ],
}

SAFETY_TEXT = [
    (
        "speeding",
        [
            "Speeding cars on the main road through the village",
            "Boy racers every night on the bypass",
            "Speed cameras are needed near the school",
        ],
    ),
    (
        "antisocial",
        [
            "Groups causing trouble in the precinct",
            "Antisocial behaviour near the shops at night",
            "Noise and trouble outside the takeaway",
        ],
    ),
    ("drugs", ["Drug dealing in the park is open and obvious", "Needles found near the play area"]),
    (
        "police",
        [
            "We never see a police officer on foot",
            "Bring back the local police station",
            "More police patrols in the evenings",
        ],
    ),
    (
        "lighting",
        [
            "Street lights are off after midnight and it feels unsafe",
            "Broken street lights on our road",
        ],
    ),
]

WELSH_LIBRARY_TEXT = [
    (
        "hours",
        [
            "Longer opening hours on Saturdays please",
            "Open in the evening so working people can go",
            "Agor ar ddydd Sadwrn os gwelwch yn dda",
        ],
    ),
    (
        "digital",
        [
            "Help with computers and filling in forms online",
            "Free wifi and printing for job seekers",
        ],
    ),
    (
        "children",
        [
            "Story time for toddlers every week",
            "Homework club after school",
            "Mwy o lyfrau Cymraeg i blant",
        ],
    ),
    ("welsh", ["More Welsh language books and events", "Sesiynau sgwrsio yn Gymraeg"]),
]

PERSONAL = [
    "My name is Joan Baker and I live at 12 Holly Road, please call me on 07700 900461",
    "Contact me at dave.smith@example.com about the flooding at number 3",
]


def _text(rng: random.Random, bank: list[tuple[str, list[str]]], person: dict[str, Any]) -> str:
    _topic, sentences = rng.choice(bank)
    text = rng.choice(sentences)
    if rng.random() < 0.35:
        _other, more = rng.choice(bank)
        text += ". " + rng.choice(more)
    if rng.random() < 0.2:
        text += rng.choice(
            [
                ". It has been like this for years",
                ". Please do something",
                " in " + person["ward_name"],
                ". Thank you",
            ]
        )
    return text + "."


# ------------------------------------------------------------------- answer generators


def _transport(rng: random.Random, person: dict[str, Any]) -> dict[int, Any]:
    old = _older(person)
    travel = _pick(
        rng,
        {
            "o1": 0.35 + 0.2 * old,
            "o2": 0.2 + 0.1 * (1 - old),
            "o3": 0.25,
            "o4": 0.1 * (1 - old),
            "o5": 0.05,
        },
    )
    improve_weights = {
        "o1": 0.5 + 0.3 * (1 - old),
        "o2": 0.3 * (1 - old),
        "o3": 0.3 + 0.4 * old,
        "o4": 0.4,
        "o5": 0.25,
    }
    improvements = list(
        dict.fromkeys(_pick(rng, improve_weights) for _ in range(rng.randint(1, 3)))
    )
    order = sorted(["o1", "o2", "o3", "o4"], key=lambda c: -improve_weights[c] * rng.random())
    answers: dict[int, Any] = {
        0: travel,
        1: improvements,
        2: _pick(rng, {"5": 0.08, "4": 0.17, "3": 0.2, "2": 0.3, "1": 0.25}),
        3: {code: rank for rank, code in enumerate(order, start=1)},
        4: max(0, min(14, round(rng.gauss(3 + 2 * old, 2)))),
    }
    if rng.random() < 0.45:
        answers[5] = _text(rng, TRANSPORT_TEXT, person)
    return answers


def _safety(rng: random.Random, person: dict[str, Any]) -> dict[int, Any]:
    old = _older(person)
    female = person.get("sex_true") == "female"
    safe = "no" if rng.random() < 0.3 + 0.15 * female + 0.1 * old else "yes"
    shares = {"o1": 20 + 15 * old, "o2": 25, "o3": 20, "o4": 15 + 10 * (1 - old), "o5": 10}
    total = sum(shares.values())
    points = {c: int(100 * v / total + rng.gauss(0, 6)) for c, v in shares.items()}
    points = {c: max(0, p) for c, p in points.items()}
    points["o5"] += 100 - sum(points.values())
    if points["o5"] < 0:
        points["o1"] += points["o5"]
        points["o5"] = 0
    if points["o1"] < 0:  # pragma: no cover - vanishingly rare
        points = {"o1": 100, "o2": 0, "o3": 0, "o4": 0, "o5": 0}
    answers: dict[int, Any] = {
        0: safe,
        1: _pick(rng, {"5": 0.1, "4": 0.25, "3": 0.25, "2": 0.25, "1": 0.15}),
        2: points,
    }
    if rng.random() < 0.5:
        answers[3] = _text(rng, SAFETY_TEXT, person)
    return answers


def _panel(rng: random.Random, person: dict[str, Any]) -> dict[int, Any]:
    old = _older(person)
    return {
        0: _pick(rng, {"o1": 0.3 + 0.3 * old, "o2": 0.3, "o3": 0.2 + 0.2 * (1 - old), "o4": 0.1}),
        1: _pick(rng, {"5": 0.1, "4": 0.3, "3": 0.3, "2": 0.2, "1": 0.1}),
        2: "yes" if rng.random() < 0.55 + 0.2 * old else "no",
        3: min(240, max(0, round(rng.gauss(25 + 30 * old, 15)))),
    }


def _panel_transport(rng: random.Random, person: dict[str, Any]) -> dict[int, Any]:
    old = _older(person)
    return {
        0: _pick(rng, {"o1": 0.45 - 0.1 * old, "o2": 0.2 + 0.2 * old, "o3": 0.2, "o4": 0.1}),
        1: _pick(rng, {"5": 0.05, "4": 0.15, "3": 0.2, "2": 0.35, "1": 0.25}),
        2: "yes" if rng.random() < 0.45 + 0.25 * old else "no",
    }


def _libraries(rng: random.Random, person: dict[str, Any]) -> dict[int, Any]:
    old = _older(person)
    answers: dict[int, Any] = {
        0: _pick(rng, {"o1": 0.2 + 0.2 * old, "o2": 0.3, "o3": 0.3, "o4": 0.2}),
        1: list(
            dict.fromkeys(
                _pick(
                    rng, {"o1": 0.5, "o2": 0.4 * (1 - old) + 0.1, "o3": 0.3, "o4": 0.35, "o5": 0.2}
                )
                for _ in range(rng.randint(1, 3))
            )
        ),
        2: _pick(rng, {"5": 0.25, "4": 0.35, "3": 0.2, "2": 0.12, "1": 0.08}),
        3: "yes" if rng.random() < 0.3 else "no",
    }
    if rng.random() < 0.35:
        answers[4] = _text(rng, WELSH_LIBRARY_TEXT, person)
    return answers


def _green(rng: random.Random, person: dict[str, Any]) -> dict[int, Any]:
    old = _older(person)
    answers: dict[int, Any] = {
        0: _pick(
            rng, {"o1": 0.3 + 0.2 * old, "o2": 0.35, "o3": 0.2, "o4": 0.15 * (1 - old) + 0.02}
        ),
        1: _pick(rng, {"5": 0.35, "4": 0.35, "3": 0.15, "2": 0.1, "1": 0.05}),
    }
    for index, bank in enumerate(GREEN_TEXT.values(), start=2):
        if rng.random() < (0.85, 0.7, 0.3)[index - 2]:
            answers[index] = _text(rng, bank, person)
    if rng.random() < 0.003:
        answers[4] = rng.choice(PERSONAL)
    return answers


def _specs() -> list[Spec]:
    return [
        Spec(
            title="Town centre transport and parking",
            summary=(
                "How do you get into the town centres of Hartmoor, and what would make it easier? "
                "Your answers will shape the county's transport plan for 2027 to 2032."
            ),
            organisation="Hartmoor County Council",
            themes=("transport", "economy-jobs-skills"),
            status=ConsultationStatus.OPEN,
            opens_days=-12,
            closes_days=18,
            responses=640,
            questions=[
                {
                    "kind": "single_choice",
                    "text": "How do you usually travel into the town centre?",
                    "is_required": True,
                    "settings": {"options": _options("Car", "Bus", "Walking", "Cycling", "Other")},
                },
                {
                    "kind": "multiple_choice",
                    "text": "Which improvements would help you most?",
                    "settings": {
                        "options": _options(
                            "More frequent buses",
                            "Safer cycle lanes",
                            "Cheaper parking",
                            "Better pavements",
                            "More seating and shelter",
                        ),
                        "max_choices": 3,
                    },
                },
                {"kind": "agree_scale", "text": "Parking charges in the town centre are fair."},
                {
                    "kind": "ranking",
                    "text": "Rank these in order of importance to you.",
                    "settings": {
                        "options": _options("Buses", "Cycle lanes", "Parking", "Pavements")
                    },
                },
                {
                    "kind": "number",
                    "text": "How many times a week do you visit a town centre?",
                    "settings": {"min_value": 0, "max_value": 21, "whole_numbers": True},
                },
                {
                    "kind": "free_text",
                    "text": "Is there anything else about getting around you want to tell us?",
                    "page": 2,
                    "settings": {"max_length": 2000},
                },
            ],
            answer=_transport,
        ),
        Spec(
            title="Community safety priorities 2026",
            title_cy="Blaenoriaethau diogelwch cymunedol 2026",
            summary="Help Hartmoor Police and partners decide where to focus next year.",
            summary_cy="Helpwch Heddlu Hartmoor a'i bartneriaid i benderfynu ble i ganolbwyntio y flwyddyn nesaf.",
            organisation="Hartmoor Police",
            themes=("safer-communities",),
            status=ConsultationStatus.OUTCOME_PUBLISHED,
            opens_days=-120,
            closes_days=-75,
            responses=820,
            questions=[
                {
                    "kind": "yes_no",
                    "text": "Do you feel safe walking in your area after dark?",
                    "text_cy": "Ydych chi'n teimlo'n ddiogel yn cerdded yn eich ardal ar ôl iddi dywyllu?",
                    "is_required": True,
                },
                {
                    "kind": "agree_scale",
                    "text": "The police and council deal with the issues that matter in my area.",
                    "text_cy": "Mae'r heddlu a'r cyngor yn delio â'r materion sy'n bwysig yn fy ardal i.",
                },
                {
                    "kind": "points",
                    "text": "Share 100 points between these priorities.",
                    "text_cy": "Rhannwch 100 pwynt rhwng y blaenoriaethau hyn.",
                    "settings": {
                        "points": 100,
                        "options": _options(
                            "Antisocial behaviour",
                            "Speeding and road safety",
                            "Drug dealing",
                            "Burglary and theft",
                            "Domestic abuse support",
                            welsh=(
                                "Ymddygiad gwrthgymdeithasol",
                                "Goryrru a diogelwch ffyrdd",
                                "Delio cyffuriau",
                                "Byrgleriaeth a lladrad",
                                "Cymorth cam-drin domestig",
                            ),
                        ),
                    },
                },
                {
                    "kind": "free_text",
                    "text": "What is the biggest safety problem where you live?",
                    "text_cy": "Beth yw'r broblem ddiogelwch fwyaf lle rydych chi'n byw?",
                    "settings": {"max_length": 1500},
                },
            ],
            answer=_safety,
            outcome={
                "we_asked": "Where Hartmoor Police and partners should focus community safety work in 2026.",
                "we_asked_cy": "Ble y dylai Heddlu Hartmoor a'i bartneriaid ganolbwyntio gwaith diogelwch cymunedol yn 2026.",
                "you_said": "Antisocial behaviour and speeding were the top priorities. Three in ten people do not feel safe after dark, and more women than men.",
                "you_said_cy": "Ymddygiad gwrthgymdeithasol a goryrru oedd y prif flaenoriaethau. Nid yw tri o bob deg yn teimlo'n ddiogel ar ôl iddi dywyllu.",
                "we_did": "We have added evening foot patrols in the six wards with the most reports, funded four new speed cameras, and will repair street lighting on the routes you named by March.",
                "we_did_cy": "Rydym wedi ychwanegu patrolau gyda'r nos yn y chwe ward â'r nifer fwyaf o adroddiadau, wedi ariannu pedwar camera cyflymder newydd, a byddwn yn trwsio goleuadau stryd erbyn mis Mawrth.",
            },
            codes=[
                ("Speeding", None, "safer-communities", ("speed", "racer", "bypass", "camera")),
                (
                    "Antisocial behaviour",
                    "Ymddygiad gwrthgymdeithasol",
                    "safer-communities",
                    ("antisocial", "trouble", "noise", "groups"),
                ),
                ("Drugs", "Cyffuriau", "safer-communities", ("drug", "needle")),
                ("Police presence", None, "safer-communities", ("police", "patrol")),
                ("Street lighting", None, "safer-communities", ("light",)),
            ],
        ),
        Spec(
            title="Citizens' panel: health and wellbeing services",
            summary=(
                "Questions for members of the Hartmoor citizens' panel about GP access, mental "
                "health support and keeping well. Answers were collected at panel sessions."
            ),
            organisation="Hartmoor and Wyre Integrated Care Board",
            themes=("health-wellbeing", "older-people"),
            status=ConsultationStatus.OPEN,
            opens_days=-20,
            closes_days=10,
            responses=160,
            audience=Audience.PANEL,
            allows_anonymous=False,
            channel=Channel.PAPER,
            questions=[
                {
                    "kind": "single_choice",
                    "text": "How do you usually contact your GP surgery?",
                    "settings": {
                        "options": _options("Phone", "Online form", "In person", "I do not")
                    },
                },
                {"kind": "agree_scale", "text": "I can get a GP appointment when I need one."},
                {
                    "kind": "yes_no",
                    "text": "Would you use a walk-in health hub in your town centre?",
                },
                {
                    "kind": "number",
                    "text": "Roughly how many minutes does it take you to get to your surgery?",
                    "settings": {"min_value": 0, "max_value": 240, "whole_numbers": True},
                },
            ],
            answer=_panel,
        ),
        Spec(
            title="Citizens' panel: getting around Hartmoor",
            summary=(
                "Questions for members of the Hartmoor citizens' panel about buses, the car and "
                "getting to services. Answers were collected at the spring panel sessions."
            ),
            organisation="Hartmoor County Council",
            themes=("transport", "older-people"),
            status=ConsultationStatus.CLOSED,
            opens_days=-75,
            closes_days=-45,
            responses=120,
            audience=Audience.PANEL,
            allows_anonymous=False,
            channel=Channel.PAPER,
            questions=[
                {
                    "kind": "single_choice",
                    "text": "How do you usually get to the shops and services you need?",
                    "settings": {"options": _options("Car", "Bus", "Walk or cycle", "Lift")},
                },
                {"kind": "agree_scale", "text": "Buses run often enough where I live."},
                {
                    "kind": "yes_no",
                    "text": "Would you use a bus you book by phone or app (demand-responsive)?",
                },
            ],
            answer=_panel_transport,
        ),
        Spec(
            title="Libraries and community hubs",
            title_cy="Llyfrgelloedd a hybiau cymunedol",
            summary="We are reviewing how libraries can become community hubs. Tell us what you would use.",
            summary_cy="Rydym yn adolygu sut y gall llyfrgelloedd ddod yn hybiau cymunedol. Dywedwch wrthym beth fyddech chi'n ei ddefnyddio.",
            organisation="Hartmoor County Council",
            themes=("culture-sport-leisure", "stronger-communities"),
            status=ConsultationStatus.CLOSED,
            opens_days=-50,
            closes_days=-6,
            responses=480,
            questions=[
                {
                    "kind": "single_choice",
                    "text": "How often do you use a library?",
                    "text_cy": "Pa mor aml ydych chi'n defnyddio llyfrgell?",
                    "settings": {
                        "options": _options(
                            "Every week",
                            "Every month",
                            "A few times a year",
                            "Never",
                            welsh=(
                                "Bob wythnos",
                                "Bob mis",
                                "Ychydig o weithiau'r flwyddyn",
                                "Byth",
                            ),
                        )
                    },
                },
                {
                    "kind": "multiple_choice",
                    "text": "What would you use a community hub for?",
                    "text_cy": "Ar gyfer beth fyddech chi'n defnyddio hyb cymunedol?",
                    "settings": {
                        "max_choices": 3,
                        "options": _options(
                            "Borrowing books",
                            "Computers and wifi",
                            "Advice on benefits and money",
                            "Children's activities",
                            "Meeting rooms",
                            welsh=(
                                "Benthyg llyfrau",
                                "Cyfrifiaduron a wifi",
                                "Cyngor ar fudd-daliadau ac arian",
                                "Gweithgareddau i blant",
                                "Ystafelloedd cyfarfod",
                            ),
                        ),
                    },
                },
                {
                    "kind": "agree_scale",
                    "text": "Libraries should open later in the evening.",
                    "text_cy": "Dylai llyfrgelloedd agor yn hwyrach gyda'r nos.",
                },
                {
                    "kind": "yes_no",
                    "text": "Would you volunteer at your local hub?",
                    "text_cy": "Fyddech chi'n gwirfoddoli yn eich hyb lleol?",
                },
                {
                    "kind": "free_text",
                    "text": "What would make you use your library more?",
                    "text_cy": "Beth fyddai'n gwneud i chi ddefnyddio'ch llyfrgell yn fwy?",
                    "settings": {"max_length": 1000},
                },
            ],
            answer=_libraries,
        ),
        Spec(
            title="Green spaces and climate action",
            summary=(
                "Parks, playing fields, trees and what Hartmoor should do about climate change. "
                "Tell us in your own words."
            ),
            organisation="Hartmoor County Council",
            themes=("environment-climate", "health-wellbeing"),
            status=ConsultationStatus.CLOSED,
            opens_days=-70,
            closes_days=-14,
            responses=920,
            questions=[
                {
                    "kind": "single_choice",
                    "text": "How often do you visit a park or green space?",
                    "settings": {
                        "options": _options("Most days", "Every week", "Every month", "Rarely")
                    },
                },
                {
                    "kind": "agree_scale",
                    "text": "Climate change should be one of the partnership's top priorities.",
                },
                {
                    "kind": "free_text",
                    "text": "What would make parks and green spaces better for you?",
                    "settings": {"max_length": 2000},
                },
                {
                    "kind": "free_text",
                    "text": "What should the partnership do first about climate change?",
                    "settings": {"max_length": 2000},
                },
                {
                    "kind": "free_text",
                    "text": "Is there anything else you want to tell us?",
                    "settings": {"max_length": 2000},
                },
            ],
            answer=_green,
            codes=[
                (
                    "Play areas",
                    "Ardaloedd chwarae",
                    "children-young-people",
                    ("play", "swing", "toddler", "splash"),
                ),
                ("Toilets and facilities", None, "health-wellbeing", ("toilet", "tea")),
                (
                    "Litter and fly-tipping",
                    None,
                    "environment-climate",
                    ("litter", "bin", "fouling", "fly-tipping"),
                ),
                ("Feeling safe", None, "safer-communities", ("lighting", "safe", "dark")),
                (
                    "Nature and trees",
                    None,
                    "environment-climate",
                    ("tree", "wild", "meadow", "bees"),
                ),
                ("Home insulation", None, "housing", ("insulat", "heat pump", "warm homes")),
                ("Flooding", None, "environment-climate", ("flood", "drain")),
                ("Public transport", None, "transport", ("bus", "cycl", "charging")),
                (
                    "Listen and feed back",
                    None,
                    "stronger-communities",
                    ("listen", "heard nothing", "what you did"),
                ),
            ],
        ),
    ]


# ------------------------------------------------------------------- loading


def _reference(rng: random.Random, used: set[str]) -> str:
    while True:
        code = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"{code[:4]}-{code[4:]}"
        if reference not in used:
            used.add(reference)
            return reference


def _people(rng: random.Random, wards: list[Area], count: int) -> list[dict[str, Any]]:
    """Respondents: uneven across wards, older and more often female than the population."""
    engagement = {w.id: math.exp(rng.gauss(0, 0.8)) * w.population for w in wards}
    ward_ids = list(engagement)
    weights = list(engagement.values())
    by_id = {w.id: w for w in wards}
    people = []
    for _ in range(count):
        ward = by_id[rng.choices(ward_ids, weights=weights)[0]]
        age = _pick(rng, AGE_WEIGHTS)
        sex = "female" if rng.random() < 0.58 else "male"
        profile = ward.profile()
        ethnicity_counts = profile.get("ethnicity", {"white_british": 1})
        ethnicity = rng.choices(list(ethnicity_counts), weights=list(ethnicity_counts.values()))[0]
        disabled = rng.random() < (
            0.12 + 0.25 * ["16-24", "25-44", "45-64", "65-74", "75+"].index(age) / 4
        )
        gives = rng.random() < 0.78
        consents = gives and rng.random() < 0.55
        people.append(
            {
                "ward_id": ward.id,
                "ward_name": ward.name,
                "age_true": age,
                "sex_true": sex,
                "age_band": age if gives else (None if rng.random() < 0.7 else "prefer_not_to_say"),
                "sex": sex if gives and rng.random() < 0.97 else None,
                "ethnicity": ethnicity if consents else None,
                "disability": ("disabled" if disabled else "not_disabled") if consents else None,
                "consent": consents,
            }
        )
    return people


def _create(
    spec: Spec,
    partnership: Partnership,
    now: datetime,
    rng: random.Random,
    wards: list[Area],
    next_ids: dict[str, int],
    used: set[str],
    demo_user: User | None,
) -> tuple[Consultation, int, int]:
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == spec.organisation)
    )
    if organisation is None:
        raise RuntimeError(f"demo organisation {spec.organisation!r} is missing")
    themes = {t.slug: t for t in partnership.themes}
    today = now.astimezone(LONDON).date()
    opens = datetime.combine(today + timedelta(days=spec.opens_days), time(9, 0), tzinfo=LONDON)
    closes = datetime.combine(today + timedelta(days=spec.closes_days), time(23, 59), tzinfo=LONDON)
    opens, closes = opens.astimezone(UTC), closes.astimezone(UTC)
    consultation = Consultation(
        partnership=partnership,
        organisation=organisation,
        title=spec.title,
        title_cy=spec.title_cy,
        summary=spec.summary,
        summary_cy=spec.summary_cy,
        audience=spec.audience,
        allows_anonymous=spec.allows_anonymous,
        status=spec.status,
        opens_at=opens,
        closes_at=closes,
        opened_at=opens,
        themes=[themes[s] for s in spec.themes if s in themes],
    )
    if spec.status == ConsultationStatus.OUTCOME_PUBLISHED and spec.outcome:
        consultation.outcome_published_at = closes + timedelta(days=30)
        consultation.outcome = Outcome(**spec.outcome, updated_at=consultation.outcome_published_at)
    db.session.add(consultation)
    for position, question in enumerate(spec.questions, start=1):
        consultation.questions.append(
            Question(
                kind=question["kind"],
                text=question["text"],
                text_cy=question.get("text_cy"),
                help_text=question.get("help_text"),
                help_text_cy=question.get("help_text_cy"),
                is_required=question.get("is_required", False),
                page=question.get("page", 1),
                position=position,
                settings=question.get("settings", {}),
            )
        )
    db.session.flush()
    questions = list(consultation.questions)
    people = _people(rng, wards, spec.responses)
    response_rows: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    span = max((min(closes, now) - opens).total_seconds(), 3600.0)
    for index, person in enumerate(people):
        response_id = next_ids["response"]
        next_ids["response"] += 1
        # Most responses arrive early and in the last days (two humps).
        fraction = rng.betavariate(0.7, 0.9)
        submitted = opens + timedelta(seconds=span * fraction)
        user_id = demo_user.id if (demo_user is not None and index == 0) else None
        response_rows.append(
            {
                "id": response_id,
                "consultation_id": consultation.id,
                "user_id": user_id,
                "status": ResponseStatus.SUBMITTED,
                "channel": spec.channel,
                "reference": _reference(rng, used),
                "ward_id": person["ward_id"],
                "age_band": person["age_band"],
                "sex": person["sex"],
                "ethnicity": person["ethnicity"],
                "disability": person["disability"],
                "special_category_consent": person["consent"],
                "wants_outcome_email": user_id is not None,
                "created_at": submitted,
                "updated_at": submitted,
                "submitted_at": submitted,
            }
        )
        for position, value in spec.answer(rng, person).items():
            question = questions[position]
            for item in question.type.store(question, question.type.validate(question, value)):
                answer_rows.append(
                    {
                        "id": next_ids["answer"],
                        "response_id": response_id,
                        "consultation_id": consultation.id,
                        "question_id": question.id,
                        "item": item.item,
                        "number": item.number,
                        "text": item.text,
                        "ward_id": person["ward_id"],
                        "age_band": person["age_band"],
                        "sex": person["sex"],
                    }
                )
                next_ids["answer"] += 1
    db.session.execute(insert(Response), response_rows)
    db.session.execute(insert(Answer), answer_rows)
    operations.rebuild_tallies(consultation.id)
    coded = _code(spec, consultation, partnership, answer_rows)
    return consultation, len(response_rows), coded


def _code(
    spec: Spec,
    consultation: Consultation,
    partnership: Partnership,
    answer_rows: list[dict[str, Any]],
) -> int:
    """A coding frame, and the answers a coder would tag (by the words they use)."""
    if not spec.codes:
        return 0
    themes = {t.slug: t for t in partnership.themes}
    codes = []
    for position, (label, label_cy, theme, _words) in enumerate(spec.codes, start=1):
        code = FrameCode(
            consultation=consultation,
            label=label,
            label_cy=label_cy,
            theme=themes.get(theme),
            position=position,
        )
        db.session.add(code)
        codes.append(code)
    db.session.flush()
    links = []
    for row in answer_rows:
        text = (row["text"] or "").lower()
        if not text:
            continue
        for code, (_label, _cy, _theme, words) in zip(codes, spec.codes, strict=True):
            if any(word in text for word in words):
                links.append({"answer_id": row["id"], "code_id": code.id})
    if links:
        db.session.execute(insert(answer_codes), links)
    return len(links)


def load_consultations() -> dict[str, int]:
    """The six demo consultations and their responses. Idempotent; a few seconds."""
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == "hartmoor"))
    if partnership is None:
        return {"consultations": 0}
    existing = set(
        db.session.scalars(
            select(Consultation.title).where(Consultation.partnership_id == partnership.id)
        )
    )
    wards = sorted(
        {w.id: w for area in partnership.areas for w in area.wards()}.values(),
        key=lambda w: w.gss_code,
    )
    rng = random.Random(SEED)  # noqa: S311 - made-up demo data, not security
    now = utcnow().replace(microsecond=0)
    next_ids = {
        "response": (db.session.scalar(select(func.max(Response.id))) or 0) + 1,
        "answer": (db.session.scalar(select(func.max(Answer.id))) or 0) + 1,
    }
    used: set[str] = {
        r
        for r in db.session.scalars(
            select(Response.reference).where(Response.reference.is_not(None))
        )
        if r
    }
    resident = db.session.scalar(select(User).where(User.email == "resident@engage.example"))
    created = responses = coded = 0
    for spec in _specs():
        if spec.title in existing:
            continue
        demo_user = resident if spec.status == ConsultationStatus.OUTCOME_PUBLISHED else None
        if demo_user is not None and db.session.scalar(
            select(Response.id)
            .where(Response.user_id == demo_user.id)
            .join(Consultation)
            .where(Consultation.title == spec.title)
        ):
            demo_user = None
        consultation, made, tagged = _create(
            spec, partnership, now, rng, wards, next_ids, used, demo_user
        )
        created += 1
        responses += made
        coded += tagged
        db.session.flush()
        for question in consultation.questions:
            if question.type.is_free_text and len(spec.codes) > 0:
                operations.compute_suggested_groups(question, now)
        operations.sync_register(consultation, None)
    total = db.session.scalar(
        select(func.count())
        .select_from(Response)
        .join(Consultation)
        .where(Consultation.partnership_id == partnership.id)
    )
    return {
        "consultations created": created,
        "responses created": responses,
        "answers coded": coded,
        "responses in total": int(total or 0),
    }
