"""The orders API: any shop keeps kb's copy of its orders up to date with a ``shop`` token."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from kb.auth.access import bearer_token, token_required
from kb.database import write_transaction
from kb.extensions import csrf, db, limiter
from kb.orders import records
from kb.orders.models import Order
from kb.orders.schemas import (
    BATCH_LIMIT,
    BatchResponseSchema,
    BatchSchema,
    OrderBodySchema,
    OrderErrorSchema,
    OrderPatchSchema,
    OrderSchema,
)
from kb.web import ApiError

bp = Blueprint("orders_api", __name__, url_prefix="/api/v1/orders",
               description="The shop's orders, kept up to date by the shop (bearer token of role shop).")
# Called with a bearer token, never a cookie: no CSRF token is needed (or possible).
csrf.exempt(bp)
PATCH_FIELDS = {"delivered_at", "cancelled"}


def _shop_limit() -> str:
    return str(current_app.config["RATELIMIT_SHOP_API"])


def _token_key() -> str:
    """Count per token (several shops behind one address each get their own budget)."""
    return (bearer_token() or request.remote_addr or "")[:16]


shop_rate = limiter.shared_limit(_shop_limit, scope="orders-api", key_func=_token_key)


def _body() -> Any:
    """The JSON body, with numbers read as decimals exactly like ``kb orders import`` reads files."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON with Content-Type: application/json.")
    try:
        return current_app.json.loads(request.get_data(as_text=True), parse_float=Decimal)
    except ValueError as exc:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc


def _object() -> dict[str, Any]:
    data = _body()
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return data


def _find(number: str) -> Order:
    order = db.session.scalar(
        db.select(Order).where(Order.number == records.normalise_order_number(number)))
    if order is None:
        raise ApiError(404, "not_found", f"No order {number}.")
    return order


def _validated(record: Any) -> dict[str, Any]:
    try:
        return records.validate_order(record)
    except records.OrderRecordError as exc:
        raise ApiError(400, "invalid_order", str(exc)) from exc


def _store(data: dict[str, Any]) -> str:
    try:
        return records.store_order(data)
    except records.OrderConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from exc


@bp.route("/<number>", methods=["GET"])
@bp.response(200, OrderSchema)
@bp.alt_response(404, schema=OrderErrorSchema)
@bp.doc(security=[{"bearerToken": []}])
@token_required("shop")
@shop_rate
def get_order(number: str) -> Order:
    """One order as kb holds it."""
    return _find(number)


@bp.route("/<number>", methods=["PUT"])
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": OrderBodySchema}}},
        security=[{"bearerToken": []}])
@bp.response(200, OrderSchema, description="Replaced (or unchanged: the same body twice changes nothing).")
@bp.alt_response(201, schema=OrderSchema, description="Created.")
@bp.alt_response(400, schema=OrderErrorSchema)
@bp.alt_response(409, schema=OrderErrorSchema, description="The change would break a return made on the order.")
@token_required("shop")
@shop_rate
def put_order(number: str) -> tuple[Order, int]:
    """Create or replace an order (items matched by SKU)."""
    body = _object()
    wanted = records.normalise_order_number(number)
    given = body.get("number")
    if given is not None and (not isinstance(given, str) or records.normalise_order_number(given) != wanted):
        raise ApiError(400, "number_mismatch", "The body's number differs from the URL's.")
    data = _validated({**body, "number": number})
    with write_transaction():
        outcome = _store(data)
    return _find(number), 201 if outcome == "created" else 200


@bp.route("/<number>", methods=["PATCH"])
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": OrderPatchSchema}}},
        security=[{"bearerToken": []}])
@bp.response(200, OrderSchema)
@bp.alt_response(400, schema=OrderErrorSchema)
@bp.alt_response(404, schema=OrderErrorSchema)
@bp.alt_response(409, schema=OrderErrorSchema)
@token_required("shop")
@shop_rate
def patch_order(number: str) -> Order:
    """Record a delivery (``delivered_at``, null to undo) or a cancellation (``cancelled``)."""
    body = _object()
    unknown = set(body) - PATCH_FIELDS
    if unknown or not body:
        raise ApiError(400, "invalid_order", f"Send delivered_at and/or cancelled; unknown: {sorted(unknown)}.")
    with write_transaction():
        order = _find(number)
        try:
            change = records.validate_patch(order, body)
            records.apply_patch(order, change)
        except records.OrderConflict as exc:
            raise ApiError(409, "conflict", str(exc)) from exc
        except records.OrderRecordError as exc:
            raise ApiError(400, "invalid_order", str(exc)) from exc
    return _find(number)


@bp.route("/batch", methods=["POST"])
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": BatchSchema}}},
        security=[{"bearerToken": []}])
@bp.response(200, BatchResponseSchema, description="A result per order, in the batch's order.")
@bp.alt_response(400, schema=OrderErrorSchema)
@token_required("shop")
@shop_rate
def batch() -> dict[str, Any]:
    """Create or replace up to 500 orders; a bad order is reported and the others still load."""
    orders = _object().get("orders")
    if not isinstance(orders, list) or not 1 <= len(orders) <= BATCH_LIMIT:
        raise ApiError(400, "invalid_batch", f"'orders' must be a list of 1 to {BATCH_LIMIT} orders.")
    results = []
    with write_transaction():
        for record in orders:
            number = record.get("number") if isinstance(record, dict) else None
            try:
                outcome = records.store_order(records.validate_order(record))
            except records.OrderConflict as exc:
                results.append(_failed(number, "conflict", str(exc)))
            except records.OrderRecordError as exc:
                results.append(_failed(number, "invalid_order", str(exc)))
            else:
                results.append({"number": records.normalise_order_number(number), "status": outcome})
    return {"results": results}


def _failed(number: Any, code: str, message: str) -> dict[str, Any]:
    return {"number": number if isinstance(number, str) else None, "status": "error",
            "error": {"code": code, "message": message}}
