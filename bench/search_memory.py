"""The memory a process holds with an opened search index: what one web worker would hold.

Run by bench.search_bench in a fresh interpreter (the benchmark's own process has built the
index and generated the corpus, so its memory says nothing about a worker's). The child imports
the engine, notes its resident memory, opens the index, searches and suggests (the warm-up
a worker goes through as shoppers arrive), and notes its memory again.
"""

from __future__ import annotations

import multiprocessing
import resource
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any


def rss_mb() -> float:
    """This process's resident memory now, in MB (from /proc: Linux only)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _hold_index(index_path: str, queries: list[tuple[str, str, bool]], rounds: int) -> dict[str, Any]:
    """In the child: memory before opening, after the first search, and after warm-up."""
    from kb.search.engine import SearchIndex

    before = rss_mb()
    index = SearchIndex(index_path)
    index.search("return", "en")
    opened = rss_mb()
    index.wait_warm()  # a large index loads its common words in the background
    warmed = rss_mb()
    for _ in range(rounds):
        for q, lang, _typo in queries:
            index.search(q, lang)
            index.search(q, lang, offset=10)
            index.suggest(q[:4], lang)
    return {"rss_before_open_mb": before, "rss_after_first_search_mb": opened,
            "rss_after_common_words_mb": warmed,
            "rss_after_warm_up_mb": rss_mb(), "peak_rss_mb": peak_rss_mb(),
            "warm_up": f"{rounds} x {len(queries)} queries (page 1 and 2) and suggestions"}


def worker_memory(index_path: Path, queries: list[tuple[str, str, bool]], rounds: int = 2) -> dict[str, Any]:
    """Measure, in a freshly started interpreter, the memory of a process searching the index."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(_hold_index, str(index_path), queries, rounds).result()
