"""Loading the common words' term vectors ahead, once a large segment is opened.

At 100,000 articles the first search of a common word reads tens of thousands of postings
(tens of milliseconds), and a worker that has just started or opened a freshly built index
would make its first shoppers pay that for each word. A background thread builds, after a
generation is opened, the vectors (with their best-first order and bit set) of the words
that MIN_DF documents or more hold in each segment of MIN_DOCS documents or more, most
common first. Smaller segments build any vector in a few milliseconds and are left alone.
Searches go on meanwhile: the thread takes the index's read lock one word at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kb.search.analysis import LANGS
from kb.search.segments import SegmentCache
from kb.search.snapshot import Snapshot

logger = logging.getLogger(__name__)

MIN_DOCS = 5_000
MIN_DF = 500
PAUSE = 0.002  # seconds between two words


class Warmer:
    """The background thread of one index: warms the latest generation handed to it."""

    def __init__(self, in_use: Callable[[SegmentCache], bool]) -> None:
        self._in_use = in_use  # whether a segment is still part of the index's latest generation
        self._lock = threading.Lock()
        self._pending: Snapshot | None = None
        self._running = False  # a thread is between its start and its last look at _pending
        self.idle = threading.Event()  # set while there is nothing left to warm
        self.idle.set()
        self.seconds = 0.0  # wall time spent warming (pauses and lock waits included)

    def start(self, snap: Snapshot) -> None:
        """Warm the large segments of `snap` not warmed yet, in the background."""
        if not any(_worth_warming(cache) for _, _, cache in snap.leaves):
            return
        with self._lock:
            self._pending = snap
            self.idle.clear()
            # Not thread.is_alive(): a thread that has just found nothing pending is still
            # alive for a moment, and the generation handed over meanwhile would be lost.
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="kb-search-warm", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._lock:
                snap, self._pending = self._pending, None
                if snap is None:
                    self._running = False
                    self.idle.set()
                    return
            started = time.perf_counter()
            try:
                warm(snap, lambda cache: self._pending is None and self._in_use(cache))
            except Exception:  # a damaged segment: searches report it; do not retry it
                logger.exception("warming the search index failed")
                for _, _, cache in snap.leaves:
                    cache.warmed = True
            self.seconds += time.perf_counter() - started


def _worth_warming(cache: SegmentCache) -> bool:
    """Whether a segment is large enough to warm and not warmed yet."""
    return len(cache.meta) >= MIN_DOCS and not cache.warmed


def warm(snap: Snapshot, go_on: Callable[[SegmentCache], bool]) -> None:
    """Build the common words' vectors in the large segments of `snap` (see the module).

    ``go_on(cache)`` is asked before each word: False when the segment was replaced
    (merged, rebuilt) or a newer generation waits, whose own pass takes over with its
    average lengths; the vectors built so far are kept.
    """
    for _, _, cache in snap.leaves:
        if not _worth_warming(cache):
            continue
        for lang in LANGS:
            with snap.lock:
                vocab = cache.vocab(lang)
            common = sorted((t for t, df in vocab.items() if df >= MIN_DF),
                            key=vocab.__getitem__, reverse=True)
            for term in common:
                if not go_on(cache):
                    return
                with snap.lock:
                    vec = cache.vector(lang, term, snap.avgdl)
                vec.impact()
                vec.mask()
                # Let a search waiting for the lock (or the GIL) in first: warming may take
                # tens of seconds at 100,000 articles, and shoppers come first.
                time.sleep(PAUSE)
        cache.warmed = True
