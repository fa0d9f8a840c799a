"""The insights reports as JSON for staff tokens: ``GET /api/v1/insights/<report>``."""

from __future__ import annotations

from typing import Any

from flask import g, request
from marshmallow import Schema, fields

from kb.api_docs import STAFF_ONLY, ApiBlueprint, ErrorSchema, OpenSchema
from kb.auth.access import token_required
from kb.errors import KbError
from kb.insights import reports
from kb.insights.period import MAX_DAYS, PRESET_DAYS, parse_period
from kb.types import utcnow

bp = ApiBlueprint("insights_api", __name__, url_prefix="/api/v1/insights",
                  description="The insights reports (bearer token).")


class PeriodQuerySchema(Schema):
    """The period and language; checked by the reports' own parser, shared with the pages."""

    from_ = fields.String(data_key="from", metadata={
        "format": "date", "description": "First day (YYYY-MM-DD), in the years 2000 to 2100."})
    to = fields.String(metadata={
        "format": "date", "description": f"Last day, included, not before from; at most {MAX_DAYS} days "
                                         "(longer: 400 period_too_long)."})
    days = fields.String(metadata={"type": "integer", "enum": list(PRESET_DAYS),
                                   "description": "The last 7, 30 or 90 days (default 30)."})
    lang = fields.String(metadata={"enum": ["all", "en", "fr"], "description": "Default all."})


class ReportSchema(OpenSchema):
    """A report's figures: money as decimal strings with a currency, ratios from 0 to 1 or null."""

    report = fields.String(required=True)
    from_ = fields.String(data_key="from", required=True, metadata={"format": "date"})
    to = fields.String(required=True, metadata={"format": "date"})
    lang = fields.String(required=True)


@bp.get("/<report>")
@token_required("agent", "writer")
@bp.arguments(PeriodQuerySchema, location="query")
@bp.response(200, ReportSchema)
@bp.alt_response(401, schema=ErrorSchema, description="No valid token")
@bp.alt_response(403, schema=ErrorSchema, description="This token's role may not read this report")
@bp.alt_response(404, schema=ErrorSchema, description="No such report")
@bp.doc(security=STAFF_ONLY)
def report(_args: dict[str, Any], report: str) -> dict[str, Any]:
    """The same figures as the page and the CSV (reasons, self_help, money, gaps, articles)."""
    if report not in reports.REPORTS:
        raise KbError(404, "not_found", f"Unknown report. Reports: {', '.join(reports.REPORTS)}.")
    if not reports.may_read(g.actor.can, report):
        raise KbError(403, "forbidden", "This token's role may not read this report.")
    period = parse_period(request.args, utcnow().date())
    return reports.as_json(report, period, reports.build(report, period))
