"""Search benchmark: kb.search.engine against SQLite FTS5 on synthetic bilingual corpora.

    python -m bench.search_bench [--sizes 1000,10000] [--queries 1500] [--url http://127.0.0.1:PORT]
                                 [--no-http] [--no-fts5]

Articles (~400 words) are generated from the real articles' text (a word-bigram walk over
articles/<lang>/*.md, so the vocabulary and word frequencies are the knowledge base's own);
a built-in word list stands in when the folder is empty. Progress goes to stderr, figures
to stdout and bench/results.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import frontmatter

from bench.search_memory import worker_memory
from kb.search.engine import IndexedDoc, SearchIndex

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results.json"
LANGS = ("en", "fr")
CATEGORIES = ("returning", "refunds", "problems", "orders", "help")
FALLBACK = {
    "en": "you can return an item within the window for a refund to your card the parcel label "
    "store receipt exchange size damaged faulty wrong item order delivery carrier days "
    "warranty repair marketplace seller gift partial cancel track contact support policy",
    "fr": "vous pouvez retourner un article dans le délai pour un remboursement sur votre carte "
    "le colis étiquette magasin ticket échange taille endommagé défectueux mauvais article "
    "commande livraison transporteur jours garantie réparation vendeur cadeau annuler suivi",
}
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
STOP = {
    "en": set("the a an to of and or you your it is in for on with we be if this that are "
              "can do not at by as from have has our will".split()),
    "fr": set("le la les de des du un une et ou vous votre est pour dans sur avec nous ce "
              "qui que en au aux pas par se sont".split()),
}
CONVERSATIONAL = {
    "en": ["my parcel never came", "can I bring it back to the shop", "where is my money",
           "I want to send it back", "it arrived broken", "how do I get a refund"],
    "fr": ["mon colis n'est jamais arrivé", "je veux renvoyer un article",
           "rembourssement pas recu",
           "ou est mon argent", "article cassé à la livraison", "comment être remboursé"],
}


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- corpus -----------------------------------------------------------------------------


class Language:
    """Word statistics of one language's real articles, for generating look-alike text.

    Each real article gets its own word-bigram model, so a synthetic article is about
    something (mostly one topic, some of another) like in a real help centre, instead of
    every word of the knowledge base being spread evenly over all articles.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.topics: list[tuple[list[str], dict[str, list[str]], list[str], list[str]]] = []
        for path in sorted((ROOT / "articles" / lang).glob("*.md")):
            try:
                post = frontmatter.load(path)
            except Exception:  # noqa: BLE001 - a file being edited: skip it
                continue
            text = re.sub(r"\{\{.*?\}\}|\]\([^)]*\)|[\[#*|>`_-]", " ", post.content)
            text += " " + str(post.metadata.get("summary", ""))
            words = [w.lower() for w in WORD.findall(text)]
            title = [w.lower() for w in WORD.findall(str(post.metadata.get("title", "")))]
            tags = [str(t) for t in post.metadata.get("tags", []) or []]
            if len(words) > 50:
                self.topics.append((words, _bigrams(words), title or words[:6], tags))
        if not self.topics:  # no articles yet: one made-up topic
            words = FALLBACK[lang].split() * 20
            self.topics.append((words, _bigrams(words), words[:6], words[:5]))
        self.words = [w for topic in self.topics for w in topic[0]]
        counts = Counter(w for w in self.words if w not in STOP[lang] and len(w) > 3)
        self.content = list(counts)
        # Shoppers type common words more often, but not as skewed as running text.
        self.content_weights = [counts[w] ** 0.5 for w in self.content]

    def sentence(self, rnd: random.Random, n: int, topic: int) -> str:
        """A word-bigram walk of n words over one article's text."""
        words, nxt, _, _ = self.topics[topic % len(self.topics)]
        w = rnd.choice(words)
        out = [w]
        for _ in range(n - 1):
            succ = nxt.get(w)
            w = rnd.choice(succ) if succ and rnd.random() < 0.9 else rnd.choice(words)
            out.append(w)
        return " ".join(out)


def _bigrams(words: list[str]) -> dict[str, list[str]]:
    nxt: dict[str, list[str]] = {}
    for a, b in zip(words, words[1:], strict=False):
        nxt.setdefault(a, []).append(b)
    return nxt


