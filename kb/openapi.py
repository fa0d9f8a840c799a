"""The API's OpenAPI description, served at ``/api/v1/openapi.json`` (a test keeps it true)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from kb.api_docs import api_of

bp = Blueprint("openapi", __name__)

MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "34.85"}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
}
ESTIMATE = {
    "type": "object",
    "properties": {"currency": {"type": "string", "enum": ["EUR", "GBP", "USD"]}, "items_total": MONEY,
                   "shipping": MONEY, "fee": MONEY, "deduction": MONEY, "total": MONEY},
}
ITEM_CHOICE = {
    "type": "object",
    "required": ["sku", "quantity", "reason", "condition"],
    "additionalProperties": False,
    "properties": {
        "sku": {"type": "string", "maxLength": 64},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
        "reason": {"type": "string", "enum": ["changed_mind", "wrong_size", "not_as_described", "defective",
                                              "damaged_in_transit", "wrong_item", "missing_parts",
                                              "not_received", "arrived_late", "other"]},
        "condition": {"type": "string", "enum": ["unopened", "like_new", "used", "damaged"]},
    },
}
RESOLUTION = {"type": "string", "enum": ["refund", "store_credit", "exchange", "repair", "guarantee_claim"]}
METHOD = {"type": "string", "enum": ["carrier", "store", "dropoff", "none"]}
ARTICLE = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in
                   ("key", "slug", "lang", "title", "category", "summary", "url", "updated_at")},
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "Bad input", 401: "No valid token", 403: "Not allowed", 404: "Not found",
             409: "Conflict (already returned, out of order)", 413: "Too large", 415: "Not JSON",
             414: "Address too long (a long q in many multi-byte characters)",
             422: "Not eligible or over a cap", 429: "Too many requests"}
    return {str(code): _json({"$ref": "#/components/schemas/Error"}, words[code]) for code in codes}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


LANG_PARAM = {"name": "lang", "in": "query", "required": False,
              "schema": {"type": "string", "enum": ["en", "fr"]}}

PUBLIC_PATHS: dict[str, Any] = {
    "/api/v1/articles": {"get": {
        "summary": "Published articles", "parameters": [LANG_PARAM],
        "responses": {"200": _json({"type": "object", "properties": {"articles": {"type": "array", "items": ARTICLE}}}),
                      **_errors(400)}}},
    "/api/v1/articles/{lang}/{slug}": {"get": {
        "summary": "One article with its HTML",
        "parameters": [{"name": "lang", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _json(ARTICLE), **_errors(404)}}},
    "/api/v1/search": {"get": {
        "summary": "Search articles",
        "parameters": [{"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 2000}},
                       LANG_PARAM,
                       {"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
                       {"name": "category", "in": "query", "required": False,
                        "description": "Only articles of this category (its code); unknown: 400",
                        "schema": {"type": "string"}},
                       {"name": "page", "in": "query", "required": False,
                        "description": "Page of `limit` results; past the last one: no results",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1}}],
        "responses": {"200": _json({"type": "object", "required": ["query", "lang", "total", "results", "suggestion"],
                                    "properties": {"query": {"type": "string"}, "lang": {"type": "string"},
                                                   "category": {"type": ["string", "null"]},
                                                   "page": {"type": "integer"}, "pages": {"type": "integer"},
                                                   "total": {"type": "integer"},
                                                   "results": {"type": "array", "items": {"type": "object"}},
                                                   "suggestion": {"type": ["string", "null"]}}}),
                      **_errors(400, 414)}}},
    "/api/v1/suggest": {"get": {
        "summary": "Titles as the shopper types",
        "parameters": [{"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200}},
                       LANG_PARAM,
                       {"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 10}}],
        "responses": {"200": _json({"type": "object"}), **_errors(400, 414)}}},
    "/api/v1/returns/lookup": {"post": {
        "summary": "Find an order and open a wizard session",
        "requestBody": _body({"type": "object", "required": ["email"], "additionalProperties": False,
                              "properties": {"email": {"type": "string", "maxLength": 254},
                                             "order_number": {"type": "string", "maxLength": 40},
                                             "transaction_id": {"type": "string", "maxLength": 80},
                                             "lang": {"type": "string", "enum": ["en", "fr"]}}}),
        "responses": {"200": _json({"type": "object", "required": ["session", "order"],
                                    "properties": {"session": {"type": "string"}, "order": {"type": "object"}}}),
                      **_errors(400, 404, 413, 415, 429)}}},
    "/api/v1/returns/resend": {"post": {
        "summary": "E-mail an order's return links again, to the address on the order",
        "description": "Answers 202 with the same body whether or not an order matched, so that it "
                       "tells nobody whether an order exists. Rate limited with the order lookups.",
        "requestBody": _body({"type": "object", "required": ["email"], "additionalProperties": False,
                              "properties": {"email": {"type": "string", "maxLength": 254},
                                             "order_number": {"type": "string", "maxLength": 40},
                                             "transaction_id": {"type": "string", "maxLength": 80},
                                             "lang": {"type": "string", "enum": ["en", "fr"]}}}),
        "responses": {"202": _json({"type": "object", "required": ["status", "message"],
                                    "properties": {"status": {"type": "string", "enum": ["accepted"]},
                                                   "message": {"type": "string"}}},
                                   "Accepted (whether or not an order matched)"),
                      **_errors(400, 413, 415, 429)}}},
    "/api/v1/returns/options": {"post": {
        "summary": "The self-help step: decisions, articles and an answer",
        "requestBody": _body({"type": "object", "required": ["session", "items"], "additionalProperties": False,
                              "properties": {"session": {"type": "string"},
                                             "items": {"type": "array", "minItems": 1, "items": ITEM_CHOICE},
                                             "note": {"type": "string", "maxLength": 2000}}}),
        "responses": {"200": _json({"type": "object", "required": ["items", "articles", "answer"]}),
                      **_errors(400, 404, 413, 415)}}},
    "/api/v1/returns/deflect": {"post": {
        "summary": "Self-help solved it: no ticket",
        "requestBody": _body({"type": "object", "required": ["session"], "additionalProperties": False,
                              "properties": {"session": {"type": "string"}, "article_key": {"type": "string"}}}),
        "responses": {"200": _json({"type": "object"}), **_errors(400, 404, 409, 415)}}},
    "/api/v1/returns": {"post": {
        "summary": "Open the return ticket",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "maxLength": 80}}],
        "requestBody": _body({"type": "object", "required": ["session", "items", "resolution", "method"],
                              "additionalProperties": False,
                              "properties": {"session": {"type": "string"},
                                             "items": {"type": "array", "minItems": 1, "items": ITEM_CHOICE},
                                             "resolution": RESOLUTION,
                                             "method": METHOD,
                                             "store": {"type": "string"},
                                             "note": {"type": "string", "maxLength": 2000},
                                             "exception": {"type": "boolean"},
                                             "exchange_variant": {"type": "string", "maxLength": 120,
                                                                  "description": "For an exchange: the size "
                                                                  "or colour wanted instead; when the "
                                                                  "options step listed exchange_choices, "
                                                                  "one of their labels"}}}),
        "responses": {"201": _json({"type": "object",
                                    "required": ["reference", "status", "token", "status_url", "estimate"],
                                    "properties": {"reference": {"type": "string"},
                                                   "status": {"type": "string", "enum": ["approved", "needs_review"]},
                                                   "token": {"type": "string"}, "status_url": {"type": "string"},
                                                   "estimate": ESTIMATE}}, "Created"),
                      "200": _json({"type": "object"}, "The ticket already created with this Idempotency-Key"),
                      **_errors(400, 404, 409, 415, 422)}}},
    "/api/v1/returns/estimate": {"post": {
        "summary": "The refund estimate for a chosen resolution and method",
        "requestBody": _body({"type": "object", "required": ["session", "items", "resolution", "method"],
                              "additionalProperties": False,
                              "properties": {"session": {"type": "string"},
                                             "items": {"type": "array", "minItems": 1, "items": ITEM_CHOICE},
                                             "resolution": RESOLUTION, "method": METHOD,
                                             "exception": {"type": "boolean"}}}),
        "responses": {"200": _json({"type": "object", "properties": {
            "estimate": ESTIMATE,
            "review_reasons": {"type": "array", "items": {"type": "string"},
                               "description": "Why the return would go to an agent; empty: approved at once"}}}),
                      **_errors(400, 404, 415)}}},
    "/api/v1/returns/photos": {"post": {
        "summary": "Attach photos of a faulty, damaged or wrong item (up to 3, 5 MB each)",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["session", "photo"],
            "properties": {"session": {"type": "string"},
                           "photo": {"type": "array", "minItems": 1, "maxItems": 3,
                                     "items": {"type": "string", "format": "binary"}}}}}}},
        "responses": {"201": _json({"type": "object"}, "Stored"), **_errors(400, 404, 413)}}},
    "/api/v1/returns/{reference}": {"get": {
        "summary": "A return's status, history and replies (with its token)",
        "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "token", "in": "query", "required": False, "schema": {"type": "string"}}],
        "security": [{"ticketToken": []}, {}],
        "responses": {"200": _json({"type": "object"}), **_errors(404)}}},
    "/api/v1/returns/{reference}/messages": {"post": {
        "summary": "The shopper writes to the team",
        "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
        "security": [{"ticketToken": []}],
        "requestBody": _body({"type": "object", "required": ["message"], "additionalProperties": False,
                              "properties": {"message": {"type": "string", "minLength": 1, "maxLength": 5000}}}),
        "responses": {"201": _json({"type": "object"}, "Sent"), **_errors(400, 404, 415)}}},
}


def build_spec() -> dict[str, Any]:
    """The whole OpenAPI document: public paths plus the staff API's."""
    paths = dict(PUBLIC_PATHS)
    schemas: dict[str, Any] = {"Error": ERROR, "Estimate": ESTIMATE}
    try:
        from kb.desk.openapi import STAFF_PATHS, STAFF_SCHEMAS
    except ImportError:  # the desk room is optional for the public API
        pass
    else:
        paths.update(STAFF_PATHS)
        schemas.update(STAFF_SCHEMAS)
    from kb.insights.openapi import INSIGHTS_PATHS

    paths.update(INSIGHTS_PATHS)
    # Blueprints declared with flask-smorest schemas (the orders API) join the hand-kept paths.
    declared = api_of(current_app).spec.to_dict()
    paths.update(declared.get("paths", {}))
    for name, schema in declared.get("components", {}).get("schemas", {}).items():
        schemas.setdefault(name, schema)  # the hand-kept Error stays the one described
    return {
        "openapi": "3.1.0",
        "info": {"title": "kb returns help centre API", "version": "1.0.0",
                 "description": "Articles, search, the returns assistant and the staff desk. "
                                "Errors are JSON: {\"error\": {\"code\", \"message\"}}."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer",
                                "description": "A staff API token (kb tokens create)."},
                "ticketToken": {"type": "http", "scheme": "bearer", "description": "A return's status token."},
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi() -> ResponseReturnValue:
    """The API's OpenAPI 3.1 description."""
    return jsonify(build_spec())


def init_app(app: Flask) -> None:
    """Serve the OpenAPI document."""
    app.register_blueprint(bp)
