"""Staff accounts and API tokens, with their roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import Model
from kb.types import UTCDateTime, utcnow


class Role(StrEnum):
    """What a staff member may do: writers edit articles, agents work tickets, admins both."""

    WRITER = "writer"
    AGENT = "agent"
    ADMIN = "admin"
    # API tokens only: a shop's systems sending orders, and nothing else.
    SHOP = "shop"


class User(UserMixin, Model):
    """A staff member who signs in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie: changing it signs the user out everywhere.
    session_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def get_id(self) -> str:
        """The id flask-login keeps in the session, tied to the session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in."""
        return self.active

    def can(self, role: str) -> bool:
        """Whether this user may act as ``role`` (admins may act as anyone)."""
        return self.role == Role.ADMIN or self.role == role


class ApiToken(Model):
    """A bearer token for a shop's systems; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
