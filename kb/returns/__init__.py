"""Returns: the returns hub and the self-help returns assistant."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask import Flask

from kb.policy.money import format_money
from kb.web import current_lang


def money(amount: Decimal, currency: str) -> str:
    """An amount with its currency, as a reader of the page's language writes it."""
    return format_money(amount, currency, current_lang())


def init_app(app: Flask) -> None:
    """Register the hub and the assistant (pages, API and embed)."""
    # status adds routes to wizard.bp.
    from kb.api_docs import register
    from kb.returns import api, embed, resend_pages, status, views, wizard  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(wizard.bp)
    app.register_blueprint(resend_pages.bp)
    register(app, api.bp)
    app.register_blueprint(embed.bp)
    app.context_processor(_labels)


def _labels() -> dict[str, Any]:
    from kb.returns import labels
    from kb.shop import policy_placeholders

    return {
        "reasons": labels.REASONS,
        "conditions": labels.CONDITIONS,
        "resolutions": labels.RESOLUTIONS,
        "methods": labels.METHODS,
        "not_eligible": labels.NOT_ELIGIBLE,
        "answers": labels.ANSWERS,
        "statuses": labels.STATUSES,
        "decline_reasons": labels.DECLINE_REASONS,
        "event_labels": labels.EVENTS,
        "money": money,
        "format_decimal": lambda value: format_decimal(value, format="#,##0.00", locale=current_lang()),
        "policy_values": _PolicyValues(policy_placeholders()),
    }


class _PolicyValues:
    """Attribute access to the policy's placeholder values in templates."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
