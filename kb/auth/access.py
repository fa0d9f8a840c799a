"""Who may do what: role checks for staff pages and bearer tokens for the staff API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar, cast

from flask import abort, g, request
from flask_login import current_user

from kb.auth.models import ApiToken, Role, User
from kb.auth.service import token_for
from kb.database import write_transaction
from kb.errors import KbError
from kb.types import utcnow

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in staff member or an API token, named in histories."""

    role: str
    name: str
    user: User | None = None
    token: ApiToken | None = None

    @property
    def identity(self) -> str:
        """Who this is, for "another person must confirm": a token counts as the user who made it."""
        if self.user is not None:
            return f"user:{self.user.id}"
        if self.token is not None:
            owner = self.token.created_by_id
            return f"user:{owner}" if owner is not None else f"token:{self.token.id}"
        return f"name:{self.name}"

    def can(self, role: str) -> bool:
        """Admins may act as anyone; others only as their own role."""
        return self.role == Role.ADMIN or self.role == role


def current_actor() -> Actor | None:
    """The staff member or token behind this request, if any."""
    return getattr(g, "actor", None) or _session_actor()


def actor_name(nobody: str) -> str:
    """Who acts, as histories name them; ``nobody`` when no one is behind the request."""
    actor = current_actor()
    return actor.name if actor is not None else nobody


def actor_identity() -> str | None:
    """Who acts, as an identity (not a display name) for the second-approval rule."""
    actor = current_actor()
    return actor.identity if actor is not None else None


def _session_actor() -> Actor | None:
    if current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
        return Actor(role=user.role, name=user.name or user.email, user=user)
    return None


def role_required(*roles: str) -> Callable[[F], F]:
    """Staff pages: sign in first (401 → login), then the role must match (403)."""

    def decorator(view: F) -> F:
        return _guarded(view, roles, _session_actor, _sign_in_first, _page_forbidden)

    return decorator


def token_required(*roles: str) -> Callable[[F], F]:
    """Staff API: a bearer token (or a signed-in session for the staff UI's own calls)."""

    def decorator(view: F) -> F:
        return _guarded(view, roles, _bearer_actor, _token_missing, _token_forbidden)

    return decorator


def _guarded(view: F, roles: tuple[str, ...], find_actor: Callable[[], Actor | None],
             nobody: Callable[[], Any], refused: Callable[[], Any]) -> F:
    """``view``, run only for an actor of one of ``roles`` (``nobody`` and ``refused`` answer others)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        actor = find_actor()
        if actor is None:
            return nobody()
        if not any(actor.can(role) for role in roles):
            return refused()
        g.actor = actor
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _sign_in_first() -> Any:
    from kb.extensions import login_manager

    return login_manager.unauthorized()


def _page_forbidden() -> NoReturn:
    abort(403)


def _token_missing() -> NoReturn:
    raise KbError(401, "unauthorized", "A valid bearer token is required.")


def _token_forbidden() -> NoReturn:
    raise KbError(403, "forbidden", "This token's role may not do that.")


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _bearer_actor() -> Actor | None:
    plain = bearer_token()
    if plain is None:
        return None
    token = token_for(plain)
    if token is None:
        return None
    with write_transaction():
        token.last_used_at = utcnow()
    return Actor(role=token.role, name=f"token {token.name}", token=token)
