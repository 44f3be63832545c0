"""Everything a request handler needs, built once per app from the settings.

Handlers reach these through the ``Annotated`` dependencies of
:mod:`finmon.api.deps`; tests build a context around a temporary data dir and
a simulated clock and pass it to :func:`finmon.api.create_app`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from finmon.api.aml import FindingsService, GraphService, Screening
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
from finmon.api.monitoring import ApiAuditTrail, Monitoring
from finmon.api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from finmon.api.settings import ApiSettings, auth_db_path
from finmon.api.webhooks import WebhookStore
from finmon.core.clock import Clock, SystemClock
from finmon.core.settings import Settings
from finmon.events.factory import open_log
from finmon.events.log import Log

if TYPE_CHECKING:
    from finmon.ledger import Ledger
    from finmon.ledger.factory import Backend

LEDGER_BACKENDS = ("sqlite", "postgres")


def ledger_backend() -> str:
    """``FINMON_LEDGER_BACKEND`` (as the CLI reads it): ``sqlite`` (default) or ``postgres``."""
    backend = os.environ.get("FINMON_LEDGER_BACKEND", "sqlite").strip().lower() or "sqlite"
    if backend not in LEDGER_BACKENDS:
        raise ValueError(f"FINMON_LEDGER_BACKEND must be sqlite or postgres, not {backend!r}")
    return backend


@dataclass
class ApiContext:
    """The API's collaborators; one per app."""

    settings: Settings
    api: ApiSettings
    clock: Clock
    db: Database
    log: Log
    keyring: Keyring
    audit: ApiAuditTrail
    auth: AuthService
    webhooks: WebhookStore
    metric_entries: MetricEntries
    limiter: RateLimiter
    idempotency: IdempotencyStore
    metrics: Metrics = field(default_factory=Metrics)
    redis: Any = None
    ledger_backend: str = "sqlite"
    ledger_schema: str = "finmon_ledger"
    batcher: AppendBatcher = field(init=False)
    monitoring: Monitoring = field(init=False)
    screening: Screening = field(init=False)
    graph: GraphService = field(init=False)
    findings: FindingsService = field(init=False)
    _ledger: Ledger | None = field(init=False, default=None, repr=False)
    _ledger_lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)
    ledger_write_lock: threading.Lock = field(
        init=False, default_factory=threading.Lock, repr=False
    )

    def __post_init__(self) -> None:
        self.batcher = AppendBatcher(self.log)
        self.monitoring = Monitoring(self.settings, self.clock)
        self.screening = Screening(self.settings, self.clock)
        self.graph = GraphService(self.log)
        self.findings = FindingsService(self.log, self.screening)

    @property
    def ledger(self) -> Ledger:
        """The core-banking ledger, opened on first use (``<data_dir>/ledger.db`` by default)."""
        if self._ledger is None:
            with self._ledger_lock:
                if self._ledger is None:
                    from finmon.ledger import open_ledger

                    backend: Backend = "postgres" if self.ledger_backend == "postgres" else "sqlite"
                    self._ledger = open_ledger(
                        self.settings, backend=backend, schema=self.ledger_schema, clock=self.clock
                    )
        return self._ledger

    def close(self) -> None:
        with self._ledger_lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
        self.monitoring.close()
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
    audit = ApiAuditTrail(log, clock)
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
        ledger_backend=ledger_backend(),
    )


__all__ = ["LEDGER_BACKENDS", "ApiContext", "build_context", "ledger_backend", "load_kek"]
