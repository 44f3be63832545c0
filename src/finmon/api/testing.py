"""Helpers for tests and benchmarks of the API: a context in a temp dir, users, logins.

Every secret a helper makes (passwords, tokens, TOTP secrets, API keys) is
remembered in :data:`SECRETS`, so a test can assert that none of them ever
reached a log line.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp

from finmon.api.context import ApiContext, build_context
from finmon.api.rbac import Role
from finmon.api.settings import ApiSettings
from finmon.core.clock import Clock, SimulatedClock
from finmon.core.settings import Settings

SECRETS: set[str] = set()
"""Every secret the helpers made in this process (for the no-secrets-in-logs test)."""
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"  # noqa: S105 - the test users' password
TEST_PAN = "4111 1111 1111 1111"


def remember(*values: str) -> None:
    SECRETS.update(v for v in values if v)


def make_context(
    data_dir: Path,
    *,
    clock: Clock | None = None,
    redis_url: str | None = None,
    **api: Any,
) -> ApiContext:
    """A context over a fresh data dir, a simulated clock and a KEK from the environment form."""
    kek = base64.b64encode(secrets.token_bytes(32)).decode()
    remember(kek)
    settings = Settings(data_dir=data_dir, checkpoint_interval=64, redis_url=redis_url)
    return build_context(settings, ApiSettings(kek=kek, **api), clock=clock or SimulatedClock(T0))


@dataclass
class Login:
    """A user made for a test and the tokens of its session."""

    user_id: str
    username: str
    role: Role
    totp_secret: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def totp_now(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def make_user(ctx: ApiContext, role: Role, username: str | None = None) -> tuple[str, str]:
    """Create a user with :data:`PASSWORD`; returns (user id, TOTP secret)."""
    name = username or f"{role.value.replace('_', '-')}-{secrets.token_hex(3)}"
    user, secret = ctx.auth.users.create(name, role, PASSWORD)
    remember(secret, PASSWORD)
    return user.id, secret


def login(client: Any, ctx: ApiContext, role: Role, username: str | None = None) -> Login:
    """Create a user and log it in through the API; advances a simulated clock past the step."""
    user_id, secret = make_user(ctx, role, username)
    user = ctx.auth.users.get(user_id)
    response = client.post(
        "/v1/auth/login",
        json={"username": user.username, "password": PASSWORD, "totp": totp_now(secret, ctx.clock)},
    )
    assert response.status_code == 200, response.text  # noqa: S101 - a test helper
    body = response.json()
    remember(body["access_token"], body["refresh_token"])
    return Login(user_id, user.username, role, secret, body["access_token"], body["refresh_token"])


def api_key(
    ctx: ApiContext, role: Role = Role.service, scopes: frozenset[str] = frozenset()
) -> str:
    """A fresh API key's plaintext."""
    _, plaintext = ctx.auth.keys.create(f"test-{secrets.token_hex(3)}", role, scopes, "tests")
    remember(plaintext)
    return plaintext


def transaction(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid canonical transaction body, distinct per ``n``."""
    body: dict[str, Any] = {
        "transaction_id": f"tx-{n:08d}",
        "occurred_at": "2026-03-02T08:59:00Z",
        "account_id": f"acct-{n % 97:04d}",
        "direction": "debit",
        "amount": f"{10 + n % 1000}.{n % 100:02d}",
        "currency": "EUR",
        "channel": "card_present",
        "merchant_id": "m-001",
        "merchant_category": "5411",
        "merchant_country": "DE",
        "counterparty_name": "Erika Mustermann",
        "description": "groceries",
    }
    body.update(overrides)
    return body


SAMPLE_SDN_CSV = (
    '36,"AEROCARIBBEAN AIRLINES",-0-,"CUBA",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n'
    '2676,"AL ZAWAHIRI, Dr. Ayman","individual","SDGT",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    "\"DOB 19 Jun 1951; POB Giza, Egypt; Nationality Egypt; a.k.a. 'Dr. Ayman'.\"\n"
    '7045,"KIM, Yong Chol","individual","NKOREA",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    '"DOB 1963; Nationality Korea, North."\n'
)
"""A three-entry OFAC SDN main file (the legacy CSV shape) for API tests and examples."""

SAMPLE_PEP_FTM = (
    '{"id": "Q123", "schema": "Person", "properties": {"name": ["Maria Garcia Lopez"],'
    ' "topics": ["role.pep"], "position": ["Minister of Finance"], "country": ["es"]}}\n'
    '{"id": "NK-def456", "schema": "Company", "properties": {"name": ["Example Trading LLC"],'
    ' "jurisdiction": ["ae"], "topics": ["sanction"]}}\n'
)
"""Two OpenSanctions FollowTheMoney entities: a PEP and a sanctioned company."""


def load_sample_lists(client: Any, headers: dict[str, str]) -> None:
    """Upload :data:`SAMPLE_SDN_CSV` and :data:`SAMPLE_PEP_FTM` through the API."""
    for fmt, text, name in (("ofac", SAMPLE_SDN_CSV, None), ("ftm", SAMPLE_PEP_FTM, "pep")):
        params = {"format": fmt} | ({"list": name} if name else {})
        response = client.post(
            "/v1/screening/lists", params=params, content=text.encode(), headers=headers
        )
        assert response.status_code in {200, 201}, response.text  # noqa: S101 - a test helper


__all__ = [
    "PASSWORD",
    "SAMPLE_PEP_FTM",
    "SAMPLE_SDN_CSV",
    "SECRETS",
    "T0",
    "TEST_PAN",
    "Login",
    "api_key",
    "load_sample_lists",
    "login",
    "make_context",
    "make_user",
    "remember",
    "totp_now",
    "transaction",
]
