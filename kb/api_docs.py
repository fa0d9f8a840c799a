"""The JSON API's declared schemas and the OpenAPI document generated from them.

Every API blueprint is a ``flask_smorest.Blueprint`` whose views declare their request and
response schemas (marshmallow) with ``@bp.arguments`` and ``@bp.response``; ``register``
hooks it on the app through the one ``Api`` below, which builds the document served at
``/api/v1/openapi.json``. Errors keep the project's one shape, ``{"error": {"code", "message"}}``:
the ``Api``'s own HTTP error handler is handed back to ``kb.web``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint

SPEC_SETTINGS: dict[str, Any] = {
    "API_TITLE": "kb returns help centre API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.1.0",
    # Until every endpoint is declared, kb.openapi still serves the hand-kept document there.
    "OPENAPI_URL_PREFIX": None,
    "OPENAPI_JSON_PATH": "openapi.json",
}


class KbApi(Api):
    """flask-smorest's Api, answering errors in the project's format instead of its own."""

    # Its default error response describes its own error shape, not ours: each view declares its errors.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        # kb.web already handles HTTPException for pages and JSON alike; keep that one handler.
        return None


SPEC_KWARGS: dict[str, Any] = {"info": {"description": "Articles, search, the returns assistant, the staff desk "
                                                  "and the shop's orders. Errors are JSON: "
                                                  "{\"error\": {\"code\", \"message\"}}."}}


def api_of(app: Flask) -> KbApi:
    """The app's Api (one per app: tests build many apps, and each has its own document)."""
    return app.extensions["kb_api"]


def register(app: Flask, blueprint: Blueprint, **options: Any) -> None:
    """Hook an API blueprint on the app; its declared schemas join the OpenAPI document."""
    api_of(app).register_blueprint(blueprint, **options)


def init_app(app: Flask) -> None:
    """Give the app its Api (called before the rooms register their API blueprints)."""
    for key, value in SPEC_SETTINGS.items():
        app.config.setdefault(key, value)
    app.extensions["kb_api"] = KbApi(app, spec_kwargs=SPEC_KWARGS)
