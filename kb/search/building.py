"""A full build's whoosh writer, spared the per-posting costs of whoosh's defaults.

A 100,000-article build adds some 14 million postings. Whoosh's writer then spends a large
share of the build on things per posting that do not change the index it writes: passing
every word through three generators as a Token object before it is counted; sorting all the
postings, spilling them to disk one pickle each and merging them back one by one; asking the
codec for each document's field length through four Python calls and a file read; and
handing each posting to the codec's block through three calls and five type checks.
``build_writer`` gives a writer that counts each text field's words in one loop
(``fast_index``), holds the postings by term (``term_pool.TermPool``: only the terms are
sorted, runs are pickled in batches and merge a term at a time), reads each field's lengths
in one go (``term_pool.WrittenLengths``) and appends a block's worth of postings at once
(``term_pool.add_postings``). The files written hold the same postings.

Whoosh private internals: the writer's ``pool``, ``fieldwriter`` (a W3FieldWriter),
``per_document_reader`` and ``schema``, whose fields' ``index`` it calls for each document.
tests/search/test_whoosh_internals.py pins that an index written this way holds what one
written by whoosh's own writer holds, and that ``fast_index`` answers as ``index`` does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import partial
from typing import Any

from whoosh.codec.whoosh3 import W3FieldWriter
from whoosh.formats import Positions

from kb.search.analysis import LangAnalyzer, term_positions
from kb.search.term_pool import TermPool, WrittenLengths, add_postings


def fast_index(field: Any, lang: str, value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
    """What ``field.index(value)`` yields for a text field of LangAnalyzer(lang) in whoosh's
    Positions format: (term in UTF-8, frequency, weight, encoded positions) for each term."""
    if not isinstance(value, str):  # a pre-split list: whoosh's own way
        return type(field).index(field, value)
    boost = field.format.field_boost
    # Whoosh adds each token's boost (always 1.0 here) to the term's weight.
    return [(term.encode("utf-8"), len(at), len(at) * boost, encode_positions(at))
            for term, at in term_positions(value, lang).items()]


_POSITIONS = Positions()
_ONCE: dict[int, bytes] = {}  # the encoding of a term seen once, by its position


def encode_positions(at: list[int]) -> bytes:
    """Whoosh's ``Positions.encode``; most terms stand once in a field, so the encodings of
    those few thousand single positions are kept."""
    if len(at) != 1:
        return _POSITIONS.encode(at)
    pos = at[0]
    found = _ONCE.get(pos)
    if found is None:
        found = _POSITIONS.encode(at)
        if pos < 8192:
            _ONCE[pos] = found
    return found


def _with_fast_index(writer: Any) -> None:
    """Give `writer` a copy of its schema whose text fields index through fast_index, and
    put the schema it read back before it commits, since the commit pickles the writer's
    schema into the index's TOC."""
    read = writer.schema
    fast = copy.deepcopy(read)
    for _name, field in fast.items():
        analyzer = getattr(field, "analyzer", None)
        if isinstance(analyzer, LangAnalyzer) and type(field.format) is Positions:
            field.index = partial(fast_index, field, analyzer.lang)
    writer.schema = fast
    commit = writer.commit

    def commit_with_the_schema_read(*args: Any, **kwargs: Any) -> Any:
        writer.schema = read
        return commit(*args, **kwargs)

    writer.commit = commit_with_the_schema_read


def build_writer(ix: Any, limitmb: int) -> Any:
    """A whoosh SegmentWriter for a full build into an empty index (one process, one segment).

    The segment is left as separate files, not assembled into one compound file: whoosh reads
    a compound file's parts by copying each into the process (``BufferFile`` wraps the mapped
    bytes in a ``BytesIO``), so every worker held its own copy of the index; separate files
    are read through the operating system's page cache, which the workers share. Skipping the
    assembly also spares the build one copy of the whole index.
    """
    writer = ix.writer(limitmb=limitmb, procs=1, compound=False)
    opened = writer.per_document_reader
    writer.per_document_reader = lambda: WrittenLengths(opened())
    _with_fast_index(writer)
    # A field spelled apart adds each word at document 0 for every document: not in order.
    spelled_apart = any(field.separate_spelling() for _name, field in writer.schema.items())
    if type(writer.fieldwriter) is W3FieldWriter and not spelled_apart:
        writer.pool = TermPool(writer._tempstorage, writer.newsegment, limitmb=limitmb)
        writer.fieldwriter.add_postings = partial(add_postings, writer.fieldwriter)
    return writer
