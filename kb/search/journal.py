"""The rebuild journal: writes made while a rebuild runs, kept beside the index folder.

A rebuild reads the articles and writes a whole new folder; an article published meanwhile is
written to the live index (searchable at once) and also appended here. Before the new folder is
swapped in, the rebuild replays these writes into it, so the swap loses nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kb.search.folders import opened
from kb.search.schema import doc_fields, doc_from_json


class RebuildJournal:
    """The journal file at `path`: one JSON write operation per line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def clear(self) -> None:
        """Start empty (a rebuild begins, or its writes are in the new folder)."""
        self.path.unlink(missing_ok=True)

    def append(self, ops: list[dict[str, Any]]) -> None:
        """Add the operations of one committed write."""
        data = "".join(json.dumps(op, ensure_ascii=False) + "\n" for op in ops).encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)  # one O_APPEND write: lines from two processes never interleave
        finally:
            os.close(fd)

    def replay(self, folder: Path, revisions: Callable[[], dict[str, int]]) -> None:
        """Apply the journal to the index in `folder`, whose doc_id -> revision `revisions`
        reads: a document the folder already holds at a newer revision is left as it is."""
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return
        if not lines:
            return
        with opened(folder) as ix:
            pass
        fresh = revisions()
        writer = ix.writer()
        for line in lines:
            try:
                op = json.loads(line)
            except ValueError:
                continue  # a torn last line from a crashed writer
            if op["op"] == "remove":
                writer.delete_by_term("doc_id", op["doc_id"])
            else:
                doc = doc_from_json(op["doc"])
                if fresh.get(doc.doc_id, -1) <= doc.revision:
                    writer.update_document(**doc_fields(doc))
        writer.commit()
