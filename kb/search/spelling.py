"""Query understanding: sanitizing, phrases, typo correction (symmetric delete), synonyms.

Typo correction works on analysed terms (stems) so it shares the index's vocabulary, and
it costs a handful of dict look-ups per unknown word instead of a fuzzy scan of the index.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kb.search.analysis import WORD_RE, fold, query_words, term_for

MAX_QUERY_CHARS = 256
MAX_GROUPS = 12
MAX_DISTANCE = 2
# Only the first characters of a term feed the deletes index (as in SymSpell): typos past
# them are still found because candidates are verified with the full distance.
PREFIX_LEN = 7

# Quotes a shopper may type around a phrase, normalised to ASCII '"'.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_PHRASE_RE = re.compile(r'"([^"]*)"')


@dataclass
class Group:
    """One query word (or quoted phrase) and the weighted terms that may stand for it."""

    surface: str
    terms: list[tuple[str, float]] = field(default_factory=list)
    phrase: tuple[str, ...] = ()  # the terms of a quoted phrase, in order


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
    """Edits tolerated for a term: none for tiny words, one for short, two for long."""
    if len(term) <= 3:
        return 0
    return 1 if len(term) <= 5 else 2


def correct(term: str, vocab: Mapping[str, int], speller: SymSpell) -> str | None:
    """Return the best known term for an unknown one (nearest, then most frequent)."""
    max_d = allowed_distance(term)
    if not max_d:
        return None
    best: tuple[int, int, str] | None = None
    for cand, dist in speller.lookup(term, max_d):
        df = vocab.get(cand, 0)
        if df <= 0:
            continue  # the term left the index since it was added to the speller
        key = (dist, -df, cand)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def rare_neighbour(term: str, vocab: Mapping[str, int], speller: SymSpell) -> str | None:
    """For a known but very rare term (a typo inside an article?), its far commoner twin."""
    df = vocab.get(term, 0)
    if df > 1 or len(term) < 5:
        return None
    best: tuple[int, str] | None = None
    for cand, dist in speller.lookup(term, 1):
        cdf = vocab.get(cand, 0)
        if cand != term and dist == 1 and cdf >= max(5, 20 * df):
            if best is None or cdf > best[0]:
                best = (cdf, cand)
    return best[1] if best else None


def surface_for(word: str, stem: str, corrected: str) -> str:
    """Spell a corrected stem like the word the shopper typed: "retrun" -> "return"."""
    folded = fold(word)
    k = 0
    while k < min(len(folded), len(stem)) and folded[k] == stem[k]:
        k += 1
    # Replace the stem's part of the word, keep the shopper's ending ("-ement", "-ed").
    keep = len(corrected) - (len(stem) - k)
    return corrected[: max(keep, 0)] + folded[k:] if keep > 0 else corrected


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
        g = Group(surface=word, terms=[(term, 1.0)])
        if term not in vocab:
            fix = correct(term, vocab, speller)
            if fix is not None:
                # The original term stays in (weight 1) so an exact hit outranks the fuzzy
                # ones should the index gain the word.
                g.terms.append((fix, 0.7))
                corrections.append(Correction(word, term, fix))
        else:
            twin = rare_neighbour(term, vocab, speller)
            if twin is not None:
                g.terms.append((twin, 0.5))
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
    closest word of the results' texts that has the corrected term (so with its accents)."""
    if not parsed.corrections:
        return None
    wanted = {c.fix for c in parsed.corrections}
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for word in WORD_RE.findall(text):
            t = term_for(word, lang)
            if t in wanted:
                seen.setdefault(t, Counter())[word.lower()] += 1
    out = parsed.text
    for c in parsed.corrections:
        options = seen.get(c.fix)
        typed = fold(c.word)
        if options:
            best = min(options, key=lambda w: (distance(fold(w), typed, 99), -options[w], w))
        else:
            best = surface_for(c.word, c.stem, c.fix)
        out = re.sub(rf"(?<!\w){re.escape(c.word)}(?!\w)", best, out)
    return out


def normalize_key(word: str, lang: str) -> str | None:
    """Return the term a synonym-table word maps to (so tables can be written in plain words)."""
    return term_for(word, lang)


# Shoppers' words -> the words the articles use. Each line is a set of words that stand for
# one another (first = the article's word); applied at query time with a lower weight.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "en": (
        "return send back bring",
        "refund money reimburse reimbursement",
        "store shop",
        "parcel package delivery order",
        "arrive came come arrived",
        "damaged broken faulty defective",
        "exchange swap replace",
        "receipt proof invoice",
        "cancel cancellation",
        "label slip",
    ),
    "fr": (
        "retour renvoyer rapporter retourner",
        "remboursement rembourser argent",
        "magasin boutique",
        "colis paquet livraison commande",
        "reçu ticket preuve facture",
        "endommagé cassé abîmé défectueux",
        "échange échanger remplacer",
        "annuler annulation",
        "étiquette bordereau",
    ),
}
_SYN_CACHE: dict[str, dict[str, tuple[str, ...]]] = {}


def synonyms_for(lang: str) -> dict[str, tuple[str, ...]]:
    """Term -> synonym terms for one language (built once from the word table)."""
    table = _SYN_CACHE.get(lang)
    if table is None:
        table = {}
        for line in _SYNONYMS.get(lang, ()):
            terms = [t for w in line.split() if (t := term_for(w, lang)) is not None]
            for t in terms:
                others = tuple(dict.fromkeys(o for o in terms if o != t))
                table[t] = tuple(dict.fromkeys(table.get(t, ()) + others))
        _SYN_CACHE[lang] = table
    return table
