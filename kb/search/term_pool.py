"""A full build's postings, held by term and written to whoosh's codec a block at a time.

Whoosh's writer keeps every posting (field, term, document, weight, encoded positions) in one
flat list, sorts it whole before spilling it to disk as a run, merges the runs posting by
posting, and then hands each posting to the codec through three method calls and five type
checks. A build adds documents in order, so each term's postings already come in document
order: ``TermPool`` keeps them by term, so that only the terms are sorted and runs merge a
term at a time, and ``add_postings`` appends each term's postings to the codec's block a
block's worth at a time. The files written are the same (tests/search/test_whoosh_internals.py
compares each posting, its positions and its block's bounds with whoosh's own writer's).

Whoosh private internals: PostingPool's run files (``_new_run``, ``_open_run``,
``_remove_run``, ``_add_run``, ``runs``), W3FieldWriter's ``_postwriter``, and the W3 posting
writer's block (``_ids``, ``_weights``, ``_values``, ``_maxweight``, ``_minlength``,
``_maxlength``, ``_blocklimit``, ``_write_block``).
"""

from __future__ import annotations

import heapq
import pickle  # nosec B403 - only runs this process wrote itself are loaded back
from collections.abc import Iterator
from typing import Any

from whoosh.codec.base import FieldWriter
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool

from kb.search.segments import perdoc_length_bytes

Posting = tuple[str, bytes, int, float, "bytes | None"]  # field, term, document, weight, positions
Term = tuple[str, bytes, list[Posting]]

BATCH = 4096  # postings pickled together in a spilled run
_BYTE_TO_LENGTH: list[int | None] = [byte_to_length(i) or None for i in range(256)]


class TermPool(PostingPool):
    """Whoosh's posting pool, keeping each term's postings together in the order added."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.runs: list[str] = []  # the paths of the runs spilled to disk (whoosh's, typed)
        self.by_field: dict[str, dict[bytes, list[Posting]]] = {}
        self.last_doc = -1

    def add(self, item: Posting) -> None:
        """Add one posting; with whoosh's own estimate of its size (150 bytes of Python objects
        plus its texts), spilling the pool to disk past its limit."""
        fieldname, btext, docnum = item[0], item[1], item[2]
        if docnum < self.last_doc:
            raise ValueError(f"postings must come in document order ({docnum} after {self.last_doc})")
        self.last_doc = docnum
        terms = self.by_field.get(fieldname)
        if terms is None:
            terms = self.by_field[fieldname] = {}
            self.fieldnames.add(fieldname)
        found = terms.get(btext)
        if found is None:
            terms[btext] = [item]
        else:
            found.append(item)
        self.currentsize += 150 + len(fieldname) + 2 * len(btext) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()

    def save(self) -> None:
        """Spill the postings held to a run on disk, term by term in order."""
        if self.by_field:
            path, f = self._new_run()
            self._write_run(f, self._held())
            self._add_run(path)
            self.by_field = {}
        self.currentsize = 0

    def by_term(self) -> Iterator[Term]:
        """Every term with all its postings, in whoosh's order of (field, term)."""
        if not self.runs:  # whoosh's list of spilled runs
            yield from self._held()
            return
        self.save()
        runs, self.runs = self.runs, []
        # heapq.merge keeps the order of its inputs for equal keys, and the runs were spilled
        # in document order: a term's lists join in document order.
        merged = heapq.merge(*(self._read_run(path) for path in runs), key=lambda term: (term[0], term[1]))
        current: Term | None = None
        for term in merged:
            if current is not None and current[0] == term[0] and current[1] == term[1]:
                current[2].extend(term[2])
                continue
            if current is not None:
                yield current
            current = term
        if current is not None:
            yield current

    def items(self) -> Iterator[Posting]:
        """Every posting, sorted as whoosh's pool gives them."""
        for _field, _term, postings in self.by_term():
            yield from postings

    def iter_postings(self) -> TermPostings:
        """What the writer hands the codec: the postings, and the way to them by term."""
        return TermPostings(self)

    def _held(self) -> Iterator[Term]:
        for fieldname in sorted(self.by_field):
            terms = self.by_field[fieldname]
            for btext in sorted(terms):
                yield fieldname, btext, terms[btext]

    def _write_run(self, f: Any, terms: Iterator[Term]) -> None:
        batch: list[Term] = []
        size = 0
        for term in terms:
            batch.append(term)
            size += len(term[2])
            if size >= BATCH:
                pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
                batch, size = [], 0
        if batch:
            pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[Term]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    batch = pickle.load(f)  # nosec B301 - a run this writer just wrote
                except EOFError:
                    return
                yield from batch
        finally:
            f.close()
            self._remove_run(path)


