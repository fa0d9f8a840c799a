"""The query side: what the shopper typed, how it ranks articles, and the snippets shown.

Sanitizing, quoted phrases, typo correction (symmetric delete), synonyms, ranking over the
cached term vectors, the title re-ranking and the highlighted snippets. Typo correction
works on analysed terms (stems) so it shares the index's vocabulary, and it costs a
handful of dict look-ups per unknown word instead of a fuzzy scan of the index.
"""

from __future__ import annotations

import heapq
import html
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import add, mul, neg, sub

from kb.search.analysis import (
    WORD_RE,
    Snapshot,
    Vec,
    fold,
    keep_allowed,
    language,
    longest_run,
    query_words,
    term_for,
    token_keys,
)

MAX_QUERY_CHARS = 256
# Coordination: a document matching k of n query words keeps (k/n)**COORD of its score,
# so conversational queries rank the article that matches most of the shopper's words.
COORD = 1.0
# A query word whose postings (all its alternatives) exceed this is read best-first.
BIG_GROUP = 1500
# The best RERANK results are re-ranked by how much of the query (stop words included)
# their title or a tag holds in one run: up to (1 + TITLE_RUN_BONUS) times the score.
RERANK = 40
TITLE_RUN_BONUS = 1.0
MAX_GROUPS = 12
MAX_DISTANCE = 2
# Only the first characters of a term feed the deletes index (as in SymSpell): typos past
# them are still found because candidates are verified with the full distance.
PREFIX_LEN = 7
# Terms this long or longer may be corrected by two edits; shorter ones by one at most.
LONG_WORD = 8
# A correction of a shorter term is a guess (one edit changes a fifth of it: "foot" and
# "fort", "match" and "marche"), counted as half a word by most_words.
SURE_FIX = 6
# A typo this close to a word's end is looked for on the word itself (see repair_ending).
ENDING_WINDOW = 5

# Quotes a shopper may type around a phrase, normalised to ASCII '"'.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_PHRASE_RE = re.compile(r'"([^"]*)"')


@dataclass
class Group:
    """One query word (or quoted phrase) and the weighted terms that may stand for it."""

    surface: str
    terms: list[tuple[str, float]] = field(default_factory=list)
    phrase: tuple[str, ...] = ()  # the terms of a quoted phrase, in order
    guesses: set[str] = field(default_factory=set)  # corrections of short words: guesses


@dataclass(frozen=True)
class Correction:
    """A query word the index lacks, its term, and the known term searched instead."""

    word: str
    stem: str
    fix: str


@dataclass
class ParsedQuery:
    """The sanitized query text, its term groups and the corrections made."""

    text: str
    groups: list[Group]
    corrections: list[Correction]


def sanitize(raw: str) -> str:
    """Return the query as safe plain text: no control characters, bounded length."""
    text = unicodedata.normalize("NFKC", raw[: MAX_QUERY_CHARS * 4])
    # Control and format characters (NUL, ESC, zero-width...) become spaces.
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(text.translate(_QUOTES).split())[:MAX_QUERY_CHARS]


def split_phrases(text: str) -> tuple[list[str], str]:
    """Return the quoted phrases and the remaining text; an unbalanced quote is ignored."""
    phrases = [p for p in _PHRASE_RE.findall(text) if p.strip()]
    rest = _PHRASE_RE.sub(" ", text).replace('"', " ")
    return phrases, rest


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


