"""Ranking reads long posting lists best-first and stops early; it must still return exactly
the k best documents that scoring every document would, whatever the scores look like."""

from __future__ import annotations

import random
from collections.abc import Container

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.search import ranking
from kb.search.ranking import Alt, rank
from kb.search.segments import Vec, docs_of, mask_of
from kb.search.snapshot import DocSet

SEGMENTS = ((0, 1800), (1800, 3000))  # (first doc number, end): two segments, offsets matter
DOCS = SEGMENTS[-1][1]


def alt(postings: dict[int, float], mult: float) -> Alt:
    """An Alt holding `postings` (global doc number -> tf part) split over the segments."""
    parts = []
    for first, end in SEGMENTS:
        local = {d - first: tf for d, tf in postings.items() if first <= d < end}
        if local:
            parts.append((first, end, Vec(local, end - first)))
    return Alt(parts, mult)


def every_doc_scored(groups: list[tuple[list[dict[int, float]], list[float], bool]], k: int,
                     deleted: set[int], allowed: Container[int] | None) -> list[tuple[int, float]]:
    """The k best (doc, score) by scoring every document: a word's alternatives count their
    best, a phrase's words add up, and a document keeps (words matched / words) of its sum."""
    n = len(groups)
    scored = []
    for d in range(DOCS):
        if d in deleted or (allowed is not None and d not in allowed):
            continue
        total, matched = 0.0, 0
        for postings, mults, phrase in groups:
            values = [p[d] * m for p, m in zip(postings, mults, strict=True) if d in p]
            if values:
                total += sum(values) if phrase else max(values)
                matched += 1
        if matched:
            scored.append((d, total * (matched / n if n > 1 else 1.0)))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored[:k]


@st.composite
def postings_of(draw: st.DrawFn) -> dict[int, float]:
    """A word's postings: in a few or most documents, with scores that are flat (a few
    levels, long runs of equal scores: where reading best-first has the hardest time
    stopping) or spread out."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    share = draw(st.sampled_from([0.7, 0.3, 0.95, 0.05, 0.005]))
    levels = draw(st.sampled_from([None, (0.9, 1.0, 1.1), (1.0,)]))
    docs = [d for d in range(DOCS) if rng.random() < share]
    return {d: rng.choice(levels) if levels else rng.expovariate(1.0) + 0.01 for d in docs}


group = st.tuples(st.lists(st.tuples(postings_of(), st.floats(0.2, 3.0)), min_size=1, max_size=3),
                  st.sampled_from([False, False, False, True]))  # now and then a phrase
# Hypothesis starts from the first of each sampled_from: the long, hard lists come first.


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=st.lists(group, min_size=1, max_size=4), k=st.sampled_from([5, 40, 10, 1]),
       deleted=st.sets(st.integers(0, DOCS - 1), max_size=100),
       allowed=st.none() | st.sets(st.integers(0, DOCS - 1), min_size=1, max_size=2500),
       as_bits=st.booleans(), big_group=st.sampled_from([0, 200, 1500]))
def test_the_k_best_are_those_scoring_every_document_gives(
    groups: list[tuple[list[tuple[dict[int, float], float]], bool]], k: int, deleted: set[int],
    allowed: set[int] | None, as_bits: bool, big_group: int,
) -> None:
    assert_ranked_as_every_document_scored(groups, k, deleted, allowed, as_bits, big_group)


def assert_ranked_as_every_document_scored(
    groups: list[tuple[list[tuple[dict[int, float], float]], bool]], k: int, deleted: set[int],
    allowed: set[int] | None, as_bits: bool, big_group: int,
) -> None:
    """rank() gives what every_doc_scored gives, the order of tied documents aside."""
    built = [([alt(p, m) for p, m in alts], phrase) for alts, phrase in groups]
    allowed_arg: tuple[Container[int], int] | None = None
    if allowed is not None:
        mask = mask_of(allowed)
        allowed_arg = (DocSet(mask) if as_bits else set(allowed), mask)
    with pytest.MonkeyPatch.context() as patch:
        # A small BIG_GROUP sends most words through the best-first path.
        patch.setattr(ranking, "BIG_GROUP", big_group)
        got, total = rank(built, k, (deleted, mask_of(deleted)), allowed_arg)

    plain = [([p for p, _ in alts], [m for _, m in alts], phrase) for alts, phrase in groups]
    expected = every_doc_scored(plain, k, deleted, allowed)
    assert total == len(every_doc_scored(plain, 10_000, deleted, allowed))
    assert [score for _, score in got] == pytest.approx([score for _, score in expected], rel=1e-5)
    # Documents whose scores tie (within float error) may come in either order; the rest not.
    cut = expected[-1][1] if len(expected) == k else -1.0
    assert ({d for d, s in got if s > cut * (1 + 1e-5)}
            == {d for d, s in expected if s > cut * (1 + 1e-5)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=st.lists(st.tuples(st.lists(st.tuples(postings_of(), st.floats(0.2, 3.0)),
                                          min_size=1, max_size=2), st.just(False)),
                       min_size=2, max_size=3),
       k=st.sampled_from([5, 40, 1]))
def test_several_long_words_rank_as_scoring_every_document_does(
    groups: list[tuple[list[tuple[dict[int, float], float]], bool]], k: int,
) -> None:
    # Every word long: the path where the documents holding all of them may join the candidates.
    assert_ranked_as_every_document_scored(groups, k, set(), None, as_bits=False, big_group=0)


def test_documents_holding_every_word_are_found_below_each_lists_top(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each word alone scores 10 in many documents; together they score 9 + 9 in 400, which
    # neither list puts near its top, and too many to join the candidates at first.
    # Coordination halves the single-word documents.
    monkeypatch.setattr(ranking, "BIG_GROUP", 0)
    a = {d: 10.0 for d in range(0, 2000)} | {d: 9.0 for d in range(2600, 3000)}
    b = {d: 10.0 for d in range(2000, 2600)} | {d: 9.0 for d in range(2600, 3000)}
    got, total = rank([([alt(a, 1.0)], False), ([alt(b, 1.0)], False)], 5, (set(), 0), None)
    assert total == 3000
    assert got == [(d, pytest.approx(18.0)) for d in range(2600, 2605)]


@given(st.sets(st.integers(0, 5000), max_size=300))
def test_docs_of_lists_a_bit_sets_documents_in_order(docs: set[int]) -> None:
    assert docs_of(mask_of(docs)) == sorted(docs)


def test_a_negative_bit_set_is_refused() -> None:
    with pytest.raises(ValueError):
        DocSet(-5)
    with pytest.raises(ValueError):
        docs_of(-1)
