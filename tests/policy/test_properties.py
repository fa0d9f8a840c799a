"""Properties that must hold for any order, item, reason and date (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.policy import (
    Condition,
    Decision,
    ItemFacts,
    Method,
    NotEligible,
    OrderFacts,
    Reason,
    Resolution,
    ReturnLine,
    check_refund,
    decide,
    estimate_return,
    floor_to_minor,
    goodwill_cap,
    load_policy,
    local_date,
    offered_for_all,
    parse_money,
    quantize,
)
from kb.policy.codes import Channel

POLICY = load_policy()
CENT = Decimal("0.01")
# No example database: the tests must not leave files in the work tree.
PROPERTY = settings(max_examples=300, deadline=None, database=None)

CATEGORIES = ["shoes", "electronics", "appliances", "hygiene", "gift_card", "furniture"]
ZONES = [UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]


def money(max_cents: int) -> st.SearchStrategy[Decimal]:
    """Amounts with exactly two decimals, as the shop's database holds them."""
    return st.integers(0, max_cents).map(lambda c: Decimal(c).scaleb(-2))


@dataclass(frozen=True)
class Case:
    """An order with its items, as hypothesis drew them."""

    order: OrderFacts
    items: tuple[ItemFacts, ...]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    currency = draw(st.sampled_from(["EUR", "GBP", "USD"]))
    channel = draw(st.sampled_from(Channel))
    placed = draw(
        st.datetimes(
            min_value=datetime(2022, 1, 1),
            max_value=datetime(2026, 12, 31),
            timezones=st.sampled_from(ZONES),
        )
    )
    delivered = draw(
        st.none() | st.integers(0, 30 * 24 * 60).map(lambda m: placed + timedelta(minutes=m))
    )
    items = []
    for index in range(draw(st.integers(1, 4))):
        quantity = draw(st.integers(1, 3))
        items.append(
            ItemFacts(
                sku=f"SKU-{index}",
                category=draw(st.sampled_from(CATEGORIES)),
                unit_price=draw(money(300_000)),
                quantity=quantity,
                final_sale=draw(st.booleans()),
                returned_quantity=draw(st.integers(0, quantity)),
            )
        )
    order = OrderFacts(
        number="KB-P",
        channel=channel,
        currency=currency,
        placed_at=placed,
        delivered_at=delivered,
        shipping=draw(money(10_000)),
        items_total=sum((i.unit_price * i.quantity for i in items), Decimal(0)),
    )
    return Case(order, tuple(items))


@st.composite
def returns(draw: st.DrawFn) -> tuple[OrderFacts, list[ReturnLine]]:
    case = draw(cases())
    lines = [
        ReturnLine(
            item,
            draw(st.integers(1, item.remaining)),
            draw(st.sampled_from(Reason)),
            draw(st.sampled_from(Condition)),
        )
        for item in case.items
        if item.remaining and draw(st.booleans())
    ]
    if not lines:
        fresh = ItemFacts("SKU-X", "shoes", draw(money(100_000)), 1)
        lines = [ReturnLine(fresh, 1, draw(st.sampled_from(Reason)), Condition.USED)]
    return case.order, lines


def dates_around(order: OrderFacts) -> st.SearchStrategy[date]:
    start = local_date(POLICY, order.placed_at)
    return st.integers(-5, 800).map(lambda n: start + timedelta(days=n))


def paid_for(lines: list[ReturnLine]) -> Decimal:
    return sum((line.value for line in lines), Decimal(0))


def assert_cents(*amounts: Decimal) -> None:
    for amount in amounts:
        assert type(amount) is Decimal
        assert amount.as_tuple().exponent == -2, amount


@PROPERTY
@given(returns(), st.sampled_from(Resolution), st.sampled_from(Method))
def test_an_estimate_never_pays_more_than_was_paid_and_is_never_negative(
    drawn: tuple[OrderFacts, list[ReturnLine]], resolution: Resolution, method: Method
) -> None:
    order, lines = drawn
    estimate = estimate_return(POLICY, order, lines, resolution, method)
    assert_cents(estimate.items_total, estimate.fee, estimate.deduction, estimate.total)
    assert_cents(estimate.shipping)
    assert estimate.currency == order.currency
    assert Decimal(0) <= estimate.total <= paid_for(lines) + estimate.shipping
    assert estimate.shipping in (Decimal(0), order.shipping)
    if resolution is Resolution.GUARANTEE_CLAIM:
        assert estimate.total <= Decimal("2500")
    elif resolution in (Resolution.EXCHANGE, Resolution.REPAIR):
        assert estimate.total == 0  # goods or a repair, no money
    else:
        expected = estimate.items_total + estimate.shipping - estimate.fee - estimate.deduction
        assert estimate.total == max(expected, Decimal(0))


