"""The job status page: who may see it, the htmx fragment and the no-JavaScript page, retry."""

from __future__ import annotations

import pytest
from flask import Flask

from engage.accounts.models import Role, User
from engage.extensions import db
from engage.jobs import Job, JobStatus, enqueue_job
from tests.conftest import sign_in
from tests.factories import make_member, make_partnership
from tests.jobs import handlers  # noqa: F401  (registers the test handlers)


@pytest.fixture
def people(app: Flask) -> dict[str, User]:
    own, other = make_partnership("own"), make_partnership("other")
    people = {
        "owner": make_member(own, Role.PARTNER_OFFICER, email="owner@example.org"),
        "coordinator": make_member(own, Role.COORDINATOR, email="coordinator@example.org"),
        "admin": make_member(own, Role.ADMIN, email="admin@example.org"),
        "resident": make_member(own, Role.RESIDENT, email="resident@example.org"),
        "officer": make_member(own, Role.PARTNER_OFFICER, email="officer@example.org"),
        "councillor": make_member(own, Role.COUNCILLOR, email="councillor@example.org"),
        "elsewhere": make_member(other, Role.COORDINATOR, email="elsewhere@example.org"),
    }
    db.session.commit()
    return people


def _job(
    people: dict[str, User], name: str, payload: dict | None = None, *, dispatch: bool = True
) -> Job:
    owner = people["owner"]
    job = enqueue_job(
        name, payload or {}, owner_id=owner.id, partnership_id=owner.memberships[0].partnership_id
    )
    if not dispatch:
        db.session.info.pop("engage_jobs_to_dispatch", None)
    db.session.commit()
    return job


def _client(app: Flask, who: str):
    client = app.test_client()
    sign_in(client, f"{who}@example.org")
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("coordinator", 200),
        ("admin", 200),
        ("resident", 404),
        ("officer", 404),
        ("councillor", 404),
        ("elsewhere", 404),
    ],
)
def test_only_the_owner_and_the_partnerships_coordinators_see_a_job(
    app: Flask, people: dict[str, User], who: str, status: int
) -> None:
    job = _job(people, "testjobs.add", {"prefix": "Seen", "count": 1})
    assert _client(app, who).get(f"/jobs/{job.id}").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, people: dict[str, User]) -> None:
    job = _job(people, "testjobs.add", {"prefix": "Anon", "count": 1})
    response = app.test_client().get(f"/jobs/{job.id}")
    assert response.status_code == 302
    assert "/account/sign-in" in response.headers["Location"]


def test_a_missing_job_is_not_found(app: Flask, people: dict[str, User]) -> None:
    assert _client(app, "owner").get("/jobs/999999").status_code == 404


def test_a_waiting_job_polls_with_htmx_and_refreshes_without_javascript(
    app: Flask, people: dict[str, User]
) -> None:
    job = _job(people, "testjobs.add", {"prefix": "Poll", "count": 1}, dispatch=False)
    client = _client(app, "owner")
    page = client.get(f"/jobs/{job.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<html" in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert 'hx-trigger="every 1s"' in html
    assert f'hx-get="/jobs/{job.id}"' in html
    assert "Refresh this page" in html
    assert "Waiting to start" in html
    assert "HX-Request" in page.headers["Vary"]

    fragment = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"})
    part = fragment.get_data(as_text=True)
    assert "<html" not in part
    assert part.lstrip().startswith('<div id="job-status"')
    assert 'hx-trigger="every 1s"' in part
    assert "HX-Request" in fragment.headers["Vary"]

    boosted = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_a_finished_job_stops_polling_and_links_onwards(
    app: Flask, people: dict[str, User]
) -> None:
    job = _job(people, "testjobs.add", {"prefix": "Done", "count": 2})
    client = _client(app, "owner")
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Finished" in html
    assert "hx-trigger" not in html
    assert 'http-equiv="refresh"' not in html
    assert '<a class="govuk-link" href="/">' in html
    fragment = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"})
    assert "hx-trigger" not in fragment.get_data(as_text=True)


def test_a_failed_job_shows_a_safe_message_and_offers_to_try_again(
    app: Flask, people: dict[str, User]
) -> None:
    job = _job(people, "testjobs.explodes", {"prefix": "Oops"})
    html = _client(app, "owner").get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret" not in html
    assert "Try again" in html
    assert "hx-trigger" not in html


def test_import_row_errors_are_listed(app: Flask, people: dict[str, User]) -> None:
    job = _job(people, "testjobs.bad_file")
    html = _client(app, "owner").get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "nothing was imported" in html
    assert "Population must be a whole number." in html
    assert '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Row</th>' in html


def test_try_again_reruns_the_failed_job(app: Flask, people: dict[str, User]) -> None:
    job = _job(people, "testjobs.flaky", {"prefix": "Again"})
    client = _client(app, "coordinator")
    response = client.post(f"/jobs/{job.id}/retry")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    db.session.expire_all()
    refreshed = db.session.get(Job, job.id)
    assert (refreshed.status, refreshed.attempts) == (JobStatus.SUCCEEDED, 2)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Attempts" in page


def test_others_cannot_retry_a_job(app: Flask, people: dict[str, User]) -> None:
    job = _job(people, "testjobs.explodes", {"prefix": "NotYours"})
    for who in ("resident", "elsewhere"):
        assert _client(app, who).post(f"/jobs/{job.id}/retry").status_code == 404
    db.session.expire_all()
    assert db.session.get(Job, job.id).attempts == 1


def test_the_page_is_in_welsh_for_welsh_speakers(app: Flask, people: dict[str, User]) -> None:
    job = _job(people, "testjobs.add", {"prefix": "Cymraeg", "count": 1})
    client = _client(app, "owner")
    client.get("/language/cy")
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'lang="cy"' in html


def test_a_failure_caused_by_the_input_is_not_offered_again(
    app: Flask, people: dict[str, User]
) -> None:
    job = _job(people, "testjobs.bad_file")
    client = _client(app, "owner")
    assert "Try again" not in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert client.post(f"/jobs/{job.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, job.id).attempts == 1
