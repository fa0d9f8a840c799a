"""decide(): windows, time zone, what a change of mind allows, quantities and tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from kb.policy import (
    Answer,
    Channel,
    ItemFacts,
    Method,
    NotEligible,
    OrderFacts,
    Resolution,
    decide,
    load_policy,
    local_date,
    offered_for_all,
    shop_today,
)
from tests.policy.factories import DELIVERED, PLACED, POLICY, day, item, order, refused

# --- time zone -----------------------------------------------------------------------------


def test_local_date_of_a_late_evening_utc_delivery_is_the_next_day_in_paris() -> None:
    assert local_date(POLICY, DELIVERED) == date(2024, 1, 11)
    assert local_date(load_policy(timezone="UTC"), DELIVERED) == date(2024, 1, 10)


def test_shop_today_is_the_date_in_the_shop_zone() -> None:
    assert shop_today(POLICY, datetime(2024, 2, 10, 22, 59, tzinfo=UTC)) == date(2024, 2, 10)
    assert shop_today(POLICY, datetime(2024, 2, 10, 23, 0, tzinfo=UTC)) == date(2024, 2, 11)


def test_local_date_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_date(POLICY, datetime(2024, 1, 1, 12, 0))


# --- change of mind window -------------------------------------------------------------------


def test_change_of_mind_last_day_of_the_window_is_included() -> None:
    decision = decide(POLICY, order(), item(), "changed_mind", "unopened", date(2024, 2, 10))
    assert decision.eligible
    assert decision.window_ends == date(2024, 2, 10)  # 11 January + 30 days
    assert decision.resolutions == (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)
    assert decision.methods == (Method.CARRIER, Method.STORE, Method.DROPOFF)
    assert decision.answer is Answer.REFUND_FULL
    assert not decision.needs_review and not decision.seller_fault


def test_change_of_mind_the_day_after_the_window_is_refused() -> None:
    decision = decide(POLICY, order(), item(), "changed_mind", "unopened", date(2024, 2, 11))
    assert refused(decision, NotEligible.WINDOW_EXPIRED)
    assert decision.window_ends == date(2024, 2, 10)
    assert decision.answer is Answer.WINDOW_EXPIRED
    assert decision.resolutions == () and decision.methods == () and decision.estimate is None


def test_window_counted_in_utc_would_end_a_day_earlier() -> None:
    # The same delivery seen from a UTC shop lands on 10 January: the override matters.
    utc = load_policy(timezone="UTC")
    assert not decide(utc, order(), item(), "changed_mind", "unopened", date(2024, 2, 10)).eligible


def test_a_late_evening_now_in_utc_is_already_the_next_day_in_paris() -> None:
    today = shop_today(POLICY, datetime(2024, 2, 10, 23, 15, tzinfo=UTC))
    assert refused(
        decide(POLICY, order(), item(), "changed_mind", "unopened", today),
        NotEligible.WINDOW_EXPIRED,
    )


@pytest.mark.parametrize("reason", ["changed_mind", "wrong_size", "arrived_late", "other"])
def test_every_change_of_mind_reason_has_the_30_day_window(reason: str) -> None:
    assert decide(POLICY, order(), item(), reason, "unopened", day(30)).eligible
    assert refused(
        decide(POLICY, order(), item(), reason, "unopened", day(31)), NotEligible.WINDOW_EXPIRED
    )


def test_electronics_have_15_days_for_a_change_of_mind() -> None:
    laptop = item("electronics")
    assert decide(POLICY, order(), laptop, "changed_mind", "unopened", day(15)).window_ends == day(
        15
    )
    assert decide(POLICY, order(), laptop, "changed_mind", "unopened", day(15)).eligible
    assert refused(
        decide(POLICY, order(), laptop, "changed_mind", "unopened", day(16)),
        NotEligible.WINDOW_EXPIRED,
    )


def test_electronics_keep_the_90_day_window_for_a_seller_fault() -> None:
    decision = decide(POLICY, order(), item("electronics"), "wrong_item", "unopened", day(90))
    assert decision.eligible and decision.seller_fault


def test_categories_are_compared_without_case_or_spaces() -> None:
    assert not decide(
        POLICY, order(), item(" Electronics "), "changed_mind", "unopened", day(16)
    ).eligible
    assert refused(
        decide(POLICY, order(), item("Hygiene"), "changed_mind", "unopened", day(1)),
        NotEligible.NOT_RETURNABLE_CATEGORY,
    )


# --- what cannot come back for a change of mind ----------------------------------------------


def test_final_sale_is_refused_for_a_change_of_mind() -> None:
    decision = decide(POLICY, order(), item(final_sale=True), "changed_mind", "unopened", day(1))
    assert refused(decision, NotEligible.FINAL_SALE)
    assert decision.answer is Answer.FINAL_SALE


def test_final_sale_is_allowed_when_defective() -> None:
    decision = decide(POLICY, order(), item(final_sale=True), "defective", "used", day(1))
    assert decision.eligible and decision.seller_fault


@pytest.mark.parametrize("category", ["gift_card", "perishable", "personalized", "hygiene"])
def test_non_returnable_categories_are_refused_for_a_change_of_mind(category: str) -> None:
    decision = decide(POLICY, order(), item(category), "changed_mind", "unopened", day(1))
    assert refused(decision, NotEligible.NOT_RETURNABLE_CATEGORY)
    assert decision.answer is Answer.NOT_RETURNABLE


@pytest.mark.parametrize("category", ["gift_card", "perishable", "personalized", "hygiene"])
def test_non_returnable_categories_are_allowed_when_defective(category: str) -> None:
    decision = decide(POLICY, order(), item(category), "defective", "used", day(1))
    assert decision.eligible
    assert decision.answer is Answer.SELLER_FAULT_FREE_RETURN


def test_an_item_not_delivered_yet_cannot_be_returned_for_a_change_of_mind() -> None:
    decision = decide(POLICY, order(delivered_at=None), item(), "changed_mind", "unopened", day(1))
    assert refused(decision, NotEligible.NOT_DELIVERED)
    assert decision.answer is Answer.TRACK_PARCEL


def test_an_item_not_delivered_yet_cannot_be_defective_either() -> None:
    decision = decide(POLICY, order(delivered_at=None), item(), "defective", "unopened", day(1))
    assert refused(decision, NotEligible.NOT_DELIVERED)


# --- store channel -----------------------------------------------------------------------------


def test_store_purchase_is_counted_from_the_purchase_date() -> None:
    # Bought in Paris at 23:30 UTC on 5 January = 6 January locally; never "delivered".
    store_order = order(
        channel=Channel.STORE, placed_at=datetime(2024, 1, 5, 23, 30, tzinfo=UTC), delivered_at=None
    )
    assert decide(
        POLICY, store_order, item(), "changed_mind", "unopened", date(2024, 2, 5)
    ).eligible
    late = decide(POLICY, store_order, item(), "changed_mind", "unopened", date(2024, 2, 6))
    assert refused(late, NotEligible.WINDOW_EXPIRED)
    assert late.window_ends == date(2024, 2, 5)


def test_store_purchase_ignores_a_later_delivery_date() -> None:
    store_order = order(
        channel=Channel.STORE, placed_at=PLACED, delivered_at=PLACED + timedelta(days=20)
    )
    assert decide(
        POLICY, store_order, item(), "changed_mind", "unopened", date(2024, 2, 4)
    ).eligible
    assert not decide(
        POLICY, store_order, item(), "changed_mind", "unopened", date(2024, 2, 5)
    ).eligible


# --- quantities ------------------------------------------------------------------------------


def test_an_item_already_returned_cannot_be_returned_twice() -> None:
    decision = decide(POLICY, order(), item(returned=1), "defective", "used", day(1))
    assert refused(decision, NotEligible.ALREADY_RETURNED)
    assert decision.answer is Answer.ALREADY_RETURNED


def test_the_rest_of_a_partly_returned_line_can_still_come_back() -> None:
    pair = item(price="50.00", quantity=3, returned=1)
    assert decide(POLICY, order(), pair, "changed_mind", "unopened", day(1), quantity=2).eligible
    assert refused(
        decide(POLICY, order(), pair, "changed_mind", "unopened", day(1), quantity=3),
        NotEligible.ALREADY_RETURNED,
    )


def test_the_estimate_follows_the_quantity() -> None:
    decision = decide(
        POLICY, order(), item(price="20.00", quantity=3), "changed_mind", "unopened", day(1), 2
    )
    assert decision.estimate is not None
    assert decision.estimate.items_total == Decimal("40.00")
    assert decision.estimate.total == Decimal("35.05")


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_below_one_is_a_value_error(quantity: int) -> None:
    with pytest.raises(ValueError):
        decide(POLICY, order(), item(), "changed_mind", "unopened", day(1), quantity)


def test_more_than_was_ordered_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="more than"):
        decide(POLICY, order(), item(quantity=2), "changed_mind", "unopened", day(1), 3)


def test_today_must_be_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError, match="shop_today"):
        decide(POLICY, order(), item(), "changed_mind", "unopened", DELIVERED)


def test_an_unknown_reason_or_condition_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        decide(POLICY, order(), item(), "bored", "unopened", day(1))
    with pytest.raises(ValueError):
        decide(POLICY, order(), item(), "changed_mind", "mint", day(1))


# --- answers and the default estimate --------------------------------------------------------


def test_wrong_size_suggests_a_free_exchange() -> None:
    decision = decide(POLICY, order(), item(), "wrong_size", "like_new", day(3))
    assert decision.answer is Answer.EXCHANGE_FREE


@pytest.mark.parametrize("condition", ["used", "damaged"])
def test_a_used_item_after_a_change_of_mind_loses_half_its_value(condition: str) -> None:
    decision = decide(POLICY, order(), item(price="80.00"), "changed_mind", condition, day(3))
    assert decision.answer is Answer.REFUND_PARTIAL_USED
    assert decision.estimate is not None
    assert decision.estimate.deduction == Decimal("40.00")
    assert decision.estimate.fee == Decimal("4.95")
    assert decision.estimate.total == Decimal("35.05")


def test_the_decision_carries_the_policy_version() -> None:
    assert decide(POLICY, order(), item(), "changed_mind", "unopened", day(1)).policy_version == (
        POLICY.version
    )


# --- several items in one ticket -------------------------------------------------------------


def test_offered_for_all_is_the_intersection_in_a_stable_order() -> None:
    shoes = decide(POLICY, order(), item(), "changed_mind", "unopened", day(3))
    laptop = decide(POLICY, order(), item("electronics"), "defective", "used", day(3))
    resolutions, methods = offered_for_all([laptop, shoes])
    assert resolutions == (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)
    assert methods == (Method.CARRIER, Method.STORE, Method.DROPOFF)
    assert offered_for_all([shoes, laptop]) == (resolutions, methods)


def test_offered_for_all_is_empty_when_one_item_is_refused() -> None:
    shoes = decide(POLICY, order(), item(), "changed_mind", "unopened", day(3))
    late = decide(POLICY, order(), item(), "changed_mind", "unopened", day(40))
    assert offered_for_all([shoes, late]) == ((), ())
    assert offered_for_all([]) == ((), ())


def test_a_missing_parcel_and_a_return_cannot_share_a_ticket() -> None:
    missing = decide(POLICY, order(), item(), "not_received", "unopened", day(3))
    broken = decide(POLICY, order(), item(), "defective", "used", day(3))
    resolutions, methods = offered_for_all([missing, broken])
    assert Resolution.REFUND in resolutions
    assert methods == ()


# --- facts are validated ------------------------------------------------------------------------


def test_order_facts_refuse_naive_datetimes_and_float_money() -> None:
    with pytest.raises(ValueError, match="aware"):
        order(placed_at=datetime(2024, 1, 5, 10, 0))
    with pytest.raises(TypeError, match="Decimal"):
        OrderFacts("X", "online", "EUR", PLACED, None, 4.9, Decimal("1"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="currency"):
        order(currency="euro")
    with pytest.raises(ValueError):
        order(channel="telephone")  # type: ignore[arg-type]


def test_order_total_is_items_plus_shipping() -> None:
    assert order(shipping="4.90", items_total="95.10").total == Decimal("100.00")


def test_item_facts_refuse_impossible_quantities() -> None:
    with pytest.raises(ValueError):
        item(quantity=0)
    with pytest.raises(ValueError):
        item(quantity=1, returned=2)
    with pytest.raises(TypeError):
        ItemFacts("S", "shoes", 9.99, 1)  # type: ignore[arg-type]
