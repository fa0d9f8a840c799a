"""Large segments get their common words' vectors built in the background after opening."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kb.search import warming
from kb.search.engine import IndexedDoc, SearchIndex

QUERIES = ["parcel refund", "refund", "where is my parcel", "label carrier", "parcl"]


def doc(n: int) -> IndexedDoc:
    """Articles sharing a few common words, each with a word of its own."""
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
    """An index of `count` articles (one segment)."""
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
    warming.warm(snap, go_on=lambda _cache: False)
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


def fake_snapshot() -> Any:
    """A generation with one large segment not warmed yet, as far as the Warmer looks."""
    return SimpleNamespace(leaves=[(None, 0, SimpleNamespace(meta=[None] * 10, warmed=False))])


def test_a_generation_handed_over_while_warming_is_warmed_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warming, "MIN_DOCS", 1)
    entered, release, warmed = threading.Event(), threading.Event(), []

    def slow_warm(snap: Any, go_on: Any) -> None:
        warmed.append(snap)
        entered.set()
        release.wait(5)

    monkeypatch.setattr(warming, "warm", slow_warm)
    warmer = warming.Warmer(in_use=lambda _cache: True)
    first, second = fake_snapshot(), fake_snapshot()
    warmer.start(first)
    assert entered.wait(5)  # the thread is warming the first one
    warmer.start(second)
    assert not warmer.idle.is_set()
    release.set()
    assert warmer.idle.wait(5)
    assert warmed == [first, second]


def test_a_generation_handed_over_as_the_thread_finishes_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    # The thread stays alive a moment after it found nothing left to warm: a generation
    # handed over then must start a new thread, or the warmer would never be idle again.
    monkeypatch.setattr(warming, "MIN_DOCS", 1)
    warmed = []
    monkeypatch.setattr(warming, "warm", lambda snap, go_on: warmed.append(snap))
    warmer = warming.Warmer(in_use=lambda _cache: True)
    for _ in range(500):
        warmer.start(fake_snapshot())
        assert warmer.idle.wait(5)
    assert len(warmed) == 500


def test_a_failing_segment_is_not_warmed_again(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(warming, "MIN_DOCS", 1)
    calls = []

    def broken(snap: Any, go_on: Any) -> None:
        calls.append(snap)
        raise OSError("damaged segment")

    monkeypatch.setattr(warming, "warm", broken)
    warmer = warming.Warmer(in_use=lambda _cache: True)
    snap = fake_snapshot()
    warmer.start(snap)
    assert warmer.idle.wait(5)
    warmer.start(snap)  # the next generation holds the same segment
    assert warmer.idle.wait(5)
    assert calls == [snap]
    assert "warming the search index failed" in caplog.text


def test_a_process_that_only_keeps_the_index_in_step_does_not_warm(tmp_path: Path, small_thresholds: None) -> None:
    ix = built(tmp_path, 120)
    assert ix.revisions()  # what `kb outbox run` does to keep the index in step
    snap = ix._current()
    assert snap is not None
    (_, _, cache), = snap.leaves
    assert not cache.warmed and not cache.vectors
