"""The returns assistant as a JSON API, for the single-page flow, the embed and shops."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from flask_babel import force_locale

from kb.api_docs import LANG_MESSAGE, ApiBlueprint, ErrorSchema
from kb.config import LANGUAGES
from kb.database import reads_until_written, write_transaction
from kb.errors import KbError
from kb.extensions import csrf
from kb.policy import SELLER_FAULT_REASONS, Estimate
from kb.returns import schemas as s
from kb.returns import submission
from kb.returns import wizard_service as wiz
from kb.returns.labels import ANSWERS, EVENTS, STATUSES
from kb.returns.resend import CONFIRMATION, resend_links
from kb.returns.wizard import lookup_rate, photo_rate
from kb.tickets.models import Ticket
from kb.tickets.photos import MAX_BYTES, clean_uploads, store_photos
from kb.tickets.service import find_ticket_for_shopper, shopper_reply

bp = ApiBlueprint("returns_api", __name__, url_prefix="/api/v1/returns",
                  description="The returns assistant: find an order, choose, open a return, follow it.")
# The API is called with the wizard's own session token, never a cookie: no CSRF token needed.
csrf.exempt(bp)


def _lang() -> str:
    lang = request.args.get("lang") or "en"
    return lang if lang in ("en", "fr") else "en"


def _money(estimate: Estimate | None) -> dict[str, str] | None:
    if estimate is None:
        return None
    return {"currency": estimate.currency, "items_total": str(estimate.items_total),
            "shipping": str(estimate.shipping), "fee": str(estimate.fee),
            "deduction": str(estimate.deduction), "total": str(estimate.total)}


@bp.post("/lookup")
@lookup_rate
@reads_until_written
@bp.arguments(s.OrderLookupSchema)
@bp.response(200, s.LookupResponseSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such order for this e-mail")
@bp.alt_response(429, schema=ErrorSchema, description="Too many requests")
def lookup(data: dict[str, Any]) -> dict[str, Any]:
    """Find the order and open a wizard session."""
    lang = data.get("lang") or _lang()
    found, receiptless = wiz.find_order(email=data["email"], order_number=data.get("order_number"),
                                        transaction_id=data.get("transaction_id"))
    # What the shopper sees is read before the write, which then takes the lock only to insert.
    order, order_id = wiz.order_summary(found), found.id
    with write_transaction():
        _opened, token = wiz.open_session(order_id, lang=lang, receiptless=receiptless,
                                          visit_id=getattr(g, "visit_id", ""))
    return {"session": token, "expires_in": int(wiz.SESSION_IDLE.total_seconds()), "order": order}


@bp.post("/resend")
@lookup_rate
@reads_until_written
@bp.arguments(s.OrderLookupSchema)
@bp.response(202, s.ResendResponseSchema, description="Accepted (whether or not an order matched)")
@bp.alt_response(429, schema=ErrorSchema, description="Too many requests")
def resend(data: dict[str, Any]) -> dict[str, Any]:
    """E-mail an order's return links to the order's address: 202, the same whether it matched or not.

    The answer tells nobody whether an order exists. Rate limited with the order lookups.
    """
    lang = data.get("lang") or request.args.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise KbError(400, "invalid_lang", LANG_MESSAGE)
    resend_links(email=data["email"], order_number=data.get("order_number"),
                 transaction_id=data.get("transaction_id"), lang=lang)
    with force_locale(lang or "en"):
        message = str(CONFIRMATION)
    return {"status": "accepted", "message": message}


@bp.post("/options")
@reads_until_written
@bp.arguments(s.OptionsRequestSchema)
@bp.response(200, s.OptionsResponseSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such session (or it expired)")
def options(data: dict[str, Any]) -> dict[str, Any]:
    """Decide each item and offer the articles that answer the case (the self-help step)."""
    # Decide and search without the write lock; only remembering the offer writes.
    session = wiz.load_session(data["session"], touch=False)
    lines = wiz.parse_lines(data["items"])
    evaluated, articles, note_text = wiz.advise(session, lines, data.get("note"))
    body = _options_body(evaluated, articles, session.lang)
    with write_transaction():
        wiz.remember_offer(wiz.load_session(data["session"]), lines, note_text,
                           [a["key"] for a in body["articles"]])
    return body


def _options_body(evaluated: list[wiz.Evaluated], articles: list[Any], lang: str) -> dict[str, Any]:
    items = [
        {
            "sku": e.item.sku,
            "name": e.item.name,
            "quantity": e.choice.quantity,
            "eligible": e.decision.eligible,
            "not_eligible_reason": e.decision.not_eligible_reason,
            "window_ends": e.decision.window_ends.isoformat() if e.decision.window_ends else None,
            "resolutions": [str(r) for r in e.decision.resolutions],
            "methods": [str(m) for m in e.decision.methods],
            "needs_review": e.decision.needs_review,
            "answer_code": str(e.decision.answer),
            "estimate": _money(e.decision.estimate),
            # The product's other variants in stock, for an exchange; empty: ask in free text.
            "exchange_choices": [{"sku": c.sku, "label": c.label}
                                 for c in submission.exchange_choices([e.item.sku])],
        }
        for e in evaluated
    ]
    with force_locale(lang):
        answer = " ".join(dict.fromkeys(str(ANSWERS[e.decision.answer]) for e in evaluated))
    return {
        "items": items,
        "articles": [{"key": a.key, "title": a.title,
                      "url": url_for("articles.article", lang=a.lang, slug=a.slug, _external=True)}
                     for a in articles],
        "answer": answer,
    }


@bp.post("/deflect")
@bp.arguments(s.DeflectRequestSchema)
@bp.response(200, s.DeflectResponseSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such session")
@bp.alt_response(409, schema=ErrorSchema, description="The session already ended")
def deflect(data: dict[str, Any]) -> dict[str, Any]:
    """The shopper's problem was solved by an article: no ticket."""
    with write_transaction():
        wiz.deflect(wiz.load_session(data["session"]), data.get("article_key"))
    return {"outcome": "deflected"}


