"""Where SQL connectors remember how far they got, and the rows they could not load.

One small SQLite file in the data dir (``sources.db``). Per connector name it
holds the last (watermark, key) loaded and, in the same database, the dead
letters: source rows that failed validation, with their reasons. Saving the
position and the dead letters of a poll is one SQLite transaction, so after a
crash both are either from before the poll or from after it, never a mix.

Watermark and key values keep their type across restarts (an integer stays an
integer, an aware timestamp an aware timestamp), because comparing a
timestamp column with the text of a timestamp is not the same query everywhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from finmon.core.errors import ConflictError, ValidationError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sql_positions (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    watermark TEXT NOT NULL,
    key TEXT NOT NULL,
    rows_loaded INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sql_dead_letters (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    watermark TEXT NOT NULL,
    row TEXT NOT NULL,
    errors TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
"""


def encode_value(value: Any) -> str:
    """A watermark or key as tagged JSON text that :func:`decode_value` reads back exactly."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"cannot use {value!r} as a watermark or key", field="watermark")
    if isinstance(value, int):
        return orjson.dumps({"int": str(value)}).decode()
    if isinstance(value, datetime):
        tag = "naive" if value.tzinfo is None else "instant"
        return orjson.dumps({tag: value.isoformat()}).decode()
    if isinstance(value, date):
        return orjson.dumps({"date": value.isoformat()}).decode()
    if isinstance(value, Decimal):
        return orjson.dumps({"decimal": format(value, "f")}).decode()
    if isinstance(value, str):
        return orjson.dumps({"text": value}).decode()
    raise ValidationError(
        f"a watermark or key of type {type(value).__name__} is not supported; "
        "use an integer, text, a date or a timestamp column",
        field="watermark",
    )


def decode_value(text: str) -> Any:
    (tag, raw), *_ = orjson.loads(text).items()
    readers: dict[str, Any] = {
        "int": int,
        "instant": datetime.fromisoformat,
        "naive": datetime.fromisoformat,
        "date": date.fromisoformat,
        "decimal": Decimal,
        "text": str,
    }
    return readers[tag](raw)


@dataclass(frozen=True, slots=True)
class Position:
    """How far a connector has loaded: the last (watermark, key) and the rows so far."""

    watermark: Any
    key: Any
    rows_loaded: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A source row that failed validation, kept with its reasons (never dropped)."""

    key: Any
    watermark: Any
    row: dict[str, Any]
    errors: list[str]


class SqlState:
    """The positions and dead letters of every SQL connector, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # a saved position survives power loss
            with conn:
                yield conn

    def position(self, name: str, source: str) -> Position | None:
        """The saved position, refusing one that was saved for a different source."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT source, watermark, key, rows_loaded FROM sql_positions WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            return None
        if row[0] != source:
            raise ConflictError(
                f"connector {name!r} was last used for {row[0]}, not {source}; "
                "give this source its own --name",
                field="name",
            )
        return Position(decode_value(row[1]), decode_value(row[2]), row[3])

    def save(
        self,
        name: str,
        source: str,
        position: Position,
        dead_letters: Sequence[DeadLetter] = (),
    ) -> None:
        """Advance the position and record dead letters, atomically."""
        now = datetime.now(UTC).isoformat()
        with self._connect() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO sql_dead_letters VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        name,
                        encode_value(d.key),
                        encode_value(d.watermark),
                        orjson.dumps(d.row, default=str).decode(),
                        orjson.dumps(d.errors).decode(),
                        now,
                    )
                    for d in dead_letters
                ],
            )
            conn.execute(
                "INSERT OR REPLACE INTO sql_positions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    name,
                    source,
                    encode_value(position.watermark),
                    encode_value(position.key),
                    position.rows_loaded,
                    now,
                ),
            )

    def dead_letters(self, name: str) -> list[DeadLetter]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT key, watermark, row, errors FROM sql_dead_letters WHERE name = ? "
                "ORDER BY recorded_at, key",
                (name,),
            ).fetchall()
        return [
            DeadLetter(decode_value(k), decode_value(w), orjson.loads(r), orjson.loads(e))
            for k, w, r, e in rows
        ]


__all__ = ["DeadLetter", "Position", "SqlState", "decode_value", "encode_value"]
