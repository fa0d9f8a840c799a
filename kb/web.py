"""Shared web plumbing: locale, security headers, visit ids, and errors as HTML or JSON."""

from __future__ import annotations

import functools
import re
import secrets
from typing import Any

from babel.dates import get_timezone_name
from flask import Blueprint, Flask, Response, current_app, g, jsonify, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError
from werkzeug.http import dump_cookie
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter, BuildError

from kb.config import LANGUAGES
from kb.errors import KbError
from kb.web_input import JSON_LIMIT, UPLOAD_ENDPOINTS
from kb.web_input import init_app as bound_input

VISIT_COOKIE = "kb_visit"
# Pages and APIs about one shopper's return or question, or for staff only (status page, slip,
# shopper API, contact form, desk, studio, insights and their CSV exports, sign-in).
PRIVATE_BLUEPRINTS = {"wizard", "resend", "returns", "returns_api", "contact", "desk", "desk_api", "studio",
                      "insights", "insights_api", "auth", "orders_api"}


bp = Blueprint("web", __name__)

# The name the API views grew up with; every room's error is a KbError.
ApiError = KbError


def select_locale() -> str:
    """The URL's language first, then the browser's, then English."""
    lang = (request.view_args or {}).get("lang") if request else None
    if lang in LANGUAGES:
        return str(lang)
    forced = request.args.get("lang") if request else None
    if forced in LANGUAGES:
        return str(forced)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def select_timezone() -> str:
    """The shop's time zone (the policy's): every page shows times as the shop lives them."""
    from kb.shop import current_policy

    return current_policy().timezone


def format_shop_datetime(value: Any, format: str = "medium") -> str:
    """A date and time in the shop's zone, with the zone named: "4 Dec 2026, 16:00:00 (Central European Time)"."""
    name = get_timezone_name(get_timezone(), "long", locale=get_locale())
    return f"{format_datetime(value, format)} ({name})"


def current_lang() -> str:
    """The language of the current request as a code ("en" or "fr")."""
    return str(get_locale() or "en")


def json_error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    """A JSON error response in the project's one format."""
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra)
    return jsonify({"error": body}), status


def wants_json() -> bool:
    """Whether this request should get JSON errors (the API, embed calls and shop webhooks)."""
    return request.path.startswith(("/api/", "/hooks/")) or request.path.endswith(".json")


