"""Every endpoint against the role table: none unprotected, each role allowed where listed."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from finmon.api.app import PUBLIC_PATHS
from finmon.api.context import ApiContext
from finmon.api.rbac import HUMAN_ROLES, PERMISSIONS, Principal, Role
from finmon.api.routes_table import CREDENTIALS, PUBLIC, endpoints, markdown_table
from finmon.api.testing import api_key, login

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_endpoint_is_public_credential_or_permission_checked() -> None:
    unprotected = [(e.method, e.path) for e in endpoints() if not e.permission]
    assert unprotected == []
    public = {e.path for e in endpoints() if e.permission == PUBLIC}
    assert public == set(PUBLIC_PATHS)
    assert public == {
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
    }


def test_the_table_covers_every_route_of_the_app(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    documented = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    listed = {
        (e.method, e.path)
        for e in endpoints()
        if e.path not in {"/openapi.json", "/docs", "/docs/oauth2-redirect"}
    }
    assert documented == listed


def test_docs_hold_the_generated_table() -> None:
    assert markdown_table() in DOCS.read_text(encoding="utf-8")


def test_without_credentials_everything_but_the_public_list_is_401(client: TestClient) -> None:
    for e in endpoints():
        response = client.request(e.method, _concrete(e.path))
        if e.permission == PUBLIC:
            assert response.status_code == 200, (e.method, e.path)
        else:
            assert response.status_code == 401, (e.method, e.path, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"


def test_role_matrix(client: TestClient, ctx: ApiContext) -> None:
    headers = {role: login(client, ctx, role).headers for role in sorted(HUMAN_ROLES)}
    headers[Role.service] = {"X-API-Key": api_key(ctx)}
    checked = 0
    last = "/v1/auth/logout"  # it revokes the session: check it after everything else
    for e in sorted(endpoints(), key=lambda e: e.path == last):
        if e.permission in {PUBLIC, CREDENTIALS}:
            continue
        for role, auth in headers.items():
            response = client.request(e.method, _concrete(e.path), headers=auth)
            allowed = role.value in e.roles
            assert (response.status_code != 403) == allowed, (e.path, e.method, role, response.text)
            assert response.status_code not in {401}
            assert response.status_code < 500
            checked += 1
    assert checked > 100


def test_permissions_follow_least_privilege() -> None:
    auditor = Principal("a", "a", "user", Role.auditor)
    service = Principal("s", "s", "api_key", Role.service)
    assert [
        p for p in PERMISSIONS if auditor.may(p) and p.endswith((":write", ":manage", ":admin"))
    ] == []
    # The core-banking system posts its money movements with an API key: ledger:write;
    # a payment system screens the counterparty inline before releasing: screening:read.
    assert {p for p in PERMISSIONS if service.may(p)} == {
        "transactions:write",
        "metrics:write",
        "ledger:write",
        "screening:read",
        "session",
    }
    # Who decides what is screened against, and who onboards: compliance, and admin.
    assert PERMISSIONS["lists:write"] == frozenset({Role.admin, Role.compliance_officer})
    assert PERMISSIONS["kyc:write"] == frozenset({Role.admin, Role.compliance_officer})
    assert Role.service not in PERMISSIONS["graph:read"] | PERMISSIONS["kyc:read"]
    assert PERMISSIONS["ledger:admin"] == frozenset({Role.admin})
    assert PERMISSIONS["ledger:write"] == frozenset({Role.admin, Role.service})
    assert PERMISSIONS["audit:read"] == frozenset({Role.auditor})


def test_docs_hold_the_generated_reference(client: TestClient) -> None:
    from finmon.api.routes_table import reference_markdown

    assert reference_markdown(client.get("/openapi.json").json()) in DOCS.read_text("utf-8")
