"""The query: what the shopper typed, read as weighted groups of index terms.

Sanitizing, quoted phrases, typo correction of unknown words (spelling.py), the writers'
synonyms (search-words.toml), and the "did you mean" text built from the results.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kb.search.analysis import fold, query_words, term_for
from kb.search.snippets import find_terms
from kb.search.spelling import SymSpell, correct, distance, rare_neighbour, repair_ending
from kb.search.words import SearchWords, current_words

MAX_QUERY_CHARS = 256
MAX_GROUPS = 12
# A correction of a shorter term is a guess (one edit changes a fifth of it: "foot" and
# "fort", "match" and "marche"), counted as half a word by most_words.
SURE_FIX = 6

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


_SYN_CACHE: dict[str, tuple[SearchWords, dict[str, tuple[str, ...]]]] = {}


def synonyms_for(lang: str) -> dict[str, tuple[str, ...]]:
    """Term -> synonym terms for one language, from the writers' search words file.

    Shoppers' words -> the words the articles use, searched as alternatives of the
    shopper's word with a lower weight. Built once per version of the file.
    """
    words = current_words()
    cached = _SYN_CACHE.get(lang)
    if cached is not None and cached[0] is words:
        return cached[1]
    table: dict[str, tuple[str, ...]] = {}
    for word, targets in words.synonyms.get(lang, ()):
        source = term_for(word, lang)
        found = [t for w in targets if (t := term_for(w, lang)) not in (None, source)]
        if source is not None and found:
            table[source] = tuple(dict.fromkeys(table.get(source, ()) + tuple(found)))
    _SYN_CACHE[lang] = (words, table)
    return table
