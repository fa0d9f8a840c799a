"""Words agents read for the desk's codes (staff wording; shoppers see kb.returns.labels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kb.policy import Channel

STATUSES = {
    "needs_review": _l("Needs review"),
    "approved": _l("Approved"),
    "received": _l("Received"),
    "refunded": _l("Refunded"),
    "exchanged": _l("Exchanged"),
    "repaired": _l("Repaired"),
    "closed": _l("Closed"),
    "declined": _l("Declined"),
}
STATUS_FILTERS = {"open": _l("Open (all but closed and declined)"), "all": _l("All"), **STATUSES}
ACTIONS = {
    "approve": _l("Approve"),
    "decline": _l("Decline"),
    "receive": _l("Mark received"),
    "refund": _l("Refund"),
    "exchange": _l("Exchange sent"),
    "repair": _l("Repair done"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
    "reply": _l("Reply to the shopper"),
    "note": _l("Internal note"),
}
EVENTS = {
    "opened": _l("Opened by the shopper"),
    "asked": _l("Question from the shopper"),
    "approved": _l("Approved"),
    "declined": _l("Declined"),
    "received": _l("Items received"),
    "refunded": _l("Refunded"),
    "refund_pending": _l("Refund waiting for a second agent"),
    "exchanged": _l("Exchange sent"),
    "repaired": _l("Repair done"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "reply": _l("Reply to the shopper"),
    "note": _l("Internal note"),
    "shopper_reply": _l("Message from the shopper"),
    "assigned": _l("Assigned"),
    "unassigned": _l("Unassigned"),
}
KINDS = {"return": _l("Return"), "question": _l("Question")}
CHANNELS = {Channel.ONLINE: _l("Online"), Channel.STORE: _l("Store"), Channel.MARKETPLACE: _l("Marketplace")}
LANGUAGES = {"en": _l("English"), "fr": _l("French")}
AGES = {1: _l("Older than 1 day"), 3: _l("Older than 3 days"), 7: _l("Older than 7 days")}
ASSIGNED = {"me": _l("Assigned to me"), "none": _l("Unassigned")}
REVIEW_REASONS = {
    "exception_requested": _l("The shopper asks for an exception to the policy"),
    "frequent_returner": _l("Frequent returner (many returns in 12 months)"),
    "receiptless_over_limit": _l("No receipt, and worth more than the limit"),
    "not_received": _l("Parcel reported as not received"),
    "carrier_says_delivered": _l("The carrier says it was delivered"),
    "marketplace_guarantee": _l("Marketplace guarantee claim"),
}
REFUND_METHODS = {"original_payment": _l("Original payment"), "store_credit": _l("Store credit")}
REFUND_STATUSES = {
    "confirmed": _l("Confirmed"),
    "pending_confirmation": _l("Waiting for a second agent"),
}
ROLES = {"writer": _l("Writer"), "agent": _l("Agent"), "admin": _l("Administrator")}
# TicketError codes, as agents read them; the service's own (English) detail follows.
ERRORS = {
    "illegal_transition": _l("That action is not possible in the ticket's current status."),
    "over_cap": _l("This is more than the order still allows."),
    "review_not_checked": _l(
    "This ticket is still under review: approve it first, or tick the box to confirm you checked why it was flagged."
    ),
    "invalid_amount": _l("Amounts must be plain numbers such as 12.50, and more than zero in all."),
    "invalid_method": _l("Choose how the money is paid back."),
    "invalid_reason": _l("Choose why the return is declined."),
    "invalid_condition": _l("Choose the condition the items arrived in."),
    "empty_message": _l("Please write a message."),
    "message_too_long": _l("Messages may have at most 5,000 characters."),
    "invalid_action": _l("Unknown action."),
    "already_returned": _l("These items are already in another return."),
    "same_agent": _l("Another agent must confirm this refund."),
    "not_pending": _l("This refund does not wait for a confirmation."),
    "invalid_assignee": _l("Tickets can only be assigned to active agents."),
}


def error_text(code: str, detail: str) -> str:
    """The agent's message for a refused action: translated, with the service's detail."""
    known = ERRORS.get(code)
    return f"{known} ({detail})" if known is not None else detail
# The shop's words a catalogue mapping rule can match (``match`` in the policy file).
MATCH_KINDS = {"product_type": _l("Product type"), "tag": _l("Tag"), "vendor": _l("Vendor"),
               "sku_prefix": _l("SKU prefix")}
