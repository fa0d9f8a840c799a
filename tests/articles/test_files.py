"""Article files: the optional legal_review flag in the front matter."""

from __future__ import annotations

import pytest

from kb.articles.files import ArticleFileError, parse_article, serialize_article

HEAD = """---
key: legal-rights
lang: en
slug: legal-rights
title: What are my legal rights?
category: refunds
tags: [withdrawal]
status: published
summary: The law gives you 14 days to withdraw.
"""


def _file(extra: str = "") -> str:
    return f"{HEAD}{extra}---\nBody.\n"


def test_legal_review_true_is_read_and_written_back_identically() -> None:
    text = _file("legal_review: true\n")
    article = parse_article(text)
    assert article.legal_review is True
    assert serialize_article(article) == text


def test_a_file_without_legal_review_is_not_flagged_and_keeps_its_text() -> None:
    text = _file()
    article = parse_article(text)
    assert article.legal_review is False
    assert "legal_review" not in serialize_article(article)
    assert serialize_article(article) == text


@pytest.mark.parametrize("value", ['"yes please"', "1", "[true]"])
def test_legal_review_that_is_not_true_or_false_is_refused(value: str) -> None:
    with pytest.raises(ArticleFileError, match="'legal_review' must be true or false"):
        parse_article(_file(f"legal_review: {value}\n"))


def test_other_unknown_fields_are_still_refused() -> None:
    with pytest.raises(ArticleFileError, match="unknown front matter field: reviewed_by"):
        parse_article(_file("reviewed_by: legal\n"))
