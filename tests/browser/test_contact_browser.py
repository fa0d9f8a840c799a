"""A shopper reaches a person in a real browser (JavaScript on, CSRF on): from an article's
"No" vote to the contact form, the matching articles, and the confirmation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_accessibility import serious_violations


def test_from_a_no_vote_to_a_sent_question(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    page.goto(f"{base}/en/articles/refund-timing")
    page.click("#helpful button[value=no]")
    # The cached page holds no token: the script fetches one, sends the vote, thanks in place.
    page.wait_for_selector("#helpful .helpful-thanks")
    assert "Sorry this did not help." in page.inner_text("#helpful")
    assert page.url == f"{base}/en/articles/refund-timing"
    page.click("#helpful a[href='/en/contact']")
    page.wait_for_url(f"{base}/en/contact")
    page.click("main button[type=submit]")  # nothing typed: the errors say what is missing
    assert "Please write your question." in page.inner_text("main")
    page.fill("#message", "How long does a refund take to reach my card?")
    page.fill("#email", "ana@example.com")
    page.click("main form.form button[type=submit]")
    page.wait_for_url(f"{base}/en/contact/answers")
    assert "Did one of these answer your question?" in page.inner_text("main")
    assert serious_violations(page) == []
    page.click("text=No, send my question")
    page.wait_for_url(f"{base}/en/contact/sent")
    assert re.search(r"Your reference is Q-[0-9A-Z]{6}", page.inner_text("main"))


def test_without_javascript_a_vote_goes_through_the_vote_page(live_server: dict[str, Any], browser: Any) -> None:
    base = live_server["url"]
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/en/articles/refund-timing")
    page.click("#helpful button[value=no]")  # the cached page has no token: its real form is here
    page.wait_for_url(f"{base}/en/articles/refund-timing/vote?helpful=no")
    page.click("#helpful button[value=no]")
    page.wait_for_url(f"{base}/en/articles/refund-timing/vote?voted=no")
    assert "Sorry this did not help." in page.inner_text("#helpful")
    page.click("#helpful a[href='/en/contact']")
    page.wait_for_url(f"{base}/en/contact")
    context.close()


def test_the_vote_page_has_no_serious_violations(live_server: dict[str, Any], page: Any) -> None:
    page.goto(f"{live_server['url']}/en/articles/refund-timing/vote?helpful=yes")
    assert serious_violations(page) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_contact_form_has_no_serious_violations(live_server: dict[str, Any], page: Any, lang: str) -> None:
    page.goto(f"{live_server['url']}/{lang}/contact")
    assert serious_violations(page) == []
    page.click("main button[type=submit]")
    assert serious_violations(page) == []
