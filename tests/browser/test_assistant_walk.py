"""Every path through the returns assistant, in both languages, with JavaScript on and off, on a phone and a desktop.

At each step the page is no wider than the screen, and on the phone axe finds nothing serious or critical
(its rules read names, roles and colours, which the width does not change: once per step keeps the
walk short). axe needs
scripts (and timers, which a page without JavaScript has not): a page without JavaScript is checked as a
copy of its HTML in a second page that has them, where the one-page assistant's script is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.assistant_paths import (
    PATHS,
    AssistantPath,
    copy_demo_order,
    walk_with_javascript,
    walk_without_javascript,
)
from tests.browser.test_accessibility import serious_violations

WIDTHS = {390: 844, 1366: 900}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}


@pytest.fixture
def context_for(browser: Any) -> Iterator[Any]:
    """A function opening one browser context per case (closed after the test)."""
    opened: list[Any] = []

    def open_context(lang: str, width: int, javascript: bool) -> Any:
        context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]}, locale=LOCALES[lang],
                                      java_script_enabled=javascript)
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_context
    for context in opened:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_every_assistant_path_can_be_walked_accessibly(live_server: dict[str, Any], context_for: Any,
                                                       path: AssistantPath, lang: str, javascript: bool,
                                                       width: int) -> None:
    page = context_for(lang, width, javascript)
    checked = page
    with_axe = width == min(WIDTHS)
    if with_axe and not javascript:
        checked = context_for(lang, width, True)
        checked.route("**/static/wizard-app.js", lambda route: route.abort())
        checked.goto(live_server["url"] + "/login")
    order = copy_demo_order(live_server["app"], path.order)
    problems: list[str] = []
    steps: list[str] = []

    def at_step(step: str) -> None:
        steps.append(step)
        if with_axe:
            if checked is not page:
                checked.set_content(page.content(), wait_until="load")
            problems.extend(f"{step}: {finding}" for finding in serious_violations(checked))
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{step}: {scroll_width}px wide on a {width}px screen")

    walk = walk_with_javascript if javascript else walk_without_javascript
    walk(page, live_server["url"], lang, path, order, at_step)
    last = "solved" if path.solved else ("done" if javascript else "status")
    assert steps[-1] == last
    assert problems == []
