"""Public help-centre pages: home, categories, articles, votes, sitemap and robots.txt."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from kb import pagecache
from kb.articles.categories import CATEGORIES, RETURN_TOPICS, get_category
from kb.articles.models import Article, ArticleStatus, Vote
from kb.articles.public import find_by_slug, published_articles, rendered, translations
from kb.articles.signals import article_read
from kb.config import LANGUAGES
from kb.database import write_transaction
from kb.extensions import db

bp = Blueprint("articles", __name__)


@bp.get("/")
def root() -> ResponseReturnValue:
    """Send visitors to the help centre in their browser's language."""
    lang = request.accept_languages.best_match(LANGUAGES) or "en"
    return redirect(url_for("articles.home", lang=lang))


@bp.get("/<lang:lang>/")
@pagecache.cached_page
def home(lang: str) -> str:
    """The help centre's front page: search, categories and the returns hub."""
    articles = published_articles(lang)
    by_category = {c.code: [a for a in articles if a.category == c.code] for c in CATEGORIES}
    return render_template("articles/home.html", categories=CATEGORIES, by_category=by_category)


@bp.get("/<lang:lang>/categories/<code>")
@pagecache.cached_page
def category(lang: str, code: str) -> str:
    """All published articles of one category."""
    found = get_category(code)
    if found is None:
        abort(404)
    return render_template(
        "articles/category.html", category=found, articles=published_articles(lang, code)
    )


@bp.get("/<lang:lang>/articles/<slug>")
def article(lang: str, slug: str) -> ResponseReturnValue:
    """One article, with its breadcrumbs, translation and the helpfulness question."""
    page = pagecache.lookup()
    if page is None:
        rendered = _render_article(lang, slug)
        if isinstance(rendered, BaseResponse):
            return rendered
        page = rendered
    _count_read(page, g.visit_id, request.args.get("s", ""))
    return pagecache.serve(page, on_serve=_count_read)


def _count_read(page: pagecache.Page, visit_id: str, from_search: str = "") -> None:
    """Every serve of an article page is a read (and, with a search's click token, that search's click)."""
    # The proxy's real app is the sender (Flask's LocalProxy method is not in its type hints).
    sender = current_app._get_current_object()  # type: ignore[attr-defined]
    article_read.send(sender, article_id=page.meta["article_id"], key=page.meta["key"], visit_id=visit_id,
                      click_token=from_search)


def _published_or_abort(lang: str, slug: str) -> Article | BaseResponse:
    """The published article at this address, a redirect from an old slug, or a 404 or 410."""
    found, moved = find_by_slug(lang, slug)
    if moved is not None:
        if moved.status == ArticleStatus.DELETED:
            abort(410)
        return redirect(url_for(request.endpoint or "articles.article", lang=moved.lang, slug=moved.slug), 301)
    if found is None:
        abort(404)
    if found.status == ArticleStatus.DELETED:
        abort(410)
    if found.status != ArticleStatus.PUBLISHED:
        abort(404)
    return found


def _render_article(lang: str, slug: str) -> pagecache.Page | BaseResponse:
    """The article page (kept in the page cache), or the redirect or error in its place."""
    found = _published_or_abort(lang, slug)
    if isinstance(found, BaseResponse):
        return found
    versions = translations(found)
    g.alternates = {
        code: url_for("articles.article", lang=code, slug=a.slug) for code, a in versions.items()
    }
    for code in LANGUAGES:
        # No version in that language: its help centre's search for the topic, never a 404
        # (the title is the article's own, not anything from the request).
        g.alternates.setdefault(code, url_for("search.results", lang=code, q=found.title))
    html = render_template(
        "articles/article.html",
        article=found,
        body=rendered(found),
        category=get_category(found.category),
        versions=versions,
        return_topic=found.category in RETURN_TOPICS,
    )
    return pagecache.keep(html, article_id=found.id, key=found.key)


@bp.get("/<lang:lang>/articles/<slug>/vote")
def vote_page(lang: str, slug: str) -> ResponseReturnValue:
    """The "Was this helpful?" form with its CSRF token, or the thanks after an answer.

    The cached article page carries no token: without JavaScript its buttons lead here
    (``helpful`` names the one pressed), and a vote sent from here comes back with ``voted``.
    """
    found = _published_or_abort(lang, slug)
    if isinstance(found, BaseResponse):
        return found
    voted = request.args.get("voted")
    chosen = request.args.get("helpful")
    html = render_template(
        "articles/vote.html",
        article=found,
        voted=voted if voted in ("yes", "no") else None,
        chosen=chosen if chosen in ("yes", "no") else None,
        return_topic=found.category in RETURN_TOPICS,
    )
    # The form holds this visitor's token: no browser or proxy may keep it.
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.post("/<lang:lang>/articles/<slug>/vote")
def vote(lang: str, slug: str) -> ResponseReturnValue:
    """Record a "Was this helpful?" answer; one per visit and article, the last one counts."""
    found, _moved = find_by_slug(lang, slug)
    if found is None or found.status != ArticleStatus.PUBLISHED:
        abort(404)
    answer = request.form.get("helpful")
    if answer not in ("yes", "no"):
        abort(400, description=_("Please answer yes or no."))
    with write_transaction():
        existing = db.session.scalar(
            select(Vote).where(Vote.article_id == found.id, Vote.visit_id == g.visit_id)
        )
        if existing is None:
            db.session.add(Vote(article_id=found.id, helpful=answer == "yes", visit_id=g.visit_id))
        else:
            existing.helpful = answer == "yes"
    if request.accept_mimetypes.best == "application/json":
        return Response('{"ok": true}', mimetype="application/json")
    return redirect(url_for("articles.vote_page", lang=lang, slug=found.slug, voted=answer))


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every published page in both languages, with hreflang alternates."""
    articles = db.session.scalars(
        select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.id)
    ).all()
    by_key: dict[str, dict[str, Article]] = {}
    for item in articles:
        by_key.setdefault(item.key, {})[item.lang] = item
    xml = render_template(
        "sitemap.xml",
        articles=articles,
        by_key=by_key,
        categories=CATEGORIES,
        languages=LANGUAGES,
        base=public_base(),
    )
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots() -> Response:
    """Let search engines in, except the staff areas, and point them to the sitemap."""
    lines = [
        "User-agent: *",
        "Disallow: /studio",
        "Disallow: /desk",
        "Disallow: /insights",
        "Disallow: /login",
        "Disallow: /api/",
        "Allow: /",
        f"Sitemap: {public_base()}/sitemap.xml",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def public_base() -> str:
    """The site's public address, for absolute links (BASE_URL, else this request's host)."""
    configured = current_app.config.get("BASE_URL")
    return (configured or request.host_url).rstrip("/")
