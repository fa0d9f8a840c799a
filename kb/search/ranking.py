"""Ranking over the cached term vectors: which articles answer a query, and in what order.

BM25 parts per field are summed per document (segments.py builds them); long posting lists
are read best-first; coordination favours documents holding more of the query's words;
most_words decides which documents answer at all; the best few are re-ranked by their
title or tags.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from functools import cached_property, reduce
from itertools import repeat
from operator import add, mul, neg, or_, sub

from kb.search.analysis import longest_run, token_keys
from kb.search.query import ParsedQuery
from kb.search.segments import Vec, docs_of
from kb.search.snapshot import Snapshot, keep_allowed

# Coordination: a document matching k of n query words keeps (k/n)**COORD of its score,
# so conversational queries rank the article that matches most of the shopper's words.
COORD = 1.0
# A query word whose postings (all its alternatives) exceed this is read best-first.
BIG_GROUP = 1500
# The best RERANK results are re-ranked by how much of the query (stop words included)
# their title or a tag holds in one run: up to (1 + TITLE_RUN_BONUS) times the score.
RERANK = 40
TITLE_RUN_BONUS = 1.0
# The documents holding every long word join the candidates once they number at most this
# many per long word and per document read from the top of each list.
FULL_PER_WORD = 2


@dataclass
class Alt:
    """One term of a query group: its vector in each segment and its weight (idf x boost)."""

    parts: list[tuple[int, int, Vec]]  # (first doc number, end doc number, vector)
    mult: float
    guess: bool = False  # a correction of a short word (counts half in most_words)

    def postings(self) -> int:
        """Number of postings over all segments."""
        return sum(v.n for _, _, v in self.parts)

    @cached_property
    def mask(self) -> int:
        """The global doc numbers holding the term, as a bit set (the count of matches, the
        most-words filter and the every-word candidates each ask: computed once a query)."""
        held = 0
        for off, _, vec in self.parts:
            held |= vec.mask() << off
        return held

    def scaled(self) -> dict[int, float]:
        """Global doc number -> score, for every posting."""
        out: dict[int, float] = {}
        for off, _, vec in self.parts:
            ids: Iterable[int] = map(add, vec.ids, repeat(off)) if off else vec.ids
            out.update(zip(ids, map(mul, vec.tfs, repeat(self.mult)), strict=False))
        return out

    def lookup(self, docs: list[int]) -> list[float]:
        """Score of each of `docs` (sorted global doc numbers), 0.0 where absent."""
        if len(self.parts) == 1 and docs:  # one segment holds the word: no slicing
            off, end, vec = self.parts[0]
            if off <= docs[0] and docs[-1] < end:
                local = map(sub, docs, repeat(off)) if off else docs
                return list(map(mul, vec.lookup(local), repeat(self.mult)))
        out = [0.0] * len(docs)
        for off, end, vec in self.parts:
            lo, hi = bisect_left(docs, off), bisect_left(docs, end)
            if lo < hi:
                found = vec.lookup(map(sub, docs[lo:hi], repeat(off)))
                out[lo:hi] = map(mul, found, repeat(self.mult))
        return out


def rank(
    groups: list[tuple[list[Alt], bool]],
    k: int,
    deleted: tuple[set[int], int],
    allowed: tuple[Container[int], int] | None,
) -> tuple[list[tuple[int, float]], int]:
    """The k best (doc, score), best first, and the number of matching documents.

    Groups with short posting lists are summed whole. Long ones (common words, present in
    most articles) are read best-first: candidates are the short groups' documents plus the
    top `depth` of each long list, scored exactly by look-ups; no document outside can beat
    the k-th candidate once what it could still score (_bound_outside) falls below it, else
    `depth` grows (threshold algorithm). When every word is long, the documents holding all
    of them join the candidates once they are few, so that a document left out misses a word
    and coordination lowers that bound. Every step runs at C speed (map/zip/dict/set): no
    Python loop per posting. The count is a union of bit sets.
    """
    total = _count_matches(groups, deleted, allowed)
    if not total or k <= 0:
        return [], total
    n = len(groups)
    acc: dict[int, float] = {}
    matched: Counter[int] = Counter()
    big = _sum_short_groups(groups, acc, matched)
    factor = [(c / n) ** COORD for c in range(n + 1)]
    depth = 4 * k + 16
    # The documents holding every word (when every word is long): once few enough to look
    # up, they join the candidates, and any document left out misses a word.
    every = _holding_every_word(big, deleted, allowed) if n > 1 and len(big) == n else None
    while big:
        few = every is not None and every.bit_count() <= FULL_PER_WORD * depth * len(big)
        listed = every if few else None
        cands, reaches = _candidates(big, depth, acc, deleted, allowed, listed or 0)
        bound = _bound_outside(reaches, n, factor, listed is not None)
        scores = list(map(acc.get, cands, repeat(0.0)))
        counts = list(map(matched.get, cands, repeat(0)))
        for alts in big:
            # A word's alternatives (a typo's corrections, synonyms): the best of them.
            best = (alts[0].lookup(cands) if len(alts) == 1
                    else list(map(max, *(alt.lookup(cands) for alt in alts))))
            scores = list(map(add, scores, best))
            counts = list(map(add, counts, map(bool, best)))
        if n > 1:  # coordination: scale by the share of the query's words matched
            scores = list(map(mul, scores, map(factor.__getitem__, counts)))
        ranked = heapq.nlargest(k, zip(scores, map(neg, cands), strict=True))
        if not bound or (len(ranked) >= k and ranked[-1][0] >= bound):
            return [(-d, sc) for sc, d in ranked], total
        depth *= 4
        if len(cands) * 4 > total:
            # Flat scores (several very common words): reading best-first would end up
            # looking up nearly every document, which costs more than summing everything.
            for alts in big:
                scores_d: dict[int, float] = {}
                for alt in alts:
                    _merge(scores_d, alt.scaled(), max)
                _merge(acc, scores_d, add)
                matched.update(scores_d.keys())
            break
    return _best_of_all(acc, matched, deleted, allowed, factor if n > 1 else None, k), total


def _count_matches(groups: list[tuple[list[Alt], bool]], deleted: tuple[set[int], int],
                   allowed: tuple[Container[int], int] | None) -> int:
    """How many live (and allowed) documents match any word: a union of bit sets."""
    union = 0
    for alts, _ in groups:
        for alt in alts:
            union |= alt.mask
    union &= ~deleted[1]
    if allowed is not None:
        union &= allowed[1]
    return union.bit_count()


def _sum_short_groups(groups: list[tuple[list[Alt], bool]], acc: dict[int, float],
                      matched: Counter[int]) -> list[list[Alt]]:
    """Add the short groups' scores into `acc`; returns the long groups, read best-first later."""
    big: list[list[Alt]] = []
    for alts, phrase in groups:
        if phrase or sum(a.postings() for a in alts) <= BIG_GROUP:
            best_of: dict[int, float] = {}
            for alt in alts:  # a phrase sums its words; a word's alternatives: the best
                _merge(best_of, alt.scaled(), add if phrase else max)
            _merge(acc, best_of, add)
            matched.update(best_of.keys())
        else:
            big.append(alts)
    return big