class LangConverter(BaseConverter):
    """Matches only the languages the help centre is written in."""

    regex = "|".join(LANGUAGES)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key.

    Flask builds it on every request, even when no session cookie came: a measurable share
    of a cached page's time.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer for the app's current secret key (and fallbacks)."""
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(keys)
        if found is None:
            found = super().get_signing_serializer(app)
            if found is not None:
                self._serializers = {keys: found}  # a new key replaces the old one
        return found


def init_app(app: Flask) -> None:
    """Install the request hooks, headers, template helpers and error handlers."""
    app.url_map.converters["lang"] = LangConverter
    app.session_interface = SessionInterface()
    app.register_blueprint(bp)
    bound_input(app)
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies:
        # Flask's documented way to add a WSGI middleware; wsgi_app is declared as a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )

    @app.before_request
    def _body_limit() -> None:
        # 1 MB for forms and JSON; only the photo steps may send up to MAX_CONTENT_LENGTH.
        if (request.content_length or 0) > JSON_LIMIT and request.endpoint not in UPLOAD_ENDPOINTS:
            raise RequestEntityTooLarge()

    @app.before_request
    def _visit_id() -> None:
        g.visit_id, g.new_visit = visit_of(request.cookies.get(VISIT_COOKIE, ""))

    @app.after_request
    def _headers(response: Response) -> Response:
        return _security_headers(app, response)

    # Jinja runs this on every value a template prints (before escaping).
    app.jinja_env.finalize = _visible_to_staff
    app.context_processor(_template_context)
    app.add_template_filter(external_url, "external_url")
    app.register_error_handler(KbError, _kb_error)
    app.register_error_handler(HTTPException, _http_error)


@bp.get("/csrf-token")
def csrf_token() -> Response:
    """This visitor's CSRF token, for a form of a cached page (which carries none) sent by script."""
    response = jsonify({"csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


def visit_of(cookie: str) -> tuple[str, bool]:
    """The visit a ``kb_visit`` cookie names, or a new one when it names none: (visit id, new)."""
    if 16 <= len(cookie) <= 40 and cookie.isalnum():
        return cookie, False
    return secrets.token_hex(16), True


def visit_cookie(app: Flask, visit_id: str) -> str:
    """The Set-Cookie value that starts a visit."""
    return dump_cookie(VISIT_COOKIE, visit_id, httponly=True, samesite="Lax",
                       secure=bool(app.config.get("SESSION_COOKIE_SECURE")), max_size=app.config["MAX_COOKIE_SIZE"])


def _security_headers(app: Flask, response: Response) -> Response:
    # Pages start a visit; so does the token a cached page's form fetches, since its POST counts
    # one answer per visit (a vote).
    if getattr(g, "new_visit", False) and (response.mimetype == "text/html" or request.endpoint == "web.csrf_token"):
        response.headers.add("Set-Cookie", visit_cookie(app, g.visit_id))
    frame_ancestors = getattr(g, "frame_ancestors", None) or "'none'"
    private = request.blueprint in PRIVATE_BLUEPRINTS
    headers = response.headers
    # A header the view set itself stays (one pass over the few headers, not a lookup each).
    present = {name.lower() for name, _ in headers.items()}
    for lower, name, value in _default_headers(frame_ancestors, private):
        if lower not in present:
            headers.add(name, value)
    return response


@functools.lru_cache(maxsize=16)
def _default_headers(frame_ancestors: str, private: bool) -> tuple[tuple[str, str, str], ...]:
    """The security headers of every response, as (lower-case name, name, value)."""
    headers = [
        ("Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; "
         f"frame-ancestors {frame_ancestors}"),
        # A shopper's return, a staff page, an export: never kept by a browser or proxy cache.
        *([("Cache-Control", "no-store")] if private else []),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        *([("X-Frame-Options", "DENY")] if frame_ancestors == "'none'" else []),
    ]
    return tuple((name.lower(), name, value) for name, value in headers)


# Bidirectional overrides and isolates, zero-width characters, the byte-order mark: invisible,
# yet they can reverse or hide what a shopper wrote ("gpj.exe" shown as "exe.jpg").
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
STAFF_BLUEPRINTS = {"desk", "studio", "insights"}


def _visible_to_staff(value: Any) -> Any:
    """On staff pages, a printed value loses the invisible characters that could disguise it."""
    if isinstance(value, str) and _INVISIBLE.search(value) and request and request.blueprint in STAFF_BLUEPRINTS:
        cleaned = _INVISIBLE.sub("", value)
        # Already Markup (our own escaped HTML): removing characters keeps it safe.
        return Markup(cleaned) if isinstance(value, Markup) else cleaned  # nosec B704
    return value


def _template_context() -> dict[str, Any]:
    return {
        "lang": current_lang(),
        "languages": LANGUAGES,
        "switch_language_url": switch_language_url,
        "format_date": format_date,
        # Times are read in the shop's zone, so the zone is named after each one.
        "format_datetime": format_shop_datetime,
    }


def external_url(path: str) -> str:
    """An absolute URL for a site path (BASE_URL when set, else this request's host)."""
    if path.startswith(("http://", "https://")):
        return path
    base = current_app.config.get("BASE_URL") or request.host_url
    return base.rstrip("/") + path


# The query parameters each page reads, carried over to the same page in the other language.
PAGE_QUERY_PARAMS: dict[str, tuple[str, ...]] = {
    "search.results": ("q", "category", "page"),
    "wizard.status": ("token",),
    "wizard.slip": ("token",),
}


def switch_language_url(target: str) -> str:
    """This page in the other language (views may set ``g.alternates`` for articles)."""
    alternates = getattr(g, "alternates", None) or {}
    if target in alternates:
        return alternates[target]
    if request.endpoint and request.view_args is not None and "lang" in request.view_args:
        args = dict(request.view_args)
        # Only the query parameters the page itself reads: anything else a visitor adds must
        # not end up in the link (a cached page would show it to every later visitor).
        for name in PAGE_QUERY_PARAMS.get(request.endpoint, ()):
            value = request.args.get(name)
            if value is not None:
                args[name] = value
        args["lang"] = target
        try:
            return url_for(request.endpoint, **args)
        except BuildError:
            return url_for("articles.home", lang=target)  # a page that has no twin: go home
    return url_for("articles.home", lang=target)


def _kb_error(error: KbError) -> tuple[Response, int]:
    """The one answer to a refused request: JSON for the API and embed calls, the error page otherwise."""
    if wants_json():
        return json_error(error.status, error.code, error.message, **error.extra)
    page = render_template("errors/error.html", status=error.status, error={"description": error.message})
    return Response(page, error.status, mimetype="text/html"), error.status


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "not_eligible",
    429: "too_many_requests",
    503: "unavailable",
}


def _http_error(error: HTTPException) -> tuple[Response, int]:
    status = error.code or 500
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: the page layout would build links from it, so plain text.
        return Response("This host name is not served here.\n", mimetype="text/plain"), 400
    if wants_json():
        message = error.description or error.name
        if status == 429:
            message = _("Too many requests. Please wait a minute and try again.")
        elif status == 413:
            message = _("The request is too large.")
        response, status = json_error(status, _CODES.get(status, "error"), str(message))
    else:
        response = Response(render_template("errors/error.html", status=status, error=error), status,
                            mimetype="text/html")
    # What the error itself says in headers (Allow on a 405, Retry-After on a 429) stays.
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after", "www-authenticate"):
            response.headers[name] = value
    return response, status
