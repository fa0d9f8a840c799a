"""Language analysis for the search engine: tokens, stop words, stemming, accent folding.

The same code turns article text into index terms and query words into search terms, so
the two always agree; it also finds the matched words of a text for snippets.
"""

from __future__ import annotations

import html
import re
import unicodedata
from array import array
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Analyzer, Token
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

LANGS: tuple[str, ...] = ("en", "fr")

# Letters and digits; apostrophes and hyphens split words, so French elisions ("l'article",
# "qu'il") leave a stop word and the real word. Underscore is not a word character here.
WORD_RE = re.compile(r"[^\W_]+")

# Conversational filler that carries no topic: dropped like stop words so that "can I bring
# it back" or "je veux renvoyer" rank on the words that matter (OR semantics).
_EXTRA_STOPS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "i im ive id ill me my mine want wanted wants would could please pls help hi hello "
        "thanks thank hey also still yet ve ll re get got getting go going went do does did "
        "done can cannot cant couldn wont won didn doesn isn wasn hasn haven shouldn ok okay "
        "anyone someone something anything thing things way us via etc".split()
    ),
    "fr": frozenset(
        "je j me m moi mon ma mes veux voudrais voudrait veut vouloir peux peut puis pouvez "
        "pourrais pourriez comment faire fait faut bonjour merci svp stp salut ça ca cela "
        "ceci est-ce quoi quel quelle quels quelles si chez alors donc aussi encore tout "
        "tous toute toutes très tres bien".split()
    ),
}


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

    def __init__(self, lang: str) -> None:
        self.lang = lang
        base = set(stopwords_for_language(lang)) | _EXTRA_STOPS[lang]
        # Stop words are matched after lower-casing; also accept them typed without accents.
        self.stops = frozenset(base | {_fold_uncached(w) for w in base})
        stem = stemmer_for_language(lang)
        self._stem = lru_cache(maxsize=200_000)(stem)

    def term(self, word_lower: str) -> str | None:
        """Return the index term for one lower-cased word, or None for a stop word."""
        if word_lower in self.stops or len(word_lower) > 40:
            return None
        if len(word_lower) == 1 and not word_lower.isdigit():
            return None
        # Stem the accented word (the stemmers use accents), then fold, so "remboursé" and
        # "rembourse" both give "rembours"; leftover mismatches are caught by typo correction.
        return fold(self._stem(word_lower))


_LANG_CACHE: dict[str, _Lang] = {}


def _lang(lang: str) -> _Lang:
    try:
        return _LANG_CACHE[lang]
    except KeyError:
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}") from None
        _LANG_CACHE[lang] = obj = _Lang(lang)
        return obj


def term_for(word: str, lang: str) -> str | None:
    """Return the index term of one word in `lang`, or None if it is a stop word."""
    return _lang(lang).term(word.lower())


def analyze(text: str, lang: str) -> list[str]:
    """Return the index terms of `text` in order (stop words removed)."""
    conv = _lang(lang).term
    out: list[str] = []
    for m in WORD_RE.finditer(text):
        t = conv(m.group().lower())
        if t is not None:
            out.append(t)
    return out


def query_words(text: str, lang: str) -> list[tuple[str, str]]:
    """Return (surface word, term) for each non-stop word of a query, in order."""
    conv = _lang(lang).term
    out: list[tuple[str, str]] = []
    for m in WORD_RE.finditer(text):
        word = m.group()
        t = conv(word.lower())
        if t is not None:
            out.append((word, t))
    return out


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

    def __call__(  # type: ignore[override]
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
        conv = _lang(self.lang).term
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
        for m in WORD_RE.finditer(value):
            text = conv(m.group().lower())
            if text is None:
                continue  # stop words do not take a position, like whoosh's StopFilter
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = m.group()
            if positions:
                t.pos = pos
            pos += 1
            if chars:
                t.startchar, t.endchar = start_char + m.start(), start_char + m.end()
            yield t


# --- schema ----------------------------------------------------------------------------

# Field boosts, applied per field outside BM25's saturation so a title match stays strong.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 5.0, "tags": 3.0, "summary": 2.5, "headings": 2.0, "body": 1.0,
}
FIELDS: tuple[str, ...] = tuple(FIELD_WEIGHTS)
# BM25 length normalisation per field: short fields barely need it.
FIELD_B: dict[str, float] = {"title": 0.3, "tags": 0.2, "summary": 0.5, "headings": 0.5, "body": 0.75}
K1 = 1.2
# Bump when the schema or the analysis changes: an index built otherwise reads as corrupt.
SCHEMA_VERSION = "kb-search-1"


