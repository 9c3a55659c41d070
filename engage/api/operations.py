"""API tokens: create (shown once), revoke, and find by the bearer secret."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from engage.api.models import ApiToken, hash_token, new_token_secret
from engage.core.audit_log import record_audit
from engage.core.errors import EngageError
from engage.core.personal_data import register_personal_data
from engage.core.time import as_utc, utcnow
from engage.extensions import db
from engage.partnerships.models import Organisation, Partnership

# last_used_at is written at most this often per token (a write per request would be waste).
TOUCH_EVERY = timedelta(seconds=60)


def create_token(
    actor_id: int | None, partnership: Partnership, organisation: Organisation, name: str
) -> tuple[ApiToken, str]:
    """A new token for an organisation; returns it with its secret (never stored, shown once)."""
    clean = " ".join(name.split())
    if not clean:
        raise EngageError(_("Enter a name for the token"), field="name")
    secret = new_token_secret()
    token = ApiToken(
        partnership_id=partnership.id, organisation_id=organisation.id, name=clean[:120],
        token_hash=hash_token(secret), hint=secret[:12], created_by_id=actor_id,
    )
    db.session.add(token)
    db.session.flush()
    record_audit(
        "api_token.created", actor_id=actor_id, target=token, partnership_id=partnership.id,
        organisation_id=organisation.id, name=token.name,
    )
    return token, secret


def revoke_token(actor_id: int | None, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor_id
        db.session.flush()
        record_audit(
            "api_token.revoked", actor_id=actor_id, target=token,
            partnership_id=token.partnership_id, organisation_id=token.organisation_id,
        )
    return token


def find_token(secret: str) -> ApiToken | None:
    """The active token with this secret (compared by its SHA-256, an exact index lookup)."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def needs_touch(token: ApiToken) -> bool:
    return token.last_used_at is None or utcnow() - as_utc(token.last_used_at) >= TOUCH_EVERY


def touch_token(token: ApiToken) -> None:
    token.last_used_at = utcnow()
    db.session.flush()


def tokens_of(partnership: Partnership, organisation_ids: set[int]) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(
            ApiToken.partnership_id == partnership.id,
            ApiToken.organisation_id.in_(organisation_ids),
        ).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ))


def _export(user: Any) -> dict[str, Any]:
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.created_by_id == user.id))
    return {
        "api_tokens_created": [
            {"name": t.name, "organisation": t.organisation.name,
             "created_at": t.created_at.isoformat(),
             "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None}
            for t in tokens
        ]
    }


def _erase(user: Any) -> None:
    """Tokens belong to the organisation: they stay (revocable by its officers), unlinked."""
    for token in db.session.scalars(select(ApiToken).where(ApiToken.created_by_id == user.id)):
        token.created_by_id = None
    for token in db.session.scalars(select(ApiToken).where(ApiToken.revoked_by_id == user.id)):
        token.revoked_by_id = None


register_personal_data("api", _export, _erase)
