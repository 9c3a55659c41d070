"""The partner JSON API under /api/v1, for organisation tokens only.

Why this blueprint is the one CSRF exemption. CSRF is an attack on *ambient* credentials: a
browser attaches the session cookie to a forged cross-site request by itself. This API does
not accept ambient credentials at all:

- it authenticates only with ``Authorization: Bearer <token>``, a header no browser adds to a
  cross-site request on its own (and a page that wanted to add it would need a CORS preflight,
  which this app never grants);
- it refuses any request that carries the Engage session cookie (401), so a signed-in browser
  can never use it, with or without a token, and it never sets or reads the session.

Every browser form stays protected: tests/test_csrf.py checks that the API blueprint is the
only exemption, that every other POST route refuses a missing CSRF token, and that every API
route refuses cookie-carrying requests. Requests are rate-limited per token.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from engage.api import operations, resources
from engage.api.models import ApiToken
from engage.api.openapi import SCHEMAS, openapi_document
from engage.api.schema_check import validate
from engage.core.errors import EngageError
from engage.core.transactions import write_intent
from engage.extensions import csrf, db, limiter
from engage.intelligence import importer
from engage.intelligence import operations as intelligence
from engage.intelligence.mapping import DatasetShape
from engage.intelligence.models import Dataset, DatasetImport, ImportStatus, Sharing
from engage.jobs import JobStatus, get_job
from engage.partnerships.models import Area, Partnership

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # token-only, cookie-refusing: see the module docstring


@bp.record_once
def _api_id_converter(state: BlueprintSetupState) -> None:
    """`<api_id:...>`: any whole number. The app's `int` stops matching above the largest
    database id, which would leave the router to answer an HTML 404; here the route matches
    and _ids_in_range answers an out-of-range id with the API's JSON 404. Recorded before the
    routes, so the converter exists when they are added."""
    state.app.url_map.converters.setdefault("api_id", IntegerConverter)


def _rate_limit() -> str:
    return str(current_app.config.get("ENGAGE_API_RATE_LIMIT", "120 per minute"))


def _rate_key() -> str:
    """Per token (by its hash: no database look-up before the limit), else per address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return "api-token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return "api-address:" + (get_remote_address() or "")


limiter.limit(_rate_limit, key_func=_rate_key)(bp)


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="engage"'
    return response


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
             413: "too_large", 415: "unsupported_media_type", 429: "rate_limited"}
    return _error(status, codes.get(status, "error"), error.description or error.name)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("API error on %s", request.path)
    db.session.rollback()
    return _error(500, "internal", "Something went wrong; nothing was half-saved.")


MAX_ID = 2_147_483_647


@bp.url_value_preprocessor
def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Ids beyond what the database stores cannot exist: 404, not a database error."""
    for name, value in (values or {}).items():
        if name.endswith("_id") and isinstance(value, int) and not 0 < value <= MAX_ID:
            raise _Reject(404, "not_found", "No such record.")


@bp.before_request
def _authenticate() -> Response | None:
    """Bearer tokens only; a request carrying the session cookie is refused."""
    if request.endpoint == "api.openapi":
        return None
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return _error(401, "cookies_not_accepted",
                      "The API does not accept browser sessions: send a bearer token, no cookies.")
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _error(401, "missing_token", "Send Authorization: Bearer <token>.")
    token = operations.find_token(header[7:].strip())
    if token is None:
        return _error(401, "invalid_token", "The token is not valid or has been revoked.")
    if operations.needs_touch(token):
        token_id = token.id
        db.session.rollback()
        with write_intent():
            fresh = db.session.get(ApiToken, token_id)
            if fresh is not None:
                operations.touch_token(fresh)
                db.session.commit()
        token = db.session.get(ApiToken, token_id)
        if token is None or not token.is_active:
            return _error(401, "invalid_token", "The token is not valid or has been revoked.")
    g.api_token = token
    return None


def _token() -> ApiToken:
    token: ApiToken = g.api_token
    return token


def _partnership() -> Partnership:
    return _token().partnership


def _json_body(schema: str) -> Any:
    """The request's JSON, checked against the documented schema (422 listing every problem)."""
    if not request.is_json:
        raise _Reject(415, "unsupported_media_type", "Send application/json.")
    data = request.get_json(silent=True)
    if data is None and request.get_data(cache=True).strip() != b"null":
        raise _Reject(400, "bad_json", "The body is not valid JSON.")
    problems = validate(data, SCHEMAS[schema], SCHEMAS)
    if problems:
        raise _Reject(422, "invalid_body", "The body does not match the schema.", problems=problems)
    return data


