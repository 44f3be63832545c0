"""No password, token, TOTP secret, API key or card number in any log line.

The autouse fixture in conftest.py checks this after every API test; this
test drives the paths most likely to leak (failed logins, a server error with
a traceback, a card number in a transaction) with logging at DEBUG.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import PASSWORD, SECRETS, TEST_PAN, api_key, login, transaction


def test_a_busy_session_logs_no_secret(
    client: TestClient,
    ctx: ApiContext,
    no_secret_in_logs: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="finmon")
    admin = login(client, ctx, Role.admin)
    key = api_key(ctx)
    client.post(
        "/v1/auth/login",
        json={"username": admin.username, "password": "wrong " + PASSWORD, "totp": "123456"},
    )
    client.post(
        "/v1/transactions",
        json=transaction(description=f"pan {TEST_PAN}"),
        headers={"X-API-Key": key},
    )
    client.post(
        "/v1/transactions",
        json=transaction(2, amount=TEST_PAN.replace(" ", "")),
        headers={"X-API-Key": key},
    )
    client.post("/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    client.get("/v1/auth/me", headers={"Authorization": f"Bearer {admin.access_token}x"})
    logging.getLogger("finmon.api").info("debugging password=%s card %s", PASSWORD, TEST_PAN)
    assert no_secret_in_logs  # the requests were logged ...
    assert len(SECRETS) >= 4  # ... and there were secrets to leak
