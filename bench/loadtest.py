"""`make loadtest`: serve the site as `make run` does and drive it with locust on loopback.

    python -m bench.loadtest [--duration 300] [--users 40] [--workers 2] [--think-ms 10] [--out FILE]
    make loadtest DURATION=60

The mix is 70% article and hub views, 20% searches and suggestions, 10% wizard flows.
The site is prepared and served as `make run` does it (`kb init` with the demo data, then
`kb serve`: gunicorn and the background worker), plus 200 orders a second of load for the
wizard, with rate limits off. On SQLite by default; when ``KB_DATABASE_URL`` names a
PostgreSQL database, on that server, in a scratch database created beside it
(``<name>_loadtest``, dropped afterwards): the named database itself is never touched.
Each user waits 0 to ``--think-ms`` milliseconds between tasks (10 by default). With 40 users
the wait bounds the rate whatever the server does: 0–50 ms, the first setting, allowed at most
1,600 tasks a second with instant answers, so the run measured the wait as much as the server.
Prints requests per second, p50/p95/p99 and errors per endpoint, the load generator's own
CPU use (it shares the machine's cores), and writes bench/load.json.
"""

from __future__ import annotations

# locust patches the standard library with gevent: it must be imported first.
from locust import FastHttpUser, between, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import itertools
import json
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import gevent

from tests.reliability.server import BIN, ROOT, free_port, kb, server_env, wait_until_up

ARTICLES = [p.stem for p in (Path(__file__).resolve().parent.parent / "articles" / "en").glob("*.md")]
QUERIES = ["refund", "retrun label", "parcel never arrived", "exchange size", "store return", "damaged",
           "remboursement", "colis pas recu", "echange taille", "warranty repair", "gift", "cancel order"]
_ORDER_NUMBERS = itertools.count()


def _orders(count: int) -> list[dict]:
    now = datetime.now(UTC)
    placed = now.replace(hour=9).isoformat().replace("+00:00", "Z")
    return [
        {"number": f"L{n:06d}", "email": f"load{n}@example.com", "placed_at": placed, "delivered_at": placed,
         "channel": "online", "currency": "EUR", "shipping": "4.99",
         "items": [{"sku": "TEE", "name": "Tee", "category": "apparel", "quantity": 1, "unit_price": "19.90"}]}
        for n in range(count)
    ]


class Shopper(FastHttpUser):
    """A help-centre visitor: mostly reading, some searching, a few returns."""

    wait_time = between(0.0, 0.01)  # --think-ms sets the upper bound

    @task(50)
    def article(self) -> None:
        slug = random.choice(ARTICLES)
        self.client.get(f"/en/articles/{slug}", name="/en/articles/[slug]")

    @task(20)
    def hub(self) -> None:
        self.client.get(random.choice(["/en/returns", "/fr/returns", "/en/"]), name="hub and home")

    @task(12)
    def search(self) -> None:
        q = random.choice(QUERIES)
        self.client.get(f"/api/v1/search?q={q}&lang=en", name="/api/v1/search")

    @task(8)
    def suggest(self) -> None:
        q = random.choice(QUERIES)[: random.randint(2, 6)]
        self.client.get(f"/api/v1/suggest?q={q}&lang=en", name="/api/v1/suggest")

    @task(10)
    def wizard(self) -> None:
        n = next(_ORDER_NUMBERS)
        found = self.client.post("/api/v1/returns/lookup", json={"order_number": f"L{n:06d}",
                                                                 "email": f"load{n}@example.com"},
                                 name="/api/v1/returns/lookup")
        if found.status_code != 200:
            return
        session = found.json()["session"]
        item = {"sku": "TEE", "quantity": 1, "reason": "changed_mind", "condition": "unopened"}
        self.client.post("/api/v1/returns/options", json={"session": session, "items": [item]},
                         name="/api/v1/returns/options")
        if n % 2:
            self.client.post("/api/v1/returns/deflect", json={"session": session}, name="/api/v1/returns/deflect")
        else:
            self.client.post("/api/v1/returns", json={"session": session, "items": [item], "resolution": "refund",
                                                      "method": "carrier"}, name="/api/v1/returns")


