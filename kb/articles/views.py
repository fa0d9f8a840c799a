"""Public help-centre pages: home, categories, articles, votes, sitemap and robots.txt."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
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

from kb import insights, pagecache, search
from kb.articles.categories import CATEGORIES, RETURN_TOPICS, get_category
from kb.articles.models import Article, ArticleStatus, Vote
from kb.articles.public import find_by_slug, published_articles, rendered, translations
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
    voted = request.args.get("voted")
    voted = voted if voted in ("yes", "no") else None
    page = pagecache.lookup(voted)
    if page is None:
        rendered = _render_article(lang, slug, voted)
        if isinstance(rendered, BaseResponse):
            return rendered
        page = rendered
    token = request.args.get("s", "")
    if search.is_click_token(token):
        search.log_click(token, page.meta["key"])
    insights.record_article_view(page.meta["article_id"], g.visit_id)
    return page.response()


def _render_article(lang: str, slug: str, voted: str | None) -> pagecache.Page | BaseResponse:
    """The article page (kept in the page cache), or the redirect or error in its place."""
    found, moved = find_by_slug(lang, slug)
    if moved is not None:
        if moved.status == ArticleStatus.DELETED:
            abort(410)
        return redirect(url_for("articles.article", lang=moved.lang, slug=moved.slug), 301)
    if found is None:
        abort(404)
    if found.status == ArticleStatus.DELETED:
        abort(410)
    if found.status != ArticleStatus.PUBLISHED:
        abort(404)
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
        voted=voted,
        return_topic=found.category in RETURN_TOPICS,
    )
    return pagecache.keep(html, voted, article_id=found.id, key=found.key)


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
    flash(_("Thank you for your feedback."), "success")
    target = url_for("articles.article", lang=lang, slug=found.slug, voted=answer)
    return redirect(target + "#helpful")


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
