"""The staff API's declared requests and responses (validated and documented at once)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from kb.api_docs import ApiSchema, OpenSchema, StrictBoolean, coded_field, one_of
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
from kb.policy.codes import Condition
from kb.tickets.models import TicketStatus
from kb.tickets.service import DECLINE_REASONS, REFUND_METHODS

API_ACTIONS = ("approve", "decline", "receive", "exchange", "repair", "reply", "note", "close", "reopen")
MONEY: dict[str, Any] = {"pattern": r"^\d+(\.\d{1,2})?$", "example": "34.85"}
TIME: dict[str, Any] = {"format": "date-time"}
STATUS: dict[str, Any] = {"enum": [s.value for s in TicketStatus]}


def _filter(choices: Any, description: str) -> fields.String:
    # Checked by the queue's own parser (shared with the desk page), which names the filter in its code.
    return fields.String(metadata={"enum": [str(c) for c in choices], "description": description})


class QueueQuerySchema(ApiSchema):
    """The queue's filters and page; an unknown parameter is refused (unknown_parameter)."""

    status = _filter(STATUS_CHOICES, "A status, 'open' (all but closed and declined) or 'all' (the default)")
    kind = _filter(KIND_CHOICES, "Returns, or questions from the contact form")
    reason = _filter(REASON_CHOICES, "The reason")
    channel = _filter(CHANNEL_CHOICES, "The channel")
    lang = _filter(LANG_CHOICES, "The shopper's language")
    age = fields.String(metadata={"type": "integer", "enum": list(AGE_CHOICES), "description": "Older than N days"})
    assigned = _filter(ASSIGNED_CHOICES, "'me' (a signed-in agent's own) or 'none' (unassigned)")
    q = fields.String(metadata={"maxLength": MAX_QUERY, "description": "An order number, the shopper's e-mail "
                                "or a ticket reference"})
    page = fields.String(metadata={"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1})
    per_page = fields.String(metadata={"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                       "default": PER_PAGE})


def _text(limit: int, description: str) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=limit), metadata={"description": description})


class ActionSchema(ApiSchema):
    """An action through the state machine."""

    action = coded_field(fields.String(required=True, validate=one_of(API_ACTIONS, "invalid_action", "action")),
                         "invalid_field", "action must be a string.")
    message = _text(5000, "Required for reply and note")
    reason = _text(5000, f"Required for decline: one of {', '.join(DECLINE_REASONS)}")
    condition = _text(5000, f"Required for receive: one of {', '.join(c.value for c in Condition)}")


class RefundRequestSchema(ApiSchema):
    """A refund: amount and goodwill together more than 0.00 (else 400 invalid_amount)."""

    amount = coded_field(fields.String(required=True, metadata=MONEY), "invalid_field",
                         'amount must be a decimal string such as "12.50".')
    goodwill = coded_field(fields.String(allow_none=True, metadata=MONEY), "invalid_field",
                           'goodwill must be a decimal string such as "12.50".')
    method = fields.String(required=True, validate=validate.Length(max=40),
                           metadata={"enum": list(REFUND_METHODS)})
    review_checked = coded_field(StrictBoolean(load_default=False, metadata={
        "description": "Required as true on a ticket still in needs_review: the agent checked why "
                       "it was flagged (else 409)"}), "invalid_field", "review_checked must be true or false.")


class TicketSummarySchema(OpenSchema):
    """A ticket in the queue."""

    reference = fields.String(required=True)
    status = fields.String(required=True, metadata=STATUS)
    kind = fields.String(metadata={"enum": ["return", "question"]})
    reason = fields.String()
    channel = fields.String()
    lang = fields.String()
    estimate_total = fields.String(metadata=MONEY)
    assigned_to = fields.String(allow_none=True)
    created_at = fields.String(metadata=TIME)
    waiting_since = fields.String(allow_none=True, metadata=TIME)
    overdue = fields.Boolean()


class QueueSchema(Schema):
    """One page of the queue."""

    tickets = fields.List(fields.Nested(TicketSummarySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class StaffRefundSchema(OpenSchema):
    """A refund, confirmed or waiting for a second agent."""

    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["confirmed", "pending_confirmation"]})
    currency = fields.String()
    amount = fields.String(metadata=MONEY)
    goodwill = fields.String(metadata=MONEY)
    method = fields.String(metadata={"enum": list(REFUND_METHODS)})


class StaffTicketSchema(TicketSummarySchema):
    """One ticket: items, decision, history, refunds, estimate and the caps left."""

    order = fields.Dict(allow_none=True, metadata={"description": "null for a question without an order"})
    items = fields.List(fields.Dict())
    history = fields.List(fields.Dict())
    refunds = fields.List(fields.Nested(StaffRefundSchema))
    estimate = fields.Dict()
    caps_left = fields.Dict()
    allowed_actions = fields.List(fields.String())


class ActionResultSchema(OpenSchema):
    """The ticket's new status and the event the action recorded."""

    reference = fields.String(required=True)
    status = fields.String(required=True, metadata=STATUS)
    event = fields.Dict()
