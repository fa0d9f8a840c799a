"""Writing and editing articles: validation, preview, conflicts, slugs and search."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.articles.models import Article, ArticleRevision
from kb.extensions import db
from tests.studio.conftest import form_for, make_article

NEW_ARTICLE = {
    "title": "Returning a bicycle",
    "slug": "",
    "lang": "en",
    "category": "returning",
    "tags": "bicycle, bike,  , bicycle, large items",
    "summary": "Bicycles go back by courier.",
    "status": "published",
    "body": "Book a courier pickup.\r\n\r\nKeep the box.",
    "message": "First version",
    "action": "save",
}


def _article(**where: str) -> Article:
    found = db.session.scalar(select(Article).filter_by(**where))
    assert found is not None
    return found


def test_writer_creates_a_published_article_that_the_public_can_read(writer: FlaskClient) -> None:
    response = writer.post("/studio/new", data=NEW_ARTICLE)
    article = _article(title="Returning a bicycle")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/studio/{article.id}/edit"
    assert "Article created." in writer.get(response.headers["Location"]).get_data(as_text=True)
    assert article.slug == "returning-a-bicycle"  # suggested from the title
    assert article.tags == ["bicycle", "bike", "large items"]
    assert article.body == "Book a courier pickup.\n\nKeep the box.\n"
    assert article.revisions[0].author == "Wanda Writer"
    assert article.revisions[0].message == "First version"
    public = writer.get("/en/articles/returning-a-bicycle")
    assert public.status_code == 200
    assert "<h1>Returning a bicycle</h1>" in public.get_data(as_text=True)


def test_a_draft_stays_private_until_it_is_published(writer: FlaskClient) -> None:
    writer.post("/studio/new", data={**NEW_ARTICLE, "status": "draft"})
    article = _article(title="Returning a bicycle")
    assert writer.get("/en/articles/returning-a-bicycle").status_code == 404
    response = writer.post(f"/studio/{article.id}/edit", data=form_for(article, status="published"))
    assert response.status_code == 302
    assert writer.get("/en/articles/returning-a-bicycle").status_code == 200
    assert article.revision == 2 and article.revisions[-1].status == "published"


def test_an_empty_slug_is_made_from_the_title_and_kept_unique(writer: FlaskClient) -> None:
    data = {**NEW_ARTICLE, "lang": "fr", "title": "Où est mon colis ? Cœur & âme"}
    writer.post("/studio/new", data=data)
    writer.post("/studio/new", data=data)
    slugs = sorted(a.slug for a in db.session.scalars(select(Article).where(Article.lang == "fr")))
    assert slugs == ["ou-est-mon-colis-coeur-ame", "ou-est-mon-colis-coeur-ame-2"]
    keys = {a.key for a in db.session.scalars(select(Article))}
    assert len(keys) == 2  # two separate articles, not a translation pair


def test_invalid_fields_are_explained_and_nothing_typed_is_lost(writer: FlaskClient) -> None:
    data = {
        **NEW_ARTICLE,
        "title": "  ",
        "slug": "Not A Slug!",
        "summary": "s" * 301,
        "tags": ", ".join(f"tag{n}" for n in range(21)),
        "body": "My carefully typed text with {{ policy.no_such_value }}.",
    }
    response = writer.post("/studio/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Give the article a title." in html
    assert "Use only lower-case letters, digits and single dashes" in html
    assert "Keep the summary to 300 characters or fewer." in html
    assert "Use at most 20 tags." in html
    assert "Unknown placeholder: {{ policy.no_such_value }}" in html
    assert 'value="Not A Slug!"' in html
    assert "My carefully typed text with {{ policy.no_such_value }}." in html
    assert "s" * 301 in html and "tag20" in html
    assert db.session.scalar(select(Article)) is None


def test_a_slug_used_by_another_article_is_refused(writer: FlaskClient) -> None:
    make_article()
    response = writer.post("/studio/new", data={**NEW_ARTICLE, "slug": "lost-parcel"})
    assert response.status_code == 200
    assert "Another article in this language uses this address" in response.get_data(as_text=True)


def test_edit_page_shows_the_saved_article_in_the_form(writer: FlaskClient) -> None:
    article = make_article()
    html = writer.get(f"/studio/{article.id}/edit").get_data(as_text=True)
    assert 'value="My parcel is lost"' in html
    assert "Ask the carrier first." in html
    assert 'name="expected_revision" type="hidden" value="1"' in html
    assert 'aria-live="polite"' in html and "studio.js" in html


def test_saving_without_changes_makes_no_revision(writer: FlaskClient) -> None:
    article = make_article()
    response = writer.post(
        f"/studio/{article.id}/edit", data=form_for(article), follow_redirects=True
    )
    assert "Nothing changed" in response.get_data(as_text=True)
    assert article.revision == 1


def test_preview_renders_like_the_public_page_and_drops_scripts(writer: FlaskClient) -> None:
    body = "**Bold** within {{ policy.window_days }} days.\n\n<script>alert('x')</script>"
    response = writer.post("/studio/preview", data={"body": body, "lang": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "<strong>Bold</strong> within 30 days." in html
    assert "<script" not in html and "alert" not in html


def test_preview_is_exactly_the_public_article_body(
    content_app: Flask, writer: FlaskClient
) -> None:
    article = _article(lang="fr", slug="garantie-marketplace")
    preview = writer.post("/studio/preview", data={"body": article.body, "lang": "fr"})
    public = writer.get("/fr/articles/garantie-marketplace").get_data(as_text=True)
    assert preview.get_data(as_text=True) in public


def test_preview_button_renders_the_text_without_saving(writer: FlaskClient) -> None:
    data = {
        **NEW_ARTICLE,
        "body": "# Heading\n\nA *new* idea <script>x()</script>",
        "action": "preview",
    }
    response = writer.post("/studio/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<em>new</em>" in html and "<script>x()" not in html
    assert "A *new* idea &lt;script&gt;x()&lt;/script&gt;" in html  # still in the textarea
    assert "It is not saved yet." in html
    assert db.session.scalar(select(Article)) is None


def test_second_save_from_the_same_revision_is_refused_with_a_diff(writer: FlaskClient) -> None:
    article = make_article()
    first = form_for(article, body="Ask the carrier first.\n\nThen call us.\n")
    second = form_for(article, body="Ask the carrier first.\n\nThen write to us <b>today</b>.\n")
    assert writer.post(f"/studio/{article.id}/edit", data=first).status_code == 302

    response = writer.post(f"/studio/{article.id}/edit", data=second)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this article while you were editing it" in html
    assert '<del>Then <mark class="diff-word">call</mark>' in html
    assert "&lt;b&gt;today&lt;/b&gt;" in html  # the writer's text, escaped, kept to merge
    assert 'name="expected_revision" type="hidden" value="2"' in html
    assert article.body == "Ask the carrier first.\n\nThen call us.\n"  # nothing overwritten

    merged = form_for(article, body="Ask the carrier first.\n\nThen call or write to us.\n")
    merged["expected_revision"] = "2"
    assert writer.post(f"/studio/{article.id}/edit", data=merged).status_code == 302
    assert article.revision == 3 and "call or write" in article.body


def test_changing_the_slug_keeps_the_old_address_working(writer: FlaskClient) -> None:
    article = make_article()
    response = writer.post(
        f"/studio/{article.id}/edit", data=form_for(article, slug="parcel-missing")
    )
    assert response.status_code == 302
    moved = writer.get("/en/articles/lost-parcel")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/en/articles/parcel-missing")
    html = writer.get(f"/studio/{article.id}/edit").get_data(as_text=True)
    assert "Old addresses" in html and "<code>/en/articles/lost-parcel</code>" in html


def test_a_published_edit_is_found_by_search_right_after_saving(
    content_app: Flask, writer: FlaskClient
) -> None:
    # Without the studio's notice, this process would not look at the database for an hour.
    content_app.config["SEARCH_SYNC_INTERVAL"] = 3600.0
    assert writer.get("/api/v1/search?q=quokka&lang=en").get_json()["total"] == 0
    article = _article(lang="en", slug="return-window")
    body = article.body + "\nEven a quokka plush can be returned.\n"
    assert (
        writer.post(f"/studio/{article.id}/edit", data=form_for(article, body=body)).status_code
        == 302
    )
    found = writer.get("/api/v1/search?q=quokka&lang=en").get_json()
    assert [hit["slug"] for hit in found["results"]] == ["return-window"]


def test_every_revision_names_the_staff_member(writer: FlaskClient) -> None:
    article = make_article()
    writer.post(
        f"/studio/{article.id}/edit", data=form_for(article, title="Lost parcel", message="Shorter")
    )
    latest = db.session.scalar(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.number == 2
        )
    )
    assert latest is not None
    assert (latest.author, latest.message) == ("Wanda Writer", "Shorter")
