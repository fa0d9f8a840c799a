"""The real articles: valid, complete in both languages, linked, and true to the policy."""

from __future__ import annotations

import re
from pathlib import Path

import frontmatter
import pytest
import yaml

from kb.articles.files import find_article_files, parse_article, serialize_article
from kb.articles.rendering import PLACEHOLDER, fill_placeholders, render, unknown_placeholders
from kb.policy import load_policy
from kb.shop import article_placeholders

ROOT = Path(__file__).resolve().parents[2] / "articles"
KEYS = {
    "item-condition", "return-from-abroad", "promotions-and-price-drops", "pre-orders",
    "legal-rights",
    "return-window", "start-a-return", "return-shipping-label", "return-in-store",
    "return-without-receipt", "exchange", "refund-timing", "refund-methods",
    "return-shipping-costs", "damaged-or-defective", "wrong-item", "item-not-received",
    "non-returnable-items", "repair-warranty", "marketplace-guarantee", "gift-returns",
    "partial-refund", "track-return", "cancel-order", "size-guide", "contact-support",
    "returns-policy", "delivery-charge-refund", "send-back-deadline", "item-missing-from-parcel",
    "return-parcel-lost", "store-credit", "frequent-returns-review",
}
FILES = find_article_files(ROOT)
VALUES = article_placeholders(load_policy())
LINK = re.compile(r"\]\((/[^)\s#]*)(#[^)\s]*)?\)")
# Policy examples are for the checker, not for readers: they do not count as prose.
POLICY_BLOCK = re.compile(r"^```policy\n.*?^```\n?", re.S | re.M)


def _all() -> list:
    return [parse_article(p.read_text(encoding="utf-8"), p) for p in FILES]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_file_parses_and_lives_where_its_front_matter_says(path: Path) -> None:
    article = parse_article(path.read_text(encoding="utf-8"), path)
    assert path.parent.name == article.lang
    assert path.stem == article.slug
    assert article.status == "published"
    assert 20 <= len(article.summary) <= 160


def test_every_topic_exists_in_english_and_french() -> None:
    articles = _all()
    for lang in ("en", "fr"):
        keys = {a.key for a in articles if a.lang == lang}
        assert keys == KEYS, f"{lang}: missing {KEYS - keys}, extra {keys - KEYS}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_body_length_is_between_150_and_600_words(path: Path) -> None:
    article = parse_article(path.read_text(encoding="utf-8"), path)
    words = len(render(POLICY_BLOCK.sub("", article.body), article.lang, VALUES).text.split())
    assert 150 <= words <= 600, words


def test_internal_links_point_to_existing_pages() -> None:
    articles = _all()
    slugs = {(a.lang, a.slug) for a in articles}
    pages = {
        f"/{lang}/{page}" for lang in ("en", "fr") for page in ("returns", "returns/start", "contact")
    }
    broken = []
    for article in articles:
        for target, _anchor in LINK.findall(article.body):
            match = re.fullmatch(r"/(en|fr)/articles/([a-z0-9-]+)", target)
            if match:
                if (match.group(1), match.group(2)) not in slugs:
                    broken.append((article.lang, article.slug, target))
                elif match.group(1) != article.lang:
                    broken.append((article.lang, article.slug, f"{target} (other language)"))
            elif target not in pages:
                broken.append((article.lang, article.slug, target))
    assert not broken


def test_articles_are_cross_linked() -> None:
    for article in _all():
        assert len(LINK.findall(article.body)) >= 2, f"{article.lang}/{article.slug}"


def test_placeholders_name_only_policy_values() -> None:
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        assert not unknown_placeholders(text, VALUES), path


def test_no_placeholder_is_left_unfilled_on_the_page() -> None:
    # A name the placeholder pattern cannot read (a digit, a capital) would show up as is.
    for article in _all():
        text = render(article.body, article.lang, VALUES).text
        summary = fill_placeholders(article.summary, VALUES, article.lang)
        assert "{{" not in text + summary, f"{article.lang}/{article.slug}"


def test_policy_numbers_are_placeholders_not_typed_by_hand() -> None:
    # The fee and the caps are the numbers most likely to drift from the policy file.
    typed = re.compile(r"4[.,]95|2[ ,.\u202f\u00a0]?500\b|\b75 ?(?:€|EUR|£|GBP|\$|USD)")
    for path in FILES:
        body = frontmatter.loads(path.read_text(encoding="utf-8")).content
        assert not typed.search(PLACEHOLDER.sub("", body)), path


def test_files_are_in_canonical_form_so_export_round_trips() -> None:
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        assert serialize_article(parse_article(text, path)) == text, path


