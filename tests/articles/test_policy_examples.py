"""Policy examples: read with the line at fault, hidden from readers, run against the engine."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent, indent

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from kb.articles.example_checks import EXAMPLES_TODAY, check_text
from kb.articles.files import ArticleFileError, parse_article
from kb.articles.policy_examples import ExampleError, find_blocks, parse_examples, remove_examples
from kb.articles.rendering import render
from kb.policy import load_policy

POLICY = load_policy()
HEAD = "---\nkey: return-window\nlang: en\nslug: return-window\ntitle: Return window\n"
HEAD += "category: returning\ntags: []\nstatus: published\nsummary: How long you have.\n---\n"
HEAD_LINES = HEAD.count("\n")

CHANGE_OF_MIND = """\
- case: A change of mind sent from a drop-off point pays the return fee
  order: {channel: online, days_since_delivery: 10}
  item: {category: clothing, price: "40.00"}
  reason: changed_mind
  method: dropoff
  expect:
    eligible: true
    fee: "{{ policy.return_fee }}"
    refund_total: "35.05"
"""


def block(cases: str) -> str:
    """A ```policy fenced block around YAML cases."""
    return f"```policy\n{cases.rstrip()}\n```\n"


def article(cases: str, text: str = "You have 30 days.\n\n") -> str:
    """An article file whose body ends with one policy block."""
    return HEAD + text + block(cases)


def case(expect: str, facts: str = "reason: changed_mind") -> str:
    """One case with the given facts and expect lines."""
    facts_lines = indent(dedent(facts).strip(), "  ")
    return f"- case: a case\n{facts_lines}\n  expect:\n{indent(dedent(expect).strip(), '    ')}\n"


def failures_of(text: str) -> list[str]:
    return [failure.describe("x.md") for failure in check_text(text, POLICY).failures]


# ---- reading ------------------------------------------------------------------------------


def test_the_lead_s_example_holds_against_the_policy() -> None:
    result = check_text(article(CHANGE_OF_MIND), POLICY)
    assert (result.examples, result.failures) == (1, ())


def test_blocks_are_found_with_the_line_their_yaml_starts_on() -> None:
    text = "Intro\n\n```python\nx = 1\n```\n\n" + block(CHANGE_OF_MIND) + "\n~~~~ policy\n- case: b\n~~~~\n"
    blocks = find_blocks(text)
    assert [b.first_line for b in blocks] == [8, 20]
    assert blocks[1].source == "- case: b"


@pytest.mark.parametrize(
    ("cases", "line", "message"),
    [
        (case("eligible: true", "reason: changed_mind\ncolour: red"), 3, "unknown key 'colour' in a case"),
        (case("eligible: true", "reason: changed_mind\norder: {chanel: store}"), 3, "unknown key 'chanel'"),
        (case("eligibel: true"), 4, "unknown key 'eligibel' in 'expect'"),
        (case("eligible: true", "reason: changed_my_mind"), 2, "'reason' must be one of changed_mind"),
        (case("not_eligible: too_late"), 4, "'not_eligible' must be one of final_sale"),
        (case("resolutions: [refund, cash]"), 4, "'resolutions' must be one of refund"),
        (case("fee: 4.95"), 4, "'fee' must be quoted"),
        (case("fee: \"4.955\""), 4, "'fee' is not an amount of money"),
        (case("fee: \"-1\""), 4, "'fee' is not an amount of money"),
        (case("eligible: true", "reason: changed_mind\nitem: {price: \"12,50\"}"), 3, "'item.price' is not an amount"),
        (case("fee: \"{{ policy.returns_fee }}\""), 4, "unknown placeholder"),
        (case("eligible: yes please"), 4, "'eligible' must be true or false"),
        (case("last_day: -1"), 4, "'last_day' must be a whole number"),
        (case("eligible: true", "reason: changed_mind\norder: {channel: store, days_since_delivery: 3}"), 1,
         "a store purchase is delivered over the counter"),
        (case("eligible: true", "condition: used"), 1, "each case needs a 'reason'"),
        ("- case: a\n  reason: changed_mind\n", 1, "each case needs an 'expect' mapping"),
        ("- reason: changed_mind\n  expect: {eligible: true}\n", 1, "each case needs a 'case' line"),
        ("case: not a list\n", 1, "a policy block holds a list of cases"),
        ("- case: a\n  reason: [changed_mind\n  expect: {}\n", 3, "not valid YAML"),
    ],
)
def test_a_bad_block_is_refused_with_the_line_at_fault(cases: str, line: int, message: str) -> None:
    with pytest.raises(ExampleError) as caught:
        parse_examples(block(cases))
    assert caught.value.line == 1 + line, caught.value.message
    assert message in caught.value.message


def test_importing_a_file_with_a_bad_block_names_the_file_and_its_line() -> None:
    text = article(case("fee: 4.95"))
    with pytest.raises(ArticleFileError) as caught:
        parse_article(text, "en/return-window.md")
    expected_line = HEAD_LINES + 2 + 1 + 4  # text, fence, then the fee line of the case
    assert caught.value.line == expected_line
    assert str(caught.value).startswith(f"en/return-window.md:{expected_line}: 'fee' must be quoted")


def test_an_article_without_examples_has_nothing_to_check() -> None:
    result = check_text(HEAD + "Just text.\n", POLICY)
    assert (result.examples, result.ok) == (0, True)


# ---- hidden from readers and search -------------------------------------------------------------


def test_blocks_are_removed_before_rendering_and_from_the_search_text() -> None:
    body = "You have 30 days.\n\n" + block(CHANGE_OF_MIND) + "\nAfter the block.\n"
    rendered = render(body, "en", {"return_fee": POLICY.return_fee})
    assert "changed_mind" not in rendered.html and "<code" not in rendered.html
    assert "refund_total" not in rendered.text and "drop-off point" not in rendered.text
    assert rendered.text == "You have 30 days. After the block."
    assert remove_examples("a\n```python\npolicy\n```\n") == "a\n```python\npolicy\n```\n"


# ---- each expectation can fail ------------------------------------------------------------------

# (facts, expectation key, what the engine answers, a wrong value)
EXPECTATIONS = [
    ("reason: changed_mind", "eligible", "true", "false"),
    ("reason: changed_mind\norder: {days_since_delivery: 31}", "not_eligible", "window_expired", "final_sale"),
    ("reason: changed_mind\nitem: {final_sale: true}", "not_eligible", "final_sale", "window_expired"),
    ("reason: changed_mind\nitem: {category: hygiene}", "not_eligible", "not_returnable_category", "final_sale"),
    ("reason: changed_mind", "resolutions", "[refund, store_credit, exchange]", "[refund, store_credit]"),
    ("reason: changed_mind", "resolutions_include", "[exchange]", "[repair]"),
    ("reason: changed_mind", "resolutions_exclude", "[repair]", "[exchange]"),
    ("reason: changed_mind", "methods", "[carrier, store, dropoff]", "[carrier, dropoff]"),
    ("reason: changed_mind\norder: {channel: marketplace}", "methods_include", "[dropoff]", "[store]"),
    ("reason: changed_mind\norder: {channel: marketplace}", "methods_exclude", "[store]", "[carrier]"),
    ("reason: changed_mind", "fee", '"{{ policy.return_fee }}"', '"0"'),
    ("reason: changed_mind\nmethod: store", "fee", '"0"', '"{{ policy.return_fee }}"'),
    ("reason: changed_mind\ncondition: used\nitem: {price: \"40.00\"}", "deduction", '"20.00"', '"0"'),
    ("reason: changed_mind\nitem: {price: \"40.00\"}", "refund_total", '"35.05"', '"40.00"'),
    ("reason: defective\norder: {shipping: \"5.00\"}", "shipping_refunded", '"5.00"', '"0"'),
    ("reason: defective\norder: {shipping: \"5.00\", other_items_total: \"10\"}", "shipping_refunded", '"0"',
     '"5.00"'),
    ("reason: defective", "seller_fault", "true", "false"),
    ("reason: defective", "free_return_shipping", "true", "false"),
    ("reason: changed_mind\nshopper: {returns_last_12_months: 6}", "needs_review", "true", "false"),
    ("reason: changed_mind\nshopper: {returns_last_12_months: 6}", "review_reasons", "[frequent_returner]", "[]"),
    ("reason: changed_mind\nshopper: {receiptless: true}\nitem: {price: \"150\"}", "review_reasons",
     "[receiptless_over_limit]", "[]"),
    ("reason: not_received\norder: {delivered: false, days_since_purchase: 12}", "review_reasons",
     "[not_received]", "[carrier_says_delivered]"),
    ("reason: changed_mind", "last_day", '"{{ policy.window_days }}"', "31"),
    ("reason: changed_mind\nitem: {category: electronics}", "last_day", '"{{ policy.electronics_window_days }}"',
     '"{{ policy.window_days }}"'),
    ("reason: changed_mind\norder: {channel: store, days_since_purchase: 3}", "last_day", "30", "33"),
    ("reason: not_received\norder: {delivered: false, days_since_purchase: 2}", "last_day", "10", "12"),
    ("reason: changed_mind\nitem: {price: \"100\"}", "goodwill_cap", '"15.00"', '"{{ policy.goodwill_cap }}"'),
    ("reason: changed_mind\nitem: {price: \"1000\"}", "goodwill_cap", '"{{ policy.goodwill_cap }}"', '"150.00"'),
    ("reason: defective\norder: {channel: marketplace}", "guarantee_cap", '"{{ policy.guarantee_cap }}"', '"75"'),
]


@pytest.mark.parametrize(("facts", "key", "right", "wrong"), EXPECTATIONS, ids=lambda v: str(v)[:30])
def test_each_expectation_holds_when_right_and_fails_when_wrong(facts: str, key: str, right: str, wrong: str) -> None:
    assert failures_of(block(case(f"{key}: {right}", facts))) == []
    failures = failures_of(block(case(f"{key}: {wrong}", facts)))
    assert len(failures) == 1 and failures[0].startswith("x.md:"), failures
    assert f"expected {key.split('_')[0] if key.endswith(('_include', '_exclude')) else key}" in failures[0]


def test_a_failure_says_where_what_was_expected_and_what_came() -> None:
    text = article(case("fee: \"0\"", "reason: changed_mind\nmethod: dropoff"))
    line = HEAD_LINES + 2 + 1 + 5
    assert failures_of(text) == [f"x.md:{line}  a case — expected fee 0.00 EUR, got fee 4.95 EUR"]


def test_the_day_after_the_window_is_written_with_a_placeholder_plus_one() -> None:
    facts = 'reason: changed_mind\norder: {days_since_delivery: "{{ policy.window_days + 1 }}"}'
    assert failures_of(block(case("not_eligible: window_expired", facts))) == []
    facts = 'reason: changed_mind\norder: {days_since_delivery: "{{ policy.window_days }}"}'
    assert failures_of(block(case("eligible: true", facts))) == []


def test_money_from_a_refused_return_is_a_failure_not_a_crash() -> None:
    facts = "reason: changed_mind\norder: {days_since_delivery: 40}"
    assert failures_of(block(case('refund_total: "45.05"', facts))) == [
        "x.md:6  a case — expected refund_total 45.05 EUR, got refund_total not eligible"
    ]


def test_a_resolution_the_engine_does_not_offer_fails_the_amounts() -> None:
    facts = "reason: changed_mind\nresolution: repair"
    (failure,) = failures_of(block(case('refund_total: "0"', facts)))
    assert failure.endswith("got refund_total repair not offered")


def test_a_placeholder_that_is_not_a_number_fails_the_case() -> None:
    facts = 'reason: changed_mind\norder: {days_since_delivery: "{{ policy.stores }}"}'
    (failure,) = failures_of(block(case("eligible: true", facts)))
    assert "is not a number" in failure


def test_the_facts_are_judged_on_a_fixed_day_far_from_a_clock_change() -> None:
    assert EXAMPLES_TODAY.month == 6


# ---- kb articles check -------------------------------------------------------------------------


def write_articles(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_check_passes_and_counts_examples_and_articles(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    root = write_articles(tmp_path / "articles", {"en/return-window.md": article(CHANGE_OF_MIND * 2)})
    result = runner.invoke(args=["articles", "check", "--path", str(root)])
    assert result.exit_code == 0, result.output
    assert "2 examples in 1 articles: 0 failed" in result.output


def test_check_lists_each_failure_and_exits_1(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    wrong = CHANGE_OF_MIND.replace('"35.05"', '"40.00"')
    root = write_articles(
        tmp_path / "articles",
        {"en/return-window.md": article(wrong), "fr/delai.md": article(CHANGE_OF_MIND).replace("lang: en", "lang: fr")},
    )
    result = runner.invoke(args=["articles", "check", "--path", str(root)])
    assert result.exit_code == 1, result.output
    line = HEAD_LINES + 2 + 1 + 9
    assert (
        f"en/return-window.md:{line}  A change of mind sent from a drop-off point pays the return fee "
        "— expected refund_total 40.00 EUR, got refund_total 35.05 EUR"
    ) in result.output
    assert "2 examples in 2 articles: 1 failed" in result.output


def test_check_reports_a_bad_block_as_a_failure(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    root = write_articles(tmp_path / "articles", {"en/return-window.md": article(case("fee: 4.95"))})
    result = runner.invoke(args=["articles", "check", "--path", str(root)])
    assert result.exit_code == 1
    assert f"en/return-window.md:{HEAD_LINES + 7}  article file — expected a valid article" in result.output
    assert "'fee' must be quoted" in result.output


def test_check_refuses_a_folder_that_does_not_exist(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["articles", "check", "--path", str(tmp_path / "nowhere")])
    assert result.exit_code != 0 and "is not a folder" in result.output


def test_import_refuses_a_file_whose_block_is_bad_naming_file_and_line(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    root = write_articles(tmp_path / "articles", {"en/return-window.md": article(case("fee: 4.95"))})
    result = runner.invoke(args=["articles", "import", str(root)])
    assert result.exit_code == 1
    assert f"error: en/return-window.md:{HEAD_LINES + 7}: 'fee' must be quoted" in result.output
