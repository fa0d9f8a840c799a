"""The page-per-step returns assistant, the no-JavaScript path, in a real browser: footer link to label."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.assistant_paths import to_answers_without_javascript


def test_return_without_javascript_from_the_footer_link_to_the_label(live_server: dict[str, Any], browser: Any) -> None:
    base = live_server["url"]
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/en/articles/return-window")
    page.click("footer a.footer-returns")
    page.wait_for_url(f"{base}/en/returns")
    page.click("main a[href='/en/returns/start']")
    page.fill("#order_number", "A1001")
    to_answers_without_javascript(page, "ana@example.com", "TEE-M-BLUE", "wrong_size", "unopened")
    assert "free of charge" in page.inner_text("main")
    page.click("text=I still want to return it")
    page.wait_for_url(re.compile(r".*/en/returns/confirm"))
    page.check("#res-exchange")
    page.fill("#exchange_variant", "size L")
    page.click("button[value=create]")
    page.wait_for_url(re.compile(r".*/en/returns/status/R-[0-9A-Z]{6}\?token=.*"))
    text = page.inner_text("main")
    assert "Approved: waiting for your item" in text
    page.click("text=Open the return label")
    assert page.locator(".label-qr svg").count() == 1 and page.locator(".label-barcode svg").count() == 1
    # Without JavaScript the Print button would do nothing: it is not shown.
    assert not page.locator("[data-print]").is_visible()
    context.close()
