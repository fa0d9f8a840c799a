"""The shop's own words for categories: ``[catalogue_mapping]`` rules, first match wins."""

from __future__ import annotations

import pytest

from kb.policy import PolicyError, load_policy
from kb.policy.mapping import DEFAULT_CATEGORY, MappingRule, resolve
from kb.policy.policy_file import parse_policy
from tests.policy.test_policy_file import DEFAULT_TEXT

RULES = (
    MappingRule("product_type", "Headphones", "electronics"),
    MappingRule("tag", "clearance", "apparel", final_sale=True),
    MappingRule("vendor", "Acme Foods", "perishable"),
    MappingRule("sku_prefix", "EL-", "electronics"),
    MappingRule("sku_prefix", "EL-GC", "gift_card"),  # never reached: EL- comes first
)


@pytest.mark.parametrize(("kwargs", "category", "final_sale"), [
    ({"sku": "X1", "product_type": " headphones "}, "electronics", None),
    ({"sku": "X1", "tags": ["New", "Clearance"]}, "apparel", True),
    ({"sku": "X1", "vendor": "ACME FOODS"}, "perishable", None),
    ({"sku": "el-gc-50"}, "electronics", None),
    ({"sku": "X1", "product_type": "Sofa", "tags": ["sale"], "vendor": "Other"}, DEFAULT_CATEGORY, None),
])
def test_each_kind_of_rule_and_the_first_match_wins(kwargs: dict, category: str,
                                                    final_sale: bool | None) -> None:
    found = resolve(RULES, **kwargs)
    assert (found.category, found.final_sale) == (category, final_sale)
    assert found.mapped is (category != DEFAULT_CATEGORY)


def test_the_default_file_maps_sku_prefixes_and_gift_cards() -> None:
    rules = load_policy().catalogue_mapping
    assert resolve(rules, "EL-TV-55").category == "electronics"
    gift = resolve(rules, "GC-50", product_type="Gift card")
    assert (gift.category, gift.final_sale) == ("gift_card", True)


def with_rules(rules: str) -> bytes:
    start = DEFAULT_TEXT.index("[catalogue_mapping]")
    return (DEFAULT_TEXT[:start] + "[catalogue_mapping]\nrules = [\n" + rules + "\n]\n").encode()


@pytest.mark.parametrize(("rule", "key", "words"), [
    ('{ match = "colour", value = "red", category = "apparel" }', "rules[0].match", "must be one of"),
    ('{ match = "tag", value = "  ", category = "apparel" }', "rules[0].value", "non-empty"),
    ('{ match = "tag", value = "x", category = "furniture" }', "rules[0].category", "not a category"),
    ('{ match = "tag", value = "x", category = "general", final_sale = "yes" }',
     "rules[0].final_sale", "true or false"),
    ('{ match = "tag", value = "x", category = "general", colour = 1 }', "rules[0].colour", "typo"),
])
def test_bad_rules_name_the_file_and_the_key(rule: str, key: str, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(with_rules(rule), source="shop.toml")
    message = str(caught.value)
    assert message.startswith("shop.toml")
    assert f"catalogue_mapping.{key}" in message
    assert words in message


def test_a_file_without_the_section_has_no_rules() -> None:
    start = DEFAULT_TEXT.index("# The shop's own words")
    assert parse_policy(DEFAULT_TEXT[:start].encode()).catalogue_mapping == ()


def test_the_default_file_lists_the_categories_the_articles_name() -> None:
    categories = load_policy().categories
    assert {"clothing", "shoes", "homeware", "electronics", "appliances", "gift_card", "perishable",
            "personalized", "hygiene", DEFAULT_CATEGORY} == categories


def with_categories(names: str) -> bytes:
    start = DEFAULT_TEXT.index("categories = [")
    end = DEFAULT_TEXT.index("]", start) + 1
    return (DEFAULT_TEXT[:start] + f"categories = [{names}]" + DEFAULT_TEXT[end:]).encode()


def test_a_listed_category_may_be_named_by_a_rule() -> None:
    text = with_categories('"electronics", "appliances", "gift_card", "perishable", "personalized", '
                           '"hygiene", "apparel"').decode()
    text = text.replace('value = "EL-", category = "electronics"', 'value = "TEE-", category = "apparel"')
    rules = parse_policy(text.encode()).catalogue_mapping
    assert resolve(rules, "TEE-M-BLUE").category == "apparel"


@pytest.mark.parametrize(("names", "key"), [
    # electronics is named by category_window_days, the repairable list and a rule
    ('"appliances", "gift_card", "perishable", "personalized", "hygiene"', "category_window_days.electronics"),
    ('"electronics", "gift_card", "perishable", "personalized", "hygiene"', "repairable_categories"),
    ('"electronics", "appliances", "perishable", "personalized", "hygiene"', "non_returnable_categories"),
])
def test_an_override_naming_an_unlisted_category_names_its_key(names: str, key: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(with_categories(names), source="shop.toml")
    assert caught.value.key == key
    assert "not in 'categories'" in str(caught.value)


def test_a_rule_naming_an_unlisted_category_names_its_key() -> None:
    text = with_categories('"electronics", "appliances", "gift_card", "perishable", "personalized", "hygiene"')
    text = text.replace(b'category = "electronics" }', b'category = "clothing" }')
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="shop.toml")
    assert caught.value.key == "catalogue_mapping.rules[0].category"


@pytest.mark.parametrize("names", ['', '"Bad name"', '"shoes", "SHOES"', '1'])
def test_a_bad_categories_list_is_refused(names: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(with_categories(names), source="shop.toml")
    assert caught.value.key == "categories"


def test_without_the_list_the_categories_are_those_the_file_names() -> None:
    start = DEFAULT_TEXT.index("categories = [")
    end = DEFAULT_TEXT.index("]", start) + 1
    policy = parse_policy((DEFAULT_TEXT[:start] + DEFAULT_TEXT[end:]).encode())
    assert policy.categories == {"electronics", "appliances", "gift_card", "perishable", "personalized",
                                 "hygiene", DEFAULT_CATEGORY}
    assert resolve(policy.catalogue_mapping, "EL-1").category == "electronics"
