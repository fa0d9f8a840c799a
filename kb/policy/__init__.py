"""The returns policy engine: pure functions from an order's facts to decisions and caps.

It knows nothing of Flask or of the database; ``today`` is always an argument.
"""

from __future__ import annotations

from kb.policy.amounts import (
    Estimate,
    ItemFacts,
    OrderFacts,
    RefundCheck,
    ReturnLine,
    check_refund,
    covers_whole_order,
    estimate_return,
    goodwill_cap,
    goodwill_remaining,
    review_reasons,
)
from kb.policy.codes import (
    CHANGE_OF_MIND_REASONS,
    SELLER_FAULT_REASONS,
    Answer,
    Channel,
    Condition,
    Method,
    NotEligible,
    Reason,
    ReasonKind,
    RefundCode,
    Resolution,
    ReviewReason,
    reason_kind,
)
from kb.policy.engine import Decision, decide, local_date, offered_for_all, shop_today
from kb.policy.money import floor_to_minor, minor_unit, parse_money, quantize
from kb.policy.policy_file import (
    Address,
    Policy,
    PolicyError,
    Store,
    load_policy,
    parse_policy,
    placeholder_values,
)

__all__ = [
    "CHANGE_OF_MIND_REASONS",
    "SELLER_FAULT_REASONS",
    "Address",
    "Answer",
    "Channel",
    "Condition",
    "Decision",
    "Estimate",
    "ItemFacts",
    "Method",
    "NotEligible",
    "OrderFacts",
    "Policy",
    "PolicyError",
    "Reason",
    "ReasonKind",
    "RefundCheck",
    "RefundCode",
    "Resolution",
    "ReturnLine",
    "ReviewReason",
    "Store",
    "check_refund",
    "covers_whole_order",
    "decide",
    "estimate_return",
    "floor_to_minor",
    "goodwill_cap",
    "goodwill_remaining",
    "load_policy",
    "local_date",
    "minor_unit",
    "offered_for_all",
    "parse_money",
    "parse_policy",
    "placeholder_values",
    "quantize",
    "reason_kind",
    "review_reasons",
    "shop_today",
]
