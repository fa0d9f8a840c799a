"""The whoosh internals the engine relies on, pinned: a whoosh upgrade that changes them fails here.

Each fast path reads private attributes of whoosh (see the comments where they are used); a
slower public path gives the same answer, and these tests check both that the fast path is
still taken and that it agrees with the public one.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex
from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length

from kb.search.building import build_writer, encode_positions, fast_index
from kb.search.engine import IndexedDoc, SearchIndex
from kb.search.folders import opened
from kb.search.schema import FIELDS, SCHEMA, doc_fields
from kb.search.segments import BLOCK_ATTRS, block_readable, length_bytes, posting_blocks
from kb.search.snapshot import open_reader
from kb.search.term_pool import TermPool, WrittenLengths


def postings(matcher: Any) -> list[tuple[int, float]]:
    """(doc number, term frequency) pairs, as posting_blocks reads them a block at a time."""
    return [pair for ids, tfs in posting_blocks(matcher) for pair in zip(ids, tfs, strict=True)]


def doc(n: int) -> IndexedDoc:
    """A document whose body repeats one word a varying number of times, and varies in length."""
    body = " ".join(["parcel"] * (1 + n % 5) + [f"word{n}", "refund"] * (1 + n % 3)
                    + [f"filler{k}" for k in range(n * 7 % 29)])
    return IndexedDoc(f"en:d{n}", f"d{n}", "en", f"d{n}", f"Title {n} parcel", "returning",
                      ("tag",), "A summary.", "Heading", body, 1)


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    """An index of 300 documents (more than one posting block) with a few deleted."""
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(doc(n) for n in range(300))
    ix.remove(["en:d3", "en:d150"])
    return ix.path


def test_field_lengths_are_read_from_the_codecs_length_column(index_path: Path) -> None:
    with opened(index_path) as ix, ix.reader() as reader:
        leaf = next(leaf for leaf, _ in reader.leaf_readers())
        for name in FIELDS:
            raw = length_bytes(leaf, f"{name}_en")
            assert raw is not None, "whoosh's length column internals changed"
            assert len(raw) == leaf.doc_count_all()
            # Lengths are stored in one byte each (whoosh's length_to_byte), so compare through
            # the same rounding whoosh applies on its public path.
            public = [leaf.doc_field_length(d, f"{name}_en", 0) for d in range(len(raw))]
            assert [byte_to_length(b) for b in raw] == public


def test_postings_are_read_a_block_at_a_time_and_agree_with_the_matcher(index_path: Path) -> None:
    with opened(index_path) as ix, ix.reader() as reader:
        leaf = next(leaf for leaf, _ in reader.leaf_readers())
        matcher = leaf.postings("body_en", "parcel")
        child = getattr(matcher, "child", matcher)  # deletions wrap the leaf matcher
        assert block_readable(child), f"whoosh's W3 matcher lost one of {BLOCK_ATTRS}"
        fast = list(postings(leaf.postings("body_en", "parcel")))
        slow = []
        plain = leaf.postings("body_en", "parcel")
        plain = getattr(plain, "child", plain)
        while plain.is_active():
            slow.append((plain.id(), plain.weight()))
            plain.next()
        assert len(fast) == 300  # deleted documents included: deletions apply at query time
        assert fast == slow


def test_the_direct_reader_sees_what_whooshs_reader_sees(index_path: Path) -> None:
    with opened(index_path) as ix, open_reader(ix) as direct, ix.reader() as public:
        assert direct.doc_count() == public.doc_count() == 298
        assert direct.doc_count_all() == public.doc_count_all()
        assert sorted(direct.all_doc_ids()) == sorted(public.all_doc_ids())


def test_a_segments_deleted_docs_set_lists_its_deleted_documents(index_path: Path) -> None:
    with opened(index_path) as ix, ix.reader() as reader:
        leaf, _ = next(iter(reader.leaf_readers()))
        assert leaf.has_deletions()
        deleted = set(leaf.deleted_docs_set)
        assert deleted == {d for d in range(leaf.doc_count_all()) if leaf.is_deleted(d)}
        assert len(deleted) == 2


def _written(path: Path, docs: list[IndexedDoc], fast: bool) -> Any:
    """An index of `docs` at `path`, by build_writer spilling runs often, or by whoosh's writer."""
    path.mkdir()
    ix = windex.create_in(str(path), SCHEMA)
    writer = build_writer(ix, limitmb=1) if fast else ix.writer(limitmb=1, procs=1, compound=False)
    assert isinstance(writer.pool, TermPool) == fast
    for d in docs:
        writer.add_document(**doc_fields(d))
    assert len(writer.pool.runs) >= 2  # runs spilled to disk: their writing and merging count
    writer.commit()
    return ix


def test_the_build_writer_writes_what_whooshs_own_writer_writes(tmp_path: Path) -> None:
    docs = [doc(n) for n in range(3000)]
    fast, plain = _written(tmp_path / "fast", docs, True), _written(tmp_path / "plain", docs, False)
    with fast.reader() as a, plain.reader() as b:
        assert a.doc_count_all() == b.doc_count_all() == 3000
        for name in FIELDS:
            field = f"{name}_en"
            terms = [t for t, _ in b.iter_field(field)]
            assert terms and terms == [t for t, _ in a.iter_field(field)]
            for term in terms:
                # Postings, and the block statistics taken from the lengths asked at commit.
                ta, tb = a.term_info(field, term), b.term_info(field, term)
                assert (ta.min_length(), ta.max_length(), ta.doc_frequency()) == (
                    tb.min_length(), tb.max_length(), tb.doc_frequency())
                assert list(postings(a.postings(field, term))) == list(postings(b.postings(field, term)))