def _candidates(big: list[list[Alt]], depth: int, acc: dict[int, float], deleted: tuple[set[int], int],
                allowed: tuple[Container[int], int] | None, every: int) -> tuple[list[int], list[float]]:
    """The documents to score exactly at this depth (the `every` bit set's among them), and
    for each long word, the most it can add to a document outside its top `depth`."""
    seen = set(acc)
    seen.update(docs_of(every))
    reaches = []
    for alts in big:
        reach = 0.0
        for alt in alts:
            for off, _, vec in alt.parts:
                top_ids, top_tfs = vec.impact()
                head = top_ids[:depth]
                seen.update(map(add, head, repeat(off)) if off else head)
                if depth < vec.n:
                    reach = max(reach, top_tfs[depth] * alt.mult)
        reaches.append(reach)
    seen -= deleted[0]
    if allowed is not None:
        seen = keep_allowed(seen, allowed[0])
    return sorted(seen), reaches


def _bound_outside(reaches: list[float], n: int, factor: list[float], every_listed: bool) -> float:
    """The most a document outside the candidates can score.

    It holds none of the short words (their documents are all candidates) and stands below
    the top of every long word it holds, so at most len(reaches) words, one fewer when the
    documents holding every word are candidates; with coordination, a document holding c of
    the n words keeps c/n of its sum, and that bound grows with c.
    """
    words = len(reaches) - 1 if every_listed else len(reaches)
    best = sum(sorted(reaches, reverse=True)[:words])
    return best * factor[words] if n > 1 else best


def _holding_every_word(big: list[list[Alt]], deleted: tuple[set[int], int],
                        allowed: tuple[Container[int], int] | None) -> int:
    """The live (and allowed) documents holding every one of the long words, as a bit set."""
    every = -1  # every bit set, until the first word
    for alts in big:
        every &= reduce(or_, (alt.mask for alt in alts), 0)
    every &= ~deleted[1]
    if allowed is not None:
        every &= allowed[1]
    return every


