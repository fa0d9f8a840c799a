"""The search words writers own: synonyms and stop words, from ``search-words.toml``.

The file sits beside the articles (see its header for the format). This module reads and
checks it, and keeps the version in use in this process: a file with a mistake is logged and
the last good version kept, so search goes on working while a writer fixes it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from kb.config import DEFAULTS
from kb.writer_files import KeptFile, WriterFileError, entry_places, line_of, parse_toml

log = logging.getLogger(__name__)

FILE_NAME = "search-words.toml"
LANGS: tuple[str, ...] = ("en", "fr")
# What WORD_RE of the analysis reads as one word: anything else could never be matched.
_WORD = re.compile(r"[^\W_]+")


class SearchWordsError(WriterFileError):
    """A mistake in the search words file, with the file and line where it is."""


@dataclass(frozen=True)
class SearchWords:
    """Synonyms (shopper word -> article words) and extra stop words, per language."""

    synonyms: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)
    stop_words: dict[str, frozenset[str]] = field(default_factory=dict)

    def stops(self, lang: str) -> frozenset[str]:
        """The extra stop words of one language (lower-case, as written)."""
        return self.stop_words.get(lang, frozenset())

    @cached_property
    def digest(self) -> str:
        """A short fingerprint of the stop words: an index built with others is out of date."""
        text = "|".join(f"{lang}:{' '.join(sorted(self.stops(lang)))}" for lang in LANGS)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


class _Checker:
    """Parses and checks one file's text, naming the line of each mistake."""

    def __init__(self, text: str, path: Path | str) -> None:
        self.text, self.path = text, path
        self.places = entry_places(text)

    def fail(self, table: str, key: str, message: str, word: str | None = None) -> SearchWordsError:
        """The error for an entry (or for ``word`` inside it), at its line."""
        return SearchWordsError(self.path, line_of(self.text, self.places, table, key, word), message)

    def words(self, value: object, table: str, key: str, what: str) -> tuple[str, ...]:
        """A list of single words, each once (compared in lower case)."""
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(table, key, f'{what} must be a list of words, e.g. ["refund"]')
        seen: set[str] = set()
        for word in value:
            if not _WORD.fullmatch(word):
                raise self.fail(table, key, f"{word!r} is not a single word of letters or digits "
                                "(no spaces, hyphens or punctuation)", word)
            if word.lower() in seen:
                raise self.fail(table, key, f"{word!r} is listed twice in {what}", word)
            seen.add(word.lower())
        return tuple(w.lower() for w in value)

    def table(self, data: dict[str, object], name: str, line_key: str) -> dict[str, object]:
        """A table whose keys are languages."""
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail("", name, f"{name} must be a table: [{name}.en], [{name}.fr]")
        for lang in value:
            if lang not in LANGS:
                raise self.fail(line_key.format(lang=lang), "" if "{" in line_key else lang,
                                f"unknown language {lang!r} in {name}; languages are: "
                                f"{', '.join(LANGS)}")
        return value


def parse_search_words(text: str, path: Path | str = FILE_NAME) -> SearchWords:
    """Parse and check the search words file's text; raise SearchWordsError naming the line."""
    data = parse_toml(text, path, SearchWordsError, twice="a word is given twice")
    check = _Checker(text, path)
    for name in data:
        if name not in ("synonyms", "stop_words"):
            raise check.fail(name, "", f"unknown table {name!r}; tables are: synonyms, stop_words")
    stop_words = {lang: frozenset(check.words(value, "stop_words", lang, f"stop_words.{lang}"))
                  for lang, value in check.table(data, "stop_words", "stop_words").items()}
    synonyms: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
    for lang, entries in check.table(data, "synonyms", "synonyms.{lang}").items():
        table = f"synonyms.{lang}"
        if not isinstance(entries, dict):
            raise check.fail("synonyms", lang, f"{table} must be a table: [{table}]")
        pairs = []
        for word, targets in entries.items():
            if not _WORD.fullmatch(word):
                raise check.fail(table, word, f"{word!r} is not a single word of letters or "
                                 "digits (no spaces, hyphens or punctuation)")
            listed = check.words(targets, table, word, word)
            if word.lower() in listed:
                raise check.fail(table, word, f"{word!r} is given as its own synonym")
            # A stop word is dropped from every search before synonyms are looked up.
            stopped = [w for w in (word.lower(), *listed) if w in stop_words.get(lang, frozenset())]
            if stopped:
                raise check.fail(table, word, f"{stopped[0]!r} is also in stop_words.{lang}, so searches "
                                 "never use it; remove it from one of the two", stopped[0])
            pairs.append((word.lower(), listed))
        synonyms[lang] = tuple(pairs)
    return SearchWords(synonyms=synonyms, stop_words=stop_words)


def load_search_words(root: Path) -> SearchWords:
    """Read ``search-words.toml`` from an articles folder, checked."""
    path = root / FILE_NAME
    return parse_search_words(path.read_text(encoding="utf-8"), path.name)


# -- the words in use in this process ---------------------------------------------------------

# Before the first good file: only the languages' standard stop words, and no synonyms.
_kept: KeptFile[SearchWords] = KeptFile(SearchWords(), log, "search words file",
                                        "search runs without synonyms and extra stop words")


def refresh_words(root: Path | str | None = None) -> SearchWords:
    """Read the file of the articles folder `root` again if it changed; return the words in use.

    A file with a mistake is logged and the last good version kept.
    """
    path = Path(root if root is not None else DEFAULTS["ARTICLES_DIR"]) / FILE_NAME
    return _kept.current(path, lambda found: load_search_words(found.parent))


def current_words() -> SearchWords:
    """The search words in use (read from the default articles folder the first time)."""
    return _kept.value if _kept.loaded else refresh_words()
