"""The index folder on disk: its status, and writing to it safely from many processes.

Whoosh stores the index (segments, postings, locks). A rebuild writes a complete new folder
beside it and swaps the two atomically (renameat2 RENAME_EXCHANGE), so readers never see a
gap. Writers take a lock file beside the folder with back-off; while a rebuild runs they also
append to a journal beside the folder (journal.py), which the rebuild replays before the swap:
nothing is lost.

Why a lock beside the folder and not only whoosh's own: opening a whoosh index reads its
newest TOC file without any lock, and a commit by another process deletes the TOC it
replaces, so a writer that opened the index while another committed failed with
FileNotFoundError. The lock beside the folder is taken before the index is opened, so no
other writer can commit meanwhile; it also survives the rebuild's folder swap (whoosh's
lock file lives inside the folder that gets swapped away).
"""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.index import LockError

from kb.search.building import build_writer
from kb.search.folders import exchange_dirs, flock, opened, remove_leftovers
from kb.search.journal import RebuildJournal
from kb.search.schema import (
    SCHEMA,
    IndexedDoc,
    doc_fields,
    doc_json,
    schema_version,
    supported,
)
from kb.search.segments import verify_segment
from kb.search.snapshot import open_reader

logger = logging.getLogger(__name__)

VERSION_FILE = "KB_SEARCH_SCHEMA"
KEEP_FILE = ".gitkeep"  # the empty file that keeps the default index folder in git
TOC_RE = re.compile(r"^_MAIN_(\d+)\.toc$")


class IndexBusyError(TimeoutError):
    """The index stayed locked by another writer for longer than the retry budget.

    A TimeoutError, so an OSError: callers treating unwritable indexes (full disk,
    read-only folder) as "answer from the database for now" treat this one alike.
    """


