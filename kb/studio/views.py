"""The studio's pages: the list and to-do lists, writing, previewing, translating, deleting."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice

from kb.articles.categories import CATEGORIES, CATEGORY_CODES
from kb.articles.example_checks import ArticleCheck
from kb.articles.models import Article, ArticleStatus
from kb.articles.service import RevisionConflict, SlugTaken, confirm_in_step
from kb.auth.access import actor_name, role_required
from kb.config import LANGUAGES
from kb.database import write_transaction
from kb.extensions import db
from kb.shop import current_policy, policy_placeholders
from kb.studio import service, todo
from kb.studio.diffs import SnapshotDiff, diff_snapshots, snapshot_of_article
from kb.studio.forms import LANGUAGE_NAMES, MAX_BODY, ArticleForm
from kb.web import current_lang
from kb.web_input import MAX_ID

bp = Blueprint("studio", __name__, url_prefix="/studio")

LIST_STATUSES = ("draft", "published", "deleted")


def author_name() -> str:
    """The signed-in staff member's name, recorded as the author of each revision."""
    return actor_name("studio")


def language_name(lang: str) -> str:
    """The language's name (English or French) in the writer's own language."""
    return str(LANGUAGE_NAMES.get(lang, lang))


@bp.context_processor
def _studio_names() -> dict[str, Any]:
    """Names every studio template shows: languages and categories."""
    return {
        "language_name": language_name,
        "category_names": {category.code: category.name for category in CATEGORIES},
    }


