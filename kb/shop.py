"""The shop's policy as this app is configured to use it (file and time zone)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app

from kb.policy import Policy, load_policy, placeholder_values
from kb.policy.money import Money

# Placeholders that are amounts of money: articles show them with the shop's currency.
MONEY_PLACEHOLDERS = ("return_fee", "goodwill_cap", "guarantee_cap", "receiptless_review_over")


def current_policy() -> Policy:
    """The policy loaded once per app from ``POLICY_FILE`` (or the packaged default)."""
    policy = current_app.extensions.get("kb_policy")
    if policy is None:
        policy = load_policy(
            current_app.config.get("POLICY_FILE") or None,
            timezone=current_app.config.get("SHOP_TIMEZONE") or None,
        )
        current_app.extensions["kb_policy"] = policy
    return policy


def article_placeholders(policy: Policy, currency: str = "EUR") -> dict[str, Any]:
    """The values that fill ``{{ policy.* }}`` placeholders in articles, amounts in ``currency``."""
    values = dict(placeholder_values(policy))
    for name in MONEY_PLACEHOLDERS:
        values[name] = Money(Decimal(str(values[name])), currency)
    values["store_list"] = values["stores"]
    return values


def policy_placeholders() -> dict[str, Any]:
    """The values that fill ``{{ policy.* }}`` placeholders in articles."""
    return article_placeholders(current_policy(), current_app.config.get("SHOP_CURRENCY") or "EUR")
