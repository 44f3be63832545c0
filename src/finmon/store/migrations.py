"""Ordered, recorded schema migrations for SQLite and PostgreSQL.

A component (``events.log``, later ``ledger``) declares its migrations as a
list; each runs once, inside a transaction with its bookkeeping row, so a crash
mid-migration leaves the schema at the previous version. Plain SQL per dialect
keeps the hot paths free of an ORM (see docs/architecture.md for why the log
does not go through SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Dialect = Literal["sqlite", "postgres"]

_SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
    " PRIMARY KEY (component, version))"
)


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: its version within the component, a name, SQL per dialect."""

    version: int
    name: str
    sqlite: Sequence[str]
    postgres: Sequence[str]


def apply_migrations(
    conn: Any, dialect: Dialect, component: str, migrations: Sequence[Migration]
) -> int:
    """Apply the migrations ``conn`` has not seen; return the resulting version.

    ``conn`` is a sqlite3 connection in explicit-transaction mode or a psycopg
    connection (not in autocommit); both use ``BEGIN``/``COMMIT`` here.
    """
    ordered = sorted(migrations, key=lambda m: m.version)
    if dialect == "sqlite":
        conn.execute(_SQLITE_TABLE)
        return _apply_sqlite(conn, component, ordered)
    return _apply_postgres(conn, component, ordered)


def _apply_sqlite(conn: Any, component: str, ordered: Sequence[Migration]) -> int:
    version = 0
    for migration in ordered:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE component=? AND version=?",
                (component, migration.version),
            ).fetchone()
            if not done:
                for statement in migration.sqlite:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (component, migration.version, migration.name),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = migration.version
    return version


def _apply_postgres(conn: Any, component: str, ordered: Sequence[Migration]) -> int:
    version = 0
    with conn.transaction():
        # One lock per component: two processes starting at once must not both migrate.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"migrate:{component}",))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
            " PRIMARY KEY (component, version))"
        )
        for migration in ordered:
            done = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE component=%s AND version=%s",
                (component, migration.version),
            ).fetchone()
            if not done:
                for statement in migration.postgres:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                    (component, migration.version, migration.name),
                )
            version = migration.version
    return version


__all__ = ["Dialect", "Migration", "apply_migrations"]
