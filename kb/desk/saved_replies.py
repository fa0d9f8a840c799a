"""Saved replies kept per language: the rules for keeping one, and the lists agents pick from."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from kb.config import LANGUAGES
from kb.desk.models import SavedReply
from kb.extensions import db
from kb.types import utcnow

MAX_TITLE = 120
MAX_BODY = 5000


class ReplyError(ValueError):
    """A saved reply that cannot be kept; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def replies_for(lang: str | None = None) -> list[SavedReply]:
    """The saved replies, in one language or all, by language and title."""
    query = select(SavedReply).order_by(SavedReply.lang, SavedReply.title, SavedReply.id)
    if lang is not None:
        query = query.where(SavedReply.lang == lang)
    return list(db.session.scalars(query))


def save_reply(reply: SavedReply | None, lang: str, title: str, body: str, actor: str) -> SavedReply:
    """Create (``reply`` None) or change a saved reply; raise ReplyError on a bad field."""
    title, body = " ".join(title.split()), body.strip()
    if lang not in LANGUAGES:
        raise ReplyError("lang", _("Choose the language of the reply."))
    if not title or len(title) > MAX_TITLE:
        raise ReplyError("title", _("Give the reply a title of at most %(max)d characters.", max=MAX_TITLE))
    if not body or len(body) > MAX_BODY:
        raise ReplyError("body", _("Write the reply, in at most %(max)d characters.", max=MAX_BODY))
    if reply is None:
        reply = SavedReply()
        db.session.add(reply)
    reply.lang, reply.title, reply.body = lang, title, body
    reply.updated_by, reply.updated_at = actor, utcnow()
    return reply
