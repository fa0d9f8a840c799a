"""The orders API's declared shapes (marshmallow), for the OpenAPI document and the answers.

Request bodies are described here but checked by ``kb.orders.records.validate_order``, the
one validation that ``kb orders import`` uses too: an order the file import refuses is refused
by the API with the same reason, and the reverse.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from kb.orders.models import CURRENCIES, Source

# Tags kept per item, and the length of each (the same limits as ``kb orders import``).
MAX_TAGS = 50
MAX_TAG = 100
SOURCES = tuple(source.value for source in Source)

CHANNELS = ("online", "store", "marketplace")
BATCH_LIMIT = 500


class OrderItemSchema(Schema):
    """One line of an order; a SKU appears once per order."""

    sku = fields.String(required=True, validate=validate.Length(max=64))
    name = fields.String(required=True, validate=validate.Length(max=200))
    category = fields.String(validate=validate.Length(max=40), metadata={
        "description": "A category of the returns policy; when left out, the policy's "
                       "catalogue mapping decides it from the fields below ('general' if none match)."})
    product_type = fields.String(allow_none=True, validate=validate.Length(max=200),
                                 metadata={"description": "The shop's product type, for the mapping."})
    tags = fields.List(fields.String(validate=validate.Length(max=MAX_TAG)), validate=validate.Length(max=MAX_TAGS),
                       metadata={"description": "The shop's product tags, for the mapping."})
    vendor = fields.String(allow_none=True, validate=validate.Length(max=200),
                           metadata={"description": "The product's vendor, for the mapping."})
    category_source = fields.String(validate=validate.OneOf(SOURCES), metadata={
        "description": "Where the category came from: 'order' (given; the default), 'rule' (a mapping "
                       "rule) or 'default' (no rule matched). Sent back as read, 'rule' or 'default' "
                       "has the mapping decide the category again."})
    final_sale_source = fields.String(validate=validate.OneOf(SOURCES), metadata={
        "description": "Where final_sale came from, the same way."})
    quantity = fields.Integer(required=True, validate=validate.Range(1, 1000))
    unit_price = fields.Decimal(required=True, as_string=True,
                                metadata={"description": "What was paid for one, e.g. \"19.90\"."})
    final_sale = fields.Boolean(metadata={
        "description": "Sold as final sale; when left out, false unless a mapping rule says so."})


class OrderBodySchema(Schema):
    """An order as a shop sends it (the same fields as a record of ``kb orders import``)."""

    email = fields.Email(required=True)
    placed_at = fields.AwareDateTime(required=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    seller = fields.String(allow_none=True, metadata={"description": "Required for marketplace orders."})
    store = fields.String(allow_none=True)
    transaction_id = fields.String(allow_none=True)
    currency = fields.String(required=True, validate=validate.OneOf(CURRENCIES))
    shipping = fields.Decimal(as_string=True, load_default="0")
    items = fields.List(fields.Nested(OrderItemSchema), required=True, validate=validate.Length(1, 200))


class NumberedOrderSchema(OrderBodySchema):
    """An order with its number (in a batch, where no URL names it)."""

    number = fields.String(required=True, validate=validate.Length(max=40))


class OrderSchema(NumberedOrderSchema):
    """An order as stored: numbers upper case without "#", e-mail lower case."""

    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class OrderPatchSchema(Schema):
    """Fulfilment news for an order."""

    delivered_at = fields.AwareDateTime(allow_none=True)
    cancelled = fields.Boolean()


class BatchSchema(Schema):
    """Up to 500 orders at once."""

    orders = fields.List(fields.Nested(NumberedOrderSchema), required=True,
                         validate=validate.Length(1, BATCH_LIMIT))


class OrderErrorBodySchema(Schema):
    """What went wrong, for a program (code) and for people (message)."""

    code = fields.String(required=True)
    message = fields.String(required=True)


class OrderErrorSchema(Schema):
    """Every error of the API."""

    error = fields.Nested(OrderErrorBodySchema, required=True)


class BatchResultSchema(Schema):
    """What became of one order of a batch, in the batch's order."""

    number = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(("created", "updated", "unchanged", "error")))
    error = fields.Nested(OrderErrorBodySchema, allow_none=True)


class BatchResponseSchema(Schema):
    """A result per order of the batch."""

    results = fields.List(fields.Nested(BatchResultSchema))
