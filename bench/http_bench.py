"""`make bench`: kb's search API and a cached article page against a bare Flask + Jinja page.

    python -m bench.http_bench [--seconds 5] [--rounds 3] [--clients 4] [--workers 2]

All three are served by gunicorn with kb's settings (``kb.gunicorn_conf``, as ``make run``),
at the same time, and loaded in turns within one run: round after round, each target gets
the same number of seconds from the same keep-alive clients (separate processes, on the
same machine). The machine may be shared, so the figures that matter are the ratios
search/bare and article/bare, measured side by side: of the mean rates, and the median of
each round's ratio (steadier when other work comes and goes). The server's CPU time per
request (gunicorn and its workers) is given too: it hardly depends on what else runs.
Writes bench/http.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import psutil

from tests.reliability.server import gunicorn, kb, server_env

QUERIES = ["refund", "retrun label", "parcel never arrived", "exchange size", "store return",
           "damaged", "warranty repair", "gift receipt", "cancel order", "where is my refund"]
ARTICLE = "/en/articles/refund-timing"


def server_cpu(base: str) -> float:
    """CPU seconds used so far by the gunicorn serving `base` (the master and its workers)."""
    port = f"127.0.0.1:{urlsplit(base).port}"
    total = 0.0
    for process in psutil.process_iter(["cmdline"]):
        if port in (process.info["cmdline"] or []):
            for member in [process, *process.children(recursive=True)]:
                try:
                    times = member.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
    return total


def _client(base: str, paths: list[str], seconds: float, out: multiprocessing.Queue) -> None:
    """One keep-alive client: GET the paths in turn for `seconds`; report (done, errors)."""
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    done = errors = i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            conn.request("GET", paths[i % len(paths)])
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        except OSError:
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        done += 1
        i += 1
    out.put((done, errors))


def load(base: str, paths: list[str], seconds: float, clients: int) -> tuple[float, int]:
    """Requests per second over `clients` processes for `seconds`, and the error count."""
    out: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_client, args=(base, paths, seconds, out))
             for _ in range(clients)]
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    elapsed = time.monotonic() - started
    for p in procs:
        p.join()
    return sum(r[0] for r in results) / max(elapsed, 1e-9), sum(r[1] for r in results)


def main() -> None:
    """Serve the three targets, load them in turns, print and save the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    searches = [f"/api/v1/search?q={quote(q)}&lang=en" for q in QUERIES]
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env(Path(tmp))
        print("preparing the database and index…", file=sys.stderr)
        kb(env, "init", "--no-demo")
        with gunicorn(env, args.workers, app="bench.bare_app:create_app()", quiet=True) as bare, \
                gunicorn(env, args.workers, quiet=True) as site:
            targets = {"bare": (bare, ["/"]), "search": (site, searches), "article": (site, [ARTICLE])}
            for base, paths in targets.values():  # warm up: caches, index, page cache
                load(base, paths, 1.0, 1)
            rates: dict[str, list[float]] = {name: [] for name in targets}
            cpu: dict[str, list[float]] = {name: [] for name in targets}
            errors = dict.fromkeys(targets, 0)
            for number in range(args.rounds):
                for name, (base, paths) in targets.items():
                    before = server_cpu(base)
                    rate, failed = load(base, paths, args.seconds, args.clients)
                    cpu[name].append(1000 * (server_cpu(base) - before) / max(rate * args.seconds, 1))
                    rates[name].append(rate)
                    errors[name] += failed
                    print(f"round {number + 1}: {name} {rate:.0f} req/s, server {cpu[name][-1]:.3f} ms CPU "
                          "per request", file=sys.stderr)
    report = _report(rates, cpu, errors, args)
    Path(__file__).with_name("http.json").write_text(json.dumps(report, indent=2) + "\n")
    _print(report)


def _report(rates: dict[str, list[float]], cpu: dict[str, list[float]], errors: dict[str, int],
            args: argparse.Namespace) -> dict:
    """The figures: requests per second per target (mean of the rounds) and the ratios."""
    mean = {name: sum(r) / len(r) for name, r in rates.items()}
    cpu_ms = {name: statistics.median(c) for name, c in cpu.items()}

    def median_ratio(name: str) -> float:
        return round(statistics.median(t / b for t, b in zip(rates[name], rates["bare"], strict=True)), 3)

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {"seconds": args.seconds, "rounds": args.rounds, "clients": args.clients,
                     "gunicorn_workers": args.workers},
        "requests_per_second": {name: round(v, 1) for name, v in mean.items()},
        "rounds": {name: [round(v, 1) for v in r] for name, r in rates.items()},
        "errors": errors,
        "ratios": {"search/bare": round(mean["search"] / mean["bare"], 3),
                   "article/bare": round(mean["article"] / mean["bare"], 3)},
        "median_round_ratios": {"search/bare": median_ratio("search"), "article/bare": median_ratio("article")},
        "server_cpu_ms_per_request": {name: round(v, 3) for name, v in cpu_ms.items()},
        "server_cpu_ratios": {"search/bare": round(cpu_ms["bare"] / cpu_ms["search"], 3),
                              "article/bare": round(cpu_ms["bare"] / cpu_ms["article"], 3)},
    }


def _print(report: dict) -> None:
    """The figures, readable."""
    rps, cpu = report["requests_per_second"], report["server_cpu_ms_per_request"]
    print(f"bare Flask + Jinja page  {rps['bare']:8.1f} req/s   server CPU {cpu['bare']:.3f} ms per request")
    print(f"search API               {rps['search']:8.1f} req/s   server CPU {cpu['search']:.3f} ms per request")
    print(f"cached article page      {rps['article']:8.1f} req/s   server CPU {cpu['article']:.3f} ms per request")
    for pair, target in (("search/bare", 0.5), ("article/bare", 0.8)):
        print(f"{pair:13} {report['ratios'][pair]:.2f} of the mean rates, "
              f"{report['median_round_ratios'][pair]:.2f} median of the rounds, "
              f"{report['server_cpu_ratios'][pair]:.2f} by server CPU   (target {target})")
    if any(report["errors"].values()):
        print(f"errors: {report['errors']}")


if __name__ == "__main__":
    main()
