"""The real articles' policy examples: they hold, and both languages carry the same ones."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from kb.articles.files import find_article_files, parse_article
from kb.articles.policy_examples import Example, parse_examples

ROOT = Path(__file__).resolve().parents[2] / "articles"


def examples_by_key(root: Path) -> dict[str, dict[str, list[Example]]]:
    """Each article key's examples, by language."""
    found: dict[str, dict[str, list[Example]]] = defaultdict(dict)
    for path in find_article_files(root):
        text = path.read_text(encoding="utf-8")
        article = parse_article(text, path)
        found[article.key][article.lang] = parse_examples(text)
    return found


def differences(root: Path) -> list[str]:
    """Keys whose English and French files do not carry the same examples (case text aside)."""
    problems = []
    for key, versions in sorted(examples_by_key(root).items()):
        if set(versions) != {"en", "fr"}:
            continue
        english = [example.comparable() for example in versions["en"]]
        french = [example.comparable() for example in versions["fr"]]
        if english != french:
            problems.append(f"{key}: {len(english)} examples in English, {len(french)} in French, not the same")
    return problems


def test_every_example_of_the_real_articles_holds(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["articles", "check", "--path", str(ROOT)])
    assert result.exit_code == 0, result.output


def test_english_and_french_articles_carry_the_same_examples() -> None:
    assert differences(ROOT) == []


CASE_EN = """\
- case: {text}
  order: {{days_since_delivery: {days}}}
  reason: changed_mind
  expect: {{eligible: true}}
"""


def _write(root: Path, lang: str, key: str, cases: str) -> None:
    path = root / lang / f"{key}-{lang}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    head = f"---\nkey: {key}\nlang: {lang}\nslug: {key}-{lang}\ntitle: T\ncategory: returning\n"
    path.write_text(head + f"status: published\nsummary: S\n---\nText.\n\n```policy\n{cases}```\n", "utf-8")


@pytest.mark.parametrize(("french_days", "same"), [(10, True), (11, False)])
def test_translations_may_word_the_case_differently_but_not_change_the_facts(
    tmp_path: Path, french_days: int, same: bool
) -> None:
    _write(tmp_path, "en", "window", CASE_EN.format(text="Ten days after delivery", days=10))
    _write(tmp_path, "fr", "window", CASE_EN.format(text="Dix jours après la livraison", days=french_days))
    _write(tmp_path, "en", "alone", CASE_EN.format(text="Only in English", days=3))
    assert (differences(tmp_path) == []) is same