@PROPERTY
@given(
    cases(),
    money(500_000),
    money(500_000),
    money(20_000),
    money(500_000),
    money(10_000),
    money(300_000),
    st.booleans(),
    st.booleans(),
)
def test_an_accepted_refund_stays_within_what_was_paid_plus_the_goodwill_cap(
    case: Case,
    items_value: Decimal,
    amount: Decimal,
    goodwill: Decimal,
    already_refunded: Decimal,
    already_goodwill: Decimal,
    already_guarantee: Decimal,
    shipping_refundable: bool,
    guarantee: bool,
) -> None:
    order = case.order
    result = check_refund(
        POLICY,
        order,
        items_value=items_value,
        shipping_refundable=shipping_refundable,
        amount=amount,
        goodwill=goodwill,
        already_refunded=already_refunded,
        already_goodwill=already_goodwill,
        guarantee=guarantee,
        already_guarantee=already_guarantee,
    )
    assert_cents(result.max_amount, result.max_goodwill)
    assert result.max_amount >= 0 and result.max_goodwill >= 0
    shipping = order.shipping if shipping_refundable else Decimal(0)
    ceiling = items_value + shipping + goodwill_cap(POLICY, order)
    assert result.max_amount + result.max_goodwill <= ceiling
    assert result.ok == (amount <= result.max_amount and goodwill <= result.max_goodwill)
    if result.ok:
        assert amount + goodwill <= ceiling
        # Paying nothing more is always allowed, even on an order already over a cap.
        if amount:
            assert amount + already_refunded <= items_value + shipping
            if guarantee:
                assert amount + already_guarantee <= Decimal("2500")
        if goodwill:
            assert goodwill + already_goodwill <= goodwill_cap(POLICY, order)
    if guarantee:
        assert result.max_amount <= Decimal("2500")


@PROPERTY
@given(cases())
def test_the_goodwill_cap_is_the_lower_of_both_limits_floored(case: Case) -> None:
    cap = goodwill_cap(POLICY, case.order)
    assert_cents(cap)
    exact = min(case.order.total * Decimal("0.15"), Decimal(75))
    assert Decimal(0) <= cap <= exact < cap + CENT


@st.composite
def decisions_over_time(draw: st.DrawFn) -> tuple[Case, ItemFacts, Reason, Condition, date, int]:
    case = draw(cases())
    item = draw(st.sampled_from(case.items))
    return (
        case,
        item,
        draw(st.sampled_from(Reason)),
        draw(st.sampled_from(Condition)),
        draw(dates_around(case.order)),
        draw(st.integers(1, 400)),
    )


@PROPERTY
@given(decisions_over_time())
def test_a_later_today_never_makes_an_expired_return_eligible_again(
    drawn: tuple[Case, ItemFacts, Reason, Condition, date, int],
) -> None:
    case, item, reason, condition, today, later = drawn
    before = decide(POLICY, case.order, item, reason, condition, today)
    after = decide(POLICY, case.order, item, reason, condition, today + timedelta(days=later))
    if before.not_eligible_reason is NotEligible.WINDOW_EXPIRED:
        assert after.not_eligible_reason is NotEligible.WINDOW_EXPIRED
    if before.not_eligible_reason is not NotEligible.TOO_EARLY and after.eligible:
        # Time only takes options away (a refund becomes repair-only, never the reverse).
        assert before.eligible
        assert set(after.resolutions) <= set(before.resolutions)


def check_decision(decision: Decision, order: OrderFacts, item: ItemFacts, quantity: int) -> None:
    assert decision.eligible == (decision.not_eligible_reason is None)
    assert decision.eligible == bool(decision.resolutions) == bool(decision.methods)
    assert decision.needs_review == bool(decision.review_reasons)
    assert decision.policy_version == POLICY.version
    if decision.estimate is None:
        assert not decision.eligible
        return
    estimate = decision.estimate
    assert_cents(estimate.items_total, estimate.fee, estimate.deduction, estimate.total)
    assert Decimal(0) <= estimate.total <= item.unit_price * quantity + order.shipping
    if Resolution.GUARANTEE_CLAIM in decision.resolutions:
        assert estimate.total <= Decimal("2500")
    if order.channel is Channel.MARKETPLACE:
        assert Method.STORE not in decision.methods
        assert Resolution.EXCHANGE not in decision.resolutions or not decision.seller_fault


@PROPERTY
@given(decisions_over_time(), st.integers(1, 3))
def test_every_decision_is_consistent_and_its_money_stays_decimal(
    drawn: tuple[Case, ItemFacts, Reason, Condition, date, int], quantity: int
) -> None:
    case, item, reason, condition, today, _ = drawn
    quantity = min(quantity, item.quantity)
    decision = decide(POLICY, case.order, item, reason, condition, today, quantity)
    check_decision(decision, case.order, item, quantity)
    if item.remaining < quantity:
        assert decision.not_eligible_reason is NotEligible.ALREADY_RETURNED


@PROPERTY
@given(st.lists(decisions_over_time(), min_size=1, max_size=4))
def test_what_is_offered_for_all_is_offered_to_each(
    drawn: list[tuple[Case, ItemFacts, Reason, Condition, date, int]],
) -> None:
    decisions = [decide(POLICY, c.order, i, r, k, t) for c, i, r, k, t, _ in drawn]
    resolutions, methods = offered_for_all(decisions)
    for decision in decisions:
        assert set(resolutions) <= set(decision.resolutions)
        assert set(methods) <= set(decision.methods)
    assert list(resolutions) == sorted(resolutions, key=list(Resolution).index)
    assert list(methods) == sorted(methods, key=list(Method).index)


@PROPERTY
@given(st.integers(0, 10**12))
def test_parse_money_round_trips_every_amount_in_cents(cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    assert parse_money(str(amount)) == amount
    assert parse_money(f"{amount:f}") == amount
    assert parse_money(amount) == amount


@PROPERTY
@given(st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False, places=4))
def test_rounding_stays_within_a_cent(amount: Decimal) -> None:
    rounded = quantize(amount, "EUR")
    floored = floor_to_minor(amount, "EUR")
    assert_cents(rounded, floored)
    assert abs(rounded - amount) <= CENT / 2
    assert floored <= amount < floored + CENT
    assert quantize(rounded, "EUR") == rounded
