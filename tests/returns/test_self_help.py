"""Self-help chosen from the decision: the writers' file, its checks, and what the assistant offers."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.policy import CHANGE_OF_MIND_REASONS, Answer, Reason
from kb.returns.selfhelp import (
    FILE_NAME,
    SelfHelpError,
    article_keys_in,
    excluded_keys,
    load_self_help,
    merged_keys,
    parse_self_help,
)
from tests.conftest import ARTICLES
from tests.returns.helpers import item, lookup, options

SHIPPED = load_self_help(ARTICLES)
LANGUAGES_OF = article_keys_in(ARTICLES)
KNOWN = set(LANGUAGES_OF)


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """A client of an app with the real articles and the demo orders."""
    return content_app.test_client()


# -- the shipped file, for every answer and reason ------------------------------------------------

@pytest.mark.parametrize("reason", list(Reason))
@pytest.mark.parametrize("answer", list(Answer))
def test_every_answer_and_reason_offers_an_article_in_both_languages(answer: Answer, reason: Reason) -> None:
    keys, _fit = SHIPPED.articles_for(answer, reason)
    assert keys, (answer, reason)
    assert all(LANGUAGES_OF[key] == {"en", "fr"} for key in keys), (answer, reason, keys)


@pytest.mark.parametrize("answer", list(Answer))
def test_every_answer_has_its_own_list_rather_than_the_default(answer: Answer) -> None:
    assert SHIPPED.articles_for(answer, "no-such-reason")[0] != SHIPPED.default


@pytest.mark.parametrize("reason", sorted(CHANGE_OF_MIND_REASONS))
@pytest.mark.parametrize("answer", [Answer.FINAL_SALE, Answer.NOT_RETURNABLE])
def test_a_refused_change_of_mind_offers_which_items_cannot_be_returned_first(answer: Answer, reason: Reason) -> None:
    assert SHIPPED.articles_for(answer, reason)[0][0] == "non-returnable-items"


@pytest.mark.parametrize("reason", list(Reason))
@pytest.mark.parametrize("answer", [a for a in Answer if a is not Answer.GUARANTEE_CLAIM])
def test_only_a_guarantee_claim_offers_the_marketplace_guarantee(answer: Answer, reason: Reason) -> None:
    # Every answer but guarantee_claim is given to our own orders too (in transit: track_parcel).
    assert "marketplace-guarantee" not in SHIPPED.articles_for(answer, reason)[0]


# -- the file's checks -------------------------------------------------------------------------

GOOD = '''# a comment
default = ["start-a-return"]

[final_sale]
any = ["non-returnable-items"]
never = ["marketplace-guarantee"]
changed_mind = [
  "non-returnable-items",
  "return-window",
]
'''


def test_a_valid_file_falls_back_from_the_reason_to_the_answer_to_the_default() -> None:
    mapping = parse_self_help(GOOD, KNOWN)
    assert mapping.articles_for("final_sale", "changed_mind")[0] == ("non-returnable-items", "return-window")
    assert mapping.articles_for("final_sale", "wrong_size")[0] == ("non-returnable-items",)
    assert mapping.articles_for("refund_full", "changed_mind")[0] == ("start-a-return",)
    assert mapping.never == {"final_sale": ("marketplace-guarantee",)}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace('"return-window",', '"no-such-article",'), 9, "unknown article key 'no-such-article'"),
        (GOOD.replace('["marketplace-guarantee"]', '["guarantee"]'), 6, "unknown article key 'guarantee'"),
        (GOOD.replace('["marketplace-guarantee"]', '["return-window"]'), 6, "both offers and never offers"),
        (GOOD.replace("[final_sale]", "[final_sales]"), 4, "unknown answer 'final_sales'"),
        (GOOD.replace("changed_mind =", "bored ="), 7, "unknown reason 'bored'"),
        (GOOD.replace('default = ["start-a-return"]', 'default = ["nope"]'), 2, "unknown article key 'nope'"),
        (GOOD.replace('any = ["non-returnable-items"]', 'any = "non-returnable-items"'), 5, "must be a list"),
        (GOOD.replace('default = ["start-a-return"]', ""), 1, 'needs a "default"'),
        (GOOD.replace("[final_sale]", "[final_sale"), 4, ""),
    ],
    ids=["article", "never-article", "never-offered", "answer", "reason", "default-article", "not-a-list",
         "no-default", "syntax"],
)
def test_a_mistake_in_the_file_names_the_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(SelfHelpError) as caught:
        parse_self_help(text, KNOWN, "articles/self-help.toml")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"articles/self-help.toml:{line}: ")
    assert words in str(caught.value)


def test_loading_checks_keys_against_the_articles_folder(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    shutil.copy(ARTICLES / "en" / "start-a-return.md", tmp_path / "en")
    (tmp_path / FILE_NAME).write_text('default = ["start-a-return"]\n[final_sale]\nany = ["return-window"]\n')
    with pytest.raises(SelfHelpError, match=r"self-help.toml:3: unknown article key 'return-window'"):
        load_self_help(tmp_path)
    assert load_self_help(tmp_path, ["return-window"]).articles_for("final_sale", "other")[0] == ("return-window",)


# -- merging several lines --------------------------------------------------------------------------

class _Decision:
    def __init__(self, answer: Answer, eligible: bool) -> None:
        self.answer, self.eligible = answer, eligible


def test_several_lines_merge_first_articles_first_refused_lines_first_each_once() -> None:
    lines = [(_Decision(Answer.REFUND_FULL, True), "changed_mind"),
             (_Decision(Answer.FINAL_SALE, False), "changed_mind"),
             (_Decision(Answer.NOT_RETURNABLE, False), "changed_mind")]
    keys = merged_keys(SHIPPED, lines)  # type: ignore[arg-type]
    assert keys[:2] == ["non-returnable-items", "return-shipping-costs"]
    assert len(keys) == len(set(keys))
    assert set(keys) == {"non-returnable-items", "damaged-or-defective", "return-shipping-costs",
                         "return-shipping-label", "refund-timing"}


def test_an_article_one_line_never_gets_is_still_offered_when_another_line_lists_it() -> None:
    in_transit = (_Decision(Answer.TRACK_PARCEL, False), "not_received")
    claim = (_Decision(Answer.GUARANTEE_CLAIM, True), "not_received")
    assert excluded_keys(SHIPPED, [in_transit]) == {"marketplace-guarantee"}  # type: ignore[list-item]
    assert excluded_keys(SHIPPED, [in_transit, claim]) == set()  # type: ignore[list-item]


# -- what the assistant offers -----------------------------------------------------------------------

def _keys(result: dict[str, Any]) -> list[str]:
    return [article["key"] for article in result["articles"]]


def test_a_final_sale_next_to_a_returnable_item_offers_non_returnable_items_first(shop: FlaskClient) -> None:
    session = lookup(shop, "A1003")
    result = options(shop, session, [item("SNEAK-42-WHITE"), item("DRESS-38-GREEN")])
    assert _keys(result)[0] == "non-returnable-items"


@pytest.mark.parametrize("sku", ["GIFT-50", "EARRINGS-SILVER"])
def test_a_gift_card_or_hygiene_change_of_mind_offers_non_returnable_items_first(shop: FlaskClient, sku: str) -> None:
    result = options(shop, lookup(shop, "A1014"), [item(sku)])
    assert result["items"][0]["answer_code"] == "not_returnable"
    assert _keys(result)[0] == "non-returnable-items"


@pytest.mark.parametrize("reason", ["not_received", "changed_mind", "defective"])
def test_an_own_order_in_transit_never_offers_the_marketplace_guarantee(shop: FlaskClient, reason: str) -> None:
    result = options(shop, lookup(shop, "A1012"), [item("SNEAK-42-WHITE", reason=reason)])
    assert result["items"][0]["answer_code"] == "track_parcel"
    assert _keys(result) and "marketplace-guarantee" not in _keys(result)


def test_an_own_order_in_transit_keeps_the_guarantee_out_even_when_the_note_matches_it(shop: FlaskClient) -> None:
    note = "marketplace guarantee seller"
    elsewhere = options(shop, lookup(shop), [item("TEE-M-BLUE", reason="wrong_size")], note=note)
    assert "marketplace-guarantee" in _keys(elsewhere)  # the note alone finds it
    result = options(shop, lookup(shop, "A1012"), [item("SNEAK-42-WHITE", reason="not_received")], note=note)
    assert "marketplace-guarantee" not in _keys(result)


def test_a_marketplace_parcel_never_delivered_offers_the_guarantee_first(shop: FlaskClient) -> None:
    result = options(shop, lookup(shop, "A1008"), [item("MKT-ARMCHAIR", reason="not_received")])
    assert _keys(result)[0] == "marketplace-guarantee"


def test_the_notes_matches_come_after_the_decisions_articles(shop: FlaskClient) -> None:
    result = options(shop, lookup(shop), [item("TEE-M-BLUE", reason="wrong_size")], note="store credit voucher")
    assert _keys(result)[:3] == ["exchange", "size-guide", "return-shipping-label"]
    assert len(_keys(result)) == 4


def test_writers_change_the_offer_by_editing_the_file(shop: FlaskClient, content_app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder)
    text = (folder / FILE_NAME).read_text().replace(
        'any = ["exchange", "size-guide", "return-shipping-label"]', 'any = ["refund-methods"]')
    (folder / FILE_NAME).write_text(text)
    content_app.config["ARTICLES_DIR"] = str(folder)
    result = options(shop, lookup(shop), [item("TEE-M-BLUE", reason="wrong_size")])
    assert _keys(result) == ["refund-methods"]


def test_a_broken_file_is_logged_and_the_assistant_keeps_working(
    shop: FlaskClient, content_app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder)
    (folder / FILE_NAME).write_text('default = ["no-such-article"]\n')
    content_app.config["ARTICLES_DIR"] = str(folder)
    with caplog.at_level(logging.ERROR, logger="kb.returns.selfhelp"):
        response = shop.post("/api/v1/returns/options",
                             json={"session": lookup(shop), "items": [item("TEE-M-BLUE")]})
    assert response.status_code == 200
    assert "self-help.toml:1: unknown article key 'no-such-article'" in caplog.text


# -- the refusal is said once -------------------------------------------------------------------------

def test_the_help_page_says_a_refusal_once(shop: FlaskClient) -> None:
    shop.post("/en/returns/start", data={"mode": "number", "order_number": "A1003", "email": "ana@example.com"})
    shop.post("/en/returns/items", data={"pick-DRESS-38-GREEN": "1", "qty-DRESS-38-GREEN": "1",
                                         "reason-DRESS-38-GREEN": "changed_mind",
                                         "condition-DRESS-38-GREEN": "unopened"})
    page = shop.get("/en/returns/help").get_data(as_text=True)
    assert page.count("cannot be returned for a change of mind") == 1
    assert "/en/returns/read/non-returnable-items" in page
