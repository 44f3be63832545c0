"""Open the configured ledger: SQLite in the data dir, or a PostgreSQL schema."""

from __future__ import annotations

from typing import Literal

from finmon.core.clock import Clock
from finmon.core.errors import ValidationError
from finmon.core.settings import Settings, load_settings
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.ledger.ledger import Ledger

Backend = Literal["sqlite", "postgres"]
DEFAULT_SCHEMA = "finmon_ledger"


def ledger_store(settings: Settings, backend: Backend, schema: str = DEFAULT_SCHEMA) -> LogStore:
    """The journal store: ``<data_dir>/ledger.db`` or ``schema`` on ``postgres_url``."""
    if backend == "postgres":
        if not settings.postgres_url:
            raise ValidationError(
                "the postgres ledger needs postgres_url (FINMON_POSTGRES_URL)", field="postgres_url"
            )
        from finmon.events.stores.postgres import PostgresLogStore

        return PostgresLogStore(settings.postgres_url, schema=schema)
    from finmon.events.stores.sqlite import SqliteLogStore

    return SqliteLogStore(settings.data_dir / "ledger.db")


def open_ledger(
    settings: Settings | None = None,
    *,
    backend: Backend = "sqlite",
    schema: str = DEFAULT_SCHEMA,
    clock: Clock | None = None,
) -> Ledger:
    """The ledger the settings describe, journaled with the log's signing key."""
    settings = settings or load_settings()
    signer = Signer.load_or_create(settings.resolved_signing_key_path)
    log = Log(
        ledger_store(settings, backend, schema),
        signer,
        checkpoint_interval=settings.checkpoint_interval,
        clock=clock,
    )
    return Ledger(log, clock=clock)


__all__ = ["DEFAULT_SCHEMA", "Backend", "ledger_store", "open_ledger"]