@bp.post("")
@bp.arguments(s.IdempotencyHeaderSchema, location="headers")
@bp.arguments(s.CreateRequestSchema)
@bp.response(201, s.CreatedSchema, description="Created")
@bp.alt_response(200, schema=s.CreatedSchema, description="The ticket already created with this Idempotency-Key")
@bp.alt_response(404, schema=ErrorSchema, description="No such session")
@bp.alt_response(409, schema=ErrorSchema, description="Already returned, or out of order")
@bp.alt_response(422, schema=ErrorSchema, description="Not eligible under the returns policy")
def create(headers: dict[str, Any], data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Open the return ticket (approved within policy, needs_review otherwise)."""
    with write_transaction():
        # Not touched on loading: opening the return ends the session (and records the time).
        session = wiz.load_session(data["session"], touch=False)
        ticket, token, created = submission.create_return(
            session, wiz.parse_lines(data["items"]), resolution=data["resolution"], method=data["method"],
            store_code=data.get("store"), note=data.get("note"), exception=data["exception"],
            idempotency_key=headers.get("idempotency_key"), exchange_variant=data.get("exchange_variant"),
        )
        body = _created_body(ticket, token)
    return body, 201 if created else 200


@bp.post("/estimate")
@bp.arguments(s.EstimateRequestSchema)
@bp.response(200, s.EstimateResponseSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such session")
def estimate(data: dict[str, Any]) -> dict[str, Any]:
    """What a return would pay for a chosen resolution and method (nothing is created)."""
    exception = data["exception"]
    with write_transaction():
        session = wiz.load_session(data["session"])
        evaluated = wiz.evaluate(session, wiz.parse_lines(data["items"]))
        resolutions, methods = submission.choices_for(evaluated, exception)
        if data["resolution"] not in resolutions or data["method"] not in methods:
            raise KbError(400, "invalid_choice", "Choose a resolution and a method offered for these items.")
        result = submission.estimate_for(session, evaluated, data["resolution"], data["method"])
        review = submission.review_preview(session, evaluated, result, exception)
    return {"resolutions": [str(r) for r in resolutions], "methods": [str(m) for m in methods],
            "estimate": _money(result), "review_reasons": review}


@bp.post("/photos")
@photo_rate
@bp.arguments(s.PhotoUploadSchema, location="files")
@bp.response(201, s.PhotosResponseSchema, description="Stored")
@bp.alt_response(404, schema=ErrorSchema, description="No such session")
@bp.alt_response(413, schema=ErrorSchema, description="A photo over 5 MB")
def photos(form: dict[str, Any]) -> dict[str, Any]:
    """Attach up to three photos (JPEG, PNG or WebP, 5 MB each) for a faulty or damaged item."""
    files = form["photo"]
    # Decoded before the write lock, and before anything is written.
    cleaned = clean_uploads([upload.read(MAX_BYTES + 1) for upload in files])
    with write_transaction():
        session = wiz.load_session(form["session"])
        if not any(line.reason in SELLER_FAULT_REASONS for line in wiz.selection(session)):
            raise KbError(400, "photos_not_needed",
                          "Photos are for a faulty, damaged or wrong item: choose such a reason first.")
        stored = store_photos(session.id, cleaned)
        body = [{"id": a.id, "mime": a.mime, "size": a.size} for a in stored]
    return {"photos": body}


def _created_body(ticket: Ticket, token: str) -> dict[str, Any]:
    from kb.tickets.notify import status_url

    return {
        "reference": ticket.reference,
        "status": ticket.status,
        "token": token,
        "status_url": status_url(ticket, token),
        "slip_url": url_for("wizard.slip", lang=ticket.lang, reference=ticket.reference, token=token,
                            _external=True),
        "estimate": {"currency": ticket.currency, "items_total": str(ticket.estimate_items),
                     "fee": str(ticket.estimate_fee), "deduction": str(ticket.estimate_deduction),
                     "total": str(ticket.estimate_total)},
    }


def _ticket_from_token(reference: str) -> Ticket:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else request.args.get("token", "")
    ticket = find_ticket_for_shopper(reference, token)
    if ticket is None:
        raise KbError(404, "not_found", "No return with this reference and token.")
    return ticket


@bp.get("/<reference>")
@bp.arguments(s.TokenQuerySchema, location="query")
@bp.response(200, s.ReturnStatusSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No return with this reference and token")
@bp.doc(security=[{"ticketToken": []}, {}])
def show(query: dict[str, Any], reference: str) -> dict[str, Any]:
    """A return's status, history and replies, for the holder of its token."""
    ticket = _ticket_from_token(reference)
    with force_locale(ticket.lang):
        history = [{"kind": e.kind, "label": str(EVENTS.get(e.kind, e.kind)), "message": e.message,
                    "at": e.created_at.isoformat(), "by": "shopper" if e.actor == "shopper" else "team"}
                   for e in ticket.events if e.public]
        label = str(STATUSES[ticket.status])
    return {
        "reference": ticket.reference, "status": ticket.status, "status_label": label,
        "resolution": ticket.resolution, "method": ticket.method, "store": ticket.store_code,
        "created_at": ticket.created_at.isoformat(),
        "items": [{"sku": i.sku, "quantity": i.quantity, "reason": i.reason} for i in ticket.items],
        "estimate": {"currency": ticket.currency, "total": str(ticket.estimate_total)},
        "history": history,
        "replies": [h for h in history if h["kind"] in ("reply", "shopper_reply")],
    }


@bp.post("/<reference>/messages")
@bp.arguments(s.ReplySchema)
@bp.response(201, s.SentSchema, description="Sent")
@bp.alt_response(404, schema=ErrorSchema, description="No return with this reference and token")
@bp.doc(security=[{"ticketToken": []}])
def reply(data: dict[str, Any], reference: str) -> dict[str, Any]:
    """The shopper writes to the team from the status page."""
    with write_transaction():
        shopper_reply(_ticket_from_token(reference), data["message"])
    return {"ok": True}
