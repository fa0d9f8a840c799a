"""Resend my link: the same answer whatever matched, and the links only to the order's own address."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from kb.extensions import db
from kb.mail.models import OutboxMessage
from tests.conftest import make_app, reset_database
from tests.returns.helpers import create, item, lookup, options

RESEND = "/api/v1/returns/resend"


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """A client of an app with the real articles and the demo orders."""
    return content_app.test_client()


def _open_return(client: FlaskClient, number: str = "A1001", email: str = "ana@example.com",
                 sku: str = "JEANS-32-INDIGO", lang: str = "en") -> dict[str, Any]:
    session = lookup(client, number, email, lang=lang)
    options(client, session, [item(sku)])
    response = create(client, session, [item(sku)])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _mails() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")
                                    .order_by(OutboxMessage.id)))


def _resend_mails() -> list[OutboxMessage]:
    return [m for m in _mails() if "links" in m.subject or "liens" in m.subject]


# -- the API ---------------------------------------------------------------------------------

def test_a_match_mails_every_return_link_of_the_order_to_its_address(shop: FlaskClient) -> None:
    first = _open_return(shop, sku="JEANS-32-INDIGO")
    second = _open_return(shop, sku="TEE-M-BLUE")
    response = shop.post(RESEND, json={"order_number": "a1001", "email": "Ana@Example.com"})
    assert response.status_code == 202
    [mail] = _resend_mails()
    assert mail.recipient == "ana@example.com"
    assert mail.subject == "Your return links for order A1001"
    links = re.findall(r"https?://\S+/returns/status/\S+", mail.body)
    assert len(links) == 2
    for created, link in zip((first, second), links, strict=True):
        assert created["reference"] in link and created["token"] in link
        assert shop.get(link).status_code == 200


def test_the_answer_is_the_same_whether_or_not_an_order_matched(shop: FlaskClient) -> None:
    _open_return(shop)
    matched = shop.post(RESEND, json={"order_number": "A1001", "email": "ana@example.com"})
    wrong_email = shop.post(RESEND, json={"order_number": "A1002", "email": "someone@example.com"})
    no_order = shop.post(RESEND, json={"order_number": "Z9999", "email": "ana@example.com"})
    by_transaction = shop.post(RESEND, json={"transaction_id": "P01-0000000-0000000", "email": "a@b.co"})
    answers = {(r.status_code, r.get_data(as_text=True)) for r in (matched, wrong_email, no_order, by_transaction)}
    assert len(answers) == 1
    assert matched.status_code == 202
    assert matched.get_json() == {"status": "accepted", "message": "If an order matches, we've e-mailed "
                                  "its return links to the address on the order."}
    assert [m.recipient for m in _resend_mails()] == ["ana@example.com"]


def test_a_different_email_in_the_request_never_receives_anything(shop: FlaskClient) -> None:
    _open_return(shop)
    before = len(_mails())
    shop.post(RESEND, json={"order_number": "A1001", "email": "attacker@example.com"})
    shop.post(RESEND, json={"order_number": "A1001", "email": "ana@example.com.attacker.test"})
    mails = _mails()
    assert len(mails) == before
    assert all("attacker" not in m.recipient for m in mails)


def test_match_and_no_match_run_the_same_statements(shop: FlaskClient) -> None:
    """The time taken does not tell: the same queries run, only the e-mail's INSERT differs."""
    _open_return(shop)

    def statements(body: dict[str, str]) -> list[str]:
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            seen.append(re.sub(r"\s+", " ", statement).split(" WHERE ")[0])

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert shop.post(RESEND, json=body).status_code == 202
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return seen

    matched = statements({"order_number": "A1001", "email": "ana@example.com"})
    unmatched = statements({"order_number": "A1001", "email": "nobody@example.com"})
    inserts = [s for s in matched if s.startswith("INSERT INTO outbox")]
    assert len(inserts) == 1
    assert [s for s in matched if s not in inserts] == unmatched


