"""Folder plumbing for the index: advisory locks, atomic folder swaps, opening whoosh safely."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from kb.search.schema import SCHEMA


class _Storage(FileStorage):
    """FileStorage remembering the files it opened, to close them if opening fails.

    Whoosh leaves a file open when it trips over garbage in a TOC or segment; closed
    here, garbage never leaks descriptors (nor ResourceWarnings). A reader of a segment kept
    as separate files (see building.build_writer) also opens its column files lazily, and
    whoosh has no moment to close a reader that a newer generation replaced: each file is
    closed when the last reference to it goes.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.opened: list[Any] = []

    def open_file(self, name: str, **kwargs: Any) -> Any:
        """Open a file of the index, remembering it."""
        f = super().open_file(name, **kwargs)
        self.opened.append(f)
        if getattr(f, "is_real", False):
            weakref.finalize(f, f.file.close)
        return f


@contextmanager
def opened(path: Path) -> Iterator[Any]:
    """The whoosh index at `path`; files opened on the way are closed if anything fails."""
    storage = _Storage(str(path))
    try:
        yield FileIndex(storage, schema=SCHEMA)
    except BaseException:
        for f in storage.opened:
            # Already closed or unclosable: the original error, raised below, is what matters.
            try:
                f.close()
            except Exception:  # nosec B110  # noqa: BLE001
                pass
        raise
    finally:
        storage.opened = []


@contextmanager
def flock(path: Path, *, shared: bool = False, timeout: float | None = 0) -> Iterator[bool]:
    """Hold an advisory lock on `path` (created if needed); yields whether it was acquired."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if timeout is None:
            fcntl.flock(fd, mode)
            yield True
            return
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


_renameat2: Any = None


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    global _renameat2
    if _renameat2 is None:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                           ctypes.c_uint]
            _renameat2 = fn
        except (OSError, AttributeError):
            _renameat2 = False
    if _renameat2 is False:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if _renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def remove_leftovers(parent: Path, prefixes: Iterable[str]) -> list[str]:
    """Delete the folders in `parent` whose names start with one of `prefixes`; return their
    names. The caller holds the locks of every process that could be writing one, so what is
    found was left by a process killed half-way (a build folder is the size of an index)."""
    starts = tuple(prefixes)
    removed = []
    for entry in sorted(parent.iterdir()):
        if entry.name.startswith(starts) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed
