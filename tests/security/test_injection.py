"""Injection: script and HTML in every text field come back escaped in pages, htmx fragments
and exports; formula cells are neutralised; SQL metacharacters in filters never break a page;
`next=` never leads off the site.

The page sweep walks every GET route of the URL map, so a new page is covered automatically.
"""

from __future__ import annotations

import csv
import io
import zipfile
from urllib.parse import urlsplit

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from engage.audit.models import EngagementActivity
from engage.extensions import db
from tests.conftest import sign_in
from tests.factories import make_budgeting_process
from tests.test_authorisation import World, _client, _rules, _url

# Starts like a formula, carries a script and an attribute break-out.
PAYLOAD = '=1+2<script>alert("xss")</script>"><img src=x onerror=alert(1)>'
RAW_MARKERS = ("<script>alert(", "<img src=x")
ESCAPED_MARKER = "&lt;script&gt;alert("
SKIP = {"accounts.reset_password", "accounts.two_factor", "accounts.confirm_email",
        "main.language", "main.healthz", "main.readyz", "api.openapi"}


def _poison(world: World) -> None:
    """The payload in every free-text field of the own partnership's records."""
    from engage.budgeting.models import BudgetingProcess
    from engage.consultations.models import Answer, Consultation, FrameCode
    from engage.intelligence.models import Dataset, DatasetImport
    from engage.strategy.models import StrategyComment, StrategyDraft, StrategyIndicator
    from tests.factories import panel_values_for

    own = world.own
    own.name = PAYLOAD
    own.organisations[0].name = "Police " + PAYLOAD
    own.themes[0].name = PAYLOAD
    own.areas[0].wards()[0].name = PAYLOAD
    activity = db.session.scalar(select(EngagementActivity).where(EngagementActivity.partnership_id == own.id))
    activity.title, activity.description = PAYLOAD, PAYLOAD
    activity.participants = 50
    consultation = db.session.scalar(select(Consultation).where(Consultation.partnership_id == own.id))
    consultation.title, consultation.summary = PAYLOAD, PAYLOAD
    for question in consultation.questions:
        question.text = PAYLOAD
    for answer in db.session.scalars(select(Answer).where(Answer.text.is_not(None))):
        answer.text = PAYLOAD
    for code in db.session.scalars(select(FrameCode)):
        code.label = PAYLOAD[:120]
    dataset = db.session.scalar(select(Dataset).where(Dataset.partnership_id == own.id))
    dataset.title, dataset.source, dataset.method, dataset.licence = (PAYLOAD,) * 4
    for record in db.session.scalars(select(DatasetImport).where(DatasetImport.dataset_id == dataset.id)):
        record.filename = "../../" + PAYLOAD + ".csv"
    draft = db.session.scalar(select(StrategyDraft).where(StrategyDraft.partnership_id == own.id))
    draft.title = PAYLOAD
    for section in draft.sections:
        section.title = PAYLOAD
        section.body = PAYLOAD + "\n\n<iframe src=x></iframe> [link](javascript:alert(1))"
    for comment in db.session.scalars(select(StrategyComment)):
        comment.body = PAYLOAD
    for indicator in db.session.scalars(select(StrategyIndicator)):
        indicator.name = PAYLOAD
    make_budgeting_process(own, title=PAYLOAD)
    for process in db.session.scalars(select(BudgetingProcess)):
        for project in process.projects:
            project.title = PAYLOAD
    from engage.panels.models import Panel

    panel_values_for(own)
    for panel in db.session.scalars(select(Panel)):
        panel.name = PAYLOAD
        for volunteer in panel.volunteers:
            volunteer.name = PAYLOAD
    world.users["resident"].display_name = PAYLOAD
    db.session.commit()


def _check_csv(body: bytes) -> list[str]:
    problems = []
    for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not _number(cell)):
                problems.append(cell)
    return problems


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_xlsx(body: bytes) -> list[str]:
    problems = []
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "f" or (
                    isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "@")
                ):
                    problems.append(str(cell.value))
    return problems


