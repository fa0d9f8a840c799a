"""A deleted or damaged index is rebuilt by the next check, even when no article changed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from flask import Flask

from kb.search.service import index_status, search_articles


def _wait_until_ok(app: Flask, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        search_articles("parcel", "en")
        if index_status() == "ok" and not app.extensions["kb_search"].rebuilding:
            return
        time.sleep(0.1)
    raise AssertionError(f"the index was not rebuilt: {index_status()}")


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_a_damaged_index_is_rebuilt_without_an_article_change(content_app: Flask, damage: str) -> None:
    folder = Path(content_app.config["SEARCH_INDEX_DIR"])
    assert search_articles("parcel", "en").total > 0 and index_status() == "ok"
    if damage == "delete":
        shutil.rmtree(folder)
    else:
        for segment in folder.glob("*.seg"):
            segment.write_bytes(b"\0" * 64)
        for toc in folder.glob("*.toc"):
            toc.write_bytes(b"garbage")
    _wait_until_ok(content_app)
    assert search_articles("parcel", "en").total > 0