def test_transaction_id_finds_the_order_too(shop: FlaskClient) -> None:
    _open_return(shop, "A1016", "leo@example.fr", sku="BOOTS-39-BROWN")
    response = shop.post(RESEND, json={"transaction_id": "P01-5550123-9988776", "email": "leo@example.fr"})
    assert response.status_code == 202
    assert [m.recipient for m in _resend_mails()] == ["leo@example.fr"]


def test_the_mail_speaks_the_shoppers_language(shop: FlaskClient) -> None:
    created = _open_return(shop, "A1018", "camille@example.fr", sku="JEANS-32-INDIGO", lang="fr")
    response = shop.post(RESEND, json={"order_number": "A1018", "email": "camille@example.fr", "lang": "fr"})
    assert response.get_json()["message"].startswith("Si une commande correspond")
    [mail] = _resend_mails()
    assert mail.subject == "Les liens de vos retours pour la commande A1018"
    assert f"/fr/returns/status/{created['reference']}" in mail.body and "Bonjour" in mail.body


def test_without_a_language_the_mail_follows_the_orders_last_return(shop: FlaskClient) -> None:
    _open_return(shop, "A1018", "camille@example.fr", sku="JEANS-32-INDIGO", lang="fr")
    shop.post(RESEND, json={"order_number": "A1018", "email": "camille@example.fr"})
    [mail] = _resend_mails()
    assert mail.subject.startswith("Les liens de vos retours")


def test_an_order_without_returns_gets_the_way_to_start_one(shop: FlaskClient) -> None:
    shop.post(RESEND, json={"order_number": "A1001", "email": "ana@example.com"})
    [mail] = _resend_mails()
    assert "has no return yet" in mail.body and "/en/returns/start" in mail.body
    assert "/returns/status/" not in mail.body


