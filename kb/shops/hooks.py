"""``POST /hooks/shopify`` and ``POST /hooks/woocommerce``: the shop platforms' webhooks.

Each delivery is checked against its platform's signature over the raw body before anything
is parsed; a wrong or missing signature is refused (401) and nothing is stored. A platform
whose secret is not configured answers 404 (``not_configured``): its dashboard shows the delivery failing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from kb.extensions import csrf
from kb.shops import service, shopify, signing, woocommerce
from kb.shops.mapping import PayloadError
from kb.web import json_error

bp = Blueprint("hooks", __name__)
csrf.exempt(bp)  # signed by the platform instead: no browser, no session
log = logging.getLogger(__name__)


def _checked_body(setting: str, header: str) -> tuple[bytes | None, tuple[Response, int] | None]:
    """The raw body when its signature is right; else the error to answer (nothing parsed yet)."""
    secret = current_app.config.get(setting)
    if not secret:
        log.error("a webhook arrived at %s but KB_%s is not set", request.path, setting)
        return None, json_error(404, "not_configured",
                                f"This webhook is not set up: set KB_{setting} to the shop's webhook secret.")
    body = request.get_data(cache=False)
    if not signing.verify(str(secret), body, request.headers.get(header)):
        log.warning("webhook at %s refused: wrong or missing %s", request.path, header)
        return None, json_error(401, "bad_signature", f"The {header} signature does not match this body.")
    return body, None


def _payload(body: bytes) -> dict[str, Any] | None:
    try:
        payload = current_app.json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _delivery_id(header: str, body: bytes) -> str:
    """The platform's delivery id; without one, the body's hash (the same body is the same news)."""
    given = (request.headers.get(header) or "").strip()
    return given[:100] if given else "sha256:" + hashlib.sha256(body).hexdigest()


@bp.post("/hooks/shopify")
def shopify_hook() -> tuple[Response, int]:
    """Shopify's order, fulfilment and product webhooks."""
    return _receive(shopify, "SHOPIFY_WEBHOOK_SECRET", _shopify_action)


def _shopify_action(topic: str, payload: dict[str, Any]) -> Any:
    if topic in shopify.ORDER_TOPICS:
        return lambda: service.store_order(shopify.PLATFORM, shopify.order_update(payload))
    if topic in shopify.FULFILMENT_TOPICS:
        return lambda: service.record_delivery(shopify.PLATFORM, shopify.delivery(payload))
    if topic in shopify.PRODUCT_TOPICS:
        return lambda: service.store_product(shopify.product_record(payload))
    return None


@bp.post("/hooks/woocommerce")
def woocommerce_hook() -> tuple[Response, int]:
    """WooCommerce's order and product webhooks, and its ping when a webhook is created."""
    if not request.headers.get(woocommerce.SIGNATURE_HEADER) and _is_ping():
        return jsonify({"status": "pong"}), 200
    return _receive(woocommerce, "WOOCOMMERCE_WEBHOOK_SECRET", _woocommerce_action)


def _receive(platform: Any, secret_setting: str,
             action_for: Callable[[str, dict[str, Any]], Any]) -> tuple[Response, int]:
    """One delivery of either platform: signature checked on the raw body first, then its topic's action.

    ``platform`` is the platform's module (``shopify`` or ``woocommerce``), which names its headers.
    """
    body, error = _checked_body(secret_setting, platform.SIGNATURE_HEADER)
    if error is not None or body is None:
        return error or json_error(400, "invalid_body", "The body could not be read.")
    payload = _payload(body)
    if payload is None:
        return json_error(400, "invalid_json", "The body must be a JSON object.")
    topic = (request.headers.get(platform.TOPIC_HEADER) or "").strip()
    apply = action_for(topic, payload)
    if apply is None:
        log.info("%s webhook topic %r is not one kb uses; acknowledged", platform.PLATFORM, topic)
        return jsonify({"status": "ignored", "detail": f"topic {topic!r} is not used"}), 200
    outcome = service.receive(platform.PLATFORM, _delivery_id(platform.DELIVERY_HEADER, body), topic, apply)
    return jsonify(outcome.as_json()), 200


def _is_ping() -> bool:
    """WooCommerce's check of a new webhook's address: ``webhook_id=<id>`` as a form body."""
    if (request.content_length or 0) > 64:
        return False
    return bool(woocommerce.PING.match(request.get_data(cache=True).strip()))


def _woocommerce_action(topic: str, payload: dict[str, Any]) -> Any:
    platform = woocommerce.PLATFORM
    if topic in ("order.created", "order.updated"):
        return lambda: service.store_order(platform, woocommerce.order_update(payload))
    if topic == "order.deleted":
        return lambda: service.cancel_order(platform, woocommerce.deleted_order_id(payload))
    if topic in woocommerce.PRODUCT_TOPICS:
        return lambda: _woocommerce_product(payload)
    return None


def _woocommerce_product(payload: dict[str, Any]) -> service.Outcome:
    if woocommerce.is_variation(payload):
        product_id, values = woocommerce.variation_record(payload)
        return service.store_variation(product_id, values)
    if not payload.get("id"):
        raise PayloadError("the product has no id")
    return service.store_product(woocommerce.product_record(payload), variants_required=False)
