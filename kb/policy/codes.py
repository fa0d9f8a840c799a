"""The codes the policy engine speaks in: reasons, conditions, resolutions and answers."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Reason(StrEnum):
    """Why the shopper wants to send an item back."""

    CHANGED_MIND = "changed_mind"
    WRONG_SIZE = "wrong_size"
    NOT_AS_DESCRIBED = "not_as_described"
    DEFECTIVE = "defective"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    WRONG_ITEM = "wrong_item"
    MISSING_PARTS = "missing_parts"
    NOT_RECEIVED = "not_received"
    ARRIVED_LATE = "arrived_late"
    OTHER = "other"


class ReasonKind(StrEnum):
    """Which set of rules a reason falls under."""

    CHANGE_OF_MIND = "change_of_mind"
    SELLER_FAULT = "seller_fault"
    NOT_RECEIVED = "not_received"


SELLER_FAULT_REASONS: Final = frozenset(
    {
        Reason.DEFECTIVE,
        Reason.DAMAGED_IN_TRANSIT,
        Reason.WRONG_ITEM,
        Reason.NOT_AS_DESCRIBED,
        Reason.MISSING_PARTS,
    }
)
# A late parcel is annoying but the goods are as ordered, so it is handled as a change of mind.
CHANGE_OF_MIND_REASONS: Final = frozenset(
    {Reason.CHANGED_MIND, Reason.WRONG_SIZE, Reason.ARRIVED_LATE, Reason.OTHER}
)


def reason_kind(reason: Reason | str) -> ReasonKind:
    """Classify a reason as a change of mind, a seller fault or a parcel not received."""
    reason = Reason(reason)
    if reason in SELLER_FAULT_REASONS:
        return ReasonKind.SELLER_FAULT
    if reason is Reason.NOT_RECEIVED:
        return ReasonKind.NOT_RECEIVED
    return ReasonKind.CHANGE_OF_MIND


class Condition(StrEnum):
    """The state of the item the shopper sends back."""

    UNOPENED = "unopened"
    LIKE_NEW = "like_new"
    USED = "used"
    DAMAGED = "damaged"


# Conditions that cost part of the refund on a change of mind.
WORN_CONDITIONS: Final = frozenset({Condition.USED, Condition.DAMAGED})


class Resolution(StrEnum):
    """What the shopper gets in return; the declaration order is the order offered."""

    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    GUARANTEE_CLAIM = "guarantee_claim"


class Method(StrEnum):
    """How the item travels back; ``none`` means there is nothing to send."""

    CARRIER = "carrier"
    STORE = "store"
    DROPOFF = "dropoff"
    NONE = "none"


class Channel(StrEnum):
    """Where the order was placed."""

    ONLINE = "online"
    STORE = "store"
    MARKETPLACE = "marketplace"


class NotEligible(StrEnum):
    """Why a return is refused."""

    FINAL_SALE = "final_sale"
    WINDOW_EXPIRED = "window_expired"
    NOT_RETURNABLE_CATEGORY = "not_returnable_category"
    ALREADY_RETURNED = "already_returned"
    NOT_DELIVERED = "not_delivered"
    TOO_EARLY = "too_early"


class Answer(StrEnum):
    """The self-help step the wizard shows for a decision."""

    REFUND_FULL = "refund_full"
    REFUND_PARTIAL_USED = "refund_partial_used"
    EXCHANGE_FREE = "exchange_free"
    SELLER_FAULT_FREE_RETURN = "seller_fault_free_return"
    REPAIR_WARRANTY = "repair_warranty"
    GUARANTEE_CLAIM = "guarantee_claim"
    NOT_RECEIVED_CLAIM = "not_received_claim"
    TRACK_PARCEL = "track_parcel"
    WINDOW_EXPIRED = "window_expired"
    FINAL_SALE = "final_sale"
    NOT_RETURNABLE = "not_returnable"
    ALREADY_RETURNED = "already_returned"


class ReviewReason(StrEnum):
    """Why a decision goes to an agent instead of being approved at once."""

    FREQUENT_RETURNER = "frequent_returner"
    RECEIPTLESS_OVER_LIMIT = "receiptless_over_limit"
    NOT_RECEIVED = "not_received"
    CARRIER_SAYS_DELIVERED = "carrier_says_delivered"
    MARKETPLACE_GUARANTEE = "marketplace_guarantee"


class RefundCode(StrEnum):
    """Why an agent's refund was refused by ``check_refund``."""

    INVALID_AMOUNT = "invalid_amount"
    OVER_CAP = "over_cap"