def make_docs(n: int, seed: int = 7) -> list[IndexedDoc]:
    """n synthetic articles, half per language, about 400 words each."""
    rnd = random.Random(seed)
    langs = {lang: Language(lang) for lang in LANGS}
    docs = []
    for i in range(n):
        lang = LANGS[i % 2]
        L = langs[lang]
        main, other = rnd.randrange(len(L.topics)), rnd.randrange(len(L.topics))
        _, _, title_words, tags = L.topics[main]
        title = " ".join(rnd.sample(title_words, min(len(title_words), rnd.randint(3, 6)))
                         + [L.sentence(rnd, 2, other)]).capitalize()
        heads = [L.sentence(rnd, rnd.randint(3, 6), main) for _ in range(3)]
        # About 70% of the sentences from the article's main topic, the rest from another.
        body = ". ".join(L.sentence(rnd, rnd.randint(8, 20), main if rnd.random() < 0.7
                                    else other) for _ in range(28))
        body = " ".join(body.split()[:400])
        key = f"synthetic-{i // 2}"
        docs.append(IndexedDoc(
            doc_id=f"{lang}:{key}", key=key, lang=lang, slug=key, title=title,
            category=rnd.choice(CATEGORIES),
            tags=tuple(rnd.sample(tags, min(len(tags), 3))) + (L.sentence(rnd, 2, main),),
            summary=L.sentence(rnd, 25, main), headings=" ; ".join(heads), body=body,
            revision=1,
        ))
    return docs


def typo(word: str, rnd: random.Random) -> str:
    """One random edit: drop, double, swap or replace a letter (not the first one)."""
    if len(word) < 5:
        return word
    i = rnd.randrange(1, len(word) - 1)
    kind = rnd.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rnd.choice("aeioustrn") + word[i + 1 :]


def make_queries(n: int, seed: int = 11) -> list[tuple[str, str, bool]]:
    """(query, lang, has_typo): 1-3 content words, a quarter with a typo, some sentences."""
    rnd = random.Random(seed)
    langs = {lang: Language(lang) for lang in LANGS}
    out = []
    for i in range(n):
        lang = LANGS[i % 2]
        L = langs[lang]
        if rnd.random() < 0.05:
            out.append((rnd.choice(CONVERSATIONAL[lang]), lang, False))
            continue
        words = rnd.choices(L.content, L.content_weights, k=rnd.choice((1, 2, 2, 3)))
        bad = rnd.random() < 0.25
        if bad:
            j = rnd.randrange(len(words))
            words[j] = typo(words[j], rnd)
        out.append((" ".join(words), lang, bad))
    return out


def make_phrases(n: int, seed: int = 13) -> list[tuple[str, str, bool]]:
    """Quoted phrases of two content words taken from the articles' running text."""
    rnd = random.Random(seed)
    langs = {lang: Language(lang) for lang in LANGS}
    out: list[tuple[str, str, bool]] = []
    while len(out) < n:
        lang = LANGS[len(out) % 2]
        L = langs[lang]
        pair = L.sentence(rnd, 2, rnd.randrange(len(L.topics))).split()
        if all(len(w) > 3 and w not in STOP[lang] for w in pair):
            out.append((f'"{" ".join(pair)}"', lang, False))
    return out


# --- measuring ----------------------------------------------------------------------------


