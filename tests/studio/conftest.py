"""Studio fixtures: staff members who sign in, and articles made as the studio makes them."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.articles.files import ArticleFile
from kb.articles.models import Article
from kb.articles.service import create_article
from kb.auth.models import User
from kb.auth.service import create_user
from kb.extensions import db

PASSWORD = "correct horse battery staple"
NAMES = {"writer": "Wanda Writer", "admin": "Ada Admin", "agent": "Arthur Agent"}


class AuthActions:
    """Signs a staff member of a given role in on the test client."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, role: str = "writer") -> User:
        """Create the role's user on first use, then sign in through the login form."""
        email = f"{role}@example.com"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(email, PASSWORD, role, name=NAMES[role])
            db.session.commit()
        response = self._client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Sign staff in on ``client``."""
    return AuthActions(client)


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