def main() -> None:
    """Run the load test and print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=int(os.environ.get("DURATION", "300")),
                        help="seconds of load (default 300, or DURATION)")
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "40")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think-ms", type=float, default=10.0,
                        help="each user waits 0 to this many ms between tasks (default 10)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("load.json"),
                        help="where the figures are written (default bench/load.json)")
    args = parser.parse_args()
    Shopper.wait_time = between(0.0, args.think_ms / 1000)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(os.environ.get("KB_DATABASE_URL", "")) as url:
        env = server_env(Path(tmp), KB_DATABASE_URL=url or f"sqlite:///{Path(tmp) / 'kb.sqlite3'}")
        orders = Path(tmp) / "orders.json"
        # Each wizard flow takes an order of its own: at 1,500 requests/s about 125 flows a second.
        orders.write_text(json.dumps(_orders(max(20_000, args.duration * 200))))
        print(f"preparing the database ({_database_kind(env)}) and index…", file=sys.stderr)
        kb(env, "init", "--demo")
        kb(env, "orders", "import", str(orders))
        server_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with served(env, args.workers) as base:
            environment = Environment(user_classes=[Shopper], host=base)
            runner = environment.create_local_runner()
            before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.monotonic()
            runner.start(args.users, spawn_rate=args.users)
            gevent.sleep(args.duration)
            runner.quit()
            elapsed = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
        # The server's processes are counted once `kb serve` has exited and been waited for.
        server_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        database = _database_kind(env)
    cpu = _cpu(before, after)
    report = _report(environment, elapsed, cpu, _cpu(server_before, server_after), args, database)
    out = args.out
    out.write_text(json.dumps(report, indent=2))
    _print(report)
    print(f"wrote {out}", file=sys.stderr)


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """For a PostgreSQL ``url``: a new empty database beside it, dropped afterwards; else ""."""
    if not url.startswith("postgresql"):
        yield ""
        return
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name, _, options = name.partition("?")
    scratch = f"{name}_loadtest"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        yield f"{base}/{scratch}" + (f"?{options}" if options else "")
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


def _database_kind(env: dict[str, str]) -> str:
    return "PostgreSQL" if env["KB_DATABASE_URL"].startswith("postgresql") else "SQLite"


@contextmanager
def served(env: dict[str, str], workers: int) -> Iterator[str]:
    """The site as `make run` serves it (`kb serve`: gunicorn and `kb outbox run`); yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "kb"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(base, process):
            raise SystemExit("kb serve did not start")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)  # kb serve stops gunicorn and the worker, then exits
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _cpu(before: resource.struct_rusage, after: resource.struct_rusage) -> float:
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _report(environment: Environment, elapsed: float, cpu: float, server_cpu: float,
            args: argparse.Namespace, database: str) -> dict:
    stats = environment.stats
    endpoints = {}
    for entry in sorted(stats.entries.values(), key=lambda e: -e.num_requests):
        endpoints[f"{entry.method} {entry.name}"] = _figures(entry, elapsed)
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "date": datetime.now(UTC).isoformat(),
        "database": database,
        "duration_s": round(elapsed, 1), "users": args.users, "think_ms": args.think_ms,
        "gunicorn_workers": args.workers,
        "load_generator_cpu_s": round(cpu, 1),
        "load_generator_cpu_share": round(cpu / elapsed, 2),
        # Server CPU per request: steadier than requests/s on a machine shared with other work.
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(stats.total.num_requests, 1), 2),
        "total": _figures(stats.total, elapsed),
        "endpoints": endpoints,
    }


def _figures(entry, elapsed: float) -> dict:  # type: ignore[no-untyped-def]
    return {
        "requests": entry.num_requests, "errors": entry.num_failures,
        "rps": round(entry.num_requests / elapsed, 1),
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
    }


def _print(report: dict) -> None:
    total = report["total"]
    print(f"\n{report['database']}, {report['duration_s']} s, "
          f"{report['users']} users waiting 0–{report['think_ms']:g} ms, "
          f"{report['gunicorn_workers']} gunicorn workers "
          f"on {report['machine']['cpus']} CPUs; load generator used {report['load_generator_cpu_share']:.0%} "
          f"of one core; the server used {report['server_cpu_s']} CPU-seconds, "
          f"{report['server_cpu_ms_per_request']} ms per request")
    print(f"{'endpoint':44} {'req':>7} {'rps':>7} {'p50':>5} {'p95':>5} {'p99':>5} {'err':>5}")
    for name, f in [("TOTAL", total), *report["endpoints"].items()]:
        print(f"{name[:44]:44} {f['requests']:7} {f['rps']:7} {f['p50_ms']:5} {f['p95_ms']:5} {f['p99_ms']:5} "
              f"{f['errors']:5}")


if __name__ == "__main__":
    main()
