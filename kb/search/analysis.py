"""Language analysis: how text becomes index terms, for articles and queries alike.

Tokens, stop words (the language's standard ones and the writers' own, from
search-words.toml), English/French snowball stemming and accent folding turn article text
into index terms and query words into search terms with the same code, so the two always
agree; LangAnalyzer is the same analysis as whoosh sees it when indexing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Analyzer, Token
from whoosh.lang import stemmer_for_language, stopwords_for_language

from kb.search.words import SearchWords, current_words

LANGS: tuple[str, ...] = ("en", "fr")

# Letters and digits; apostrophes and hyphens split words, so French elisions ("l'article",
# "qu'il") leave a stop word and the real word. Underscore is not a word character here.
WORD_RE = re.compile(r"[^\W_]+")

def fold(text: str) -> str:
    """Lower-case and strip accents: "Reçu" -> "recu", "Œuvre" -> "oeuvre"."""
    return _fold_word(text) if len(text) < 40 else _fold_uncached(text)


def _fold_uncached(text: str) -> str:
    text = text.lower()
    if text.isascii():
        return text
    # Ligatures do not decompose under NFKD, so spell them out first.
    text = text.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Words repeat a lot, so caching the fold of short strings is far cheaper than NFKD each time.
_fold_word = lru_cache(maxsize=200_000)(_fold_uncached)


class _Lang:
    """Per-language stop list and cached stemmer."""

    def __init__(self, lang: str, words: SearchWords) -> None:
        self.lang = lang
        self.words = words  # the search words it was built from (see language())
        # The language's standard stop words, and the writers' conversational filler
        # (search-words.toml), so that "can I bring it back" ranks on the words that matter.
        base = set(stopwords_for_language(lang)) | words.stops(lang)
        # Stop words are matched after lower-casing; also accept them typed without accents.
        self.stops = frozenset(base | {_fold_uncached(w) for w in base})
        self._stem = stemmer_for_language(lang)
        # word -> term: indexing looks up millions of words, mostly the same few thousand,
        # so one dict hit replaces the stop-word test, the stemmer and the folding.
        self.terms: dict[str, str | None] = {}

    def term(self, word_lower: str) -> str | None:
        """Return the index term for one lower-cased word, or None for a stop word."""
        found = self.terms.get(word_lower, _MISS)
        if found is not _MISS:
            # Not the sentinel, so a str or None; mypy cannot narrow an object sentinel,
            # and a cast() would add a call to the build's hottest line.
            return found  # type: ignore[return-value]
        if word_lower in self.stops or len(word_lower) > 40:
            term = None
        elif len(word_lower) == 1 and not word_lower.isdigit():
            term = None
        else:
            # Stem the accented word (the stemmers use accents), then fold, so "remboursé"
            # and "rembourse" both give "rembours"; typo correction catches what is left.
            term = fold(self._stem(word_lower))
        if len(self.terms) >= 500_000:  # odd input (random strings) must not grow it forever
            self.terms.clear()
        self.terms[word_lower] = term
        return term


_MISS = object()


_LANG_CACHE: dict[str, _Lang] = {}


def language(lang: str) -> _Lang:
    """The stop words, stemmer and word cache of one language (ValueError if unknown).

    Built again when the search words in use change (a writer edited the stop words).
    """
    words = current_words()
    found = _LANG_CACHE.get(lang)
    if found is not None and found.words is words:
        return found
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}")
    _LANG_CACHE[lang] = obj = _Lang(lang, words)
    return obj


def term_for(word: str, lang: str) -> str | None:
    """Return the index term of one word in `lang`, or None if it is a stop word."""
    return language(lang).term(word.lower())


def analyze(text: str, lang: str) -> list[str]:
    """Return the index terms of `text` in order (stop words removed)."""
    conv = language(lang).term
    out: list[str] = []
    for m in WORD_RE.finditer(text):
        t = conv(m.group().lower())
        if t is not None:
            out.append(t)
    return out


STOP_MARK = "~"


def token_keys(text: str, lang: str) -> list[str]:
    """Every word of `text` as a comparable key: its term, or "~" + the folded stop word."""
    conv = language(lang).term
    return [conv(w.lower()) or STOP_MARK + fold(w) for w in WORD_RE.findall(text)]


def longest_run(query: list[str], field: Iterable[str]) -> int:
    """Length of the longest run of words `query` and `field` share, in order, that holds
    at least one non-stop word ("where is my return" in "Where is my return? ...": 4)."""
    where: dict[str, list[int]] = {}
    for i, k in enumerate(query):
        where.setdefault(k, []).append(i)
    best = 0
    prev: dict[int, tuple[int, bool]] = {}
    for k in field:
        cur: dict[int, tuple[int, bool]] = {}
        for i in where.get(k, ()):
            length, content = prev.get(i - 1, (0, False))
            cur[i] = run = (length + 1, content or not k.startswith(STOP_MARK))
            if run[1] and run[0] > best:
                best = run[0]
        prev = cur
    return best


def query_words(text: str, lang: str) -> list[tuple[str, str]]:
    """Return (surface word, term) for each non-stop word of a query, in order."""
    conv = language(lang).term
    out: list[tuple[str, str]] = []
    for m in WORD_RE.finditer(text):
        word = m.group()
        t = conv(word.lower())
        if t is not None:
            out.append((word, t))
    return out


def _lowered(value: str) -> str:
    """`value` in lower case to find its words in; as it is if a character's lower case is
    longer ("İ"), so that the words found keep their offsets in `value`."""
    low = value.lower()
    return low if len(low) == len(value) else value


def term_positions(value: str, lang: str) -> dict[str, list[int]]:
    """Each term of `value` with the positions where it stands, in order of first use: what
    LangAnalyzer yields with positions on, gathered without a Token per word (a full build
    analyses some 30 million words; see building.fast_index)."""
    la = language(lang)
    # Any: a cached term or the _MISS sentinel, told apart below without a call per word.
    get: Callable[[str, Any], Any] = la.terms.get
    conv = la.term
    low = _lowered(value)
    found: dict[str, list[int]] = {}
    pos = 0
    for word in WORD_RE.findall(low):
        text = get(word, _MISS)
        if text is _MISS:
            text = conv(word.lower())
        if text is None:
            continue  # stop words take no position
        at = found.get(text)
        if at is None:
            found[text] = [pos]
        else:
            at.append(pos)
        pos += 1
    return found


class LangAnalyzer(Analyzer):
    """Whoosh analyzer for one language: tokenize, stop, stem, fold in a single pass.

    One class instead of a chain of whoosh filters because each filter layer costs a
    generator hop per token; indexing 4 million tokens makes that the build's bottleneck.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getstate__(self) -> dict[str, Any]:
        # The schema is pickled into the index's TOC: keep only the language code.
        return {"lang": self.lang}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.lang = state["lang"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LangAnalyzer) and other.lang == self.lang

    def __hash__(self) -> int:
        return hash(("LangAnalyzer", self.lang))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        """Yield whoosh tokens for `value` (one reused Token object, as whoosh expects)."""
        lang = language(self.lang)
        get, conv = lang.terms.get, lang.term
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = fold(value)
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos
        low = _lowered(value)
        for m in WORD_RE.finditer(low):
            word = m.group()
            text = get(word, _MISS)
            if text is _MISS:
                text = conv(word.lower())
            if text is None:
                continue  # stop words do not take a position, like whoosh's StopFilter
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[m.start() : m.end()]
            if positions:
                t.pos = pos
            pos += 1
            if chars:
                t.startchar, t.endchar = start_char + m.start(), start_char + m.end()
            yield t

