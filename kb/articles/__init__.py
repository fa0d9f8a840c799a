"""Articles: the help centre's public pages, its API, and the Markdown import/export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from kb.articles.models import Article


def init_app(app: Flask) -> None:
    """Register the public pages, the articles API and ``kb articles``."""
    from kb.articles import api, views
    from kb.articles.cli import articles_cli

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.cli.add_command(articles_cli)
    _register_filters(app)


def _register_filters(app: Flask) -> None:
    from kb.articles.rendering import fill_placeholders
    from kb.shop import policy_placeholders

    @app.template_filter("policy_fill")
    def policy_fill(text: str, lang: str) -> str:
        """Fill policy placeholders in a title or summary (plain text, still escaped)."""
        return fill_placeholders(text or "", policy_placeholders(), lang)

    @app.template_filter("faq_entry")
    def faq_entry(article: Article) -> dict[str, Any]:
        """A schema.org Question for the hub's FAQPage."""
        return {
            "@type": "Question",
            "name": article.title,
            "acceptedAnswer": {
                "@type": "Answer",
                "text": fill_placeholders(article.summary, policy_placeholders(), article.lang),
            },
        }
