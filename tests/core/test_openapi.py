"""The OpenAPI document stays true: every API route is in it, and nothing else."""

from __future__ import annotations

import re

from flask import Flask


def _api_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_every_api_route_is_documented_and_every_documented_route_exists(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    # A path item may also hold "parameters" shared by its operations (OpenAPI 3): not a method.
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops
                  if method != "parameters"}
    assert documented == _api_routes(app)


def test_every_operation_documents_its_error_format(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert {"200", "201", "202"} & set(operation["responses"]), (path, method)
