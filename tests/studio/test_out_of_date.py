"""Translations kept in step: a change of the published text puts the other version out of date."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.articles.models import Article
from kb.articles.service import update_article
from kb.extensions import db
from tests.studio.conftest import form_for, make_article


def pair() -> tuple[Article, Article]:
    """A published English article and its published French version, in step."""
    english = make_article()
    french = make_article(
        lang="fr", slug="colis-perdu", title="Mon colis est perdu", body="Demandez au transporteur.\n"
    )
    return english, french


def test_changing_the_published_text_puts_the_translation_out_of_date(writer: FlaskClient) -> None:
    english, french = pair()
    writer.post(f"/studio/{english.id}/edit", data=form_for(english, body="Wait two days, then ask the carrier.\n"))
    assert french.out_of_date and french.out_of_date_since == 1
    assert not english.out_of_date

    listing = writer.get("/studio").get_data(as_text=True)
    assert ">out of date<" in listing and ">translation out of date<" in listing
    todo = listing[listing.index('id="out-of-date"') :]
    todo = todo[: todo.index("</ul>")]
    assert f'href="/studio/{french.id}/edit"' in todo and "Mon colis est perdu" in todo
    assert f'href="/studio/{english.id}/edit"' not in todo


def test_the_editor_says_out_of_date_and_links_to_what_changed(writer: FlaskClient) -> None:
    english, french = pair()
    writer.post(f"/studio/{english.id}/edit", data=form_for(english, title="My parcel never came"))
    html = writer.get(f"/studio/{french.id}/edit").get_data(as_text=True)
    assert "The English version changed since this one was last brought in step." in html
    assert f'href="/studio/{english.id}/diff?a=1&amp;b=2"' in html
    assert f'action="/studio/{french.id}/still-accurate"' in html and ">Still accurate</button>" in html
    assert "Still accurate" not in writer.get(f"/studio/{english.id}/edit").get_data(as_text=True)


def test_still_accurate_clears_the_flag_without_a_new_revision(writer: FlaskClient) -> None:
    english, french = pair()
    writer.post(f"/studio/{english.id}/edit", data=form_for(english, summary="Lost parcels, step by step."))
    response = writer.post(f"/studio/{french.id}/still-accurate", follow_redirects=True)
    assert "Marked as still accurate." in response.get_data(as_text=True)
    assert not french.out_of_date and french.revision == 1
    assert "out of date" not in writer.get("/studio").get_data(as_text=True).replace("Translations out of date", "")


def test_updating_the_translation_clears_it_and_does_not_flag_the_source(writer: FlaskClient) -> None:
    english, french = pair()
    writer.post(f"/studio/{english.id}/edit", data=form_for(english, body="Wait two days.\n"))
    writer.post(f"/studio/{french.id}/edit", data=form_for(french, body="Attendez deux jours.\n"))
    assert not french.out_of_date and not english.out_of_date
    # A later change of the French text, in step before, puts the English one out of date.
    writer.post(f"/studio/{french.id}/edit", data=form_for(french, body="Attendez trois jours.\n"))
    assert english.out_of_date_since == 2


def test_only_a_change_readers_see_puts_the_translation_out_of_date(writer: FlaskClient) -> None:
    english, french = pair()
    writer.post(f"/studio/{english.id}/edit", data=form_for(english, tags="parcel, lost, carrier"))
    writer.post(f"/studio/{english.id}/delete")
    writer.post(f"/studio/{english.id}/undelete")
    assert english.status == "published" and english.revision == 4
    assert not french.out_of_date
    draft = make_article(key="draft", slug="draft", status="draft")
    make_article(key="draft", lang="fr", slug="brouillon")
    writer.post(f"/studio/{draft.id}/edit", data=form_for(draft, body="Still a draft.\n"))
    assert db.session.get(Article, draft.id) is not None
    assert not any(a.out_of_date for a in db.session.scalars(select(Article).where(Article.key == "draft")))


def test_still_accurate_needs_the_csrf_token(app: Flask, writer: FlaskClient) -> None:
    english, french = pair()
    update_article(english, {"body": "New text.\n"}, "seed", "Changed")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert writer.post(f"/studio/{french.id}/still-accurate").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert french.out_of_date


def test_an_import_that_changes_both_languages_leaves_them_in_step(app: Flask) -> None:
    english, french = pair()
    update_article(english, {"body": "New text.\n"}, "import", "Imported")
    update_article(french, {"body": "Nouveau texte.\n"}, "import", "Imported")
    db.session.commit()
    assert not english.out_of_date and not french.out_of_date
