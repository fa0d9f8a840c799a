"""The returns API's declared requests and responses (validated and documented at once)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from kb.api_docs import ApiSchema, Coded, StrictBoolean, coded_field, lang_field, one_of
from kb.policy.codes import Condition, Method, Reason, Resolution
from kb.returns.wizard_service import MAX_NOTE

MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "34.85"}
TIME = {"format": "date-time"}


def _text(limit: int, *, required: bool = False) -> fields.String:
    """A string of at most ``limit`` characters; an optional one may also be null (as if absent)."""
    return fields.String(validate=validate.Length(max=limit), required=required, allow_none=not required)


class ItemChoiceSchema(ApiSchema):
    """One item the shopper wants to return, and why."""

    error_messages = {"type": Coded("invalid_items", "Each item must be an object.")}

    sku = coded_field(fields.String(required=True, validate=validate.Length(min=1, max=64)),
                      "invalid_items", "Each item needs its sku.", missing_too=True)
    quantity = coded_field(fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 1000)),
                           "invalid_quantity", "The quantity must be a whole number from 1.",
                           missing_too=True)
    reason = coded_field(fields.String(required=True, validate=one_of(Reason, "invalid_reason", "reason")),
                         "invalid_reason", "Choose a reason.", missing_too=True)
    condition = coded_field(fields.String(required=True,
                                          validate=one_of(Condition, "invalid_condition", "condition")),
                            "invalid_condition", "Choose the condition.", missing_too=True)


def _items() -> fields.List:
    nested = coded_field(fields.Nested(ItemChoiceSchema), "invalid_items", "Each item must be an object.")
    return coded_field(fields.List(nested, required=True, validate=validate.Length(min=1, max=200)),
                       "invalid_items", "Choose at least one item.")


class OrderLookupSchema(ApiSchema):
    """Who asks: the order's e-mail with its number, or a card payment's transaction id."""

    email = _text(254, required=True)
    order_number = _text(40)
    transaction_id = _text(80)
    lang = lang_field(allow_none=True)


class SessionSchema(ApiSchema):
    """The wizard session token that lookup answered with."""

    session = _text(100, required=True)


class OptionsRequestSchema(SessionSchema):
    """The items chosen, and the shopper's own words, for the self-help step."""

    items = _items()
    note = coded_field(_text(MAX_NOTE), "invalid_note", f"The note may have at most {MAX_NOTE} characters.")


class DeflectRequestSchema(SessionSchema):
    """The article that solved the problem (optional)."""

    article_key = _text(80)


def _choice(name: str, enum: Any) -> fields.String:
    return coded_field(fields.String(required=True, validate=one_of(enum, f"invalid_{name}", name)),
                       f"invalid_{name}", f"{name} must be a string.")


class EstimateRequestSchema(SessionSchema):
    """The resolution and method a return would use."""

    items = _items()
    resolution = _choice("resolution", Resolution)
    method = _choice("method", Method)
    exception = coded_field(StrictBoolean(load_default=False), "invalid_exception",
                            "exception must be true or false.")


class CreateRequestSchema(EstimateRequestSchema):
    """The return to open."""

    store = coded_field(fields.String(allow_none=True), "invalid_store", "store must be a string.")
    note = coded_field(_text(MAX_NOTE), "invalid_note",
                       f"The note may have at most {MAX_NOTE} characters.")
    exchange_variant = fields.Raw(allow_none=True, metadata={
        "type": "string", "maxLength": 120,
        "description": "For an exchange: the size or colour wanted instead"})


class IdempotencyHeaderSchema(Schema):
    """Retrying with the same key answers the ticket already created (200) instead of a second one."""

    idempotency_key = coded_field(fields.String(data_key="Idempotency-Key", validate=validate.Length(1, 80)),
                                  "invalid_idempotency_key", "Idempotency-Key must have 1 to 80 characters.")


class PhotoUploadSchema(Schema):
    """The photo step's multipart form: the wizard session and up to three photos (5 MB each)."""

    session = fields.String(load_default="")
    # More than three in all is the photo step's own refusal (too_many_photos), counted per session.
    photo = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), required=True,
                        validate=validate.Length(min=1), metadata={"maxItems": 3})


class ReplySchema(ApiSchema):
    """The shopper's message to the team."""

    message = _text(5000, required=True)


