"""The job interface: statuses, progress, idempotent keys, failures, retries, recovery."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from engage.accounts.models import Role, User
from engage.core.personal_data import erase_personal_data, export_personal_data
from engage.core.time import utcnow
from engage.extensions import db
from engage.jobs import Job, JobStatus, UnknownJob, enqueue_job, retry_job
from engage.jobs.runner import recover_stale_jobs, run_job
from engage.partnerships.models import Organisation
from tests.factories import make_member, make_partnership
from tests.jobs import handlers


def _organisations(prefix: str) -> int:
    db.session.rollback()  # a fresh snapshot (SQLite readers keep theirs)
    return db.session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.name.like(f"{prefix} %"))
    )


def _fresh(job_id: int) -> Job:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Job, job_id)


@pytest.fixture
def owner(app: Flask) -> User:
    partnership = make_partnership("jobs")
    user = make_member(partnership, Role.PARTNER_OFFICER, email="officer@example.org")
    db.session.commit()
    return user


def _enqueue(owner: User, name: str, payload: dict | None = None, key: str | None = None) -> Job:
    partnership_id = owner.memberships[0].partnership_id
    return enqueue_job(
        name, payload or {}, owner_id=owner.id, partnership_id=partnership_id, key=key
    )


def test_a_job_waits_for_the_commit_then_runs_to_success(owner: User) -> None:
    job = _enqueue(owner, "testjobs.add", {"prefix": "Commit", "count": 3})
    assert job.status == JobStatus.QUEUED
    assert job.attempts == 0
    db.session.commit()
    done = _fresh(job.id)
    assert done.status == JobStatus.SUCCEEDED
    assert done.result == {"added": 3, "next_url": "/"}
    assert (done.progress_done, done.progress_total, done.percent) == (3, 3, 100)
    assert done.attempts == 1
    assert done.started_at <= done.finished_at
    assert done.error_code is None
    assert _organisations("Commit") == 3


def test_a_job_whose_transaction_rolls_back_never_runs(owner: User) -> None:
    before = len(handlers.CALLS)
    _enqueue(owner, "testjobs.add", {"prefix": "Rolled", "count": 1})
    db.session.rollback()
    db.session.commit()
    assert len(handlers.CALLS) == before
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_enqueuing_the_same_key_twice_returns_the_existing_job(owner: User) -> None:
    first = _enqueue(owner, "testjobs.add", {"prefix": "Keyed", "count": 2}, key="dataset-1:v1")
    again_before_commit = _enqueue(
        owner, "testjobs.add", {"prefix": "Keyed", "count": 2}, key="dataset-1:v1"
    )
    assert again_before_commit.id == first.id
    db.session.commit()
    again_after_success = _enqueue(
        owner, "testjobs.add", {"prefix": "Keyed", "count": 2}, key="dataset-1:v1"
    )
    db.session.commit()
    assert again_after_success.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert _organisations("Keyed") == 2


def test_a_different_key_makes_a_different_job(owner: User) -> None:
    first = _enqueue(owner, "testjobs.add", {"prefix": "KeyA", "count": 1}, key="a")
    second = _enqueue(owner, "testjobs.add", {"prefix": "KeyB", "count": 1}, key="b")
    db.session.commit()
    assert first.id != second.id


def test_a_failed_jobs_key_is_free_again(owner: User) -> None:
    failed = _enqueue(owner, "testjobs.explodes", {"prefix": "Free"}, key="same")
    db.session.commit()
    assert _fresh(failed.id).status == JobStatus.FAILED
    fresh = _enqueue(owner, "testjobs.explodes", {"prefix": "Free"}, key="same")
    db.session.commit()
    assert fresh.id != failed.id


def test_a_failure_keeps_no_partial_data_and_no_internal_detail(owner: User) -> None:
    job = _enqueue(owner, "testjobs.explodes", {"prefix": "Partial"})
    db.session.commit()
    failed = _fresh(job.id)
    assert failed.status == JobStatus.FAILED
    assert failed.error_code == "internal"
    assert failed.error_message is None
    assert failed.finished_at is not None
    assert _organisations("Partial") == 0


def test_a_domain_error_keeps_its_user_safe_message(owner: User) -> None:
    job = _enqueue(owner, "testjobs.rejects", {"prefix": "Rejected"})
    db.session.commit()
    failed = _fresh(job.id)
    assert (failed.error_code, failed.error_message) == (
        "rejected",
        "The dataset has no rows to import.",
    )
    assert _organisations("Rejected") == 0


def test_an_import_failure_keeps_its_row_errors(owner: User) -> None:
    job = _enqueue(owner, "testjobs.bad_file")
    db.session.commit()
    failed = _fresh(job.id)
    assert failed.error_code == "import_failed"
    assert failed.result == {
        "row_errors": [
            {"row": 3, "column": "population", "message": "Population must be a whole number."}
        ]
    }


def test_a_handler_can_fail_with_its_own_code_and_message(owner: User) -> None:
    job = _enqueue(owner, "testjobs.declines")
    db.session.commit()
    failed = _fresh(job.id)
    assert (failed.error_code, failed.error_message) == (
        "too_big",
        "The file has more than 10,000 rows.",
    )


def test_unknown_job_names_are_refused_when_queued(owner: User) -> None:
    with pytest.raises(UnknownJob):
        _enqueue(owner, "testjobs.no_such_thing")


def test_payloads_must_be_json(owner: User) -> None:
    with pytest.raises(TypeError):
        _enqueue(owner, "testjobs.add", {"when": object()})


def test_retry_runs_a_failed_job_again_once(owner: User) -> None:
    job = _enqueue(owner, "testjobs.flaky", {"prefix": "Flaky"})
    db.session.commit()
    assert _fresh(job.id).status == JobStatus.FAILED
    assert _organisations("Flaky") == 0

    retry_job(job.id)
    db.session.commit()
    done = _fresh(job.id)
    assert done.status == JobStatus.SUCCEEDED
    assert done.attempts == 2
    assert done.result == {"attempt": 2}
    assert _organisations("Flaky") == 3

    calls = len(handlers.CALLS)
    assert retry_job(job.id).status == JobStatus.SUCCEEDED  # idempotent: nothing to do
    db.session.commit()
    assert len(handlers.CALLS) == calls
    assert _fresh(job.id).attempts == 2
    assert _organisations("Flaky") == 3


def test_retry_leaves_queued_jobs_alone(app: Flask, owner: User, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "ENGAGE_JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    job = _enqueue(owner, "testjobs.add", {"prefix": "Queued", "count": 1})
    db.session.flush()
    assert retry_job(job).status == JobStatus.QUEUED
    db.session.rollback()  # never dispatched


def test_an_attempt_that_lost_its_claim_discards_its_work(owner: User) -> None:
    job = _enqueue(owner, "testjobs.loses_its_claim", {"prefix": "Lost"})
    db.session.commit()
    assert _organisations("Lost") == 0
    assert _fresh(job.id).status == JobStatus.RUNNING  # left to the stale sweep


def test_a_job_is_claimed_by_one_run_only(app: Flask, owner: User, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "ENGAGE_JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    job = _enqueue(owner, "testjobs.add", {"prefix": "Once", "count": 1})
    db.session.info.pop("engage_jobs_to_dispatch", None)  # dispatch by hand below
    db.session.commit()
    assert run_job(job.id) == "succeeded"
    assert run_job(job.id) == "skipped"
    assert _organisations("Once") == 1


def test_a_stale_running_job_is_queued_again_and_completes(owner: User) -> None:
    job = _enqueue(owner, "testjobs.add", {"prefix": "Stale", "count": 2})
    db.session.info.pop("engage_jobs_to_dispatch", None)
    job.status, job.run_token, job.attempts = JobStatus.RUNNING, "dead-worker", 1
    job.started_at = job.heartbeat_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    outcome = recover_stale_jobs(stale_after=60)
    assert outcome == {"requeued": [job.id], "failed": []}
    done = _fresh(job.id)
    assert done.status == JobStatus.SUCCEEDED
    assert done.attempts == 2
    assert _organisations("Stale") == 2


def test_a_stale_job_out_of_attempts_fails_as_interrupted(owner: User) -> None:
    job = _enqueue(owner, "testjobs.add", {"prefix": "Tired", "count": 1})
    db.session.info.pop("engage_jobs_to_dispatch", None)
    job.status, job.run_token, job.attempts = JobStatus.RUNNING, "dead-worker", 3
    job.started_at = job.heartbeat_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert recover_stale_jobs(stale_after=60) == {"requeued": [], "failed": [job.id]}
    assert _fresh(job.id).error_code == "interrupted"


def test_a_recently_beating_job_is_left_running(owner: User) -> None:
    job = _enqueue(owner, "testjobs.add", {"prefix": "Alive", "count": 1})
    db.session.info.pop("engage_jobs_to_dispatch", None)
    job.status, job.run_token, job.attempts = JobStatus.RUNNING, "live-worker", 1
    job.started_at = job.heartbeat_at = utcnow()
    db.session.commit()
    assert recover_stale_jobs(stale_after=60) == {"requeued": [], "failed": []}


def test_in_process_thread_mode_shows_progress_and_completes(
    app: Flask, owner: User, monkeypatch
) -> None:
    from tests.conftest import sign_in

    monkeypatch.setitem(app.config, "ENGAGE_JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    client = app.test_client()
    sign_in(client, "officer@example.org")
    handlers.RELEASE.clear()
    handlers.STARTED.clear()
    job = _enqueue(owner, "testjobs.waits")
    db.session.commit()
    try:
        assert handlers.STARTED.wait(timeout=10)
        fragment = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"})
        html = fragment.get_data(as_text=True)
        assert "2 of 4 done (50%)" in html
        assert 'value="2"' in html
        assert 'hx-trigger="every 1s"' in html
    finally:
        handlers.RELEASE.set()
    deadline = time.monotonic() + 10
    while _fresh(job.id).status != JobStatus.SUCCEEDED and time.monotonic() < deadline:
        time.sleep(0.05)
    done = _fresh(job.id)
    assert done.status == JobStatus.SUCCEEDED
    assert (done.progress_done, done.progress_total) == (4, 4)


def test_a_persons_jobs_are_exported_and_unlinked_on_erasure(owner: User) -> None:
    job = _enqueue(owner, "testjobs.add", {"prefix": "Mine", "count": 1})
    db.session.commit()
    exported = export_personal_data(owner)["jobs"]["jobs"]
    assert [(j["id"], j["name"], j["status"]) for j in exported] == [
        (job.id, "testjobs.add", "succeeded")
    ]
    erase_personal_data(owner)
    db.session.commit()
    assert _fresh(job.id).owner_id is None


def test_jobs_left_waiting_can_be_dispatched_again(app: Flask, owner: User, monkeypatch) -> None:
    from engage.jobs.runner import redispatch_queued

    job = _enqueue(owner, "testjobs.add", {"prefix": "Waiting", "count": 1})
    db.session.info.pop("engage_jobs_to_dispatch", None)  # as if Redis had been down
    job.created_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert _fresh(job.id).status == JobStatus.QUEUED
    assert redispatch_queued(older_than=300) == [job.id]
    assert _fresh(job.id).status == JobStatus.SUCCEEDED
    assert redispatch_queued(older_than=300) == []


def test_the_worker_command_needs_redis(app: Flask, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output


def test_the_retry_command_retries_a_failed_job(app: Flask, owner: User) -> None:
    job = _enqueue(owner, "testjobs.flaky", {"prefix": "Cli"})
    db.session.commit()
    job_id = job.id
    result = app.test_cli_runner().invoke(args=["jobs", "retry", str(job_id)])
    assert result.exit_code == 0, result.output
    assert _fresh(job_id).status == JobStatus.SUCCEEDED
    assert _organisations("Cli") == 3
