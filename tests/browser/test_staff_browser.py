"""Staff in a real browser: a writer's edit reaches public search; an agent's reply reaches the shopper."""

from __future__ import annotations

import re
import urllib.request
from typing import Any

from tests.browser.assistant_paths import to_answers_without_javascript
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import serious_violations


def _article_id(live_server: dict[str, Any], key: str, lang: str) -> int:
    from sqlalchemy import select

    from kb.articles.models import Article
    from kb.extensions import db

    with live_server["app"].app_context():
        return int(db.session.scalar(select(Article.id).where(Article.key == key, Article.lang == lang)))


def test_a_writer_publishes_an_edit_that_public_search_then_finds(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    sign_in(page, base, "writer@example.com", live_server["password"])
    article_id = _article_id(live_server, "gift-returns", "en")
    page.goto(f"{base}/studio/{article_id}/edit")
    assert serious_violations(page) == []
    body = page.locator("textarea[name=body]")
    body.fill(body.input_value() + "\n\nGift wrapping made of kraftpaper-zebrawood is recyclable.")
    page.fill("input[name=message]", "Mention recyclable wrapping")
    assert "saving puts your changes live at once" in page.inner_text("#save-goes-live")
    page.click("button[value=save]")
    page.wait_for_load_state()
    assert "It is live: readers see it now." in page.inner_text("main")
    assert "kraftpaper" not in page.url
    with urllib.request.urlopen(f"{base}/api/v1/search?q=zebrawood&lang=en", timeout=10) as response:
        results = __import__("json").loads(response.read())["results"]
    assert [r["key"] for r in results][:1] == ["gift-returns"]
    page.goto(f"{base}/en/search?q=zebrawood")
    assert page.locator("ol.results li").count() >= 1
    assert "mark" in page.inner_html("ol.results")


def test_an_agent_approves_an_exception_and_the_shopper_reads_the_reply(
    live_server: dict[str, Any], browser: Any
) -> None:
    base = live_server["url"]
    # The page-per-step assistant: the shopper's browser runs no JavaScript.
    shopper = browser.new_context(locale="en-GB", java_script_enabled=False).new_page()
    shopper.goto(f"{base}/en/returns/start")
    shopper.fill("#order_number", "A1002")
    to_answers_without_javascript(shopper, "ana@example.com", "THROW-WOOL", "changed_mind", "unopened")
    shopper.click("text=I still want to return it")
    shopper.check("#exception")
    shopper.click("button[value=estimate]")
    shopper.click("button[value=create]")
    shopper.wait_for_url(re.compile(r".*/returns/status/R-[0-9A-Z]{6}\?token=.*"))
    status_url = shopper.url
    reference = re.search(r"(R-[0-9A-Z]{6})", status_url).group(1)
    assert "Being reviewed by an agent" in shopper.inner_text("main")

    agent = browser.new_context(locale="en-GB").new_page()
    sign_in(agent, base, "agent@example.com", live_server["password"])
    agent.goto(f"{base}/desk")
    agent.click(f"text={reference}")
    agent.wait_for_url(re.compile(rf".*/desk/tickets/{reference}$"))
    assert serious_violations(agent) == []
    agent.fill("#approve-message", "Approved as a one-off: the throw is fine to send back.")
    agent.click("#form-approve button[type=submit]")
    agent.wait_for_load_state()
    agent.fill("#reply-message", "Please pack it in its original bag if you still have it.")
    agent.click("#form-reply button[type=submit]")
    agent.wait_for_load_state()

    shopper.goto(status_url)
    text = shopper.inner_text("main")
    assert "Approved: waiting for your item" in text
    assert "Please pack it in its original bag if you still have it." in text
    shopper.context.close()
    agent.context.close()


def test_the_preview_follows_the_part_being_edited(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    page.set_viewport_size({"width": 1366, "height": 700})
    sign_in(page, base, "writer@example.com", live_server["password"])
    page.goto(f"{base}/studio/{_article_id(live_server, 'returns-policy', 'en')}/edit")
    body = page.locator("textarea[name=body]")
    text = body.input_value().split("```policy")[0].rstrip()
    marker = "Zebrawood marker paragraph."
    body.fill(text + "\n\n" + marker)
    body.evaluate("(el) => { el.focus(); el.setSelectionRange(el.value.length, el.value.length); }")
    body.press("End")
    body.type(" More.")
    paragraph = page.locator("#preview-pane p", has_text="Zebrawood marker")
    paragraph.wait_for()
    page.wait_for_function(
        """() => {
          const p = [...document.querySelectorAll('#preview-pane p')].find(e => e.textContent.includes('Zebrawood'));
          const box = p.getBoundingClientRect();
          const pane = document.querySelector('.studio-preview').getBoundingClientRect();
          return box.top >= pane.top && box.bottom <= pane.bottom;
        }""",
        timeout=5000,
    )


def test_an_unhelpful_article_is_edited_not_written_again(live_server: dict[str, Any], page: Any) -> None:
    from kb.articles.models import Vote
    from kb.extensions import db

    article_id = _article_id(live_server, "store-credit", "en")
    with live_server["app"].app_context():
        db.session.add(Vote(article_id=article_id, helpful=False, visit_id="v-unhelpful"))
        db.session.commit()
    base = live_server["url"]
    sign_in(page, base, "writer@example.com", live_server["password"])
    page.goto(f"{base}/studio")
    link = page.locator("#unhelpful a", has_text="Edit this article").first
    assert link.get_attribute("href") == f"/studio/{article_id}/edit"
