"""Studio fixtures: staff members who sign in, and articles made as the studio makes them."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from kb.articles.files import ArticleFile
from kb.articles.models import Article
from kb.articles.service import create_article
from kb.extensions import db
from tests.conftest import PASSWORD, AuthActions  # noqa: F401  (PASSWORD: used by the studio tests)


@pytest.fixture
def writer(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    """``client``, signed in as a writer named Wanda Writer."""
    auth.login("writer")
    return client


def make_article(**overrides: Any) -> Article:
    """A saved article (revision 1, by "seed"); any field can be overridden."""
    fields: dict[str, Any] = {
        "key": "lost-parcel",
        "lang": "en",
        "slug": "lost-parcel",
        "title": "My parcel is lost",
        "category": "problems",
        "tags": ["parcel", "carrier"],
        "status": "published",
        "summary": "What to do when a parcel never arrives.",
        "body": "Ask the carrier first.\n\nThen write to us.\n",
    }
    fields.update(overrides)
    article = create_article(ArticleFile(**fields), "seed", "Seeded")
    db.session.commit()
    return article


def form_for(article: Article, **changes: Any) -> dict[str, Any]:
    """The edit form as the studio would post it for ``article``, with some fields changed."""
    data: dict[str, Any] = {
        "title": article.title,
        "slug": article.slug,
        "category": article.category,
        "tags": ", ".join(article.tags),
        "summary": article.summary,
        "status": article.status,
        "body": article.body,
        "message": "",
        "expected_revision": str(article.revision),
        "action": "save",
    }
    data.update(changes)
    return data
