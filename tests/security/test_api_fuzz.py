"""schemathesis generates requests from /api/v1/openapi.json: no input may cause a server error."""

from __future__ import annotations

from typing import Any

import schemathesis
import schemathesis.specs.openapi.schemas  # noqa: F401  (see below)
from flask import Flask
from hypothesis import HealthCheck, given, settings

EXAMPLES = 30
# schemathesis loads its OpenAPI modules on first use. Loaded in the middle of a long run
# (after Hypothesis has moved the recursion limit), Python 3.11 can fail to compile them with
# "AST constructor recursion depth mismatch"; importing them here, at collection, avoids it.


def test_no_generated_request_causes_a_server_error(content_app: Flask, demo: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", content_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = case.call()
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{case.path_parameters} {case.query} {str(case.body)[:200]}")

        run()
    assert failures == []
    # The generator really reached the API: many requests, and both accepted and refused ones.
    assert len(statuses) >= len(operations) * 5
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)
