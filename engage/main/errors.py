"""GOV.UK-style error pages that reveal nothing about the server."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

KNOWN_STATUSES = frozenset({400, 403, 404, 405, 413, 429, 500, 503})


def _translated(status: int) -> tuple[str, str]:
    titles = {
        400: (
            _("Sorry, there is a problem with your request"),
            _("The request could not be understood. Go back and try again."),
        ),
        403: (
            _("You do not have permission to see this page"),
            _("If you think you should, ask your partnership's coordinator."),
        ),
        404: (
            _("Page not found"),
            _(
                "If you typed the web address, check it is correct. If you pasted it, check you copied the whole address."
            ),
        ),
        405: (
            _("Sorry, there is a problem with your request"),
            _("That action is not possible on this page."),
        ),
        413: (_("The file is too large"), _("Choose a smaller file and try again.")),
        429: (_("Too many attempts"), _("Wait a minute, then try again.")),
        500: (
            _("Sorry, there is a problem with the service"),
            _("Try again later. Nothing you sent has been half-saved."),
        ),
        503: (
            _("Sorry, the service is unavailable"),
            _("The service is busy. Nothing you sent was saved. Try again in a few minutes."),
        ),
    }
    return titles.get(status, titles[500])


def render_error(status: int, detail: str | None = None) -> tuple[str, int]:
    title, body = _translated(status)
    return render_template(
        "errors/error.html", status=status, title=title, body=detail or body
    ), status


def database_unavailable(error: BaseException) -> str | None:
    """"full" when the database ran out of space, "busy" when a lock wait timed out, else None.

    Follows the exception chain: SQLite rolls the whole transaction back on SQLITE_FULL, so a
    write inside a savepoint surfaces as "no such savepoint" raised while handling the real one.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        original = getattr(current, "orig", current)
        name = getattr(original, "sqlite_errorname", None)  # sqlite3, Python 3.11+
        state = getattr(original, "sqlstate", None)  # psycopg 3
        text = str(original).lower()
        if name == "SQLITE_FULL" or state == "53100" or "database or disk is full" in text:
            return "full"
        if name in {"SQLITE_BUSY", "SQLITE_LOCKED"} or state == "55P03" or (
            "database is locked" in text
        ):
            return "busy"
        current = current.__cause__ or current.__context__
    return None


def register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        app.logger.info("CSRF refused on %s: %s", request.path, error.description)
        return render_error(
            400,
            _(
                "Your form expired or was sent from another site. Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int] | HTTPException:
        status = error.code or 500
        if status < 400 or status == 401:
            return error
        return render_error(status if status in KNOWN_STATUSES else 400)

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError) -> tuple[str, int, dict[str, str]] | tuple[str, int]:
        """Storage full (SQLite SQLITE_FULL, PostgreSQL disk_full) or a write lock not granted
        in time: the transaction rolled back, so say plainly that nothing was saved (503)."""
        from engage.extensions import db

        problem = database_unavailable(error)
        if problem is None:
            return _unexpected(error)
        app.logger.error("database %s on %s: %s", problem, request.path, type(error.orig).__name__)
        db.session.rollback()
        detail = (
            _("Your changes could not be saved because the service has run out of storage space. Nothing you sent was saved. Try again later.")
            if problem == "full"
            else None
        )
        body, status = render_error(503, detail)
        return body, status, {"Retry-After": "60"}

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error on %s", request.path)
        from engage.extensions import db

        db.session.rollback()
        return render_error(500)