@bp.get("", strict_slashes=False)
@role_required("writer")
def index() -> str:
    """Every article with its translation status, and the writers' to-do lists."""
    args = {
        name: request.args.get(name, "").strip() for name in ("lang", "category", "status", "q")
    }
    filters = service.ArticleFilters(
        lang=args["lang"] if args["lang"] in LANGUAGES else None,
        category=args["category"] if args["category"] in CATEGORY_CODES else None,
        status=args["status"] if args["status"] in LIST_STATUSES else None,
        title=args["q"][:200],
    )
    policy = current_policy()
    listing = service.list_articles(filters, request.args.get("page", 1, type=int) or 1, policy=policy)
    kept: dict[str, Any] = {name: value for name, value in args.items() if value}
    return render_template(
        "studio/index.html",
        listing=listing,
        filters=filters,
        query=args["q"][:200],
        language_options=[(code, language_name(code)) for code in LANGUAGES],
        category_options=[(category.code, category.name) for category in CATEGORIES],
        status_options=[("draft", _("Draft")), ("published", _("Published")), ("deleted", _("Deleted"))],
        page_url=lambda number: url_for("studio.index", page=number, **kept),
        unhelpful=todo.unhelpful_articles(),
        unanswered=todo.unanswered_searches(),
        failing=todo.articles_with_failing_examples(policy),
        out_of_date=todo.out_of_date_translations(),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("writer")
def new() -> ResponseReturnValue:
    """Write a new article, or the other-language version of one (``?translate=<id>``)."""
    source = _translation_source()
    if source is not None:
        existing = service.version_in(source.key, service.other_language(source.lang))
        if existing is not None:
            flash(_("This article already has a version in the other language."), "warning")
            return redirect(url_for("studio.edit", article_id=existing.id))
    form = ArticleForm(data=_new_article_data(source))
    if source is not None:
        target = service.other_language(source.lang)
        form.lang.choices = [SelectChoice(target, LANGUAGE_NAMES[target])]
    if _wants_preview():
        return _editor(form, None, source=source, previewed=True)
    if form.validate_on_submit():
        lang = service.other_language(source.lang) if source else str(form.lang.data)
        slug = _slug_for(form, lang, None)
        if slug is not None:
            try:
                with write_transaction():
                    article = service.create_from_draft(
                        form.draft(slug),
                        lang,
                        author_name(),
                        form.message.data or _default_message(source),
                        key=source.key if source else None,
                        needs_translation=source is not None and not form.translation_done.data,
                    )
            except SlugTaken:
                form.slug.errors.append(_slug_taken_message())
            else:
                service.announce_changes()
                flash(_("Article created."), "success")
                _flash_failing_examples(article)
                return redirect(url_for("studio.edit", article_id=article.id))
    return _editor(form, None, source=source)


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@role_required("writer")
def edit(article_id: int) -> ResponseReturnValue:
    """Change an article; a save based on an older revision is refused (409) with a diff."""
    article = db.get_or_404(Article, article_id)
    form = ArticleForm(data=_article_data(article))
    del form.lang  # an article keeps its language; its translation is a separate article
    if request.method == "POST" and article.status == ArticleStatus.DELETED:
        # Deleted while this writer was editing: nothing is saved, but their text stays.
        flash(_("This article was deleted: restore it, then save your text again."), "error")
        return _editor(form, article, status=409)
    if _wants_preview():
        return _editor(form, article, previewed=True)
    if form.validate_on_submit():
        expected = _expected_revision(form)
        slug = _slug_for(form, article.lang, article.id)
        if slug is not None:
            draft = form.draft(slug)
            try:
                with write_transaction():
                    changed = service.save_draft(
                        article,
                        draft,
                        author_name(),
                        form.message.data or "",
                        expected,
                        translation_done=bool(form.translation_done.data),
                    )
            except RevisionConflict:
                # Someone saved meanwhile: show what differs, keep the writer's text to merge,
                # and let the next save go through on top of what they have now seen.
                conflict = diff_snapshots(snapshot_of_article(article), draft)
                form.expected_revision.data = str(article.revision)
                return _editor(form, article, conflict=conflict, status=409)
            except SlugTaken:
                form.slug.errors.append(_slug_taken_message())
            else:
                if changed:
                    service.announce_changes()
                    if article.status == "published":
                        flash(_("Saved as revision %(number)d. It is live: readers see it now.",
                                number=article.revision), "success")
                    else:
                        flash(_("Saved as revision %(number)d.", number=article.revision), "success")
                else:
                    flash(_("Nothing changed, so no new revision was saved."), "info")
                _flash_failing_examples(article)
                return redirect(url_for("studio.edit", article_id=article.id))
    return _editor(form, article)


@bp.post("/preview")
@role_required("writer")
def preview() -> Response:
    """The Markdown rendered and sanitized exactly as the public page shows it."""
    body = request.form.get("body", "")
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400, description=_("Choose English or French."))
    if len(body) > MAX_BODY:
        abort(413)
    html = _failures_html(service.check_examples(body, current_policy()))
    html += service.preview_html(body, lang, policy_placeholders())
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:article_id>/still-accurate")
@role_required("writer")
def still_accurate(article_id: int) -> ResponseReturnValue:
    """The writer confirms the article still holds after its other-language version changed."""
    article = db.get_or_404(Article, article_id)
    with write_transaction():
        confirmed = confirm_in_step(article)
    if confirmed:
        flash(_("Marked as still accurate."), "success")
    return redirect(url_for("studio.edit", article_id=article.id))


@bp.route("/<int:article_id>/delete", methods=["GET", "POST"])
@role_required("writer")
def delete(article_id: int) -> ResponseReturnValue:
    """Ask first; then take the article down (its URL answers 410, its history stays)."""
    article = db.get_or_404(Article, article_id)
    if request.method == "POST":
        with write_transaction():
            changed = service.delete_article(article, author_name())
        if changed:
            service.announce_changes()
        flash(_("Article deleted. You can restore it from this page."), "success")
        return redirect(url_for("studio.edit", article_id=article.id))
    return render_template("studio/delete.html", article=article)


@bp.post("/<int:article_id>/undelete")
@role_required("writer")
def undelete(article_id: int) -> ResponseReturnValue:
    """Bring a deleted article back with the status it had before."""
    article = db.get_or_404(Article, article_id)
    if article.status == ArticleStatus.DELETED:
        with write_transaction():
            service.undelete_article(article, author_name())
        service.announce_changes()
        flash(_("Article restored."), "success")
    return redirect(url_for("studio.edit", article_id=article.id))


