"""Under the real server, concurrent webhook deliveries each store their order once, without error."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kb.shops.signing import signature
from tests.reliability.server import count_rows, gunicorn, init_site, server_env
from tests.shops.conftest import fixture

ORDERS = 100
CLIENTS = 10
SECRET = "server-test-secret"


def _order(n: int) -> bytes:
    payload = fixture("shopify_order.json")
    payload.update({"id": 900000 + n, "name": f"#{5000 + n}", "email": f"shopper{n}@example.com"})
    return json.dumps(payload).encode()


def _deliver(base: str, n: int, delivery: str) -> tuple[int, str]:
    """Send order n's orders/create webhook as Shopify does; returns (status, outcome)."""
    body = _order(n)
    request = urllib.request.Request(f"{base}/hooks/shopify", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": delivery, "X-Shopify-Hmac-Sha256": signature(SECRET, body)})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())["status"]
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:200]


@pytest.mark.server
def test_100_webhooks_from_10_clients_store_every_order_once(tmp_path: Path) -> None:
    env = server_env(tmp_path, KB_SHOPIFY_WEBHOOK_SECRET=SECRET)
    init_site(env)
    with gunicorn(env, workers=2) as base, ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(lambda n: _deliver(base, n, f"delivery-{n}"), range(ORDERS)))
        # Shopify retries a delivery it thinks failed: the same id again, at the same moment as others.
        repeats = list(pool.map(lambda n: _deliver(base, n, f"delivery-{n}"), range(0, ORDERS, 10)))
        # A new delivery about an order already stored (orders/updated) replaces it, not duplicates it.
        updates = list(pool.map(lambda n: _deliver(base, n, f"update-{n}"), range(0, ORDERS, 10)))
        # orders/create and orders/updated of a new order racing each other: one order.
        racing = list(pool.map(lambda d: _deliver(base, d[0], d[1]),
                               [(ORDERS + k, f"{kind}-{ORDERS + k}") for k in range(5) for kind in ("create", "upd")]))
    assert results == [(200, "stored")] * ORDERS, Counter(results)
    assert repeats == [(200, "duplicate")] * (ORDERS // 10), Counter(repeats)
    assert updates == [(200, "stored")] * (ORDERS // 10), Counter(updates)
    assert racing == [(200, "stored")] * 10, Counter(racing)
    assert count_rows(env, "shop_order") == ORDERS + 5
    assert count_rows(env, "order_item") == (ORDERS + 5) * 2
    assert count_rows(env, "shop_webhook_delivery") == ORDERS + ORDERS // 10 + 10
    assert count_rows(env, "shop_platform_order") == ORDERS + 5
