"""Words shoppers read for the policy's codes, in their language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REASONS = {
    "changed_mind": _l("I changed my mind"),
    "wrong_size": _l("Wrong size or fit"),
    "not_as_described": _l("Not as described"),
    "defective": _l("Faulty or not working"),
    "damaged_in_transit": _l("Arrived damaged"),
    "wrong_item": _l("I received the wrong item"),
    "missing_parts": _l("Parts or accessories missing"),
    "not_received": _l("It never arrived"),
    "arrived_late": _l("It arrived too late"),
    "other": _l("Another reason"),
}
CONDITIONS = {
    "unopened": _l("Unopened, in its packaging"),
    "like_new": _l("Opened, like new"),
    "used": _l("Used"),
    "damaged": _l("Damaged"),
}
# The condition recorded for a parcel that never arrived: the shopper is not asked for one.
MISSING_PARCEL_CONDITION = "unopened"
RESOLUTIONS = {
    "refund": _l("Refund to my payment method"),
    "store_credit": _l("Store credit, straight away"),
    "exchange": _l("Exchange (another size or colour)"),
    "repair": _l("Repair under warranty"),
    "guarantee_claim": _l("Marketplace guarantee claim"),
}
METHODS = {
    "carrier": _l("Send it with the prepaid label"),
    "store": _l("Bring it to one of our stores"),
    "dropoff": _l("Leave it at a drop-off point"),
    "none": _l("Nothing to send back"),
}
NOT_ELIGIBLE = {
    "final_sale": _l("Final-sale items cannot be returned for a change of mind."),
    "window_expired": _l("The return period for this item has ended."),
    "not_returnable_category": _l("This kind of item cannot be returned for a change of mind."),
    "already_returned": _l("This item is already in a return."),
    "not_delivered": _l("This item has not been delivered yet."),
    "too_early": _l("It is too early to report this parcel as missing."),
}
ANSWERS = {
    "refund_full": _l("You can return this item for a full refund."),
    "refund_partial_used": _l("Used items can come back for a partial refund."),
    "exchange_free": _l("You can exchange it for another size or colour, free of charge."),
    "seller_fault_free_return": _l("As this is our fault, the return is free and fully refunded."),
    "repair_warranty": _l("This item is covered by our repair warranty: we will repair it for free."),
    "guarantee_claim": _l("Our marketplace guarantee covers this: an agent will review your claim."),
    "not_received_claim": _l(
        "You can report this parcel as not received: an agent will check with the carrier."
    ),
    "track_parcel": _l(
        "Your parcel is still within its delivery time: track it with the link in your shipping e-mail."
    ),
    "window_expired": _l("The return period has ended, but you can still ask an agent for an exception."),
    "final_sale": _l("Final-sale items cannot be returned for a change of mind, unless they are faulty."),
    "not_returnable": _l("This kind of item cannot be returned for a change of mind, unless it is faulty."),
    "already_returned": _l("This item is already in a return: follow it with the link in your e-mail."),
}
STATUSES = {
    "needs_review": _l("Being reviewed by an agent"),
    "approved": _l("Approved: waiting for your item"),
    "received": _l("Item received"),
    "refunded": _l("Refunded"),
    "exchanged": _l("Exchanged"),
    "repaired": _l("Repaired"),
    "closed": _l("Closed"),
    "declined": _l("Declined"),
}
DECLINE_REASONS = {
    "outside_policy": _l("The request is outside our returns policy."),
    "not_eligible_item": _l("This item cannot be returned."),
    "no_proof": _l("We could not confirm the problem from the information given."),
    "item_not_as_claimed": _l("The item we received does not match the request."),
    "other": _l("Please see the agent's message."),
}
EVENTS = {
    "opened": _l("Return requested"),
    "asked": _l("Question sent"),
    "approved": _l("Approved"),
    "declined": _l("Declined"),
    "received": _l("Items received"),
    "refunded": _l("Refund issued"),
    "exchanged": _l("Exchange sent"),
    "repaired": _l("Repair done"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "reply": _l("Message from our team"),
    "shopper_reply": _l("Your message"),
}

# Why a return goes to an agent, as the shopper reads it before confirming (the desk has its own
# words for agents in kb/desk/labels.py). %(limit)s is the receipt-less limit with its currency.
REVIEW_REASONS = {
    "exception_requested": _l("You are asking for an exception to our returns policy."),
    "frequent_returner": _l("You have made many returns in the last 12 months, so an agent checks each new one."),
    "receiptless_over_limit": _l("Without a receipt, returns worth more than %(limit)s are checked by an agent."),
    "not_received": _l("An agent checks a missing parcel with the carrier first."),
    "carrier_says_delivered": _l("The carrier says it delivered the parcel, so an agent looks into it."),
    "marketplace_guarantee": _l("Marketplace guarantee claims are checked by an agent."),
    "other": _l("An agent checks this kind of return."),
}


def review_explanations(codes: list[str], limit: str) -> list[str]:
    """The shopper's words for each review reason; ``limit`` is the receipt-less limit, formatted."""
    return [str(REVIEW_REASONS.get(code, REVIEW_REASONS["other"])) % {"limit": limit} for code in codes]
