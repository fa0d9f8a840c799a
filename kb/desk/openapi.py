"""The staff API's OpenAPI description, merged by kb.openapi into ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from kb.desk.service import (
    AGE_CHOICES,
    ASSIGNED_CHOICES,
    CHANNEL_CHOICES,
    KIND_CHOICES,
    LANG_CHOICES,
    MAX_PER_PAGE,
    MAX_QUERY,
    PER_PAGE,
    REASON_CHOICES,
    STATUS_CHOICES,
)
from kb.policy import Condition
from kb.tickets.models import RefundStatus, TicketStatus
from kb.tickets.service import DECLINE_REASONS, REFUND_METHODS

MONEY: dict[str, Any] = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "34.85"}
NULLABLE_MONEY: dict[str, Any] = {"type": ["string", "null"], "pattern": r"^\d+\.\d{2}$"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
STATUS: dict[str, Any] = {"type": "string", "enum": [s.value for s in TicketStatus]}
SECURITY: list[dict[str, list[str]]] = [{"bearerToken": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad input: unknown field or parameter, wrong type or value"),
    "401": _json(_ref("Error"), "No valid bearer token"),
    "403": _json(_ref("Error"), "The token's role may not do this (writer tokens)"),
    "404": _json(_ref("Error"), "No such ticket or refund"),
    "409": _json(_ref("Error"), "Not allowed in the ticket's current state (illegal_transition)"),
    "415": _json(_ref("Error"), "The body is not JSON"),
    "422": _json(_ref("StaffRefundRefused"), "Over the order's caps (over_cap); nothing recorded"),
}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): ERRORS[str(code)] for code in codes}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


REFERENCE = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "The ticket's reference, e.g. R-7K2P9Q"}

STAFF_SCHEMAS: dict[str, Any] = {
    "StaffTicketSummary": {
        "type": "object",
        "required": ["reference", "status", "reason", "channel", "lang", "created_at", "overdue"],
        "properties": {
            "reference": {"type": "string"}, "status": STATUS,
            "kind": {"type": "string", "enum": ["return", "question"],
                     "description": "A return, or a question from the contact form"},
            "reason": {"type": "string", "enum": [*REASON_CHOICES, ""],
                       "description": "Empty for questions"},
            "channel": {"type": "string", "enum": [*CHANNEL_CHOICES, ""],
                        "description": "Empty for a question without an order"},
            "lang": {"type": "string", "enum": list(LANG_CHOICES)},
            "resolution": {"type": "string"}, "method": {"type": "string"},
            "currency": {"type": "string"}, "estimate_total": MONEY,
            "assigned_to": {"type": ["string", "null"]},
            "created_at": TIME, "updated_at": TIME,
            "waiting_since": {"type": ["string", "null"], "format": "date-time",
                              "description": "Last shopper message without an answer since"},
            "overdue": {"type": "boolean",
                        "description": "Waiting longer than RESPONSE_TARGET_HOURS"},
            "url": {"type": "string"},
        },
    },
    "StaffEvent": {
        "type": "object",
        "required": ["kind", "actor", "public", "created_at"],
        "properties": {"kind": {"type": "string"},
                       "actor": {"type": "string", "description": "Staff name or 'token <name>'"},
                       "public": {"type": "boolean"}, "message": {"type": "string"},
                       "data": {"type": "object"}, "created_at": TIME},
    },
    "StaffRefund": {
        "type": "object",
        "required": ["id", "reference", "status", "currency", "amount", "goodwill", "method"],
        "properties": {
            "id": {"type": "integer"}, "reference": {"type": "string"},
            "status": {"type": "string", "enum": [s.value for s in RefundStatus]},
            "currency": {"type": "string"}, "amount": MONEY, "goodwill": MONEY,
            "method": {"type": "string", "enum": list(REFUND_METHODS)},
            "guarantee": {"type": "boolean"}, "created_by": {"type": "string"},
            "confirmed_by": {"type": ["string", "null"]}, "created_at": TIME,
            "ticket_status": STATUS,
        },
    },
    "StaffCapsLeft": {
        "type": "object",
        "required": ["currency", "amount", "goodwill", "guarantee"],
        "properties": {"currency": {"type": "string"}, "amount": MONEY, "goodwill": MONEY,
                       "guarantee": NULLABLE_MONEY},
    },
    "StaffTicket": {
        "allOf": [_ref("StaffTicketSummary"), {
            "type": "object",
            "required": ["order", "items", "history", "refunds", "estimate", "caps_left"],
            "properties": {
                "order": {"type": ["object", "null"],
                          "description": "null for a question that names no order of the shopper"},
                "subject": {"type": "string"}, "email": {"type": "string"},
                "note": {"type": "string"}, "exception": {"type": "boolean"},
                "review_reasons": {"type": "array", "items": {"type": "string"}},
                "items": {"type": "array", "items": {"type": "object"}},
                "self_help": {"type": "object", "properties": {
                    "offered": {"type": "array", "items": {"type": "string"}},
                    "opened": {"type": "array", "items": {"type": "string"}}}},
                "estimate": {"type": "object", "properties": {
                    "currency": {"type": "string"}, "items_total": MONEY, "fee": MONEY,
                    "deduction": MONEY, "total": MONEY}},
                "refunds": {"type": "array", "items": _ref("StaffRefund")},
                "caps_left": _ref("StaffCapsLeft"),
                "allowed_actions": {"type": "array", "items": {"type": "string"}},
                "history": {"type": "array", "items": _ref("StaffEvent")},
                "photos": {"type": "integer"},
            },
        }],
    },
    "StaffRefundRefused": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": ["over_cap", "invalid_amount"]},
            "message": {"type": "string"}, "caps_left": _ref("StaffCapsLeft")}}},
    },
}

STAFF_PATHS: dict[str, Any] = {
    "/api/v1/tickets": {"get": {
        "summary": "The queue: return and question tickets, oldest first",
        "security": SECURITY,
        "parameters": [
            _query("status", {"type": "string", "enum": list(STATUS_CHOICES)},
                   "A status, 'open' (all but closed and declined) or 'all' (the default)"),
            _query("kind", {"type": "string", "enum": list(KIND_CHOICES)},
                   "Returns, or questions from the contact form"),
            _query("reason", {"type": "string", "enum": list(REASON_CHOICES)}, "The reason"),
            _query("channel", {"type": "string", "enum": list(CHANNEL_CHOICES)}, "The channel"),
            _query("lang", {"type": "string", "enum": list(LANG_CHOICES)},
                   "The shopper's language"),
            _query("age", {"type": "integer", "enum": list(AGE_CHOICES)}, "Older than N days"),
            _query("assigned", {"type": "string", "enum": list(ASSIGNED_CHOICES)},
                   "'me' (a signed-in agent's own) or 'none' (unassigned)"),
            _query("q", {"type": "string", "maxLength": MAX_QUERY},
                   "An order number (any case, '#' ignored), the shopper's e-mail or a ticket reference"),
            _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1}, "Page number"),
            _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                "default": PER_PAGE}, "Tickets per page"),
        ],
        "responses": {"200": _json({"type": "object",
                                    "required": ["tickets", "page", "per_page", "total"],
                                    "properties": {"tickets": {"type": "array",
                                                               "items": _ref("StaffTicketSummary")},
                                                   "page": {"type": "integer"},
                                                   "per_page": {"type": "integer"},
                                                   "total": {"type": "integer"}}}),
                      **_errors(400, 401, 403)},
    }},
    "/api/v1/tickets/{reference}": {"get": {
        "summary": "One ticket: items, decision, history, refunds, estimate, caps left",
        "security": SECURITY,
        "parameters": [REFERENCE],
        "responses": {"200": _json(_ref("StaffTicket")), **_errors(401, 403, 404)},
    }},
    "/api/v1/tickets/{reference}/actions": {"post": {
        "summary": "Act on a ticket through the state machine",
        "security": SECURITY,
        "parameters": [REFERENCE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["action"], "additionalProperties": False,
            "properties": {
                "action": {"type": "string", "enum": ["approve", "decline", "receive", "exchange",
                                                      "repair", "reply", "note", "close",
                                                      "reopen"]},
                "message": {"type": "string", "maxLength": 5000,
                            "description": "Required for reply and note"},
                "reason": {"type": "string", "enum": list(DECLINE_REASONS),
                           "description": "Required for decline"},
                "condition": {"type": "string",
                              "enum": [c.value for c in Condition],
                              "description": "Required for receive: the condition found"},
            }}}}},
        "responses": {"200": _json({"type": "object", "required": ["reference", "status"],
                                    "properties": {"reference": {"type": "string"},
                                                   "status": STATUS,
                                                   "event": {"type": "object"}}}),
                      **_errors(400, 401, 403, 404, 409, 415)},
    }},
    "/api/v1/tickets/{reference}/refund": {"post": {
        "summary": "Refund within the order's caps (above the threshold: waits for a 2nd agent)",
        "security": SECURITY,
        "parameters": [REFERENCE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["amount", "method"], "additionalProperties": False,
            "description": "amount and goodwill together must be more than 0.00 (else 400 invalid_amount)",
            "properties": {"amount": MONEY, "goodwill": MONEY,
                           "method": {"type": "string", "enum": list(REFUND_METHODS)},
                           "review_checked": {
                               "type": "boolean", "default": False,
                               "description": "Required as true on a ticket still in needs_review: "
                                              "the agent checked why it was flagged (else 409)"}}}}}},
        "responses": {"201": _json(_ref("StaffRefund"), "Created (confirmed or pending)"),
                      **_errors(400, 401, 403, 404, 409, 415, 422)},
    }},
    "/api/v1/refunds/{refund_id}/confirm": {"post": {
        "summary": "Confirm a pending refund (another agent than its creator)",
        "security": SECURITY,
        "parameters": [{"name": "refund_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "responses": {"200": _json(_ref("StaffRefund")),
                      "403": _json(_ref("Error"), "Writer token, or the refund's own creator"),
                      **_errors(401, 404, 409)},
    }},
}
