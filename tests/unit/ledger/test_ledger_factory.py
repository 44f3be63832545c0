"""open_ledger: SQLite in the data dir by default, or a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from finmon.core.errors import ValidationError
from finmon.core.settings import load_settings
from finmon.events.stores.base import LogStore
from finmon.events.stores.postgres import PostgresLogStore
from finmon.ledger import AccountType, open_ledger
from finmon.ledger.factory import Backend


def test_the_ledger_lives_where_the_settings_say(
    store_factory: Callable[[], LogStore], tmp_path: Path
) -> None:
    made = store_factory()  # on PostgreSQL: a throwaway schema to put the ledger in
    backend: Backend = "sqlite"
    schema = "unused"
    settings = load_settings(data_dir=tmp_path)
    if isinstance(made, PostgresLogStore):
        backend, schema = "postgres", made.schema
        settings = load_settings(data_dir=tmp_path, postgres_url=made.url)
    ledger = open_ledger(settings, backend=backend, schema=schema)
    try:
        ledger.open_account("assets", AccountType.ASSET, "USD")
    finally:
        ledger.close()
    again = open_ledger(settings, backend=backend, schema=schema)  # migrations run once
    try:
        assert [a.id for a in again.accounts()] == ["assets"]
    finally:
        again.close()
    assert (tmp_path / "ledger.db").is_file() == (backend == "sqlite")


def test_postgres_needs_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINMON_POSTGRES_URL", raising=False)
    with pytest.raises(ValidationError, match="needs postgres_url"):
        open_ledger(load_settings(data_dir=tmp_path), backend="postgres")
