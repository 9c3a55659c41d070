"""Panels pages: public sign-up, import, quotas, selection as a job, members, report."""

from __future__ import annotations

import io

from engage.accounts.models import Role
from engage.extensions import db
from engage.panels import operations
from engage.panels.models import MemberStatus, Panel, PanelMember, Selection, Volunteer
from tests.conftest import sign_in
from tests.factories import make_member, make_panel, make_partnership


def _setup(pool: int = 60) -> tuple[Panel, str]:
    partnership = make_partnership("own")
    make_member(partnership, Role.COORDINATOR, email="coordinator@example.org")
    panel = make_panel(partnership, pool=pool)
    db.session.commit()
    return panel, f"/partnerships/own/panels/{panel.id}"


def test_anyone_can_volunteer_with_separate_special_category_consent(app, client) -> None:
    panel, base = _setup(pool=0)
    panel.features = ["sex", "ethnicity"]
    db.session.commit()
    page = client.get(f"{base}/join")
    assert page.status_code == 200
    assert "ethnicity and disability" in page.get_data(as_text=True)
    response = client.post(f"{base}/join", data={
        "name": "Ann Example", "email": "ann@example.org", "address": "1 High St",
        "postcode": "AB1 2CD", "contact_preference": "email", "feature_sex": "female",
        "feature_ethnicity": "asian",
    })
    assert response.status_code == 200
    assert "Thank you for volunteering" in response.get_data(as_text=True)
    volunteer = db.session.scalar(db.select(Volunteer))
    assert volunteer.demographics == {"sex": "female"}  # no consent: ethnicity not kept
    again = client.post(f"{base}/join", data={
        "name": "Bob Example", "address": "1 high st.", "postcode": "ab12cd",
        "contact_preference": "email",
    })
    assert "one person per household" in again.get_data(as_text=True)


def test_privacy_notice_is_public(app, client) -> None:
    _panel, base = _setup(pool=0)
    page = client.get(f"{base}/privacy")
    assert page.status_code == 200 and "only if you agree" in page.get_data(as_text=True)


def test_import_shows_row_numbered_errors_and_imports_nothing(app, client) -> None:
    _panel, base = _setup(pool=0)
    sign_in(client, "coordinator@example.org")
    response = client.post(f"{base}/import", data={
        "people": (io.BytesIO(b"id,sex\nA1,female\nA2,robot\n"), "people.csv"),
        "features": (io.BytesIO(b"feature,value,min,max\nsex,female,0,2\nsex,male,0,2\n"), "f.csv"),
    }, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was imported" in html and "“robot” is not one of the values" in html
    assert db.session.scalar(db.select(db.func.count(Volunteer.id))) == 0


def test_selection_runs_as_a_job_and_stores_members(app, client) -> None:
    _panel, base = _setup()
    sign_in(client, "coordinator@example.org")
    assert client.post(f"{base}/quotas", data={"tolerance": "1"}).status_code == 302
    page = client.get(f"{base}/select")
    assert "A panel meeting every quota can be selected" in page.get_data(as_text=True)
    response = client.post(f"{base}/select", data={"algorithm": "leximin", "seed": "12"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    selection = db.session.scalar(db.select(Selection))
    assert selection is not None and selection.seed == 12 and len(selection.selected) == 10
    assert db.session.scalar(db.select(db.func.count(PanelMember.id))) == 10
    detail = client.get(f"{base}/selections/{selection.id}")
    assert detail.status_code == 200
    csv = client.get(f"{base}/selections/{selection.id}?format=csv").get_data(as_text=True)
    assert csv.lstrip("\ufeff").splitlines()[0] == "id,probability" and len(csv.splitlines()) == 61
    for path in ("", "/members", "/report", "/volunteers"):
        assert client.get(f"{base}{path}").status_code == 200, path


def test_withdrawn_member_is_replaced_from_the_members_page(app, client) -> None:
    panel, base = _setup()
    operations.set_quotas_from_census(panel, 1, actor_id=None)
    operations.select_members(panel, operations.Algorithm.LEXIMIN, 3, actor_id=None)
    member = panel.members[0]
    db.session.commit()
    sign_in(client, "coordinator@example.org")
    client.post(f"{base}/members/{member.id}", data={"status": "withdrawn"})
    response = client.post(f"{base}/members", data={"replace-seed": "4", "replace-submit": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    current = db.session.scalars(db.select(PanelMember).where(
        PanelMember.status != MemberStatus.WITHDRAWN)).all()
    assert len(current) == 10


def test_infeasible_quotas_block_selection_with_the_reason(app, client) -> None:
    _panel, base = _setup(pool=5)
    sign_in(client, "coordinator@example.org")
    client.post(f"{base}/quotas", data={"tolerance": "1"})
    page = client.post(f"{base}/select", data={"algorithm": "leximin", "seed": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The panel needs 10 people but the pool has only 5 volunteers, 5 too few." in html
    assert db.session.scalar(db.select(Selection)) is None
