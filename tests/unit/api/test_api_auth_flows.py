"""Login with password + TOTP, lockout, token expiry, refresh rotation, revocation, API keys."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pyotp
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import PASSWORD, api_key, login, make_user, remember, totp_now, transaction
from finmon.core.clock import SimulatedClock


def _login(client: TestClient, username: str, password: str, code: str) -> int:
    body = {"username": username, "password": password, "totp": code}
    return client.post("/v1/auth/login", json=body).status_code


def _audit_outcomes(ctx: ApiContext, action: str) -> list[tuple[str, str]]:
    return [
        (e["payload"]["outcome"], e["payload"]["reason"])
        for e in ctx.audit.entries(limit=1000)
        if e["type"] == f"audit.{action}"
    ]


def test_login_needs_password_and_totp(client: TestClient, ctx: ApiContext) -> None:
    user_id, secret = make_user(ctx, Role.analyst, "ana")
    assert _login(client, "ana", PASSWORD, "000000") == 401
    assert _login(client, "ana", "wrong password!", totp_now(secret, ctx.clock)) == 401
    assert _login(client, "nobody", PASSWORD, "123456") == 401
    assert _login(client, "ana", PASSWORD, totp_now(secret, ctx.clock)) == 200
    outcomes = _audit_outcomes(ctx, "login")
    assert ("failure", "wrong TOTP code") in outcomes
    assert ("failure", "wrong password") in outcomes
    assert ("failure", "unknown user") in outcomes
    assert outcomes[-1] == ("success", "")


def test_failed_login_answer_reveals_nothing(client: TestClient, ctx: ApiContext) -> None:
    make_user(ctx, Role.analyst, "ana")
    known = client.post("/v1/auth/login", json={"username": "ana", "password": "x", "totp": "1"})
    unknown = client.post("/v1/auth/login", json={"username": "zed", "password": "x", "totp": "1"})
    assert known.status_code == unknown.status_code == 401
    assert known.json()["detail"] == unknown.json()["detail"]


def test_totp_code_cannot_be_replayed(client: TestClient, ctx: ApiContext) -> None:
    _, secret = make_user(ctx, Role.analyst, "ana")
    code = totp_now(secret, ctx.clock)
    assert _login(client, "ana", PASSWORD, code) == 200
    assert _login(client, "ana", PASSWORD, code) == 401
    assert ("failure", "TOTP code replayed") in _audit_outcomes(ctx, "login")


def test_lockout_after_repeated_failures(
    client: TestClient, ctx: ApiContext, clock: SimulatedClock
) -> None:
    _, secret = make_user(ctx, Role.analyst, "ana")
    for _ in range(ctx.api.lockout_threshold):
        assert _login(client, "ana", "not the password", totp_now(secret, clock)) == 401
    clock.advance(31)
    assert _login(client, "ana", PASSWORD, totp_now(secret, clock)) == 401  # locked
    assert ("failure", "account locked") in _audit_outcomes(ctx, "login")
    clock.advance(ctx.api.lockout_duration_s)
    assert _login(client, "ana", PASSWORD, totp_now(secret, clock)) == 200


def test_failures_outside_the_window_do_not_lock(
    client: TestClient, ctx: ApiContext, clock: SimulatedClock
) -> None:
    _, secret = make_user(ctx, Role.analyst, "ana")
    for _ in range(ctx.api.lockout_threshold - 1):
        _login(client, "ana", "not the password", "000000")
    clock.advance(ctx.api.lockout_window_s + 1)
    _login(client, "ana", "not the password", "000000")
    assert _login(client, "ana", PASSWORD, totp_now(secret, clock)) == 200


def test_access_token_expires_on_the_clock(
    client: TestClient, ctx: ApiContext, clock: SimulatedClock
) -> None:
    session = login(client, ctx, Role.analyst)
    assert client.get("/v1/auth/me", headers=session.headers).status_code == 200
    clock.advance(ctx.api.access_token_ttl_s + 1)
    response = client.get("/v1/auth/me", headers=session.headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(
    client: TestClient, ctx: ApiContext
) -> None:
    session = login(client, ctx, Role.analyst)
    first = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert first.status_code == 200
    new = first.json()
    remember(new["access_token"], new["refresh_token"])
    again = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert again.status_code == 401
    assert again.json()["code"] == "token_reused"
    headers = {"Authorization": f"Bearer {new['access_token']}"}
    assert client.get("/v1/auth/me", headers=headers).json()["code"] == "token_revoked"


def test_logout_revokes_access_and_refresh(client: TestClient, ctx: ApiContext) -> None:
    session = login(client, ctx, Role.analyst)
    assert client.post("/v1/auth/logout", headers=session.headers).status_code == 204
    assert client.get("/v1/auth/me", headers=session.headers).status_code == 401
    refresh = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert refresh.status_code == 401
    assert [o for o, _ in _audit_outcomes(ctx, "logout")] == ["success"]


def test_forged_tokens_are_refused(client: TestClient, ctx: ApiContext) -> None:
    session = login(client, ctx, Role.analyst)
    claims = jwt.decode(session.access_token, options={"verify_signature": False})
    claims["role"] = "admin"
    forged = [
        jwt.encode(claims, "another key of 32 bytes or more!!", algorithm="HS256"),
        jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
        session.access_token[:-4] + "AAAA",
        session.refresh_token,  # a refresh token is not an access token
        "not-a-jwt",
    ]
    for token in forged:
        response = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


def test_disabled_user_is_refused(client: TestClient, ctx: ApiContext) -> None:
    session = login(client, ctx, Role.analyst)
    ctx.auth.users.update(session.user_id, role=None, disabled=True)
    assert client.get("/v1/auth/me", headers=session.headers).status_code == 401


def test_api_key_revoked_or_rotated_is_refused(client: TestClient, ctx: ApiContext) -> None:
    key = api_key(ctx)
    headers = {"X-API-Key": key}
    assert client.post("/v1/transactions", json=transaction(), headers=headers).status_code == 201
    key_id = key[4:20]
    _, rotated = ctx.auth.keys.rotate(key_id)
    remember(rotated)
    assert client.post("/v1/transactions", json=transaction(2), headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {rotated}"}
    assert client.post("/v1/transactions", json=transaction(2), headers=fresh).status_code == 201
    ctx.auth.keys.revoke(key_id)
    response = client.post("/v1/transactions", json=transaction(3), headers=fresh)
    assert response.status_code == 401


def test_api_key_expiry_and_scopes(
    client: TestClient, ctx: ApiContext, clock: SimulatedClock
) -> None:
    _, key = ctx.auth.keys.create(
        "reader",
        Role.analyst,
        frozenset({"metrics:read"}),
        "tests",
        clock.now() + timedelta(hours=1),
    )
    remember(key)
    headers = {"X-API-Key": key}
    assert client.get("/v1/metrics-entries", headers=headers).status_code == 200
    assert client.get("/v1/transactions/tx-1", headers=headers).status_code == 403  # out of scope
    clock.advance(timedelta(hours=2))
    assert client.get("/v1/metrics-entries", headers=headers).status_code == 401


def test_api_keys_managed_through_the_api(client: TestClient, ctx: ApiContext) -> None:
    admin = login(client, ctx, Role.admin)
    created = client.post("/v1/api-keys", json={"name": "ingest-1"}, headers=admin.headers)
    assert created.status_code == 201
    body = created.json()
    remember(body["key"])
    listed = client.get("/v1/api-keys", headers=admin.headers).json()
    assert [k["id"] for k in listed] == [body["id"]]
    assert "key" not in listed[0]
    rotated = client.post(f"/v1/api-keys/{body['id']}/rotate", headers=admin.headers).json()
    remember(rotated["key"])
    assert rotated["key"] != body["key"]
    revoked = client.delete(f"/v1/api-keys/{body['id']}", headers=admin.headers)
    assert revoked.json()["revoked_at"] is not None
    headers = {"X-API-Key": rotated["key"]}
    assert client.post("/v1/transactions", json=transaction(), headers=headers).status_code == 401
    bad_scope = {"name": "x", "role": "service", "scopes": ["users:manage"]}
    assert client.post("/v1/api-keys", json=bad_scope, headers=admin.headers).status_code == 422


def test_service_role_cannot_be_a_user(ctx: ApiContext) -> None:
    import pytest

    from finmon.core.errors import ValidationError

    with pytest.raises(ValidationError, match="API key"):
        ctx.auth.users.create("robot", Role.service, PASSWORD)


def test_totp_secret_is_encrypted_at_rest(ctx: ApiContext) -> None:
    user_id, secret = make_user(ctx, Role.analyst, "ana")
    raw = ctx.db.query("SELECT totp_secret, password_hash FROM users WHERE id = ?", (user_id,))[0]
    assert secret not in raw[0]
    assert raw[0].startswith("enc:v1:")
    assert raw[1].startswith("$argon2id$")
    assert pyotp.TOTP(ctx.auth.users.totp_secret(user_id)).now() == pyotp.TOTP(secret).now()
