"""Privacy: no published cell below the threshold, not even by differencing two queries;
special-category values never in logs or URLs; "download my data" covers every domain;
erasure and retention can run twice.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engage.accounts import operations as account_operations
from engage.accounts.models import User
from engage.core.personal_data import _exporters
from engage.core.time import utcnow
from engage.extensions import db
from tests.conftest import sign_in
from tests.intelligence.conftest import (
    Place,
    new_dataset,
    place,  # noqa: F401  (fixture)
    run,
    upload,
)
from tests.test_authorisation import World, _client

ENGAGE = Path(__file__).resolve().parents[2] / "engage"

# --------------------------------------------------------------------------- differencing


def _survey(counts: dict[str, tuple[int, int]]) -> str:
    lines, number = ["Respondent ID,Ward,I feel safe after dark\n"], 0
    for ward, (agree, disagree) in counts.items():
        for answer, times in (("Strongly agree", agree), ("Strongly disagree", disagree)):
            for _ in range(times):
                number += 1
                lines.append(f"{number},{ward},{answer}\n")
    return "".join(lines)


def test_a_ward_filter_and_the_all_areas_total_cannot_be_differenced(app: Flask, place: Place) -> None:  # noqa: F811
    from engage.intelligence import operations
    from engage.intelligence.models import DatasetStatus, QuestionKind
    from engage.jobs import JobStatus

    threshold = app.config["ENGAGE_DISCLOSURE_THRESHOLD"]
    counts = {"St Anne's": (9, 8), "Castle & Mead": (3, 9), "Riverside": (10, 10)}
    dataset = new_dataset(place)
    assert run(upload(dataset, _survey(counts))).status == JobStatus.SUCCEEDED
    db.session.refresh(dataset)
    assert dataset.status == DatasetStatus.READY
    questions = operations.visible_questions(dataset, kind=QuestionKind.QUESTION)
    everywhere = operations.wards_in(None, place.partnership)
    queries = [everywhere, operations.wards_in(place.partnership.areas[0], place.partnership)]
    queries += [[ward] for ward in everywhere]
    known: dict[tuple[int, int], int] = {}
    totals: dict[int, int] = {}
    for wards in queries:
        (view,) = operations.question_views(dataset, questions, wards)
        result = view.result
        for row in result.areas:
            for j, cell in enumerate(row.cells):
                if cell.count is not None:
                    known[(row.area_id, j)] = cell.count
        if len(wards) == len(everywhere):
            totals.update({j: c.count for j, c in enumerate(result.overall.cells) if c.count is not None})
        else:  # a subset's total: it must not tell more than its published rows do
            for j, cell in enumerate(result.overall.cells):
                if cell.count is not None:
                    assert cell.count == sum(known[(w.id, j)] for w in wards)
    small = next(w for w in everywhere if w.name == "Castle & Mead")
    assert (small.id, 0) not in known  # the 3 who agree are never published...
    # ...and no column total minus the other published wards gives any small count away.
    for j, total in totals.items():
        hidden = [w for w in everywhere if (w.id, j) not in known]
        if len(hidden) == 1:
            derived = total - sum(known[(w.id, j)] for w in everywhere if w not in hidden)
            assert not 0 < derived < threshold, (hidden[0].name, j, derived)


def test_ward_feedback_and_consultation_results_hide_small_counts(app: Flask, world: World) -> None:
    """The councillor's ward table and the results page: no published count below the threshold."""
    threshold = app.config["ENGAGE_DISCLOSURE_THRESHOLD"]
    client = _client(app, "councillor")
    from tests.factories import consultation_values_for

    values = consultation_values_for(world.own)
    ward = world.own.areas[0].wards()[0]
    pages = [
        f"/consultations/{values['consultation_id']}/results",
        f"/partnerships/{world.own.slug}/wards/{ward.gss_code}/feedback",
        f"/partnerships/{world.own.slug}/wards/{ward.gss_code}",
    ]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        cells = re.findall(r'<td class="govuk-table__cell[^"]*"[^>]*>\s*(\d+)\s*</td>', html)
        assert not [c for c in cells if 0 < int(c) < threshold], url


def test_consultation_results_for_a_ward_cannot_be_differenced_from_the_whole_area(
    app: Flask, world: World
) -> None:
    from engage.consultations import operations as ops
    from engage.consultations.models import Consultation

    threshold = app.config["ENGAGE_DISCLOSURE_THRESHOLD"]
    consultation = db.session.scalar(select(Consultation).where(Consultation.partnership_id == world.own.id))
    single = consultation.questions[0]
    wards = world.own.areas[0].wards()
    for ward, parks, buses, women in ((wards[0], 9, 6, 5), (wards[1], 2, 8, 2)):
        for code, times in (("o1", parks), ("o2", buses)):
            for n in range(times):
                response = ops.start_response(consultation, None, utcnow())
                about = {"ward_id": ward.id, "sex": "female" if code == "o2" and n < women else None}
                ops.save_draft(response, utcnow(), answers={str(single.id): code}, about=about)
                ops.submit_response(response, utcnow())
    db.session.commit()
    client = _client(app, "councillor")

    def parks(area: str) -> int | None:
        html = client.get(f"/consultations/{consultation.id}/results",
                          query_string={"area": area}).get_data(as_text=True)
        found = re.search(r"Parks</t[hd]>\s*<td[^>]*>\s*(\d+)\s*<", html)
        return int(found.group(1)) if found else None

    whole, ward_one = parks(""), parks(str(wards[0].id))
    assert whole is not None  # the whole area is published
    if ward_one is not None:
        assert not 0 < whole - ward_one < threshold, (whole, ward_one)

    def women(area: str) -> int | None:  # "Who responded": Female
        html = client.get(f"/consultations/{consultation.id}/results",
                          query_string={"area": area}).get_data(as_text=True)
        found = re.search(r"Female</t[hd]>\s*<td[^>]*>\s*(\d+)\s*<", html)
        return int(found.group(1)) if found else None

    whole, ward_one = women(""), women(str(wards[0].id))
    assert whole == 7
    if ward_one is not None:
        assert not 0 < whole - ward_one < threshold, (whole, ward_one)


