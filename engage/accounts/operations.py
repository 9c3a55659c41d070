"""Account use cases. They flush, never commit: the view owns the transaction."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import pyotp
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select

from engage.accounts.models import (
    STAFF_ROLES,
    Membership,
    PasswordResetToken,
    Role,
    User,
    new_session_token,
)
from engage.accounts.passwords import hash_password, needs_rehash, verify_password
from engage.core.audit_log import record_audit
from engage.core.errors import EngageError
from engage.core.personal_data import erase_personal_data, export_personal_data
from engage.core.time import as_utc, utcnow
from engage.core.transactions import end_read_only_transaction
from engage.extensions import db
from engage.partnerships.models import Area, AreaLevel, Organisation, Partnership

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128


CONFIRM_SALT = "engage-confirm-email"
CONFIRM_MAX_AGE_SECONDS = 7 * 24 * 3600


def email_confirmation_token(user: User) -> str:
    """A signed, expiring token tying the account to the address it was sent to."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)
    return serializer.dumps({"user": user.id, "email": user.email})


def confirm_email(token: str) -> User | None:
    """Mark the address confirmed if the token is genuine, fresh and still matches the account."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)
    try:
        payload = serializer.loads(token, max_age=CONFIRM_MAX_AGE_SECONDS)
    except BadData:
        return None
    user = db.session.get(User, payload.get("user")) if isinstance(payload, dict) else None
    if user is None or not user.is_active or user.email != payload.get("email"):
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        record_audit("account.email_confirmed", actor_id=user.id, target=user)
    return user


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def check_new_password(password: str, email: str | None = None) -> None:
    """NCSC-style rules: long enough, not too long to hash, not the email address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise EngageError(
            _("Password must be %(count)d characters or more", count=MIN_PASSWORD_LENGTH),
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise EngageError(
            _("Password must be %(count)d characters or fewer", count=MAX_PASSWORD_LENGTH),
            field="password",
        )
    if email and password.strip().lower() == normalise_email(email):
        raise EngageError(_("Password must not be your email address"), field="password")


def register_resident(
    email: str, password: str, home_ward: Area, partnership: Partnership, locale: str | None
) -> User:
    """Create a resident account in a partnership, living in one of its wards."""
    from engage.partnerships.policy import covers_area

    if home_ward.level != AreaLevel.WARD or not covers_area(partnership, home_ward):
        raise EngageError(_("Choose your ward from the list"), field="home_ward")
    check_new_password(password, email)
    if find_user_by_email(email) is not None:
        # The view shows the same page for new and existing emails (no enumeration).
        raise DuplicateEmail
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password),
        home_ward=home_ward,
        locale=locale,
    )
    user.memberships.append(Membership(partnership=partnership, role=Role.RESIDENT))
    db.session.add(user)
    db.session.flush()
    record_audit("account.registered", actor_id=user.id, target=user, partnership_id=partnership.id)
    return user


class DuplicateEmail(EngageError):
    """An account with this email exists already."""


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; equal work for known and unknown emails."""
    user = find_user_by_email(email)
    password_hash = user.password_hash if user else None
    end_read_only_transaction(db.session)  # not holding SQLite's write lock while argon2 runs
    if not verify_password(password_hash, password):
        return None
    if user is None or not user.is_active:
        return None
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def verify_totp(user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    cleaned = "".join(ch for ch in code if ch.isdigit())
    return len(cleaned) == 6 and pyotp.TOTP(user.totp_secret).verify(cleaned, valid_window=1)


def record_sign_in(user: User) -> None:
    user.last_signed_in_at = utcnow()
    record_audit("account.signed_in", actor_id=user.id, target=user)


def sign_out_everywhere(user: User) -> None:
    """Rotate the session token so every existing session cookie stops working."""
    user.session_token = new_session_token()


def two_factor_required(user: Any) -> bool:
    """Whether any partnership where the user is staff requires two-factor sign-in."""
    for membership in getattr(user, "memberships", []):
        if membership.role in STAFF_ROLES and any(
            p.requires_staff_two_factor for p in membership.partnership.lineage()
        ):
            return True
    return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["ENGAGE_SERVICE_NAME"]
    )


def enable_two_factor(user: User, secret: str, code: str) -> None:
    if not pyotp.TOTP(secret).verify("".join(ch for ch in code if ch.isdigit()), valid_window=1):
        raise EngageError(_("The code is not right. Check your app and try again"))
    user.totp_secret = secret
    record_audit("account.two_factor_enabled", actor_id=user.id, target=user)


def disable_two_factor(user: User) -> None:
    if two_factor_required(user):
        raise EngageError(_("Your partnership requires two-factor sign-in for your role"))
    user.totp_secret = None
    record_audit("account.two_factor_disabled", actor_id=user.id, target=user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_password_reset(email: str) -> str | None:
    """Make a reset token for the account, if there is one; returns the token to mail."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return None
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(seconds=current_app.config["PASSWORD_RESET_SECONDS"])
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=_token_hash(token), expires_at=utcnow() + lifetime
        )
    )
    record_audit("account.password_reset_requested", actor_id=user.id, target=user)
    return token


