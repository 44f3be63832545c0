"""Log stores: SQLite (embedded default) and PostgreSQL, behind one protocol."""

from finmon.events.stores.base import Checkpoint, Head, LogStore, LogWriter, RecordRow
from finmon.events.stores.sqlite import SqliteLogStore

__all__ = ["Checkpoint", "Head", "LogStore", "LogWriter", "RecordRow", "SqliteLogStore"]
