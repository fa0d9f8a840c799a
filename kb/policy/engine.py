"""The return decision: from an order, an item, a reason, a condition and a date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from kb.policy.amounts import Estimate, ItemFacts, OrderFacts, ReturnLine, estimate_return
from kb.policy.codes import (
    WORN_CONDITIONS,
    Answer,
    Channel,
    Condition,
    Method,
    NotEligible,
    Reason,
    ReasonKind,
    Resolution,
    ReviewReason,
    reason_kind,
)
from kb.policy.policy_file import Policy

_T = TypeVar("_T")

OWN_METHODS: tuple[Method, ...] = (Method.CARRIER, Method.STORE, Method.DROPOFF)
# Marketplace sellers have no counter in our shops.
MARKETPLACE_METHODS: tuple[Method, ...] = (Method.CARRIER, Method.DROPOFF)


def local_date(policy: Policy, dt: datetime) -> date:
    """The calendar date of the aware datetime ``dt`` in the shop's time zone."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("an aware datetime is required (naive times are ambiguous)")
    return dt.astimezone(policy.zone).date()


def shop_today(policy: Policy, now: datetime) -> date:
    """Today's date in the shop's time zone, for the caller's aware ``now``."""
    return local_date(policy, now)


@dataclass(frozen=True)
class Decision:
    """Whether and how an item can come back, and what the default choice pays."""

    eligible: bool
    not_eligible_reason: NotEligible | None
    # Last day included of the window that applies; for too_early, the day claims open.
    window_ends: date | None
    resolutions: tuple[Resolution, ...]
    methods: tuple[Method, ...]
    # Refund (else the first resolution) by carrier (else the first method); None if refused.
    estimate: Estimate | None
    needs_review: bool
    review_reasons: tuple[str, ...]
    seller_fault: bool
    free_return_shipping: bool
    answer: Answer
    policy_version: str


@dataclass(frozen=True)
class _Offer:
    """An eligible outcome before its estimate is worked out."""

    window_ends: date | None
    resolutions: tuple[Resolution, ...]
    methods: tuple[Method, ...]
    answer: Answer
    seller_fault: bool = False
    free_return_shipping: bool = False
    review_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Refusal:
    """A refused outcome."""

    reason: NotEligible
    answer: Answer
    window_ends: date | None = None


def decide(
    policy: Policy,
    order: OrderFacts,
    item: ItemFacts,
    reason: Reason | str,
    condition: Condition | str,
    today: date,
    quantity: int = 1,
) -> Decision:
    """Decide whether ``quantity`` of ``item`` can come back for ``reason`` on ``today``."""
    reason, condition = Reason(reason), Condition(condition)
    _check_arguments(item, today, quantity)
    outcome: _Offer | _Refusal
    if quantity > item.remaining:
        # Part or all of it came back already: an item cannot be returned twice.
        outcome = _Refusal(NotEligible.ALREADY_RETURNED, Answer.ALREADY_RETURNED)
    else:
        kind = reason_kind(reason)
        if kind is ReasonKind.NOT_RECEIVED:
            outcome = _not_received(policy, order, today)
        elif kind is ReasonKind.SELLER_FAULT:
            outcome = _seller_fault(policy, order, item, reason, today)
        else:
            outcome = _change_of_mind(policy, order, item, reason, condition, today)
    if isinstance(outcome, _Refusal):
        return _refused(policy, outcome, reason)
    resolution = _default(outcome.resolutions, Resolution.REFUND)
    method = _default(outcome.methods, Method.CARRIER)
    line = ReturnLine(item=item, quantity=quantity, reason=reason, condition=condition)
    return Decision(
        eligible=True,
        not_eligible_reason=None,
        window_ends=outcome.window_ends,
        resolutions=outcome.resolutions,
        methods=outcome.methods,
        estimate=estimate_return(policy, order, [line], resolution, method),
        needs_review=bool(outcome.review_reasons),
        review_reasons=outcome.review_reasons,
        seller_fault=outcome.seller_fault,
        free_return_shipping=outcome.free_return_shipping,
        answer=outcome.answer,
        policy_version=policy.version,
    )


def _check_arguments(item: ItemFacts, today: date, quantity: int) -> None:
    """Refuse a call the engine cannot answer truthfully (a caller's bug, not a shopper's)."""
    # datetime is a date subclass; comparing it with dates raises, and it hides a zone bug.
    if isinstance(today, datetime) or not isinstance(today, date):
        raise TypeError("today must be a date in the shop's zone (see shop_today)")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError("quantity must be an int")
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    if quantity > item.quantity:
        raise ValueError(f"quantity {quantity} is more than the {item.quantity} ordered")


def _refused(policy: Policy, refusal: _Refusal, reason: Reason) -> Decision:
    """The decision for a refused line: nothing offered, the refusal's reason and answer."""
    return Decision(
        eligible=False,
        not_eligible_reason=refusal.reason,
        window_ends=refusal.window_ends,
        resolutions=(),
        methods=(),
        estimate=None,
        needs_review=False,
        review_reasons=(),
        seller_fault=reason_kind(reason) is ReasonKind.SELLER_FAULT,
        free_return_shipping=False,
        answer=refusal.answer,
        policy_version=policy.version,
    )


def _default(offered: tuple[_T, ...], preferred: _T) -> _T:
    return preferred if preferred in offered else offered[0]


def _start(policy: Policy, order: OrderFacts) -> date | None:
    """The first day of the return windows, or None while the parcel is on its way."""
    if order.channel is Channel.STORE:
        # Bought over the counter: delivery is the purchase itself.
        return local_date(policy, order.placed_at)
    if order.delivered_at is None:
        return None
    return local_date(policy, order.delivered_at)


