"""Fixtures shared by every test: stores on both backends, a log, a signer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from finmon.core.errors import UnavailableError
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.testing import postgres_schema, require_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], LogStore]]:
    """Opens (and reopens) one log's store on each backend; closes them all after."""
    opened: list[LogStore] = []
    if request.param == "sqlite":

        def make() -> LogStore:
            store = SqliteLogStore(tmp_path / "events.db")
            opened.append(store)
            return store

        yield make
    else:
        url = require_postgres()
        from finmon.events.stores.postgres import PostgresLogStore

        with postgres_schema(url) as (target, schema):

            def make() -> LogStore:
                store = PostgresLogStore(target, schema=schema)
                opened.append(store)
                return store

            yield make
            for store in opened:
                try:
                    store.close()
                except UnavailableError:
                    pass
            opened.clear()
    for store in opened:
        store.close()


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def store(store_factory: Callable[[], LogStore]) -> LogStore:
    return store_factory()


@pytest.fixture
def log(store: LogStore, signer: Signer) -> Log:
    return Log(store, signer, checkpoint_interval=16)
