"""Article files: the optional legal_review flag, in the front matter and through import/export."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from kb.articles.files import ArticleFileError, parse_article, serialize_article
from kb.articles.models import Article
from kb.articles.service import export_articles, import_articles
from kb.extensions import db

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


def _write(root: Path, text: str) -> Path:
    path = root / "en" / "legal-rights.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_import_keeps_legal_review_and_export_writes_it_back(app: Flask, tmp_path: Path) -> None:
    text = _file("legal_review: true\n")
    import_articles(_write(tmp_path / "in", text).parents[1])
    article = db.session.scalar(select(Article).where(Article.key == "legal-rights"))
    assert article is not None and article.legal_review is True
    export_articles(tmp_path / "out")
    assert (tmp_path / "out" / "en" / "legal-rights.md").read_text(encoding="utf-8") == text


def test_removing_legal_review_from_the_file_clears_it_on_import(app: Flask, tmp_path: Path) -> None:
    root = _write(tmp_path, _file("legal_review: true\n")).parents[1]
    import_articles(root)
    _write(tmp_path, _file())
    report = import_articles(root)
    assert report.updated == ["en/legal-rights.md"]
    article = db.session.scalar(select(Article).where(Article.key == "legal-rights"))
    assert article is not None and article.legal_review is False