def _best_of_all(acc: dict[int, float], matched: Counter[int], deleted: tuple[set[int], int],
                 allowed: tuple[Container[int], int] | None, factor: list[float] | None,
                 k: int) -> list[tuple[int, float]]:
    """The k best of every summed document (when reading best-first would not pay)."""
    for d in deleted[0]:
        acc.pop(d, None)
    if allowed is not None:
        keep = list(keep_allowed(acc, allowed[0]))
        acc = dict(zip(keep, map(acc.__getitem__, keep), strict=True))
    keys = list(acc)
    scores = list(acc.values())
    if factor is not None:
        scores = list(map(mul, scores, map(factor.__getitem__, map(matched.__getitem__, keys))))
    ranked = heapq.nlargest(k, zip(scores, map(neg, keys), strict=True))
    return [(-d, sc) for sc, d in ranked]


def most_words(groups: list[list[Alt]]) -> tuple[int, int]:
    """(bit set of the documents holding most of the query's words, half-words needed).

    Precision: an article answers a query only when it holds more than half of the
    shopper's informative words (each word as typed, corrected or as a synonym; a word no
    article has still counts as asked). A short word found only through a correction is a
    guess and counts half (see SURE_FIX): "match de foot" read as "marche" and "fort" is
    not an answer, while "retrun lable" is. A lone word needs only to be found, and a long
    question (six words or more) three of its words.
    "football scores tonight" matching "store" in one article is not an answer; "can I
    bring it back to the shop" needs two of "bring", "back" and "shop". A rule a writer
    can check by reading the article, unlike a score.
    """
    n = len(groups)
    # In half-words: more than half of 2n, but three words at most, which a pasted
    # paragraph (ranked on its MAX_SCORED most telling words) is asked to hold.
    need = min(n + 1, 6) if n > 1 else 1
    # at_least[j]: documents holding at least j half-words of the words seen so far (a
    # counter of bit sets, a few C-speed operations per word and count).
    at_least = [-1] + [0] * need
    for alts in groups:
        exact = guess = 0
        for alt in alts:
            held = alt.mask
            if alt.guess:
                guess |= held
            else:
                exact |= held
        guess &= ~exact
        for j in range(need, 0, -1):
            at_least[j] |= (at_least[max(j - 2, 0)] & exact) | (at_least[j - 1] & guess)
    return at_least[need], need


def _merge(into: dict[int, float], other: dict[int, float], op: Callable[..., float]) -> None:
    """into[k] = op(into[k], other[k]) where both have k, else other[k] (mutates `other`)."""
    if into:
        common = list(other.keys() & into.keys())
        if common:
            values = map(op, map(into.__getitem__, common), map(other.__getitem__, common))
            other.update(zip(common, values, strict=True))
    into.update(other)


def title_bonus(
    snap: Snapshot, parsed: ParsedQuery, lang: str, ranked: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Re-rank the best few by how well their title or one tag matches the query.

    Help-centre titles and tags are the questions shoppers type ("Where is my
    return?"): a field scores the longest run of the query's words it holds, stop
    words included, or the share of the query's words it holds at all ("swap size").
    """
    fixes = {c.stem: c.fix for c in parsed.corrections}
    query = [fixes.get(k, k) for k in token_keys(parsed.text, lang)]
    vocab = snap.vocab(lang)
    groups = [{t for t, _ in g.terms} for g in parsed.groups]
    groups = [g for g in groups if any(t in vocab for t in g)]  # words no article has
    if len(query) < 2 and len(groups) < 2:
        return ranked
    wanted = frozenset(query).union(*groups)
    out = []
    for d, score in ranked:
        cache, local = snap.leaf_of(d)
        best = 0.0
        every, fields = cache.title_keys(local)
        if len(every & wanted) < 2:  # neither a run of two words nor two query words
            fields = ()
        for words in fields:
            keys = wanted.intersection(words)
            if len(keys) < 2:
                continue
            run = longest_run(query, words)
            covered = sum(1 for g in groups if not g.isdisjoint(keys))
            best = max(best, run / len(query) if run >= 2 else 0.0,
                       covered / len(groups) if covered >= 2 else 0.0)
        out.append((d, score * (1.0 + TITLE_RUN_BONUS * best)))
    out.sort(key=lambda x: (-x[1], x[0]))
    return out
