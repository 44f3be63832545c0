"""Open the configured log: the one place settings turn into a Log."""

from __future__ import annotations

from finmon.core.clock import Clock
from finmon.core.settings import Settings
from finmon.events.log import Log
from finmon.events.published import CheckpointFile
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.events.stores.sqlite import SqliteLogStore


def open_store(settings: Settings) -> LogStore:
    """The log store the settings name: SQLite in the data dir, or PostgreSQL."""
    if settings.log_store == "postgres":
        from finmon.events.stores.postgres import PostgresLogStore

        assert settings.postgres_url is not None  # noqa: S101 - settings validate this
        return PostgresLogStore(settings.postgres_url)
    return SqliteLogStore(settings.log_path)


def published_checkpoints(settings: Settings) -> CheckpointFile:
    """Where checkpoints are published outside the database."""
    return CheckpointFile(settings.resolved_signing_key_path.parent / "published-checkpoints.jsonl")


def open_log(settings: Settings, *, clock: Clock | None = None) -> Log:
    """The configured log, its signing key (created on first use) and publication file."""
    signer = Signer.load_or_create(settings.resolved_signing_key_path)
    return Log(
        open_store(settings),
        signer,
        checkpoint_interval=settings.checkpoint_interval,
        clock=clock,
        on_checkpoint=published_checkpoints(settings),
    )


__all__ = ["open_log", "open_store", "published_checkpoints"]
