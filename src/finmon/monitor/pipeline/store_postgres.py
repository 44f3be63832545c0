"""The decision store on PostgreSQL: the same table, for a deployment with a server.

Several pipeline processes may write at once (one consumer group, several
members), so the insert cannot read-then-write as SQLite does under its file
lock: it is ``INSERT ... ON CONFLICT (transaction_id) DO NOTHING RETURNING
transaction_id``, which tells exactly which rows were new, atomically, at any
isolation level. psycopg is imported lazily (the ``postgres`` extra).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from finmon.core.errors import ValidationError
from finmon.monitor.pipeline.store import (
    COLUMNS,
    COMPONENT,
    MIGRATIONS,
    BaseDecisionStore,
    StoredDecision,
    to_row,
)
from finmon.store.migrations import apply_migrations
from finmon.store.postgres import connect_postgres

_SCHEMA_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_ROWS_PER_INSERT = 500  # 16 parameters a row: well under PostgreSQL's 65,535
_ROW_MARKS = "(" + ", ".join(["%s"] * 16) + ")"


class PostgresDecisionStore(BaseDecisionStore):
    """Decisions in a PostgreSQL schema; safe to share between threads (one connection)."""

    _mark = "%s"
    _order = "seq"

    def __init__(self, url: str, *, schema: str = "finmon_monitor") -> None:
        if not _SCHEMA_PATTERN.match(schema):
            raise ValidationError(
                f"schema name {schema!r} must be lowercase letters, digits and _", field="schema"
            )
        self.url = url
        self.schema = schema
        self._lock = threading.Lock()
        conn = connect_postgres(url, autocommit=True)
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        conn.autocommit = False  # apply_migrations brackets its own transaction
        apply_migrations(conn, "postgres", COMPONENT, MIGRATIONS)
        self._conn: Any = conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> PostgresDecisionStore:
        return self

    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock, self._conn.transaction():
            rows: list[tuple[Any, ...]] = self._conn.execute(sql, list(params)).fetchall()
        return rows

    def _insert(self, records: list[StoredDecision]) -> set[str]:
        inserted: set[str] = set()
        with self._lock, self._conn.transaction():
            for start in range(0, len(records), _ROWS_PER_INSERT):
                chunk = records[start : start + _ROWS_PER_INSERT]
                values = ", ".join([_ROW_MARKS] * len(chunk))
                params = [value for record in chunk for value in to_row(record)]
                rows = self._conn.execute(
                    f"INSERT INTO monitor_decisions ({COLUMNS}) VALUES {values}"  # noqa: S608
                    " ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id",
                    params,
                ).fetchall()
                inserted.update(row[0] for row in rows)
        return inserted


__all__ = ["PostgresDecisionStore"]
