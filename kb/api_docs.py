"""The JSON API's declared schemas and the OpenAPI document generated from them.

Every API blueprint is a ``flask_smorest.Blueprint`` whose views declare their request and
response schemas (marshmallow) with ``@bp.arguments`` and ``@bp.response``; ``register``
hooks it on the app through the one ``Api`` below, which builds the document served at
``/api/v1/openapi.json``. Errors keep the project's one shape, ``{"error": {"code", "message"}}``:
a request the schemas refuse becomes a ``KbError`` here (``ApiParser``), answered by ``kb.web``.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, TypeVar

import marshmallow as ma
from flask import Flask, Request, request
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from kb.config import LANGUAGES
from kb.errors import KbError

SPEC_SETTINGS: dict[str, Any] = {
    "API_TITLE": "kb returns help centre API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}
FieldT = TypeVar("FieldT", bound=ma.fields.Field)
# The refusal of a language that is not the help centre's, in every API.
LANG_MESSAGE = f"lang must be one of: {', '.join(LANGUAGES)}."
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerToken": {"type": "http", "scheme": "bearer", "description": "A staff API token (kb tokens create)."},
    "ticketToken": {"type": "http", "scheme": "bearer", "description": "A return's status token."},
}
STAFF_ONLY: list[dict[str, list[str]]] = [{"bearerToken": []}]


class ErrorDetailSchema(ma.Schema):
    """What went wrong: a stable code for programs and a message for people."""

    code = ma.fields.String(required=True, metadata={"example": "invalid_field"})
    message = ma.fields.String(required=True, metadata={"example": "email: Not a valid string."})


class ErrorSchema(ma.Schema):
    """Every error the API answers: ``{"error": {"code", "message"}}``."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class ApiSchema(ma.Schema):
    """A request body or query: fields it does not declare are refused, never ignored."""

    class Meta:
        unknown = ma.RAISE


class OpenSchema(ma.Schema):
    """A response whose main fields are declared; the rest of a rich payload is passed through as built."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """The declared fields dumped, the payload's other keys kept as they are."""
        result = super().dump(obj, many=many)
        if isinstance(obj, dict) and isinstance(result, dict):
            return {**obj, **result}
        return result


class BuiltSchema(ma.Schema):
    """A response the view builds already in its declared shape: documented, then sent as built.

    For the busiest answers (search, suggest), where dumping field by field cost about as
    much as the search itself. A test of each holds the body to what ``ma.Schema.dump``
    would make of it.
    """

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """The body as the view built it."""
        return obj


class StrictBoolean(ma.fields.Boolean):
    """true or false only: marshmallow's Boolean would also take "yes", 1 or "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Coded(str):
    """A validation message that carries the error code the API answers with (``invalid_lang``)."""

    code: str

    def __new__(cls, code: str, text: str) -> Coded:
        made = super().__new__(cls, text)
        made.code = code
        return made

    def format(self, *args: Any, **kwargs: Any) -> Coded:
        """marshmallow fills its messages in with ``format``: the code stays on the result."""
        return Coded(self.code, str.format(self, *args, **kwargs))


def one_of(choices: Any, code: str, name: str) -> ma.validate.OneOf:
    """A choice validator whose refusal answers ``code`` ("lang must be one of: en, fr")."""
    return ma.validate.OneOf(list(choices), error=Coded(code, name + " must be one of: {choices}."))


def lang_field(**options: Any) -> ma.fields.String:
    """A language of the help centre (``options`` go to the field); any other answers ``invalid_lang``."""
    return coded_field(ma.fields.String(validate=one_of(LANGUAGES, "invalid_lang", "lang"), **options),
                       "invalid_lang", LANG_MESSAGE)


def coded_field(field: FieldT, code: str, text: str, *, missing_too: bool = False) -> FieldT:
    """The field, answering ``code`` when the value has the wrong type or fails a validator.

    ``missing_too``: also when it is absent (inside a list item, where "missing_field" would
    not say which item).
    """
    keys = ("invalid", "type", "required", "null") if missing_too else ("invalid", "type")
    for key in keys:
        field.error_messages[key] = Coded(code, text)
    field.validators = [_coded_validator(check, code, text) for check in field.validators]
    return field


def _coded_validator(check: Any, code: str, text: str) -> Any:
    """The same validator (still read by the document: maxLength, enum...) refusing with ``code``."""
    if isinstance(getattr(check, "error", None), Coded) or not hasattr(check, "error"):
        return check
    coded = copy.copy(check)
    coded.error = Coded(code, text)
    return coded


_MISSING = "Missing data for required field."
_UNKNOWN = "Unknown field."


def _leaves(messages: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (field path, message) in a marshmallow error tree."""
    if isinstance(messages, dict):
        found: list[tuple[str, Any]] = []
        for key, value in messages.items():
            name = path if key == "_schema" else f"{path}.{key}" if path else str(key)
            found.extend(_leaves(value, name))
        return found
    if isinstance(messages, list) and messages and not isinstance(messages[0], str):
        return [leaf for item in messages for leaf in _leaves(item, path)]
    texts = messages if isinstance(messages, list) else [messages]
    return [(path, text) for text in texts]


