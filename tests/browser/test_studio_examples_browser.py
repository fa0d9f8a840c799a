"""A writer in a real browser: failing policy examples and an out-of-date translation."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import serious_violations

FAILING = """Wrap it as you like.

```policy
- case: A change of mind costs nothing
  reason: changed_mind
  expect: {fee: "0"}
```
"""


def _out_of_date_french(live_server: dict[str, Any]) -> int:
    """An English/French pair whose English text changed since; the French id."""
    from kb.articles.files import ArticleFile
    from kb.articles.service import create_article, update_article
    from kb.extensions import db

    with live_server["app"].app_context():
        fields = {"key": "gift-wrap", "category": "orders", "summary": "Wrapping.", "body": FAILING}
        english = create_article(ArticleFile(lang="en", slug="gift-wrap", title="Gift wrap", **fields), "seed", "")
        french = create_article(ArticleFile(lang="fr", slug="emballage", title="Emballage", **fields), "seed", "")
        update_article(english, {"body": FAILING + "\nRibbons too.\n"}, "seed", "Ribbons")
        db.session.commit()
        return int(french.id)


def test_a_writer_sees_failing_examples_and_confirms_a_translation(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    french_id = _out_of_date_french(live_server)
    sign_in(page, base, "writer@example.com", live_server["password"])

    page.goto(f"{base}/studio")
    assert "Emballage" in page.inner_text("#out-of-date")
    assert "Emballage" in page.inner_text("#failing-examples")
    assert serious_violations(page) == []

    page.goto(f"{base}/studio/{french_id}/edit")
    assert "A change of mind costs nothing" in page.inner_text(".studio-examples")
    assert serious_violations(page) == []

    # The live preview follows the text: a correct expectation makes the failure go away.
    page.locator("textarea[name=body]").fill(FAILING.replace('"0"', '"{{ policy.return_fee }}"'))
    page.locator(".studio-examples").wait_for(state="detached")
    assert "Wrap it as you like." in page.inner_text("#preview-pane")

    page.click("text=Still accurate")
    page.wait_for_load_state()
    assert "Marked as still accurate." in page.inner_text("main")
    assert page.locator(".studio-out-of-date").count() == 0
