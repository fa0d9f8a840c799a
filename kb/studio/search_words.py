"""The search words in the studio: the synonyms and stop words writers keep in a file, read-only."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, render_template

from kb.auth.access import role_required
from kb.config import LANGUAGES
from kb.search.words import FILE_NAME, SearchWordsError, load_search_words, refresh_words
from kb.studio.views import bp


def _root() -> Path:
    return Path(current_app.config["ARTICLES_DIR"])


@bp.get("/search-words")
@role_required("writer")
def search_words() -> str:
    """The synonyms and stop words of both languages, and the file's mistake if it has one."""
    error = None
    try:
        found = load_search_words(_root())
    except (SearchWordsError, OSError, UnicodeDecodeError) as exc:
        error = str(exc)
        found = refresh_words(_root())  # what search uses meanwhile: the last good version
    return render_template("studio/search_words.html", words=found, error=error,
                           langs=LANGUAGES, file_name=FILE_NAME)


@bp.get("/search-words.toml")
@role_required("writer")
def search_words_file() -> Response:
    """The file itself, as plain text (it is changed in git, like the articles)."""
    try:
        text = (_root() / FILE_NAME).read_text(encoding="utf-8")
    except OSError:
        text = ""
    return Response(text, mimetype="text/plain")
