"""Markdown to safe HTML: the one place that knows python-markdown and nh3."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import markdown
import nh3
from babel.numbers import format_decimal

from kb.articles.policy_examples import remove_examples
from kb.policy.money import Money, format_money

PLACEHOLDER = re.compile(r"\{\{\s*policy\.([a-z_]+)\s*\}\}")
MARKDOWN_EXTENSIONS = ["toc", "tables", "fenced_code", "admonition", "sane_lists"]
ADMONITION_KINDS = {"note", "tip", "warning", "important", "danger", "info"}

# nh3 keeps its safe defaults; we add exactly what the table of contents (heading ids,
# the toc container) and admonitions (their classes) produce.
_ALLOWED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _heading in ("h1", "h2", "h3", "h4", "h5", "h6"):
    _ALLOWED_ATTRIBUTES.setdefault(_heading, set()).add("id")
_ALLOWED_CLASSES = {
    "div": {"admonition", "toc", *ADMONITION_KINDS},
    "p": {"admonition-title"},
}


@dataclass(frozen=True)
class Rendered:
    """An article body ready to show, and its text for search."""

    html: str
    text: str
    headings: tuple[str, ...]


def fill_placeholders(source: str, values: dict[str, Any], lang: str) -> str:
    """Replace ``{{ policy.name }}`` with the policy's value, formatted for ``lang``."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)  # left visible so that a test and the writer notice
        return format_policy_value(values[name], lang)

    return PLACEHOLDER.sub(replace, source)


def unknown_placeholders(source: str, values: dict[str, Any]) -> set[str]:
    """Names of placeholders in ``source`` that the policy does not provide."""
    return {m.group(1) for m in PLACEHOLDER.finditer(source)} - set(values)


def format_policy_value(value: Any, lang: str) -> str:
    """Format a policy value as a reader of ``lang`` expects (2,500 / 2 500; €4.95 / 4,95 €)."""
    if isinstance(value, Money):
        return format_money(value.amount, value.currency, lang)
    if isinstance(value, tuple | list):
        return "\n" + "\n".join(_store_line(store) for store in value) + "\n"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return format_decimal(value, format="#,##0.00", locale=lang)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return format_decimal(value, format="#,##0", locale=lang)
    return str(value)


def _store_line(store: Any) -> str:
    return f"- **{store.name}**, {store.address}, {store.city}"


def render(source: str, lang: str, values: dict[str, Any] | None = None) -> Rendered:
    """Render an article's Markdown, with policy values filled in, to sanitized HTML.

    The ```policy example blocks are for the checker only: readers and search never see them.
    """
    filled = fill_placeholders(remove_examples(source), values or {}, lang)
    raw = markdown.markdown(filled, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    safe = sanitize(raw)
    text, headings = _text_and_headings(safe)
    return Rendered(html=safe, text=text, headings=tuple(headings))


def sanitize(html: str) -> str:
    """Strip anything that could run script, keeping toc ids and admonition classes."""
    return nh3.clean(
        html,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        link_rel="noopener noreferrer",
    )


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False
        self._heading: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "h3", "h4"):
            self._in_heading = True
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "h3", "h4") and self._in_heading:
            self._in_heading = False
            self.headings.append("".join(self._heading).strip())
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._in_heading:
            self._heading.append(data)


def _text_and_headings(html: str) -> tuple[str, list[str]]:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = re.sub(r"\s+", " ", "".join(parser.parts)).strip()
    return text, parser.headings


def plain_text(html: str) -> str:
    """The visible text of a piece of HTML, whitespace folded."""
    return _text_and_headings(html)[0]
