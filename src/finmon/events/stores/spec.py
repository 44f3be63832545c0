"""Reopen a store from its spec: how worker processes (parallel verify) reach the same log."""

from __future__ import annotations

from finmon.core.errors import ValidationError
from finmon.events.stores.base import LogStore, StoreSpec


def open_spec(spec: StoreSpec, *, readonly: bool = True) -> LogStore:
    """The store a :meth:`LogStore.spec` describes; read-only unless asked otherwise."""
    kind, *rest = spec
    if kind == "sqlite" and len(rest) == 1:
        from finmon.events.stores.sqlite import SqliteLogStore

        return SqliteLogStore(rest[0], readonly=readonly)
    if kind == "postgres" and len(rest) == 2:
        from finmon.events.stores.postgres import PostgresLogStore

        return PostgresLogStore(rest[0], schema=rest[1], readonly=readonly)
    raise ValidationError(f"unknown store spec {spec!r}", field="spec")


__all__ = ["open_spec"]
