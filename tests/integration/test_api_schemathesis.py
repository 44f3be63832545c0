"""Property-based tests of the API against its own OpenAPI schema (schemathesis).

Every operation gets generated requests (valid and invalid) as an admin:
none may answer 5xx, and every answer must conform to the schema (status,
content type, body). Bounded: a few dozen examples per operation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from finmon.api import create_app
from finmon.api.rbac import Role
from finmon.api.testing import login, make_context

_DIR = tempfile.TemporaryDirectory(prefix="finmon-schemathesis-")
_CTX = make_context(Path(_DIR.name), rate_limit_rps=10_000, rate_limit_burst=10_000)
_APP = create_app(context=_CTX)
_ADMIN = login(TestClient(_APP), _CTX, Role.admin)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP).exclude(path="/v1/auth/logout")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _CTX.close()
    _DIR.cleanup()


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=_ADMIN.headers, checks=CHECKS)
