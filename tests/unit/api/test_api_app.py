"""The app shell: public probes, problem+json, security headers, CORS off, correlation ids."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from finmon.api import create_app
from finmon.api.context import ApiContext
from finmon.api.testing import api_key, make_context, transaction


def test_public_probes(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").json()["checks"]["log"].startswith("ok")
    client.get("/health")
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'finmon_api_requests_total{method="GET",route="/health",status="200"}' in metrics.text
    assert client.get("/openapi.json").json()["info"]["title"] == "finmon API"
    assert "swagger" in client.get("/docs").text.lower()


def test_ready_is_503_when_the_log_is_unreachable(client: TestClient, ctx: ApiContext) -> None:
    ctx.log.store.close()
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["field"] == "log"
    assert response.headers["retry-after"] == "5"


def test_security_headers_and_no_cors(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" in response.headers
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/transactions",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_when_configured(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, cors_origins=["https://dash.example"])
    try:
        client = TestClient(create_app(context=ctx))
        response = client.get("/health", headers={"Origin": "https://dash.example"})
        assert response.headers["access-control-allow-origin"] == "https://dash.example"
    finally:
        ctx.close()


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.put("/health").status_code == 405


def test_correlation_id_is_echoed_and_stored(client: TestClient, ctx: ApiContext) -> None:
    headers = {"X-API-Key": api_key(ctx), "X-Request-ID": "req-abc-123"}
    response = client.post("/v1/transactions", json=transaction(), headers=headers)
    assert response.headers["x-request-id"] == "req-abc-123"
    event = next(iter(ctx.log.read(response.json()["seq"]))).envelope()
    assert event.correlation_id == "req-abc-123"
    bad = client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert bad.headers["x-request-id"] != "bad id with spaces"


def test_an_unexpected_error_is_a_bare_500(client: TestClient, ctx: ApiContext) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals")

    ctx.auth.keys.verify = lambda presented: boom()  # type: ignore[method-assign, assignment]
    safe = TestClient(client.app, raise_server_exceptions=False)
    response = safe.get("/v1/auth/me", headers={"X-API-Key": "fmk_0123456789abcdef_x"})
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert response.json()["correlation_id"]
