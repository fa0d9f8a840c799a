"""The facts of an order and the money rules: return estimates, goodwill and refund caps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from kb.policy.codes import (
    WORN_CONDITIONS,
    Channel,
    Condition,
    Method,
    Reason,
    ReasonKind,
    RefundCode,
    Resolution,
    ReviewReason,
    reason_kind,
)
from kb.policy.money import check_currency, floor_to_minor, parse_money, quantize
from kb.policy.policy_file import Policy

ZERO = Decimal(0)


def _money(value: object, name: str) -> Decimal:
    """A non-negative, finite Decimal (or int); anything else is a bug in the caller."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a finite amount >= 0, got {value}")
    return amount


def _aware(value: object, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (naive times are ambiguous)")


@dataclass(frozen=True)
class OrderFacts:
    """What the engine needs to know about an order; datetimes are aware."""

    number: str
    channel: Channel
    currency: str
    placed_at: datetime
    delivered_at: datetime | None
    shipping: Decimal
    items_total: Decimal
    seller: str | None = None

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__: callers may pass plain strings.
        object.__setattr__(self, "channel", Channel(self.channel))
        check_currency(self.currency)
        _aware(self.placed_at, "placed_at")
        if self.delivered_at is not None:
            _aware(self.delivered_at, "delivered_at")
        object.__setattr__(self, "shipping", _money(self.shipping, "shipping"))
        object.__setattr__(self, "items_total", _money(self.items_total, "items_total"))

    @property
    def total(self) -> Decimal:
        """What was paid in all: items plus shipping."""
        return self.items_total + self.shipping

    @property
    def marketplace(self) -> bool:
        """Whether a third-party seller sold the order through the shop."""
        return self.channel is Channel.MARKETPLACE


@dataclass(frozen=True)
class ItemFacts:
    """One line of an order, with how many of it have already come back."""

    sku: str
    category: str
    unit_price: Decimal
    quantity: int
    final_sale: bool = False
    returned_quantity: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_price", _money(self.unit_price, "unit_price"))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError("quantity must be an int")
        if self.quantity < 1:
            raise ValueError(f"quantity must be at least 1, got {self.quantity}")
        returned = self.returned_quantity
        if isinstance(returned, bool) or not isinstance(returned, int):
            raise TypeError("returned_quantity must be an int")
        if not 0 <= returned <= self.quantity:
            raise ValueError(f"returned_quantity must be 0..{self.quantity}, got {returned}")

    @property
    def remaining(self) -> int:
        """How many of this line can still be sent back."""
        return self.quantity - self.returned_quantity


@dataclass(frozen=True)
class ReturnLine:
    """One item of a return: how many, why, and in what state."""

    item: ItemFacts
    quantity: int
    reason: Reason
    condition: Condition

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", Reason(self.reason))
        object.__setattr__(self, "condition", Condition(self.condition))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError("quantity must be an int")
        if self.quantity < 1:
            raise ValueError(f"quantity must be at least 1, got {self.quantity}")

    @property
    def value(self) -> Decimal:
        """What was paid for the items of this line."""
        return self.item.unit_price * self.quantity


@dataclass(frozen=True)
class Estimate:
    """What a return pays back; total = items_total + shipping - fee - deduction, never < 0.

    Exceptions: an exchange or a repair pays nothing back (total 0, items_total still shows
    the value), and a guarantee claim's total is capped at the guarantee cap.
    """

    currency: str
    items_total: Decimal
    fee: Decimal
    deduction: Decimal
    total: Decimal
    # The original order's shipping paid back with the items (0 unless the rules refund it).
    shipping: Decimal = field(default=ZERO)


@dataclass(frozen=True)
class RefundCheck:
    """An agent's refund judged against the order's caps."""

    ok: bool
    code: RefundCode | None
    message: str
    max_amount: Decimal
    max_goodwill: Decimal


def covers_whole_order(order: OrderFacts, lines: Sequence[ReturnLine]) -> bool:
    """Whether the lines add up to everything that was bought in the order."""
    # The engine only sees the lines of this return, so "every item" is judged by value.
    return sum((line.value for line in lines), ZERO) >= order.items_total


def estimate_return(
    policy: Policy,
    order: OrderFacts,
    lines: Sequence[ReturnLine],
    resolution: Resolution | str,
    method: Method | str,
) -> Estimate:
    """Estimate what one return of several lines pays back, with one resolution and method."""
    resolution, method = Resolution(resolution), Method(method)
    if not lines:
        raise ValueError("a return needs at least one line")
    _check_quantities(lines)
    currency = order.currency
    zero = quantize(ZERO, currency)
    items_total = quantize(sum((line.value for line in lines), ZERO), currency)

    if resolution in (Resolution.EXCHANGE, Resolution.REPAIR):
        # The shopper gets goods or a repair, not money.
        return Estimate(currency, items_total, zero, zero, zero, zero)

    if resolution is Resolution.GUARANTEE_CLAIM:
        # The guarantee covers the delivery charge like any seller fault: only when the claim
        # is for the whole order (a shopper who keeps part of it had that part delivered).
        shipping = quantize(order.shipping, currency) if covers_whole_order(order, lines) else zero
        cap = floor_to_minor(policy.guarantee_cap, currency)
        total = min(items_total + shipping, cap)
        return Estimate(currency, items_total, zero, zero, total, shipping)

    kinds = [reason_kind(line.reason) for line in lines]
    change_of_mind = ReasonKind.CHANGE_OF_MIND in kinds
    fee = zero
    if change_of_mind and method in (Method.CARRIER, Method.DROPOFF):
        fee = quantize(policy.return_fee, currency)
    kept = Decimal(100 - policy.used_refund_percent) / 100
    deduction = sum(
        (
            quantize(line.value * kept, currency)
            for line, kind in zip(lines, kinds, strict=True)
            if kind is ReasonKind.CHANGE_OF_MIND and line.condition in WORN_CONDITIONS
        ),
        zero,
    )
    # Shipping comes back only when the shop is at fault for the whole order (or it never
    # arrived): a shopper who keeps part of an order, or changed their mind, had it delivered.
    shipping = zero
    if not change_of_mind and covers_whole_order(order, lines):
        shipping = quantize(order.shipping, currency)
    total = max(items_total + shipping - fee - deduction, zero)
    return Estimate(currency, items_total, fee, deduction, total, shipping)


def _check_quantities(lines: Sequence[ReturnLine]) -> None:
    asked: Counter[str] = Counter()
    items: dict[str, ItemFacts] = {}
    for line in lines:
        asked[line.item.sku] += line.quantity
        items[line.item.sku] = line.item
    for sku, quantity in asked.items():
        if quantity > items[sku].remaining:
            raise ValueError(f"{sku}: {quantity} asked but only {items[sku].remaining} left")


def goodwill_cap(policy: Policy, order: OrderFacts) -> Decimal:
    """The most goodwill for the whole order: the lower of the percent and the fixed cap."""
    share = order.total * policy.goodwill_percent / 100
    return floor_to_minor(min(share, policy.goodwill_cap), order.currency)


def goodwill_remaining(policy: Policy, order: OrderFacts, already_paid: Decimal) -> Decimal:
    """The goodwill still allowed on the order once ``already_paid`` is taken off."""
    already = _money(already_paid, "already_paid")
    left = goodwill_cap(policy, order) - already
    return floor_to_minor(max(left, ZERO), order.currency)


def check_refund(
    policy: Policy,
    order: OrderFacts,
    *,
    items_value: Decimal,
    shipping_refundable: bool,
    amount: Decimal | str | int,
    goodwill: Decimal | str | int,
    already_refunded: Decimal,
    already_goodwill: Decimal,
    guarantee: bool,
    already_guarantee: Decimal,
) -> RefundCheck:
    """Judge an agent's refund and goodwill against what the order still allows.

    ``already_refunded`` is everything paid back on the order so far (guarantee payouts
    included); ``already_guarantee`` is the part of it paid as guarantee claims.
    """
    cur = order.currency
    items_value = _money(items_value, "items_value")
    already_refunded = _money(already_refunded, "already_refunded")
    already_goodwill = _money(already_goodwill, "already_goodwill")
    already_guarantee = _money(already_guarantee, "already_guarantee")

    refundable = items_value + (order.shipping if shipping_refundable else ZERO)
    max_amount = floor_to_minor(max(refundable - already_refunded, ZERO), cur)
    guarantee_cap = floor_to_minor(policy.guarantee_cap, cur)
    guarantee_left = floor_to_minor(max(guarantee_cap - already_guarantee, ZERO), cur)
    guarantee_binds = guarantee and guarantee_left < max_amount
    if guarantee_binds:
        max_amount = guarantee_left
    full_goodwill = goodwill_cap(policy, order)
    max_goodwill = goodwill_remaining(policy, order, already_goodwill)

    def refused(code: RefundCode, message: str) -> RefundCheck:
        return RefundCheck(False, code, message, max_amount, max_goodwill)

    parsed: dict[str, Decimal] = {}
    for label, value in (("Refund", amount), ("Goodwill", goodwill)):
        try:
            parsed[label] = parse_money(value, cur)
        except ValueError as exc:
            return refused(RefundCode.INVALID_AMOUNT, f"{label} amount is not valid: {exc}")

    problems: list[str] = []
    if parsed["Refund"] > max_amount:
        if guarantee_binds:
            problems.append(
                _over("Guarantee claim", parsed["Refund"], max_amount, guarantee_cap, cur)
            )
        else:
            full = floor_to_minor(refundable, cur)
            problems.append(_over("Refund", parsed["Refund"], max_amount, full, cur))
    if parsed["Goodwill"] > max_goodwill:
        problems.append(_over("Goodwill", parsed["Goodwill"], max_goodwill, full_goodwill, cur))
    if problems:
        return refused(RefundCode.OVER_CAP, "; ".join(problems))
    message = (
        f"Refund of {parsed['Refund']} {cur} and goodwill of {parsed['Goodwill']} {cur} "
        "are within the caps for this order"
    )
    return RefundCheck(True, None, message, max_amount, max_goodwill)


def _over(label: str, asked: Decimal, left: Decimal, cap: Decimal, cur: str) -> str:
    if left == cap:
        return f"{label} of {asked} {cur} is over the cap of {cap} {cur} for this order"
    # Part of the cap is used up: say both what is left and the cap itself.
    return (
        f"{label} of {asked} {cur} is over the {left} {cur} left of the cap of "
        f"{cap} {cur} for this order"
    )


def review_reasons(
    policy: Policy, *, prior_returns_12m: int, receiptless: bool, return_value: Decimal
) -> tuple[str, ...]:
    """The abuse rules a return trips, each a reason to send it to an agent."""
    if isinstance(prior_returns_12m, bool) or prior_returns_12m < 0:
        raise ValueError(f"prior_returns_12m must be >= 0, got {prior_returns_12m}")
    value = _money(return_value, "return_value")
    reasons: list[str] = []
    if prior_returns_12m > policy.abuse_max_returns_12m:
        reasons.append(ReviewReason.FREQUENT_RETURNER)
    if receiptless and value > policy.receiptless_review_over:
        reasons.append(ReviewReason.RECEIPTLESS_OVER_LIMIT)
    return tuple(reasons)
