"""Amounts of money that articles quote from the policy show with their currency, as the reader's language writes it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.articles.files import parse_article
from kb.articles.rendering import format_policy_value, render
from kb.policy import load_policy
from kb.policy.money import Money
from kb.shop import MONEY_PLACEHOLDERS, article_placeholders
from tests.articles.test_content import FILES

NBSP = "\u00a0"
# A currency sign next to another one: an article that still writes its own sign by a placeholder.
DOUBLE_SIGN = re.compile(r"[€£$][\s\u00a0\u202f]*[€£$]|[€£$][\s\u00a0\u202f]*\(\s*[€£$]")


@pytest.mark.parametrize(("lang", "expected"), [("en", "€4.95"), ("fr", f"4,95{NBSP}€")])
def test_a_policy_amount_is_written_with_its_currency_the_readers_way(lang: str, expected: str) -> None:
    assert format_policy_value(Money(Decimal("4.95"), "EUR"), lang) == expected


def test_every_money_placeholder_carries_the_shops_currency() -> None:
    values = article_placeholders(load_policy(), "GBP")
    assert {name: values[name].currency for name in MONEY_PLACEHOLDERS} == dict.fromkeys(MONEY_PLACEHOLDERS, "GBP")
    assert format_policy_value(values["return_fee"], "en") == "£4.95"
    assert format_policy_value(values["window_days"], "en") == "30"  # numbers that are not money stay bare


@pytest.mark.parametrize(("path", "expected"), [
    ("/en/articles/return-shipping-costs", "€4.95 return shipping fee"),
    ("/fr/articles/frais-de-retour", "Des frais de 4,95&nbsp;€"),
    ("/en/articles/marketplace-guarantee", "up to €2,500.00"),
    ("/fr/articles/retour-sans-ticket", "supérieure à 100,00&nbsp;€"),
])
def test_article_pages_show_the_fee_and_caps_with_their_currency(content_client: FlaskClient, path: str,
                                                                 expected: str) -> None:
    html = content_client.get(path).get_data(as_text=True)
    assert expected in html


def test_the_shop_currency_setting_changes_the_articles_amounts(content_app: Flask) -> None:
    content_app.config["SHOP_CURRENCY"] = "GBP"
    html = content_app.test_client().get("/en/articles/return-shipping-costs").get_data(as_text=True)
    assert "£4.95 return shipping fee" in html and "€4.95" not in html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_article_writes_a_currency_sign_twice_or_a_bare_fee(lang: str) -> None:
    values = article_placeholders(load_policy())
    bare_fee = re.compile(r"(?<!€)4\.95" if lang == "en" else r"4,95(?![\s\u00a0]*€)")
    problems = []
    for path in FILES:
        article = parse_article(path.read_text(encoding="utf-8"), path)
        if article.lang != lang:
            continue
        text = render(article.body, lang, values).text
        problems += [f"{path.name}: {m.group(0)!r}" for m in DOUBLE_SIGN.finditer(text)]
        problems += [f"{path.name}: bare {m.group(0)}" for m in bare_fee.finditer(text)]
    assert problems == []
