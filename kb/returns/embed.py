"""The single-page returns assistant: its translated strings, the embed page and ``/embed.js``."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _

from kb.config import LANGUAGES
from kb.policy import SELLER_FAULT_REASONS, Reason
from kb.returns import labels, submission
from kb.returns.messages import PICK_CONDITION, PICK_ONE, SHOPPER_ERRORS, VARIANT_MISSING
from kb.returns.resend import CONFIRMATION
from kb.shop import current_policy

bp = Blueprint("embed", __name__)

# An origin a CSP source list can hold: scheme, host (a leading "*." is allowed), optional port.
# Anything else in EMBED_ORIGINS (quotes, ";", paths) is dropped so it cannot bend the header.
ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")
EMBED_JS_MAX_AGE = 3600  # shops cache the loader for an hour; it changes rarely


def embed_origins() -> list[str]:
    """The shop origins allowed to frame the embed page, from ``EMBED_ORIGINS``."""
    raw = str(current_app.config.get("EMBED_ORIGINS") or "")
    origins = []
    for entry in raw.split():
        origin = entry.rstrip("/")
        if ORIGIN.match(origin) and origin not in origins:
            origins.append(origin)
    return origins


def _coded(mapping: dict[str, Any]) -> list[dict[str, str]]:
    """Codes and words as a list: ``tojson`` sorts object keys, and the order matters here."""
    return [{"code": code, "label": str(label)} for code, label in mapping.items()]


def _words(mapping: dict[str, Any]) -> dict[str, str]:
    return {code: str(label) for code, label in mapping.items()}


def _exception_choices() -> dict[str, list[str]]:
    """What a shopper may ask for in an exception request, from the wizard's own rule."""
    # choices_for only reads decision.eligible: one ineligible line gives the exception lists.
    ineligible = SimpleNamespace(decision=SimpleNamespace(eligible=False))
    resolutions, methods = submission.choices_for([ineligible], exception=True)  # type: ignore[list-item]  # a stand-in
    return {"resolutions": [str(r) for r in resolutions], "methods": [str(m) for m in methods]}


