"""Ranking reads long posting lists best-first and stops early; it must still return exactly
the k best documents that scoring every document would, whatever the scores look like."""

from __future__ import annotations

import random
from collections.abc import Container

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search import ranking
from kb.search.ranking import Alt, rank
from kb.search.segments import Vec, mask_of
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


@settings(max_examples=150, deadline=None)
@given(groups=st.lists(group, min_size=1, max_size=4), k=st.sampled_from([5, 40, 10, 1]),
       deleted=st.sets(st.integers(0, DOCS - 1), max_size=100),
       allowed=st.none() | st.sets(st.integers(0, DOCS - 1), min_size=1, max_size=2500),
       as_bits=st.booleans(), big_group=st.sampled_from([0, 200, 1500]))
def test_the_k_best_are_those_scoring_every_document_gives(
    groups: list[tuple[list[tuple[dict[int, float], float]], bool]], k: int, deleted: set[int],
    allowed: set[int] | None, as_bits: bool, big_group: int,
) -> None:
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
