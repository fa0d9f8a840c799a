"""Which articles the assistant offers for a decision: ``self-help.toml`` beside the articles.

Writers own the file; this module reads and checks it. A lookup falls back from the answer and
the reason, to the answer alone (``any``), to ``default``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from kb.articles.files import ArticleFileError, find_article_files, parse_article
from kb.articles.models import Article
from kb.extensions import db
from kb.policy import Answer, Decision, Reason
from kb.writer_files import KeptFile, WriterFileError, entry_places, line_of, parse_toml

log = logging.getLogger(__name__)

FILE_NAME = "self-help.toml"
ANY = "any"
NEVER = "never"
DEFAULT = "default"
# How precisely a list fits the line: the answer and the reason, the answer alone, the default.
EXACT, ANSWER_ONLY, FALLBACK = 0, 1, 2


class SelfHelpError(WriterFileError):
    """A mistake in the self-help file, with the file and line where it is."""


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

def parse_self_help(text: str, known_keys: set[str], path: Path | str = FILE_NAME) -> SelfHelpMap:
    """Parse and check the self-help file's text; raise SelfHelpError naming the line."""
    data = parse_toml(text, path, SelfHelpError)
    places = entry_places(text)
    answers, reasons = {a.value for a in Answer}, {r.value for r in Reason}

    def keys_of(value: object, table: str, key: str) -> tuple[str, ...]:
        line = line_of(text, places, table, key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise SelfHelpError(path, line, f"{key} must be a list of article keys, e.g. [\"return-window\"]")
        for article in value:
            if article not in known_keys:
                raise SelfHelpError(path, line_of(text, places, table, key, article),
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
        line = line_of(text, places, name, "") or line_of(text, places, "", name)
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
                raise SelfHelpError(path, line_of(text, places, name, reason),
                                    f"unknown reason {reason!r} in [{name}]; reasons are: any, never, "
                                    f"{', '.join(sorted(reasons))}")
            entries[reason] = keys_of(value, name, reason)
        clash = set(never.get(name, ())) & {key for keys in entries.values() for key in keys}
        if clash:
            raise SelfHelpError(path, line_of(text, places, name, NEVER),
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

def current_self_help() -> SelfHelpMap:
    """The self-help map of ``ARTICLES_DIR``, read again when the file changes.

    A file with a mistake is logged and the last good version kept (nothing offered before
    the first good one): the assistant goes on working while a writer fixes it.
    """
    root = Path(current_app.config["ARTICLES_DIR"])
    kept = current_app.extensions.setdefault("kb_self_help", KeptFile(
        SelfHelpMap(default=(), by_answer={}), log, "self-help file",
        "the assistant offers only articles matching the note"))

    def load(path: Path) -> SelfHelpMap:
        # Articles written in the studio count too, though they have no file yet.
        return load_self_help(path.parent, db.session.scalars(select(Article.key).distinct()))

    return kept.current(root / FILE_NAME, load)


def keys_for_lines(lines: Sequence[tuple[Decision, str]]) -> tuple[list[str], set[str]]:
    """The article keys to offer for these lines (decision and reason of each), and those never to."""
    mapping = current_self_help()
    return merged_keys(mapping, lines), excluded_keys(mapping, lines)
