"""Bounds on what clients send, enforced before any view: ids, JSON and body sizes.

Each of these once reached a view and ended in a 500: an id too large for a database integer,
JSON nested a thousand deep or holding a lone surrogate (which no database can store), and a
chunked body, which has no Content-Length to check, read in full however large.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request, current_app
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

# Forms and JSON; only the photo steps may send up to MAX_CONTENT_LENGTH (16 MB).
JSON_LIMIT = 1024 * 1024
UPLOAD_ENDPOINTS = {"returns_api.photos", "wizard.items"}
# A batch of up to 500 orders outgrows 1 MB; it may send up to MAX_CONTENT_LENGTH too.
LARGE_JSON_ENDPOINTS = {"orders_api.batch"}
MAX_ID = 2**63 - 1  # the largest BIGINT: a larger id in a URL is simply not found
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class IdConverter(IntegerConverter):
    """Flask's ``int`` converter, bounded to ids a database column can hold."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class BoundedRequest(Request):
    """A request whose body, declared or chunked, is cut at its endpoint's limit (413)."""

    @property
    def max_content_length(self) -> int | None:
        """1 MB, or MAX_CONTENT_LENGTH for the photo steps; werkzeug checks it on the stream."""
        if self.endpoint in UPLOAD_ENDPOINTS or self.endpoint in LARGE_JSON_ENDPOINTS:
            return int(current_app.config["MAX_CONTENT_LENGTH"])
        return JSON_LIMIT

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        pass  # fixed per endpoint above

    def get_data(self, *args: Any, **kwargs: Any) -> Any:
        """The body; 413 when a chunked body reaches the limit (werkzeug would cut it silently)."""
        data = super().get_data(*args, **kwargs)
        limit = self.max_content_length
        if self.content_length is None and limit is not None and len(data) >= limit:
            raise RequestEntityTooLarge()
        return data


def _json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise ValueError("lone surrogate in a JSON string")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (as invalid JSON: 400) what the views could not handle."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s``; ValueError when too deep, not a finite number, or holding a lone surrogate."""
        text = s.decode("utf-8") if isinstance(s, bytes) else s
        # The character scan only when there are enough brackets to nest too deep (rarely).
        if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _json_depth(text) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH}")
        value = json.loads(text, parse_constant=_refuse_constant, **kwargs)
        _check_strings(value)
        return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def init_app(app: Flask) -> None:
    """Install the bounded id converter, request class and JSON provider."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = BoundedRequest
    app.json = StrictJSONProvider(app)