def parse(
    raw: str,
    lang: str,
    vocab: Mapping[str, int],
    speller: SymSpell,
    synonyms: Mapping[str, tuple[str, ...]],
) -> ParsedQuery:
    """Turn raw query text into weighted term groups, correcting words the index lacks."""
    text = sanitize(raw)
    phrases, rest = split_phrases(text)
    corrections: list[Correction] = []

    def resolve(word: str, term: str) -> Group:
        """The group of one word: itself, its correction or rare twin, its synonyms."""
        g = Group(surface=word, terms=[(term, 1.0)])
        if term not in vocab:
            fix = correct(term, vocab, speller) or repair_ending(word, lang, vocab)
            if fix is not None:
                # The original term stays in (weight 1) so an exact hit outranks the fuzzy
                # ones should the index gain the word.
                g.terms.append((fix, 0.7))
                if len(term) < SURE_FIX:
                    g.guesses.add(fix)
                corrections.append(Correction(word, term, fix))
        else:
            twin = rare_neighbour(term, vocab, speller)
            if twin is not None:
                g.terms.append((twin, 0.5))
                g.guesses.add(twin)
        known = {t for t, _ in g.terms}
        for t in list(known):
            for syn in synonyms.get(t, ()):
                if syn not in known:
                    known.add(syn)
                    g.terms.append((syn, 0.6))
        return g

    groups: dict[tuple[str, ...], Group] = {}  # repeated words count once
    for phrase in phrases:
        resolved = [resolve(w, t) for w, t in query_words(phrase, lang)]
        if len(resolved) == 1:
            groups.setdefault((resolved[0].terms[0][0],), resolved[0])
        elif resolved:
            # A phrase searches its words as typed, or as corrected when unknown.
            terms = tuple(g.terms[1][0] if g.terms[0][0] not in vocab and len(g.terms) > 1
                          else g.terms[0][0] for g in resolved)
            groups.setdefault(terms, Group(phrase, [(t, 1.0) for t in terms], terms))
    for word, term in query_words(rest, lang):
        groups.setdefault((term,), resolve(word, term))
    return ParsedQuery(text, list(groups.values())[:MAX_GROUPS], corrections)


def suggestion(parsed: ParsedQuery, lang: str, texts: Iterable[str]) -> str | None:
    """The "did you mean" text: the query with each corrected word respelled like the
    closest word of the results' texts that has the corrected term (so with its accents).

    Only corrections the results hold are suggested: one that found nothing (or that the
    results matched without) did not make the query match and is not worth a suggestion.
    """
    if not parsed.corrections:
        return None
    wanted = frozenset(c.fix for c in parsed.corrections)
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for start, end, t in find_terms(text, wanted, lang):
            seen.setdefault(t, Counter())[text[start:end].lower()] += 1
    out = parsed.text
    for c in parsed.corrections:
        options = seen.get(c.fix)
        if not options:
            continue
        typed = fold(c.word)
        best = min(options, key=lambda w: (distance(fold(w), typed, 99), -options[w], w))
        out = re.sub(rf"(?<!\w){re.escape(c.word)}(?!\w)", best, out)
    return out if out != parsed.text else None


# Shoppers' words -> the words the articles use ("word: article words"), searched as
# alternatives of the shopper's word with a lower weight. One-way and single words on
# purpose: "send back" must not turn every "back" into "return".
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "en": (
        "money: refund", "reimburse: refund", "reimbursement: refund", "repay: refund",
        "shop: store", "package: parcel", "came: arrived", "broken: damaged faulty",
        "smashed: damaged", "cracked: damaged", "swap: exchange", "proof: receipt",
        "invoice: receipt", "postage: shipping", "human: agent", "person: agent",
        "present: gift", "send: return", "sent: delivered", "talk: speak contact",
    ),
    "fr": (
        "renvoyer: retour retourner", "rendre: retourner", "rapporter: retourner",
        "argent: remboursement", "boutique: magasin", "magasin: boutique", "paquet: colis",
        "cassé: abîmé endommagé", "casse: abîmé endommagé", "échanger: échange",
        "humain: conseiller", "agent: conseiller", "payant: frais", "ticket: reçu",
    ),
}
_SYN_CACHE: dict[str, dict[str, tuple[str, ...]]] = {}


def synonyms_for(lang: str) -> dict[str, tuple[str, ...]]:
    """Term -> synonym terms for one language (built once from the word table)."""
    table = _SYN_CACHE.get(lang)
    if table is None:
        table = {}
        for line in _SYNONYMS.get(lang, ()):
            word, _, targets = line.partition(":")
            source = term_for(word.strip(), lang)
            found = [t for w in targets.split() if (t := term_for(w, lang)) not in (None, source)]
            if source is not None and found:
                table[source] = tuple(dict.fromkeys(table.get(source, ()) + tuple(found)))
        _SYN_CACHE[lang] = table
    return table


# --- ranking ---------------------------------------------------------------------------

