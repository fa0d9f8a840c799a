"""Estimates of a whole return, goodwill caps, agents' refund checks and abuse rules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kb.policy import (
    Channel,
    Estimate,
    ItemFacts,
    OrderFacts,
    RefundCheck,
    RefundCode,
    ReturnLine,
    ReviewReason,
    check_refund,
    estimate_return,
    goodwill_cap,
    goodwill_remaining,
    load_policy,
    review_reasons,
)

POLICY = load_policy()
D = Decimal


def order(
    items_total: str = "100.00",
    shipping: str = "5.00",
    *,
    currency: str = "EUR",
    channel: Channel = Channel.ONLINE,
) -> OrderFacts:
    return OrderFacts(
        number="KB-2001",
        channel=channel,
        currency=currency,
        placed_at=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
        delivered_at=datetime(2024, 5, 3, 8, 0, tzinfo=UTC),
        shipping=D(shipping),
        items_total=D(items_total),
    )


def line(
    price: str,
    reason: str = "changed_mind",
    condition: str = "unopened",
    *,
    quantity: int = 1,
    sku: str | None = None,
    category: str = "shoes",
) -> ReturnLine:
    item = ItemFacts(sku or f"SKU-{price}-{reason}", category, D(price), quantity)
    return ReturnLine(item, quantity, reason, condition)


# --- fees and deductions ---------------------------------------------------------------------


def test_change_of_mind_by_carrier_pays_the_return_fee() -> None:
    estimate = estimate_return(POLICY, order(), [line("100.00")], "refund", "carrier")
    assert estimate == Estimate("EUR", D("100.00"), D("4.95"), D("0.00"), D("95.05"), D("0.00"))


def test_a_used_item_loses_half_its_value() -> None:
    estimate = estimate_return(
        POLICY, order(), [line("80.00", condition="used")], "refund", "store"
    )
    assert estimate.deduction == D("40.00")
    assert estimate.total == D("40.00")


def test_the_used_deduction_is_rounded_half_up_per_line() -> None:
    estimate = estimate_return(
        POLICY, order(), [line("0.05", condition="used")], "store_credit", "store"
    )
    assert estimate.deduction == D("0.03")  # 0.025 rounds up
    assert estimate.total == D("0.02")


def test_the_fee_is_charged_once_for_several_change_of_mind_lines() -> None:
    lines = [
        line("30.00"),
        line("20.00", "wrong_size"),
        line("10.00", "arrived_late", "used"),
    ]
    estimate = estimate_return(POLICY, order("60.00"), lines, "refund", "dropoff")
    assert estimate.fee == D("4.95")
    assert estimate.deduction == D("5.00")
    assert estimate.items_total == D("60.00")
    assert estimate.total == D("50.05")
    assert estimate.shipping == 0  # a change of mind never gets the shipping back


def test_store_credit_by_carrier_pays_the_fee_too() -> None:
    estimate = estimate_return(POLICY, order(), [line("40.00")], "store_credit", "carrier")
    assert estimate.fee == D("4.95")


def test_no_fee_for_a_return_in_store() -> None:
    estimate = estimate_return(POLICY, order(), [line("40.00"), line("9.00")], "refund", "store")
    assert estimate.fee == 0
    assert estimate.total == D("49.00")


@pytest.mark.parametrize("resolution", ["exchange", "repair"])
def test_exchange_and_repair_are_free_and_refund_nothing(resolution: str) -> None:
    estimate = estimate_return(
        POLICY, order(), [line("40.00", condition="used")], resolution, "carrier"
    )
    assert estimate.fee == 0 and estimate.deduction == 0
    assert estimate.items_total == D("40.00")
    assert estimate.total == D("0.00")


def test_no_fee_and_no_deduction_when_every_line_is_a_seller_fault() -> None:
    lines = [line("40.00", "defective", "used"), line("20.00", "wrong_item", "damaged")]
    estimate = estimate_return(POLICY, order(), lines, "refund", "carrier")
    assert estimate.fee == 0 and estimate.deduction == 0
    assert estimate.total == D("60.00")  # part of the order: shipping stays paid


def test_one_change_of_mind_line_brings_the_fee_back() -> None:
    lines = [line("40.00", "defective", "used"), line("20.00", "changed_mind", "used")]
    estimate = estimate_return(POLICY, order("60.00"), lines, "refund", "carrier")
    assert estimate.fee == D("4.95")
    assert estimate.deduction == D("10.00")  # only the change-of-mind line loses value
    assert estimate.shipping == 0
    assert estimate.total == D("45.05")


def test_the_refund_never_goes_below_zero() -> None:
    estimate = estimate_return(POLICY, order(), [line("2.00")], "refund", "carrier")
    assert estimate.fee == D("4.95")
    assert estimate.total == D("0.00")


def test_a_seller_fault_on_the_whole_order_refunds_the_shipping() -> None:
    lines = [line("70.00", "defective"), line("30.00", "missing_parts")]
    estimate = estimate_return(POLICY, order("100.00", "5.00"), lines, "refund", "carrier")
    assert estimate.shipping == D("5.00")
    assert estimate.total == D("105.00")


def test_not_received_refunds_the_shipping_when_every_item_is_claimed() -> None:
    whole = estimate_return(
        POLICY, order("100.00"), [line("100.00", "not_received")], "refund", "none"
    )
    assert whole.total == D("105.00") and whole.fee == 0
    part = estimate_return(
        POLICY, order("100.00"), [line("60.00", "not_received")], "refund", "none"
    )
    assert part.total == D("60.00")


@pytest.mark.parametrize(
    ("items", "delivery", "claimed", "reason", "shipping", "total"),
    [
        ("100.00", "10.00", "100.00", "defective", "10.00", "110.00"),
        ("130.00", "6.00", "80.00", "damaged_in_transit", "0.00", "80.00"),
    ],
    ids=["whole-order-pays-its-delivery", "part-of-an-order-does-not"],
)
def test_a_guarantee_claim_pays_the_items_and_the_shipping_of_a_whole_order(
    items: str, delivery: str, claimed: str, reason: str, shipping: str, total: str
) -> None:
    marketplace = order(items, delivery, channel=Channel.MARKETPLACE)
    estimate = estimate_return(POLICY, marketplace, [line(claimed, reason)], "guarantee_claim", "carrier")
    assert estimate.shipping == D(shipping)
    assert estimate.total == D(total)


def test_a_guarantee_claim_is_capped_at_2500_shipping_included() -> None:
    marketplace = order("2495.00", "10.00", channel=Channel.MARKETPLACE)
    lines = [line("2495.00", "damaged_in_transit", "damaged")]
    estimate = estimate_return(POLICY, marketplace, lines, "guarantee_claim", "carrier")
    assert estimate.items_total == D("2495.00")
    assert estimate.total == D("2500.00")


def test_the_guarantee_cap_is_in_the_order_currency() -> None:
    marketplace = order("3000.00", "0.00", currency="GBP", channel=Channel.MARKETPLACE)
    estimate = estimate_return(
        POLICY, marketplace, [line("3000.00", "defective")], "guarantee_claim", "dropoff"
    )
    assert (estimate.currency, estimate.total) == ("GBP", D("2500.00"))


def test_a_return_needs_lines_that_were_not_returned_yet() -> None:
    with pytest.raises(ValueError):
        estimate_return(POLICY, order(), [], "refund", "carrier")
    twice = line("10.00", sku="SAME")
    with pytest.raises(ValueError, match="only 1 left"):
        estimate_return(POLICY, order(), [twice, twice], "refund", "carrier")
    item = ItemFacts("GONE", "shoes", D("10.00"), 2, returned_quantity=2)
    with pytest.raises(ValueError, match="only 0 left"):
        estimate_return(
            POLICY, order(), [ReturnLine(item, 1, "defective", "used")], "refund", "store"
        )


def test_a_custom_used_percent_is_the_share_refunded() -> None:
    generous = dataclasses.replace(POLICY, used_refund_percent=80, return_fee=D("0"))
    estimate = estimate_return(
        generous, order(), [line("50.00", condition="used")], "refund", "carrier"
    )
    assert estimate.deduction == D("10.00")
    assert estimate.total == D("40.00")


# --- goodwill ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items_total", "shipping", "currency", "cap"),
    [
        ("100.00", "0.00", "EUR", "15.00"),  # 15% is lower
        ("90.00", "10.00", "GBP", "15.00"),  # shipping counts in the order total
        ("499.99", "0.00", "EUR", "74.99"),  # 74.9985, floored
        ("500.00", "0.00", "EUR", "75.00"),  # both sides meet
        ("1000.00", "0.00", "GBP", "75.00"),  # the fixed cap is lower
        ("10000.00", "25.00", "EUR", "75.00"),
        ("0.00", "0.00", "EUR", "0.00"),
    ],
)
def test_goodwill_cap_is_the_lower_of_15_percent_and_75(
    items_total: str, shipping: str, currency: str, cap: str
) -> None:
    result = goodwill_cap(POLICY, order(items_total, shipping, currency=currency))
    assert result == D(cap)
    assert str(result) == cap


def test_goodwill_remaining_takes_off_what_was_paid() -> None:
    big = order("1000.00")
    assert goodwill_remaining(POLICY, big, D("0")) == D("75.00")
    assert goodwill_remaining(POLICY, big, D("70.00")) == D("5.00")
    assert goodwill_remaining(POLICY, big, D("80.00")) == D("0.00")
    with pytest.raises(ValueError):
        goodwill_remaining(POLICY, big, D("-1"))


# --- agents' refund checks --------------------------------------------------------------------


def check(**overrides: object) -> RefundCheck:
    arguments: dict[str, object] = {
        "items_value": D("100.00"),
        "shipping_refundable": False,
        "amount": D("0"),
        "goodwill": D("0"),
        "already_refunded": D("0"),
        "already_goodwill": D("0"),
        "guarantee": False,
        "already_guarantee": D("0"),
    }
    target = overrides.pop("order", order("1000.00", "5.00"))
    arguments.update(overrides)
    return check_refund(POLICY, target, **arguments)  # type: ignore[arg-type]


def test_refund_exactly_at_the_cap_is_allowed_and_one_cent_over_is_refused() -> None:
    at = check(amount=D("100.00"))
    assert at.ok and at.code is None and at.max_amount == D("100.00")
    over = check(amount=D("100.01"))
    assert not over.ok and over.code is RefundCode.OVER_CAP
    assert over.message == "Refund of 100.01 EUR is over the cap of 100.00 EUR for this order"


def test_refund_cap_includes_shipping_when_refundable() -> None:
    assert check(amount=D("105.00"), shipping_refundable=True).ok
    assert not check(amount=D("105.01"), shipping_refundable=True).ok


def test_refund_cap_takes_off_what_was_already_refunded() -> None:
    assert check(amount=D("60.00"), already_refunded=D("40.00")).ok
    over = check(amount=D("60.01"), already_refunded=D("40.00"))
    assert over.code is RefundCode.OVER_CAP and over.max_amount == D("60.00")
    assert over.message == (
        "Refund of 60.01 EUR is over the 60.00 EUR left of the cap of 100.00 EUR for this order"
    )
    assert check(already_refunded=D("150.00")).max_amount == D("0.00")


def test_goodwill_exactly_at_the_cap_is_allowed_and_one_cent_over_is_refused() -> None:
    assert check(goodwill=D("75.00")).ok
    over = check(goodwill=D("75.01"))
    assert not over.ok and over.code is RefundCode.OVER_CAP
    assert over.message == "Goodwill of 75.01 EUR is over the cap of 75.00 EUR for this order"


def test_goodwill_cap_on_a_small_gbp_order_is_15_percent() -> None:
    small = order("80.00", "20.00", currency="GBP")
    assert check(order=small, goodwill=D("15.00")).ok
    over = check(order=small, goodwill=D("15.01"))
    assert over.message == "Goodwill of 15.01 GBP is over the cap of 15.00 GBP for this order"
    assert over.max_goodwill == D("15.00")


def test_goodwill_already_paid_is_taken_off() -> None:
    assert check(goodwill=D("25.00"), already_goodwill=D("50.00")).ok
    over = check(goodwill=D("25.01"), already_goodwill=D("50.00"))
    assert over.code is RefundCode.OVER_CAP
    assert "25.00 EUR left of the cap of 75.00 EUR" in over.message


def test_guarantee_exactly_at_2500_is_allowed_and_one_cent_over_is_refused() -> None:
    marketplace = order("3000.00", "20.00", channel=Channel.MARKETPLACE)
    common = {"order": marketplace, "items_value": D("3000.00"), "guarantee": True}
    assert check(amount=D("2500.00"), shipping_refundable=True, **common).ok
    over = check(amount=D("2500.01"), shipping_refundable=True, **common)
    assert over.code is RefundCode.OVER_CAP and over.max_amount == D("2500.00")
    assert over.message == (
        "Guarantee claim of 2500.01 EUR is over the cap of 2500.00 EUR for this order"
    )


def test_guarantee_already_paid_counts_against_the_cap() -> None:
    marketplace = order("3000.00", channel=Channel.MARKETPLACE)
    common = {
        "order": marketplace,
        "items_value": D("3000.00"),
        "guarantee": True,
        "already_guarantee": D("1000.00"),
        "already_refunded": D("1000.00"),
    }
    assert check(amount=D("1500.00"), **common).ok
    over = check(amount=D("1500.01"), **common)
    assert over.code is RefundCode.OVER_CAP
    assert over.message == (
        "Guarantee claim of 1500.01 EUR is over the 1500.00 EUR left of the cap of "
        "2500.00 EUR for this order"
    )


def test_both_caps_broken_are_both_reported() -> None:
    over = check(amount=D("100.01"), goodwill=D("75.01"))
    assert over.code is RefundCode.OVER_CAP
    assert "Refund of 100.01 EUR" in over.message and "Goodwill of 75.01 EUR" in over.message


@pytest.mark.parametrize(
    "field_and_value",
    [
        ("amount", D("-0.01")),
        ("goodwill", D("-5")),
        ("amount", D("10.001")),
        ("amount", "ten"),
        ("amount", 10.5),
        ("goodwill", D("NaN")),
    ],
)
def test_negative_or_malformed_amounts_are_invalid(field_and_value: tuple[str, object]) -> None:
    name, value = field_and_value
    result = check(**{name: value})
    assert not result.ok
    assert result.code is RefundCode.INVALID_AMOUNT
    assert result.max_amount == D("100.00") and result.max_goodwill == D("75.00")


def test_amounts_typed_as_text_are_accepted() -> None:
    assert check(amount="99.99", goodwill="10").ok


# --- abuse rules ---------------------------------------------------------------------------------


def test_more_than_five_returns_in_twelve_months_goes_to_review() -> None:
    ok = review_reasons(POLICY, prior_returns_12m=5, receiptless=False, return_value=D("10"))
    assert ok == ()
    flagged = review_reasons(POLICY, prior_returns_12m=6, receiptless=False, return_value=D("10"))
    assert flagged == (ReviewReason.FREQUENT_RETURNER,)
    assert flagged == ("frequent_returner",)


def test_a_receiptless_return_over_100_goes_to_review() -> None:
    assert (
        review_reasons(POLICY, prior_returns_12m=0, receiptless=True, return_value=D("100.00"))
        == ()
    )
    assert review_reasons(
        POLICY, prior_returns_12m=0, receiptless=True, return_value=D("100.01")
    ) == ("receiptless_over_limit",)
    assert (
        review_reasons(POLICY, prior_returns_12m=0, receiptless=False, return_value=D("900")) == ()
    )


def test_both_abuse_rules_can_apply() -> None:
    assert review_reasons(POLICY, prior_returns_12m=9, receiptless=True, return_value=D("500")) == (
        "frequent_returner",
        "receiptless_over_limit",
    )
