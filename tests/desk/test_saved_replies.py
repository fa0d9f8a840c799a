"""Saved replies: admins keep them per language, agents start a reply from one."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from kb.desk.models import SavedReply
from kb.extensions import db
from tests.desk.conftest import open_return, sign_in


def _add(client: FlaskClient, lang: str, title: str, body: str) -> int:
    response = client.post("/desk/admin/replies", data={"lang": lang, "title": title, "body": body})
    return response.status_code


def test_an_admin_adds_edits_and_deletes_a_saved_reply(client: FlaskClient) -> None:
    sign_in(client, "admin")
    assert _add(client, "fr", "  Colis   en route ", "Votre colis est en route.") == 302
    reply = db.session.scalar(select(SavedReply))
    assert (reply.lang, reply.title, reply.updated_by) == ("fr", "Colis en route", "Ada Admin")
    page = client.get("/desk/admin/replies").get_data(as_text=True)
    assert "Colis en route" in page
    changed = client.post(f"/desk/admin/replies/{reply.id}", data={"lang": "fr", "title": "Colis parti",
                                                             "body": "Votre colis est parti ce matin."})
    assert changed.status_code == 302
    db.session.expire_all()
    assert db.session.get(SavedReply, reply.id).body == "Votre colis est parti ce matin."
    assert client.post(f"/desk/admin/replies/{reply.id}/delete").status_code == 302
    assert db.session.scalar(select(SavedReply)) is None


def test_a_saved_reply_without_title_or_body_is_refused_and_kept_in_the_form(client: FlaskClient) -> None:
    sign_in(client, "admin")
    response = client.post("/desk/admin/replies", data={"lang": "en", "title": "", "body": "Kept text"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Give the reply a title" in html and "Kept text" in html
    assert _add(client, "de", "Title", "Body") == 400
    assert _add(client, "en", "Title", "x" * 5001) == 400
    assert db.session.scalar(select(SavedReply)) is None


def test_only_admins_keep_saved_replies(client: FlaskClient) -> None:
    sign_in(client, "agent")
    assert client.get("/desk/admin/replies").status_code == 403
    assert _add(client, "en", "Title", "Body") == 403


def test_an_agent_starts_a_reply_from_a_saved_one_in_the_tickets_language(client: FlaskClient,
                                                                          demo: dict) -> None:
    db.session.add_all([
        SavedReply(lang="fr", title="Remboursement lancé", body="Votre remboursement est lancé.", updated_by="Ada"),
        SavedReply(lang="en", title="Refund started", body="Your refund has started.", updated_by="Ada"),
    ])
    db.session.commit()
    french, _ = open_return("A1018", lang="fr")
    sign_in(client, "agent")
    page = client.get(f"/desk/tickets/{french.reference}").get_data(as_text=True)
    assert "Remboursement lancé" in page and "Refund started" not in page
    chosen = db.session.scalar(select(SavedReply).where(SavedReply.lang == "fr"))
    filled = client.get(f"/desk/tickets/{french.reference}?reply={chosen.id}").get_data(as_text=True)
    assert ">Votre remboursement est lancé.</textarea>" in filled
    # A stale or odd choice just shows the page.
    for odd in ("999", "abc", "9" * 40):
        assert client.get(f"/desk/tickets/{french.reference}?reply={odd}").status_code == 200
