"""The "Still need help?" block: a path to a person from every help page."""

from __future__ import annotations

from flask.testing import FlaskClient

CONTACT = 'href="/en/contact"'
ASSISTANT = 'href="/en/returns/start"'


def _block(html: str, heading_id: str = "need-help-title") -> str:
    """The block's HTML (from its aside to the end of it)."""
    start = html.rindex("<aside", 0, html.index(f'id="{heading_id}"'))
    return html[start:html.index("</aside>", start)]


def test_a_returns_article_offers_the_contact_form_and_the_assistant(shop: FlaskClient) -> None:
    block = _block(shop.get("/en/articles/refund-timing").get_data(as_text=True))
    assert "Still need help?" in block and CONTACT in block and ASSISTANT in block


def test_an_article_on_another_topic_offers_the_contact_form_only(shop: FlaskClient) -> None:
    block = _block(shop.get("/en/articles/size-guide").get_data(as_text=True))
    assert CONTACT in block and ASSISTANT not in block


def test_after_a_no_vote_the_thank_you_offers_a_person(shop: FlaskClient) -> None:
    voted = shop.post("/en/articles/refund-timing/vote", data={"helpful": "no"})
    assert voted.status_code == 302
    html = shop.get(voted.headers["Location"].split("#")[0]).get_data(as_text=True)
    thanks = html[html.index('id="helpful"'):html.index("</section>", html.index('id="helpful"'))]
    assert "Sorry this did not help." in thanks
    block = _block(thanks, "need-help-vote-title")
    assert CONTACT in block and ASSISTANT in block
    other = shop.application.test_client()
    other.post("/en/articles/size-guide/vote", data={"helpful": "no"})
    page = other.get("/en/articles/size-guide/vote?voted=no").get_data(as_text=True)
    assert CONTACT in _block(page, "need-help-vote-title")
    assert ASSISTANT not in _block(page, "need-help-vote-title")


def test_a_yes_vote_keeps_the_block_below_the_thanks(shop: FlaskClient) -> None:
    html = shop.get("/en/articles/refund-timing/vote?voted=yes").get_data(as_text=True)
    assert "Sorry this did not help." not in html and CONTACT in _block(html)


def test_the_404_page_the_hub_and_the_assistant_show_the_block(shop: FlaskClient) -> None:
    missing = shop.get("/en/articles/no-such-article")
    assert missing.status_code == 404 and CONTACT in _block(missing.get_data(as_text=True))
    assert CONTACT in _block(shop.get("/en/returns").get_data(as_text=True))
    assert CONTACT in _block(shop.get("/en/returns/start").get_data(as_text=True))
    french = shop.get("/fr/returns").get_data(as_text=True)
    assert 'href="/fr/contact"' in _block(french) and "Contactez-nous" in french