# --------------------------------------------------------------------------- special category


def test_special_category_answers_never_reach_logs_or_urls(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from engage.consultations.models import Consultation, Response
    from tests.consultations.conftest import question

    consultation = db.session.scalar(select(Consultation).where(Consultation.partnership_id == world.own.id))
    client = app.test_client()
    urls: list[str] = []

    def go(method: str, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        response = client.open(url, method=method, **kwargs)
        urls.append(url)
        urls.append(response.headers.get("Location", ""))
        return response

    caplog.set_level(logging.DEBUG)
    go("GET", f"/consultations/{consultation.id}/respond/1")
    go("POST", f"/consultations/{consultation.id}/respond/1", data={
        question(consultation, "single_choice").field_name: "o1",
        question(consultation, "free_text").field_name: "Fine"})
    page = go("GET", f"/consultations/{consultation.id}/respond/about-you").get_data(as_text=True)
    # The form posts: its answers never go into an address.
    forms = re.findall(r"<form[^>]*>", page)
    assert forms and all('method="post"' in f.lower() for f in forms if "about-you" in f or 'action=""' in f)
    go("POST", f"/consultations/{consultation.id}/respond/about-you", data={
        "ethnicity": "white_other", "disability": "not_disabled", "special_category_consent": "yes"})
    go("POST", f"/consultations/{consultation.id}/respond/check")
    stored = db.session.scalar(select(Response).where(Response.ethnicity == "white_other"))
    assert stored is not None and stored.disability == "not_disabled"
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert "white_other" not in logged and "not_disabled" not in logged
    assert not [u for u in urls if "white_other" in u or "not_disabled" in u or "ethnicity" in u]


def test_no_route_takes_special_category_data_in_its_address(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        assert not {"ethnicity", "disability"} & set(rule.arguments), rule.rule
    for path in ENGAGE.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"request\.args\.get\(\s*[\"'](ethnicity|disability)", text), path


# --------------------------------------------------------------------------- export and erasure


def test_every_domain_holding_personal_data_exports_and_erases_it(app: Flask) -> None:
    holders = set()
    for path in ENGAGE.glob("*/models.py"):
        if 'ForeignKey("users.id"' in path.read_text():
            holders.add(path.parent.name)
    # accounts exports the account itself; core's audit log is in the accounts export.
    missing = holders - {"accounts", "core"} - set(_exporters)
    assert not missing, f"register_personal_data missing for: {sorted(missing)}"


def test_download_my_data_covers_a_resident_across_domains_and_erasure_twice_is_harmless(
    app: Flask, world: World
) -> None:
    from engage.budgeting import operations as pb
    from engage.budgeting.models import BudgetBallot
    from engage.consultations import operations as consultations
    from engage.consultations.models import Consultation, Response
    from tests.factories import make_budgeting_process

    user = world.users["resident"]
    user.email_confirmed_at = utcnow()
    process = make_budgeting_process(world.own)
    ballot = pb.cast_online(process, user, ["A"], None, True)
    consultation = db.session.scalar(select(Consultation).where(Consultation.partnership_id == world.own.id))
    response = consultations.start_response(consultation, user, utcnow())
    consultations.save_draft(response, utcnow(), answers={str(consultation.questions[1].id): "Mine"})
    consultations.submit_response(response, utcnow())
    db.session.commit()
    client = app.test_client()
    sign_in(client, "resident@example.org")
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    assert set(data) == {"account", *_exporters}
    flat = json.dumps(data)
    assert ballot.receipt_code in flat and "Mine" in flat and "resident@example.org" in flat
    # Erasure, twice: the second run finds nothing more to do and breaks nothing.
    for _ in range(2):
        account_operations.erase_account(db.session.get(User, user.id))
        db.session.commit()
    erased = db.session.get(User, user.id)
    assert erased.erased_at is not None and erased.email != "resident@example.org"
    assert db.session.get(BudgetBallot, ballot.id).user_id is None  # still counted, unlinked
    assert db.session.get(Response, response.id).user_id is None
    again = json.dumps(account_operations.export_account(erased))
    assert "Mine" not in again and ballot.receipt_code not in again


def test_retention_jobs_can_run_twice(app: Flask, world: World) -> None:
    from engage.consultations.operations import purge_stale_drafts
    from engage.panels.operations import purge_unselected

    later = utcnow() + timedelta(days=3650)
    first = (purge_stale_drafts(later), purge_unselected(later))
    db.session.commit()
    second = (purge_stale_drafts(later), purge_unselected(later))
    db.session.commit()
    assert second == (0, 0)
    assert first[0] >= 0 and first[1] >= 0
