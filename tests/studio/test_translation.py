"""Translation pairs: the other-language version starts as a flagged copy of its source."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from kb.articles.models import Article
from kb.extensions import db
from tests.studio.conftest import form_for, make_article


def _french() -> Article | None:
    return db.session.scalar(select(Article).where(Article.lang == "fr"))


def test_edit_page_offers_to_create_the_missing_translation(writer: FlaskClient) -> None:
    article = make_article()
    html = writer.get(f"/studio/{article.id}/edit").get_data(as_text=True)
    assert f'href="/studio/new?translate={article.id}">Create the French version</a>' in html


def test_translation_form_is_prefilled_from_its_source(writer: FlaskClient) -> None:
    article = make_article()
    html = writer.get(f"/studio/new?translate={article.id}").get_data(as_text=True)
    assert 'value="My parcel is lost"' in html
    assert "Ask the carrier first." in html
    assert 'value="parcel, carrier"' in html
    assert '<option selected value="problems">' in html
    assert '<option selected value="draft">' in html
    assert '<option selected value="fr">' in html and 'value="en"' not in html
    assert "Translation done" in html


def test_saving_a_translation_shares_the_key_and_stays_flagged(writer: FlaskClient) -> None:
    article = make_article()
    data = form_for(article, title="Mon colis est perdu", slug="", status="draft", lang="fr")
    del data["expected_revision"]
    response = writer.post(f"/studio/new?translate={article.id}", data=data)
    french = _french()
    assert response.status_code == 302 and french is not None
    assert (french.key, french.slug, french.category) == (
        "lost-parcel",
        "mon-colis-est-perdu",
        "problems",
    )
    assert french.tags == ["parcel", "carrier"] and french.status == "draft"
    assert french.needs_translation is True

    listing = writer.get("/studio").get_data(as_text=True)
    assert listing.count("needs translation") == 2  # both sides of the pair
    html = writer.get(f"/studio/{article.id}/edit").get_data(as_text=True)
    assert f'href="/studio/{french.id}/edit" hreflang="fr">Edit the French version</a>' in html


def test_translation_done_clears_the_flag_only_when_ticked(writer: FlaskClient) -> None:
    article = make_article()
    writer.post(
        f"/studio/new?translate={article.id}", data=form_for(article, slug="colis-perdu", lang="fr")
    )
    french = _french()
    assert french is not None
    writer.post(f"/studio/{french.id}/edit", data=form_for(french, title="Mon colis est perdu"))
    assert french.needs_translation is True
    writer.post(f"/studio/{french.id}/edit", data=form_for(french, translation_done="y"))
    assert french.needs_translation is False
    assert writer.get("/studio").get_data(as_text=True).count(">translated<") == 2


def test_ticking_translation_done_at_creation_saves_it_unflagged(writer: FlaskClient) -> None:
    article = make_article()
    data = form_for(article, slug="colis-perdu", lang="fr", translation_done="y")
    writer.post(f"/studio/new?translate={article.id}", data=data)
    french = _french()
    assert french is not None and french.needs_translation is False


def test_translating_again_opens_the_existing_translation(writer: FlaskClient) -> None:
    article = make_article()
    french = make_article(lang="fr", slug="colis-perdu", title="Colis perdu")
    response = writer.get(f"/studio/new?translate={article.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/studio/{french.id}/edit"


def test_list_shows_which_language_is_missing(writer: FlaskClient) -> None:
    make_article()
    make_article(key="gift", lang="fr", slug="cadeau", title="Un cadeau")
    html = writer.get("/studio").get_data(as_text=True)
    assert "missing French" in html and "missing English" in html
