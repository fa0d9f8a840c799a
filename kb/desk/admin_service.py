"""The administrators' desk: the shop's webhooks, staff accounts and API tokens."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy import select

from kb.auth.models import ApiToken, Role, User
from kb.auth.service import create_token, create_user, revoke_token, sign_out_everywhere
from kb.extensions import db
from kb.mail.models import Webhook
from kb.tickets.notify import WEBHOOK_EVENTS

WEBHOOK_EVENT_NAMES = tuple(f"ticket.{kind}" for kind in WEBHOOK_EVENTS)
MAX_URL = 500


class AdminError(ValueError):
    """A refused administration request, with a code (for tests and logs) and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- webhooks ---------------------------------------------------------------------------------

def parse_webhook_events(text: str) -> str:
    """Normalise "*" or a comma list of ticket events; raise AdminError for anything else."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if not names or names == ["*"]:
        return "*"
    unknown = [name for name in names if name not in WEBHOOK_EVENT_NAMES]
    if unknown or "*" in names:
        raise AdminError("invalid_events", f"unknown event(s): {', '.join(unknown or ['*'])}")
    return ",".join(dict.fromkeys(names))  # keep the order given, once each


def check_webhook_url(url: str) -> str:
    """An absolute http(s) URL with a host, without spaces or credentials."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if (
        len(url) > MAX_URL
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() for ch in url)
        or parts.username is not None
    ):
        raise AdminError("invalid_url", "the URL must be an http or https address")
    return url


def register_webhook(url: str, events: str) -> tuple[Webhook, str]:
    """Add a webhook; returns it with its signing secret (shown once)."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook(url=check_webhook_url(url), events=parse_webhook_events(events), secret=secret)
    db.session.add(hook)
    db.session.flush()
    return hook, secret


def list_webhooks() -> list[Webhook]:
    """Every webhook, active ones first, newest first."""
    return list(db.session.scalars(
        select(Webhook).order_by(Webhook.active.desc(), Webhook.created_at.desc(),
                                 Webhook.id.desc())
    ))


def deactivate_webhook(hook: Webhook) -> None:
    """Stop sending to a webhook (messages already in the outbox are still delivered)."""
    hook.active = False


# -- staff accounts ---------------------------------------------------------------------------

def list_users() -> list[User]:
    """Every staff account, by e-mail."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def add_user(email: str, name: str, role: str, password: str) -> User:
    """Create a staff account through kb.auth (password of at least 12 characters)."""
    try:
        user = create_user(email or "", password or "", role or "", (name or "").strip()[:120])
    except ValueError as exc:
        raise AdminError("invalid_user", str(exc)) from exc
    db.session.flush()
    return user


def set_user_active(user: User, active: bool, by: User | None) -> None:
    """Deactivate (signed out at once) or reactivate an account; never one's own."""
    if by is not None and user.id == by.id and not active:
        raise AdminError("own_account", "you cannot deactivate your own account")
    if user.active and not active:
        sign_out_everywhere(user)
        # Their tokens stop with them, and stay revoked if the account comes back.
        for token in db.session.scalars(select(ApiToken).where(
            ApiToken.created_by_id == user.id, ApiToken.revoked_at.is_(None)
        )):
            revoke_token(token)
    user.active = active


def sign_user_out_everywhere(user: User) -> None:
    """End every session of the user (their next request asks them to sign in)."""
    sign_out_everywhere(user)


# -- API tokens -------------------------------------------------------------------------------

def list_tokens() -> list[ApiToken]:
    """Every API token, live ones first, newest first."""
    return list(db.session.scalars(
        select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                  ApiToken.id.desc())
    ))


def add_token(name: str, role: str, by: User | None) -> tuple[ApiToken, str]:
    """Create an API token; returns it with the plain token (shown once)."""
    name = (name or "").strip()
    if not name:
        raise AdminError("invalid_token", "give the token a name (who or what uses it)")
    if role not in {r.value for r in Role}:
        raise AdminError("invalid_token", "role must be writer, agent or admin")
    token, plain = create_token(name, role, created_by=by)
    db.session.flush()
    return token, plain


def revoke(token: ApiToken) -> None:
    """Stop a token from working (kept for the history)."""
    if token.revoked_at is None:
        revoke_token(token)
