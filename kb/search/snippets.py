"""Snippets: the passage of an article that best shows why it matched, as escaped HTML."""

from __future__ import annotations

import html
import re
import unicodedata

from kb.search.analysis import WORD_RE, language


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
