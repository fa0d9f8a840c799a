"""Differences between two versions of an article, line by line and word by word (difflib).

The results are plain text pieces; templates escape them and mark them with <ins>/<del>.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from itertools import zip_longest

from kb.articles.models import Article, ArticleRevision
from kb.studio.service import ArticleContent

CONTEXT_LINES = 3
FIELDS = ("title", "slug", "category", "tags", "summary", "status")


def _snapshot(source: Article | ArticleRevision, tags: tuple[str, ...]) -> ArticleContent:
    """The fields every source names alike; only the tags are stored differently."""
    return ArticleContent(
        title=source.title,
        slug=source.slug,
        category=source.category,
        tags=tags,
        summary=source.summary,
        status=source.status,
        body=source.body,
    )


def snapshot_of_article(article: Article) -> ArticleContent:
    """The article as it is saved now."""
    return _snapshot(article, tuple(article.tags))


def snapshot_of_revision(revision: ArticleRevision) -> ArticleContent:
    """The article as one revision saved it."""
    return _snapshot(revision, tuple(json.loads(revision.tags_json or "[]")))


@dataclass(frozen=True)
class FieldChange:
    """A one-line field that differs."""

    name: str
    old: str
    new: str


@dataclass(frozen=True)
class Line:
    """One line of the body: unchanged ("same"), removed ("del") or added ("add").

    ``parts`` cut the text into (piece, changed) pairs so that the words that changed
    within a replaced line can be marked too.
    """

    kind: str
    text: str
    old_number: int | None
    new_number: int | None
    parts: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side view: the old line on the left, the new on the right."""

    left: Line | None
    right: Line | None


@dataclass(frozen=True)
class Hunk:
    """A run of changed lines with a little unchanged context around it."""

    lines: tuple[Line, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class SnapshotDiff:
    """What changed between two snapshots: one-line fields, then the body's hunks."""

    fields: tuple[FieldChange, ...]
    hunks: tuple[Hunk, ...]

    @property
    def empty(self) -> bool:
        """Whether the two versions are the same."""
        return not self.fields and not self.hunks


def diff_snapshots(old: ArticleContent, new: ArticleContent, context: int = CONTEXT_LINES) -> SnapshotDiff:
    """Every difference between two versions of an article."""
    fields = []
    for name in FIELDS:
        before, after = _field_text(getattr(old, name)), _field_text(getattr(new, name))
        if before != after:
            fields.append(FieldChange(name, before, after))
    return SnapshotDiff(fields=tuple(fields), hunks=diff_lines(old.body, new.body, context))


def _field_text(value: object) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def diff_lines(old: str, new: str, context: int = CONTEXT_LINES) -> tuple[Hunk, ...]:
    """The body's changes as hunks, each usable inline (lines) or side by side (rows)."""
    before, after = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        lines: list[Line] = []
        rows: list[Row] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset in range(i2 - i1):
                    text = before[i1 + offset]
                    line = Line("same", text, i1 + offset + 1, j1 + offset + 1, ((text, False),))
                    lines.append(line)
                    rows.append(Row(line, line))
                continue
            removed, added = _changed_lines(before, after, i1, i2, j1, j2)
            lines.extend(removed + added)
            rows.extend(Row(left, right) for left, right in zip_longest(removed, added))
        hunks.append(Hunk(tuple(lines), tuple(rows)))
    return tuple(hunks)


def _changed_lines(
    before: list[str], after: list[str], i1: int, i2: int, j1: int, j2: int
) -> tuple[list[Line], list[Line]]:
    """Removed and added lines; lines replaced one for one get their changed words marked."""
    removed: list[Line] = []
    added: list[Line] = []
    for offset in range(max(i2 - i1, j2 - j1)):
        old = before[i1 + offset] if i1 + offset < i2 else None
        new = after[j1 + offset] if j1 + offset < j2 else None
        if old is not None and new is not None:
            old_parts, new_parts = word_parts(old, new)
        else:
            old_parts = ((old, True),) if old is not None else ()
            new_parts = ((new, True),) if new is not None else ()
        if old is not None:
            removed.append(Line("del", old, i1 + offset + 1, None, old_parts))
        if new is not None:
            added.append(Line("add", new, None, j1 + offset + 1, new_parts))
    return removed, added


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_parts(
    old: str, new: str
) -> tuple[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...]]:
    """Both lines cut into (piece, changed) pairs, word by word."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            _append(left, "".join(a[i1:i2]), changed)
        if j2 > j1:
            _append(right, "".join(b[j1:j2]), changed)
    return tuple(left), tuple(right)


def _append(parts: list[tuple[str, bool]], text: str, changed: bool) -> None:
    if parts and parts[-1][1] == changed:
        parts[-1] = (parts[-1][0] + text, changed)
    else:
        parts.append((text, changed))