def find_reset_token(token: str) -> PasswordResetToken | None:
    """A token that is unused and unexpired, else None."""
    found = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    )
    if found is None or found.used_at is not None or as_utc(found.expires_at) <= utcnow():
        return None
    return found


def retire_reset_tokens(user: User) -> None:
    """Once the password has changed, every other reset link sent earlier stops working."""
    db.session.execute(
        PasswordResetToken.__table__.update()
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def reset_password(token: str, new_password: str) -> User:
    found = find_reset_token(token)
    if found is None:
        raise EngageError(_("This link has expired or has been used. Ask for a new one"))
    user = db.session.get(User, found.user_id)
    if user is None or not user.is_active:
        raise EngageError(_("This link has expired or has been used. Ask for a new one"))
    check_new_password(new_password, user.email)
    found.used_at = utcnow()
    user.password_hash = hash_password(new_password)
    sign_out_everywhere(user)
    retire_reset_tokens(user)
    record_audit("account.password_reset", actor_id=user.id, target=user)
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise EngageError(_("Your current password is not right"))
    check_new_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    sign_out_everywhere(user)
    retire_reset_tokens(user)
    record_audit("account.password_changed", actor_id=user.id, target=user)


def set_language(user: User, language: str) -> None:
    if language not in ("en", "cy"):
        raise EngageError(_("Choose English or Welsh"))
    user.locale = language


def erase_account(user: User) -> None:
    """Erase a person's data: their account is anonymised, what they said is kept unlinked."""
    erase_personal_data(user)
    record_audit("account.erased", actor_id=None, target=user)
    user.email = f"erased-{user.id}-{secrets.token_hex(4)}@erased.invalid"
    user.display_name = None
    user.password_hash = None
    user.totp_secret = None
    user.home_ward_id = None
    user.locale = None
    user.erased_at = utcnow()
    sign_out_everywhere(user)
    for membership in list(user.memberships):
        db.session.delete(membership)
    db.session.execute(
        PasswordResetToken.__table__.delete().where(PasswordResetToken.user_id == user.id)
    )
    db.session.flush()


def export_account(user: User) -> dict[str, Any]:
    """Everything Engage holds about a person, as JSON-able data (UK GDPR right of access)."""
    from engage.core.models import AuditLog

    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.actor_id == user.id).order_by(AuditLog.at)
    ).all()
    account = {
        "email": user.email,
        "display_name": user.display_name,
        "home_ward": (
            {"gss_code": user.home_ward.gss_code, "name": user.home_ward.name}
            if user.home_ward
            else None
        ),
        "language": user.locale,
        "created_at": user.created_at.isoformat(),
        "last_signed_in_at": user.last_signed_in_at.isoformat() if user.last_signed_in_at else None,
        "two_factor_enabled": bool(user.totp_secret),
        "memberships": [
            {
                "partnership": m.partnership.name,
                "role": m.role.value,
                "organisation": m.organisation.name if m.organisation else None,
                "wards": [w.gss_code for w in m.wards],
            }
            for m in user.memberships
        ],
        "activity": [{"at": e.at.isoformat(), "action": e.action} for e in entries],
    }
    return {"account": account, **export_personal_data(user)}


def grant_membership(
    actor: User,
    user: User,
    partnership: Partnership,
    role: Role,
    organisation: Organisation | None = None,
    wards: list[Area] | None = None,
) -> Membership:
    """Give a user a role in a partnership; partner officers need an organisation, councillors wards."""
    from engage.partnerships.policy import covers_area

    if role == Role.PARTNER_OFFICER:
        if organisation is None or partnership not in organisation.partnerships:
            raise EngageError(_("Choose the partner organisation this officer works for"))
    else:
        organisation = None
    ward_list = list(wards or [])
    if role == Role.COUNCILLOR:
        if not ward_list:
            raise EngageError(_("Choose at least one ward for this councillor"))
        if any(w.level != AreaLevel.WARD or not covers_area(partnership, w) for w in ward_list):
            raise EngageError(_("Choose wards in this partnership"))
    else:
        ward_list = []
    existing = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.partnership_id == partnership.id,
            Membership.role == role,
        )
    )
    membership = existing or Membership(user=user, partnership=partnership, role=role)
    membership.organisation = organisation
    membership.wards = ward_list
    db.session.add(membership)
    db.session.flush()
    record_audit(
        "membership.granted",
        actor_id=actor.id,
        target=membership,
        partnership_id=partnership.id,
        user_id=user.id,
        role=role.value,
        organisation_id=organisation.id if organisation else None,
        ward_ids=[w.id for w in ward_list],
    )
    return membership


def revoke_membership(actor: User, membership: Membership) -> None:
    record_audit(
        "membership.revoked",
        actor_id=actor.id,
        target=membership,
        partnership_id=membership.partnership_id,
        user_id=membership.user_id,
        role=membership.role.value,
    )
    db.session.delete(membership)
    db.session.flush()


def set_user_disabled(actor: User, user: User, disabled: bool) -> None:
    if user.id == actor.id:
        raise EngageError(_("You cannot disable your own account"))
    user.is_disabled = disabled
    if disabled:
        sign_out_everywhere(user)
    record_audit(
        "account.disabled" if disabled else "account.enabled", actor_id=actor.id, target=user
    )