class IndexFolder:
    """A whoosh index directory shared by processes; see the module docstring.

    SearchIndex (engine.py) adds the reading side; this class knows the folder, its status
    and how to write it.
    """

    lock_timeout = 10.0  # seconds a writer retries a taken lock before IndexBusyError

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()
        self._parent, self._name = self.path.parent, self.path.name
        self._checked: tuple[Any, str] = (None, "missing")
        self._verified: set[tuple[str, Any]] = set()
        self._journal = RebuildJournal(self._side("journal"))

    def _invalidate(self) -> None:
        """Forget what was read of the previous generation (the reading side overrides it)."""

    def revisions(self) -> dict[str, int]:
        """Return doc_id -> revision for every document the index holds."""
        raise NotImplementedError

    # --- files beside the index ------------------------------------------------------

    def _side(self, suffix: str) -> Path:
        return self._parent / f".{self._name}.{suffix}"

    def _token(self) -> tuple[int, int, int] | None:
        """What identifies the index generation on disk: a swap changes the folder's inode,
        a commit writes a new TOC (the mtime alone could miss two commits in one tick)."""
        try:
            st = os.stat(self.path)
            names = os.listdir(self.path)
        except OSError:
            return None
        gens = (int(m.group(1)) for n in names if (m := TOC_RE.match(n)))
        return (st.st_ino, st.st_mtime_ns, max(gens, default=-1))

    # --- status ---------------------------------------------------------------------

    def status(self) -> str:
        """Return "ok", "missing", "corrupt", or "rebuilding" (no usable index, one is coming).

        A healthy index reads "ok" even while a rebuild runs, since searches keep being
        answered from it until the new one is swapped in.
        """
        live = self._check()
        if live != "ok" and self._rebuilding():
            return "rebuilding"
        return live

    def _rebuilding(self) -> bool:
        lockfile = self._side("rebuild.lock")
        if not lockfile.exists():
            return False
        with flock(lockfile, shared=True, timeout=0) as got:
            return not got

    def _check(self) -> str:
        # Called on every search by the app, so the full check only runs when a file of the
        # index changed (size or mtime), and only on segments not verified before.
        try:
            listing = self._listing()
        except OSError:
            return "corrupt"  # unreadable folder
        if listing is None:
            return "missing"
        for _ in range(3):
            # The version counts too: new stop words make the index on disk out of date.
            key = (listing[0], frozenset(listing[1].items()), schema_version())
            if self._checked[0] == key:
                return self._checked[1]
            result = self._verify(listing[1])
            if result == "ok":
                break
            # A commit or a swap by another process while verifying removes files the check
            # was reading: that is not damage, so look again at what is there now.
            try:
                again = self._listing()
            except OSError:
                break
            if again is None or again == listing:
                break
            listing = again
        self._checked = (key, result)
        return result

    def _listing(self) -> tuple[int, dict[str, tuple[int, int]]] | None:
        """(inode, name -> (size, mtime)) of the index folder; None if there is none."""
        for _ in range(5):
            try:
                inode = os.stat(self.path).st_ino
            except (FileNotFoundError, NotADirectoryError):
                return None
            files: dict[str, tuple[int, int]] = {}
            try:
                with os.scandir(self.path) as entries:
                    for e in entries:
                        try:
                            st = e.stat()
                        except FileNotFoundError:
                            continue  # deleted by a commit meanwhile: not part of the index
                        files[e.name] = (st.st_size, st.st_mtime_ns)
                if os.stat(self.path).st_ino == inode:
                    return inode, files
            except (FileNotFoundError, NotADirectoryError):
                pass
            # A rebuild swapped the folder during the scan: look again.
        return None

    def _verify(self, files: dict[str, tuple[int, int]]) -> str:
        if not any(TOC_RE.match(n) for n in files):
            return "missing"
        try:
            if (self.path / VERSION_FILE).read_text().strip() != schema_version():
                return "corrupt"
            with opened(self.path) as ix, open_reader(ix) as reader:
                for leaf, _ in reader.leaf_readers():
                    if leaf.segment() is None:
                        continue
                    sid = leaf.segment().segment_id()
                    # A segment is one compound file (``.seg``) or, after a full build,
                    # separate files sharing its id as their prefix: any change to them
                    # means checking it again.
                    seg_key = (sid, frozenset(
                        (name, stat) for name, stat in files.items()
                        if name.startswith(f"{sid}.")))
                    if seg_key not in self._verified:
                        verify_segment(leaf)
                        self._verified.add(seg_key)
        except Exception:  # garbage in a TOC or segment surfaces as anything at all
            logger.warning("search index at %s is corrupt", self.path, exc_info=True)
            return "corrupt"
        return "ok"

    def ensure(self) -> str:
        """Open the index, or create an empty one if it is missing or corrupt."""
        before = self.status()
        if self._check() != "ok":
            self._parent.mkdir(parents=True, exist_ok=True)
            with flock(self._side("create.lock"), timeout=self.lock_timeout) as got:
                if got and self._check() != "ok":  # another process may have fixed it
                    tmp = self._new_dir()
                    self._swap_in(tmp)
        self._invalidate()
        return before

    def _new_dir(self) -> Path:
        tmp = self._side(f"build-{uuid.uuid4().hex[:12]}")
        tmp.mkdir()
        windex.create_in(str(tmp), SCHEMA)
        (tmp / VERSION_FILE).write_text(schema_version())
        return tmp

    def _swap_in(self, new: Path) -> None:
        """Atomically put directory `new` at self.path and delete what was there."""
        if (self.path / KEEP_FILE).exists():
            (new / KEEP_FILE).touch()  # the checkout's placeholder stays tracked and present
        if self.path.exists():
            if exchange_dirs(new, self.path):
                shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old index
                return
            # No atomic exchange on this filesystem: readers retry the short gap.
            old = self._side(f"old-{uuid.uuid4().hex[:12]}")
            os.rename(self.path, old)
            os.rename(new, self.path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(new, self.path)

    # --- writing --------------------------------------------------------------------

    def upsert(self, docs: Iterable[IndexedDoc]) -> None:
        """Add or replace documents by doc_id; retries while another process writes."""
        batch = [d for d in docs if supported(d)]
        if not batch:
            return

        def apply(w: Any) -> None:
            """Replace each document (whoosh deletes by the unique doc_id, then adds)."""
            for doc in batch:
                w.update_document(**doc_fields(doc))

        self._write(apply, [{"op": "upsert", "doc": doc_json(d)} for d in batch])

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Remove documents by doc_id (unknown ids are ignored)."""
        ids = [i for i in doc_ids if i]
        if not ids:
            return

        def apply(w: Any) -> None:
            """Delete each document by doc_id."""
            for i in ids:
                w.delete_by_term("doc_id", i)

        self._write(apply, [{"op": "remove", "doc_id": i} for i in ids])

    def _write(self, apply: Callable[[Any], None], ops: list[dict[str, Any]]) -> None:
        self._parent.mkdir(parents=True, exist_ok=True)
        with flock(self._side("write.lock"), timeout=self.lock_timeout) as got:
            if not got:
                raise IndexBusyError(f"search index {self.path} is locked by another writer")
            self._write_locked(apply, ops)

    def _write_locked(self, apply: Callable[[Any], None], ops: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        repaired = False
        while True:
            # While a rebuild runs, writes are also journalled so the rebuild can replay
            # them; holding the shared lock until commit keeps a rebuild from starting
            # between this check and the commit.
            with flock(self._side("rebuild.lock"), shared=True, timeout=0) as not_rebuilding:
                try:
                    with opened(self.path) as ix:
                        writer = ix.writer(timeout=0.0)
                except LockError:
                    writer = None  # a writer that does not take the lock beside the folder
                except OSError:
                    raise  # a full disk or a read-only folder: the caller decides
                except Exception:
                    if repaired:
                        raise
                    self.ensure()  # missing or corrupt: start from an empty index
                    repaired = True
                    continue
                if writer is not None:
                    try:
                        apply(writer)
                        if not not_rebuilding:
                            self._journal.append(ops)
                        writer.commit()
                    except BaseException:
                        writer.cancel()
                        raise
                    self._invalidate()
                    return
            if time.monotonic() > deadline:
                raise IndexBusyError(f"search index {self.path} is locked by another writer")
            # Jitter spreads out writers that retry together; not a security use of randomness.
            time.sleep(delay * (0.5 + random.random()))  # nosec B311
            delay = min(delay * 2, 0.2)

    def rebuild(
        self,
        docs: Iterable[IndexedDoc],
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build a complete new index beside the old one and swap it in; return the count."""
        self._parent.mkdir(parents=True, exist_ok=True)
        step = max(1, (total or 0) // 100) if total else 100
        with flock(self._side("rebuild.lock"), timeout=None):
            self._journal.clear()
            self._remove_leftovers()
            tmp = self._new_dir()
            try:
                with opened(tmp) as ix:
                    pass
                # One writer, one segment: a big pool spills fewer runs to disk, and one
                # process because more cost more than they saved here (procs=2, even without
                # merging their segments, built 30,000 articles at 498/s against 625/s).
                writer = build_writer(ix, limitmb=256)
                count, seen = 0, set()
                try:
                    for doc in docs:
                        if doc.doc_id in seen or not supported(doc):
                            continue
                        seen.add(doc.doc_id)
                        writer.add_document(**doc_fields(doc))
                        count += 1
                        if progress is not None and count % step == 0:
                            progress(count)
                    writer.commit()
                except BaseException:
                    writer.cancel()
                    raise
                self._finish_rebuild(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._journal.clear()
        if progress is not None:
            progress(count)
        self._invalidate()
        return count

    def _remove_leftovers(self) -> None:
        """Delete build and swapped-out folders of a rebuild or repair killed half-way.

        Held with the rebuild lock: only ``ensure`` (under the create lock, taken here too)
        and ``_swap_in`` (under the create lock as well) make such folders meanwhile.
        """
        with flock(self._side("create.lock"), timeout=None):
            names = remove_leftovers(self._parent, (self._side("build-").name,
                                                    self._side("old-").name))
        if names:
            logger.warning("removed %d folder(s) left by an interrupted rebuild of %s: %s",
                           len(names), self.path, ", ".join(names))

    def _finish_rebuild(self, tmp: Path) -> None:
        """Replay writes made during the build, then swap, holding the writers' lock."""
        with flock(self._side("write.lock"), timeout=max(60.0, self.lock_timeout)) as got:
            if not got:
                raise IndexBusyError(f"search index {self.path} stayed locked")
            self._journal.replay(tmp, type(self)(tmp).revisions)
            with flock(self._side("create.lock"), timeout=None):
                self._swap_in(tmp)
