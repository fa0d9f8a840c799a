"""Insights benchmark: every report over a year of a busy shop, in a temporary SQLite database.

    python -m bench.insights_bench [--orders 50000] [--tickets 100000] [--searches 1000000]

Generates orders, tickets (with items and refunds), wizard sessions, searches, article views
and votes spread over the 365 days before today, with bulk inserts through the DB-API (values
written as kb.types stores them: money in hundredths, UTC times as SQLAlchemy's text), then
fills the daily visit rollup the site keeps as events arrive. Times each report for the last
30, 90 and 365 days (median of 3 runs, wall and CPU time) and each page for 30 days.
Progress goes to stderr, figures to stdout and bench/insights.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "insights.json"
TARGET_MS = 500
WINDOWS = (30, 90, 365)
CATEGORIES = ("clothing", "shoes", "electronics", "appliances", "toys", "books", "beauty",
              "sports", "garden", "kitchen", "furniture", "jewellery")
REASONS = ("changed_mind", "wrong_size", "not_as_described", "defective", "damaged_in_transit",
           "wrong_item", "missing_parts", "not_received", "arrived_late", "other")
RESOLUTIONS = (("refund", 55), ("exchange", 20), ("store_credit", 15), ("repair", 5),
               ("guarantee_claim", 5))
STATUSES = (("approved", 30), ("refunded", 30), ("exchanged", 10), ("closed", 15),
            ("needs_review", 5), ("declined", 10))
CHANNELS = (("online", 70), ("store", 15), ("marketplace", 15))
CURRENCIES = (("EUR", 75), ("GBP", 20), ("USD", 5))
WORDS = ("refund where parcel label return exchange size broken late missing card store credit "
         "colis remboursement retour échange taille cassé retard carte magasin avoir délai "
         "warranty repair seller marketplace gift receipt order cancel track damaged").split()


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(f"[insights-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def stamp(moment: dt.datetime) -> str:
    """A UTC time as SQLAlchemy stores it in SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def weighted(rnd: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    """One value of (value, weight) pairs."""
    return rnd.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


class Generator:
    """Seeded synthetic history: everything between ``start`` and ``end``.

    Help-centre events come in visits, as they do on the site: a visit starts at some moment
    of the year in one language, and its searches, views and votes follow within 20 minutes
    (about four events a visit). Assistant sessions start visits of their own.
    """

    def __init__(self, end: dt.datetime, seed: int = 20, visits: int = 425_000) -> None:
        self.rnd = random.Random(seed)
        self.end = end
        self.start = end - dt.timedelta(days=365)
        self.visits = [(f"{i:032x}", self.rnd.uniform(0, 365 * 86_400 - 1_200),
                        "en" if self.rnd.random() < 0.6 else "fr") for i in range(1, visits + 1)]
        self.next_visit = visits + 1
        self.skus = [(f"SKU-{i:05d}", f"Product {i}", CATEGORIES[i % len(CATEGORIES)],
                      self.rnd.randint(5, 300) * 100 - 1) for i in range(2_000)]
        self.keys = [f"article-{i:02d}" for i in range(60)]
        vocabulary = {" ".join(self.rnd.sample(WORDS, self.rnd.choice((1, 2, 3))))
                      for _ in range(8_000)}
        self.queries = sorted(vocabulary)

    def when(self) -> dt.datetime:
        """A random moment of the year."""
        return self.start + dt.timedelta(seconds=self.rnd.uniform(0, 365 * 86_400))

    def visit_event(self) -> tuple[str, str, str]:
        """(visit id, moment, language) of one more event of a random visit."""
        visit, offset, lang = self.visits[self.rnd.randrange(len(self.visits))]
        moment = self.start + dt.timedelta(seconds=offset + self.rnd.uniform(0, 1_200))
        return visit, stamp(moment), lang

    def new_visit(self) -> str:
        """A visit that starts with an assistant session."""
        self.next_visit += 1
        return f"{self.next_visit:032x}"


def insert(conn: sqlite3.Connection, table: str, columns: Sequence[str],
           rows: Iterator[tuple[Any, ...]], total: int, batch: int = 50_000) -> None:
    """Bulk insert rows in batches, one transaction per batch, with progress."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    done, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            conn.executemany(sql, chunk)
            conn.commit()
            done += len(chunk)
            chunk = []
            if done % (batch * 4) == 0 or done == total:
                log(f"  {table}: {done:,}/{total:,}")
    if chunk:
        conn.executemany(sql, chunk)
        conn.commit()
        done += len(chunk)
    log(f"  {table}: {done:,} rows")


def populate(conn: sqlite3.Connection, gen: Generator, orders: int, tickets: int,
             searches: int) -> dict[str, int]:
    """Fill every table the reports read; returns the row counts."""
    rnd, now = gen.rnd, stamp(gen.end)
    insert(conn, "article", ("id", "key", "lang", "slug", "title", "category", "tags_json",
                             "summary", "body", "status", "revision", "needs_translation",
                             "created_at", "updated_at"),
           ((i + 1, key, lang, f"{key}-{lang}", f"{key.title()} ({lang})", "returning", "[]",
             "", "", "published", 1, False, now, now)
            for i, (key, lang) in enumerate((k, lg) for k in gen.keys for lg in ("en", "fr"))),
           len(gen.keys) * 2)

    log("orders")
    order_rows, item_rows, order_items = [], [], []
    for oid in range(1, orders + 1):
        placed = gen.when()
        order_rows.append((oid, f"A{oid:07d}", f"shopper{rnd.randrange(30_000)}@example.com",
                           stamp(placed), weighted(rnd, CHANNELS), weighted(rnd, CURRENCIES), 0,
                           now, now))
        lines = []
        for sku, name, category, price in rnd.sample(gen.skus, rnd.choice((1, 1, 2, 3, 4))):
            item_id = len(item_rows) + 1
            quantity = rnd.choice((1, 1, 1, 2, 3))
            item_rows.append((item_id, oid, sku, name, category, quantity, price, False))
            lines.append((item_id, sku, quantity, price))
        order_items.append((placed, lines))
    insert(conn, "shop_order", ("id", "number", "email", "placed_at", "channel", "currency",
                                "shipping", "created_at", "updated_at"), iter(order_rows), orders)
    insert(conn, "order_item", ("id", "order_id", "sku", "name", "category", "quantity",
                                "unit_price", "final_sale"), iter(item_rows), len(item_rows))

    log("tickets, items, refunds and assistant sessions")
    ticket_rows, titem_rows, refund_rows, session_rows = [], [], [], []
    for tid in range(1, tickets + 1):
        oid = rnd.randrange(1, orders + 1)
        placed, lines = order_items[oid - 1]
        created = min(placed + dt.timedelta(days=rnd.uniform(1, 40)), gen.end)
        _, email, _, channel, currency = order_rows[oid - 1][1:6]
        reason, lang = rnd.choice(REASONS), "en" if rnd.random() < 0.6 else "fr"
        status, resolution = weighted(rnd, STATUSES), weighted(rnd, RESOLUTIONS)
        chosen = rnd.sample(lines, min(len(lines), rnd.choice((1, 1, 2))))
        ticket_rows.append((tid, f"R{tid:07d}", f"h{tid}", "salt", status, oid, tid, lang, email,
                            reason, channel, resolution, "carrier", "", False, False, "[]", "1",
                            currency, 0, 0, 0, 0, stamp(created), stamp(created)))
        for item_id, sku, quantity, price in chosen:
            titem_rows.append((tid, item_id, sku, quantity, reason, "like_new", True,
                               price * quantity, True))
        if status in ("refunded", "closed") and resolution in ("refund", "guarantee_claim"):
            amount = sum(price * quantity for _, _, quantity, price in chosen)
            refund_rows.append((tid, oid, currency, amount, rnd.choice((0, 0, 0, 500)), "card",
                                resolution == "guarantee_claim",
                                "confirmed" if rnd.random() < 0.95 else "pending_confirmation",
                                "agent", stamp(created + dt.timedelta(days=2))))
        offered = rnd.sample(gen.keys, 3)
        session_rows.append(_session(tid, oid, lang, "ticket", reason, offered,
                                     offered[: rnd.choice((0, 1, 2))], None, created, gen))
    for extra in range(tickets // 2):  # deflected and abandoned sessions
        oid = rnd.randrange(1, orders + 1)
        created, offered = gen.when(), rnd.sample(gen.keys, 3)
        opened = offered[: rnd.choice((0, 1, 2))]
        if rnd.random() < 0.7:
            session_rows.append(_session(tickets + extra + 1, oid, rnd.choice(("en", "fr")),
                                         "deflected", rnd.choice(REASONS), offered, opened,
                                         rnd.choice((None, offered[0])), created, gen))
        else:
            session_rows.append(_session(tickets + extra + 1, oid, rnd.choice(("en", "fr")),
                                         "open", rnd.choice(REASONS), offered, opened, None,
                                         created, gen))
    insert(conn, "wizard_session", ("id", "token_hash", "order_id", "lang", "receiptless",
                                    "selection_json", "note", "offered_json", "opened_json",
                                    "offered_at", "outcome", "deflected_key", "visit_id",
                                    "created_at", "last_seen_at"),
           iter(session_rows), len(session_rows))
    insert(conn, "ticket", ("id", "reference", "token_hash", "token_salt", "status", "order_id",
                            "session_id", "lang", "email", "reason", "channel", "resolution",
                            "method", "note", "exception", "receiptless", "review_reasons_json",
                            "policy_version", "currency", "estimate_items", "estimate_fee",
                            "estimate_deduction", "estimate_total", "created_at", "updated_at"),
           iter(ticket_rows), tickets)
    insert(conn, "ticket_item", ("ticket_id", "order_item_id", "sku", "quantity", "reason",
                                 "condition", "eligible", "value", "reserved"),
           iter(titem_rows), len(titem_rows))
    insert(conn, "refund", ("ticket_id", "order_id", "currency", "amount", "goodwill", "method",
                            "guarantee", "status", "created_by", "created_at"),
           iter(refund_rows), len(refund_rows))

    log("searches, views and votes")
    weights = [1 / (rank + 1) for rank in range(len(gen.queries))]
    picks = rnd.choices(gen.queries, weights, k=searches)

    def searches_rows() -> Iterator[tuple[Any, ...]]:
        for q in picks:
            visit, moment, lang = gen.visit_event()
            yield (q, q, lang, *_results(rnd, gen), visit, moment)

    def article_rows(votes: bool) -> Iterator[tuple[Any, ...]]:
        while True:
            visit, moment, lang = gen.visit_event()
            article = 2 * rnd.randrange(len(gen.keys)) + (1 if lang == "en" else 2)
            extra = (rnd.random() < 0.7,) if votes else ()
            yield (article, *extra, visit, moment)

    insert(conn, "search_log", ("query", "normalized", "lang", "results", "clicked_key",
                                "visit_id", "created_at"), searches_rows(), searches)
    views = searches // 2
    insert(conn, "article_view", ("article_id", "visit_id", "created_at"),
           (row for row, _ in zip(article_rows(False), range(views), strict=False)), views)
    votes = searches // 20
    insert(conn, "vote", ("article_id", "helpful", "visit_id", "created_at"),
           (row for row, _ in zip(article_rows(True), range(votes), strict=False)), votes)
    conn.execute("ANALYZE")
    conn.commit()
    return {"orders": orders, "order_items": len(item_rows), "tickets": tickets,
            "ticket_items": len(titem_rows), "refunds": len(refund_rows),
            "wizard_sessions": len(session_rows), "searches": searches,
            "article_views": views, "votes": votes}


def _session(sid: int, oid: int, lang: str, outcome: str, reason: str, offered: list[str],
             opened: list[str], deflected: str | None, created: dt.datetime,
             gen: Generator) -> tuple[Any, ...]:
    selection = json.dumps([{"sku": "SKU", "quantity": 1, "reason": reason,
                             "condition": "like_new"}])
    return (sid, f"s{sid}", oid, lang, False, selection, "", json.dumps(offered),
            json.dumps(opened), stamp(created), outcome, deflected, gen.new_visit(), stamp(created),
            stamp(created + dt.timedelta(minutes=5)))


def _results(rnd: random.Random, gen: Generator) -> tuple[int, str | None]:
    roll = rnd.random()
    if roll < 0.15:
        return 0, None
    return rnd.randint(1, 10), (rnd.choice(gen.keys) if roll > 0.55 else None)


def median_ms(fn: Callable[[], Any], runs: int = 3) -> dict[str, Any]:
    """Median wall and CPU milliseconds of ``runs`` calls of fn (CPU time is what this process
    spent, SQLite included: it shows the work when other programs share the machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"ms": round(statistics.median(wall), 1), "cpu_ms": round(statistics.median(cpu), 1),
            "runs_ms": [round(t, 1) for t in wall]}


def main(argv: list[str] | None = None) -> int:
    """Generate the history, time every report, print and write bench/insights.json."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=50_000)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--searches", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    from kb import create_app, database
    from kb.auth.service import create_user
    from kb.database import write_transaction
    from kb.extensions import db
    from kb.insights import reports
    from kb.insights.daily import rebuild_daily
    from kb.insights.period import Period
    from kb.insights.rollup import rebuild_help_visits

    work = Path(tempfile.mkdtemp(prefix="kb-insights-bench-"))
    started = time.perf_counter()
    try:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench", "DEMO": False, "SERVER_NAME": "kb.bench",
            "DATABASE_URL": f"sqlite:///{work / 'kb.sqlite3'}", "RATELIMIT_ENABLED": False,
            "SEARCH_INDEX_DIR": str(work / "index"), "UPLOADS_DIR": str(work / "uploads"),
            "WTF_CSRF_ENABLED": False, "SEARCH_SYNC_INTERVAL": 0.0,
        })
        with app.app_context():
            database.upgrade()
            end = dt.datetime.now(dt.UTC).replace(microsecond=0)
            log(f"generating into {work}")
            conn = sqlite3.connect(work / "kb.sqlite3")
            # About four searches, views and votes (1.55 per search) to a visit.
            gen = Generator(end, visits=max(1, args.searches * 155 // 400))
            counts = populate(conn, gen, args.orders, args.tickets, args.searches)
            conn.close()
            # The site fills the visit rollup as events arrive; bulk inserts bypass that.
            t0 = time.perf_counter()
            with write_transaction():
                counts["help_visit_days"] = rebuild_help_visits()
                counts.update(rebuild_daily(db.session.connection()))
            log(f"rollups rebuilt in {time.perf_counter() - t0:.1f} s")
            generated_s = time.perf_counter() - started
            log(f"generated in {generated_s:.0f} s: {counts}")
            create_user("bench@example.com", "bench-password-1", "admin")
            db.session.commit()

            today = end.date()
            timings: dict[str, dict[str, Any]] = {name: {} for name in reports.REPORTS}
            load = [os.getloadavg()[0]]
            for days in WINDOWS:
                period = Period(today - dt.timedelta(days=days - 1), today)
                for name in reports.REPORTS:
                    timed = median_ms(lambda n=name, p=period: reports.build(n, p))
                    timings[name][f"{days}d"] = timed
                    log(f"  {name:9} last {days:3} days: {timed['ms']:8.1f} ms wall, "
                        f"{timed['cpu_ms']:8.1f} ms CPU  {timed['runs_ms']}")
                load.append(os.getloadavg()[0])
            client = app.test_client()
            client.post("/login", data={"email": "bench@example.com",
                                        "password": "bench-password-1"})
            for name in reports.REPORTS:
                timed = median_ms(lambda n=name: client.get(f"/insights/{n}?days=30"))
                timings[name]["page_30d"] = timed
                log(f"  {name:9} page, 30 days: {timed['ms']:8.1f} ms wall, "
                    f"{timed['cpu_ms']:8.1f} ms CPU")
        size_mb = round((work / "kb.sqlite3").stat().st_size / 1e6, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                    "load_average_during_timing": [round(x, 2) for x in load]},
        "rows": counts, "database_mb": size_mb, "generate_seconds": round(generated_s, 1),
        "target_ms": TARGET_MS, "reports": timings,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    columns = [f"{d}d" for d in WINDOWS] + ["page_30d"]
    print(f"\nmilliseconds, median of 3 (wall / CPU); load average {load}")
    print(f"{'report':10} " + " ".join(f"{c:>17}" for c in columns))
    for name, figures in timings.items():
        cells = [f"{figures[c]['ms']:8.1f} /{figures[c]['cpu_ms']:7.1f}" for c in columns]
        slow = [c for c in columns[:3] if figures[c]["ms"] >= TARGET_MS]
        print(f"{name:10} " + " ".join(f"{c:>17}" for c in cells)
              + (f"  over {TARGET_MS} ms: {', '.join(slow)}" if slow else ""))
    print(f"\nrows: {counts}; database {size_mb} MB; whole run {report['total_seconds']} s")
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
