"""Test helper: the real articles (articles/<lang>/*.md) as IndexedDocs.

Markdown is stripped crudely to text and policy placeholders are dropped: enough for
relevance tests, which care about words, not rendering.
"""

from __future__ import annotations

import re
from pathlib import Path

import frontmatter

from kb.search.engine import IndexedDoc

ARTICLES = Path(__file__).resolve().parents[2] / "articles"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\{\{.*?\}\}|\{%.*?%\}"), " "),  # template placeholders
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: keep the text
    (re.compile(r'^\s*!!!\s*\w+\s*(?:"([^"]*)")?', re.M), r"\1"),  # admonition headers
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),  # heading marks
    (re.compile(r"^\s*(?:[-*+]|\d+\.)\s+", re.M), ""),  # list markers
    (re.compile(r"\|?\s*:?-{3,}:?\s*"), " "),  # table rules
    (re.compile(r"<[^>]+>"), " "),  # inline HTML
    (re.compile(r"[|*_`>~#]+"), " "),  # remaining markup characters
)
_HEADING = re.compile(r"^#{2,3}\s+(.+?)\s*#*\s*$", re.M)


def strip_markdown(text: str) -> str:
    """Markdown to plain text, crudely; placeholders are dropped."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def load_docs(langs: tuple[str, ...] = ("en", "fr"), root: Path = ARTICLES) -> list[IndexedDoc]:
    """Published articles of `langs` as IndexedDocs; an unreadable file is an error."""
    docs: list[IndexedDoc] = []
    for lang in langs:
        for path in sorted((root / lang).glob("*.md")):
            post = frontmatter.load(path)
            meta = post.metadata
            key = str(meta.get("key") or path.stem)
            if meta.get("status", "published") != "published" or not meta.get("title"):
                continue
            tags = meta.get("tags") or []
            docs.append(
                IndexedDoc(
                    doc_id=f"{lang}:{key}",
                    key=key,
                    lang=str(meta.get("lang") or lang),
                    slug=str(meta.get("slug") or path.stem),
                    title=strip_markdown(str(meta["title"])),
                    category=str(meta.get("category") or ""),
                    tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (str(tags),),
                    summary=strip_markdown(str(meta.get("summary") or "")),
                    headings=" ; ".join(strip_markdown(h) for h in _HEADING.findall(post.content)),
                    body=strip_markdown(post.content),
                    revision=int(meta.get("revision") or 1),
                )
            )
    return docs


def keys_by_lang(docs: list[IndexedDoc]) -> dict[str, set[str]]:
    """The article keys present per language."""
    out: dict[str, set[str]] = {}
    for d in docs:
        out.setdefault(d.lang, set()).add(d.key)
    return out