def _prose(path: Path) -> str:
    """An article's summary and body, without its policy examples."""
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    return f"{post.get('summary', '')}\n{POLICY_BLOCK.sub('', post.content)}"


def test_every_summary_states_its_figure() -> None:
    # The returns hub shows summaries as its FAQ answers: each must carry its number.
    for article in _all():
        assert PLACEHOLDER.search(article.summary) or re.search(r"\d", article.summary), (
            f"{article.lang}/{article.slug}"
        )


def test_threshold_store_count_and_hours_are_not_typed_by_hand() -> None:
    typed = re.compile(
        r"\b100\b(?!\s?%)|\b(?:four|quatre) (?:shops|stores|boutiques|magasins)\b"
        r"|\b\d+ (?:hours|heures)\b",
        re.IGNORECASE,
    )
    for path in FILES:
        found = typed.search(PLACEHOLDER.sub("", _prose(path)))
        assert not found, f"{path.parent.name}/{path.name}: {found.group(0) if found else ''}"


def _shoe_rows(lang: str, slug: str) -> list[tuple[str, ...]]:
    """The shoe table's rows (the only table with five columns), decimal commas as points."""
    body = frontmatter.loads((ROOT / lang / f"{slug}.md").read_text(encoding="utf-8")).content
    rows = [line.strip("|").split("|") for line in body.splitlines() if re.match(r"\| \d", line)]
    return [tuple(cell.strip().replace(",", ".") for cell in row) for row in rows if len(row) == 5]


def test_shoe_size_tables_are_the_same_in_english_and_french() -> None:
    english, french = _shoe_rows("en", "size-guide"), _shoe_rows("fr", "guide-des-tailles")
    assert len(english) >= 10
    assert english == french


def _examples(path: Path) -> list[dict]:
    """The cases of an article's policy blocks, without their (translated) descriptions."""
    blocks = POLICY_BLOCK.findall(path.read_text(encoding="utf-8"))
    cases = [case for block in blocks for case in yaml.safe_load(block.strip().strip("`")[6:]) or []]
    return [{k: v for k, v in case.items() if k != "case"} for case in cases]


def test_english_and_french_state_the_same_policy_examples() -> None:
    by_key: dict[str, dict[str, list[dict]]] = {}
    for path in FILES:
        article = parse_article(path.read_text(encoding="utf-8"), path)
        by_key.setdefault(article.key, {})[article.lang] = _examples(path)
    for key, langs in by_key.items():
        assert langs["en"], f"{key}: no policy examples"
        assert langs["en"] == langs["fr"], key


# A FAQ is the "## Questions" (English) or "## Questions fréquentes" (French) section of an
# article: each question is a line in bold of its own, followed by its answer.
FAQ_HEADING = {"en": "Questions", "fr": "Questions fréquentes"}
SUBHEADING = re.compile(r"^#{3,6} .+$", re.M)
QUESTION_LINE = re.compile(r"^\*\*[^*\n].*\*\*$", re.M)


def _sections(path: Path) -> tuple[str, str, list[tuple[str, str]]]:
    """An article's key, language and ``##`` sections as (heading, text), without policy blocks."""
    article = parse_article(path.read_text(encoding="utf-8"), path)
    parts = re.split(r"^## (.+)$", POLICY_BLOCK.sub("", article.body), flags=re.M)
    return article.key, article.lang, [("", parts[0]), *zip(parts[1::2], parts[2::2], strict=True)]


def test_faq_questions_are_bold_lines_of_the_faq_section_only() -> None:
    # The count below sees only this format: a question written as a heading, or under
    # another section's title, would slip past it.
    misplaced = []
    for path in FILES:
        _key, lang, sections = _sections(path)
        for heading, text in sections:
            if heading == FAQ_HEADING[lang]:
                misplaced += [(path.name, line) for line in SUBHEADING.findall(text)]
            else:
                misplaced += [(path.name, line) for line in QUESTION_LINE.findall(text)]
    assert not misplaced


def test_english_and_french_faqs_ask_as_many_questions() -> None:
    questions: dict[str, dict[str, list[str]]] = {}
    for path in FILES:
        key, lang, sections = _sections(path)
        questions.setdefault(key, {})[lang] = [
            question
            for heading, text in sections
            if heading == FAQ_HEADING[lang]
            for question in QUESTION_LINE.findall(text)
        ]
    different = {
        key: (len(langs["en"]), len(langs["fr"]))
        for key, langs in sorted(questions.items())
        if {"en", "fr"} <= langs.keys() and len(langs["en"]) != len(langs["fr"])
    }
    assert not different, f"FAQ questions (en, fr) differ: {different}"
