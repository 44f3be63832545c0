"""Everything a request handler needs, built once per app from the settings.

Handlers reach these through the ``Annotated`` dependencies of
:mod:`finmon.api.deps`; tests build a context around a temporary data dir and
a simulated clock and pass it to :func:`finmon.api.create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from finmon.api.auth.apikeys import ApiKeyStore
from finmon.api.auth.service import AuthService
from finmon.api.auth.tokens import TokenService
from finmon.api.auth.users import UserStore
from finmon.api.batcher import AppendBatcher
from finmon.api.crypto import Kek, Keyring
from finmon.api.db import Database
from finmon.api.idempotency import IdempotencyStore, MemoryIdempotencyStore, RedisIdempotencyStore
from finmon.api.keyfiles import load_or_create_key
from finmon.api.metric_entries import MetricEntries
from finmon.api.middleware import Metrics
from finmon.api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from finmon.api.settings import ApiSettings, auth_db_path
from finmon.api.webhooks import WebhookStore
from finmon.audit import AuditTrail
from finmon.core.clock import Clock, SystemClock
from finmon.core.settings import Settings
from finmon.events.factory import open_log
from finmon.events.log import Log


@dataclass
class ApiContext:
    """The API's collaborators; one per app."""

    settings: Settings
    api: ApiSettings
    clock: Clock
    db: Database
    log: Log
    keyring: Keyring
    audit: AuditTrail
    auth: AuthService
    webhooks: WebhookStore
    metric_entries: MetricEntries
    limiter: RateLimiter
    idempotency: IdempotencyStore
    metrics: Metrics = field(default_factory=Metrics)
    redis: Any = None
    batcher: AppendBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.batcher = AppendBatcher(self.log)

    def close(self) -> None:
        self.db.close()
        self.log.store.close()
        if self.redis is not None:
            self.redis.close()


def load_kek(settings: Settings, api: ApiSettings) -> Kek:
    """The KEK from ``FINMON_API_KEK`` (base64) or its 0600 key file (created if absent)."""
    if api.kek is not None:
        return Kek.from_base64(api.kek.get_secret_value())
    return Kek(load_or_create_key(api.kek_file(settings)))


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def build_context(
    settings: Settings,
    api: ApiSettings | None = None,
    *,
    clock: Clock | None = None,
    log: Log | None = None,
) -> ApiContext:
    """Open the log, auth.db, keys and (when configured) Redis for one app."""
    api = api or ApiSettings()
    clock = clock or SystemClock()
    log = log or open_log(settings, clock=clock)
    db = Database(auth_db_path(settings))
    keyring = Keyring(db, load_kek(settings, api), clock)
    audit = AuditTrail(log, clock)
    tokens = TokenService(
        db,
        load_or_create_key(api.jwt_key_file(settings)),
        clock,
        issuer=api.issuer,
        access_ttl=api.access_token_ttl_s,
        refresh_ttl=api.refresh_token_ttl_s,
    )
    users = UserStore(db, keyring, clock)
    auth = AuthService(users, ApiKeyStore(db, clock), tokens, audit, clock, api)
    client = _redis(settings.redis_url) if settings.redis_url else None
    limiter: RateLimiter = (
        RedisRateLimiter(client, clock) if client is not None else MemoryRateLimiter(clock)
    )
    idempotency: IdempotencyStore = (
        RedisIdempotencyStore(client, api.idempotency_ttl_s)
        if client is not None
        else MemoryIdempotencyStore(clock, api.idempotency_ttl_s)
    )
    return ApiContext(
        settings=settings,
        api=api,
        clock=clock,
        db=db,
        log=log,
        keyring=keyring,
        audit=audit,
        auth=auth,
        webhooks=WebhookStore(db, keyring, clock),
        metric_entries=MetricEntries(log, clock),
        limiter=limiter,
        idempotency=idempotency,
        redis=client,
    )


__all__ = ["ApiContext", "build_context", "load_kek"]
