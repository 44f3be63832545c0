"""Token buckets per client and route: in memory, in Redis, and the 429 the API answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finmon.api import create_app
from finmon.api.idempotency import RedisIdempotencyStore, Stored
from finmon.api.ratelimit import MemoryRateLimiter, RedisRateLimiter, retry_after
from finmon.api.testing import api_key, make_context, transaction
from finmon.core.clock import SimulatedClock


def test_memory_bucket_refills_on_the_clock() -> None:
    clock = SimulatedClock()
    limiter = MemoryRateLimiter(clock)
    assert [limiter.take("k", 2.0, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k", 2.0, 3)
    assert wait == pytest.approx(0.5)
    assert limiter.take("other", 2.0, 3) == 0.0  # buckets are per key
    clock.advance(0.5)
    assert limiter.take("k", 2.0, 3) == 0.0
    assert retry_after(0.01) == 1


def test_redis_bucket_is_shared_and_refills_on_the_clock(redis_url: str, redis_prefix: str) -> None:
    import redis

    clock = SimulatedClock()
    client = redis.Redis.from_url(redis_url)
    one, two = (
        RedisRateLimiter(client, clock, redis_prefix),
        RedisRateLimiter(client, clock, redis_prefix),
    )
    assert [one.take("k", 2.0, 3), two.take("k", 2.0, 3), one.take("k", 2.0, 3)] == [0.0] * 3
    assert two.take("k", 2.0, 3) == pytest.approx(0.5)  # the workers share one bucket
    clock.advance(0.5)
    assert one.take("k", 2.0, 3) == 0.0
    assert client.ttl(f"{redis_prefix}k") > 0  # idle buckets expire
    client.close()


def test_redis_idempotency_store(redis_url: str, redis_prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    store = RedisIdempotencyStore(client, 60, redis_prefix)
    assert store.get("a") is None
    store.put("a", Stored("f1", 202, {"seq": 1}))
    store.put("a", Stored("f2", 202, {"seq": 2}))  # first writer wins
    assert store.get("a") == Stored("f1", 202, {"seq": 1})
    client.close()


def test_the_api_with_redis_configured(tmp_path: Path, redis_url: str, redis_prefix: str) -> None:
    ctx = make_context(
        tmp_path, redis_url=redis_url, rate_limit_rps=1.0, rate_limit_burst=2, idempotency_ttl_s=60
    )
    try:
        client = TestClient(create_app(context=ctx))
        assert client.get("/ready").json()["checks"]["redis"] == "ok"
        headers = {"X-API-Key": api_key(ctx), "Idempotency-Key": redis_prefix}
        first = client.post("/v1/transactions", json=transaction(), headers=headers)
        again = client.post("/v1/transactions", json=transaction(), headers=headers)
        assert first.status_code == 201
        assert again.status_code == 201
        assert again.headers["idempotency-replayed"] == "true"
        assert (
            client.post(
                "/v1/transactions", json=transaction(2), headers={"X-API-Key": headers["X-API-Key"]}
            ).status_code
            == 429
        )
    finally:
        ctx.close()


def test_the_api_answers_429_with_retry_after(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, rate_limit_rps=1.0, rate_limit_burst=2)
    try:
        client = TestClient(create_app(context=ctx))
        headers = {"X-API-Key": api_key(ctx)}
        codes = [
            client.post("/v1/transactions", json=transaction(n), headers=headers).status_code
            for n in range(3)
        ]
        assert codes == [201, 201, 429]
        limited = client.post("/v1/transactions", json=transaction(9), headers=headers)
        assert limited.headers["retry-after"] == "1"
        assert limited.json()["code"] == "rate_limited"
        assert isinstance(ctx.clock, SimulatedClock)
        ctx.clock.advance(1)
        assert (
            client.post("/v1/transactions", json=transaction(9), headers=headers).status_code == 201
        )
    finally:
        ctx.close()


def test_login_is_rate_limited_per_ip(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, login_rate_limit_rps=0.1, login_rate_limit_burst=2)
    try:
        client = TestClient(create_app(context=ctx))
        body = {"username": "nobody", "password": "x", "totp": "000000"}
        codes = [client.post("/v1/auth/login", json=body).status_code for _ in range(3)]
        assert codes == [401, 401, 429]
    finally:
        ctx.close()
