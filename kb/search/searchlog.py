"""The search log: what shoppers searched for (scrubbed of personal data) and what they opened.

Searches and result clicks are buffered and written in batches (``kb.buffers``), so a search
never waits for the database's write lock. A result link carries the search's random click
token rather than its row id: the row does not exist yet when the results are shown, and a
token cannot be guessed to mark other people's searches as opened.
"""

from __future__ import annotations

import re
import secrets
import time
import unicodedata
from typing import Any

from sqlalchemy import insert, select

from kb.buffers import WriteBuffer, buffer_for
from kb.extensions import db
from kb.search.models import SearchLog
from kb.types import utcnow

# A click whose search is not written yet (another process still holds it) waits this long.
CLICK_PATIENCE_SECONDS = 60.0
TOKEN_BYTES = 12
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"\w{2,}", re.UNICODE)


# Personal data never reaches the search log: e-mails, order numbers, references, long digits.
_SCRUB = [
    # Anything with an @, even without a domain or cut short: "ana@exa" still names Ana.
    (re.compile(r"[\w.+-]+@[\w.-]*"), "[email]"),
    (re.compile(r"\b[A-Z]{1,3}[\s-]?\d{3,}\b", re.IGNORECASE), "[number]"),
    (re.compile(r"\bR-[A-Z0-9]{6}\b", re.IGNORECASE), "[reference]"),
    # A ticket reference typed without its dash; one digit at least, or "returns" would go.
    (re.compile(r"\bR(?=[A-Z0-9]{0,5}\d)[A-Z0-9]{6}\b", re.IGNORECASE), "[reference]"),
    (re.compile(r"#\s?[\w-]*\d[\w-]*"), "[number]"),
    # Short order numbers are only recognisable by the word before them ("order 1001").
    (re.compile(r"\b(order|commande|ticket|return|retour)((?:\s+(?:number|no\.?|nr\.?|num[ée]ro|n°))?"
                r"\s*:?\s*)\d{3,}\b", re.IGNORECASE), r"\1\2[number]"),
    (re.compile(r"\b[\w-]*\d[\w-]*\d{4,}[\w-]*\b"), "[number]"),
    (re.compile(r"\d{5,}"), "[number]"),
]


# Phone numbers: digits in groups, with spaces, dots, dashes or brackets, 8 digits at least.
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{6,}\d")


def _phone(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match.group())
    return "[number]" if digits >= 8 else match.group()


def scrub(query: str) -> str:
    """The query with anything that could identify a shopper replaced.

    First folded to the plain form (NFKC: a full-width "＠" becomes "@") and rid of invisible
    format characters (zero-width spaces and joiners), which would otherwise split a pattern.
    """
    query = unicodedata.normalize("NFKC", query)
    query = "".join(char for char in query if unicodedata.category(char) != "Cf")
    query = _PHONE.sub(_phone, query)
    for pattern, replacement in _SCRUB:
        query = pattern.sub(replacement, query)
    return query


def normalize(query: str) -> str:
    """The form used to group similar queries in reports."""
    return " ".join(_WORD.findall(query.lower()))[:200]


def log_search(query: str, lang: str, results: int, visit_id: str = "") -> str | None:
    """Record one search (scrubbed of personal data); returns its click token, None if empty."""
    # Scrub before cutting to length, so that an address cut in two is still found whole.
    cleaned = scrub(_CONTROL.sub(" ", query or "")[:1000]).strip()[:200].strip()
    if not cleaned:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    entry = {"query": cleaned[:200], "normalized": normalize(cleaned), "lang": lang, "results": results,
             "visit_id": visit_id[:40], "token": token, "created_at": utcnow()}
    _buffer().add(("search", entry))
    return token


def is_click_token(text: str) -> bool:
    """Whether text has the shape of a click token (anything else in a link is ignored)."""
    return bool(_TOKEN.fullmatch(text))


def log_click(token: str, key: str) -> None:
    """Remember that the shopper opened a result of a logged search (the first click counts)."""
    if is_click_token(token):
        _buffer().add(("click", (token, key[:80], time.monotonic())))


def _buffer() -> WriteBuffer:
    return buffer_for("searches", _write)


def _write(batch: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Insert the searches, then mark the clicks; clicks whose search is not in yet are kept."""
    rows = [entry for kind, entry in batch if kind == "search"]
    if rows:
        # One multi-row INSERT: a batch holds hundreds of searches under the write lock.
        connection = db.session.connection()
        connection.execute(insert(SearchLog), rows)
    clicks = [click for kind, click in batch if kind == "click"]
    if not clicks:
        return []
    tokens = {token for token, _key, _at in clicks}
    found = {row.token: row for row in db.session.scalars(select(SearchLog).where(SearchLog.token.in_(tokens)))}
    waiting = []
    for token, key, at in clicks:
        row = found.get(token)
        if row is None:
            if time.monotonic() - at < CLICK_PATIENCE_SECONDS:
                waiting.append(("click", (token, key, at)))
        elif row.clicked_key is None:
            row.clicked_key = key
    return waiting
