"""The writers' studio: writing, previewing, translating and restoring articles."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the studio's pages under ``/studio``."""
    from kb.studio import (
        history,  # noqa: F401  (adds the history pages to the blueprint)
        search_words,  # noqa: F401  (adds the search words page)
    )
    from kb.studio.views import bp

    app.register_blueprint(bp)
