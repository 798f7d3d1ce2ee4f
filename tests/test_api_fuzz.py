"""Fuzz the JSON API from its own OpenAPI document (Schemathesis): no server errors, responses as documented."""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from archive.config import Settings  # noqa: E402
from archive.service import Archive  # noqa: E402
from web import create_app  # noqa: E402

from .conftest import SAMPLE  # noqa: E402


def make_app():
    import tempfile
    a = Archive.open(Settings(home=tempfile.mkdtemp(prefix="fuzz-"), encoder="hash"))
    a.ingest([SAMPLE])
    a.reindex()
    return create_app(archive=a, max_in_flight=64)


APP = make_app()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_fuzz(case):
    response = case.call()
    assert response.status_code < 500, (case.path, case.query, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and body["error"]["message"]
    # Two checks are left out on purpose, every other one runs: the query language's rules (no wildcards, ...)
    # cannot all be written as JSON Schema, so a schema-valid value may still get a 400; and an empty parameter
    # (year=, as HTML forms send) means "not given", so it is not rejected.
    from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
    case.validate_response(response, excluded_checks=[positive_data_acceptance, negative_data_rejection])
