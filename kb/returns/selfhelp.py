"""Which articles the assistant offers for a decision: ``self-help.toml`` beside the articles.

Writers own the file; this module reads and checks it. A lookup falls back from the answer and
the reason, to the answer alone (``any``), to ``default``.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from kb.articles.files import ArticleFileError, find_article_files, parse_article
from kb.articles.models import Article
from kb.extensions import db
from kb.policy import Answer, Decision, Reason

log = logging.getLogger(__name__)

FILE_NAME = "self-help.toml"
ANY = "any"
NEVER = "never"
DEFAULT = "default"
# How precisely a list fits the line: the answer and the reason, the answer alone, the default.
EXACT, ANSWER_ONLY, FALLBACK = 0, 1, 2


class SelfHelpError(ValueError):
    """A mistake in the self-help file, with the file and line where it is."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SelfHelpMap:
    """The articles for each answer, and each answer and reason, most specific first."""

    default: tuple[str, ...]
    by_answer: dict[str, dict[str, tuple[str, ...]]]
    # Articles never offered for an answer, not even when the shopper's note matches them.
    never: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def articles_for(self, answer: str, reason: str) -> tuple[tuple[str, ...], int]:
        """The article keys for one line and how precisely they fit (EXACT, ANSWER_ONLY, FALLBACK)."""
        table = self.by_answer.get(str(answer), {})
        if str(reason) in table:
            return table[str(reason)], EXACT
        if ANY in table:
            return table[ANY], ANSWER_ONLY
        return self.default, FALLBACK


def merged_keys(mapping: SelfHelpMap, lines: Iterable[tuple[Decision, str]]) -> list[str]:
    """The article keys for several lines, most specific first, each once.

    Every line's first article comes before any line's second: a return of two items shows
    what answers each. Among equals, a refused line goes first (its refusal needs explaining),
    then the line whose list fits it more precisely, then the order of the lines.
    """
    ranked = []
    for index, (decision, reason) in enumerate(lines):
        keys, fit = mapping.articles_for(decision.answer, reason)
        for rank, key in enumerate(keys):
            ranked.append(((rank, decision.eligible, fit, index), key))
    ranked.sort(key=lambda entry: entry[0])
    return list(dict.fromkeys(key for _order, key in ranked))


def excluded_keys(mapping: SelfHelpMap, lines: Iterable[tuple[Decision, str]]) -> set[str]:
    """The articles none of these lines may be offered (their answers' ``never``), unless listed for one."""
    lines = list(lines)
    never = {key for decision, _reason in lines for key in mapping.never.get(str(decision.answer), ())}
    return never - set(merged_keys(mapping, lines))


# -- reading and checking the file ------------------------------------------------------------

