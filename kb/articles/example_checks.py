"""Running an article's policy examples against the policy engine, and saying what failed.

Pure functions: a policy and a text in, results out. Every case is judged on a fixed day
(``EXAMPLES_TODAY``) in the shop's time zone, so a result never depends on the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from kb.articles.example_values import EXAMPLE_PLACEHOLDER, MONEY_EXPECTATIONS, ExampleError, is_placeholder
from kb.articles.policy_examples import Example, Expectation, parse_examples
from kb.policy import (
    Channel,
    Decision,
    Estimate,
    ItemFacts,
    Method,
    OrderFacts,
    Policy,
    Resolution,
    ReturnLine,
    decide,
    estimate_return,
    floor_to_minor,
    goodwill_cap,
    parse_money,
    placeholder_values,
    quantize,
    review_reasons,
)

# A fixed day: the facts count days back from it, in the shop's zone.
EXAMPLES_TODAY: Final = date(2026, 6, 15)
# Parcels are delivered, and store purchases made, at noon shop time: far from any midnight.
_NOON: Final = time(12, 0)
# An order delivered N days ago was placed two days before that, unless the example says.
_SHIPPING_DAYS: Final = 2


@dataclass(frozen=True)
class Failure:
    """One expectation the engine did not meet (or a case it could not even run)."""

    line: int
    case: str
    expected: str
    got: str

    def describe(self, where: str) -> str:
        """``where:line  case — expected X, got Y``, the line the CLI and the studio show."""
        return f"{where}:{self.line}  {self.case} — expected {self.expected}, got {self.got}"


@dataclass(frozen=True)
class ArticleCheck:
    """What checking one article's examples found."""

    examples: int
    failures: tuple[Failure, ...]

    @property
    def ok(self) -> bool:
        """Whether every example holds (an article without examples holds too)."""
        return not self.failures


@dataclass(frozen=True)
class _Outcome:
    """The engine's answers for one case."""

    decision: Decision
    estimate: Estimate | str
    order: OrderFacts
    start: date
    reviews: tuple[str, ...]
    policy: Policy


def check_text(text: str, policy: Policy) -> ArticleCheck:
    """Run every example of a Markdown text (or a whole article file); lines count from 1."""
    try:
        examples = parse_examples(text)
    except ExampleError as exc:
        # A block that cannot be read proves nothing: one failure, at its line.
        return ArticleCheck(1, (Failure(exc.line, "policy block", "a valid block", exc.message),))
    failures = [failure for example in examples for failure in run_example(example, policy)]
    return ArticleCheck(len(examples), tuple(failures))


@lru_cache(maxsize=1024)
def check_text_cached(text: str, policy: Policy) -> ArticleCheck:
    """``check_text``, remembered per text and policy: the studio's list asks often."""
    return check_text(text, policy)


def run_example(example: Example, policy: Policy) -> list[Failure]:
    """The expectations of one case that the engine does not meet."""
    values = placeholder_values(policy)
    try:
        outcome = _run(example, policy, values)
    except (ValueError, TypeError) as exc:
        return [Failure(example.line, example.case, "a case the engine can judge", str(exc))]
    failures = []
    for expectation in example.expectations:
        try:
            expected, got = _compare(expectation, outcome, values)
        except (ValueError, TypeError) as exc:
            expected, got = str(expectation.value), f"an error: {exc}"
        if expected is not None:
            failures.append(Failure(expectation.line, example.case, expected, got))
    return failures


# ---- the facts ----------------------------------------------------------------------------


def resolve(value: Any, values: dict[str, object]) -> Any:
    """A placeholder string's policy value (plus or minus a number of days); else the value."""
    if not is_placeholder(value):
        return value
    match = EXAMPLE_PLACEHOLDER.fullmatch(value.strip())
    if match is None:  # is_placeholder said it was one: only a bug gets here
        raise ValueError(f"not a policy placeholder: {value!r}")
    name, sign, number = match.groups()
    resolved = values.get(name)
    if isinstance(resolved, bool) or not isinstance(resolved, int | Decimal):
        raise ValueError(f"{{{{ policy.{name} }}}} is not a number")
    if sign:
        resolved = resolved + int(number) if sign == "+" else resolved - int(number)
    return resolved


def _noon(policy: Policy, day: date) -> datetime:
    return datetime.combine(day, _NOON, tzinfo=policy.zone).astimezone(UTC)


def _days(value: Any, values: dict[str, object]) -> int:
    days = resolve(value, values)
    if isinstance(days, Decimal):
        if days != days.to_integral_value():
            raise ValueError(f"{days} is not a number of days")
        days = int(days)
    return int(days)


def _amount(value: Any, values: dict[str, object], currency: str) -> Decimal:
    resolved = resolve(value, values)
    return quantize(parse_money(resolved if isinstance(resolved, Decimal) else str(resolved), currency), currency)