class _Reject(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(code)
        self.response = _error(status, code, message, **extra)


@bp.errorhandler(_Reject)
def _rejected(error: _Reject) -> Response:
    db.session.rollback()
    return error.response


def _own_dataset(dataset_id: int) -> Dataset:
    """One of the token's organisation's datasets in its partnership; 404 for anything else."""
    token = _token()
    dataset = db.session.get(Dataset, dataset_id)
    if (
        dataset is None
        or dataset.partnership_id != token.partnership_id
        or dataset.organisation_id != token.organisation_id
    ):
        raise _Reject(404, "not_found", "No such dataset of your organisation.")
    return dataset


def _themes_by_slug(partnership: Partnership) -> dict[str, int]:
    return {t.slug: t.id for t in intelligence.partnership_themes(partnership)}


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# --------------------------------------------------------------------------- document


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description (public: it describes, it reveals no data)."""
    response = jsonify(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --------------------------------------------------------------------------- datasets


@bp.get("/v1/datasets")
def datasets() -> Response:
    token = _token()
    found = db.session.scalars(
        select(Dataset).where(
            Dataset.partnership_id == token.partnership_id,
            Dataset.organisation_id == token.organisation_id,
        ).order_by(Dataset.id)
    )
    return jsonify({"datasets": [resources.dataset_json(d) for d in found]})


@bp.post("/v1/datasets")
def create_dataset() -> tuple[Response, int, dict[str, str]]:
    body = _json_body("DatasetInput")
    partnership = _partnership()
    themes = _themes_by_slug(partnership)
    unknown = [slug for slug in body.get("themes", []) if slug not in themes]
    if unknown:
        raise _Reject(422, "unknown_theme", "Use theme slugs from /api/v1/themes.",
                      problems=[f"themes: unknown {slug}" for slug in unknown])
    details = intelligence.DatasetDetails(
        title=body["title"],
        source=body.get("source", ""),
        method=body.get("method", ""),
        fieldwork_start=_date(body.get("fieldwork_start")),
        fieldwork_end=_date(body.get("fieldwork_end")),
        sample_size=int(body["sample_size"]) if body.get("sample_size") is not None else None,
        weighting_note=body.get("weighting_note", ""),
        sharing=Sharing(body.get("sharing", Sharing.ORGANISATION.value)),
        licence=body.get("licence", ""),
        theme_ids=sorted({themes[slug] for slug in body.get("themes", [])}),
    )
    try:
        dataset = intelligence.create_dataset(
            None, partnership, _token().organisation, DatasetShape(body["shape"]), details
        )
    except EngageError as error:
        raise _Reject(422, "rejected", str(error)) from error
    db.session.commit()
    location = url_for("api.dataset", dataset_id=dataset.id)
    return jsonify(resources.dataset_json(dataset)), 201, {"Location": location}


@bp.get("/v1/datasets/<api_id:dataset_id>")
def dataset(dataset_id: int) -> Response:
    return jsonify(resources.dataset_json(_own_dataset(dataset_id)))


@bp.put("/v1/datasets/<api_id:dataset_id>/mapping")
def dataset_mapping(dataset_id: int) -> Response:
    """Keep a by-name mapping for later uploads (CSV bodies cannot carry one)."""
    found = _own_dataset(dataset_id)
    body = _json_body("Mapping")
    themes = _themes_by_slug(found.partnership)
    problems = [
        f"columns.{name}.theme: unknown theme {spec['theme']}"
        for name, spec in body.get("columns", {}).items()
        if spec.get("theme") is not None and spec["theme"] not in themes
    ]
    if problems:
        raise _Reject(422, "unknown_theme", "Use theme slugs from /api/v1/themes.",
                      problems=problems)
    found.api_mapping = body
    db.session.commit()
    return jsonify({"dataset_id": found.id, "mapping": body})


def _rows_to_csv(rows: list[dict[str, Any]]) -> bytes:
    """JSON rows as a UTF-8 CSV, so they take exactly the same path as an uploaded file."""
    header: dict[str, None] = {}
    for row in rows:
        for key in row:
            header.setdefault(str(key), None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@bp.post("/v1/datasets/<api_id:dataset_id>/rows")
def dataset_rows(dataset_id: int) -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    """Replace the dataset's rows, all or nothing, through the same import as uploads."""
    found = _own_dataset(dataset_id)
    spec: dict[str, Any] = dict(found.api_mapping or {})
    if request.mimetype == "text/csv":
        stream, filename = request.stream, "api-upload.csv"
    elif request.is_json:
        body = _json_body("RowsInput")
        if not body["rows"]:
            raise _Reject(422, "no_rows", "Send at least one row.")
        if isinstance(body.get("mapping"), dict):
            spec = body["mapping"]
        stream, filename = io.BytesIO(_rows_to_csv(body["rows"])), "api-rows.csv"
    else:
        raise _Reject(415, "unsupported_media_type", "Send application/json or text/csv.")
    if any(intelligence.import_state(i) in (ImportStatus.QUEUED, ImportStatus.LOADING)
           for i in found.imports):
        raise _Reject(422, "busy", "Another upload of this dataset is being imported.")
    try:
        record = intelligence.start_upload(None, found, stream, filename)
    except EngageError as error:
        raise _Reject(422, "unreadable", str(error)) from error
    mapping = intelligence.import_mapping(record)
    profile = {p.index: list(p.distinct) for p in intelligence.import_profile(record)}
    areas = {a.gss_code.upper(): a.id for a in importer.known_areas(
        found.partnership, wards_only=found.shape == DatasetShape.RESPONDENT)}
    problems = resources.apply_mapping_spec(
        mapping, spec, profile, _themes_by_slug(found.partnership), areas
    )
    intelligence.save_mapping(None, record, mapping)
    check = intelligence.check_mapping(record)
    if problems or not check.ready:
        db.session.commit()  # keep the upload, so the client can see what to fix
        return jsonify({
            "error": "mapping_incomplete",
            "message": "The rows could not be mapped: nothing was imported.",
            "problems": problems + list(check.problems)
            + [f"area_fixes: {value!r} matches no area" for value in check.unmatched],
        }), 422
    try:
        job = intelligence.start_import(None, record)
    except EngageError as error:
        raise _Reject(422, "rejected", str(error)) from error
    db.session.commit()  # the import job starts now
    db.session.expire_all()
    record = db.session.get(DatasetImport, record.id)  # type: ignore[assignment]
    outcome = get_job(job.id)
    location = url_for("api.dataset_import", dataset_id=found.id, import_id=record.id)
    if outcome is not None and outcome.status == JobStatus.FAILED:
        return jsonify({
            "error": "invalid_rows",
            "message": "Nothing was imported: fix the rows listed.",
            "problems": [
                f"row {e.get('row')}: {e.get('column') or ''} {e.get('message')}".replace("  ", " ")
                for e in intelligence.import_row_errors(record)
            ],
        }), 422
    status = 201 if outcome is not None and outcome.status == JobStatus.SUCCEEDED else 202
    return jsonify({"import": resources.import_json(record)}), status, {"Location": location}


@bp.get("/v1/datasets/<api_id:dataset_id>/imports/<api_id:import_id>")
def dataset_import(dataset_id: int, import_id: int) -> Response:
    found = _own_dataset(dataset_id)
    record = db.session.get(DatasetImport, import_id)
    if record is None or record.dataset_id != found.id:
        raise _Reject(404, "not_found", "No such import of this dataset.")
    return jsonify({"import": resources.import_json(record)})


@bp.get("/v1/datasets/<api_id:dataset_id>/results")
def dataset_results(dataset_id: int) -> Response:
    return jsonify(resources.results_json(_own_dataset(dataset_id)))


# --------------------------------------------------------------------------- reference data


@bp.get("/v1/themes")
def themes() -> Response:
    found = intelligence.partnership_themes(_partnership())
    return jsonify({"themes": [resources.theme_json(t) for t in found]})


@bp.get("/v1/areas")
def areas() -> Response:
    known = importer.known_areas(_partnership(), wards_only=False)
    found = db.session.scalars(
        select(Area).where(Area.id.in_([a.id for a in known])).order_by(Area.gss_code)
    )
    return jsonify({"areas": [resources.area_json(a) for a in found]})


# --------------------------------------------------------------------------- anything else

OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY"]


def _allowed_methods(path: str) -> set[str]:
    """Methods the real API routes take at this path (the catch-all below not counted)."""
    adapter = current_app.url_map.bind("localhost")
    allowed: set[str] = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _args = adapter.match(path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.elsewhere":
            allowed.add(method)
    if "GET" in allowed:
        allowed.add("HEAD")
    return allowed | {"OPTIONS"} if allowed else set()


@bp.after_request
def _exact_allow(response: Response) -> Response:
    """OPTIONS lists only what the route takes (Flask would add the catch-all's methods)."""
    if request.method == "OPTIONS" and "Allow" in response.headers:
        response.headers["Allow"] = ", ".join(sorted(_allowed_methods(request.path)))
    return response


@bp.route("/v1/", defaults={"rest": ""}, methods=OTHER_METHODS, endpoint="elsewhere")
@bp.route("/v1/<path:rest>", methods=OTHER_METHODS, endpoint="elsewhere")
def elsewhere(rest: str) -> Response:
    """Unknown API paths and undeclared methods answer in JSON (with Allow), never HTML.

    Werkzeug prefers a rule that matches the method too, so this catches only what the real
    routes do not take.
    """
    allowed = _allowed_methods(request.path)
    if not allowed:
        return _error(404, "not_found", "No such API route.")
    response = _error(405, "method_not_allowed", "This route does not take that method.")
    response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


# --------------------------------------------------------------------------- activities


@bp.get("/v1/activities")
def activities() -> Response:
    from engage.audit.models import EngagementActivity

    token = _token()
    found = db.session.scalars(
        select(EngagementActivity).where(
            EngagementActivity.partnership_id == token.partnership_id,
            EngagementActivity.organisation_id == token.organisation_id,
        ).order_by(EngagementActivity.id)
    )
    return jsonify({"activities": [resources.activity_json(a) for a in found]})


@bp.post("/v1/activities")
def create_activity() -> tuple[Response, int]:
    from engage.audit import operations as audit
    from engage.audit.overlap import Method, Status

    body = _json_body("ActivityInput")
    partnership = _partnership()
    token = _token()
    own_themes = {t.slug: t.id for t in partnership.themes}
    geography = audit.geography(partnership)
    by_code = {a.gss_code.upper(): a.id for a in geography.by_id.values()}
    problems = [f"themes: unknown {s}" for s in body["themes"] if s not in own_themes]
    problems += [f"areas: unknown {c}" for c in body.get("areas", []) if c.upper() not in by_code]
    if problems:
        raise _Reject(422, "unknown_reference", "Use slugs and codes from /api/v1/themes and "
                      "/api/v1/areas.", problems=problems)
    data = audit.ActivityData(
        organisation_id=token.organisation_id,
        title=body["title"],
        start_date=date.fromisoformat(body["start_date"]),
        end_date=date.fromisoformat(body["end_date"]),
        method=Method(body.get("method", Method.OTHER.value)),
        status=Status(body.get("status", Status.PLANNED.value)),
        description=body.get("description", ""),
        theme_ids=sorted({own_themes[s] for s in body["themes"]}),
        area_ids=sorted({by_code[c.upper()] for c in body.get("areas", [])}),
        is_partnership_wide=bool(body.get("is_partnership_wide", False)),
        target_groups=list(dict.fromkeys(body.get("target_groups", []))),
        participants=int(body.get("participants", 0)),
        cost_pence=int(body.get("cost_pence", 0)),
        outcome_statement=body.get("outcome_statement", ""),
        outcome_url=body.get("outcome_url"),
        is_shared_with_partners=bool(body.get("is_shared_with_partners", True)),
    )
    try:
        activity = audit.save_activity(None, partnership, data)
    except EngageError as error:
        raise _Reject(422, "rejected", str(error), problems=[f"{error.field}: {error}"]) from error
    db.session.commit()
    return jsonify(resources.activity_json(activity)), 201
