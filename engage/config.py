"""Configuration: safe defaults, overridden only from the environment (or test overrides)."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any


def _instance_secret(instance_path: Path, env_name: str, file_name: str) -> str:
    """A secret from the environment, else from instance/<file_name>, made on first run (mode
    600) by linking a finished temporary file into place, so processes starting together all
    read the one value that won and never a half-written file."""
    from_env = os.environ.get(env_name)
    if from_env:
        return from_env
    key_file = instance_path / file_name
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=instance_path, prefix=f".{file_name}.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, key_file)
        finally:
            os.unlink(temporary)
    return key_file.read_text().strip()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: Path) -> dict[str, Any]:
    """Build the configuration mapping from the environment, with safe defaults."""
    environment = os.environ.get("ENGAGE_ENV", "production")
    development = environment == "development"
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{instance_path / 'engage.sqlite3'}")
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "ENGAGE_ENV": environment,
        "SECRET_KEY": _instance_secret(instance_path, "SECRET_KEY", "secret_key"),
        # Keys paper PB ballots identified by name and postcode (HMAC). Separate from
        # SECRET_KEY so that rotating sessions' key does not forget who already voted on paper.
        "ENGAGE_VOTER_KEY_SECRET": _instance_secret(
            instance_path, "ENGAGE_VOTER_KEY_SECRET", "voter_key_secret"
        ),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "ENGAGE_DISCLOSURE_THRESHOLD": int(os.environ.get("ENGAGE_DISCLOSURE_THRESHOLD", "5")),
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("ENGAGE_SQLITE_BUSY_TIMEOUT_MS", "15000")),
        # Sessions are signed cookies, so any app process can serve any request.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("ENGAGE_SECURE_COOKIES", not development),
        "SESSION_COOKIE_NAME": "engage_session",
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("ENGAGE_SESSION_SECONDS", "28800")),
        "ENGAGE_HSTS": _flag("ENGAGE_HSTS", not development),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": int(os.environ.get("ENGAGE_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024))),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "ENGAGE_SIGN_IN_LIMIT": os.environ.get("ENGAGE_SIGN_IN_LIMIT", "10 per minute"),
        "ENGAGE_SIGN_IN_PER_ACCOUNT_LIMIT": os.environ.get(
            "ENGAGE_SIGN_IN_PER_ACCOUNT_LIMIT", "5 per minute"
        ),
        # Anonymous consultation responses per address: sends, and page saves (drafts).
        "ENGAGE_ANONYMOUS_RESPONSE_LIMIT": os.environ.get(
            "ENGAGE_ANONYMOUS_RESPONSE_LIMIT", "10 per hour"
        ),
        "ENGAGE_ANONYMOUS_PAGE_LIMIT": os.environ.get(
            "ENGAGE_ANONYMOUS_PAGE_LIMIT", "120 per hour"
        ),
        # Partner API requests per token (engage/api).
        "ENGAGE_API_RATE_LIMIT": os.environ.get("ENGAGE_API_RATE_LIMIT", "120 per minute"),
        "ARGON2_TIME_COST": int(os.environ.get("ENGAGE_ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(os.environ.get("ENGAGE_ARGON2_MEMORY_KIB", "65536")),
        "PASSWORD_RESET_SECONDS": 3600,
        "MAIL_BACKEND": os.environ.get(
            "ENGAGE_MAIL_BACKEND", "smtp" if os.environ.get("SMTP_HOST") else "log"
        ),
        "MAIL_SENDER": os.environ.get("ENGAGE_MAIL_SENDER", "engage@localhost"),
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "BABEL_DEFAULT_LOCALE": "en_GB",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
        "ENGAGE_SERVICE_NAME": os.environ.get("ENGAGE_SERVICE_NAME", "Engage"),
        # Jobs (engage/jobs): RQ when REDIS_URL is set, else a thread in the web process;
        # inline (synchronous, at commit) for tests.
        "ENGAGE_JOBS_INLINE": _flag("ENGAGE_JOBS_INLINE", False),
        "ENGAGE_JOBS_HEARTBEAT_SECONDS": float(os.environ.get("ENGAGE_JOBS_HEARTBEAT_SECONDS", "10")),
        "ENGAGE_JOBS_STALE_SECONDS": float(os.environ.get("ENGAGE_JOBS_STALE_SECONDS", "120")),
        "ENGAGE_LOG_FORMAT": os.environ.get(
            "ENGAGE_LOG_FORMAT", "text" if development else "json"
        ),
    }