def _schema() -> Schema:
    spec: dict[str, Any] = {
        "doc_id": ID(unique=True),
        # Per-document facts for results, filters and revisions, read without unpickling
        # stored fields: doc_id, key, lang, slug, category, revision, title.
        "meta": COLUMN(VarBytesColumn()),
        # Stored only for snippets.
        "summary": STORED,
        "body": STORED,
    }
    for lang in LANGS:
        analyzer = LangAnalyzer(lang)
        for name in FIELDS:
            # Boosts live in FIELD_WEIGHTS (see above), not in whoosh's field_boost, which
            # would scale term frequency inside the saturation and flatten the title boost.
            spec[f"{name}_{lang}"] = TEXT(analyzer=analyzer, phrase=True)
    return Schema(**spec)


SCHEMA = _schema()
_SEP = "\x1f"


def doc_fields(doc: Any) -> dict[str, Any]:
    """Whoosh fields of an IndexedDoc (only its language's text fields are filled)."""
    if doc.lang not in LANGS:
        raise ValueError(f"unsupported language {doc.lang!r} for {doc.doc_id!r}")
    meta = (doc.doc_id, doc.key, doc.lang, doc.slug, doc.category, str(int(doc.revision)),
            doc.title)
    fields: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "meta": _SEP.join(m.replace(_SEP, " ") for m in meta).encode(),
        "summary": doc.summary,
        "body": doc.body,
    }
    values = {"title": doc.title, "tags": " ; ".join(doc.tags), "summary": doc.summary,
              "headings": doc.headings, "body": doc.body}
    for name, value in values.items():
        if value:
            fields[f"{name}_{doc.lang}"] = value
    return fields


def _meta(raw: bytes) -> tuple[Any, ...]:
    parts = raw.decode().split(_SEP)
    if len(parts) != 7:
        return ("", "", "", "", "", 0, "")
    parts[5] = int(parts[5])  # type: ignore[call-overload]
    return tuple(parts)


# --- reading segments back ---------------------------------------------------------------

_BYTE_TO_LENGTH = [byte_to_length(i) for i in range(256)]


class SegmentCache:
    """What one immutable segment holds, decoded once: per-doc facts and term vectors.

    A term vector is (local doc numbers, field-weighted BM25 tf parts) over all text fields
    of one language; the query multiplies by idf. Deletions change between generations, so
    they are applied at query time, and a vector stays valid for the segment's life.
    """

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.segid: str = reader.segment().segment_id()
        col = reader.column_reader("meta", translate=False)
        self.meta: list[tuple[Any, ...]] = [_meta(raw) for raw in col]
        self.vectors: dict[tuple[str, str], tuple[array[int], array[float]]] = {}
        self._lengths: dict[str, list[int]] = {}
        self._vocab: dict[str, dict[str, int]] = {}

    def vocab(self, lang: str) -> dict[str, int]:
        """Term -> document frequency (summed over the fields) in this segment."""
        v = self._vocab.get(lang)
        if v is None:
            v = {}
            for name in FIELDS:
                fieldname = f"{name}_{lang}"
                if fieldname not in self.reader.indexed_field_names():
                    continue
                for btext, info in self.reader.iter_field(fieldname):
                    text = btext.decode() if isinstance(btext, bytes) else btext
                    v[text] = v.get(text, 0) + info.doc_frequency()
            self._vocab[lang] = v
        return v

    def lengths(self, fieldname: str) -> list[int]:
        """Field length (in terms) of every document of the segment."""
        lens = self._lengths.get(fieldname)
        if lens is None:
            n = self.reader.doc_count_all()
            try:  # fast path: the codec's length column is one byte per document
                col = self.reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
                raw = col._dbfile.get(col._basepos, col._count) if col is not None else b""
                lens = [_BYTE_TO_LENGTH[b] for b in raw] + [0] * (n - len(raw))
            except Exception:
                lens = [self.reader.doc_field_length(d, fieldname, 0) or 0 for d in range(n)]
            self._lengths[fieldname] = lens
        return lens

    def vector(
        self, lang: str, term: str, avgdl: dict[str, float]
    ) -> tuple[array[int], array[float]]:
        """Build (and keep) the term vector of `term` in `lang`."""
        key = (lang, term)
        vec = self.vectors.get(key)
        if vec is not None:
            return vec
        acc: dict[int, float] = {}
        for name, weight in FIELD_WEIGHTS.items():
            fieldname = f"{name}_{lang}"
            try:
                matcher = self.reader.postings(fieldname, term)
            except Exception:  # TermNotFound, or a field this segment never saw
                continue
            lens = self.lengths(fieldname)
            b = FIELD_B[name]
            norm_a = K1 * (1.0 - b)
            norm_b = K1 * b / max(avgdl.get(fieldname, 1.0), 1e-9)
            top = weight * (K1 + 1.0)
            get = acc.get
            for d, tf in _postings(matcher):
                acc[d] = get(d, 0.0) + top * tf / (tf + norm_a + norm_b * lens[d])
        vec = (array("i", acc.keys()), array("f", acc.values()))
        self.vectors[key] = vec
        return vec