def _docx_text(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return archive.read("word/document.xml").decode("utf-8")


@pytest.mark.parametrize("role", ["platform_admin"])
def test_the_payload_comes_back_escaped_on_every_page_fragment_and_export(
    app: Flask, world: World, role: str
) -> None:
    _poison(world)
    client = _client(app, role)
    unescaped, unsafe_cells, seen_escaped, exports = [], [], 0, 0
    for rule in _rules(app):
        if "GET" not in (rule.methods or set()) or rule.endpoint in SKIP:
            continue
        url = _url(rule.rule, world.own, world)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                break
            body = response.get_data()
            kind = response.mimetype
            if kind == "text/csv":
                exports += 1
                unsafe_cells += [(url, c) for c in _check_csv(body)]
                break
            if kind.endswith("spreadsheetml.sheet"):
                exports += 1
                unsafe_cells += [(url, c) for c in _check_xlsx(body)]
                break
            if kind.endswith("wordprocessingml.document"):
                exports += 1
                text = _docx_text(body)
                if "<script>" in text:
                    unescaped.append(url)
                break
            if kind != "text/html":  # JSON (download my data) is served as data, not a page
                break
            text = body.decode("utf-8", "replace")
            if any(marker in text for marker in RAW_MARKERS) or "<iframe" in text or 'href="javascript' in text:
                unescaped.append((url, headers))
            seen_escaped += ESCAPED_MARKER in text
    assert unescaped == [], unescaped
    assert unsafe_cells == [], unsafe_cells
    # The sweep must have met the payload (else it proves nothing).
    assert seen_escaped >= 10
    if role == "platform_admin":
        assert exports >= 5


def test_strategy_docx_and_html_exports_escape_the_payload(app: Flask, world: World) -> None:
    from engage.strategy.exports import export_draft
    from engage.strategy.models import ExportFormat, StrategyDraft

    _poison(world)
    draft = db.session.scalar(select(StrategyDraft).where(StrategyDraft.partnership_id == world.own.id))
    with app.test_request_context():
        docx = export_draft(draft, ExportFormat.DOCX, "en", None).content
        html = export_draft(draft, ExportFormat.HTML, "en", None).content.decode()
    document = _docx_text(docx)
    assert "&lt;script&gt;alert(" in document and "<script>" not in document
    assert ESCAPED_MARKER in html
    assert not any(marker in html for marker in RAW_MARKERS)
    assert "<iframe" not in html and "javascript:" not in html


def test_the_payload_typed_into_forms_is_stored_as_text_and_shown_escaped(
    app: Flask, world: World
) -> None:
    client = _client(app, "partner_officer")
    form = {
        "organisation_id": str(world.own.organisations[0].id), "title": PAYLOAD[:200],
        "description": PAYLOAD, "method": "survey", "theme_ids": [str(world.own.themes[0].id)],
        "is_partnership_wide": "y", "start_date": ["1", "3", "2025"], "end_date": ["31", "3", "2025"],
        "status": "planned", "outcome_published_on": ["", "", ""],
    }
    response = client.post(f"/partnerships/{world.own.slug}/register/new", data=form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ESCAPED_MARKER in page and "<script>alert(" not in page
    fragment = client.get(f"/partnerships/{world.own.slug}/register?q=alert",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert ESCAPED_MARKER in fragment and "<script>alert(" not in fragment
    # An uploaded file's name is data too.
    from tests.factories import intelligence_values_for

    values = intelligence_values_for(world.own)
    response = client.post(
        f"/partnerships/{world.own.slug}/intelligence/datasets/{values['dataset_id']}/upload",
        data={"file": (io.BytesIO(b"Ward,Q1\nA,Agree\n"), '..\\..\\<script>alert("f")</script>.csv')},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(" not in page


# --------------------------------------------------------------------------- SQL metacharacters

SQL_PAYLOADS = ["' OR '1'='1", "1; DROP TABLE users; --", '" OR 1=1 --', "%", "_", "\\", "1e999",
                "-1", "99999999999999999999", "\x00", "ward_id DESC; --", "é' UNION SELECT 1--"]
PARAMETERS = ["q", "page", "organisation", "theme", "ward", "method", "target_group", "status",
              "date_from", "date_to", "area", "group", "months", "overdue", "year", "a", "b",
              "section", "format", "kind", "email", "parent", "partnership", "sort", "order",
              "window", "min_score", "language", "next"]


def test_sql_metacharacters_in_every_filter_and_sort_parameter_never_cause_a_server_error(
    app: Flask, world: World
) -> None:
    client = _client(app, "platform_admin")
    councillor = _client(app, "councillor")
    errors = []
    for rule in _rules(app):
        if "GET" not in (rule.methods or set()) or rule.endpoint in SKIP:
            continue
        url = _url(rule.rule, world.own, world)
        who = councillor if rule.endpoint.startswith("audit.councillor") else client
        # Two requests per route, each parameter a different payload in each (every payload
        # used in every request), so the sweep stays quick as the app grows.
        for offset in (0, 7):
            query = {name: SQL_PAYLOADS[(j + offset) % len(SQL_PAYLOADS)]
                     for j, name in enumerate(PARAMETERS)}
            response = who.get(url, query_string=query)
            if response.status_code >= 500:
                errors.append((url, query, response.status_code))
    assert errors == [], errors


FILTER_PAGES = ["/partnerships/{slug}/register", "/partnerships/{slug}/audit/coverage",
                "/partnerships/{slug}/audit/feedback", "/partnerships/{slug}/audit/duplicates",
                "/partnerships/{slug}/audit/calendar", "/partnerships/{slug}/intelligence",
                "/consultations/{consultation_id}/responses", "/manage/users"]


def test_every_sql_payload_in_every_parameter_of_the_filter_pages(app: Flask, world: World) -> None:
    from tests.factories import consultation_values_for

    client = _client(app, "platform_admin")
    values = {"slug": world.own.slug, **consultation_values_for(world.own)}
    errors = []
    for page in FILTER_PAGES:
        url = page.format(**values)
        for payload in SQL_PAYLOADS:
            response = client.get(url, query_string={name: payload for name in PARAMETERS},
                                  headers={"HX-Request": "true"})
            if response.status_code >= 500:
                errors.append((url, payload, response.status_code))
    assert errors == []


def test_ids_too_big_for_the_database_are_not_found_rather_than_server_errors(
    app: Flask, world: World
) -> None:
    client = _client(app, "platform_admin")
    errors = []
    for rule in _rules(app):
        if "<int:" not in rule.rule:
            continue
        url = _url(rule.rule, world.own, world)
        url = "/".join("99999999999999999999" if part.isdigit() else part for part in url.split("/"))
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            status = client.open(url, method=method).status_code
            if status != 404:
                errors.append((method, url, status))
    assert errors == []


def test_sql_metacharacters_in_a_search_find_nothing_rather_than_everything(
    app: Flask, world: World
) -> None:
    client = _client(app, "platform_admin")
    for payload in ("' OR '1'='1", "%", "_", "' OR 1=1 --"):
        page = client.get(f"/partnerships/{world.own.slug}/register", query_string={"q": payload},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "residents&#39; survey" not in page and "residents' survey" not in page, payload
        users = client.get("/manage/users", query_string={"email": payload}).get_data(as_text=True)
        assert "resident@example.org" not in users, payload
    # The real search still works.
    page = client.get(f"/partnerships/{world.own.slug}/register", query_string={"q": "survey"},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "survey" in page


# --------------------------------------------------------------------------- open redirects

BAD_NEXT = ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
            "javascript:alert(1)", "http:evil.example", "/%2F%2Fevil.example", "///evil.example",
            " //evil.example", "/\t/evil.example", "https:/\\evil.example", "data:text/html,x"]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_next_never_leads_off_the_site(app: Flask, world: World, target: str) -> None:
    client = app.test_client()
    client.get("/account/sign-in", query_string={"next": target})
    response = sign_in(client, "resident@example.org")
    for location in (response.headers["Location"],
                     client.get("/language/cy", query_string={"next": target}).headers["Location"]):
        # Only a path on this site: no scheme, no host, nothing a browser reads as one.
        parts = urlsplit(location)
        assert (parts.scheme, parts.netloc) == ("", ""), location
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location


def test_a_safe_next_is_still_followed(app: Flask, world: World) -> None:
    client = app.test_client()
    client.get("/account/sign-in", query_string={"next": "/account/"})
    assert sign_in(client, "resident@example.org").headers["Location"] == "/account/"
