"""``/healthz``: whether this process can serve, for load balancers and scripts."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kb import search
from kb.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 with the state of the database and the search index once the site can serve."""
    try:
        db.session.execute(text("SELECT 1"))
        # After a crash or a deploy the index may be missing, and the load balancer's checks
        # are the only requests until the site is healthy: they start the rebuild.
        search.sync_index()
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    index = search.index_status()
    # A rebuilding index still serves (from the old index or the database fallback).
    ready = database == "ok" and index in ("ok", "rebuilding", "fallback")
    return jsonify({"database": database, "search_index": index}), 200 if ready else 503


def init_app(app: Flask) -> None:
    """Register the health check."""
    app.register_blueprint(bp)
