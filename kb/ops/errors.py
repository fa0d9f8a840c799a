"""A database that is briefly unavailable answers 503 (a page, or JSON for the API) and recovers.

Locked by a long write, restarting, out of connections, a file that cannot be opened: each
reaches the views as an OperationalError (or a connection SQLAlchemy had to invalidate).
Rolling the session back and answering 503 lets the next request start afresh; the pool's
pre-ping replaces dead connections, so nothing has to be restarted.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, render_template_string
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from kb.extensions import db
from kb.web import json_error, wants_json

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def is_unavailable(error: DBAPIError) -> bool:
    """Whether the error says the database cannot be reached, rather than a bad statement."""
    return isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated


def database_unavailable(error: DBAPIError) -> tuple[Response | str, int, dict[str, str]]:
    """503 with a friendly page or the API's JSON error; other database errors stay 500s."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.remove()  # the connection is gone too: drop the session with it
    if not is_unavailable(error):
        raise error  # an IntegrityError and the like is a bug: let it be a 500 as before
    log.error("database unavailable: %s", error.orig or error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        response, status = json_error(503, "unavailable", _message())
        return response, status, headers
    return _page(), 503, headers


def _page() -> str:
    try:
        return render_template("errors/error.html", status=503, error=None)
    except DBAPIError:
        # The layout asks who is signed in, which needs the database too: a bare page then.
        db.session.rollback()
        return str(render_template_string(
            "<!doctype html><title>503</title><h1>{{ title }}</h1><p>{{ text }}</p>",
            title=_("We are having a problem right now"),
            text=_message(),
        ))


def _message() -> str:
    # The error page's own sentence, so that it is already translated.
    return _("The service is briefly unavailable. Please try again in a moment: "
             "nothing you entered is lost.")


def init_app(app: Flask) -> None:
    """Answer database outages with 503 instead of a 500 error page."""
    app.register_error_handler(DBAPIError, database_unavailable)