def _text() -> dict[str, str]:
    """The assistant's own sentences; ``%(name)s`` placeholders are filled in by the script."""
    policy = current_policy()
    return {
        "progress": _("Progress"),
        "step_of": _("Step %(number)s of %(total)s: %(label)s"),
        "back": _("Back"),
        "continue": _("Continue"),
        "new_tab": _("(opens in a new tab)"),
        "full_page": _("Prefer one page per step? Use the full-page returns assistant."),
        # Step 1
        "find_title": _("Find your order"),
        "find_lead": _("No account needed. We only use these details to find your order."),
        "find_how": _("How to find the order"),
        "mode_number": _("I have my order number"),
        "mode_transaction": _("No receipt? Use the payment transaction ID"),
        "order_number": _("Order number"),
        "order_number_hint": _("In your order confirmation e-mail, e.g. A1001."),
        "transaction_id": _("Payment transaction ID"),
        "transaction_hint": _("On your bank or card statement, or your PayPal receipt, "
                              "e.g. P01-1234567-7654321."),
        "email": _("E-mail address used for the order"),
        "find_submit": _("Find my order"),
        "expired": _("Your returns session has expired. Please find your order again."),
        # Step 2
        "items_title": _("What would you like to return?"),
        "order_line": _("Order %(number)s, placed on %(date)s."),
        "seller_line": _("Sold by %(seller)s on our marketplace."),
        "quantity_ordered": _("Quantity ordered: %(n)s"),
        "final_sale": _("Final sale"),
        "already_in_return": _("Already in a return"),
        "pick": _("Return this item"),
        "resend_lead": _("Lost the link to that return?"),
        "resend": _("Resend my link"),
        "resend_done": str(CONFIRMATION),
        "how_many": _("How many"),
        "why": _("Why"),
        "choose_reason": _("Choose a reason"),
        "its_condition": _("Its condition"),
        "choose_condition": _("Choose a condition"),
        "photos": _("Photos of the problem (optional)"),
        "photos_hint": _("For faulty, damaged or wrong items: up to 3 photos, JPEG, PNG or WebP, "
                         "5 MB each. Only our team sees them."),
        "photos_sent": _("Photos already attached: %(count)s."),
        "note": _("Anything else we should know? (optional)"),
        "pick_one": str(PICK_ONE),
        "pick_reason": _("Choose why you are returning %(name)s."),
        "pick_condition": str(PICK_CONDITION),
        # Step 3
        "help_title": _("Here is what you can do"),
        "until": _("You can return it until %(date)s."),
        "estimated": _("Estimated refund: %(amount)s"),
        "after_fee": _("after a %(fee)s return shipping fee"),
        "review": _("An agent will review this request."),
        "report_from": _("You can report it from %(date)s."),
        "articles_title": _("These answers may solve it"),
        "no_articles": _("We have no article for this case yet. You can go straight on with your "
                         "return."),
        "solved": _("This solved it, thank you"),
        "still_return": _("I still want to return it"),
        "report_missing": _("Report it as not received"),
        # Step 4
        "confirm_title": _("How would you like it sorted?"),
        "outside_policy": _("Some items are outside our returns policy. You can still ask an agent "
                            "for an exception: they will answer within %(hours)s hours.",
                            hours=policy.response_hours),
        "ask_exception": _("Ask for an exception"),
        "what_like": _("What would you like?"),
        "how_back": _("How will it come back to us?"),
        "store": _("Store (if you bring it to a store)"),
        "choose_store": _("Choose a store"),
        "no_common_choice": _("These items cannot go into one return together. Go back and return "
                              "them one at a time."),
        "estimate_title": _("Your estimated refund"),
        "items": _("Items"),
        "original_shipping": _("Original shipping"),
        "fee": _("Return shipping fee"),
        "free": _("Free"),
        "deduction": _("Deduction for used items"),
        "total": _("Total"),
        "confirm": _("Confirm my return"),
        "send_review": _("Send for review"),
        "review_title": _("An agent will check this return before it is approved, within %(hours)s hours.",
                          hours=policy.response_hours),
        "variant_label": _("Which size or colour would you like instead?"),
        "variant_hint": _("Only for an exchange, e.g. \"size M\" or \"blue, size 40\"."),
        "variant_missing": str(VARIANT_MISSING),
        "variant_stock_hint": _("Only for an exchange. These are the ones we have in stock."),
        "variant_choose": _("Choose one"),
        "exchange_title": _("What the exchange costs"),
        "exchange_text": _("Nothing: the exchange and its shipping are free. We send the size or colour you "
                           "ask for once your item reaches us."),
        "repair_title": _("What the repair costs"),
        "repair_text": _("Nothing: the repair is covered by our warranty, and we send the item back to you."),
        "estimate_if_granted": _("Your estimated refund, if the exception is granted"),
        "granted_only": _("This applies only if an agent grants the exception."),
        "already_done": _("This return is already created: here it is again. To return something else, "
                          "start another return."),
        "cannot_restore": _("We could not bring back your return in progress here (it is kept only in "
                            "the tab where you started it). Please find your order again."),
        # Step 5
        "done_title": _("Return %(reference)s"),
        "approved_lead": _("Your return is approved. We have sent the details to %(email)s."),
        # Fill the hours now; the e-mail stays a placeholder for the script.
        "review_lead": _("Your request is with our team. An agent will answer within %(hours)s "
                         "hours; we have sent the details to %(email)s.",
                         hours=policy.response_hours, email="%(email)s"),
        "next_title": _("What to do now"),
        "step_store": _("Bring the items and this return's slip (printed or on your phone) to "
                        "%(store)s.", store="%(store)s"),
        "any_store": _("any of our stores"),
        "step_none": _("There is nothing to send back. We will let you know here as soon as it is "
                       "settled."),
        "step_pack": _("Pack the items securely, with the return slip inside."),
        "step_dropoff": _("Show the label's drop-off QR code at a %(carrier)s drop-off point, or stick "
                          "the printed label on the parcel.", carrier=policy.carrier),
        "step_carrier": _("Print the return label, stick it on the parcel and hand it to %(carrier)s.",
                          carrier=policy.carrier),
        "step_refund": _("Once we receive the items, refunds reach your payment method within "
                         "%(days)s business days.", days=policy.refund_business_days),
        "after_exchange": _("Once we receive the item, we send you the size or colour you asked for, "
                            "free of charge."),
        "after_repair": _("Once we receive the item, we repair it and send it back to you, free of "
                          "charge."),
        "after_credit": _("Once we receive the items, your store credit is available straight away."),
        "open_slip": _("Open the return slip"),
        "open_label": _("Open the return label"),
        "open_status": _("Follow this return"),
        "private_link": _("Keep this link private: anyone who has it can see your return."),
        "solved_title": _("Glad we could help"),
        "solved_lead": _("No return was created. If anything changes, you can start again at any "
                         "time within the return period."),
        "start_again": _("Start another return"),
    }


