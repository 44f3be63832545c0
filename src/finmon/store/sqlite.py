"""SQLite connections with the settings finmon relies on.

WAL lets readers (``events tail``, the dashboard) run while one writer
appends; ``synchronous=FULL`` makes a committed transaction survive power loss,
which a book of record needs (``NORMAL`` survives a process kill but not a power
cut, and is offered for bulk loads). Transactions are explicit
(``isolation_level=None``) so a writer takes the lock with ``BEGIN IMMEDIATE``
before it reads the head it is about to extend.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from finmon.core.errors import UnavailableError

Synchronous = Literal["full", "normal", "off"]


def connect_sqlite(
    path: Path | str,
    *,
    synchronous: Synchronous = "full",
    busy_timeout_ms: int = 30_000,
    readonly: bool = False,
) -> sqlite3.Connection:
    """Open (creating if needed) a WAL-mode database with explicit transactions."""
    target = Path(path)
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{target}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise UnavailableError(f"cannot open SQLite database {target}: {exc}") from exc
    return conn


__all__ = ["Synchronous", "connect_sqlite"]