def test_a_second_request_soon_after_sends_no_second_mail(shop: FlaskClient) -> None:
    _open_return(shop)
    for _ in range(3):
        assert shop.post(RESEND, json={"order_number": "A1001", "email": "ana@example.com"}).status_code == 202
    assert len(_resend_mails()) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"order_number": "A1001"}, "missing_field"),
        ({"order_number": "A1001", "email": 5}, "invalid_field"),
        ({"order_number": "A1001", "email": "not-an-address"}, "invalid_email"),
        ({"email": "ana@example.com"}, "missing_order"),
        ({"order_number": "A1001", "transaction_id": "P01", "email": "ana@example.com"}, "missing_order"),
        ({"order_number": "A" * 41, "email": "ana@example.com"}, "invalid_field"),
        ({"order_number": ["A1001"], "email": "ana@example.com"}, "invalid_field"),
        ({"order_number": "A1001", "email": "ana@example.com", "lang": "de"}, "invalid_lang"),
        ({"order_number": "A1001", "email": "ana@example.com", "token": "x"}, "unknown_field"),
        ([], "invalid_json"),
    ],
)
def test_bad_fields_are_clear_json_400s(shop: FlaskClient, body: Any, code: str) -> None:
    response = shop.post(RESEND, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


def test_a_body_that_is_not_json_is_refused(shop: FlaskClient) -> None:
    response = shop.post(RESEND, data="order_number=A1001", content_type="text/plain")
    assert response.status_code == 415 and response.get_json()["error"]["code"] == "unsupported_media_type"
    broken = shop.post(RESEND, data="{", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "invalid_json"


def test_resends_share_the_lookup_rate_limit(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_LOOKUP="3 per minute")
    reset_database(app)
    client = app.test_client()
    body = {"order_number": "A1", "email": "a@b.co"}
    codes = [client.post("/api/v1/returns/lookup", json=body).status_code,
             client.post(RESEND, json=body).status_code,
             client.post("/en/returns/resend", data=body).status_code,
             client.post(RESEND, json=body).status_code]
    assert codes == [404, 202, 302, 429]
    assert client.post(RESEND, json=body).get_json()["error"]["code"] == "too_many_requests"


# -- the pages, without JavaScript ---------------------------------------------------------------

@pytest.mark.parametrize(("lang", "words"), [("en", "If an order matches"), ("fr", "Si une commande correspond")])
def test_the_form_answers_the_same_neutral_confirmation(shop: FlaskClient, lang: str, words: str) -> None:
    _open_return(shop)
    for email in ("ana@example.com", "nobody@example.com"):
        sent = shop.post(f"/{lang}/returns/resend", data={"mode": "number", "order_number": "A1001", "email": email})
        assert sent.status_code == 302
        assert sent.headers["Location"].endswith(f"/{lang}/returns/resend/sent")
    page = shop.get(f"/{lang}/returns/resend/sent").get_data(as_text=True)
    assert words in page
    assert [m.recipient for m in _resend_mails()] == ["ana@example.com"]


def test_the_form_by_transaction_id(shop: FlaskClient) -> None:
    _open_return(shop, "A1016", "leo@example.fr", sku="BOOTS-39-BROWN")
    form = shop.get("/en/returns/resend?mode=transaction").get_data(as_text=True)
    assert 'name="transaction_id"' in form and 'name="order_number"' not in form
    sent = shop.post("/en/returns/resend", data={"mode": "transaction", "transaction_id": "P01-5550123-9988776",
                                                 "email": "leo@example.fr"})
    assert sent.status_code == 302
    assert [m.recipient for m in _resend_mails()] == ["leo@example.fr"]


@pytest.mark.parametrize(("lang", "words"), [("en", "Please enter the e-mail address used for the order."),
                                             ("fr", "Resend my link")])
def test_the_form_explains_bad_input_and_keeps_what_was_typed(shop: FlaskClient, lang: str, words: str) -> None:
    page = shop.post(f"/{lang}/returns/resend", data={"mode": "number", "order_number": "A1001", "email": "nope"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'role="alert"' in html and 'value="A1001"' in html and 'value="nope"' in html
    if lang == "fr":
        assert words not in html and "Renvoyer mon lien" in html
    else:
        assert words in html


@pytest.mark.parametrize(("lang", "button"), [("en", "Resend my link"), ("fr", "Renvoyer mon lien")])
def test_the_hub_offers_the_form(shop: FlaskClient, lang: str, button: str) -> None:
    html = shop.get(f"/{lang}/returns").get_data(as_text=True)
    form = html[html.index('id="hub-resend"'):]
    form = form[:form.index("</form>")]
    # The hub is cached for everyone: its form fetches the visitor's token when sent.
    assert f'action="/{lang}/returns/resend"' in form and 'data-csrf-token="/csrf-token"' in form
    assert 'name="csrf_token"' not in form
    assert '<label for="hub-resend-email">' in form and button in form


@pytest.mark.parametrize(("lang", "title"), [("en", "This link is not valid"), ("fr", "Ce lien n'est pas valide")])
def test_an_invalid_status_link_explains_itself_and_offers_the_form(shop: FlaskClient, lang: str, title: str) -> None:
    created = _open_return(shop)
    for path in (f"/{lang}/returns/status/{created['reference']}?token=wrong",
                 f"/{lang}/returns/status/R-NOPE00?token={created['token']}",
                 f"/{lang}/returns/status/{created['reference']}/slip"):
        response = shop.get(path)
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert title in html and f'action="/{lang}/returns/resend"' in html
        assert created["reference"] not in html.split("<main", 1)[-1]


@pytest.mark.parametrize(("lang", "button"), [("en", "Resend my link"), ("fr", "Renvoyer mon lien")])
def test_the_assistants_already_in_a_return_line_offers_the_form(shop: FlaskClient, lang: str, button: str) -> None:
    _open_return(shop)
    shop.post(f"/{lang}/returns/start", data={"mode": "number", "order_number": "A1001", "email": "ana@example.com"})
    html = shop.get(f"/{lang}/returns/items").get_data(as_text=True)
    card = html[html.index("Straight jeans"):]
    card = card[:card.index("</fieldset>")]
    assert button in card and 'form="resend-order"' in card
    # Forms cannot nest: the button's form stands after the items form.
    hidden = html[html.index('id="resend-order"'):]
    items_form = html.index('class="wapp-items"')
    assert html.index('id="resend-order"') > html.index("</form>", items_form)
    assert 'name="order_number" value="A1001"' in hidden[:hidden.index("</form>")]
    sent = shop.post(f"/{lang}/returns/resend", data={"mode": "number", "order_number": "A1001",
                                                     "email": "ana@example.com"})
    assert sent.status_code == 302 and len(_resend_mails()) == 1


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def guarded(content_app: Flask, demo: dict[str, Any]) -> Flask:
    """The app with the real articles and demo orders, and CSRF checked as in production."""
    content_app.config["WTF_CSRF_ENABLED"] = True
    return content_app


def test_a_resend_without_the_visitors_own_token_sends_nothing(guarded: Flask) -> None:
    _open_return(guarded.test_client())
    ana, bob = guarded.test_client(), guarded.test_client()
    bob_token = bob.get("/csrf-token").get_json()["csrf_token"]
    body = {"mode": "number", "order_number": "A1001", "email": "ana@example.com"}
    for token in (None, "forged", bob_token):
        refused = ana.post("/en/returns/resend", data=body if token is None else {**body, "csrf_token": token})
        assert refused.status_code == 400
    assert _resend_mails() == []
    ana_token = ana.get("/csrf-token").get_json()["csrf_token"]
    assert ana.post("/en/returns/resend", data={**body, "csrf_token": ana_token}).status_code == 302
    assert len(_resend_mails()) == 1


def test_the_hub_form_with_a_fetched_token_sends_at_once(guarded: Flask) -> None:
    _open_return(guarded.test_client())
    client = guarded.test_client()
    client.get("/en/returns")
    token = client.get("/csrf-token").get_json()["csrf_token"]  # what kb.js does on submit
    sent = client.post("/en/returns/resend", data={"mode": "number", "order_number": "A1001",
                                                   "email": "ana@example.com", "csrf_token": token})
    assert sent.status_code == 302 and sent.headers["Location"] == "/en/returns/resend/sent"
    assert [m.recipient for m in _resend_mails()] == ["ana@example.com"]


@pytest.mark.parametrize(("lang", "again", "confirmation"), [
    ("en", "press “Resend my link” again", "If an order matches"),
    ("fr", "appuyez de nouveau sur « Renvoyer mon lien »", "Si une commande correspond"),
])
def test_without_javascript_the_hub_form_comes_back_with_a_token_then_sends(
        guarded: Flask, lang: str, again: str, confirmation: str) -> None:
    _open_return(guarded.test_client(), "A1016", "leo@example.fr", sku="BOOTS-39-BROWN")
    client = guarded.test_client()
    client.get(f"/{lang}/returns")
    # The cached hub's form posts as it is, with no token: refused, nothing sent, and the form
    # shown again with what was typed and the visitor's own token.
    body = {"mode": "number", "order_number": "A1016", "email": "leo@example.fr"}
    refused = client.post(f"/{lang}/returns/resend", data=body)
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-store"
    assert _resend_mails() == []
    html = refused.get_data(as_text=True)
    assert again in html and "<h1>" in html
    assert 'value="A1016"' in html and 'value="leo@example.fr"' in html
    assert 'autofocus aria-describedby="resend-again"' in html and 'id="resend-again"' in html
    form = html[html.index(f'action="/{lang}/returns/resend"'):]
    token = TOKEN.search(form[:form.index("</form>")])
    assert token is not None
    sent = client.post(f"/{lang}/returns/resend", data={**body, "csrf_token": token[1]})
    assert sent.status_code == 302
    assert confirmation in client.get(sent.headers["Location"]).get_data(as_text=True)
    assert [m.recipient for m in _resend_mails()] == ["leo@example.fr"]


def test_the_transaction_id_form_comes_back_as_it_was_sent(guarded: Flask) -> None:
    client = guarded.test_client()
    refused = client.post("/en/returns/resend", data={"mode": "transaction", "transaction_id": "P01-5550123-9988776",
                                                     "email": "leo@example.fr"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'name="transaction_id"' in html and 'value="P01-5550123-9988776"' in html
    assert 'name="order_number"' not in html
