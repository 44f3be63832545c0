"""Database engines shared by every package that persists state.

Each package owns its tables and its migrations; this package only opens
connections the same way everywhere (pragmas, time-outs, clear errors when a
server is down) and applies ordered, recorded migrations.
"""

from finmon.store.migrations import Migration, apply_migrations
from finmon.store.postgres import connect_postgres, postgres_reachable
from finmon.store.sqlite import connect_sqlite

__all__ = [
    "Migration",
    "apply_migrations",
    "connect_postgres",
    "connect_sqlite",
    "postgres_reachable",
]
