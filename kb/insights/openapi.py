"""The insights API's OpenAPI description, merged by kb.openapi into ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from kb.insights.period import MAX_DAYS, PRESET_DAYS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


INSIGHTS_PATHS: dict[str, Any] = {
    "/api/v1/insights/{report}": {"get": {
        "summary": "One insights report as JSON (the figures of the page and the CSV)",
        "description": (
            "Reports: reasons, self_help, money (agents and admins), gaps and articles (writers "
            "too). Money is a decimal string next to its currency; ratios are numbers from 0 "
            "to 1, or null when there is nothing to divide by. Days are UTC days."
        ),
        "security": [{"bearerToken": []}],
        "parameters": [
            {"name": "report", "in": "path", "required": True,
             "schema": {"type": "string",
                        "enum": ["reasons", "self_help", "money", "gaps", "articles"]}},
            _query("from", {"type": "string", "format": "date"},
                   "First day (YYYY-MM-DD), in the years 2000 to 2100."),
            _query("to", {"type": "string", "format": "date"},
                   f"Last day, included, not before from; the span is at most {MAX_DAYS} days "
                   "(longer: 400 period_too_long)."),
            _query("days", {"type": "integer", "enum": list(PRESET_DAYS)},
                   "The last 7, 30 or 90 days, when from and to are not given (default 30)."),
            _query("lang", {"type": "string", "enum": ["all", "en", "fr"]}, "Default all."),
        ],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {
                "type": "object", "required": ["report", "from", "to", "lang"],
                "properties": {"report": {"type": "string"},
                               "from": {"type": "string", "format": "date"},
                               "to": {"type": "string", "format": "date"},
                               "lang": {"type": "string"}},
                "additionalProperties": True}}}},
            "400": _error("Bad date, from after to, a period too long, or an unknown language"),
            "401": _error("No valid token"),
            "403": _error("This token's role may not read this report"),
            "404": _error("No such report"),
        },
    }},
}
