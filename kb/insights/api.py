"""The insights reports as JSON for staff tokens: ``GET /api/v1/insights/<report>``."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from kb.auth.access import token_required
from kb.insights import reports
from kb.insights.period import PeriodError, parse_period
from kb.types import utcnow
from kb.web import ApiError

bp = Blueprint("insights_api", __name__, url_prefix="/api/v1/insights")


@bp.get("/<report>")
@token_required("agent", "writer")
def report(report: str) -> Response:
    """The same figures as the page and the CSV; money as decimal strings with a currency."""
    if report not in reports.REPORTS:
        raise ApiError(404, "not_found", f"Unknown report. Reports: {', '.join(reports.REPORTS)}.")
    if not reports.may_read(g.actor.can, report):
        raise ApiError(403, "forbidden", "This token's role may not read this report.")
    try:
        period = parse_period(request.args, utcnow().date())
    except PeriodError as error:
        raise ApiError(400, error.code, error.message) from error
    return jsonify(reports.as_json(report, period, reports.build(report, period)))
