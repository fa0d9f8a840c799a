"""How articles become index data, and how it is read back.

Language analysis (tokens, stop words, English/French snowball stemming, accent folding)
turns article text into index terms and query words into search terms with the same
code, so the two always agree. Then the whoosh schema, and what each immutable segment
holds decoded once in memory (per-document facts, term vectors for ranking), and the
Snapshot of one index generation that searches run against.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from array import array
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Container, Iterable, Iterator
from functools import lru_cache
from math import log
from typing import Any, NamedTuple

from whoosh.analysis import Analyzer, Token
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.index import FileIndex
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import Or, Phrase
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

LANGS: tuple[str, ...] = ("en", "fr")

# Letters and digits; apostrophes and hyphens split words, so French elisions ("l'article",
# "qu'il") leave a stop word and the real word. Underscore is not a word character here.
WORD_RE = re.compile(r"[^\W_]+")

# Conversational filler that carries no topic: dropped like stop words so that "can I bring
# it back" or "je veux renvoyer" rank on the words that matter (OR semantics).
_EXTRA_STOPS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "i im ive id ill me my mine want wanted wants would could please pls hi hello "
        "thanks thank hey also still yet ve ll re get got getting go going went do does did "
        "done can cannot cant couldn wont won didn doesn isn wasn hasn haven shouldn ok okay "
        "anyone someone something anything thing things way via etc dont doesnt didnt isnt "
        "wasnt arent werent".split()
    ),
    "fr": frozenset(
        "je j me m moi mon ma mes veux voudrais voudrait veut vouloir peux peut puis pouvez "
        "pourrais pourriez comment fait faut bonjour merci svp stp salut ça ca cela "
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
        self._stem = stemmer_for_language(lang)
        # word -> term: indexing looks up millions of words, mostly the same few thousand,
        # so one dict hit replaces the stop-word test, the stemmer and the folding.
        self.terms: dict[str, str | None] = {}

    def term(self, word_lower: str) -> str | None:
        """Return the index term for one lower-cased word, or None for a stop word."""
        found = self.terms.get(word_lower, _MISS)
        if found is not _MISS:
            return found  # type: ignore[return-value]  # not the _MISS sentinel, checked above
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
    """The stop words, stemmer and word cache of one language (ValueError if unknown)."""
    try:
        return _LANG_CACHE[lang]
    except KeyError:
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}") from None
        _LANG_CACHE[lang] = obj = _Lang(lang)
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
        low = value.lower()
        if len(low) != len(value):  # a character whose lower case is longer: keep offsets
            low = value
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


# --- schema ----------------------------------------------------------------------------

# Field boosts, applied per field outside BM25's saturation so a title match stays strong.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 5.0, "tags": 3.0, "summary": 2.5, "headings": 2.0, "body": 1.0,
}
FIELDS: tuple[str, ...] = tuple(FIELD_WEIGHTS)
# BM25 length normalisation per field: short fields barely need it.
FIELD_B: dict[str, float] = {
    "title": 0.3, "tags": 0.2, "summary": 0.5, "headings": 0.5, "body": 0.75,
}
K1 = 1.2
# Bump when the schema or the analysis changes: an index built otherwise reads as corrupt.
SCHEMA_VERSION = "kb-search-2"


def _schema() -> Schema:
    spec: dict[str, Any] = {
        "doc_id": ID(unique=True),
        # Per-document facts for results, filters and revisions, read without unpickling
        # stored fields: doc_id, key, lang, slug, category, revision, title, tags.
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
_SEP, _TAG_SEP = "\x1f", "\x1e"


class Meta(NamedTuple):
    """Per-document facts kept in a whoosh column: read fast, without stored fields."""

    doc_id: str
    key: str
    lang: str
    slug: str
    category: str
    revision: int
    title: str
    tags: tuple[str, ...]


_NO_META = Meta("", "", "", "", "", 0, "", ())


def doc_fields(doc: Any) -> dict[str, Any]:
    """Whoosh fields of an IndexedDoc (only its language's text fields are filled)."""
    if doc.lang not in LANGS:
        raise ValueError(f"unsupported language {doc.lang!r} for {doc.doc_id!r}")
    tags = _TAG_SEP.join(t.replace(_TAG_SEP, " ") for t in doc.tags)
    meta = (doc.doc_id, doc.key, doc.lang, doc.slug, doc.category, str(int(doc.revision)),
            doc.title, tags)
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


def _meta(raw: bytes) -> Meta:
    parts = raw.decode().split(_SEP)
    if len(parts) != 8:
        return _NO_META
    tags = tuple(parts[7].split(_TAG_SEP)) if parts[7] else ()
    return Meta(parts[0], parts[1], parts[2], parts[3], parts[4], int(parts[5]), parts[6], tags)


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
        self.meta: list[Meta] = [_meta(raw) for raw in col]
        self._keys: dict[int, tuple[frozenset[str], tuple[tuple[str, ...], ...]]] = {}
        self.vectors: dict[tuple[str, str], Vec] = {}
        self._lengths: dict[str, list[int]] = {}
        self._vocab: dict[str, dict[str, int]] = {}
        self._suggest: list[tuple[str, str, frozenset[str]]] | None = None

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

    def title_keys(self, d: int) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
        """token_keys of the title and of each tag of document `d`, and all of them as a
        set (kept for the most recently asked documents)."""
        keys = self._keys.get(d)
        if keys is None:
            m = self.meta[d]
            fields = tuple(tuple(token_keys(t, m.lang)) for t in (m.title, *m.tags))
            if len(self._keys) >= 4096:  # bounded: only the top results ever ask
                for old in list(self._keys)[:1024]:
                    del self._keys[old]
            keys = self._keys[d] = (frozenset().union(*fields), fields)
        return keys

    def suggest_words(self) -> list[tuple[str, str, frozenset[str]]]:
        """Per document, for suggestions: its folded title, the words of its title and tags
        (each after a space), and every word of its title, tags and summary (read once)."""
        if self._suggest is None:
            out = []
            for d, meta in enumerate(self.meta):
                summary = "" if self.reader.is_deleted(d) else (
                    (self.reader.stored_fields(d) or {}).get("summary", ""))
                words = WORD_RE.findall(fold(meta.title))
                tags = WORD_RE.findall(fold(" ".join(meta.tags)))
                every = frozenset((*words, *tags, *WORD_RE.findall(fold(summary))))
                out.append((" ".join(words), " " + " ".join(dict.fromkeys(words + tags)), every))
            self._suggest = out
        return self._suggest

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

    def vector(self, lang: str, term: str, avgdl: dict[str, float]) -> Vec:
        """Build (and keep) the term vector of `term` in `lang`."""
        key = (lang, term)
        vec = self.vectors.get(key)
        if vec is not None:
            return vec
        acc: dict[int, float] = {}
        for name, weight in FIELD_WEIGHTS.items():
            fieldname = f"{name}_{lang}"
            # TermNotFound, or a field this segment never saw: nothing to add for this field.
            try:
                matcher = self.reader.postings(fieldname, term)
            except Exception:  # nosec B112
                continue
            lens = self.lengths(fieldname)
            b = FIELD_B[name]
            norm_a = K1 * (1.0 - b)
            norm_b = K1 * b / max(avgdl.get(fieldname, 1.0), 1e-9)
            top = weight * (K1 + 1.0)
            get = acc.get
            for d, tf in _postings(matcher):
                acc[d] = get(d, 0.0) + top * tf / (tf + norm_a + norm_b * lens[d])
        if len(self.vectors) >= MAX_VECTORS:
            for old in list(self.vectors)[: MAX_VECTORS // 4]:  # oldest first
                del self.vectors[old]
        vec = self.vectors[key] = Vec(acc, len(self.meta))
        return vec


class Vec:
    """A term's postings in one segment: sorted doc numbers and their tf parts.

    Besides summing whole vectors, queries read them best-first (`impact`) and look
    documents up in them (`lookup`, through a dense array indexed by doc number).
    """

    __slots__ = ("n", "size", "ids", "tfs", "_top", "_mask", "_dense")

    def __init__(self, acc: dict[int, float], size: int) -> None:
        keys = sorted(acc)
        self.n = len(keys)
        self.size = size  # documents in the segment
        self.ids = array("i", keys)
        self.tfs = array("f", map(acc.__getitem__, keys))
        self._top: tuple[array[int], array[float]] | None = None
        self._mask: int | None = None
        self._dense: array[float] | None = None

    def lookup(self, docs: Iterable[int]) -> list[float]:
        """tf part of each of `docs` (doc numbers of this segment), 0.0 where absent."""
        dense = self._dense
        if dense is None:
            dense = array("f", bytes(4 * self.size))
            for d, tf in zip(self.ids, self.tfs, strict=True):
                dense[d] = tf
            self._dense = dense  # published filled: other threads may look up meanwhile
            # 4 bytes per document of the segment: keep only the most recent few hundred.
            _DENSE.append(self)
            if len(_DENSE) > MAX_DENSE:
                _DENSE.popleft()._dense = None
        return list(map(dense.__getitem__, docs))

    def impact(self) -> tuple[array[int], array[float]]:
        """Doc numbers and tf parts, highest tf part first (computed once)."""
        if self._top is None:
            order = sorted(range(self.n), key=self.tfs.__getitem__, reverse=True)
            self._top = (array("i", map(self.ids.__getitem__, order)),
                         array("f", map(self.tfs.__getitem__, order)))
        return self._top

    def mask(self) -> int:
        """The doc numbers as a bit set (an int), for C-speed unions and counts."""
        if self._mask is None:
            self._mask = mask_of(self.ids)
        return self._mask


MAX_DENSE = 512
_DENSE: deque[Vec] = deque()
MAX_VECTORS = 50_000  # per segment; typo'd terms are cached too (as empty vectors)


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
    if len(metas) != n or any(not m.doc_id for m in metas):
        raise ValueError("bad meta column")
    for d in (0, n - 1):
        leaf.stored_fields(d)
    for fieldname in leaf.indexed_field_names():
        for btext, _ in leaf.iter_field(fieldname):
            list(leaf.postings(fieldname, btext).all_ids())
            break
    if sum(1 for _ in leaf.iter_field("doc_id")) < leaf.doc_count():
        raise ValueError("fewer doc_id terms than documents")


# --- one generation of the index ------------------------------------------------------

class Snapshot:
    """One opened generation of the index, with the caches that belong to it."""

    def __init__(
        self, ix: Any, token: Any, caches: dict[str, SegmentCache], lock: threading.RLock
    ) -> None:
        self.token = token
        reader = open_reader(ix)
        self.searcher = Searcher(reader, fromindex=ix)
        # Whoosh readers share file positions, and a segment's reader is shared with the
        # previous snapshot's caches: one lock per index for every read through whoosh.
        self.lock = lock
        self.leaves: list[tuple[Any, int, SegmentCache]] = []
        for leaf, offset in reader.leaf_readers():
            if leaf.segment() is None:
                continue  # an empty index has no segments, only an EmptyReader
            sid = leaf.segment().segment_id()
            cache = caches.get(sid) or SegmentCache(leaf)
            cache.reader = leaf  # the newest reader also knows the newest deletions
            self.leaves.append((leaf, offset, cache))
        self._offsets = [offset for _, offset, _ in self.leaves]
        self.deleted: set[int] = set()
        self.lang_docs = dict.fromkeys(LANGS, 0)
        for leaf, offset, cache in self.leaves:
            dels = set(leaf.deleted_docs_set) if leaf.has_deletions() else set()
            self.deleted.update(offset + d for d in dels)
            for d, meta in enumerate(cache.meta):
                if d not in dels and meta.lang in self.lang_docs:
                    self.lang_docs[meta.lang] += 1
        self.avgdl = {
            f"{f}_{lang}": reader.field_length(f"{f}_{lang}") / max(1, self.lang_docs[lang])
            for lang in LANGS
            for f in FIELDS
        }
        self._vocab: dict[str, dict[str, int]] = {}
        self._titles: dict[str, Titles] = {}
        self._phrases: dict[tuple[str, tuple[str, ...]], frozenset[int]] = {}
        self._categories: dict[str, tuple[set[int], int]] = {}
        self.deleted_mask = mask_of(self.deleted)

    def vocab(self, lang: str) -> dict[str, int]:
        """Term -> document frequency for one language, merged from the segments."""
        v = self._vocab.get(lang)
        if v is None:
            counts: Counter[str] = Counter()
            with self.lock:
                for _, _, cache in self.leaves:
                    counts.update(cache.vocab(lang))
            v = self._vocab[lang] = dict(counts)
        return v

    def leaf_of(self, d: int) -> tuple[SegmentCache, int]:
        """The segment cache holding global doc number `d`, and its number there."""
        i = bisect_right(self._offsets, d) - 1
        _, offset, cache = self.leaves[i]
        return cache, d - offset

    def vector(self, lang: str, term: str) -> list[tuple[int, int, Vec]]:
        """(first doc number, end doc number, vector) of a term in every segment."""
        out = []
        for _, offset, cache in self.leaves:
            vec = cache.vectors.get((lang, term))
            if vec is None:
                with self.lock:
                    vec = cache.vector(lang, term, self.avgdl)
            if vec.n:
                out.append((offset, offset + len(cache.meta), vec))
        return out

    def idf(self, lang: str, parts: list[tuple[int, int, Vec]]) -> float:
        """BM25 idf from the number of documents holding the term."""
        n = self.lang_docs[lang]
        df = sum(vec.n for _, _, vec in parts)
        # ln(1 + N/df): unlike BM25's usual idf it never drops to ~0 for words found in
        # nearly every article ("return" in a returns help centre), which would let a word
        # seen once in one article outweigh everything else the shopper typed.
        return log(1.0 + n / df) if df else 0.0

    def category(self, name: str) -> tuple[set[int], int]:
        """Global doc numbers of one category, as a set and a bit set (once per generation)."""
        found = self._categories.get(name)
        if found is None:
            docs = {
                offset + d
                for _, offset, cache in self.leaves
                for d, meta in enumerate(cache.meta)
                if meta.category == name
            }
            found = self._categories[name] = (docs, mask_of(docs))
        return found

    def titles(self, lang: str) -> Titles:
        """The titles of one language, folded and indexed by the words of their title,
        tags and summary (built once per generation from words read once per segment)."""
        t = self._titles.get(lang)
        if t is None:
            # Built aside and published whole: another thread may be suggesting meanwhile.
            t = Titles([], [], [], {}, [])
            for _, offset, cache in self.leaves:
                with self.lock:
                    words = cache.suggest_words()
                for d, meta in enumerate(cache.meta):
                    if meta.lang == lang and offset + d not in self.deleted:
                        line, head, every = words[d]
                        for w in every:
                            t.where.setdefault(w, []).append(len(t.lines))
                        t.lines.append(line)
                        t.heads.append(head)
                        t.entries.append((meta.key, meta.slug, meta.title))
            t.words.extend(sorted(t.where))
            self._titles[lang] = t
        return t

    def revisions(self) -> dict[str, int]:
        """doc_id -> revision of every live document."""
        return {meta.doc_id: meta.revision
                for _, offset, cache in self.leaves
                for d, meta in enumerate(cache.meta) if offset + d not in self.deleted}

    def phrase_docs(self, lang: str, terms: tuple[str, ...]) -> set[int]:
        """Documents holding the terms next to each other, in one of the text fields.

        Whoosh decodes the positions of every document holding all the words, in Python
        (tens of ms for common words at 10,000 articles), so answers are kept per
        generation: shoppers repeat the same phrases.
        """
        found = self._phrases.get((lang, terms))
        if found is None:
            q = Or([Phrase(f"{name}_{lang}", list(terms)) for name in FIELDS])
            with self.lock:
                found = frozenset(self.searcher.docs_for_query(q))
            if len(self._phrases) >= 256:
                self._phrases.clear()
            self._phrases[(lang, terms)] = found
        return set(found)

    def stored(self, d: int) -> dict[str, Any]:
        """Stored fields (summary, body) of global doc number `d`."""
        with self.lock:
            return dict(self.searcher.stored_fields(d))

class Titles(NamedTuple):
    """Folded titles (words joined by spaces), their (key, slug, title), an index of the
    words of their title, tags and summary (word -> line numbers, and the words sorted for
    prefix look-ups), and the words of each title with its tags."""

    lines: list[str]
    entries: list[tuple[str, str, str]]
    words: list[str]
    where: dict[str, list[int]]
    heads: list[str]  # the words of each title and its tags, each after a space


def open_reader(ix: Any) -> Any:
    """A reader of the index's latest generation. Not ix.reader(): that retries ten times
    with 50 ms sleeps on any error, half a second per attempt on a damaged segment."""
    info = ix._read_toc()
    return FileIndex._reader(ix.storage, info.schema, info.segments, info.generation)


def mask_of(docs: Iterable[int]) -> int:
    """A set of doc numbers as a bit set (an int): unions and counts run at C speed."""
    docs = sorted(docs)
    if not docs:
        return 0
    bits = bytearray((docs[-1] >> 3) + 1)
    for d in docs:
        bits[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(bits, "little")


class DocSet:
    """Doc numbers given as a bit set, tested one by one without listing them all (a query's
    few hundred candidates are checked faster than thousands of bits are listed)."""

    __slots__ = ("_bytes",)

    def __init__(self, mask: int) -> None:
        self._bytes = mask.to_bytes((mask.bit_length() + 7) // 8, "little")

    def __contains__(self, d: object) -> bool:
        return isinstance(d, int) and bool(self.among((d,)))

    def among(self, docs: Iterable[int]) -> set[int]:
        """Those of `docs` in the set."""
        b, n = self._bytes, len(self._bytes)
        return {d for d in docs if 0 <= d >> 3 < n and b[d >> 3] >> (d & 7) & 1}


def keep_allowed(docs: Iterable[int], allowed: Container[int]) -> set[int]:
    """Those of `docs` in `allowed` (a set, or a DocSet), at the fastest the type allows."""
    if isinstance(allowed, DocSet):
        return allowed.among(docs)
    if isinstance(allowed, set):
        return allowed.intersection(docs)
    if isinstance(allowed, frozenset):
        return set(allowed.intersection(docs))
    return {d for d in docs if d in allowed}
