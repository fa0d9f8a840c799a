"""The returns assistant as a JSON API, for the single-page flow, the embed and shops."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale

from kb.database import reads_until_written, write_transaction
from kb.extensions import csrf
from kb.policy import SELLER_FAULT_REASONS, Estimate
from kb.returns import submission
from kb.returns import wizard_service as wiz
from kb.returns.labels import ANSWERS, EVENTS, STATUSES
from kb.returns.resend import CONFIRMATION, resend_links
from kb.returns.wizard import lookup_rate, photo_rate
from kb.tickets.models import Ticket
from kb.tickets.photos import MAX_BYTES, PhotoError, clean_uploads, store_photos
from kb.tickets.service import TicketError, find_ticket_for_shopper, shopper_reply
from kb.web import ApiError, json_body, string_field

bp = Blueprint("returns_api", __name__, url_prefix="/api/v1/returns")
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


def _wizard_error(exc: wiz.WizardError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message)


@bp.post("/lookup")
@lookup_rate
@reads_until_written
def lookup() -> ResponseReturnValue:
    """Find the order and open a wizard session."""
    data = json_body({"order_number", "transaction_id", "email", "lang"}, {"email"})
    lang = string_field(data, "lang", 5) or _lang()
    if lang not in ("en", "fr"):
        raise ApiError(400, "invalid_lang", "lang must be en or fr.")
    try:
        found, receiptless = wiz.find_order(
            email=string_field(data, "email", 254, required=True) or "",
            order_number=string_field(data, "order_number", 40),
            transaction_id=string_field(data, "transaction_id", 80),
        )
        # What the shopper sees is read before the write, which then takes the lock only to insert.
        order, order_id = wiz.order_summary(found), found.id
        with write_transaction():
            _opened, token = wiz.open_session(order_id, lang=lang, receiptless=receiptless,
                                              visit_id=getattr(g, "visit_id", ""))
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc
    return jsonify({"session": token, "expires_in": int(wiz.SESSION_IDLE.total_seconds()), "order": order})


@bp.post("/resend")
@lookup_rate
@reads_until_written
def resend() -> ResponseReturnValue:
    """E-mail an order's return links to the order's address: 202, the same whether it matched or not."""
    data = json_body({"order_number", "transaction_id", "email", "lang"}, {"email"})
    lang = string_field(data, "lang", 5) or request.args.get("lang")
    if lang is not None and lang not in ("en", "fr"):
        raise ApiError(400, "invalid_lang", "lang must be en or fr.")
    try:
        resend_links(
            email=string_field(data, "email", 254, required=True) or "",
            order_number=string_field(data, "order_number", 40),
            transaction_id=string_field(data, "transaction_id", 80),
            lang=lang,
        )
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc
    with force_locale(lang or "en"):
        message = str(CONFIRMATION)
    return jsonify({"status": "accepted", "message": message}), 202


def _session(data: dict[str, Any], *, touch: bool = True) -> wiz.WizardSession:
    token = string_field(data, "session", 100, required=True)
    try:
        return wiz.load_session(token, touch=touch)
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc


@bp.post("/options")
@reads_until_written
def options() -> ResponseReturnValue:
    """Decide each item and offer the articles that answer the case (the self-help step)."""
    data = json_body({"session", "items", "note"}, {"session", "items"})
    try:
        # Decide and search without the write lock; only remembering the offer writes.
        session = _session(data, touch=False)
        lines = wiz.parse_lines(data["items"])
        evaluated, articles, note_text = wiz.advise(session, lines, data.get("note"))
        lang = session.lang
        body = _options_body(evaluated, articles, lang)
        with write_transaction():
            wiz.remember_offer(_session(data), lines, note_text, [a["key"] for a in body["articles"]])
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc
    return jsonify(body)


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
def deflect() -> ResponseReturnValue:
    """The shopper's problem was solved by an article: no ticket."""
    data = json_body({"session", "article_key"}, {"session"})
    try:
        with write_transaction():
            session = _session(data)
            wiz.deflect(session, string_field(data, "article_key", 80))
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc
    return jsonify({"outcome": "deflected"})


