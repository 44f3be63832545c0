"""The Log on PostgreSQL, for several processes and machines.

Writers serialise on the single head row (``SELECT ... FOR UPDATE``), read the
head, append with binary ``COPY`` (the fastest bulk path psycopg offers) and
move the head in the same transaction. A killed writer's transaction is rolled
back by the server, so the log stays gapless. Each log lives in its own schema
(default ``finmon_events``), which is also how tests isolate themselves.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from finmon.core.errors import ValidationError
from finmon.events.merkle import GENESIS_HASH
from finmon.events.stores.base import (
    Checkpoint,
    DuplicateEventError,
    Head,
    RecordRow,
    StoreSpec,
)
from finmon.store.migrations import Migration, apply_migrations
from finmon.store.postgres import connect_postgres

_READ_CHUNK = 8192
_SCHEMA_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

MIGRATIONS = [
    Migration(
        1,
        "create log tables",
        sqlite=[],
        postgres=[
            "CREATE TABLE log_records (seq BIGINT PRIMARY KEY, hash BYTEA NOT NULL,"
            " body BYTEA NOT NULL)",
            "CREATE TABLE log_event_ids (event_id TEXT PRIMARY KEY, seq BIGINT NOT NULL)",
            "CREATE TABLE log_checkpoints (seq_to BIGINT PRIMARY KEY, seq_from BIGINT NOT NULL,"
            " root BYTEA NOT NULL, head_hash BYTEA NOT NULL, created_at TEXT NOT NULL,"
            " key_id TEXT NOT NULL, signature BYTEA NOT NULL)",
            "CREATE TABLE log_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL,"
            " hash BYTEA NOT NULL)",
            "CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ],
    )
]


class _PostgresWriter:
    def __init__(self, conn: Any, head: Head) -> None:
        self._conn = conn
        self._head = head

    @property
    def connection(self) -> Any:
        return self._conn

    def head(self) -> Head:
        return self._head

    def known_ids(self, event_ids: Sequence[str]) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT event_id, seq FROM log_event_ids WHERE event_id = ANY(%s)", (list(event_ids),)
        )
        return {row[0]: row[1] for row in rows}

    def hashes(self, seq_from: int, seq_to: int) -> list[bytes]:
        rows = self._conn.execute(
            "SELECT hash FROM log_records WHERE seq BETWEEN %s AND %s ORDER BY seq",
            (seq_from, seq_to),
        )
        return [bytes(row[0]) for row in rows]

    def insert(self, rows: Sequence[RecordRow], event_ids: Sequence[str]) -> None:
        import psycopg

        try:
            with self._conn.transaction(), self._conn.cursor() as cur:  # a savepoint
                self._copy(cur, rows, event_ids)
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateEventError(f"an event id is already in the log: {exc}") from exc

    @staticmethod
    def _copy(cur: Any, rows: Sequence[RecordRow], event_ids: Sequence[str]) -> None:
        with cur.copy("COPY log_records (seq, hash, body) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "bytea", "bytea"])
            for row in rows:
                copy.write_row(row)
        with cur.copy("COPY log_event_ids (event_id, seq) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "int8"])
            for event_id, row in zip(event_ids, rows, strict=True):
                copy.write_row((event_id, row[0]))

    def last_checkpoint_seq(self) -> int:
        row = self._conn.execute("SELECT max(seq_to) FROM log_checkpoints").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def insert_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._conn.execute(
            "INSERT INTO log_checkpoints VALUES (%s, %s, %s, %s, %s, %s, %s)", checkpoint.as_row()
        )

    def set_head(self, head: Head) -> None:
        self._conn.execute(
            "UPDATE log_head SET seq = %s, hash = %s WHERE id = 1", (head.seq, head.hash)
        )
        self._head = head


class PostgresLogStore:
    """A log in one PostgreSQL schema."""

    dialect = "postgres"

    def __init__(self, url: str, *, schema: str = "finmon_events", readonly: bool = False) -> None:
        if not _SCHEMA_PATTERN.match(schema):
            raise ValidationError(
                f"schema name {schema!r} must be lowercase letters, digits and _", field="schema"
            )
        self.url = url
        self.schema = schema
        self._lock = threading.Lock()
        self._readonly = readonly
        self._conn = self._connect()
        if readonly:
            with self._conn.transaction():
                row = self._conn.execute(
                    "SELECT value FROM log_meta WHERE key = 'log_id'"
                ).fetchone()
            self._log_id = str(row[0]) if row else ""
            return
        apply_migrations(self._conn, "postgres", "events.log", MIGRATIONS)
        self._log_id = self._ensure_meta()

    def _connect(self) -> Any:
        conn = connect_postgres(self.url, autocommit=True)
        if not self._readonly:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        conn.execute(f'SET search_path TO "{self.schema}"')
        conn.autocommit = False
        return conn

    def _ensure_meta(self) -> str:
        with self._conn.transaction():
            self._conn.execute(
                "INSERT INTO log_head VALUES (1, 0, %s) ON CONFLICT (id) DO NOTHING",
                (GENESIS_HASH,),
            )
            self._conn.execute(
                "INSERT INTO log_meta VALUES ('log_id', %s) ON CONFLICT (key) DO NOTHING",
                (str(uuid.uuid4()),),
            )
            row = self._conn.execute("SELECT value FROM log_meta WHERE key = 'log_id'").fetchone()
        return str(row[0])

    def log_id(self) -> str:
        return self._log_id

    @contextmanager
    def writer(self) -> Iterator[_PostgresWriter]:
        with self._lock, self._conn.transaction():
            row = self._conn.execute(
                "SELECT seq, hash FROM log_head WHERE id = 1 FOR UPDATE"
            ).fetchone()
            yield _PostgresWriter(self._conn, Head(row[0], bytes(row[1])))

    def head(self) -> Head:
        with self._lock, self._conn.transaction():
            row = self._conn.execute("SELECT seq, hash FROM log_head WHERE id = 1").fetchone()
        return Head(row[0], bytes(row[1]))

    def read(self, seq_from: int = 1, seq_to: int | None = None) -> Iterator[Sequence[RecordRow]]:
        conn = self._connect()
        try:
            # Binary results: bytea arrives as bytes, with no hex decoding.
            with conn.transaction(), conn.cursor(name="log_read", binary=True) as cur:
                cur.itersize = _READ_CHUNK
                cur.execute(
                    "SELECT seq, hash, body FROM log_records WHERE seq BETWEEN %s AND %s"
                    " ORDER BY seq",
                    (seq_from, seq_to if seq_to is not None else 2**63 - 1),
                )
                while rows := cur.fetchmany(_READ_CHUNK):
                    yield rows
        finally:
            conn.close()

    def record(self, seq: int) -> RecordRow | None:
        with self._lock, self._conn.transaction():
            row = self._conn.execute(
                "SELECT seq, hash, body FROM log_records WHERE seq = %s", (seq,)
            ).fetchone()
        return None if row is None else (row[0], bytes(row[1]), bytes(row[2]))

    def max_seq(self) -> int:
        with self._lock, self._conn.transaction():
            row = self._conn.execute("SELECT max(seq) FROM log_records").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def spec(self) -> StoreSpec:
        return ("postgres", self.url, self.schema)

    def checkpoints(self) -> list[Checkpoint]:
        with self._lock, self._conn.transaction():
            rows = self._conn.execute(
                "SELECT seq_from, seq_to, root, head_hash, created_at, key_id, signature"
                " FROM log_checkpoints ORDER BY seq_to"
            ).fetchall()
        return [
            Checkpoint(r[0], r[1], bytes(r[2]), bytes(r[3]), r[4], r[5], bytes(r[6])) for r in rows
        ]

    def drop(self) -> None:
        """Remove the whole schema (tests and `events reset`)."""
        with self._lock, self._conn.transaction():
            self._conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def close(self) -> None:
        with self._lock:
            self._conn.close()


__all__ = ["MIGRATIONS", "PostgresLogStore"]
