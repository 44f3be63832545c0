"""Idempotency keys for POSTs that create something (the ``Idempotency-Key`` header).

The first request with a key stores its response (status and body) with a
SHA-256 of its body; the same key with the same body gets that response again,
without doing the work twice; the same key with another body is a 409, since
the client is reusing a key for a different request. Keys are scoped to the
caller and the route, so two clients cannot collide. In memory by default; in
Redis (``SET NX`` with a TTL) when configured, shared by every worker.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from finmon.core.clock import Clock
from finmon.core.errors import ConflictError, ValidationError

MAX_KEY = 200


@dataclass(frozen=True, slots=True)
class Stored:
    fingerprint: str
    status: int
    body: Any


class IdempotencyStore(Protocol):
    def get(self, key: str) -> Stored | None: ...

    def put(self, key: str, value: Stored) -> None: ...


class MemoryIdempotencyStore:
    def __init__(self, clock: Clock, ttl_s: int, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._ttl = ttl_s
        self._max = max_keys
        self._items: dict[str, tuple[float, Stored]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Stored | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] < self._clock.monotonic():
                return None
            return item[1]

    def put(self, key: str, value: Stored) -> None:
        with self._lock:
            if len(self._items) >= self._max:
                now = self._clock.monotonic()
                self._items = {k: v for k, v in self._items.items() if v[0] >= now}
                if len(self._items) >= self._max:
                    self._items.pop(next(iter(self._items)))
            self._items.setdefault(key, (self._clock.monotonic() + self._ttl, value))


class RedisIdempotencyStore:
    def __init__(self, client: Any, ttl_s: int, prefix: str = "finmon:idem:") -> None:
        self._client = client
        self._ttl = ttl_s
        self._prefix = prefix

    def get(self, key: str) -> Stored | None:
        raw = self._client.get(self._prefix + key)
        if raw is None:
            return None
        data = orjson.loads(raw)
        return Stored(data["f"], data["s"], data["b"])

    def put(self, key: str, value: Stored) -> None:
        raw = orjson.dumps({"f": value.fingerprint, "s": value.status, "b": value.body})
        self._client.set(self._prefix + key, raw, nx=True, ex=self._ttl)


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def scoped_key(subject: str, route: str, key: str) -> str:
    """The store key: caller, route and the client's key; the key itself is checked."""
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise ValidationError(
            f"an Idempotency-Key is 1-{MAX_KEY} printable characters", field="Idempotency-Key"
        )
    return hashlib.sha256(f"{subject}\x00{route}\x00{key}".encode()).hexdigest()


def replay(store: IdempotencyStore, key: str, print_: str) -> Stored | None:
    """The stored response for a repeat of this request; 409 if the body's print differs."""
    stored = store.get(key)
    if stored is None:
        return None
    if stored.fingerprint != print_:
        raise ConflictError(
            "this Idempotency-Key was used with a different request body",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return stored


__all__ = [
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RedisIdempotencyStore",
    "Stored",
    "fingerprint",
    "replay",
    "scoped_key",
]