@dataclass
class Alt:
    """One term of a query group: its vector in each segment and its weight (idf x boost)."""

    parts: list[tuple[int, int, Vec]]  # (first doc number, end doc number, vector)
    mult: float
    guess: bool = False  # a correction of a short word (counts half in most_words)

    def postings(self) -> int:
        """Number of postings over all segments."""
        return sum(v.n for _, _, v in self.parts)

    def scaled(self) -> dict[int, float]:
        """Global doc number -> score, for every posting."""
        out: dict[int, float] = {}
        for off, _, vec in self.parts:
            ids: Iterable[int] = map(add, vec.ids, repeat(off)) if off else vec.ids
            out.update(zip(ids, map(mul, vec.tfs, repeat(self.mult)), strict=False))
        return out

    def lookup(self, docs: list[int]) -> list[float]:
        """Score of each of `docs` (sorted global doc numbers), 0.0 where absent."""
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
    the k-th candidate once the sum of the long lists' scores at `depth` falls below it,
    else `depth` grows (threshold algorithm). Every step runs at C speed (map/zip/dict/set):
    no Python loop per posting. The count is a union of bit sets.
    """
    union = 0
    for alts, _ in groups:
        for alt in alts:
            for off, _, vec in alt.parts:
                union |= vec.mask() << off
    union &= ~deleted[1]
    if allowed is not None:
        union &= allowed[1]
    total = union.bit_count()
    if not total or k <= 0:
        return [], total
    n = len(groups)
    acc: dict[int, float] = {}
    matched: Counter[int] = Counter()
    big: list[list[Alt]] = []
    for alts, phrase in groups:
        if phrase or sum(a.postings() for a in alts) <= BIG_GROUP:
            scores: dict[int, float] = {}
            for alt in alts:  # a phrase sums its words; a word's alternatives: the best
                _merge(scores, alt.scaled(), add if phrase else max)
            _merge(acc, scores, add)
            matched.update(scores.keys())
        else:
            big.append(alts)
    factor = [(c / n) ** COORD for c in range(n + 1)]
    depth = 4 * k + 16
    while big:
        seen = set(acc)
        bound = 0.0
        for alts in big:
            reach = 0.0
            for alt in alts:
                for off, _, vec in alt.parts:
                    top_ids, top_tfs = vec.impact()
                    head = top_ids[:depth]
                    seen.update(map(add, head, repeat(off)) if off else head)
                    if depth < vec.n:
                        reach = max(reach, top_tfs[depth] * alt.mult)
            bound += reach
        seen -= deleted[0]
        if allowed is not None:
            seen = keep_allowed(seen, allowed[0])
        cands = sorted(seen)
        totals = list(map(acc.get, cands, repeat(0.0)))
        counts = list(map(matched.get, cands, repeat(0)))
        for alts in big:
            best = [0.0] * len(cands)
            for alt in alts:
                best = list(map(max, best, alt.lookup(cands)))
            totals = list(map(add, totals, best))
            counts = list(map(add, counts, map(bool, best)))
        if n > 1:  # coordination: scale by the share of the query's words matched
            totals = list(map(mul, totals, map(factor.__getitem__, counts)))
        ranked = heapq.nlargest(k, zip(totals, map(neg, cands), strict=True))
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
    for d in deleted[0]:
        acc.pop(d, None)
    if allowed is not None:
        keep = list(keep_allowed(acc, allowed[0]))
        acc = dict(zip(keep, map(acc.__getitem__, keep), strict=True))
    keys = list(acc)
    totals = list(acc.values())
    if n > 1:
        totals = list(map(mul, totals, map(factor.__getitem__, map(matched.__getitem__, keys))))
    ranked = heapq.nlargest(k, zip(totals, map(neg, keys), strict=True))
    return [(-d, sc) for sc, d in ranked], total


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
            held = 0
            for off, _, vec in alt.parts:
                held |= vec.mask() << off
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


# --- snippets ----------------------------------------------------------------------------

def best_snippet(
    texts: tuple[str, ...], terms: frozenset[str], lang: str, width: int = 220
) -> str:
    """Escaped HTML of the best `width`-char window of `texts`, matched words in <mark>.

    The window with the most distinct matched terms wins (the first text wins ties, so
    the summary is preferred); only one article is tokenized, so the cost stays small.
    """
    best: tuple[tuple[int, int, int], str, list[tuple[int, int]], int] | None = None
    for rank, text in enumerate(texts):
        spans = find_terms(text, terms, lang)
        j = 0
        for i, (start, _, _) in enumerate(spans):
            j = max(j, i)
            while j + 1 < len(spans) and spans[j + 1][1] - start <= width:
                j += 1
            window = spans[i : j + 1]
            score = (len({s[2] for s in window}), -rank, len(window))
            if best is None or score > best[0]:
                best = (score, text, [(s, e) for s, e, _ in window], start)
    if best is None:
        first = next((t for t in texts if t.strip()), "")
        return readable(_window(first, 0, width, []))
    _, text, marks, start = best
    # Start a little before the first match, on a word boundary, so it reads naturally.
    lead = max(0, start - width // 5)
    if lead:
        space = text.find(" ", lead, start)
        lead = space + 1 if space != -1 else lead
    return readable(_window(text, lead, width, marks))


def find_terms(text: str, terms: frozenset[str], lang: str) -> list[tuple[int, int, str]]:
    """(start, end, term) of each word of `text` whose term is in `terms`.

    A word with one of `terms` starts with (most of) that term once folded, so a few
    str.find calls on a folded copy locate the candidates and only those are analysed,
    instead of all 400 words of an article per hit.
    """
    conv = language(lang).term
    low = text.lower()
    folded = low if low.isascii() else _fold_latin1(low)
    if len(folded) != len(text):  # a rare character whose lower case is longer
        return [(m.start(), m.end(), t) for m in WORD_RE.finditer(text)
                if (t := conv(m.group().lower())) is not None and t in terms]
    starts: set[int] = set()
    for head in {t[: max(3, len(t) - 1)] for t in terms}:
        i = folded.find(head)
        while i != -1:
            if i == 0 or not folded[i - 1].isalnum():
                starts.add(i)
            i = folded.find(head, i + 1)
    out = []
    for i in sorted(starts):
        m = WORD_RE.match(low, i)
        if m is not None and (t := conv(m.group())) is not None and t in terms:
            out.append((i, m.end(), t))
    return out


def _latin1_table() -> bytes:
    # Byte-to-byte folding of Latin-1 letters (é -> e): str.translate with a dict costs
    # a dict look-up per character, bytes.translate is a table look-up in C.
    table = bytearray(range(256))
    for b in range(0xC0, 0x100):
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(b))
                       if not unicodedata.combining(c))
        if len(base) == 1 and base.isascii():
            table[b] = ord(base.lower())
    return bytes(table)


_LATIN1_FOLD = _latin1_table()


def _fold_latin1(text: str) -> str:
    """Fold accents one character for one character (outside Latin-1 becomes "?")."""
    return text.encode("latin-1", "replace").translate(_LATIN1_FOLD).decode("latin-1")


# Flattened HTML keeps a space where each tag ended: "see <a>exchanges</a>." reads "see
# exchanges ." and "(<a>R-7K2P9Q</a>)" reads "(R-7K2P9Q )". Snippets put the punctuation
# back (after a word, a </mark>, an entity or a closing quote or bracket).
_LOOSE_PUNCTUATION = re.compile(r"(?<=[\w»’)>;]) +(?=[,.](?:\s|$|…)|\))|(?<=\() +")


def readable(snippet: str) -> str:
    """A snippet's HTML with no space before a comma, full stop or bracket."""
    return _LOOSE_PUNCTUATION.sub("", snippet)


def _window(text: str, lead: int, width: int, marks: list[tuple[int, int]]) -> str:
    end = min(len(text), lead + width)
    if end < len(text):
        space = text.rfind(" ", lead, end)
        end = space if space > lead else end
    parts = ["…" if lead else ""]
    cursor = lead
    for s, e in marks:
        if e > end:
            break
        parts.append(html.escape(text[cursor:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    # No "…" after a full stop: "methods.…" reads as a typo, and the sentence is whole.
    parts.append("…" if end < len(text) and not text[:end].endswith(".") else "")
    return "".join(parts)
