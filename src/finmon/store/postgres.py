"""PostgreSQL connections (psycopg 3), imported lazily.

psycopg is an optional extra (``finmon[postgres]``): the embedded default never
needs it, so it is imported only when a PostgreSQL URL is actually used, and a
missing driver or an unreachable server becomes an :class:`UnavailableError`
that says which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finmon.core.errors import UnavailableError
from finmon.core.settings import redact_url

if TYPE_CHECKING:
    import psycopg


def connect_postgres(url: str, *, autocommit: bool = False, **kwargs: Any) -> psycopg.Connection:
    """Open a connection; raise UnavailableError naming the cause when it cannot."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UnavailableError(
            "PostgreSQL support needs the 'postgres' extra: pip install 'finmon[postgres]'"
        ) from exc
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        raise UnavailableError(f"PostgreSQL at {redact_url(url)} is unreachable: {exc}") from exc


def postgres_reachable(url: str) -> tuple[bool, str]:
    """(reachable, detail) without raising: for `finmon info` and /ready."""
    try:
        with connect_postgres(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()
    except UnavailableError as exc:
        return False, exc.message
    return True, f"PostgreSQL {version[0] if version else '?'}"


__all__ = ["connect_postgres", "postgres_reachable"]
