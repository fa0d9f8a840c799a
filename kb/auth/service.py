"""Staff accounts and API tokens: creating, checking and revoking them."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from kb.auth.models import ApiToken, Role, User
from kb.extensions import db
from kb.types import utcnow

MIN_PASSWORD = 12
# Checked against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    """A salted scrypt hash of the password."""
    return generate_password_hash(password, method="scrypt")


def create_user(email: str, password: str, role: str, name: str = "") -> User:
    """Create a staff account; raise ValueError with a clear reason."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValueError("a valid e-mail address is required")
    if role not in {r.value for r in Role} or role == Role.SHOP:
        raise ValueError("role must be writer, agent or admin")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise ValueError(f"a user with the e-mail {email} already exists")
    user = User(
        email=email,
        name=name or email.split("@")[0],
        password_hash=hash_password(password),
        role=role,
        session_version=secrets.token_hex(8),
    )
    db.session.add(user)
    return user


def set_password(email: str, password: str) -> User:
    """Replace a staff account's password and end its sessions; raise ValueError if refused."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise ValueError(f"no user has the e-mail {email.strip().lower()}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)
    sign_out_everywhere(user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (the same for every failure)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def sign_out_everywhere(user: User) -> None:
    """Invalidate every session of the user by changing their session version."""
    user.session_version = secrets.token_hex(8)


def load_user(user_id: str) -> User | None:
    """The user of a session id "<id>:<version>", if the version still matches."""
    raw_id, _sep, version = user_id.partition(":")
    if not (raw_id.isascii() and raw_id.isdigit()):
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_version.encode(), version.encode()):
        return None
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(name: str, role: str, created_by: User | None = None) -> tuple[ApiToken, str]:
    """A new bearer token; the plain token is returned once and never stored."""
    if role not in {r.value for r in Role}:
        raise ValueError("role must be writer, agent, admin or shop")
    plain = "kb_" + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip()[:120] or role,
        role=role,
        token_hash=_token_digest(plain),
        prefix=plain[:10],
        created_by_id=created_by.id if created_by else None,
    )
    db.session.add(token)
    return token, plain


def token_for(plain: str) -> ApiToken | None:
    """The live token matching a presented bearer token."""
    if not plain.startswith("kb_") or len(plain) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(plain)))
    if token is None or token.revoked_at is not None:
        return None
    if token.created_by_id is not None:
        # A token acts for the person who made it: it works only while they are active.
        owner = db.session.get(User, token.created_by_id)
        if owner is None or not owner.active:
            return None
    return token


def revoke_token(token: ApiToken) -> None:
    """Stop a token from working, keeping it for the history."""
    token.revoked_at = utcnow()
