"""The admins' pages that keep the saved replies."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kb.auth.access import current_actor, role_required
from kb.config import LANGUAGES
from kb.database import write_transaction
from kb.desk.models import SavedReply
from kb.desk.saved_replies import ReplyError, replies_for, save_reply
from kb.desk.views import bp
from kb.extensions import db


def _actor() -> str:
    actor = current_actor()
    return actor.name if actor is not None else "desk"


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render_template("desk/replies.html", replies=replies_for(), languages=LANGUAGES, **context), status


@bp.route("/admin/replies", methods=["GET", "POST"])
@role_required("admin")
def replies() -> ResponseReturnValue:
    """List the saved replies and add one."""
    if request.method == "GET":
        return _page()
    values = {name: request.form.get(name, "") for name in ("lang", "title", "body")}
    try:
        with write_transaction():
            save_reply(None, values["lang"], values["title"], values["body"], _actor())
    except ReplyError as exc:
        return _page(400, values=values, errors={exc.field: str(exc)})
    flash(_("Saved reply added."), "success")
    return redirect(url_for("desk.replies"))


@bp.route("/admin/replies/<int:reply_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_reply(reply_id: int) -> ResponseReturnValue:
    """Change a saved reply."""
    reply = db.get_or_404(SavedReply, reply_id)
    if request.method == "GET":
        values = {"lang": reply.lang, "title": reply.title, "body": reply.body}
        return _page(editing=reply, values=values)
    values = {name: request.form.get(name, "") for name in ("lang", "title", "body")}
    try:
        with write_transaction():
            save_reply(db.session.get(SavedReply, reply_id), values["lang"], values["title"], values["body"],
                       _actor())
    except ReplyError as exc:
        return _page(400, editing=reply, values=values, errors={exc.field: str(exc)})
    flash(_("Saved reply updated."), "success")
    return redirect(url_for("desk.replies"))


@bp.post("/admin/replies/<int:reply_id>/delete")
@role_required("admin")
def delete_reply(reply_id: int) -> ResponseReturnValue:
    """Remove a saved reply (replies already sent keep their text)."""
    with write_transaction():
        reply = db.get_or_404(SavedReply, reply_id)
        db.session.delete(reply)
    flash(_("Saved reply deleted."), "success")
    return redirect(url_for("desk.replies"))