def _postings(matcher: Any) -> Iterator[tuple[int, float]]:
    """(doc number, term frequency) pairs of a whoosh posting list, a block at a time."""
    if isinstance(matcher, FilterMatcher):
        # Deleted documents are dropped at query time; the vector must not depend on them.
        matcher = matcher.child
    if all(hasattr(matcher, a) for a in ("_ids", "_weights", "_read_ids", "_next_block")):
        # Fast path on whoosh's W3 matcher: decode whole blocks instead of calling
        # id()/weight()/next() per posting (several times faster on long lists).
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            yield from zip(matcher._ids, matcher._weights, strict=True)
            matcher._next_block()
    else:
        while matcher.is_active():
            yield matcher.id(), matcher.weight()
            matcher.next()


def verify_segment(leaf: Any) -> None:
    """Touch every part of one segment cheaply; raises if any of it is unreadable."""
    n = leaf.doc_count_all()
    metas = [_meta(raw) for raw in leaf.column_reader("meta", translate=False)]
    if len(metas) != n or any(not m[0] for m in metas):
        raise ValueError("bad meta column")
    for d in (0, n - 1):
        leaf.stored_fields(d)
    for fieldname in leaf.indexed_field_names():
        for btext, _ in leaf.iter_field(fieldname):
            list(leaf.postings(fieldname, btext).all_ids())
            break
    if sum(1 for _ in leaf.iter_field("doc_id")) < leaf.doc_count():
        raise ValueError("fewer doc_id terms than documents")


# --- snippets ----------------------------------------------------------------------------

def best_snippet(
    texts: tuple[str, ...], terms: frozenset[str], lang: str, width: int = 220
) -> str:
    """Escaped HTML of the best `width`-char window of `texts`, matched words in <mark>.

    The window with the most distinct matched terms wins (the first text wins ties, so
    the summary is preferred); only one article is tokenized, so the cost stays small.
    """
    best: tuple[tuple[int, int, int], str, list[tuple[int, int]], int] | None = None
    candidates = _candidate_re(terms)
    for rank, text in enumerate(texts):
        spans = _matches(text, terms, lang, candidates)
        j = 0
        for i, (start, _, _) in enumerate(spans):
            j = max(j, i)
            while j + 1 < len(spans) and spans[j + 1][1] - start <= width:
                j += 1
            window = spans[i : j + 1]
            score = (len({s[2] for s in window}), -rank, len(window))
            if best is None or score > best[0]:
                best = (score, text, [(s, e) for s, e, _ in window], start)
    if best is None:
        first = next((t for t in texts if t.strip()), "")
        return _window(first, 0, width, [])
    _, text, marks, start = best
    # Start a little before the first match, on a word boundary, so it reads naturally.
    lead = max(0, start - width // 5)
    if lead:
        space = text.find(" ", lead, start)
        lead = space + 1 if space != -1 else lead
    return _window(text, lead, width, marks)


@lru_cache(maxsize=512)
def _candidate_re(terms: frozenset[str]) -> re.Pattern[str] | None:
    # Words whose term is one of `terms` start with (most of) that term once folded, so a
    # regex over the folded text finds the few candidates to analyse, instead of analysing
    # all 400 words of an article per hit.
    heads = sorted({t[: max(3, len(t) - 1)] for t in terms}, key=len, reverse=True)
    if not heads:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, heads)) + r")[^\W_]*")


def _matches(
    text: str, terms: frozenset[str], lang: str, candidates: re.Pattern[str] | None
) -> list[tuple[int, int, str]]:
    """(start, end, term) of the words of `text` whose term is in `terms`."""
    conv = _lang(lang).term
    folded = text.lower()
    if not folded.isascii():
        folded = folded.translate(_FOLD_1TO1)
    if candidates is None or len(folded) != len(text):  # a rare case-folding that grows
        return [(m.start(), m.end(), t) for m in WORD_RE.finditer(text)
                if (t := conv(m.group().lower())) is not None and t in terms]
    return [(m.start(), m.end(), t) for m in candidates.finditer(folded)
            if (t := conv(text[m.start() : m.end()].lower())) is not None and t in terms]


def _fold_table() -> dict[int, str]:
    # One character for one character (positions must not move): é -> e, ç -> c, œ -> o.
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(cp))
                       if not unicodedata.combining(c)).lower()
        if base and base != chr(cp):
            table[cp] = base[0]
    return table


_FOLD_1TO1 = _fold_table()


def _window(text: str, lead: int, width: int, marks: list[tuple[int, int]]) -> str:
    end = min(len(text), lead + width)
    if end < len(text):
        space = text.rfind(" ", lead, end)
        end = space if space > lead else end
    parts = ["…" if lead else ""]
    cursor = lead
    for s, e in marks:
        if e > end:
            break
        parts.append(html.escape(text[cursor:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    parts.append("…" if end < len(text) else "")
    return "".join(parts)
