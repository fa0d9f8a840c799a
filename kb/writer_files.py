"""The TOML files writers keep beside the articles (``self-help.toml``, ``search-words.toml``).

Each room checks its own file's meaning; what they share lives here: an error that names the
file and line, parsing with the line of a syntax mistake, finding the line of an entry, and
the version a process uses, read again when the file changes and kept when a new version has
a mistake, so that the shop goes on working while a writer fixes it.

Plumbing with no room of its own: it imports nothing from kb, so any room may use it.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Callable
from logging import Logger
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Places = dict[tuple[str, str], tuple[int, int]]

_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")


class WriterFileError(ValueError):
    """A mistake in a writers' file, with the file and line where it is."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


def parse_toml(text: str, path: Path | str, error: type[WriterFileError],
               twice: str = "a key is given twice") -> dict[str, Any]:
    """The file's TOML; a syntax mistake raises ``error`` at its line (``twice`` explains a repeated key)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        message = str(exc)
        if message.startswith("Cannot overwrite a value"):
            message = f"{twice} ({message})"
        raise error(path, int(found.group(1)) if found else None, message) from exc


def entry_places(text: str) -> Places:
    """Where each (table, key) entry starts and ends in the file (1-based lines), for errors.

    A table is named as written without quotes or spaces (``synonyms.en``); the top of the
    file is the table ``""``, and a table's header is its entry ``(table, "")``.
    """
    places: Places = {}
    table, current, lines = "", None, text.splitlines()
    for number, line in enumerate(lines, start=1):
        header, entry = _TABLE.match(line), _KEY.match(line)
        if (header or entry) and current is not None:
            places[current] = (places[current][0], number - 1)
            current = None
        if header:
            table = header.group(1).replace('"', "").replace(" ", "")
            places[(table, "")] = (number, number)
        elif entry:
            current = (table, next(g for g in entry.groups() if g))
            places[current] = (number, number)
    if current is not None:
        places[current] = (places[current][0], len(lines))
    return places


def line_of(text: str, places: Places, table: str, key: str, word: str | None = None) -> int | None:
    """The line of an entry, or of the quoted ``word`` inside it when given."""
    start, end = places.get((table, key), (None, None))
    if start is None:  # a table only written as its sub-tables: [name.en]
        start = next((first for (t, k), (first, _) in places.items()
                      if not k and t.startswith(f"{table}.")), None)
    if start is None or end is None or word is None:
        return start
    rows = text.splitlines()
    return next((n for n in range(start, end + 1)
                 if f'"{word}"' in rows[n - 1] or f"'{word}'" in rows[n - 1]), start)


class KeptFile(Generic[T]):
    """The version of one writers' file a process uses: read again when the file changes.

    A version with a mistake is logged and the last good one kept (``empty`` before the first
    good one). ``label`` names the file in the room's ``log``; ``missing`` says what a missing
    file means.
    """

    def __init__(self, empty: T, log: Logger, label: str, missing: str) -> None:
        self.empty, self.log, self.label, self.missing = empty, log, label, missing
        self.value: T = empty
        self.stamp: tuple[str, int, int] | None = None
        self.loaded = False
        self._lock = threading.Lock()

    def current(self, path: Path, load: Callable[[Path], T]) -> T:
        """The version in use of the file at ``path``, read with ``load`` if it changed.

        ``load`` raises a WriterFileError for a mistake in the file.
        """
        try:
            info = path.stat()
            stamp: tuple[str, int, int] | None = (str(path), info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if self.loaded and self.stamp == stamp:
                return self.value
            value = self.value
        # Read outside the lock: a loader may query the database, and two readers of a changed
        # file at once only read it twice.
        if stamp is None:
            self.log.error("%s is missing: %s", path, self.missing)
        else:
            try:
                value = load(path)
            except (WriterFileError, OSError, UnicodeDecodeError) as exc:
                self.log.error("%s not used: %s", self.label, exc)
        with self._lock:
            self.stamp, self.value, self.loaded = stamp, value, True
        return value
