"""Insights benchmark on PostgreSQL: a year of a busy shop, the rollups rebuilt, every report timed.

    python -m bench.insights_bench --database-url postgresql://user:pass@host/db [--scale 1.0]

Scale 1.0 is 500,000 orders, 1,000,000 tickets and 10,000,000 searches (with 1.5 assistant
sessions a ticket, half as many article views as searches and a twentieth as many votes);
0.01 tries it in a minute. Everything happens in the schema ``insights_bench`` of that
database, dropped and made again each run (``--reuse`` keeps the history the last run wrote and
only rebuilds and times): nothing else in the database is touched.

The history is written by PostgreSQL itself (INSERT ... SELECT over generate_series, spread
over the 365 days before now), not through the ORM. Then ``kb insights rebuild``'s function
refills the rollups (timed, with the process's peak memory), and each report is timed for the
last 1, 7, 30, 90, 180 and 366 days, in every language and in English (median of 3, a report
catching up first as it does for staff). Progress goes to stderr, the table to stdout, the
figures to bench/insights.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, create_engine, make_url, text

from bench.insights_fill import fill

RESULTS = Path(__file__).resolve().parent / "insights.json"
SCHEMA = "insights_bench"
TARGET_MS = 500
PERIODS = (1, 7, 30, 90, 180, 366)
LANGS = (None, "en")


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(f"[insights-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def bench_url(database_url: str) -> str:
    """The database URL, with the bench's own schema first on the search path."""
    url = make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if database_url.startswith("postgresql://") else database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("the insights bench fills PostgreSQL (INSERT ... SELECT generate_series)")
    return url.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(
        hide_password=False)


