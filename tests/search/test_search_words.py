"""The writers' search words file: checked with file and line, the last good version kept."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kb.search import words
from kb.search.engine import IndexedDoc, SearchIndex
from kb.search.query import synonyms_for
from kb.search.schema import schema_version
from kb.search.words import FILE_NAME, SearchWordsError, parse_search_words, refresh_words
from tests.search.corpus import ARTICLES

GOOD = """\
[synonyms.en]
money = ["refund"]
smashed = ["damaged"]

[synonyms.fr]
argent = ["remboursement"]

[stop_words]
en = ["please", "hello"]
fr = ["merci"]
"""


# Each test may load other words; the process goes back to the shipped file after.
pytestmark = pytest.mark.usefixtures("restore_search_words")


def error_of(text: str) -> SearchWordsError:
    with pytest.raises(SearchWordsError) as caught:
        parse_search_words(text, FILE_NAME)
    return caught.value


def test_the_shipped_file_has_synonyms_and_stop_words_in_both_languages() -> None:
    found = words.load_search_words(ARTICLES)
    for lang in ("en", "fr"):
        assert found.synonyms[lang] and found.stop_words[lang]
    assert ("money", ("refund",)) in found.synonyms["en"]
    assert "veux" in found.stops("fr")


def test_a_good_file_parses() -> None:
    found = parse_search_words(GOOD)
    assert found.synonyms["en"] == (("money", ("refund",)), ("smashed", ("damaged",)))
    assert found.stops("en") == {"please", "hello"}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[synonyms.en]\nmoney = ["refund"]\n"send back" = ["return"]\n', 3, "not a single word"),
        ('[stop_words]\nen = [\n  "please",\n  "est-ce",\n]\n', 4, "not a single word"),
        ('[stop_words]\nen = [\n  "please",\n  "hello",\n  "Please",\n]\n', 5, "listed twice"),
        ('[synonyms.en]\nbroken = ["damaged", "faulty", "damaged"]\n', 2, "listed twice"),
        ('[synonyms.en]\nmoney = ["refund"]\nmoney = ["cash"]\n', 3, "given twice"),
        ('[synonyms.de]\ngeld = ["refund"]\n', 1, "unknown language 'de'"),
        ('[stop_words]\nen = ["a"]\nes = ["y"]\n', 3, "unknown language 'es'"),
        ('[synonyms.en]\nmoney = "refund"\n', 2, "must be a list of words"),
        ('[synonyms.en]\nmoney = []\n', 2, "must be a list of words"),
        ('[synonyms.en]\nrefund = ["refund"]\n', 2, "its own synonym"),
        ('\n[antonyms.en]\nbig = ["small"]\n', 2, "unknown table 'antonyms'"),
        ('[stop_words]\nen = ["please"]\n\n[synonyms.en]\nmoney = ["refund"]\nplease = ["help"]\n', 6,
         "'please' is also in stop_words.en"),
        ('[stop_words]\nfr = ["svp"]\n\n[synonyms.fr]\naide = [\n  "assistance",\n  "svp",\n]\n', 7,
         "'svp' is also in stop_words.fr"),
    ],
)
def test_a_mistake_names_the_file_and_line(text: str, line: int, message: str) -> None:
    error = error_of(text)
    assert error.line == line, str(error)
    assert message in str(error)
    assert str(error).startswith(f"{FILE_NAME}:{line}: ")


def test_the_last_good_version_is_kept_when_the_file_breaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / FILE_NAME).write_text(GOOD, encoding="utf-8")
    good = refresh_words(tmp_path)
    assert synonyms_for("en") == {"money": ("refund",), "smash": ("damag",)}
    (tmp_path / FILE_NAME).write_text(GOOD + 'es = ["y"]\n', encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="kb.search.words"):
        assert refresh_words(tmp_path) is good
    assert f"{FILE_NAME}:11: unknown language 'es'" in caplog.text
    (tmp_path / FILE_NAME).write_text(GOOD.replace("smashed", "broken"), encoding="utf-8")
    assert refresh_words(tmp_path) is not good  # fixed: read again
    assert "broken" in synonyms_for("en") and "smash" not in synonyms_for("en")


def test_synonyms_from_the_file_are_searched(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild([IndexedDoc("en:r", "r", "en", "r", "Refunds", "returning", (), "When a refund "
                           "is paid.", "", "Refunds are paid in five days.", 1)])
    (tmp_path / FILE_NAME).write_text(GOOD.replace('money = ["refund"]\n', ""), encoding="utf-8")
    refresh_words(tmp_path)
    assert ix.search("money", "en").total == 0
    (tmp_path / FILE_NAME).write_text(GOOD, encoding="utf-8")
    refresh_words(tmp_path)
    assert [h.key for h in ix.search("money", "en").hits] == ["r"]


def test_new_stop_words_make_the_index_out_of_date(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text(GOOD, encoding="utf-8")
    refresh_words(tmp_path)
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild([IndexedDoc("en:r", "r", "en", "r", "Refunds", "returning", (), "", "", "x", 1)])
    before = schema_version()
    assert ix.status() == "ok"
    (tmp_path / FILE_NAME).write_text(GOOD.replace('"hello"', '"hello", "refunds"'),
                                      encoding="utf-8")
    refresh_words(tmp_path)
    assert schema_version() != before
    assert ix.status() == "corrupt"  # the search service rebuilds such an index
    ix.rebuild([IndexedDoc("en:r", "r", "en", "r", "Refunds", "returning", (), "", "", "x", 1)])
    assert ix.status() == "ok"
