"""The articles API's shapes."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

ARTICLES = Path(__file__).resolve().parents[2] / "articles"


def published_files(lang: str = "*") -> int:
    """How many published articles the articles folder holds (in one language or all)."""
    return sum("\nstatus: published\n" in path.read_text(encoding="utf-8")
               for path in ARTICLES.glob(f"{lang}/*.md"))


def test_list_articles_in_one_language(content_client: FlaskClient) -> None:
    data = content_client.get("/api/v1/articles?lang=fr").get_json()
    assert len(data["articles"]) == published_files("fr") > 0
    first = data["articles"][0]
    assert set(first) >= {"key", "slug", "lang", "title", "category", "url", "updated_at"}
    assert all(a["lang"] == "fr" for a in data["articles"])
    assert first["url"].startswith("http://kb.test/fr/articles/")


def test_list_articles_in_both_languages(content_client: FlaskClient) -> None:
    assert len(content_client.get("/api/v1/articles").get_json()["articles"]) == published_files() > 0


def test_bad_language_is_a_json_400(content_client: FlaskClient) -> None:
    response = content_client.get("/api/v1/articles?lang=de")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_lang"


def test_one_article_has_its_rendered_html(content_client: FlaskClient) -> None:
    data = content_client.get("/api/v1/articles/en/return-window").get_json()
    assert data["key"] == "return-window"
    assert "<h2" in data["html"] and "{{" not in data["html"]


def test_missing_article_is_a_json_404(content_client: FlaskClient) -> None:
    response = content_client.get("/api/v1/articles/en/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "No such article."}}