class WrittenLengths:
    """The field lengths of the segment being written, as whoosh's commit asks for them:
    ``byte_to_length`` of the stored byte, None for none, as the codec answers."""

    def __init__(self, perdoc: Any) -> None:
        self.perdoc = perdoc
        self.fields: dict[str, list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int | None = 0) -> int | None:
        """The length of one field of one document (whoosh's PerDocumentReader method)."""
        lens = self.of_field(fieldname)
        if lens is None:  # a codec without these internals: its own, slower, answer
            return self.perdoc.doc_field_length(docnum, fieldname, default)
        return lens[docnum] if docnum < len(lens) else default

    def of_field(self, fieldname: str) -> list[int | None] | None:
        """Every document's length of one field, by document number (None: not readable so)."""
        lens = self.fields.get(fieldname)
        if lens is None:
            raw = perdoc_length_bytes(self.perdoc, fieldname)
            if raw is None:
                return None
            lens = self.fields[fieldname] = [_BYTE_TO_LENGTH[b] for b in raw]
        return lens

    def close(self) -> None:
        """Close the codec's reader (whoosh closes what it was handed)."""
        self.perdoc.close()


class TermPostings:
    """A TermPool's postings as whoosh's writer passes them on: iterable one by one."""

    def __init__(self, pool: TermPool) -> None:
        self.pool = pool

    def __iter__(self) -> Iterator[Posting]:
        return self.pool.items()


def add_postings(fieldwriter: Any, schema: Any, lengths: Any, items: Any) -> None:
    """Whoosh's ``FieldWriter.add_postings`` for the W3 codec and a TermPool: the same calls to
    start and finish fields and terms, with each term's postings appended to the posting
    writer's block a block's worth at a time."""
    if (not isinstance(items, TermPostings) or not isinstance(lengths, WrittenLengths)
            or any(lengths.of_field(name) is None for name in schema.names())):
        FieldWriter.add_postings(fieldwriter, schema, lengths, items)  # whoosh's own loop
        return
    lastfn: str | None = None
    post: Any = None
    lens: list[int | None] = []
    for fieldname, btext, postings in items.pool.by_term():
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            post, lastfn = fieldwriter._postwriter, fieldname
            lens = lengths.of_field(fieldname) or []
        fieldwriter.start_term(btext)
        limit = post._blocklimit
        for start in range(0, len(postings), limit):
            if start:
                post._write_block()  # the block is full; it starts the next one
            _add_to_block(post, postings[start:start + limit], lens)
        fieldwriter.finish_term()
    if lastfn is not None:
        fieldwriter.finish_field()


def _add_to_block(post: Any, postings: list[Posting], lens: list[int | None]) -> None:
    """What ``W3PostingsWriter.add_posting`` does for each of these postings, in one go."""
    ids = [p[2] for p in postings]
    weights = [p[3] for p in postings]
    post._ids.extend(ids)
    post._weights.extend(weights)
    top = max(weights)
    if top > post._maxweight:
        post._maxweight = top
    post._values.extend([p[4] for p in postings if p[4]])
    count = len(lens)
    known = [n for n in (lens[d] if d < count else 0 for d in ids) if n]
    if known:
        low, high = min(known), max(known)
        if post._minlength is None or low < post._minlength:
            post._minlength = low
        if high > post._maxlength:
            post._maxlength = high
