"""What the index stores: the whoosh schema, the documents and their per-document facts."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from kb.search.analysis import LANGS, LangAnalyzer, token_keys
from kb.search.words import current_words

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexedDoc:
    """One article translation as the index sees it."""

    doc_id: str
    key: str
    lang: str
    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    summary: str
    headings: str
    body: str
    revision: int


# Field boosts, applied per field outside BM25's saturation so a title match stays strong.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 5.0, "tags": 3.0, "summary": 2.5, "headings": 2.0, "body": 1.0,
}
FIELDS: tuple[str, ...] = tuple(FIELD_WEIGHTS)
# BM25 length normalisation per field: short fields barely need it.
FIELD_B: dict[str, float] = {
    "title": 0.3, "tags": 0.2, "summary": 0.5, "headings": 0.5, "body": 0.75,
}
K1 = 1.2
# Bump when the schema or the analysis changes: an index built otherwise reads as corrupt.
SCHEMA_VERSION = "kb-search-3"


def schema_version() -> str:
    """The version an index must carry to be read: the schema's, and the stop words' in use
    (an index built with other stop words holds other terms, so it is rebuilt)."""
    return f"{SCHEMA_VERSION}/{current_words().digest}"


def _schema() -> Schema:
    spec: dict[str, Any] = {
        "doc_id": ID(unique=True),
        # Per-document facts for results, filters and revisions, read without unpickling
        # stored fields: doc_id, key, lang, slug, category, revision, title, tags, and the
        # token keys of the title and tags (see Meta.title_tag_keys).
        "meta": COLUMN(VarBytesColumn()),
        # Stored only for snippets.
        "summary": STORED,
        "body": STORED,
    }
    for lang in LANGS:
        analyzer = LangAnalyzer(lang)
        for name in FIELDS:
            # Boosts live in FIELD_WEIGHTS (see above), not in whoosh's field_boost, which
            # would scale term frequency inside the saturation and flatten the title boost.
            spec[f"{name}_{lang}"] = TEXT(analyzer=analyzer, phrase=True)
    return Schema(**spec)


SCHEMA = _schema()
_SEP, _TAG_SEP = "\x1f", "\x1e"


class Meta(NamedTuple):
    """Per-document facts kept in a whoosh column: read fast, without stored fields."""

    doc_id: str
    key: str
    lang: str
    slug: str
    category: str
    revision: int
    title: str
    tags: tuple[str, ...]
    # token_keys of the title and of each tag, words joined by spaces, fields by _TAG_SEP:
    # the re-ranking reads them for its forty best results of every search, and analysing
    # the titles again each time cost a sixth of a search at 100,000 articles.
    title_tag_keys: str


_NO_META = Meta("", "", "", "", "", 0, "", (), "")


def doc_fields(doc: IndexedDoc) -> dict[str, Any]:
    """Whoosh fields of an IndexedDoc (only its language's text fields are filled)."""
    if doc.lang not in LANGS:
        raise ValueError(f"unsupported language {doc.lang!r} for {doc.doc_id!r}")
    tags = _TAG_SEP.join(t.replace(_TAG_SEP, " ") for t in doc.tags)
    keys = _TAG_SEP.join(" ".join(token_keys(t, doc.lang)) for t in (doc.title, *doc.tags))
    meta = (doc.doc_id, doc.key, doc.lang, doc.slug, doc.category, str(int(doc.revision)),
            doc.title, tags, keys)
    fields: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "meta": _SEP.join(m.replace(_SEP, " ") for m in meta).encode(),
        "summary": doc.summary,
        "body": doc.body,
    }
    values = {"title": doc.title, "tags": " ; ".join(doc.tags), "summary": doc.summary,
              "headings": doc.headings, "body": doc.body}
    for name, value in values.items():
        if value:
            fields[f"{name}_{doc.lang}"] = value
    return fields


def read_meta(raw: bytes) -> Meta:
    """The Meta of one document from its column value (an empty Meta if malformed)."""
    parts = raw.decode().split(_SEP)
    if len(parts) != 9:
        return _NO_META
    tags = tuple(parts[7].split(_TAG_SEP)) if parts[7] else ()
    return Meta(parts[0], parts[1], parts[2], parts[3], parts[4], int(parts[5]), parts[6], tags,
                parts[8])


def parse_title_keys(meta: Meta) -> tuple[tuple[str, ...], ...]:
    """token_keys of the title and of each tag of a document, as stored in its Meta."""
    return tuple(tuple(field.split(" ")) if field else ()
                 for field in meta.title_tag_keys.split(_TAG_SEP))


def supported(doc: IndexedDoc) -> bool:
    """Whether a document can be indexed (it has an id and a language we analyse)."""
    if doc.lang in LANGS and doc.doc_id:
        return True
    logger.warning("not indexing %r: no doc_id, or no analyzer for %r", doc.doc_id, doc.lang)
    return False


def doc_json(doc: IndexedDoc) -> dict[str, Any]:
    """A document as JSON data (for the rebuild journal)."""
    return asdict(doc)


def doc_from_json(data: dict[str, Any]) -> IndexedDoc:
    """The document of doc_json's data."""
    data = dict(data)
    data["tags"] = tuple(data.get("tags", ()))
    return IndexedDoc(**data)