@bp.post("")
def create() -> ResponseReturnValue:
    """Open the return ticket (approved within policy, needs_review otherwise)."""
    data = json_body({"session", "items", "resolution", "method", "store", "note", "exception",
                      "exchange_variant"},
                     {"session", "items", "resolution", "method"})
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 80:
        raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key must have 1 to 80 characters.")
    try:
        with write_transaction():
            # Not touched on loading: opening the return ends the session (and records the time).
            session = _session(data, touch=False)
            lines = wiz.parse_lines(data["items"])
            ticket, token, created = submission.create_return(
                session, lines, resolution=data["resolution"], method=data["method"],
                store_code=data.get("store"), note=data.get("note"),
                exception=data.get("exception", False), idempotency_key=key,
                exchange_variant=data.get("exchange_variant"),
            )
            body = _created_body(ticket, token)
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc
    return jsonify(body), 201 if created else 200


@bp.post("/estimate")
def estimate() -> ResponseReturnValue:
    """What a return would pay for a chosen resolution and method (nothing is created)."""
    data = json_body({"session", "items", "resolution", "method", "exception"},
                     {"session", "items", "resolution", "method"})
    exception = data.get("exception", False)
    if not isinstance(exception, bool):
        raise ApiError(400, "invalid_exception", "exception must be true or false.")
    try:
        with write_transaction():
            session = _session(data)
            evaluated = wiz.evaluate(session, wiz.parse_lines(data["items"]))
            resolutions, methods = submission.choices_for(evaluated, exception)
            if data["resolution"] not in resolutions or data["method"] not in methods:
                raise ApiError(400, "invalid_choice", "Choose a resolution and a method offered for these items.")
            result = submission.estimate_for(session, evaluated, data["resolution"], data["method"])
            review = submission.review_preview(session, evaluated, result, exception)
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc
    return jsonify({"resolutions": [str(r) for r in resolutions], "methods": [str(m) for m in methods],
                    "estimate": _money(result), "review_reasons": review})


@bp.post("/photos")
@photo_rate
def photos() -> ResponseReturnValue:
    """Attach up to three photos (JPEG, PNG or WebP, 5 MB each) for a faulty or damaged item."""
    token = request.form.get("session", "")
    files = request.files.getlist("photo")
    if not files:
        raise ApiError(400, "missing_field", "Send one or more files in the 'photo' field.")
    try:
        # Decoded before the write lock, and before anything is written.
        cleaned = clean_uploads([upload.read(MAX_BYTES + 1) for upload in files])
        with write_transaction():
            session = wiz.load_session(token)
            if not any(line.reason in SELLER_FAULT_REASONS for line in wiz.selection(session)):
                raise ApiError(400, "photos_not_needed",
                               "Photos are for a faulty, damaged or wrong item: choose such a reason first.")
            stored = store_photos(session.id, cleaned)
            body = [{"id": a.id, "mime": a.mime, "size": a.size} for a in stored]
    except wiz.WizardError as exc:
        raise _wizard_error(exc) from exc
    except PhotoError as exc:
        raise ApiError(413 if exc.code == "photo_too_large" else 400, exc.code, exc.message) from exc
    return jsonify({"photos": body}), 201


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
        raise ApiError(404, "not_found", "No return with this reference and token.")
    return ticket


@bp.get("/<reference>")
def show(reference: str) -> ResponseReturnValue:
    """A return's status, history and replies, for the holder of its token."""
    ticket = _ticket_from_token(reference)
    with force_locale(ticket.lang):
        history = [{"kind": e.kind, "label": str(EVENTS.get(e.kind, e.kind)), "message": e.message,
                    "at": e.created_at.isoformat(), "by": "shopper" if e.actor == "shopper" else "team"}
                   for e in ticket.events if e.public]
        label = str(STATUSES[ticket.status])
    return jsonify({
        "reference": ticket.reference, "status": ticket.status, "status_label": label,
        "resolution": ticket.resolution, "method": ticket.method, "store": ticket.store_code,
        "created_at": ticket.created_at.isoformat(),
        "items": [{"sku": i.sku, "quantity": i.quantity, "reason": i.reason} for i in ticket.items],
        "estimate": {"currency": ticket.currency, "total": str(ticket.estimate_total)},
        "history": history,
        "replies": [h for h in history if h["kind"] in ("reply", "shopper_reply")],
    })


@bp.post("/<reference>/messages")
def reply(reference: str) -> ResponseReturnValue:
    """The shopper writes to the team from the status page."""
    data = json_body({"message"}, {"message"})
    message = string_field(data, "message", 5000, required=True) or ""
    with write_transaction():
        ticket = _ticket_from_token(reference)
        try:
            shopper_reply(ticket, message)
        except TicketError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from exc
    return jsonify({"ok": True}), 201


