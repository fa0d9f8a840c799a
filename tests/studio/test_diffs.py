"""The studio's plain functions: diffs between versions, slugs and keys, tags and bodies."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kb.articles.files import SLUG
from kb.studio.diffs import diff_lines, diff_snapshots
from kb.studio.service import ArticleContent, free_slug, normalize_body, parse_tags, suggest_slug, unused_key
from tests.studio.conftest import make_article


def _snapshot(**overrides: Any) -> ArticleContent:
    fields: dict[str, Any] = {
        "title": "Refunds",
        "slug": "refunds",
        "category": "refunds",
        "tags": ("money",),
        "summary": "When.",
        "status": "published",
        "body": "One.\nTwo.\n",
    }
    fields.update(overrides)
    return ArticleContent(**fields)


def test_identical_versions_have_no_differences() -> None:
    assert diff_snapshots(_snapshot(), _snapshot()).empty


def test_changed_fields_are_listed_old_and_new() -> None:
    changes = diff_snapshots(_snapshot(), _snapshot(title="Refund times", tags=("money", "time")))
    assert [(c.name, c.old, c.new) for c in changes.fields] == [
        ("title", "Refunds", "Refund times"),
        ("tags", "money", "money, time"),
    ]
    assert changes.hunks == ()


def test_a_replaced_line_marks_only_the_words_that_changed() -> None:
    (hunk,) = diff_lines("Keep.\nPaid in 5 days.\n", "Keep.\nPaid in 10 days.\n")
    kinds = [(line.kind, line.text) for line in hunk.lines]
    assert kinds == [("same", "Keep."), ("del", "Paid in 5 days."), ("add", "Paid in 10 days.")]
    assert hunk.lines[1].parts == (("Paid in ", False), ("5", True), (" days.", False))
    assert hunk.lines[2].parts == (("Paid in ", False), ("10", True), (" days.", False))
    side = [
        (row.left.kind if row.left else None, row.right.kind if row.right else None)
        for row in hunk.rows
    ]
    assert side == [("same", "same"), ("del", "add")]


def test_far_apart_changes_make_separate_hunks_with_context() -> None:
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 2\n", "line two\n").replace("line 19", "line nineteen")
    hunks = diff_lines(old, new, context=2)
    assert len(hunks) == 2
    assert [line.old_number for line in hunks[1].lines if line.kind == "same"] == [17, 18, 20]


def test_slugs_are_made_from_titles_in_both_languages() -> None:
    assert suggest_slug("Où est mon colis ?") == "ou-est-mon-colis"
    assert suggest_slug("Œuvres d'art & cœurs") == "oeuvres-d-art-coeurs"
    assert suggest_slug("  Refunds -- in 10 days!  ") == "refunds-in-10-days"
    assert suggest_slug("???") == ""
    assert len(suggest_slug("word " * 60)) <= 120 and not suggest_slug("word " * 60).endswith("-")


def test_tags_are_trimmed_deduplicated_and_kept_in_order() -> None:
    assert parse_tags(" refund , ,late  parcel,refund,") == ("refund", "late parcel")


def test_bodies_get_unix_line_endings_like_imported_files() -> None:
    assert normalize_body("\r\nOne\r\n\r\nTwo\r\n\r\n") == "One\n\nTwo\n"


def test_numbered_slugs_and_keys_stay_valid_when_cut(app: Flask) -> None:
    long_title = "a" * 118 + "-b"
    make_article(key=long_title[:80], slug=long_title, title="Long")
    slug = free_slug("en", long_title)
    key = unused_key(long_title)
    assert SLUG.match(slug) and len(slug) <= 120 and slug != long_title
    assert SLUG.match(key) and len(key) <= 80 and key != long_title[:80]