def pct(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of millisecond timings."""
    v = sorted(values)
    if not v:
        return {}

    def at(p: float) -> float:
        """The p-th quantile (nearest rank)."""
        return round(v[min(len(v) - 1, int(p * len(v)))], 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(v[-1], 2),
            "mean": round(statistics.fmean(v), 2), "n": len(v)}


def time_queries(
    fn: Callable[[str, str], Any], queries: list[tuple[str, str, bool]]
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per query (CPU time shows the engine's own cost
    when other processes compete for the cores)."""
    wall, cpu = [], []
    for q, lang, _ in queries:
        c0, t0 = time.thread_time(), time.perf_counter()
        fn(q, lang)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return wall, cpu


def bench_engine(docs: list[IndexedDoc], queries: list[tuple[str, str, bool]],
                 workdir: Path) -> dict[str, Any]:
    """Build, upsert-to-searchable, search and suggest timings of the engine."""
    index = SearchIndex(workdir / "index")
    done = [0]

    def progress(count: int) -> None:
        """Log every tenth of the build."""
        if count - done[0] >= max(1000, len(docs) // 10) or count == len(docs):
            done[0] = count
            log(f"  indexed {count}/{len(docs)}")

    c0, t0 = time.process_time(), time.perf_counter()
    index.rebuild(docs, total=len(docs), progress=progress)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    log(f"  build: {build_s:.1f} s ({len(docs) / build_s:.0f} articles/s, "
        f"{len(docs) / build_cpu:.0f}/s of CPU)")

    t0 = time.perf_counter()
    index.search("return", "en")
    first_ms = (time.perf_counter() - t0) * 1000
    # Opening a large index starts loading its common words in the background
    # (kb/search/warming.py): searches meanwhile are measured apart, then the run waits.
    while_warming, _ = time_queries(index.search, queries[: len(queries) // 3])
    index.wait_warm()
    warm_s = time.perf_counter() - t0
    log(f"  first query after opening: {first_ms:.0f} ms; warm-up pass done; common words "
        f"loaded {warm_s:.1f} s after opening ({index.warming_seconds:.1f} s of warming)")
    wall, cpu = time_queries(index.search, queries)
    typo_wall = [t for t, (_, _, bad) in zip(wall, queries, strict=True) if bad]
    typo_cpu = [t for t, (_, _, bad) in zip(cpu, queries, strict=True) if bad]
    paged, _ = time_queries(lambda q, lang: index.search(q, lang, offset=10), queries[:300])
    # Quoted phrases: not in the mix above (shoppers rarely type quotes), shown apart.
    phrases = make_phrases(60)
    phrase_first, _ = time_queries(index.search, phrases)
    phrase_again, _ = time_queries(index.search, phrases)
    log(f"  search p50 {pct(wall)['p50']} ms, p95 {pct(wall)['p95']} ms "
        f"(CPU p95 {pct(cpu)['p95']} ms)")

    upserts, visible = [], []
    for i in range(5):
        marker = f"zqxbench{i}"
        src = docs[(i * 7919) % len(docs)]
        doc = dataclasses.replace(src, body=f"{src.body} {marker}", revision=src.revision + 1)
        t0 = time.perf_counter()
        index.upsert([doc])
        t1 = time.perf_counter()
        while not index.search(marker, doc.lang).hits and time.perf_counter() - t1 < 10:
            pass
        upserts.append((t1 - t0) * 1000)
        visible.append((time.perf_counter() - t0) * 1000)
    # Each write makes the next search reopen the index: measure searches after writes too.
    after, _ = time_queries(index.search, queries[:300])
    prefixes = [(q[: random.Random(i).randint(2, 8)], lang, False)
                for i, (q, lang, _) in enumerate(queries[:500])]
    sugg, sugg_cpu = time_queries(index.suggest, prefixes)
    log("  memory of a fresh process searching the index")
    memory = worker_memory(workdir / "index", queries)
    return {
        "build_seconds": round(build_s, 2),
        "build_articles_per_s": round(len(docs) / build_s, 1),
        "build_articles_per_cpu_s": round(len(docs) / build_cpu, 1),
        "first_query_ms": round(first_ms, 1),
        "search_while_warming_ms": pct(while_warming),
        "warm_seconds_after_opening": round(warm_s, 1),
        "warming_seconds": round(index.warming_seconds, 1),
        "search_ms": pct(wall),
        "search_cpu_ms": pct(cpu),
        "search_typo_ms": pct(typo_wall),
        "search_typo_cpu_ms": pct(typo_cpu),
        "search_page2_ms": pct(paged),
        "phrase_first_ms": pct(phrase_first),
        "phrase_repeated_ms": pct(phrase_again),
        "search_after_upserts_ms": pct(after),
        "upsert_ms": pct(upserts),
        "upsert_to_searchable_ms": pct(visible),
        "suggest_ms": pct(sugg),
        "suggest_cpu_ms": pct(sugg_cpu),
        "index_mb": round(sum(f.stat().st_size for f in (workdir / "index").iterdir()) / 1e6, 1),
        "worker_memory": memory,
    }


def bench_fts5(docs: list[IndexedDoc], queries: list[tuple[str, str, bool]],
               workdir: Path) -> dict[str, Any]:
    """The same corpus and queries in SQLite FTS5 (bm25, OR of words, top 10 + count)."""
    db = sqlite3.connect(workdir / "fts.sqlite3")
    db.execute("CREATE VIRTUAL TABLE doc USING fts5(title, tags, summary, headings, body, "
               "lang UNINDEXED, tokenize='unicode61 remove_diacritics 2')")
    c0, t0 = time.process_time(), time.perf_counter()
    with db:
        db.executemany("INSERT INTO doc VALUES (?, ?, ?, ?, ?, ?)",
                       [(d.title, " ".join(d.tags), d.summary, d.headings, d.body, d.lang)
                        for d in docs])
        db.execute("INSERT INTO doc(doc) VALUES ('optimize')")
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0

    def search(q: str, lang: str) -> Any:
        """Top 10 by bm25 and the count, as the engine returns them."""
        words = WORD.findall(q.lower())
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        rows = db.execute("SELECT rowid FROM doc WHERE doc MATCH ? AND lang = ? "
                          "ORDER BY bm25(doc, 5.0, 3.0, 2.5, 2.0, 1.0) LIMIT 10",
                          (match, lang)).fetchall()
        total = db.execute("SELECT count(*) FROM doc WHERE doc MATCH ? AND lang = ?",
                           (match, lang)).fetchone()
        return rows, total

    time_queries(search, queries[: len(queries) // 3])
    wall, cpu = time_queries(search, queries)
    db.close()
    return {"build_seconds": round(build_s, 2),
            "build_articles_per_s": round(len(docs) / build_s, 1),
            "build_articles_per_cpu_s": round(len(docs) / build_cpu, 1),
            "search_ms": pct(wall),
            "search_cpu_ms": pct(cpu),
            "note": "top 10 by bm25 + count(*); no stemming, no typo tolerance, no snippets"}


def bench_http(url: str, queries: list[tuple[str, str, bool]], threads: int = 4,
               seconds: float = 15.0) -> dict[str, Any]:
    """Latency and throughput of GET {url}/api/v1/search with a few threads (loopback only)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"--url must point at this machine (loopback), not {host!r}")
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        """Send requests until the time is up."""
        i = k
        while time.monotonic() < stop:
            q, lang, _ = queries[i % len(queries)]
            i += threads
            target = f"{url.rstrip('/')}/api/v1/search?" + urllib.parse.urlencode(
                {"q": q, "lang": lang})
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(target, timeout=10) as resp:
                    resp.read()
                    ok = resp.status == 200
            except Exception:  # noqa: BLE001 - counted, the run goes on
                ok = False
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                if ok:
                    timings.append(ms)
                else:
                    errors[0] += 1

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(seconds + 15)
    wall = time.perf_counter() - t0
    return {"threads": threads, "seconds": round(wall, 1), "requests": len(timings),
            "errors": errors[0], "requests_per_s": round(len(timings) / wall, 1),
            "latency_ms": pct(timings)}


def bench_served(docs: list[IndexedDoc], queries: list[tuple[str, str, bool]], work: Path) -> dict[str, Any]:
    """The same corpus stored as articles, indexed by `kb reindex`, served by gunicorn over HTTP."""
    import sqlalchemy as sa

    from tests.reliability.server import gunicorn, kb, server_env

    env = server_env(work / "served", KB_DATABASE_URL=f"sqlite:///{work / 'served.sqlite3'}",
                     KB_ARTICLES_DIR=str(work / "no-articles"))
    (work / "served").mkdir(exist_ok=True)
    (work / "no-articles").mkdir(exist_ok=True)
    kb(env, "db", "upgrade")
    now = dt.datetime.now(dt.UTC)
    engine = sa.create_engine(env["KB_DATABASE_URL"])
    rows = [{"key": d.key, "lang": d.lang, "slug": d.slug, "title": d.title, "category": "refunds",
             "tags_json": json.dumps(list(d.tags)), "summary": d.summary, "body": d.body,
             "status": "published", "revision": 1, "needs_translation": False,
             "created_at": now, "updated_at": now, "published_at": now} for d in docs]
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO article (key, lang, slug, title, category, tags_json, summary, body, status, revision,"
            " needs_translation, created_at, updated_at, published_at) VALUES (:key, :lang, :slug, :title,"
            " :category, :tags_json, :summary, :body, :status, :revision, :needs_translation, :created_at,"
            " :updated_at, :published_at)"), rows)
        conn.execute(sa.text("INSERT INTO content_version (id, value) VALUES (1, 1)"))
    engine.dispose()
    log(f"  kb reindex of {len(docs)} articles")
    t0 = time.perf_counter()
    kb(env, "reindex")
    reindex_s = time.perf_counter() - t0
    with gunicorn(env, workers=2) as url:
        figures = bench_http(url, queries)
    figures["kb_reindex_seconds"] = round(reindex_s, 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for each size and write bench/results.json."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--queries", type=int, default=1500)
    ap.add_argument("--url", default=None, help="also load GET {url}/api/v1/search")
    ap.add_argument("--no-http", action="store_true",
                    help="skip serving each corpus with gunicorn and measuring it over HTTP")
    ap.add_argument("--no-fts5", action="store_true",
                    help="skip the SQLite FTS5 reference (long at 100,000 articles)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    queries = make_queries(args.queries)
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "sqlite": sqlite3.sqlite_version},
        "queries": {"count": len(queries), "with_typo": sum(b for *_, b in queries),
                    "sample": [q for q, *_ in queries[:12]]},
        "sizes": {},
    }
    for size in sizes:
        log(f"size {size}: generating corpus")
        docs = make_docs(size)
        work = Path(tempfile.mkdtemp(prefix=f"kb-bench-{size}-"))
        load_before = os.getloadavg()
        try:
            log(f"size {size}: engine")
            engine = bench_engine(docs, queries, work)
            fts = None
            if not args.no_fts5:
                log(f"size {size}: SQLite FTS5 reference")
                fts = bench_fts5(docs, queries, work)
            http = None
            if not args.no_http:
                log(f"size {size}: HTTP against gunicorn (2 workers)")
                http = bench_served(docs, queries, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        load = [round(x, 2) for x in (*load_before, *os.getloadavg())]
        report["sizes"][str(size)] = {"engine": engine, "fts5": fts, "http": http,
                                      "load_average_before_after": load}
        print(f"\n== {size} articles (load average before/after: {load}) ==")
        print(f"build: {engine['build_articles_per_s']} articles/s "
              f"({engine['build_seconds']} s, final merge included; "
              f"{engine['build_articles_per_cpu_s']} per CPU-second)"
              + (f"; FTS5 {fts['build_articles_per_s']} articles/s" if fts else ""))
        print(f"upsert -> searchable ms: {engine['upsert_to_searchable_ms']}")
        for name, key in (("search", "search_ms"), ("  CPU time", "search_cpu_ms"),
                          ("  typo queries", "search_typo_ms"),
                          ("  typo, CPU", "search_typo_cpu_ms"),
                          ("  page 2", "search_page2_ms"),
                          ("  after upserts", "search_after_upserts_ms"),
                          ("phrase, 1st", "phrase_first_ms"),
                          ("phrase, again", "phrase_repeated_ms"),
                          ("suggest", "suggest_ms"), ("  CPU time", "suggest_cpu_ms")):
            print(f"{name:16} {engine[key]}")
        print(f"{'worker memory':16} {engine['worker_memory']} (index {engine['index_mb']} MB on disk)")
        if fts:
            print(f"{'FTS5 search':16} {fts['search_ms']}")
            print(f"{'  CPU time':16} {fts['search_cpu_ms']}")
        if http:
            print(f"{'HTTP search':16} {http['latency_ms']}, {http['requests_per_s']} requests/s, "
                  f"{http['errors']} errors ({http['threads']} client threads, {http['seconds']} s)")
    if args.url:
        log(f"HTTP: {args.url}")
        report["http"] = bench_http(args.url, queries)
        print(f"\nHTTP {args.url}: {report['http']}")
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
