"""A full build's whoosh writer, spared two per-posting costs of whoosh's defaults.

A 100,000-article build adds some 14 million postings. Whoosh's writer then spends a large
share of the build on things per posting that do not change the index it writes: pickling
each posting on its own into the sorted runs it spills to disk (and unpickling it to merge
them), asking the codec for the document's field length through four Python calls and a file
read, type-checking each posting its own fields produced, and passing every word through
three generators as a Token object before it is counted. ``build_writer`` gives a writer
that batches the first, answers the second from each field's lengths read in one go, skips
the third, and counts each text field's words in one loop (``fast_index``). The files
written are the same.

Whoosh private internals: the writer's ``pool`` (a PostingPool, with ``_write_run`` and
``_read_run``), its ``per_document_reader`` and its ``schema``, whose fields' ``index`` it
calls for each document; tests/search/test_whoosh_internals.py pins that an index written
this way equals one written by whoosh's own writer, and that ``fast_index`` answers as
``index`` does.
"""

from __future__ import annotations

import copy
import pickle  # nosec B403 - only runs this process wrote itself are loaded back
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from typing import Any

from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool

from kb.search.analysis import LangAnalyzer, term_positions
from kb.search.segments import perdoc_length_bytes

BATCH = 4096  # postings pickled together in a spilled run
_BYTE_TO_LENGTH: list[int | None] = [byte_to_length(i) or None for i in range(256)]


class BatchedPool(PostingPool):
    """Whoosh's posting pool, spilling its sorted runs in pickled batches, not one by one."""

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Add one posting: whoosh's own estimate of its size (150 bytes of Python objects plus
        its texts), without its type checks on what its own fields just produced."""
        self.fieldnames.add(item[0])
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def _write_run(self, f: Any, items: Iterable[Any]) -> None:
        it = iter(items)
        while batch := list(islice(it, BATCH)):
            pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
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
        lens = self.fields.get(fieldname)
        if lens is None:
            raw = perdoc_length_bytes(self.perdoc, fieldname)
            if raw is None:  # a codec without these internals: its own, slower, answer
                return self.perdoc.doc_field_length(docnum, fieldname, default)
            lens = self.fields[fieldname] = [_BYTE_TO_LENGTH[b] for b in raw]
        return lens[docnum] if docnum < len(lens) else default

    def close(self) -> None:
        """Close the codec's reader (whoosh closes what it was handed)."""
        self.perdoc.close()


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
    writer.pool = BatchedPool(writer._tempstorage, writer.newsegment, limitmb=limitmb)
    opened = writer.per_document_reader
    writer.per_document_reader = lambda: WrittenLengths(opened())
    _with_fast_index(writer)
    return writer