def _change_of_mind(
    policy: Policy,
    order: OrderFacts,
    item: ItemFacts,
    reason: Reason,
    condition: Condition,
    today: date,
) -> _Offer | _Refusal:
    if item.final_sale:
        return _Refusal(NotEligible.FINAL_SALE, Answer.FINAL_SALE)
    if not policy.returnable_for_change_of_mind(item.category):
        return _Refusal(NotEligible.NOT_RETURNABLE_CATEGORY, Answer.NOT_RETURNABLE)
    start = _start(policy, order)
    if start is None:
        return _Refusal(NotEligible.NOT_DELIVERED, Answer.TRACK_PARCEL)
    ends = start + timedelta(days=policy.change_of_mind_days(item.category))
    if today > ends:
        return _Refusal(NotEligible.WINDOW_EXPIRED, Answer.WINDOW_EXPIRED, ends)
    if order.marketplace:
        resolutions: tuple[Resolution, ...] = (Resolution.REFUND, Resolution.STORE_CREDIT)
        methods = MARKETPLACE_METHODS
    else:
        resolutions = (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)
        methods = OWN_METHODS
    if reason is Reason.WRONG_SIZE and Resolution.EXCHANGE in resolutions:
        answer = Answer.EXCHANGE_FREE
    elif condition in WORN_CONDITIONS:
        answer = Answer.REFUND_PARTIAL_USED
    else:
        answer = Answer.REFUND_FULL
    return _Offer(ends, resolutions, methods, answer)


def _seller_fault(
    policy: Policy, order: OrderFacts, item: ItemFacts, reason: Reason, today: date
) -> _Offer | _Refusal:
    start = _start(policy, order)
    if start is None:
        # Nothing can be faulty about a parcel that has not arrived yet.
        return _Refusal(NotEligible.NOT_DELIVERED, Answer.TRACK_PARCEL)
    fault_ends = start + timedelta(days=policy.seller_fault_window_days)
    if order.marketplace:
        # The seller's goods: no repair warranty from us, a guarantee claim instead.
        if today > fault_ends:
            return _Refusal(NotEligible.WINDOW_EXPIRED, Answer.WINDOW_EXPIRED, fault_ends)
        return _Offer(
            fault_ends,
            (Resolution.GUARANTEE_CLAIM,),
            MARKETPLACE_METHODS,
            Answer.GUARANTEE_CLAIM,
            seller_fault=True,
            free_return_shipping=True,
            review_reasons=(ReviewReason.MARKETPLACE_GUARANTEE,),
        )
    repairable = reason is Reason.DEFECTIVE and policy.repairable(item.category)
    if today <= fault_ends:
        resolutions: tuple[Resolution, ...] = (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)
        if repairable:
            resolutions += (Resolution.REPAIR,)
        return _Offer(
            fault_ends,
            resolutions,
            OWN_METHODS,
            Answer.SELLER_FAULT_FREE_RETURN,
            seller_fault=True,
            free_return_shipping=True,
        )
    warranty_ends = start + timedelta(days=policy.warranty_days)
    if repairable and today <= warranty_ends:
        return _Offer(
            warranty_ends,
            (Resolution.REPAIR,),
            OWN_METHODS,
            Answer.REPAIR_WARRANTY,
            seller_fault=True,
            free_return_shipping=True,
        )
    ended = max(fault_ends, warranty_ends) if repairable else fault_ends
    return _Refusal(NotEligible.WINDOW_EXPIRED, Answer.WINDOW_EXPIRED, ended)


def _not_received(policy: Policy, order: OrderFacts, today: date) -> _Offer | _Refusal:
    if order.marketplace:
        resolutions: tuple[Resolution, ...] = (Resolution.GUARANTEE_CLAIM,)
        answer = Answer.GUARANTEE_CLAIM
        extra: tuple[str, ...] = (ReviewReason.MARKETPLACE_GUARANTEE,)
    else:
        # Exchange here means sending a replacement.
        resolutions = (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)
        answer = Answer.NOT_RECEIVED_CLAIM
        extra = ()
    start = _start(policy, order)
    ends: date | None
    if start is None:
        opens = local_date(policy, order.placed_at) + timedelta(days=policy.not_received_after_days)
        if today < opens:
            # Parcels run late more often than they get lost: track it first.
            return _Refusal(NotEligible.TOO_EARLY, Answer.TRACK_PARCEL, opens)
        # No end: the carrier never confirmed delivery, and an agent reviews every claim.
        ends, why = None, ReviewReason.NOT_RECEIVED
    else:
        # The carrier says delivered, the shopper says not: the seller-fault window applies.
        ends = start + timedelta(days=policy.seller_fault_window_days)
        if today > ends:
            return _Refusal(NotEligible.WINDOW_EXPIRED, Answer.WINDOW_EXPIRED, ends)
        why = ReviewReason.CARRIER_SAYS_DELIVERED
    return _Offer(ends, resolutions, (Method.NONE,), answer, review_reasons=(why, *extra))


def offered_for_all(
    decisions: Iterable[Decision],
) -> tuple[tuple[Resolution, ...], tuple[Method, ...]]:
    """The resolutions and methods every decision offers, in the codes' declaration order."""
    decisions = list(decisions)
    if not decisions:
        return (), ()
    resolutions = tuple(r for r in Resolution if all(r in d.resolutions for d in decisions))
    methods = tuple(m for m in Method if all(m in d.methods for d in decisions))
    return resolutions, methods
