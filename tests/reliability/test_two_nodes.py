"""Two web nodes, one PostgreSQL database, one Redis: what the README's deployment promises.

Each node is its own gunicorn with its own search index folder, as on two machines; background
work runs in `kb outbox run` processes, one per node. Nothing is checked after a fixed sleep:
every "the other node sees it" is polled for with a deadline.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb.desk.admin_service import register_webhook
from kb.extensions import db
from kb.mail.models import OutboxMessage
from kb.mail.service import queue_email, queue_webhooks
from tests.conftest import make_app
from tests.reliability.cluster import (
    Browser,
    Node,
    call,
    dedicated_database,
    kb_command,
    node_env,
    poll,
    redis_server,
)
from tests.reliability.receivers import smtp_receiver, webhook_receiver
from tests.reliability.server import BIN, ROOT

pytestmark = pytest.mark.server

ORDERS = 120
WRITER = ("writer@example.com", "a long writer password")
# How long another node may take to see a change: its sync interval (1 s) plus a wide margin
# for a loaded CI machine. The test polls, so a quick sync passes quickly.
SEEN_WITHIN = 30.0


@dataclass
class Cluster:
    """The two nodes and what the tests share."""

    a: Node
    b: Node
    database: str
    tmp: Path
    agent: dict[str, str]  # the Authorization header of an agent's API token


def _orders() -> list[dict]:
    return [
        {"number": f"N{n:04d}", "email": f"shopper{n}@example.com", "placed_at": "2026-11-20T10:00:00Z",
         "delivered_at": "2026-11-22T15:00:00Z", "channel": "online", "currency": "EUR", "shipping": "4.99",
         "items": [{"sku": "TEE", "name": "Tee", "category": "apparel", "quantity": 1, "unit_price": "19.90"}]}
        for n in range(ORDERS)
    ]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Both nodes serving, on a database set up once through node A's `kb` command."""
    tmp = tmp_path_factory.mktemp("two-nodes")
    with dedicated_database() as database, redis_server() as redis_url:
        a = Node("a", node_env(tmp, "a", database, redis_url))
        b = Node("b", node_env(tmp, "b", database, redis_url))
        kb_command(a.env, "init", "--no-demo")
        kb_command(b.env, "reindex")  # node B builds its own index from the same database
        (tmp / "orders.json").write_text(json.dumps(_orders()))
        kb_command(a.env, "orders", "import", str(tmp / "orders.json"))
        kb_command(a.env, "users", "create", WRITER[0], "--role", "writer", "--password-stdin",
                   input_text=WRITER[1] + "\n")
        token = kb_command(a.env, "tokens", "create", "--role", "agent").strip().splitlines()[-1]
        a.start()
        b.start()
        try:
            yield Cluster(a, b, database, tmp, {"Authorization": f"Bearer {token}"})
        finally:
            a.stop()
            b.stop()


def _shopper(n: int) -> dict[str, str]:
    """Headers of shopper n, who comes from an address of their own (through the proxy)."""
    return {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}


def _open_return(base: str, n: int) -> tuple[int, str | None]:
    """Shopper n opens a refund for their tee on the node at ``base``; (status, reference)."""
    who = _shopper(n)
    status, found = call(f"{base}/api/v1/returns/lookup",
                         {"order_number": f"N{n:04d}", "email": f"shopper{n}@example.com"}, who)
    if status != 200:
        return status, None
    item = {"sku": "TEE", "quantity": 1, "reason": "defective", "condition": "unopened"}
    status, _ = call(f"{base}/api/v1/returns/options", {"session": found["session"], "items": [item]}, who)
    if status != 200:
        return status, None
    status, created = call(f"{base}/api/v1/returns",
                           {"session": found["session"], "items": [item], "resolution": "refund",
                            "method": "carrier"}, {**who, "Idempotency-Key": f"return-{n}"})
    return status, created.get("reference") if isinstance(created, dict) else None


def test_an_article_published_in_one_nodes_studio_is_found_and_shown_on_the_other(cluster: Cluster) -> None:
    category = f"{cluster.b.base}/en/categories/returning"
    search = f"{cluster.b.base}/api/v1/search?lang=en&q=unicycle"
    assert call(search)[1]["total"] == 0
    assert "Returning a unicycle" not in call(category)[1]  # node B now holds this page in its cache

    writer = Browser(cluster.a.base)
    writer.submit("/login", {"email": WRITER[0], "password": WRITER[1]})
    status, page = writer.submit("/studio/new", {
        "title": "Returning a unicycle", "slug": "", "lang": "en", "category": "returning",
        "tags": "unicycle", "summary": "Unicycles go back by courier.", "status": "published",
        "body": "Book a courier pickup for your unicycle.\r\n\r\nKeep the box.", "message": "First version",
        "action": "save",
    })
    assert status == 200 and "Returning a unicycle" in page

    poll(lambda: call(search)[1]["total"] == 1, SEEN_WITHIN, "node B's search finds the new article")
    poll(lambda: "Returning a unicycle" in call(category)[1], SEEN_WITHIN, "node B's cached page lists it")
    [hit] = call(search)[1]["results"]
    status, article = call(f"{cluster.b.base}/en/articles/{hit['slug']}")
    assert status == 200 and "Book a courier pickup for your unicycle" in article
    # Node B answered from its own index, not from the database fallback.
    assert call(f"{cluster.b.base}/healthz")[1]["search_index"] == "ok"