def _errors() -> dict[str, str]:
    """The API's error codes in the shopper's words (the script falls back to the API's message)."""
    errors = {code: str(message) for code, message in SHOPPER_ERRORS.items()}
    errors["network"] = errors["unavailable"]
    return errors


def wizard_strings() -> dict[str, Any]:
    """Everything the single-page assistant shows, in the current request's language."""
    return {
        # The five steps of templates/returns/_progress.html.
        "steps": [_("Find your order"), _("Items and reason"), _("Answers"), _("Your return"),
                  _("Done")],
        "text": _text(),
        "errors": _errors(),
        "reasons": _coded(labels.REASONS),
        "conditions": _coded(labels.CONDITIONS),
        "resolutions": _coded(labels.RESOLUTIONS),
        "methods": _coded(labels.METHODS),
        "not_eligible": _words(labels.NOT_ELIGIBLE),
        "answers": _words(labels.ANSWERS),
        "statuses": _words(labels.STATUSES),
        "seller_fault_reasons": [str(r) for r in Reason if r in SELLER_FAULT_REASONS],
        "exception_choices": _exception_choices(),
        # Why a return goes to an agent, shown before the confirm button (%(limit)s: the
        # receipt-less limit, formatted by the script in the order's currency).
        "review_reasons": _words(labels.REVIEW_REASONS),
        "receiptless_limit": str(current_policy().receiptless_review_over),
        "missing_reason": str(Reason.NOT_RECEIVED),
        "missing_condition": labels.MISSING_PARCEL_CONDITION,
        "timezone": current_policy().timezone,
        "stores": [{"code": s.code, "name": s.name, "address": s.address, "city": s.city,
                    "country": s.country} for s in current_policy().stores],
    }


@bp.app_template_global("wizard_strings")
def _wizard_strings_global() -> dict[str, Any]:
    """``wizard_strings()`` in templates, for the pages that mount the assistant."""
    return wizard_strings()


@bp.get("/embed/<lang:lang>")
def page(lang: str) -> str:
    """The assistant alone, for a shop's iframe; only the configured origins may frame it."""
    origins = embed_origins()
    # None leaves web._security_headers at 'none' (and X-Frame-Options: DENY).
    g.frame_ancestors = " ".join(origins) or None
    return render_template("returns/embed.html", parent_origins=origins)


@bp.get("/embed.js")
def loader() -> ResponseReturnValue:
    """The script a shop includes: it puts the assistant's iframe where the script tag is."""
    frames = {}
    for code in LANGUAGES:
        with force_locale(code):
            frames[code] = {"path": url_for("embed.page", lang=code),
                            "title": _("Returns assistant"),
                            "hub": url_for("returns.hub", lang=code),
                            "link": _("Start a return")}
    # Without allowed origins the frame would stay blank (nobody may frame it): a shop that
    # has not been configured yet shows a plain link to the returns hub instead.
    body = render_template("returns/embed.js", frames=frames, framed=bool(embed_origins()))
    response = Response(body, mimetype="application/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = EMBED_JS_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)
