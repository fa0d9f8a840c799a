"""The returns assistant as server-rendered pages: one form per step, no JavaScript needed."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kb.database import write_transaction
from kb.extensions import db, limiter
from kb.policy import SELLER_FAULT_REASONS
from kb.returns import money, submission
from kb.returns import wizard_service as wiz
from kb.returns.labels import (
    CONDITIONS,
    METHODS,
    MISSING_PARCEL_CONDITION,
    REASONS,
    RESOLUTIONS,
    review_explanations,
)
from kb.returns.messages import PICK_CONDITION, PICK_ONE, SHOPPER_ERRORS, VARIANT_MISSING
from kb.returns.models import WizardOutcome
from kb.shop import current_policy
from kb.tickets.photos import MAX_BYTES, PhotoError, clean_uploads, store_photos

bp = Blueprint("wizard", __name__)
SESSION_KEY = "wizard_token"


def lookup_limit() -> str:
    """The lookup rate limit from the configuration (e.g. "10 per minute")."""
    return str(current_app.config["RATELIMIT_LOOKUP"])


def _current(lang: str) -> wiz.WizardSession | None:
    # Loading the session records its last activity: a write, so it takes the lock up front
    # (a read transaction that later writes can fail on SQLite when another process wrote).
    try:
        with write_transaction():
            return wiz.load_session(session.get(SESSION_KEY))
    except wiz.WizardError:
        return None


def _restart(lang: str) -> ResponseReturnValue:
    flash(_("Your returns session has expired. Please find your order again."), "warning")
    return redirect(url_for("wizard.start", lang=lang))


# One budget for order lookups, whichever door they come through (this form or the API).
lookup_rate = limiter.shared_limit(lookup_limit, scope="order-lookup", methods=["POST"])


def photo_limit() -> str:
    """The photo upload rate limit from the configuration (e.g. "20 per hour")."""
    return str(current_app.config["RATELIMIT_PHOTOS"])


# One budget for requests carrying photos, through this form or the API: each costs a decode.
photo_rate = limiter.shared_limit(photo_limit, scope="photo-upload", methods=["POST"],
                                  exempt_when=lambda: not request.files)


@bp.route("/<lang:lang>/returns/start", methods=["GET", "POST"])
@lookup_rate
def start(lang: str) -> ResponseReturnValue:
    """Step 1: find the order by number and e-mail, or by transaction ID and e-mail."""
    mode = request.values.get("mode", "number")
    form = {"email": "", "order_number": "", "transaction_id": ""}
    error = None
    if request.method == "POST":
        form = {name: request.form.get(name, "")[:254] for name in form}
        try:
            with write_transaction():
                wsession, token = wiz.lookup(
                    email=form["email"],
                    order_number=form["order_number"] if mode == "number" else None,
                    transaction_id=form["transaction_id"] if mode == "transaction" else None,
                    lang=lang,
                    visit_id=g.visit_id,
                )
            session[SESSION_KEY] = token
            return redirect(url_for("wizard.items", lang=lang))
        except wiz.WizardError as exc:
            error = _translated_error(exc)
    return render_template("returns/start.html", form=form, mode=mode, error=error), 200 if not error else 400


@bp.route("/<lang:lang>/returns/items", methods=["GET", "POST"])
@photo_rate
def items(lang: str) -> ResponseReturnValue:
    """Steps 2 and 3: pick the items and quantities, then the reason and condition of each."""
    wsession = _current(lang)
    if wsession is None:
        return _restart(lang)
    previews = wiz.item_previews(wsession)
    chosen = {c.sku: c for c in wiz.selection(wsession)}
    errors: list[str] = []
    if request.method == "POST":
        lines, errors = _lines_from_form(previews)
        note = request.form.get("note", "")
        uploads = [f for f in request.files.getlist("photos") if f and f.filename]
        if not errors:
            try:
                # Photos only for a fault of the seller's; decoded before the write lock.
                wants_photos = uploads and any(line.reason in SELLER_FAULT_REASONS for line in lines)
                if wants_photos:
                    db.session.commit()  # a POST's reads hold the write lock: end them first
                cleaned = clean_uploads([u.read(MAX_BYTES + 1) for u in uploads]) if wants_photos else []
                with write_transaction():
                    wsession = wiz.load_session(session.get(SESSION_KEY))
                    wiz.self_help(wsession, lines, note)
                    if cleaned:
                        store_photos(wsession.id, cleaned)
                return redirect(url_for("wizard.help", lang=lang))
            except wiz.WizardError as exc:
                errors.append(_translated_error(exc))
            except PhotoError as exc:
                errors.append(_photo_error(exc))
        chosen = {c.sku: c for c in lines}
    else:
        db.session.commit()  # keep the session's last activity
    return render_template(
        "returns/items.html", wsession=wsession, previews=previews, chosen=chosen,
        reasons=REASONS, conditions=CONDITIONS, errors=errors,
        note=request.form.get("note", wsession.note), policy=current_policy(),
    ), 400 if errors else 200


def _lines_from_form(previews: list) -> tuple[list[wiz.LineChoice], list[str]]:
    lines, errors = [], []
    for item, left, _decision in previews:
        if request.form.get(f"pick-{item.sku}") != "1":
            continue
        raw_qty = request.form.get(f"qty-{item.sku}", "1")
        quantity = int(raw_qty) if (raw_qty.isascii() and raw_qty.isdigit()) else 0
        reason = request.form.get(f"reason-{item.sku}", "")
        condition = request.form.get(f"condition-{item.sku}", "")
        if reason == "not_received" and condition not in CONDITIONS:
            condition = MISSING_PARCEL_CONDITION  # a parcel that never came has no condition to ask
        if not 1 <= quantity <= max(left, 1):
            errors.append(_("Choose a quantity for %(name)s.", name=item.name))
        if reason not in REASONS:
            errors.append(_("Choose why you are returning %(name)s.", name=item.name))
        if condition not in CONDITIONS:
            errors.append(str(PICK_CONDITION) % {"name": item.name})
        lines.append(wiz.LineChoice(item.sku, max(quantity, 1), reason, condition))
    if not lines and not errors:
        errors.append(str(PICK_ONE))
    return lines, errors


@bp.get("/<lang:lang>/returns/help")
def help(lang: str) -> ResponseReturnValue:
    """Step 4: what the policy allows, and the articles that answer this case."""
    wsession = _current(lang)
    if wsession is None:
        return _restart(lang)
    lines = wiz.selection(wsession)
    if not lines or wsession.offered_at is None:
        return redirect(url_for("wizard.items", lang=lang))
    evaluated = wiz.evaluate(wsession, lines)
    from kb.articles.public import article_by_key

    offered = [a for a in (article_by_key(k, lang) for k in json.loads(wsession.offered_json)) if a]
    db.session.commit()
    return render_template("returns/help.html", wsession=wsession, evaluated=evaluated, articles=offered)


@bp.post("/<lang:lang>/returns/solved")
def solved(lang: str) -> ResponseReturnValue:
    """The shopper says self-help solved it: no ticket."""
    wsession = _current(lang)
    if wsession is None:
        return _restart(lang)
    key = request.form.get("article_key") or None
    try:
        with write_transaction():
            wsession = wiz.load_session(session.get(SESSION_KEY))
            # The page's form names the first article offered; the one the shopper opened last
            # (through wizard.read) is the one that solved it.
            opened = json.loads(wsession.opened_json or "[]")
            wiz.deflect(wsession, opened[-1] if opened else key)
    except wiz.WizardError as exc:
        flash(_translated_error(exc), "error")
        return redirect(url_for("wizard.help", lang=lang))
    session.pop(SESSION_KEY, None)
    return render_template("returns/solved.html")


@bp.get("/<lang:lang>/returns/read/<key>")
def read(lang: str, key: str) -> ResponseReturnValue:
    """Open an offered article, remembering that the shopper read it."""
    wsession = _current(lang)
    from kb.articles.public import article_by_key

    article = article_by_key(key[:80], lang)
    if article is None:
        abort(404)
    if wsession is not None:
        with write_transaction():
            wsession = wiz.load_session(session.get(SESSION_KEY))
            wiz.mark_opened(wsession, article.key)
    return redirect(url_for("articles.article", lang=lang, slug=article.slug))


@bp.route("/<lang:lang>/returns/confirm", methods=["GET", "POST"])
def confirm(lang: str) -> ResponseReturnValue:
    """Step 5: one resolution and one return method, the estimate, and confirmation."""
    wsession = _current(lang)
    if wsession is None:
        return _restart(lang)
    if wsession.outcome == WizardOutcome.TICKET:
        return _restart(lang)
    lines = wiz.selection(wsession)
    if not lines or wsession.offered_at is None:
        return redirect(url_for("wizard.items", lang=lang))
    evaluated = wiz.evaluate(wsession, lines)
    any_ineligible = any(not e.decision.eligible for e in evaluated)
    exception = request.values.get("exception") == "1"
    resolutions, methods = submission.choices_for(evaluated, exception)
    resolution = request.values.get("resolution") or (resolutions[0].value if resolutions else "")
    method = request.values.get("method") or (methods[0].value if methods else "")
    store = request.values.get("store") or ""
    variant = request.values.get("exchange_variant", "")[:submission.MAX_VARIANT]
    errors: list[str] = []
    estimate, review = None, []
    if resolution in resolutions and method in methods:
        estimate = submission.estimate_for(wsession, evaluated, resolution, method)
        review = submission.review_preview(wsession, evaluated, estimate, exception and any_ineligible)
    if request.method == "POST" and request.form.get("action") == "create":
        if resolution == "exchange" and not variant.strip():
            errors.append(str(VARIANT_MISSING))
    if request.method == "POST" and request.form.get("action") == "create" and not errors:
        try:
            with write_transaction():
                wsession = wiz.load_session(session.get(SESSION_KEY))
                ticket, token, _new = submission.create_return(
                    wsession, lines, resolution=resolution, method=method, store_code=store or None,
                    note=request.form.get("note"), exception=exception,
                    idempotency_key=request.form.get("idempotency_key") or None,
                    exchange_variant=variant,
                )
            session.pop(SESSION_KEY, None)
            return redirect(url_for("wizard.status", lang=lang, reference=ticket.reference, token=token, new=1))
        except wiz.WizardError as exc:
            errors.append(_translated_error(exc))
    db.session.commit()
    return render_template(
        "returns/confirm.html", wsession=wsession, evaluated=evaluated, resolutions=resolutions,
        methods=methods, resolution=resolution, method=method, store=store, estimate=estimate,
        exception=exception, any_ineligible=any_ineligible, errors=errors, labels_res=RESOLUTIONS,
        labels_met=METHODS, stores=current_policy().stores, idempotency_key=wiz.secrets.token_urlsafe(16),
        variant=variant, variant_choices=submission.variant_choices(lines), review=review_explanations(
            review, money(current_policy().receiptless_review_over, wsession.order.currency)),
    ), 400 if errors else 200


def _photo_error(exc: PhotoError) -> str:
    return str(SHOPPER_ERRORS.get(exc.code, SHOPPER_ERRORS["invalid_photo"]))


def _translated_error(exc: wiz.WizardError) -> str:
    """The shopper-facing message for a wizard error, in the page's language."""
    if exc.code == "session_not_found":
        # The page starts the shopper again itself (the embed asks to find the order again).
        return _("Your returns session has expired. Please start again.")
    return str(SHOPPER_ERRORS.get(exc.code, exc.message))