class TokenQuerySchema(Schema):
    """The return's status token, when not sent as a bearer token."""

    token = fields.String()


class EstimateSchema(Schema):
    """What a return pays, as decimal strings next to their currency."""

    currency = fields.String(metadata={"enum": ["EUR", "GBP", "USD"]})
    items_total = fields.String(metadata=MONEY)
    shipping = fields.String(metadata=MONEY)
    fee = fields.String(metadata=MONEY)
    deduction = fields.String(metadata=MONEY)
    total = fields.String(metadata=MONEY)


class LookupResponseSchema(Schema):
    """The wizard session, how long it lives idle, and the order it opened."""

    session = fields.String(required=True)
    expires_in = fields.Integer()
    order = fields.Dict(required=True)


class ResendResponseSchema(Schema):
    """The same answer whether or not an order matched."""

    status = fields.String(required=True, metadata={"enum": ["accepted"]})
    message = fields.String(required=True)


class ExchangeChoiceSchema(Schema):
    """Another variant of the item's product, in stock (from the shop's catalogue)."""

    sku = fields.String()
    label = fields.String(metadata={"example": "Size M, blue"})


class OptionItemSchema(Schema):
    """The policy's decision for one chosen item."""

    sku = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    eligible = fields.Boolean()
    not_eligible_reason = fields.String(allow_none=True)
    window_ends = fields.String(allow_none=True, metadata={"format": "date"})
    resolutions = fields.List(fields.String())
    methods = fields.List(fields.String())
    needs_review = fields.Boolean()
    answer_code = fields.String()
    estimate = fields.Nested(EstimateSchema, allow_none=True)
    # Empty when the catalogue does not know the product: the shopper then describes the variant.
    exchange_choices = fields.List(fields.Nested(ExchangeChoiceSchema))


class ArticleLinkSchema(Schema):
    """An article offered as the answer."""

    key = fields.String()
    title = fields.String()
    url = fields.String()


class OptionsResponseSchema(Schema):
    """The self-help step: decisions, articles and an answer."""

    items = fields.List(fields.Nested(OptionItemSchema), required=True)
    articles = fields.List(fields.Nested(ArticleLinkSchema), required=True)
    answer = fields.String(required=True)


class DeflectResponseSchema(Schema):
    """No ticket: the session ended as solved."""

    outcome = fields.String(metadata={"enum": ["deflected"]})


class CreatedSchema(Schema):
    """The return opened: its reference, status, status token and links."""

    reference = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["approved", "needs_review"]})
    token = fields.String(required=True)
    status_url = fields.String(required=True)
    slip_url = fields.String()
    estimate = fields.Nested(EstimateSchema, required=True)


class EstimateResponseSchema(Schema):
    """The choices offered and what the chosen one would pay."""

    resolutions = fields.List(fields.String())
    methods = fields.List(fields.String())
    estimate = fields.Nested(EstimateSchema, allow_none=True)
    review_reasons = fields.List(fields.String(), metadata={
        "description": "Why the return would go to an agent; empty: approved at once"})


class StoredPhotoSchema(Schema):
    """A photo kept with the return."""

    id = fields.Integer()
    mime = fields.String()
    size = fields.Integer()


class PhotosResponseSchema(Schema):
    """The photos stored."""

    photos = fields.List(fields.Nested(StoredPhotoSchema))


class HistoryEntrySchema(Schema):
    """One public event of a return."""

    kind = fields.String()
    label = fields.String()
    message = fields.String(allow_none=True)
    at = fields.String(metadata=TIME)
    by = fields.String(metadata={"enum": ["shopper", "team"]})


class ReturnItemSchema(Schema):
    """An item in the return."""

    sku = fields.String()
    quantity = fields.Integer()
    reason = fields.String()


class ReturnStatusSchema(Schema):
    """A return's status, history and replies."""

    reference = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.String()
    resolution = fields.String(allow_none=True)
    method = fields.String(allow_none=True)
    store = fields.String(allow_none=True)
    created_at = fields.String(metadata=TIME)
    items = fields.List(fields.Nested(ReturnItemSchema))
    estimate = fields.Dict()
    history = fields.List(fields.Nested(HistoryEntrySchema))
    replies = fields.List(fields.Nested(HistoryEntrySchema))


class SentSchema(Schema):
    """The message was sent."""

    ok = fields.Boolean()
