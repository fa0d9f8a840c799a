"""Under the real server with two workers, concurrent shoppers all get their ticket, once."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.reliability.server import count_rows, gunicorn, init_site, kb, post_json, server_env

ORDERS = 300
CLIENTS = 30


def _orders() -> list[dict]:
    return [
        {"number": f"C{n:05d}", "email": f"shopper{n}@example.com", "placed_at": "2026-11-20T10:00:00Z",
         "delivered_at": "2026-11-22T15:00:00Z", "channel": "online", "currency": "EUR", "shipping": "4.99",
         "items": [{"sku": "TEE", "name": "Tee", "category": "apparel", "quantity": 1, "unit_price": "19.90"}]}
        for n in range(ORDERS)
    ]


def _return_one(base: str, n: int) -> tuple[int, str | None, dict | None]:
    """Look up, ask for options and open the return of order n: (status, reference, request sent)."""
    status, found = post_json(f"{base}/api/v1/returns/lookup",
                              {"order_number": f"C{n:05d}", "email": f"shopper{n}@example.com"})
    if status != 200:
        return status, None, None
    item = {"sku": "TEE", "quantity": 1, "reason": "defective", "condition": "unopened"}
    status, _ = post_json(f"{base}/api/v1/returns/options", {"session": found["session"], "items": [item]})
    if status != 200:
        return status, None, None
    submission = {"session": found["session"], "items": [item], "resolution": "refund", "method": "carrier"}
    status, created = post_json(f"{base}/api/v1/returns", submission, headers={"Idempotency-Key": f"order-{n}"})
    return status, created.get("reference"), submission


def _submit_again(base: str, n: int, submission: dict | None) -> tuple[int, str | None]:
    """The very same submission sent again, as a client that never saw the answer would."""
    assert submission is not None
    status, created = post_json(f"{base}/api/v1/returns", submission, headers={"Idempotency-Key": f"order-{n}"})
    return status, created.get("reference")


@pytest.mark.server
def test_300_wizard_submissions_from_30_clients_all_land_once(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps(_orders()))
    init_site(env)
    kb(env, "orders", "import", str(orders))
    with gunicorn(env, workers=2) as base, ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(lambda n: _return_one(base, n), range(ORDERS)))
        # A retried submission (same session, same Idempotency-Key) answers with the ticket
        # already created, twice at once too, and never creates a second one.
        retried = list(pool.map(lambda n: _submit_again(base, n % 3, results[n % 3][2]), range(6)))
        # A new return of an item already returned is refused.
        again = [_return_one(base, n) for n in range(3)]
    statuses = [status for status, _, _ in results]
    references = [ref for _, ref, _ in results]
    assert statuses == [201] * ORDERS, Counter(statuses)
    assert len(set(references)) == ORDERS
    assert retried == [(200, references[n % 3]) for n in range(6)]
    assert [status for status, _, _ in again] == [409] * 3  # already returned, nothing doubled
    assert count_rows(env, "ticket") == ORDERS
    assert count_rows(env, "ticket_item") == ORDERS
