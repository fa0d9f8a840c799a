"""The studio shows the writers' search words of both languages, read-only, with the file's mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.studio.conftest import AuthActions

# Each test may load other words; the process goes back to the shipped file after.
pytestmark = pytest.mark.usefixtures("restore_search_words")


def test_writers_see_synonyms_and_stop_words_of_both_languages(writer: FlaskClient) -> None:
    page = writer.get("/studio/search-words")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<td>money</td><td>refund</td>" in html
    assert "<td>paquet</td><td>colis</td>" in html
    assert "voudrais" in html and "please" in html
    assert 'href="/studio/search-words.toml"' in html
    assert 'id="search-words-error"' not in html
    assert 'href="/studio/search-words"' in writer.get("/studio").get_data(as_text=True)


def test_the_file_is_linked_as_plain_text(writer: FlaskClient) -> None:
    response = writer.get("/studio/search-words.toml")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "[synonyms.en]" in response.get_data(as_text=True)


def test_a_mistake_is_shown_with_its_line(app: Flask, writer: FlaskClient, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "search-words.toml").write_text('[synonyms.en]\nmoney = ["refund"]\n\n'
                                              '[stop_words]\nen = ["hi", "hi"]\n')
    app.config["ARTICLES_DIR"] = str(folder)
    html = writer.get("/studio/search-words").get_data(as_text=True)
    assert 'id="search-words-error"' in html
    assert "search-words.toml:5: &#39;hi&#39; is listed twice" in html


def test_agents_cannot_see_it(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("agent")
    assert client.get("/studio/search-words").status_code == 403
    assert client.get("/studio/search-words.toml").status_code == 403
