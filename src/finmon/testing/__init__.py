"""Helpers shared by finmon's tests and benchmarks (and usable by a bank's own tests).

Kept in the package, not in tests/, so that benchmarks and later packages build
their fixtures the same way instead of copying them.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from finmon.events.envelope import Envelope
from finmon.events.stores.base import LogStore
from finmon.events.stores.sqlite import SqliteLogStore

DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def postgres_test_url() -> str:
    """The PostgreSQL server tests use: FINMON_TEST_POSTGRES_URL or the local one."""
    return os.environ.get("FINMON_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)


def in_ci() -> bool:
    """Under CI a backend test must run: a missing server is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


_postgres_state: dict[str, tuple[bool, str]] = {}


def require_postgres() -> str:
    """The test server's URL; skip (outside CI only) when it is down, fail under CI."""
    import pytest

    from finmon.store.postgres import postgres_reachable

    url = postgres_test_url()
    if url not in _postgres_state:
        _postgres_state[url] = postgres_reachable(url)
    ok, detail = _postgres_state[url]
    if not ok:
        if in_ci():
            pytest.fail(f"CI=true but PostgreSQL is unreachable: {detail}")
        pytest.skip(f"PostgreSQL unreachable ({detail}); set FINMON_TEST_POSTGRES_URL")
    return url


def sample_envelope(n: int, *, key_space: int = 100, payload_size: int = 0) -> Envelope:
    """A deterministic envelope, distinct per ``n``: the log's test and bench fodder."""
    payload: dict[str, object] = {
        "n": n,
        "amount": {"amount": f"{n % 100_000}.{n % 100:02d}", "currency": "USD"},
        "debtor": f"acct-{n % key_space}",
        "creditor": f"acct-{(n * 7 + 3) % key_space}",
    }
    if payload_size:
        payload["memo"] = "x" * payload_size
    instant = T0 + timedelta(milliseconds=n)
    return Envelope(
        id=str(uuid.UUID(int=(0x0193 << 112) | n)),
        type="test.payment",
        schema_version=1,
        partition_key=f"acct-{n % key_space}",
        occurred_at=instant,
        recorded_at=instant,
        payload=payload,
    )


def sample_envelopes(start: int, count: int) -> list[Envelope]:
    return [sample_envelope(n) for n in range(start, start + count)]


@contextmanager
def postgres_schema(url: str | None = None) -> Iterator[tuple[str, str]]:
    """A throwaway schema name on the test server; it and ``<name>_*`` are dropped afterwards."""
    from finmon.store.postgres import connect_postgres

    target = url or postgres_test_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield target, schema
    finally:
        with connect_postgres(target, autocommit=True) as conn:
            names = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s",
                (schema, f"{schema}\\_%"),
            ).fetchall()
            for (name,) in names:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def execute_raw(store: LogStore, sql: str, params: tuple[object, ...] = ()) -> None:
    """Run SQL straight against a store's database, behind the Log's back (tamper tests).

    Statements use ``?`` placeholders; they are translated for PostgreSQL.
    """
    if isinstance(store, SqliteLogStore):
        with sqlite3.connect(store.path) as conn:
            conn.execute(sql, params)
        return
    from finmon.events.stores.postgres import PostgresLogStore
    from finmon.store.postgres import connect_postgres

    if not isinstance(store, PostgresLogStore):
        raise TypeError(f"cannot reach the database of {type(store).__name__}")
    with connect_postgres(store.url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{store.schema}"')
        conn.execute(sql.replace("?", "%s"), params)


__all__ = [
    "DEFAULT_TEST_POSTGRES_URL",
    "T0",
    "execute_raw",
    "in_ci",
    "require_postgres",
    "postgres_schema",
    "sample_envelope",
    "sample_envelopes",
    "postgres_test_url",
]
