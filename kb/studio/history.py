"""An article's history in the studio: its revisions, the diff of any two, and restoring one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kb.articles.models import Article
from kb.articles.service import SlugTaken
from kb.auth.access import role_required
from kb.database import write_transaction
from kb.extensions import db
from kb.studio import service
from kb.studio.diffs import diff_snapshots, snapshot_of_revision
from kb.studio.views import author_name, bp


@bp.get("/<int:article_id>/history")
@role_required("writer")
def history(article_id: int) -> str:
    """Every revision of an article: who saved it, when, why, and with what status."""
    article = db.get_or_404(Article, article_id)
    return render_template(
        "studio/history.html", article=article, revisions=service.revisions_of(article)
    )


@bp.get("/<int:article_id>/diff")
@role_required("writer")
def diff(article_id: int) -> str:
    """What changed between revisions ``a`` and ``b``, inline or side by side."""
    article = db.get_or_404(Article, article_id)
    # Revision numbers are small: clamp what the URL says so the database never sees a huge one.
    newer = min(max(request.args.get("b", article.revision, type=int) or 1, 1), 1_000_000)
    older = min(max(request.args.get("a", max(1, newer - 1), type=int) or 1, 1), 1_000_000)
    old_revision = service.revision_of(article, older)
    new_revision = service.revision_of(article, newer)
    if old_revision is None or new_revision is None:
        abort(404)
    side_by_side = request.args.get("view") == "side"
    return render_template(
        "studio/diff.html",
        article=article,
        old=old_revision,
        new=new_revision,
        numbers=[r.number for r in service.revisions_of(article)],
        changes=diff_snapshots(
            snapshot_of_revision(old_revision), snapshot_of_revision(new_revision)
        ),
        side_by_side=side_by_side,
    )


@bp.post("/<int:article_id>/revisions/<int:number>/restore")
@role_required("writer")
def restore(article_id: int, number: int) -> ResponseReturnValue:
    """Save an old revision's content again, as a new revision "Restored revision N"."""
    article = db.get_or_404(Article, article_id)
    revision = service.revision_of(article, number)
    if revision is None:
        abort(404)
    try:
        with write_transaction():
            changed = service.restore_revision(article, revision, author_name())
    except SlugTaken:
        flash(
            _("Revision %(number)d's address is now used by another article.", number=number),
            "error",
        )
        return redirect(url_for("studio.history", article_id=article.id))
    if changed:
        service.announce_changes()
        flash(
            _(
                "Revision %(number)d restored as revision %(new)d.",
                number=number,
                new=article.revision,
            ),
            "success",
        )
    else:
        flash(_("Revision %(number)d is the same as the current text.", number=number), "info")
    return redirect(url_for("studio.history", article_id=article.id))