def _order(example: Example, policy: Policy, values: dict[str, object]) -> tuple[OrderFacts, ItemFacts, date]:
    """The order, the item and the day the windows start from (delivery, or purchase)."""
    facts = example.facts.get("order", {})
    item_facts = example.facts.get("item", {})
    channel = Channel(facts.get("channel", Channel.ONLINE))
    currency = facts.get("currency", "EUR")
    delivered_at: datetime | None
    if channel is Channel.STORE:
        bought = EXAMPLES_TODAY - timedelta(days=_days(facts.get("days_since_purchase", 0), values))
        placed_at = delivered_at = _noon(policy, bought)
        start = bought
    elif facts.get("delivered", True) is False:
        bought = EXAMPLES_TODAY - timedelta(days=_days(facts.get("days_since_purchase", 0), values))
        placed_at, delivered_at, start = _noon(policy, bought), None, bought
    else:
        arrived = EXAMPLES_TODAY - timedelta(days=_days(facts.get("days_since_delivery", 0), values))
        if "days_since_purchase" in facts:
            bought = EXAMPLES_TODAY - timedelta(days=_days(facts["days_since_purchase"], values))
        else:
            bought = arrived - timedelta(days=_SHIPPING_DAYS)
        if bought > arrived:
            raise ValueError("the order was placed after it was delivered")
        placed_at, delivered_at, start = _noon(policy, bought), _noon(policy, arrived), arrived
    item = ItemFacts(
        sku="EXAMPLE",
        category=item_facts.get("category", "clothing"),
        unit_price=_amount(item_facts.get("price", "50.00"), values, currency),
        quantity=_days(item_facts.get("quantity", 1), values),
        final_sale=item_facts.get("final_sale", False),
        returned_quantity=_days(item_facts.get("returned_quantity", 0), values),
    )
    others = _amount(facts.get("other_items_total", "0"), values, currency)
    order = OrderFacts(
        number="EXAMPLE",
        channel=channel,
        currency=currency,
        placed_at=placed_at,
        delivered_at=delivered_at,
        shipping=_amount(facts.get("shipping", "0"), values, currency),
        items_total=item.unit_price * item.quantity + others,
    )
    return order, item, start


def _run(example: Example, policy: Policy, values: dict[str, object]) -> _Outcome:
    order, item, start = _order(example, policy, values)
    item_facts = example.facts.get("item", {})
    # By default the whole line comes back (or one, to show it cannot come back twice).
    quantity = _days(item_facts.get("return_quantity", max(item.remaining, 1)), values)
    reason = example.facts["reason"]
    condition = example.facts.get("condition", "unopened")
    decision = decide(policy, order, item, reason, condition, EXAMPLES_TODAY, quantity)
    estimate: Estimate | str = "not eligible"
    reviews: tuple[str, ...] = tuple(decision.review_reasons)
    if decision.eligible:
        resolution = example.facts.get("resolution") or _default(decision.resolutions, Resolution.REFUND)
        method = example.facts.get("method") or _default(decision.methods, Method.CARRIER)
        if resolution not in decision.resolutions:
            estimate = f"{resolution} not offered"
        elif method not in decision.methods:
            estimate = f"{method} not offered"
        else:
            line = ReturnLine(item=item, quantity=quantity, reason=reason, condition=condition)
            estimate = estimate_return(policy, order, [line], resolution, method)
        shopper = example.facts.get("shopper", {})
        reviews += review_reasons(
            policy,
            prior_returns_12m=_days(shopper.get("returns_last_12_months", 0), values),
            receiptless=shopper.get("receiptless", False),
            return_value=item.unit_price * quantity,
        )
    return _Outcome(decision, estimate, order, start, reviews, policy)


def _default(offered: Sequence[str], preferred: str) -> str:
    return preferred if preferred in offered else offered[0]


# ---- the comparison ---------------------------------------------------------------------------


def _compare(
    expectation: Expectation, outcome: _Outcome, values: dict[str, object]
) -> tuple[str | None, str]:
    """(expected, got) as the writer reads them; expected is None when the engine agrees."""
    name, wanted = expectation.name, expectation.value
    decision = outcome.decision
    if name in MONEY_EXPECTATIONS:
        currency = outcome.order.currency
        expected_amount = _amount(wanted, values, currency)
        got_amount = _money_answer(name, outcome)
        got = got_amount if isinstance(got_amount, str) else f"{got_amount} {currency}"
        return _verdict(name, f"{expected_amount} {currency}", got)
    if name == "last_day":
        expected_day = None if wanted is None else _days(wanted, values)
        ends = decision.window_ends
        return _verdict(name, _show(expected_day), _show(None if ends is None else (ends - outcome.start).days))
    if name in ("resolutions", "methods"):
        return _verdict(name, _show(wanted), _show([str(code) for code in getattr(decision, name)]))
    if name.endswith(("_include", "_exclude")):
        field, _, mode = name.rpartition("_")
        offered = [str(code) for code in getattr(decision, field)]
        wrong = [code for code in wanted if (code in offered) != (mode == "include")]
        expected = f"{field} {'with' if mode == 'include' else 'without'} {', '.join(wanted)}"
        return (expected if wrong else None), f"{field} {_show(offered)}"
    if name == "review_reasons":
        return _verdict(name, _show(sorted(wanted)), _show(sorted(outcome.reviews)))
    if name == "needs_review":
        return _verdict(name, _show(wanted), _show(bool(outcome.reviews)))
    if name == "not_eligible":
        refused = decision.not_eligible_reason
        return _verdict(name, str(wanted), "none (eligible)" if refused is None else str(refused))
    return _verdict(name, _show(wanted), _show(getattr(decision, name)))


def _verdict(name: str, expected: str, got: str) -> tuple[str | None, str]:
    return (None if expected == got else f"{name} {expected}"), f"{name} {got}"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _money_answer(name: str, outcome: _Outcome) -> Decimal | str:
    """The amount the engine answers for a money expectation, or why there is none."""
    currency = outcome.order.currency
    if name == "goodwill_cap":
        return goodwill_cap(outcome.policy, outcome.order)
    if name == "guarantee_cap":
        # What one guarantee claim on this order may pay at most (the order's own currency).
        return floor_to_minor(outcome.policy.guarantee_cap, currency)
    if isinstance(outcome.estimate, str):
        return outcome.estimate
    field = {"fee": "fee", "deduction": "deduction", "refund_total": "total", "shipping_refunded": "shipping"}[name]
    return quantize(getattr(outcome.estimate, field), currency)