# ---- helpers of the form pages ------------------------------------------------------------


def _wants_preview() -> bool:
    """The no-JavaScript "Preview" button: show the text rendered, save nothing."""
    return request.method == "POST" and request.form.get("action") == "preview"


def _flash_failing_examples(article: Article) -> None:
    """The save is kept, but the writer hears at once that the text and the policy disagree."""
    failures = len(service.check_saved_examples(article, current_policy()).failures)
    if failures:
        flash(
            ngettext(
                "%(num)d policy example fails: the text states a rule the policy does not apply.",
                "%(num)d policy examples fail: the text states rules the policy does not apply.",
                failures,
            ),
            "warning",
        )


def _failures_html(check: ArticleCheck) -> str:
    """The failing examples above the preview (nothing when they all hold)."""
    if check.ok:
        return ""
    return render_template("studio/_examples.html", check=check)


def _translation_source() -> Article | None:
    source_id = request.args.get("translate", type=int)
    if source_id is not None and not 0 < source_id <= MAX_ID:
        abort(404)
    return db.get_or_404(Article, source_id) if source_id is not None else None


def _new_article_data(source: Article | None) -> dict[str, Any]:
    """A translation starts as a copy of its source; a to-do link brings a title."""
    if source is not None:
        return {
            "title": source.title,
            "lang": service.other_language(source.lang),
            "category": source.category,
            "tags": ", ".join(source.tags),
            "summary": source.summary,
            "body": source.body,
            "status": ArticleStatus.DRAFT,
        }
    lang = request.args.get("lang")
    return {
        "title": request.args.get("title", "")[:200],
        "lang": lang if lang in LANGUAGES else current_lang(),
        "status": ArticleStatus.DRAFT,
    }


def _article_data(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "slug": article.slug,
        "category": article.category,
        "tags": ", ".join(article.tags),
        "summary": article.summary,
        "body": article.body,
        "status": article.status,
        "expected_revision": str(article.revision),
    }


def _default_message(source: Article | None) -> str:
    if source is not None:
        return f"Translation of {source.lang}/{source.slug} started"
    return "Created in the studio"


def _expected_revision(form: ArticleForm) -> int:
    raw = (form.expected_revision.data or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        abort(400, description=_("The form lost track of the revision: reload the page."))
    return int(raw)


def _slug_taken_message() -> str:
    return _("Another article in this language uses this address, or did before. Choose another.")


def _slug_for(form: ArticleForm, lang: str, article_id: int | None) -> str | None:
    """The slug typed, or one made from the title; None, with an error, when unusable."""
    typed = form.slug.data or ""
    if typed:
        if service.slug_is_taken(lang, typed, article_id):
            form.slug.errors.append(_slug_taken_message())
            return None
        return typed
    suggested = service.suggest_slug(form.title.data or "")
    if not suggested:
        form.slug.errors.append(_("Type an address: the title has no letters to make one from."))
        return None
    return service.free_slug(lang, suggested, article_id)


def _editor(
    form: ArticleForm,
    article: Article | None,
    *,
    source: Article | None = None,
    previewed: bool = False,
    conflict: SnapshotDiff | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The article form with its preview (and, after a conflict, the differences)."""
    if article is not None:
        lang = article.lang
    elif source is not None:
        lang = service.other_language(source.lang)
    else:
        lang = str(form.lang.data) if form.lang.data in LANGUAGES else "en"
    other = service.version_in(article.key, service.other_language(lang)) if article else None
    html = render_template(
        "studio/edit.html",
        form=form,
        article=article,
        source=source,
        article_lang=lang,
        other_lang=service.other_language(lang),
        other=other,
        old_slugs=service.old_slugs(article) if article else [],
        preview_html=_failures_html(service.check_examples(form.body.data or "", current_policy()))
        + service.preview_html(form.body.data or "", lang, policy_placeholders()),
        previewed=previewed,
        conflict=conflict,
    )
    return html, status
