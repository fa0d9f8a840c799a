"""Reading the insights page back: its tables as lists of cell texts, and its charts."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.tiles: dict[str, str] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._tile: str | None = None
        self._tile_value: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = str(found["id"])
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "li" and str(found.get("id", "")).startswith("tile-"):
            self._tile = str(found["id"])[5:]
        elif tag == "span" and self._tile and found.get("class") == "insights-tile-value":
            self._tile_value = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None and self._table:
            if self._row:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._tile_value is not None and self._tile:
            self.tiles[self._tile] = "".join(self._tile_value).strip()
            self._tile_value = None
        elif tag == "li":
            self._tile = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._tile_value is not None:
            self._tile_value.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """Every table of the page by id, header row first, each row as its cells' text."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def page_tiles(html: str) -> dict[str, str]:
    """The headline figures of the page by id."""
    parser = _Tables()
    parser.feed(html)
    return parser.tiles


def csv_rows(text: str) -> list[dict[str, Any]]:
    """The rows of a downloaded CSV."""
    return list(csv.DictReader(io.StringIO(text)))
