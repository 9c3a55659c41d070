"""The partner API: bearer tokens only, one organisation's data only, documented responses."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from engage.api.models import ApiToken, hash_token
from engage.api.operations import revoke_token
from engage.extensions import db
from engage.intelligence.models import Dataset, DatasetAnswer, DatasetIndicatorValue
from tests.api.conftest import ApiWorld, documented
from tests.conftest import sign_in

SURVEY_ROWS = (
    [{"Ward": "Ashby Ward 1", "Age": "16-24", "Weight": 1.2, "I feel safe after dark": "Strongly agree"}] * 12
    + [{"Ward": "ashby ward 2", "Age": "25-44", "Weight": 0.8, "I feel safe after dark": "Tend to disagree"}] * 9
    + [{"Ward": "Ashby Ward 3", "Age": "45-64", "Weight": 1, "I feel safe after dark": "Strongly disagree"}] * 2
    + [{"Ward": "Ashby Ward 1", "Age": "45-64", "Weight": 1, "I feel safe after dark": "Don't know"}]
)


def _create(client, partner, **body):  # type: ignore[no-untyped-def]
    payload = {"title": "Residents survey", "shape": "respondent", **body}
    response = client.post("/api/v1/datasets", json=payload, headers=partner.headers)
    return documented(response, "POST"), response


def test_requests_without_a_valid_token_are_refused(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/datasets", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        documented(response, "GET")
    response = client.get("/api/v1/datasets", headers=api_world.police.headers)
    assert documented(response, "GET") == {"datasets": []}
    assert "Set-Cookie" not in response.headers


def test_a_revoked_token_stops_working_at_once(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    assert client.get("/api/v1/themes", headers=api_world.police.headers).status_code == 200
    token = db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == hash_token(api_world.police.secret)))
    assert token.last_used_at is not None
    revoke_token(api_world.police.officer.id, token)
    db.session.commit()
    response = client.get("/api/v1/themes", headers=api_world.police.headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert client.get("/api/v1/themes", headers=api_world.homes.headers).status_code == 200


def test_a_session_cookie_is_refused_even_with_a_token(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    sign_in(client, "police@example.org")
    response = client.get("/api/v1/datasets")
    assert response.status_code == 401
    assert response.get_json()["error"] == "cookies_not_accepted"
    response = client.post("/api/v1/datasets", json={"title": "x", "shape": "respondent"},
                           headers=api_world.police.headers)
    assert response.status_code == 401
    documented(response, "POST")
    assert db.session.scalar(select(func.count()).select_from(Dataset)) == 0


def test_only_the_tokens_own_organisation_can_read_or_write_its_datasets(
    app: Flask, api_world: ApiWorld
) -> None:
    client = app.test_client()
    created, _ = _create(client, api_world.police, sharing="public")
    dataset_id = created["id"]
    homes = api_world.homes.headers
    assert documented(client.get("/api/v1/datasets", headers=homes), "GET") == {"datasets": []}
    for method, url, kwargs in (
        ("GET", f"/api/v1/datasets/{dataset_id}", {}),
        ("GET", f"/api/v1/datasets/{dataset_id}/results", {}),
        ("PUT", f"/api/v1/datasets/{dataset_id}/mapping", {"json": {}}),
        ("POST", f"/api/v1/datasets/{dataset_id}/rows", {"json": {"rows": SURVEY_ROWS}}),
        ("GET", f"/api/v1/datasets/{dataset_id}/imports/1", {}),
    ):
        response = client.open(url, method=method, headers=homes, **kwargs)
        assert response.status_code == 404, (method, url)
        documented(response, method)
    assert db.session.scalar(select(func.count()).select_from(DatasetAnswer)) == 0
    police = documented(client.get("/api/v1/datasets", headers=api_world.police.headers), "GET")
    assert [d["id"] for d in police["datasets"]] == [dataset_id]


def test_json_rows_round_trip_with_small_counts_withheld(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    theme = api_world.partnership.themes[0]
    created, response = _create(client, api_world.police, themes=[theme.slug],
                                fieldwork_start="2025-03-01", fieldwork_end="2025-04-30")
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/datasets/{created['id']}")
    url = f"/api/v1/datasets/{created['id']}"
    mapping = {"columns": {"I feel safe after dark": {"theme": theme.slug, "scale": "agree"}}}
    response = client.post(url + "/rows", json={"rows": SURVEY_ROWS, "mapping": mapping},
                           headers=api_world.police.headers)
    body = documented(response, "POST")
    assert response.status_code == 201, body
    assert body["import"]["status"] == "done"
    assert body["import"]["rows_imported"] == 24
    dataset = documented(client.get(url, headers=api_world.police.headers), "GET")
    assert (dataset["status"], dataset["respondents"], dataset["is_weighted"]) == ("ready", 24, True)
    results = documented(client.get(url + "/results", headers=api_world.police.headers), "GET")
    question = results["questions"][0]
    assert question["theme"] == theme.slug
    assert [c["code"] for c in question["columns"]] == ["positive", "neutral", "negative"]
    by_code = {area["gss_code"]: area for area in question["areas"]}
    assert by_code[api_world.wards[0].gss_code]["base"] == 12
    tiny = by_code[api_world.wards[2].gss_code]
    assert tiny["base"] is None
    assert all(cell["count"] in (None, 0) and cell["share"] is None for cell in tiny["cells"])
    published = [c["count"] for a in question["areas"] for c in a["cells"] if c["count"]]
    assert all(count >= results["threshold"] for count in published)


def test_a_csv_body_uses_the_saved_mapping_and_a_bad_row_imports_nothing(
    app: Flask, api_world: ApiWorld
) -> None:
    client = app.test_client()
    created, _ = _create(client, api_world.police, shape="aggregate", title="Police confidence")
    url = f"/api/v1/datasets/{created['id']}"
    response = client.put(url + "/mapping", json={
        "columns": {"Measure": {"role": "indicator"}, "Ward": {"role": "area"},
                    "Result": {"role": "value"}, "n": {"role": "base"}},
        "area_fixes": {"Old Town": "drop"},
    }, headers=api_world.police.headers)
    assert documented(response, "PUT")["dataset_id"] == created["id"]
    ward = api_world.wards[0]
    good = (f"Measure,Ward,Result,n\n% who feel safe,{ward.gss_code},61.5,120\n"
            f"% who feel safe,Ashby Ward 2,48,3\n% who feel safe,Old Town,50,80\n")
    bad = good + "% who feel safe,Ashby Ward 3,lots,90\n"
    headers = {**api_world.police.headers, "Content-Type": "text/csv"}
    response = client.post(url + "/rows", data=bad.encode(), headers=headers)
    body = documented(response, "POST")
    assert response.status_code == 422
    assert body["error"] == "invalid_rows"
    assert any(problem.startswith("row 5:") for problem in body["problems"])
    assert db.session.scalar(select(func.count()).select_from(DatasetIndicatorValue)) == 0
    response = client.post(url + "/rows", data=good.encode(), headers=headers)
    body = documented(response, "POST")
    assert response.status_code == 201
    assert (body["import"]["rows_imported"], body["import"]["rows_dropped"]) == (2, 1)
    import_url = response.headers["Location"]
    assert documented(client.get(import_url, headers=api_world.police.headers), "GET")["import"]["status"] == "done"
    results = documented(client.get(url + "/results", headers=api_world.police.headers), "GET")
    values = {v["gss_code"]: v["value"] for v in results["indicators"][0]["values"]}
    assert values[ward.gss_code] == 61.5
    assert values[api_world.wards[1].gss_code] is None  # a base of 3


def test_unmappable_rows_are_refused_with_what_to_fix(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    created, _ = _create(client, api_world.police)
    rows = [{"Ward": "Nowhere", "Q": "Agree"}] * 3
    response = client.post(f"/api/v1/datasets/{created['id']}/rows",
                           json={"rows": rows, "mapping": {"columns": {"Missing": {"role": "weight"}}}},
                           headers=api_world.police.headers)
    body = documented(response, "POST")
    assert response.status_code == 422
    assert body["error"] == "mapping_incomplete"
    assert any("Missing" in p for p in body["problems"])
    assert any("Nowhere" in p for p in body["problems"])


def test_bodies_are_checked_against_the_documented_schema(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    headers = api_world.police.headers
    for body in ({}, {"title": "x"}, {"title": "x", "shape": "cube"},
                 {"title": "x", "shape": "aggregate", "colour": "red"},
                 {"title": "   ", "shape": "aggregate"},
                 {"title": "x", "shape": "aggregate", "fieldwork_start": "31/03/2025"}):
        response = client.post("/api/v1/datasets", json=body, headers=headers)
        assert response.status_code == 422, body
        assert documented(response, "POST")["problems"]
    response = client.post("/api/v1/datasets", data="{not json", headers={
        **headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    response = client.post("/api/v1/datasets", data="title=x", headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    documented(response, "POST")


def test_engagement_activities_are_created_and_listed_per_organisation(
    app: Flask, api_world: ApiWorld
) -> None:
    client = app.test_client()
    theme = api_world.partnership.themes[0]
    ward = api_world.wards[0]
    body = {"title": "Street safety walkabouts", "method": "door_to_door", "status": "live",
            "start_date": "2025-05-01", "end_date": "2025-06-30", "themes": [theme.slug],
            "areas": [ward.gss_code], "participants": 40, "cost_pence": 120000}
    response = client.post("/api/v1/activities", json=body, headers=api_world.police.headers)
    created = documented(response, "POST")
    assert response.status_code == 201, created
    assert created["organisation"]["id"] == api_world.police.organisation.id
    assert created["areas"] == [ward.gss_code]
    listed = documented(client.get("/api/v1/activities", headers=api_world.police.headers), "GET")
    assert [a["id"] for a in listed["activities"]] == [created["id"]]
    others = documented(client.get("/api/v1/activities", headers=api_world.homes.headers), "GET")
    assert others == {"activities": []}
    response = client.post("/api/v1/activities", json={**body, "end_date": "2025-01-01"},
                           headers=api_world.police.headers)
    assert response.status_code == 422
    documented(response, "POST")


def test_themes_and_areas_are_listed_for_the_tokens_partnership(
    app: Flask, api_world: ApiWorld
) -> None:
    client = app.test_client()
    themes = documented(client.get("/api/v1/themes", headers=api_world.police.headers), "GET")
    assert api_world.partnership.themes[0].slug in [t["slug"] for t in themes["themes"]]
    areas = documented(client.get("/api/v1/areas", headers=api_world.police.headers), "GET")
    assert {a["gss_code"] for a in areas["areas"]} >= {w.gss_code for w in api_world.wards}


def test_each_token_is_rate_limited_on_its_own(app: Flask, api_world: ApiWorld, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "ENGAGE_API_RATE_LIMIT", "3 per minute")
    client = app.test_client()
    statuses = [client.get("/api/v1/themes", headers=api_world.police.headers).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/themes", headers=api_world.police.headers)
    assert documented(response, "GET")["error"] == "rate_limited"
    assert client.get("/api/v1/themes", headers=api_world.homes.headers).status_code == 200


def test_the_token_page_shows_a_new_token_once_and_revokes_it(app: Flask, api_world: ApiWorld) -> None:
    client = app.test_client()
    sign_in(client, "police@example.org")
    url = f"/partnerships/{api_world.partnership.slug}/api-tokens"
    response = client.post(url, data={"name": "Survey tool",
                                      "organisation_id": str(api_world.police.organisation.id)})
    html = response.get_data(as_text=True)
    secret = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert secret.startswith("engage_")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Survey tool"))
    assert token.token_hash == hash_token(secret)
    assert secret not in client.get(url).get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/themes", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert client.post(f"{url}/{token.id}/revoke").status_code == 302
    assert api.get("/api/v1/themes", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    # The other organisation's officer can neither see nor revoke it.
    other = app.test_client()
    sign_in(other, "homes@example.org")
    assert "Survey tool" not in other.get(url).get_data(as_text=True)
    homes_token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Housing system"))
    assert client.post(f"{url}/{homes_token.id}/revoke").status_code == 404