def fresh_schema(url: str) -> None:
    """Drop and recreate the bench's schema (only that one)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def median_ms(fn: Callable[[], Any], runs: int = 3) -> dict[str, Any]:
    """Median wall milliseconds of ``runs`` calls of fn, and each run."""
    wall = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
    return {"ms": round(statistics.median(wall), 1), "runs_ms": [round(t, 1) for t in wall]}


def counts(conn: Connection) -> dict[str, int]:
    """Rows in each table the reports read."""
    tables = ("shop_order", "order_item", "ticket", "ticket_item", "refund", "wizard_session",
              "contact_request", "search_log", "article_view", "vote")
    return {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in tables}


def time_reports(today: dt.date) -> dict[str, dict[str, Any]]:
    """Every report for every period and language: {report: {"366d all": figures}}."""
    from kb.insights import reports
    from kb.insights.period import Period

    timings: dict[str, dict[str, Any]] = {name: {} for name in reports.REPORTS}
    for days in PERIODS:
        for lang in LANGS:
            period = Period(today - dt.timedelta(days=days - 1), today, lang)
            for name in reports.REPORTS:
                timed = median_ms(lambda n=name, p=period: reports.build(n, p))
                timings[name][f"{days}d {lang or 'all'}"] = timed
                log(f"  {name:9} {days:3} days {lang or 'all':3}: {timed['ms']:8.1f} ms {timed['runs_ms']}")
    return timings


def print_table(timings: dict[str, dict[str, Any]]) -> list[tuple[float, str, str]]:
    """The table of medians, and the slowest five; returns every (ms, report, column)."""
    columns = [f"{days}d {lang or 'all'}" for days in PERIODS for lang in LANGS]
    print(f"\nmilliseconds, median of 3 (target: under {TARGET_MS} ms)")
    print(f"{'report':10}" + "".join(f"{c:>10}" for c in columns))
    every = []
    for name, figures in timings.items():
        print(f"{name:10}" + "".join(f"{figures[c]['ms']:>10.1f}" for c in columns))
        every += [(figures[c]["ms"], name, c) for c in columns]
    every.sort(reverse=True)
    print("\nslowest: " + ", ".join(f"{name} {column} {ms:.1f} ms" for ms, name, column in every[:5]))
    over = [item for item in every if item[0] >= TARGET_MS]
    print(f"over {TARGET_MS} ms: {len(over)} of {len(every)}")
    return every


@dataclass
class Run:
    """What one run measured."""

    rows: dict[str, int] = field(default_factory=dict)
    rollup_rows: dict[str, int] = field(default_factory=dict)
    fill_seconds: float = 0.0
    rebuild_seconds: float = 0.0
    memory_mb: tuple[float, float] = (0.0, 0.0)  # peak RSS before and after the rebuild
    load: list[float] = field(default_factory=list)
    timings: dict[str, dict[str, Any]] = field(default_factory=dict)
    catch_up: dict[str, Any] = field(default_factory=dict)


def time_catch_up() -> dict[str, Any]:
    """What a report pays first when events arrived since the last look: a search, a session
    and a ticket of the last day each changed (their days recounted), three times."""
    from kb.extensions import db
    from kb.insights.refresh import catch_up

    def changed_then_caught_up() -> None:
        with db.engine.begin() as conn:
            for table in ("search_log", "wizard_session", "ticket"):
                conn.execute(text(f"UPDATE {table} SET changed_at = now() "
                                  f"WHERE id = (SELECT max(id) FROM {table})"))
        catch_up()

    timed = median_ms(changed_then_caught_up)
    timed["nothing_changed"] = median_ms(catch_up)
    log(f"  catch-up after new events: {timed['ms']} ms; with nothing new: "
        f"{timed['nothing_changed']['ms']} ms")
    return timed


def run(app: Flask, scale: float, reuse: bool = False) -> Run:
    """Migrate, fill (unless ``reuse`` finds a filled schema), rebuild (timed, with memory) and
    time every report."""
    from kb import database
    from kb.extensions import db
    from kb.insights.refresh import rebuild

    measured = Run()
    with app.app_context():
        database.upgrade()
        end = dt.datetime.now(dt.UTC).replace(microsecond=0)
        with db.engine.begin() as conn:
            filled = reuse and conn.execute(text("SELECT max(placed_at) FROM shop_order")).scalar()
        if filled:  # the history ends when it was written: the reports' periods end that day
            end = filled
            log(f"reusing the history written up to {end:%Y-%m-%d}")
        else:
            t0 = time.perf_counter()
            with db.engine.begin() as conn:
                fill(conn, scale, end, log)
            measured.fill_seconds = round(time.perf_counter() - t0, 1)
        with db.engine.begin() as conn:
            measured.rows = counts(conn)
        log(f"filled in {measured.fill_seconds:.0f} s: {measured.rows}")

        before = peak_rss_mb()
        t0 = time.perf_counter()
        measured.rollup_rows = rebuild()
        measured.rebuild_seconds = round(time.perf_counter() - t0, 1)
        measured.memory_mb = (before, peak_rss_mb())
        log(f"rebuilt in {measured.rebuild_seconds} s, peak memory {before} -> "
            f"{measured.memory_mb[1]} MB: {measured.rollup_rows}")

        measured.load = [round(os.getloadavg()[0], 2)]
        measured.timings = time_reports(end.date())
        measured.catch_up = time_catch_up()
        measured.load.append(round(os.getloadavg()[0], 2))
        db.session.remove()
        db.engine.dispose()
    return measured


def main(argv: list[str] | None = None) -> int:
    """Fill, rebuild, time every report, print and write bench/insights.json."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                    help="a PostgreSQL database (default: $DATABASE_URL)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="1.0 = 500,000 orders, 1,000,000 tickets, 10,000,000 searches")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the history a previous run wrote (same scale): rebuild and time only")
    args = ap.parse_args(argv)
    if not args.database_url:
        ap.error("give --database-url (or DATABASE_URL)")
    url = bench_url(args.database_url)

    from kb import create_app

    started = time.perf_counter()
    if not args.reuse:
        fresh_schema(url)
    work = Path(tempfile.mkdtemp(prefix="kb-insights-bench-"))
    try:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench", "DEMO": False, "SERVER_NAME": "kb.bench",
            "DATABASE_URL": url, "RATELIMIT_ENABLED": False, "SEARCH_SYNC_INTERVAL": 0.0,
            "SEARCH_INDEX_DIR": str(work / "index"), "UPLOADS_DIR": str(work / "uploads"),
        })
        measured = run(app, args.scale, args.reuse)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    every = print_table(measured.timings)
    total = round(time.perf_counter() - started, 1)
    before, after = measured.memory_mb
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": f"python -m bench.insights_bench --scale {args.scale}"
                   + (" --reuse" if args.reuse else ""),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_during_timing": measured.load},
        "scale": args.scale, "rows": measured.rows, "rollup_rows": measured.rollup_rows,
        "fill_seconds": measured.fill_seconds, "rebuild_seconds": measured.rebuild_seconds,
        "peak_memory_mb": {"before_rebuild": before, "after_rebuild": after},
        "target_ms": TARGET_MS, "reports": measured.timings, "catch_up": measured.catch_up,
        "slowest": [{"report": name, "period": column, "ms": ms} for ms, name, column in every[:5]],
        "total_seconds": total,
    }
    print(f"\nrows: {measured.rows}\nfilled in {measured.fill_seconds} s; rebuilt in "
          f"{measured.rebuild_seconds} s; peak memory {before} MB before the rebuild, {after} MB "
          f"after; load average {measured.load}; whole run {total} s\ncatch-up after new events "
          f"{measured.catch_up['ms']} ms, with nothing new {measured.catch_up['nothing_changed']['ms']} ms")
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
