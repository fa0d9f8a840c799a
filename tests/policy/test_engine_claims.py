"""decide(): seller faults, the repair warranty, the marketplace and missing parcels."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kb.policy import (
    Answer,
    Channel,
    Method,
    NotEligible,
    Resolution,
    ReviewReason,
    decide,
)
from tests.policy.factories import POLICY, day, item, order, refused

# --- seller fault and the repair warranty ----------------------------------------------------


@pytest.mark.parametrize(
    "reason", ["defective", "damaged_in_transit", "wrong_item", "not_as_described", "missing_parts"]
)
def test_seller_fault_is_free_and_open_for_90_days(reason: str) -> None:
    decision = decide(POLICY, order(), item(), reason, "used", day(90))
    assert decision.eligible and decision.seller_fault and decision.free_return_shipping
    assert decision.window_ends == day(90)
    assert decision.answer is Answer.SELLER_FAULT_FREE_RETURN
    assert decision.estimate is not None
    assert decision.estimate.fee == 0 and decision.estimate.deduction == 0
    assert refused(
        decide(POLICY, order(), item(), reason, "used", day(91)), NotEligible.WINDOW_EXPIRED
    )


def test_defective_electronics_after_60_days_can_be_refunded_or_repaired() -> None:
    decision = decide(POLICY, order(), item("electronics"), "defective", "used", day(60))
    assert decision.eligible
    assert decision.resolutions == (
        Resolution.REFUND,
        Resolution.STORE_CREDIT,
        Resolution.EXCHANGE,
        Resolution.REPAIR,
    )
    # The order's only item, back for a seller fault: its shipping is refunded as well.
    assert decision.estimate is not None and decision.estimate.total == Decimal("105.00")


def test_defective_non_repairable_item_is_not_offered_a_repair() -> None:
    decision = decide(POLICY, order(), item("shoes"), "defective", "used", day(60))
    assert Resolution.REPAIR not in decision.resolutions


@pytest.mark.parametrize("category", ["electronics", "appliances"])
def test_defective_repairable_item_after_200_days_is_repair_only(category: str) -> None:
    decision = decide(POLICY, order(), item(category), "defective", "used", day(200))
    assert decision.eligible
    assert decision.resolutions == (Resolution.REPAIR,)
    assert decision.answer is Answer.REPAIR_WARRANTY
    assert decision.window_ends == day(365)
    assert decision.estimate is not None and decision.estimate.total == 0


def test_repair_warranty_starts_the_day_after_the_seller_fault_window() -> None:
    assert (
        Resolution.REFUND
        in decide(POLICY, order(), item("electronics"), "defective", "used", day(90)).resolutions
    )
    assert decide(
        POLICY, order(), item("electronics"), "defective", "used", day(91)
    ).resolutions == (Resolution.REPAIR,)


def test_defective_repairable_item_last_warranty_day_included_then_expired() -> None:
    assert decide(POLICY, order(), item("electronics"), "defective", "used", day(365)).eligible
    decision = decide(POLICY, order(), item("electronics"), "defective", "used", day(366))
    assert refused(decision, NotEligible.WINDOW_EXPIRED)
    assert decision.window_ends == day(365)


def test_the_repair_warranty_covers_defects_only() -> None:
    decision = decide(
        POLICY, order(), item("electronics"), "damaged_in_transit", "damaged", day(91)
    )
    assert refused(decision, NotEligible.WINDOW_EXPIRED)


# --- marketplace -------------------------------------------------------------------------------


def test_marketplace_seller_fault_is_a_guarantee_claim_for_review() -> None:
    decision = decide(
        POLICY, order(channel=Channel.MARKETPLACE), item(), "defective", "used", day(10)
    )
    assert decision.eligible and decision.seller_fault
    assert decision.resolutions == (Resolution.GUARANTEE_CLAIM,)
    assert decision.methods == (Method.CARRIER, Method.DROPOFF)
    assert decision.needs_review
    assert ReviewReason.MARKETPLACE_GUARANTEE in decision.review_reasons
    assert decision.answer is Answer.GUARANTEE_CLAIM
    assert decision.estimate is not None
    assert decision.estimate.total == Decimal("105.00")  # the item plus the order's shipping


def test_marketplace_guarantee_is_capped_at_2500_shipping_included() -> None:
    big = order(channel=Channel.MARKETPLACE, shipping="30.00", items_total="2490.00")
    decision = decide(
        POLICY, big, item("furniture", "2490.00"), "damaged_in_transit", "damaged", day(5)
    )
    assert decision.estimate is not None
    assert decision.estimate.items_total == Decimal("2490.00")
    assert decision.estimate.total == Decimal("2500.00")


def test_marketplace_defective_electronics_get_no_repair_warranty() -> None:
    marketplace = order(channel=Channel.MARKETPLACE)
    assert refused(
        decide(POLICY, marketplace, item("electronics"), "defective", "used", day(91)),
        NotEligible.WINDOW_EXPIRED,
    )


def test_marketplace_change_of_mind_offers_no_exchange_and_no_store() -> None:
    decision = decide(
        POLICY, order(channel=Channel.MARKETPLACE), item(), "wrong_size", "unopened", day(30)
    )
    assert decision.eligible and not decision.needs_review
    assert decision.resolutions == (Resolution.REFUND, Resolution.STORE_CREDIT)
    assert decision.methods == (Method.CARRIER, Method.DROPOFF)
    assert decision.answer is Answer.REFUND_FULL  # no exchange to suggest
    assert not decide(
        POLICY, order(channel=Channel.MARKETPLACE), item(), "wrong_size", "unopened", day(31)
    ).eligible


# --- not received --------------------------------------------------------------------------------


def test_not_received_before_10_days_is_too_early_track_the_parcel() -> None:
    # Placed 5 January (Paris): claims open on 15 January.
    decision = decide(
        POLICY, order(delivered_at=None), item(), "not_received", "unopened", date(2024, 1, 14)
    )
    assert refused(decision, NotEligible.TOO_EARLY)
    assert decision.window_ends == date(2024, 1, 15)
    assert decision.answer is Answer.TRACK_PARCEL


def test_not_received_after_10_days_is_a_claim_for_review() -> None:
    decision = decide(
        POLICY, order(delivered_at=None), item(), "not_received", "unopened", date(2024, 1, 15)
    )
    assert decision.eligible and decision.needs_review
    assert decision.review_reasons == (ReviewReason.NOT_RECEIVED,)
    assert decision.resolutions == (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)
    assert decision.methods == (Method.NONE,)
    assert decision.answer is Answer.NOT_RECEIVED_CLAIM
    assert decision.estimate is not None
    # The only item of the order: the shipping comes back too, and no fee without a parcel.
    assert decision.estimate.total == Decimal("105.00")
    assert decision.estimate.fee == 0


def test_not_received_on_the_marketplace_is_a_guarantee_claim() -> None:
    decision = decide(
        POLICY,
        order(channel=Channel.MARKETPLACE, delivered_at=None),
        item(),
        "not_received",
        "unopened",
        date(2024, 1, 20),
    )
    assert decision.resolutions == (Resolution.GUARANTEE_CLAIM,)
    assert decision.methods == (Method.NONE,)
    assert decision.answer is Answer.GUARANTEE_CLAIM
    assert decision.needs_review


def test_not_received_although_the_carrier_says_delivered_uses_the_seller_fault_window() -> None:
    decision = decide(POLICY, order(), item(), "not_received", "unopened", day(90))
    assert decision.eligible and decision.needs_review
    assert decision.review_reasons == (ReviewReason.CARRIER_SAYS_DELIVERED,)
    assert decision.window_ends == day(90)
    assert refused(
        decide(POLICY, order(), item(), "not_received", "unopened", day(91)),
        NotEligible.WINDOW_EXPIRED,
    )
