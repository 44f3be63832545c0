"""Fixtures of the API tests: a context over a temp data dir, a client, Redis, log capture."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finmon.api import create_app
from finmon.api.context import ApiContext
from finmon.api.testing import SECRETS, make_context
from finmon.core.clock import SimulatedClock
from finmon.testing import in_ci

REDIS_URL = os.environ.get("FINMON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_redis_state: dict[str, str | None] = {}


def require_redis() -> str:
    """The test Redis URL; skip (outside CI only) when it is down."""
    if REDIS_URL not in _redis_state:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
            _redis_state[REDIS_URL] = None
        except redis.RedisError as exc:
            _redis_state[REDIS_URL] = str(exc)
    problem = _redis_state[REDIS_URL]
    if problem is not None:
        if in_ci():
            pytest.fail(f"CI=true but Redis is unreachable: {problem}")
        pytest.skip(f"Redis unreachable ({problem}); set FINMON_TEST_REDIS_URL")
    return REDIS_URL


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ApiContext]:
    context = make_context(tmp_path / "data")
    yield context
    context.close()


@pytest.fixture
def clock(ctx: ApiContext) -> SimulatedClock:
    assert isinstance(ctx.clock, SimulatedClock)
    return ctx.clock


@pytest.fixture
def client(ctx: ApiContext) -> Iterator[TestClient]:
    with TestClient(create_app(context=ctx)) as test_client:
        yield test_client


@pytest.fixture
def redis_url() -> str:
    """The local Redis; skipped outside CI when it is down, a failure under CI=true."""
    return require_redis()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A unique key prefix on the test Redis; its keys are deleted afterwards."""
    import redis

    url = redis_url
    prefix = f"finmon:test:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture(autouse=True)
def no_secret_in_logs() -> Iterator[list[str]]:
    """Every API test: no secret a helper made, and no card number, reaches a log line."""
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = "\n".join(handler.lines)
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{len(leaked)} secret(s) appeared in log lines"
    assert "4111111111111111" not in text.replace(" ", "").replace("-", "")
