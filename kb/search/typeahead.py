"""Suggestions as the shopper types: articles whose title, tags or summary hold the words
typed so far, the last one as a prefix, surviving typos."""

from __future__ import annotations

import heapq
from bisect import bisect_left

from kb.search.analysis import language
from kb.search.snapshot import Snapshot, Titles
from kb.search.spelling import LETTERS, allowed_distance, common_letters


def suggest_titles(
    snap: Snapshot, words: list[str], lang: str, limit: int
) -> list[tuple[str, str, str]]:
    """(key, slug, title) of articles whose title, tags or summary hold the typed (folded)
    words, the last one as a prefix; stop words are skipped and a word the articles lack
    is read as its nearest one ("refnud", "echange tai"). Titles starting with what was
    typed come first, then titles holding it, then by how much of it the title and tags
    hold; shorter titles first."""
    t = snap.titles(lang)
    stops = language(lang).stops
    *whole, last = words
    found: set[int] | None = None
    title_words: list[str] = []
    for w in whole:
        if w in stops:
            continue
        known = w if w in t.where else _nearest_word(t, w)
        if known is None:
            return []
        title_words.append(known)
        found = set(t.where[known]) if found is None else found.intersection(t.where[known])
    prefixes = _with_prefix(t.words, last) or _near_prefix(t.words, last)
    if prefixes:
        lines = {i for p in prefixes for i in t.where[p]}
        found = lines if found is None else found & lines
    elif found is None or last not in stops:
        return []  # nothing starts like the last word (a stop word may just end the query)
    typed = " " + " ".join(words)
    exact = bool(prefixes) and prefixes[0].startswith(last)
    wanted: list[tuple[str, ...]] = [(" " + w,) for w in title_words]
    if prefixes:
        wanted.append((" " + last,) if exact else tuple(" " + p for p in prefixes))

    def order(i: int) -> tuple[int, int, int, int]:
        """Typed at the start of the title, or in it; then how many of the typed words
        the title and tags hold (a word as the start of theirs: "echange", "echanger")."""
        at = (" " + t.lines[i]).find(typed)
        heads = t.heads[i]
        held = sum(any(w in heads for w in ws) for ws in wanted)
        return (0 if at == 0 else 1 if at > 0 else 2, -held, len(t.entries[i][2]), i)

    return [t.entries[i] for i in heapq.nsmallest(limit, found or (), key=order)]


def _with_prefix(words: list[str], prefix: str) -> list[str]:
    """The sorted `words` that start with `prefix`."""
    return words[bisect_left(words, prefix) : bisect_left(words, prefix + "\uffff")]


def one_edit(word: str) -> set[str]:
    """Every string one edit from `word` that keeps its first letter (or swaps the first
    two): a few hundred set or bisect look-ups cost less than comparing every word."""
    head, out = word[0], {word[1] + word[0] + word[2:]}
    rest = word[1:]
    for i in range(len(rest) + 1):
        out.update(head + rest[:i] + c + rest[i:] for c in LETTERS)
        if i < len(rest):
            out.add(head + rest[:i] + rest[i + 1 :])
            out.update(head + rest[:i] + c + rest[i + 1 :] for c in LETTERS)
        if i + 1 < len(rest):
            out.add(head + rest[:i] + rest[i + 1] + rest[i] + rest[i + 2 :])
    out.discard(word)
    return out


def _nearest_word(t: Titles, w: str) -> str | None:
    """The indexed word one edit from a whole typed word keeping most of its letters."""
    if allowed_distance(w) == 0:
        return None
    found = [c for c in one_edit(w) if c in t.where]
    return min(found, key=lambda c: (-common_letters(w, c), -len(t.where[c]), c), default=None)


def _near_prefix(words: list[str], prefix: str) -> list[str]:
    """The indexed words starting one edit away from `prefix` (four letters or more),
    keeping only the nearest: "receit" finds "receipt", not "receive"."""
    if len(prefix) < 4:
        return []
    n = len(prefix)
    scored = {(-common_letters(prefix, c[: n + 1]), c)
              for v in one_edit(prefix) for c in _with_prefix(words, v)}
    best = min((key for key, _ in scored), default=None)
    return sorted(c for key, c in scored if key == best)
