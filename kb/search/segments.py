"""What one immutable index segment holds, decoded once into memory.

Per-document facts, field lengths and term vectors (field-weighted BM25 parts per document)
are read from whoosh's segment files once and kept for the segment's life, because whoosh's
own matchers walk every posting in pure Python on each query (50+ ms at 10,000 articles).
"""

from __future__ import annotations

import re
from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, repeat
from operator import add, mul, truediv
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length, length_to_byte

from kb.search.analysis import WORD_RE, fold
from kb.search.schema import FIELD_B, FIELD_WEIGHTS, FIELDS, K1, Meta, parse_title_keys, read_meta

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
        self.meta: list[Meta] = [read_meta(raw) for raw in col]
        self._keys: dict[int, tuple[frozenset[str], tuple[tuple[str, ...], ...]]] = {}
        self.vectors: dict[tuple[str, str], Vec] = {}
        self._lengths: dict[str, bytes] = {}
        self._norms: dict[tuple[str, float], list[float]] = {}
        self._vocab: dict[str, dict[str, int]] = {}
        self._suggest: list[tuple[str, str, frozenset[str]]] | None = None
        self.warmed = False  # its common words' vectors are built (warming.py)

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
        """token_keys of the title and of each tag of document `d`, and all of them as a set
        (kept, and cleared when 4,096 documents are kept: every search asks for its forty best)."""
        keys = self._keys.get(d)
        if keys is None:
            fields = parse_title_keys(self.meta[d])
            if len(self._keys) >= 4096:
                self._keys.clear()
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

    def lengths(self, fieldname: str) -> bytes:
        """Field length of every document of the segment, in whoosh's one-byte encoding."""
        lens = self._lengths.get(fieldname)
        if lens is None:
            n = self.reader.doc_count_all()
            raw = length_bytes(self.reader, fieldname)
            if raw is None:
                raw = bytes(length_to_byte(self.reader.doc_field_length(d, fieldname, 0) or 0)
                            for d in range(n))
            lens = self._lengths[fieldname] = raw[:n].ljust(n, b"\0")
        return lens

    def norms(self, fieldname: str, b: float, avgdl: float) -> list[float]:
        """BM25's K1 * (1 - b + b * length / avgdl) for each of the 256 encoded lengths."""
        key = (fieldname, avgdl)
        table = self._norms.get(key)
        if table is None:
            if len(self._norms) >= 64:  # avgdl moves with each generation
                self._norms.clear()
            table = self._norms[key] = [K1 * (1.0 - b) + K1 * b * length / max(avgdl, 1e-9)
                                        for length in _BYTE_TO_LENGTH]
        return table

    def vector(self, lang: str, term: str, avgdl: dict[str, float]) -> Vec:
        """Build (and keep) the term vector of `term` in `lang`.

        Each field's BM25 part is top * tf / (tf + norm(length)), computed a block of
        postings at a time through map() (C speed): a Python loop per posting made a
        common word's first search at 100,000 articles cost tens of milliseconds.
        """
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
            norm = self.norms(fieldname, FIELD_B[name], avgdl.get(fieldname, 1.0))
            lens = self.lengths(fieldname)
            top = repeat(weight * (K1 + 1.0))
            parts: dict[int, float] = {}
            for ids, tfs in posting_blocks(matcher):
                denominators = map(add, tfs, map(norm.__getitem__, map(lens.__getitem__, ids)))
                parts.update(zip(ids, map(truediv, map(mul, tfs, top), denominators), strict=True))
            if acc:  # fields overlap: add where a document holds the term in both
                common = list(parts.keys() & acc.keys())
                parts.update(zip(common, map(add, map(acc.__getitem__, common),
                                             map(parts.__getitem__, common)), strict=True))
            acc.update(parts)
        if len(self.vectors) >= MAX_VECTORS:
            for old in list(self.vectors)[: MAX_VECTORS // 4]:  # oldest first
                del self.vectors[old]
        vec = self.vectors[key] = Vec(acc, len(self.meta))
        return vec


def length_bytes(reader: Any, fieldname: str) -> bytes | None:
    """The one-byte-per-document field lengths of a segment, read in one go; None when the
    codec does not expose them as expected (the caller then asks per document).

    Whoosh private internals: the W3 codec keeps lengths in a column (``_perdoc``'s
    ``_cached_reader``) whose bytes sit at ``_basepos`` in ``_dbfile``. Asking
    ``doc_field_length`` per document instead costs a Python call per document and field,
    which made building the term vectors of a 10,000-article index several times slower.
    tests/search/test_whoosh_internals.py pins that this path is taken and agrees with
    ``doc_field_length``.
    """
    try:
        return perdoc_length_bytes(reader._perdoc, fieldname)
    except Exception:  # a codec without these internals
        return None


def perdoc_length_bytes(perdoc: Any, fieldname: str) -> bytes | None:
    """length_bytes from a codec's per-document reader (``reader._perdoc`` of a segment)."""
    try:
        col = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        return col._dbfile.get(col._basepos, col._count) if col is not None else b""
    except Exception:  # a codec without these internals
        return None


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

    def lookup(self, docs: Iterable[int]) -> Iterator[float]:
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
        return map(dense.__getitem__, docs)

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


BLOCK_ATTRS = ("_ids", "_weights", "_data", "_byteids", "_read_data", "_read_weights",
               "_next_block")


def block_readable(matcher: Any) -> bool:
    """Whether a posting list can be read a block at a time (whoosh's W3 leaf matcher)."""
    return all(hasattr(matcher, a) for a in BLOCK_ATTRS)


def posting_blocks(matcher: Any) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(doc numbers, term frequencies) of a whoosh posting list, a block at a time."""
    if isinstance(matcher, FilterMatcher):
        # Deleted documents are dropped at query time; the vector must not depend on them.
        matcher = matcher.child
    if not block_readable(matcher):
        ids: list[int] = []
        tfs: list[float] = []
        while matcher.is_active():
            ids.append(matcher.id())
            tfs.append(matcher.weight())
            matcher.next()
        yield ids, tfs
        return
    # Fast path on whoosh's W3 matcher: decode whole blocks instead of calling
    # id()/weight()/next() per posting (several times faster on long lists), and undo the
    # doc numbers' delta encoding with accumulate() where whoosh's _read_ids runs a Python
    # generator per posting. Whoosh private internals: the block's unpickled ``_data``
    # (deltas of doc numbers, weights, values), ``_byteids``, ``_read_data``,
    # ``_read_weights`` and ``_next_block`` of W3LeafMatcher;
    # tests/search/test_whoosh_internals.py pins that they exist and give what
    # id()/weight() give.
    while matcher.is_active():
        if matcher._ids is None:
            if matcher._data is None:
                matcher._read_data()
            deltas = matcher._data[0]
            matcher._ids = deltas if matcher._byteids else list(accumulate(deltas))
        if matcher._weights is None:
            matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


def verify_segment(leaf: Any) -> None:
    """Touch every part of one segment cheaply; raises if any of it is unreadable."""
    n = leaf.doc_count_all()
    metas = [read_meta(raw) for raw in leaf.column_reader("meta", translate=False)]
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


_ONE = re.compile("1")


def bit_digits(mask: int) -> str:
    """A bit set's binary digits, that of document 0 first ("0" or "1" per document)."""
    if mask < 0:
        raise ValueError("a bit set of doc numbers is never negative")
    return bin(mask)[:1:-1]  # bin() is most significant first, after "0b"


def docs_of(mask: int) -> list[int]:
    """The doc numbers of a bit set, in order (mask_of's inverse): a regular expression finds
    the ones among the binary digits, instead of a test of every bit in Python."""
    return [m.start() for m in _ONE.finditer(bit_digits(mask))]


def mask_of(docs: Iterable[int]) -> int:
    """A set of doc numbers as a bit set (an int): unions and counts run at C speed."""
    docs = sorted(docs)
    if not docs:
        return 0
    bits = bytearray((docs[-1] >> 3) + 1)
    for d in docs:
        bits[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(bits, "little")
