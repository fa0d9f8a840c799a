"""Article Markdown files: parse and validate them, and write them back identically."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from kb.articles.categories import CATEGORY_CODES
from kb.articles.policy_examples import ExampleError, parse_examples
from kb.config import LANGUAGES

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELDS = ("key", "lang", "slug", "title", "category", "tags", "status", "summary")
# Fields a file may leave out; legal_review marks an article the shop's lawyers must read.
OPTIONAL_FIELDS = ("legal_review",)
STATUSES = ("draft", "published")


class ArticleFileError(ValueError):
    """A Markdown file that cannot be imported, with where and why."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class ArticleFile:
    """The content of one article file, validated."""

    key: str
    lang: str
    slug: str
    title: str
    category: str
    tags: list[str] = field(default_factory=list)
    status: str = "published"
    summary: str = ""
    body: str = ""
    legal_review: bool = False


def file_hash(text: str) -> str:
    """The hash that tells whether a file changed since the last sync."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_article(text: str, path: Path | str = "<text>") -> ArticleFile:
    """Parse and validate an article file's text; raise ArticleFileError naming the line."""
    if not text.startswith("---"):
        raise ArticleFileError(path, "missing front matter (the file must start with ---)", 1)
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleFileError(path, f"invalid front matter: {problem}", line) from exc
    meta = post.metadata
    missing = [name for name in FIELDS if name not in meta and name != "tags"]
    if missing:
        raise ArticleFileError(path, f"front matter is missing: {', '.join(missing)}", 1)
    unknown = sorted(set(meta) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise ArticleFileError(path, f"unknown front matter field: {', '.join(unknown)}", 1)
    article = ArticleFile(
        key=_text(meta, "key", path, 80),
        lang=_text(meta, "lang", path, 5),
        slug=_text(meta, "slug", path, 120),
        title=_text(meta, "title", path, 200),
        category=_text(meta, "category", path, 60),
        tags=_tags(meta.get("tags", []), path),
        status=_text(meta, "status", path, 20),
        summary=_text(meta, "summary", path, 300, allow_empty=True),
        body=post.content.strip() + "\n",
        legal_review=_flag(meta, "legal_review", path),
    )
    _validate(article, path)
    try:
        # Lines are counted in the whole file, front matter included, so they point at the case.
        parse_examples(text)
    except ExampleError as exc:
        raise ArticleFileError(path, exc.message, exc.line) from exc
    return article


def _text(meta: dict, name: str, path: Path | str, limit: int, allow_empty: bool = False) -> str:
    value = meta.get(name)
    if value is None and allow_empty:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ArticleFileError(path, f"'{name}' must be text")
    value = str(value).strip()
    if not value and not allow_empty:
        raise ArticleFileError(path, f"'{name}' must not be empty")
    if len(value) > limit:
        raise ArticleFileError(path, f"'{name}' is longer than {limit} characters")
    return value


def _flag(meta: dict, name: str, path: Path | str) -> bool:
    value = meta.get(name, False)
    if not isinstance(value, bool):
        raise ArticleFileError(path, f"'{name}' must be true or false")
    return value


def _tags(value: object, path: Path | str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str | int) for t in value):
        raise ArticleFileError(path, "'tags' must be a list of words, like [refund, parcel]")
    return [str(t).strip() for t in value if str(t).strip()][:20]


def _validate(article: ArticleFile, path: Path | str) -> None:
    if article.lang not in LANGUAGES:
        raise ArticleFileError(path, f"'lang' must be one of {', '.join(LANGUAGES)}")
    if not SLUG.match(article.slug):
        raise ArticleFileError(path, "'slug' may hold only lower-case letters, digits and dashes")
    if not SLUG.match(article.key):
        raise ArticleFileError(path, "'key' may hold only lower-case letters, digits and dashes")
    if article.category not in CATEGORY_CODES:
        raise ArticleFileError(
            path, f"unknown category '{article.category}' (one of {', '.join(CATEGORY_CODES)})"
        )
    if article.status not in STATUSES:
        raise ArticleFileError(path, "'status' must be draft or published")


def serialize_article(article: ArticleFile) -> str:
    """The canonical file text for an article (what export writes)."""
    meta: dict[str, Any] = {
        "key": article.key,
        "lang": article.lang,
        "slug": article.slug,
        "title": article.title,
        "category": article.category,
        "tags": list(article.tags),
        "status": article.status,
        "summary": article.summary,
    }
    if article.legal_review:
        # Written only when set, so that every other file keeps its exact text.
        meta["legal_review"] = True
    head = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, default_flow_style=None, width=10_000
    )
    return f"---\n{head}---\n{article.body.strip()}\n"


def article_path(root: Path, lang: str, slug: str) -> Path:
    """Where an article's file lives in an articles folder."""
    return root / lang / f"{slug}.md"


def find_article_files(root: Path) -> list[Path]:
    """Every Markdown file of an articles folder, in a stable order."""
    return sorted(p for p in root.rglob("*.md") if p.is_file())
