"""Large segments get their common words' vectors built in the background after opening."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.search import warming
from kb.search.engine import IndexedDoc, SearchIndex

QUERIES = ["parcel refund", "refund", "where is my parcel", "label carrier", "parcl"]


def doc(n: int) -> IndexedDoc:
    words = ["parcel", "refund", "label", "carrier", "store", "window"]
    body = " ".join(words[(n + i) % len(words)] for i in range(n % 5 + 2)) + f" unique{n}"
    return IndexedDoc(f"en:d{n}", f"d{n}", "en", f"d{n}", f"Article {n} about a {words[n % 6]}",
                      "returning", (), "", "", body, 1)


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Segments of 50 documents count as large, and words in 10 documents as common."""
    monkeypatch.setattr(warming, "MIN_DOCS", 50)
    monkeypatch.setattr(warming, "MIN_DF", 10)
    yield


def built(tmp_path: Path, count: int) -> SearchIndex:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(doc(n) for n in range(count))
    return ix


def test_the_common_words_of_a_large_segment_are_built_ahead(tmp_path: Path, small_thresholds: None) -> None:
    ix = built(tmp_path, 120)
    ix.search("store", "en")  # opens the generation, which starts the warming
    assert ix.wait_warm(timeout=30)
    snap = ix._current()
    assert snap is not None
    (_, _, cache), = snap.leaves
    common = {term for term, df in cache.vocab("en").items() if df >= warming.MIN_DF}
    assert {"parcel", "refund", "label", "carrier"} <= common
    assert cache.warmed
    for term in common:
        vec = cache.vectors[("en", term)]
        assert vec._top is not None and vec._mask is not None  # best-first order and bit set too
    assert ("en", "unique7") not in cache.vectors  # a rare word waits for its first search


def test_small_segments_are_not_warmed(tmp_path: Path) -> None:
    ix = built(tmp_path, 120)  # far below the default MIN_DOCS
    ix.search("store", "en")
    assert ix.wait_warm(timeout=0)
    snap = ix._current()
    assert snap is not None
    (_, _, cache), = snap.leaves
    assert not cache.warmed
    assert ("en", "parcel") not in cache.vectors


def test_warming_stops_once_the_segment_is_replaced(tmp_path: Path, small_thresholds: None) -> None:
    ix = built(tmp_path, 120)
    ix.search("store", "en")
    assert ix.wait_warm(timeout=30)
    snap = ix._current()
    assert snap is not None
    (_, _, cache), = snap.leaves
    cache.vectors.clear()
    cache.warmed = False
    warming.warm(snap, in_use=lambda _cache: False)
    assert not cache.vectors and not cache.warmed


def test_searches_answer_the_same_warmed_or_not(tmp_path: Path, small_thresholds: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    warm = built(tmp_path / "warm", 120)
    warm.search("store", "en")
    assert warm.wait_warm(timeout=30)
    with monkeypatch.context() as patch:
        patch.setattr(warming, "MIN_DOCS", 10**9)
        cold = built(tmp_path / "cold", 120)
        answers = {q: cold.search(q, "en") for q in QUERIES}
    for q in QUERIES:
        got = warm.search(q, "en")
        assert [(h.key, h.score) for h in got.hits] == [(h.key, h.score) for h in answers[q].hits]
        assert (got.total, got.suggestion) == (answers[q].total, answers[q].suggestion)