def test_the_lookup_limit_holds_across_both_nodes_together(cluster: Cluster) -> None:
    same_client = {"X-Forwarded-For": "203.0.113.7"}
    answers = [
        call(f"{node.base}/api/v1/returns/lookup", {"order_number": "N9999", "email": "x@example.com"},
             same_client)[0]
        for _ in range(8) for node in (cluster.a, cluster.b)
    ]
    assert sum(status != 429 for status in answers) == 10, answers  # 10 per minute, not 10 per node
    assert answers[-1] == 429


def test_a_ticket_opened_on_one_node_is_in_the_others_desk_and_refunded_once(cluster: Cluster) -> None:
    status, reference = _open_return(cluster.a.base, 0)
    assert status == 201 and reference
    status, ticket = call(f"{cluster.b.base}/api/v1/tickets/{reference}", headers=cluster.agent)
    assert status == 200 and ticket["reference"] == reference
    status, listing = call(f"{cluster.b.base}/api/v1/tickets?q={reference}", headers=cluster.agent)
    assert status == 200 and [t["reference"] for t in listing["tickets"]] == [reference]

    refund = {"amount": "19.90", "method": "original_payment", "review_checked": True}
    first = call(f"{cluster.a.base}/api/v1/tickets/{reference}/refund", refund, cluster.agent)
    again = call(f"{cluster.b.base}/api/v1/tickets/{reference}/refund", refund, cluster.agent)
    assert first[0] == 201, first
    assert again[0] in (409, 422), again  # refused: the ticket is refunded already
    status, ticket = call(f"{cluster.a.base}/api/v1/tickets/{reference}", headers=cluster.agent)
    assert len(ticket["refunds"]) == 1


def _start_worker(node: Node) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "kb"), "outbox", "run"], env=node.env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_both_nodes_workers_send_each_email_and_webhook_exactly_once(cluster: Cluster) -> None:
    messages = 30
    with smtp_receiver() as (smtp_url, mails), webhook_receiver() as (hook_url, calls):
        for node in (cluster.a, cluster.b):
            node.env["KB_SMTP_URL"] = smtp_url
        workers = [_start_worker(node) for node in (cluster.a, cluster.b)]
        try:
            app = make_app(cluster.tmp / "queue", DATABASE_URL=cluster.database)
            with app.app_context():
                register_webhook(hook_url, "*")
                for n in range(messages):
                    queue_email(f"once{n}@example.com", "Your return", "Hello")
                    queue_webhooks("return.test", {"n": n})
                db.session.commit()
                poll(lambda: calls.total() >= messages, 120,
                     "every message delivered")

                def all_sent() -> bool:
                    db.session.rollback()  # see the workers' commits
                    waiting = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
                    return db.session.scalar(waiting) == 0

                poll(all_sent, 60, "every message marked sent")
                senders = db.session.scalar(select(func.count(func.distinct(OutboxMessage.claimed_by))))
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            codes = [worker.wait(timeout=90) for worker in workers]
            for node in (cluster.a, cluster.b):
                node.env.pop("KB_SMTP_URL")
        assert codes == [0, 0]
        # Only this test's messages: the return opened earlier queued e-mails of its own.
        ours = {key: count for key, count in mails.counts.items() if key.startswith("once")}
        assert set(ours.values()) == {1} and len(ours) == messages, mails.counts
        assert set(calls.counts.values()) == {1} and len(calls.counts) == messages, calls.counts
        assert senders >= 1


def test_restarting_one_node_while_the_other_serves_loses_no_acknowledged_request(cluster: Cluster) -> None:
    acknowledged: list[str] = []
    failures: list[tuple[int, str, int]] = []
    restarted = threading.Event()
    after_restart = 0
    n = 1  # shopper 0 was used above

    def shop() -> None:
        # Shoppers alternate between the nodes, as a load balancer spreads them; a node that
        # refuses the connection (restarting) sends the shopper to the other, as the proxy would.
        nonlocal n, after_restart
        while n < ORDERS and after_restart < 6:
            first, other = (cluster.a, cluster.b) if n % 2 else (cluster.b, cluster.a)
            try:
                status, reference = _open_return(first.base, n)
            except OSError:
                status, reference = _open_return(other.base, n)
            if status == 201 and reference:
                acknowledged.append(reference)
            elif status != 409:  # 409: the first node had opened it before going down
                failures.append((n, first.name, status))
            if restarted.is_set():
                after_restart += 1
            n += 1

    shopper = threading.Thread(target=shop)
    shopper.start()
    try:
        poll(lambda: len(acknowledged) >= 4, 120, "shoppers served before the restart")
        cluster.a.stop()  # gracefully: the request in hand is finished
        cluster.a.start()
        restarted.set()
    finally:
        shopper.join(timeout=300)
    assert not shopper.is_alive()
    assert failures == []
    assert after_restart >= 6 and len(acknowledged) >= 10
    for reference in acknowledged:
        status, _ = call(f"{cluster.b.base}/api/v1/tickets/{reference}", headers=cluster.agent)
        assert status == 200, reference
