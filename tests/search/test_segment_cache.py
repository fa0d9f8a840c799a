"""What a segment's cache computes once, checked against a plain recomputation.

The term vectors are computed a block at a time at C speed, the title keys are written at
build time, and candidate filtering reads a byte per document; each must give exactly what
the straightforward way gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.search.analysis import token_keys
from kb.search.engine import IndexedDoc, SearchIndex
from kb.search.schema import FIELD_B, FIELD_WEIGHTS, K1, parse_title_keys
from kb.search.snapshot import DocSet


def doc(n: int) -> IndexedDoc:
    """Documents sharing words in several fields with varied frequencies and lengths."""
    body = " ".join(["parcel"] * (1 + n % 4) + ["refund"] * (n % 3)
                    + [f"filler{k}" for k in range(n * 5 % 23)])
    title = "Where is my parcel?" if n % 3 == 0 else f"Refund question {n}"
    tags = ("parcel not received", "The refund's timing") if n % 2 else ()
    return IndexedDoc(f"en:d{n}", f"d{n}", "en", f"d{n}", title, "returning", tags,
                      "A summary about a parcel." if n % 5 == 0 else "", "", body, 1)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """An index of 400 documents (several posting blocks per common word), a few deleted."""
    ix = SearchIndex(tmp_path_factory.mktemp("segcache") / "index")
    ix.rebuild(doc(n) for n in range(400))
    ix.remove(["en:d7", "en:d200"])
    return ix


@pytest.mark.parametrize("term", ["parcel", "refund", "filler3", "nowhere"])
def test_a_term_vector_is_the_field_weighted_bm25_of_each_posting(index: SearchIndex, term: str) -> None:
    snap = index._current()
    assert snap is not None
    (leaf, _, cache), = snap.leaves
    expected: dict[int, float] = {}
    for name, weight in FIELD_WEIGHTS.items():
        field = f"{name}_en"
        if (field, term) not in leaf:
            continue
        matcher = leaf.postings(field, term)
        matcher = getattr(matcher, "child", matcher)  # deleted documents count too
        avgdl = snap.avgdl[field]
        while matcher.is_active():
            d, tf = matcher.id(), matcher.weight()
            length = leaf.doc_field_length(d, field, 0)
            b = FIELD_B[name]
            part = weight * (K1 + 1.0) * tf / (tf + K1 * (1.0 - b + b * length / avgdl))
            expected[d] = expected.get(d, 0.0) + part
            matcher.next()
    vec = cache.vector("en", term, snap.avgdl)
    assert list(vec.ids) == sorted(expected)
    assert list(vec.tfs) == pytest.approx([expected[d] for d in sorted(expected)], rel=1e-6)
    if term != "nowhere":
        assert vec.n > 128  # more than one block of whoosh's postings was read


def test_title_keys_written_at_build_are_those_the_query_side_computes(index: SearchIndex) -> None:
    snap = index._current()
    assert snap is not None
    (_, _, cache), = snap.leaves
    for meta in cache.meta[:12]:
        assert parse_title_keys(meta) == tuple(tuple(token_keys(text, "en"))
                                         for text in (meta.title, *meta.tags))
    assert ("~where", "~is", "~my", "parcel") in parse_title_keys(cache.meta[0])
    assert ("~the", "refund", "~s", "time") in parse_title_keys(cache.meta[1])


@given(members=st.sets(st.integers(0, 3000), max_size=200),
       probe=st.lists(st.integers(0, 4000), max_size=300))
def test_a_doc_set_keeps_exactly_its_members(members: set[int], probe: list[int]) -> None:
    docs = DocSet(sum(1 << d for d in members))
    assert docs.among(probe) == members.intersection(probe)
    assert docs.among(iter(probe)) == members.intersection(probe)
    assert [d in docs for d in probe] == [d in members for d in probe]
    assert -1 not in docs and "3" not in docs


def test_the_title_bonus_still_lifts_a_title_holding_the_query(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild([
        IndexedDoc("en:a", "a", "en", "a", "Carrier stickers", "shipping", (), "",
                   "", "Where is my parcel? Ask the carrier where the parcel is.", 1),
        IndexedDoc("en:b", "b", "en", "b", "Where is my parcel?", "shipping", (), "",
                   "", "Track the parcel.", 1),
    ])
    assert [h.key for h in ix.search("where is my parcel", "en").hits][0] == "b"
