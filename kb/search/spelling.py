"""Typo correction on analysed terms: the nearest known term of a word the index lacks.

Correction works on terms (stems) so it shares the index's vocabulary, and it costs a
handful of dict look-ups per unknown word (symmetric delete) instead of a fuzzy scan of
the index. It prefers no correction to a far one, which would turn an unrelated word
into a returns word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kb.search.analysis import fold, language

MAX_DISTANCE = 2
# Only the first characters of a term feed the deletes index (as in SymSpell): typos past
# them are still found because candidates are verified with the full distance.
PREFIX_LEN = 7
# Terms this long or longer may be corrected by two edits; shorter ones by one at most.
LONG_WORD = 8
# A typo this close to a word's end is looked for on the word itself (see repair_ending).
ENDING_WINDOW = 5



def distance(a: str, b: str, limit: int = MAX_DISTANCE) -> int:
    """Optimal-string-alignment distance (a transposition costs 1), or limit+1 if larger."""
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        ca = a[i - 1]
        row_min = cur[0]
        for j in range(1, lb + 1):
            cost = 0 if ca == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            row_min = min(row_min, v)
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb] if prev[lb] <= limit else limit + 1


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt: set[str] = set()
        for w in frontier:
            if len(w) > 1:
                nxt.update(w[:i] + w[i + 1 :] for i in range(len(w)))
        out |= nxt
        frontier = nxt
    return out


class SymSpell:
    """Symmetric-delete dictionary: finds every known term within MAX_DISTANCE edits."""

    def __init__(self) -> None:
        self._deletes: dict[str, list[str]] = {}
        self._known: set[str] = set()

    def __len__(self) -> int:
        return len(self._known)

    def add(self, terms: Iterable[str]) -> None:
        """Add terms (already-known ones are skipped, so this is cheap to call per generation)."""
        for term in terms:
            if term in self._known or len(term) < 3:
                continue
            self._known.add(term)
            for d in _deletes(term[:PREFIX_LEN], MAX_DISTANCE):
                self._deletes.setdefault(d, []).append(term)

    def lookup(self, term: str, max_distance: int) -> list[tuple[str, int]]:
        """Return (known term, distance) pairs within max_distance, nearest first."""
        seen: set[str] = set()
        found: list[tuple[str, int]] = []
        prefix = term[:PREFIX_LEN]
        for d in _deletes(prefix, max_distance):
            for cand in self._deletes.get(d, ()):
                if cand in seen:
                    continue
                seen.add(cand)
                dist = distance(term, cand, max_distance)
                if dist <= max_distance:
                    found.append((cand, dist))
        found.sort(key=lambda x: x[1])
        return found


def allowed_distance(term: str) -> int:
    """Edits tolerated for a term: none for tiny words, one for most, two for long ones."""
    if len(term) <= 3:
        return 0
    return 1 if len(term) < LONG_WORD else 2


def correct(term: str, vocab: Mapping[str, int], speller: SymSpell) -> str | None:
    """Return the likeliest known term for an unknown one, or None when none is plausible.

    Nearest first; among equally near ones, the one keeping more of the typed letters in
    order ("receit": "receipt" keeps all six, "receive" five), then the most frequent.
    """
    max_d = allowed_distance(term)
    if not max_d:
        return None
    best: tuple[int, int, int, str] | None = None
    for cand, dist in speller.lookup(term, max_d):
        df = vocab.get(cand, 0)  # 0: the term left the index since the speller had it
        if df <= 0 or not plausible_fix(term, cand, dist):
            continue
        key = (dist, -common_letters(term, cand), -df, cand)
        if best is None or key < best:
            best = key
    return best[3] if best else None


def plausible_fix(term: str, cand: str, dist: int) -> bool:
    """Whether `cand` is what a shopper who typed `term` likely meant.

    Shoppers rarely mistype a word's first letter, so "cake" is not read as "take" nor
    "tower" as "lower" (a swap of the first two letters still is: "rteurn"). Two edits
    (long words only) never drop or add two letters: "tonight" is not "tight".
    No correction beats a far one, which turns an unrelated word into a returns word.
    """
    if term[0] != cand[0] and term[:2] != cand[1::-1]:
        return False
    return dist < 2 or abs(len(term) - len(cand)) < 2


def common_letters(a: str, b: str) -> int:
    """Length of the longest common subsequence of two short words."""
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def repair_ending(
    word: str, lang: str, vocab: Mapping[str, int], window: int = ENDING_WINDOW
) -> str | None:
    """The known term of the word one edit away in its last letters, or None.

    A typo near a word's end ("remboursment", "defectueus", "reparasion") also spoils
    its stemming: the stemmer no longer recognises the ending, so the term is far from
    the right one ("remboursment" vs "rembours") even though the word is one letter off.
    Editing the typed word itself, then stemming, finds it; only words of letters and
    only the last few letters, so a query costs a few hundred cached stemmer calls.
    """
    folded = fold(word)
    # The edits stay clear of the first letter, as in plausible_fix.
    if len(folded) <= window or not (folded.isascii() and folded.isalpha()):
        return None
    conv = language(lang).term
    start = len(folded) - window
    head, tail = folded[:start], folded[start:]
    variants = {tail[:i] + tail[i + 1 :] for i in range(len(tail))}
    variants.update(tail[:i] + tail[i + 1] + tail[i] + tail[i + 2 :] for i in range(len(tail) - 1))
    for i in range(len(tail) + 1):
        for c in LETTERS:
            variants.add(tail[:i] + c + tail[i:])
            if i < len(tail):
                variants.add(tail[:i] + c + tail[i + 1 :])
    best: tuple[int, str] | None = None
    for variant in variants:
        term = conv(head + variant)
        df = vocab.get(term, 0) if term is not None else 0
        if term is not None and df and (best is None or (df, term) > best):
            best = (df, term)
    return best[1] if best else None


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def rare_neighbour(term: str, vocab: Mapping[str, int], speller: SymSpell) -> str | None:
    """For a known but very rare term (a typo inside an article?), its far commoner twin."""
    df = vocab.get(term, 0)
    if df > 1 or len(term) < 5:
        return None
    best: tuple[int, str] | None = None
    for cand, dist in speller.lookup(term, 1):
        cdf = vocab.get(cand, 0)
        if cand != term and dist == 1 and cdf >= max(5, 5 * df):
            if best is None or cdf > best[0]:
                best = (cdf, cand)
    return best[1] if best else None
