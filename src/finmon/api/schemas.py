"""Request and response bodies: Create / Update / Public models per resource.

Request models forbid unknown fields (a typo is an error naming the field,
not silently dropped data) and bound every string, so no request can make the
server hold more than the body limit allows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from finmon.api.rbac import Role
from finmon.sources.canonical import CHANNELS

Id = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
_Text = Field(default=None, max_length=256)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransactionCreate(_In):
    """One canonical transaction (docs/transactions.md); optional fields may be omitted."""

    transaction_id: str = Id
    occurred_at: AwareDatetime
    account_id: str = Id
    direction: Literal["debit", "credit"]
    amount: str = Field(pattern=r"^[0-9]{1,20}(\.[0-9]{1,6})?$", max_length=30)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    customer_id: str | None = Field(default=None, max_length=128)
    channel: Literal[CHANNELS] | None = None  # type: ignore[valid-type]
    merchant_id: str | None = _Text
    merchant_category: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    merchant_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    counterparty_account_id: str | None = _Text
    counterparty_name: str | None = _Text
    counterparty_bank: str | None = Field(default=None, max_length=11)
    counterparty_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    device_id: str | None = _Text
    ip_address: str | None = Field(default=None, max_length=45)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    description: str | None = Field(default=None, max_length=1000)


class TransactionBatch(_In):
    transactions: list[TransactionCreate] = Field(min_length=1, max_length=10_000)


class EventPublic(BaseModel):
    seq: int
    id: str
    type: str
    schema_version: int
    partition_key: str
    occurred_at: str
    recorded_at: str
    correlation_id: str | None = None
    causation_id: str | None = None
    payload: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventPublic]
    next_after_seq: int | None
    head_seq: int


class VerifyPublic(BaseModel):
    ok: bool
    report: dict[str, Any]


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str = Field(pattern=r"^[0-9]{6}$")


class RefreshIn(_In):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int


class MePublic(BaseModel):
    subject: str
    name: str
    kind: str
    role: Role
    permissions: list[str]


class ApiKeyCreate(_In):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    role: Role = Role.service
    scopes: list[str] = Field(default_factory=list, max_length=32)
    expires_at: AwareDatetime | None = None


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    role: Role
    scopes: list[str]
    created_by: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the key itself: shown once, store it now")


class UserCreate(_In):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]+$")
    role: Role
    password: str = Field(min_length=12, max_length=1024)


class UserUpdate(_In):
    role: Role | None = None
    disabled: bool | None = None


class UserPublic(BaseModel):
    id: str
    username: str
    role: Role
    disabled: bool
    locked: bool
    created_at: str


class UserCreated(UserPublic):
    totp_secret: str = Field(description="base32 TOTP secret: shown once, enrol it now")
    totp_uri: str


class WebhookCreate(_In):
    url: str = Field(min_length=8, max_length=2048, pattern=r"^https://[^\s]+$")
    events: list[str] = Field(
        default_factory=lambda: ["alert.*"],
        max_length=32,
    )
    description: str = Field(default="", max_length=256)


class WebhookPublic(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    created_by: str
    created_at: str
    rotated_at: str | None


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="HMAC signing secret: shown once")


class MetricEntryCreate(_In):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63}){0,4}$")
    value: str = Field(pattern=r"^-?[0-9]{1,30}(\.[0-9]{1,18})?$")
    unit: str = Field(default="", max_length=32, pattern=r"^[A-Za-z0-9%/._ -]*$")
    observed_at: AwareDatetime
    dimensions: dict[str, str] = Field(default_factory=dict, max_length=16)
    note: str = Field(default="", max_length=1000)


class MetricEntryAccepted(BaseModel):
    event_id: str
    seq: int


class MetricEntryPublic(BaseModel):
    seq: int
    event_id: str
    name: str
    value: str
    unit: str
    observed_at: str
    dimensions: dict[str, str]
    note: str
    entered_by: str


class MetricEntryPage(BaseModel):
    items: list[MetricEntryPublic]
    next_after_seq: int | None


class AuditPage(BaseModel):
    items: list[EventPublic]
    next_after_seq: int | None


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, str]


__all__ = [
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyPublic",
    "AuditPage",
    "EventPage",
    "EventPublic",
    "Health",
    "LoginIn",
    "MePublic",
    "MetricEntryAccepted",
    "MetricEntryCreate",
    "MetricEntryPage",
    "MetricEntryPublic",
    "Ready",
    "RefreshIn",
    "TokenOut",
    "TransactionBatch",
    "TransactionCreate",
    "UserCreate",
    "UserCreated",
    "UserPublic",
    "UserUpdate",
    "VerifyPublic",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookPublic",
]
