"""The Log on SQLite: the embedded default, one file in the data dir.

``BEGIN IMMEDIATE`` takes SQLite's write lock before the head is read, so a
second writer (another thread or process) waits and then extends the new head;
the primary key on ``seq`` would refuse a fork even if it did not.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from finmon.events.stores.base import (
    Checkpoint,
    DuplicateEventError,
    Head,
    RecordRow,
    StoreSpec,
)
from finmon.store.migrations import Migration, apply_migrations
from finmon.store.sqlite import Synchronous, connect_sqlite

_READ_CHUNK = 8192
_ID_CHUNK = 900  # stays under SQLite's bound-parameter limit on old builds

MIGRATIONS = [
    Migration(
        1,
        "create log tables",
        sqlite=[
            "CREATE TABLE log_records (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,"
            " body BLOB NOT NULL)",
            "CREATE TABLE log_event_ids (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)"
            " WITHOUT ROWID",
            "CREATE TABLE log_checkpoints (seq_to INTEGER PRIMARY KEY, seq_from INTEGER NOT NULL,"
            " root BLOB NOT NULL, head_hash BLOB NOT NULL, created_at TEXT NOT NULL,"
            " key_id TEXT NOT NULL, signature BLOB NOT NULL)",
            "CREATE TABLE log_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
            " hash BLOB NOT NULL)",
            "CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ],
        postgres=[],
    )
]


class _SqliteWriter:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @property
    def connection(self) -> Any:
        return self._conn

    def head(self) -> Head:
        return _read_head(self._conn)

    def known_ids(self, event_ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(event_ids), _ID_CHUNK):
            chunk = event_ids[start : start + _ID_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT event_id, seq FROM log_event_ids WHERE event_id IN ({marks})",  # noqa: S608
                chunk,
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def hashes(self, seq_from: int, seq_to: int) -> list[bytes]:
        rows = self._conn.execute(
            "SELECT hash FROM log_records WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (seq_from, seq_to),
        )
        return [row[0] for row in rows]

    def insert(self, rows: Sequence[RecordRow], event_ids: Sequence[str]) -> None:
        self._conn.execute("SAVEPOINT log_insert")
        try:
            self._conn.executemany("INSERT INTO log_records VALUES (?, ?, ?)", rows)
            # One statement for all ids (json_each in C) costs a third of a
            # per-row executemany; seqs are consecutive from the first row's.
            self._conn.execute(
                "INSERT INTO log_event_ids SELECT value, ? + key FROM json_each(?)",
                (rows[0][0], orjson.dumps(list(event_ids))),
            )
        except sqlite3.IntegrityError as exc:
            self._conn.execute("ROLLBACK TO log_insert")
            self._conn.execute("RELEASE log_insert")
            raise DuplicateEventError(f"an event id is already in the log: {exc}") from exc
        self._conn.execute("RELEASE log_insert")

    def last_checkpoint_seq(self) -> int:
        row = self._conn.execute("SELECT max(seq_to) FROM log_checkpoints").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def insert_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._conn.execute(
            "INSERT INTO log_checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)", checkpoint.as_row()
        )

    def set_head(self, head: Head) -> None:
        self._conn.execute(
            "INSERT INTO log_head VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE"
            " SET seq = excluded.seq, hash = excluded.hash",
            (head.seq, head.hash),
        )


class SqliteLogStore:
    """A log in one SQLite file (WAL)."""

    dialect = "sqlite"

    def __init__(
        self, path: Path | str, *, synchronous: Synchronous = "full", readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self._conn = connect_sqlite(self.path, synchronous=synchronous, readonly=readonly)
        self._lock = threading.Lock()
        if readonly:  # a verifier or reader: never migrate, never take the write lock
            self._log_id = self._read_log_id()
            return
        apply_migrations(self._conn, "sqlite", "events.log", MIGRATIONS)
        self._log_id = self._ensure_log_id()

    def _read_log_id(self) -> str:
        row = self._conn.execute("SELECT value FROM log_meta WHERE key = 'log_id'").fetchone()
        return str(row[0]) if row else ""

    def _ensure_log_id(self) -> str:
        with self.writer():
            self._conn.execute(
                "INSERT OR IGNORE INTO log_meta VALUES ('log_id', ?)", (str(uuid.uuid4()),)
            )
        return self._read_log_id()

    def log_id(self) -> str:
        return self._log_id

    @contextmanager
    def writer(self) -> Iterator[_SqliteWriter]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteWriter(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def head(self) -> Head:
        with self._lock:
            return _read_head(self._conn)

    def read(self, seq_from: int = 1, seq_to: int | None = None) -> Iterator[Sequence[RecordRow]]:
        # A separate connection: a long replay must not hold the writer's connection.
        conn = connect_sqlite(self.path, readonly=True)
        try:
            cursor = conn.execute(
                "SELECT seq, hash, body FROM log_records WHERE seq >= ? AND seq <= ? ORDER BY seq",
                (seq_from, seq_to if seq_to is not None else 2**63 - 1),
            )
            while rows := cursor.fetchmany(_READ_CHUNK):
                yield rows
        finally:
            conn.close()

    def record(self, seq: int) -> RecordRow | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, hash, body FROM log_records WHERE seq = ?", (seq,)
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def max_seq(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT max(seq) FROM log_records").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def spec(self) -> StoreSpec:
        return ("sqlite", str(self.path))

    def checkpoints(self) -> list[Checkpoint]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq_from, seq_to, root, head_hash, created_at, key_id, signature"
                " FROM log_checkpoints ORDER BY seq_to"
            ).fetchall()
        return [Checkpoint(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _read_head(conn: sqlite3.Connection) -> Head:
    row = conn.execute("SELECT seq, hash FROM log_head WHERE id = 1").fetchone()
    return Head() if row is None else Head(row[0], row[1])


__all__ = ["MIGRATIONS", "SqliteLogStore"]