_TABLE = re.compile(r"^\s*\[\s*([^\]\s]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _locate(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """Where each (table, key) entry starts and ends in the file (1-based lines), for errors."""
    places: dict[tuple[str, str], tuple[int, int]] = {}
    table, current = "", None
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        header, entry = _TABLE.match(line), _KEY.match(line)
        if header or entry:
            if current is not None:
                places[current] = (places[current][0], number - 1)
                current = None
        if header:
            table = header.group(1)
            places[(table, "")] = (number, number)
        elif entry:
            current = (table, entry.group(1))
            places[current] = (number, number)
    if current is not None:
        places[current] = (places[current][0], len(lines))
    return places


def _line_of(text: str, places: dict[tuple[str, str], tuple[int, int]], table: str, key: str,
             word: str | None = None) -> int | None:
    """The line of an entry, or of ``word`` inside it when given."""
    start, end = places.get((table, key), (None, None))
    if start is None or end is None:
        return None
    if word is not None:
        lines = text.splitlines()
        for number in range(start, end + 1):
            if f'"{word}"' in lines[number - 1] or f"'{word}'" in lines[number - 1]:
                return number
    return start


def parse_self_help(text: str, known_keys: set[str], path: Path | str = FILE_NAME) -> SelfHelpMap:
    """Parse and check the self-help file's text; raise SelfHelpError naming the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise SelfHelpError(path, int(found.group(1)) if found else None, str(exc)) from exc
    places = _locate(text)
    answers, reasons = {a.value for a in Answer}, {r.value for r in Reason}

    def keys_of(value: object, table: str, key: str) -> tuple[str, ...]:
        line = _line_of(text, places, table, key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise SelfHelpError(path, line, f"{key} must be a list of article keys, e.g. [\"return-window\"]")
        for article in value:
            if article not in known_keys:
                raise SelfHelpError(path, _line_of(text, places, table, key, article),
                                    f"unknown article key {article!r} (no article has this key)")
        if len(set(value)) != len(value):
            raise SelfHelpError(path, line, f"{key} lists an article twice")
        return tuple(value)

    if DEFAULT not in data:
        raise SelfHelpError(path, 1, 'the file needs a "default" list, for answers it does not name')
    default = keys_of(data[DEFAULT], "", DEFAULT)
    by_answer: dict[str, dict[str, tuple[str, ...]]] = {}
    never: dict[str, tuple[str, ...]] = {}
    for name, table in data.items():
        if name == DEFAULT:
            continue
        line = _line_of(text, places, name, "") or _line_of(text, places, "", name)
        if name not in answers:
            raise SelfHelpError(path, line, f"unknown answer {name!r}; answers are: {', '.join(sorted(answers))}")
        if not isinstance(table, dict):
            raise SelfHelpError(path, line, f"{name} must be a table: [{name}]")
        entries = {}
        for reason, value in table.items():
            if reason == NEVER:
                never[name] = keys_of(value, name, reason)
                continue
            if reason != ANY and reason not in reasons:
                raise SelfHelpError(path, _line_of(text, places, name, reason),
                                    f"unknown reason {reason!r} in [{name}]; reasons are: any, never, "
                                    f"{', '.join(sorted(reasons))}")
            entries[reason] = keys_of(value, name, reason)
        clash = set(never.get(name, ())) & {key for keys in entries.values() for key in keys}
        if clash:
            raise SelfHelpError(path, _line_of(text, places, name, NEVER),
                                f"[{name}] both offers and never offers {', '.join(sorted(clash))}")
        by_answer[name] = entries
    return SelfHelpMap(default=default, by_answer=by_answer, never=never)


def article_keys_in(root: Path) -> dict[str, set[str]]:
    """The languages of each article key of an articles folder (files that do not parse are skipped)."""
    found: dict[str, set[str]] = {}
    for path in find_article_files(root):
        try:
            article = parse_article(path.read_text(encoding="utf-8"), path.name)
        except (ArticleFileError, UnicodeDecodeError):
            continue  # the import reports these
        found.setdefault(article.key, set()).add(article.lang)
    return found


def load_self_help(root: Path, extra_keys: Iterable[str] = ()) -> SelfHelpMap:
    """Read ``self-help.toml`` from an articles folder, checked against its articles (and ``extra_keys``)."""
    path = root / FILE_NAME
    text = path.read_text(encoding="utf-8")
    known = set(article_keys_in(root)) | set(extra_keys)
    return parse_self_help(text, known, path.name)


# -- the current file, per process -------------------------------------------------------------

_LOCK = threading.Lock()
_EMPTY = SelfHelpMap(default=(), by_answer={})


def current_self_help() -> SelfHelpMap:
    """The self-help map of ``ARTICLES_DIR``, read again when the file changes.

    A file with a mistake is logged and the last good version kept (nothing offered before
    the first good one): the assistant goes on working while a writer fixes it.
    """
    root = Path(current_app.config["ARTICLES_DIR"])
    path = root / FILE_NAME
    try:
        info = path.stat()
        stamp: tuple[str, float, int] | None = (str(path), info.st_mtime, info.st_size)
    except OSError:
        stamp = None
    cache = current_app.extensions.setdefault("kb_self_help", {})
    with _LOCK:
        if cache.get("stamp") == stamp and "map" in cache:
            return cache["map"]
    mapping = cache.get("map", _EMPTY)
    if stamp is None:
        log.error("%s is missing: the assistant offers only articles matching the note", path)
    else:
        try:
            # Articles written in the studio count too, though they have no file yet.
            studio_keys = db.session.scalars(select(Article.key).distinct())
            mapping = load_self_help(root, studio_keys)
        except (SelfHelpError, OSError, UnicodeDecodeError) as exc:
            log.error("self-help file not used: %s", exc)
    with _LOCK:
        cache["stamp"], cache["map"] = stamp, mapping
    return mapping


def keys_for_lines(lines: Sequence[tuple[Decision, str]]) -> tuple[list[str], set[str]]:
    """The article keys to offer for these lines (decision and reason of each), and those never to."""
    mapping = current_self_help()
    return merged_keys(mapping, lines), excluded_keys(mapping, lines)