def refusal(messages: dict[str, Any]) -> KbError:
    """The one error for what the schemas refused, first what is unknown, then what is missing."""
    location, tree = next(iter(messages.items()))
    leaves = _leaves(tree)

    def code_of(leaf: tuple[str, Any]) -> tuple[int, str]:
        path, text = leaf
        if isinstance(text, Coded):
            return 2, text.code
        if text == _UNKNOWN:
            return 0, "unknown_parameter" if location == "query" else "unknown_field"
        if text == _MISSING:
            return 1, "missing_field"
        if not path:  # the body as a whole: a list or a string where an object belongs
            return 2, "invalid_json"
        return 3, "invalid_field"

    path, text = min(leaves, key=lambda leaf: code_of(leaf)[0])
    message = f"{path}: {text}" if path else "The request body must be a JSON object."
    return KbError(400, code_of((path, text))[1], message)


class ApiParser(FlaskParser):
    """webargs' parser, answering refusals in the project's error format with a 400."""

    DEFAULT_VALIDATION_STATUS = 400

    def __init__(self) -> None:
        super().__init__()
        self._schemas: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap: Any, req: Request) -> ma.Schema:
        """One instance per declared schema class (webargs would build one per request).

        A marshmallow schema keeps no state between loads, so the instance is shared.
        """
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def load_json(self, req: Request, schema: ma.Schema) -> Any:
        """The JSON object, read by the app's strict JSON provider (415 when the body is not JSON)."""
        if not req.is_json:
            raise KbError(415, "unsupported_media_type", "Send JSON with Content-Type: application/json.")
        data = req.get_json(silent=True)
        if data is None:
            raise KbError(400, "invalid_json", "The request body is not valid JSON.")
        return data

    def load_files(self, req: Request, schema: ma.Schema) -> Any:
        """A multipart form's fields and files together: one schema declares an upload step."""
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)

    def handle_error(self, error: ma.ValidationError, req: Request, schema: ma.Schema, *,
                     error_status_code: int | None, error_headers: Any) -> Any:
        """A refused request raises the project's error (answered by ``kb.web``)."""
        raise refusal(error.messages if isinstance(error.messages, dict) else {"json": error.messages})


class ApiBlueprint(Blueprint):
    """An API blueprint whose request parsing answers in the project's error format."""

    ARGUMENTS_PARSER = ApiParser()


# flask-smorest blueprints written as the plain class get the same parser: one place decides.
Blueprint.ARGUMENTS_PARSER = ApiBlueprint.ARGUMENTS_PARSER


class KbApi(Api):
    """flask-smorest's Api, documenting the project's error shape and leaving errors to kb.web."""

    ERROR_SCHEMA = ErrorSchema

    # Its default error response describes its own error shape, not ours: each view declares its errors.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        # Set before Api.__init__, which already reads the spec.
        self._spec: Any = None
        self._undocumented: list[tuple[Blueprint, str, Any]] = []
        self._documenting = threading.Lock()
        super().__init__(app, **kwargs)

    def _register_error_handlers(self) -> None:
        # kb.web already handles HTTPException for pages and JSON alike; keep that one handler.
        return None

    @property
    def spec(self) -> Any:
        """The OpenAPI document, with the blueprints registered so far written into it."""
        # Describing a blueprint's views is most of the cost of building an app (the suite
        # builds one per test), and only the document needs it: so it is done on first use.
        if self._undocumented:
            with self._documenting:
                waiting, self._undocumented = self._undocumented, []
                for blueprint, name, parameters in waiting:
                    blueprint.register_views_in_doc(self, self._app, self._spec, name=name,
                                                    parameters=parameters)
                    self._spec.tag({"name": name, "description": blueprint.description})
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._spec = value

    def register_blueprint(self, blp: Blueprint, *, parameters: Any = None, **options: Any) -> None:
        """Register the blueprint on the app now, and in the document when it is next read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))


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
    api = KbApi(app, spec_kwargs=SPEC_KWARGS)
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    app.extensions["kb_api"] = api


def query_lang() -> str | None:
    """The ``lang`` query parameter as sent (for bodies that fall back to it)."""
    return request.args.get("lang")
