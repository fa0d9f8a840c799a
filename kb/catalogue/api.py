"""``PUT`` and ``GET /api/v1/products/<id>``: the shop's own systems keep the catalogue up to date."""

from __future__ import annotations

import json
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from kb.api_docs import coded_field
from kb.auth.access import token_required
from kb.catalogue.models import Product
from kb.catalogue.service import ProductRecordError, upsert_product, validate_product
from kb.database import write_transaction
from kb.extensions import csrf, db
from kb.orders.schemas import MAX_TAG, MAX_TAGS
from kb.web import ApiError

# The role of the shop's own tokens (admins may too).
SHOP_ROLE = "shop"

bp = Blueprint("catalogue_api", __name__, url_prefix="/api/v1/products",
               description="The shop's products and their variants, offered for exchanges.")
csrf.exempt(bp)

TAGS_MESSAGE = f"tags must be a list of at most {MAX_TAGS} strings of at most {MAX_TAG} characters each."


class VariantSchema(Schema):
    """One variant: the shop's id, its SKU, its name, its option values and its stock."""

    id = fields.String(required=True, validate=validate.Length(1, 64))
    sku = fields.String(required=True, validate=validate.Length(1, 64))
    title = fields.String(required=True, validate=validate.Length(1, 120))
    options = fields.Dict(keys=fields.String(validate=validate.Length(1, 40)),
                          values=fields.String(validate=validate.Length(0, 80)), load_default=dict)
    stock = fields.Integer(allow_none=True, load_default=None,
                           metadata={"description": "Units in stock; null when the shop does not count them."})


class ProductSchema(Schema):
    """A product with all its variants; a PUT replaces what was stored."""

    title = fields.String(required=True, validate=validate.Length(1, 200))
    product_type = fields.String(load_default="", validate=validate.Length(0, 80))
    vendor = fields.String(load_default="", validate=validate.Length(0, 120))
    tags = coded_field(fields.List(
        coded_field(fields.String(validate=validate.Length(max=MAX_TAG)), "invalid_tags", TAGS_MESSAGE),
        load_default=list, validate=validate.Length(max=MAX_TAGS),
        metadata={"description": "The shop's tags for the product (trimmed, each kept once); order lines "
                                 "without tags of their own take them, for the policy's catalogue mapping."},
    ), "invalid_tags", TAGS_MESSAGE)
    options = fields.List(fields.String(validate=validate.Length(1, 40)), load_default=list,
                          metadata={"description": "Option names in order, e.g. [\"Size\", \"Colour\"]."})
    variants = fields.List(fields.Nested(VariantSchema), required=True, validate=validate.Length(1, 250))


class StoredProductSchema(ProductSchema):
    """The product as stored, with its id and whether this request created it."""

    id = fields.String(required=True)
    created = fields.Boolean()


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


@bp.route("/<string:product_id>")
class ProductResource(MethodView):
    """One product of the catalogue."""

    @token_required(SHOP_ROLE)
    @bp.doc(security=[{"bearerToken": []}], responses={"401": _error("No valid token"),
                                                       "403": _error("Not a shop or admin token"),
                                                       "404": _error("No such product")})
    @bp.response(200, StoredProductSchema)
    def get(self, product_id: str) -> dict[str, Any]:
        """The product as kb holds it, with its variants and their stock."""
        return product_body(db.session.scalar(db.select(Product).where(Product.external_id == product_id)))

    @token_required(SHOP_ROLE)
    @bp.doc(security=[{"bearerToken": []}], responses={"401": _error("No valid token"),
                                                       "403": _error("Not a shop or admin token")})
    @bp.arguments(ProductSchema, error_status_code=400)
    @bp.response(200, StoredProductSchema)
    def put(self, data: dict[str, Any], product_id: str) -> dict[str, Any]:
        """Create or replace a product and its variants (the same body twice changes nothing)."""
        try:
            record = validate_product({"id": product_id, **data})
        except ProductRecordError as exc:
            raise ApiError(400, "invalid_product", str(exc)) from exc
        with write_transaction():
            created = upsert_product(record)
        product = db.session.scalar(db.select(Product).where(Product.external_id == record["id"]))
        return {**product_body(product), "created": created}


def product_body(product: Product | None) -> dict[str, Any]:
    """A stored product as the API shows it."""
    if product is None:
        raise ApiError(404, "not_found", "No such product.")
    return {
        "id": product.external_id, "title": product.title, "product_type": product.product_type,
        "vendor": product.vendor, "tags": product.tags, "options": json.loads(product.options_json),
        "variants": [{"id": v.external_id, "sku": v.sku, "title": v.title, "options": json.loads(v.options_json),
                      "stock": v.stock} for v in product.variants],
    }