def test_the_build_writer_writes_each_postings_positions_and_block_bounds_as_whoosh_does(tmp_path: Path) -> None:
    docs = [doc(n) for n in range(3000)]
    fast, plain = _written(tmp_path / "fast", docs, True), _written(tmp_path / "plain", docs, False)

    def written(reader: Any, field: str, term: bytes) -> list[tuple[Any, ...]]:
        """Each posting with its encoded positions and its block's bounds, through whoosh's matcher."""
        matcher, seen = reader.postings(field, term), []
        while matcher.is_active():
            seen.append((matcher.id(), matcher.weight(), matcher.value(), matcher.block_max_weight(),
                         matcher.block_min_length(), matcher.block_max_length()))
            matcher.next()
        return seen

    with fast.reader() as a, plain.reader() as b:
        for name in FIELDS:
            field = f"{name}_en"
            for term, _ in b.iter_field(field):
                ta, tb = a.term_info(field, term), b.term_info(field, term)
                assert (ta.weight(), ta.max_weight(), ta.min_id(), ta.max_id()) == (
                    tb.weight(), tb.max_weight(), tb.min_id(), tb.max_id())
                assert written(a, field, term) == written(b, field, term)


def test_the_term_pool_spills_runs_and_gives_every_posting_back_in_whooshs_order(tmp_path: Path) -> None:
    ix = windex.create_in(str(tmp_path), SCHEMA)
    writer = build_writer(ix, limitmb=1)
    # As a writer adds them: document after document, each with its fields' terms.
    items = [(field, f"w{(n * 7 + k) % 997}".encode(), n, 1.0 + k, b"x" * (n % 7))
             for n in range(6_000) for field in ("body_en", "title_en") for k in range(3)]
    for item in items:
        writer.pool.add(item)
    assert len(writer.pool.runs) >= 2  # spilled to disk, in batches
    assert list(writer.pool.items()) == sorted(items)
    writer.cancel()


def test_the_term_pool_refuses_a_posting_out_of_document_order(tmp_path: Path) -> None:
    ix = windex.create_in(str(tmp_path), SCHEMA)
    writer = build_writer(ix, limitmb=1)
    writer.pool.add(("body_en", b"parcel", 5, 1.0, b""))
    with pytest.raises(ValueError, match="document order"):
        writer.pool.add(("body_en", b"refund", 4, 1.0, b""))
    writer.cancel()


def test_written_lengths_answer_as_the_codec_does(index_path: Path) -> None:
    with opened(index_path) as ix, ix.reader() as reader:
        leaf = next(leaf for leaf, _ in reader.leaf_readers())
        perdoc = leaf._perdoc
        lengths = WrittenLengths(perdoc)
        for name in FIELDS:
            field = f"{name}_en"
            for d in range(leaf.doc_count_all()):
                assert lengths.doc_field_length(d, field) == perdoc.doc_field_length(d, field)
        assert set(lengths.fields) == {f"{name}_en" for name in FIELDS}  # the fast path was taken


TEXTS = [
    "",
    "the and of",  # stop words only
    "Where is my refund? My refund, my REFUND: refunded twice, refunding.",
    "Le remboursement de mon colis défectueux : rembourser, remboursé, REMBOURSEMENTS.",
    "Échange taille 42 → 44, l'article n'est pas arrivé ; l’étiquette_retour #A1001",
    "İstanbul order x2 — 3 items, ½ price, naïve café façade",  # lower() lengthens İ
    "a b c 1 2 3 " * 40 + "parcel " * 300,  # long, single letters, many positions
]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_fast_index_answers_as_the_fields_own_index(lang: str) -> None:
    for name in FIELDS:
        field = SCHEMA[f"{name}_{lang}"]
        for text in TEXTS:
            assert fast_index(field, lang, text) == list(field.index(text)), (name, text)
        assert list(fast_index(field, lang, ["pre", "split"])) == list(field.index(["pre", "split"]))


def test_the_build_writer_indexes_fast_and_commits_the_schema_it_read(tmp_path: Path) -> None:
    ix = windex.create_in(str(tmp_path), SCHEMA)
    writer = build_writer(ix, limitmb=8)
    assert isinstance(writer.schema["body_fr"].index, partial)  # the fast path is taken
    assert "index" not in vars(writer.schema["doc_id"])  # only the languages' text fields
    writer.add_document(**doc_fields(doc(1)))
    writer.commit()
    stored = windex.open_dir(str(tmp_path)).schema  # as the TOC keeps it
    assert stored.names() == SCHEMA.names()
    # (a column field never compares equal once unpickled, whoever wrote it)
    assert all(stored[n] == SCHEMA[n] for n in SCHEMA.names() if n != "meta")
    assert all("index" not in vars(field) for _name, field in stored.items())


def test_positions_are_encoded_as_whooshs_positions_format_encodes_them() -> None:
    fmt = Positions()
    for at in ([0], [7], [9000], [3, 4], [0, 1, 2, 50, 51, 400], list(range(0, 20_000, 7))):
        assert encode_positions(at) == fmt.encode(at)
        assert encode_positions(at) == fmt.encode(at)  # kept encodings too
