"""The API's declared schemas: the document follows them, and refusals keep the project's error shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from marshmallow import fields, validate

from kb.api_docs import ApiBlueprint, ApiSchema, register
from kb.desk.service import FilterError
from kb.insights.period import PeriodError
from kb.returns.wizard_service import WizardError
from kb.tickets.photos import PhotoError
from kb.tickets.service import TicketError
from tests.conftest import make_app


class ColourSchema(ApiSchema):
    """A body declared only in this test."""

    colour = fields.String(required=True, validate=validate.Length(max=7))


def _app_with_colours(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    bp = ApiBlueprint("colours_api", __name__, url_prefix="/api/v1/colours")

    @bp.post("")
    @bp.arguments(ColourSchema)
    @bp.response(201, ColourSchema)
    def add(data: dict[str, Any]) -> dict[str, Any]:
        """Echo the colour."""
        return data

    register(app, bp)
    return app


def test_the_document_is_generated_from_the_declared_schemas(tmp_path: Path) -> None:
    spec = _app_with_colours(tmp_path).test_client().get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/colours"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Colour"}
    colour = spec["components"]["schemas"]["Colour"]
    assert colour["properties"]["colour"] == {"type": "string", "maxLength": 7}
    assert colour["additionalProperties"] is False
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"error"}
    assert set(spec["components"]["securitySchemes"]) == {"bearerToken", "ticketToken"}


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"colour": "red", "shade": 1}, "unknown_field", "shade: Unknown field."),
        ({"colour": "turquoise"}, "invalid_field", "colour: Longer than maximum length 7."),
        ({}, "missing_field", "colour: Missing data for required field."),
        ([], "invalid_json", "The request body must be a JSON object."),
    ],
)
def test_a_refused_body_answers_in_the_project_error_shape(tmp_path: Path, body: Any, code: str,
                                                           message: str) -> None:
    response = _app_with_colours(tmp_path).test_client().post("/api/v1/colours", json=body)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": code, "message": message}}


def test_an_accepted_body_reaches_the_view(tmp_path: Path) -> None:
    response = _app_with_colours(tmp_path).test_client().post("/api/v1/colours", json={"colour": "red"})
    assert response.status_code == 201 and response.get_json() == {"colour": "red"}


def test_a_body_that_is_not_json_is_refused_with_415(tmp_path: Path) -> None:
    response = _app_with_colours(tmp_path).test_client().post("/api/v1/colours", data="colour=red")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


ROOM_ERRORS = {
    "wizard": (WizardError(409, "self_help_first", "Look at the answers first."), 409),
    "ticket": (TicketError("illegal_transition", "Not from this state.", 409), 409),
    "photo": (PhotoError("photo_too_large", "At most 5 MB."), 413),
    "period": (PeriodError("invalid_period", "From after to."), 400),
    "filter": (FilterError("status", ("open", "all")), 400),
}


def _app_raising(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    bp = Blueprint("raising", __name__)

    def raise_it(kind: str) -> str:
        raise ROOM_ERRORS[kind][0]

    bp.add_url_rule("/api/v1/raise/<kind>", "api", raise_it)
    bp.add_url_rule("/en/raise/<kind>", "page", raise_it)
    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize("kind", sorted(ROOM_ERRORS))
def test_each_room_error_reaches_the_api_as_json_and_a_page_as_html(tmp_path: Path, kind: str) -> None:
    error, status = ROOM_ERRORS[kind]
    client = _app_raising(tmp_path).test_client()
    api = client.get(f"/api/v1/raise/{kind}")
    assert api.status_code == status
    assert api.get_json() == {"error": {"code": error.code, "message": error.message}}
    page = client.get(f"/en/raise/{kind}")
    assert page.status_code == status and page.mimetype == "text/html"
    assert "<html" in page.get_data(as_text=True)
