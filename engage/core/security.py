"""Security headers, CSP nonces, request ids and safe redirects."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, abort, g, request
from werkzeug.routing import IntegerConverter

# The largest id a database key holds (PostgreSQL INTEGER): bigger numbers in an address are
# "not found", not a database error.
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in routes: 0 to MAX_DATABASE_ID, else the route does not match (404)."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def bounded_int(value: str) -> int:
    """A query-string number as an int that fits a database column (else ValueError):
    use as `request.args.get(name, type=bounded_int)`."""
    number = int(value)
    if not -MAX_DATABASE_ID <= number <= MAX_DATABASE_ID:
        raise ValueError(value)
    return number


def csp_nonce() -> str:
    """A per-request nonce for the few inline scripts GOV.UK Frontend's template needs."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def _content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response, hsts: bool) -> Response:
    response.headers["Content-Security-Policy"] = _content_security_policy(csp_nonce())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if hsts:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if "Cache-Control" not in response.headers and response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after sign-in or a language switch."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    joined = urlsplit(urljoin(request.host_url, target))
    return joined.scheme in {"http", "https"} and joined.netloc == urlsplit(request.host_url).netloc


def safe_next(target: str | None, fallback: str) -> str:
    return target if target is not None and is_safe_next(target) else fallback


def has_nul_character(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values)


def printable_filename(name: str, fallback: str = "upload") -> str:
    """An uploaded file's name as shown and stored: its last path part, printable characters only."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in last if ch.isprintable()).strip()[:200]
    return cleaned or fallback


def register_security(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_characters() -> None:
        """No real text holds NUL, and PostgreSQL refuses it in a query: 400, never a 500."""
        if has_nul_character(request.args.values()) or has_nul_character(request.form.values()):
            abort(400)

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        valid = incoming if 8 <= len(incoming) <= 40 and incoming.replace("-", "").isalnum() else ""
        g.request_id = valid or secrets.token_hex(8)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return add_security_headers(response, hsts=app.config["ENGAGE_HSTS"] and not app.debug)
