"""The embeddable assistant: the loader script, the framable page, its strings, and the hub."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh

from tests.conftest import ROOT

STRINGS_BLOCK = re.compile(
    r'<script type="application/json" id="wizard-strings">(.*?)</script>', re.S
)


def frame_ancestors(response: Any) -> list[str]:
    """The sources of the response's CSP frame-ancestors directive."""
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        if name == "frame-ancestors":
            return sources
    raise AssertionError("no frame-ancestors directive")


def strings_of(html: str) -> dict[str, Any]:
    """The assistant's strings, parsed from the page's JSON data block."""
    block = STRINGS_BLOCK.search(html)
    assert block is not None, "no strings block"
    return json.loads(block.group(1))


def test_embed_js_is_cacheable_javascript_that_frames_the_embed_page(client: FlaskClient) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.cache_control.public and response.cache_control.max_age >= 300
    assert "Set-Cookie" not in response.headers  # shared caches may keep it
    script = response.get_data(as_text=True)
    assert '"/embed/fr"' in script and '"/embed/en"' in script
    assert "document.currentScript" in script and "event.origin !== origin" in script
    again = client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_embed_js_links_to_the_hub_until_the_shop_may_frame_it(app: Flask, client: FlaskClient) -> None:
    unconfigured = client.get("/embed.js").get_data(as_text=True)
    assert "var FRAMED = false;" in unconfigured
    assert '"hub": "/fr/returns", "link": "Faire un retour"' in unconfigured
    assert '"hub": "/en/returns", "link": "Start a return"' in unconfigured
    app.config["EMBED_ORIGINS"] = "https://shop.example"
    configured = client.get("/embed.js").get_data(as_text=True)
    assert "var FRAMED = true;" in configured


def test_nobody_may_frame_the_embed_page_without_configuration(client: FlaskClient) -> None:
    response = client.get("/embed/en")
    assert response.status_code == 200
    assert frame_ancestors(response) == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("https://shop.example", ["https://shop.example"]),
        ("https://shop.example  http://localhost:8000/\nhttps://*.brand.example",
         ["https://shop.example", "http://localhost:8000", "https://*.brand.example"]),
        # Whatever is not an origin is dropped, so the setting cannot add directives or keywords.
        ("https://shop.example 'unsafe-inline' *; script-src https://evil.example/x",
         ["https://shop.example"]),
    ],
)
def test_embed_page_may_be_framed_by_exactly_the_configured_origins(
    app: Flask, client: FlaskClient, configured: str, expected: list[str]
) -> None:
    app.config["EMBED_ORIGINS"] = configured
    response = client.get("/embed/fr")
    assert frame_ancestors(response) == expected
    assert "X-Frame-Options" not in response.headers
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert f'data-parent-origins="{" ".join(expected)}"' in html


def test_other_pages_stay_unframable_when_embedding_is_allowed(
    app: Flask, client: FlaskClient
) -> None:
    app.config["EMBED_ORIGINS"] = "https://shop.example"
    assert frame_ancestors(client.get("/en/returns")) == ["'none'"]
    assert frame_ancestors(client.get("/en/returns/start")) == ["'none'"]


def test_embed_page_is_minimal_and_has_no_inline_script(client: FlaskClient) -> None:
    html = client.get("/embed/en").get_data(as_text=True)
    assert 'class="site-header"' not in html and 'class="site-footer"' not in html
    assert re.search(r'<div id="wizard-app" data-lang="en" data-api="/api/v1/returns" '
                     r'data-strings="wizard-strings"', html)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or "src=" in tag, tag
    assert "/static/wizard-app.js" in html
    # Without JavaScript, the page-per-step assistant opens in a new tab (it may not be framed).
    assert re.search(r'<a [^>]*href="/en/returns/start" target="_blank" rel="noopener"', html)


def test_strings_block_is_json_in_the_page_language(client: FlaskClient) -> None:
    french = strings_of(client.get("/embed/fr").get_data(as_text=True))
    # The fixture's app context outlives the requests, and flask-babel caches the locale in it.
    refresh()
    english = strings_of(client.get("/embed/en").get_data(as_text=True))
    assert french["steps"] == ["Retrouvez votre commande", "Articles et motif", "Réponses",
                               "Votre retour", "Terminé"]
    assert english["steps"][0] == "Find your order"
    assert french["text"]["find_submit"] == "Retrouver ma commande"
    assert french["errors"]["order_not_found"].startswith("Nous n'avons trouvé aucune commande")
    assert {"code": "defective", "label": "Défectueux ou en panne"} in french["reasons"]
    # Lists, not objects, where the order matters: tojson sorts keys.
    assert [r["code"] for r in french["resolutions"]][:2] == ["refund", "store_credit"]
    assert "PAR-RIV" in [s["code"] for s in french["stores"]]
    assert set(french["seller_fault_reasons"]) == {"defective", "damaged_in_transit", "wrong_item",
                                                   "not_as_described", "missing_parts"}
    assert french.keys() == english.keys() and french["text"].keys() == english["text"].keys()


def test_every_string_the_script_uses_is_in_the_block(client: FlaskClient) -> None:
    strings = strings_of(client.get("/embed/en").get_data(as_text=True))
    script = (ROOT / "kb" / "static" / "wizard-app.js").read_text()
    for key in set(re.findall(r"\bT\.(\w+)", script)):
        assert key in strings["text"], key
    for key in set(re.findall(r"\bS\.errors\.(\w+)", script)):
        assert key in strings["errors"], key
    for key in set(re.findall(r"\bS\.(\w+)", script)) - {"errors"}:
        assert key in strings, key


def test_hub_mounts_the_assistant_and_keeps_its_link_for_javascript_off(
    content_client: FlaskClient,
) -> None:
    response = content_client.get("/fr/returns")
    html = response.get_data(as_text=True)
    mount = html[html.index('<div id="wizard-app"'):]
    assert mount.startswith('<div id="wizard-app" data-lang="fr" data-api="/api/v1/returns" '
                            'data-strings="wizard-strings"')
    link = re.search(
        r'<a class="button button-primary" href="/fr/returns/start">Faire un retour</a>', mount
    )
    assert link is not None and link.start() < mount.index("</div>")
    assert strings_of(html)["text"]["find_title"] == "Retrouvez votre commande"
    assert '<script src="/static/wizard-app.js" defer></script>' in html
    assert frame_ancestors(response) == ["'none'"]
