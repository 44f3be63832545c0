"""A "data warehouse" table of canonical transactions, for the SQL connector to poll.

Seed 002 polls a bank's existing warehouse; the simulator (and the tests and
benchmarks) use :func:`write_warehouse_table` to create and fill such a table
in SQLite or PostgreSQL. It has the canonical transaction columns plus two a
real warehouse load would add:

- ``row_id``: a gapless integer per table (the natural watermark and key);
- ``loaded_at``: when the row was loaded (a timestamp watermark, with ``row_id``
  as its tie-breaking key).

Amounts are stored as text, exactly as received (a NUMERIC column would do on
PostgreSQL, but SQLite has no exact decimal type). ``occurred_at`` is a
``timestamptz`` on PostgreSQL and ISO 8601 UTC text on SQLite, which has no
timestamp type either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from finmon.core.clock import Clock, SystemClock
from finmon.sources.canonical import TRANSACTION_COLUMNS
from finmon.sources.sql import engine_url

_INSERT_CHUNK = 10_000


def _instant_type() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def warehouse_table(name: str, metadata: sa.MetaData | None = None) -> sa.Table:
    """The table definition: ``row_id``, ``loaded_at`` and the canonical columns."""
    schema, _, table = name.rpartition(".")
    kinds: dict[str, sa.types.TypeEngine[Any]] = {"float": sa.Float(), "timestamp": _instant_type()}
    return sa.Table(
        table,
        metadata or sa.MetaData(),
        sa.Column("row_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("loaded_at", _instant_type(), nullable=False, index=True),
        *(
            sa.Column(c.name, kinds.get(c.kind, sa.Text()), nullable=not c.required)
            for c in TRANSACTION_COLUMNS
        ),
        schema=schema or None,
    )


def _instant(value: Any, sqlite: bool) -> Any:
    if value is None or value == "":
        return None
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if sqlite:
        return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return instant


def write_warehouse_table(
    url: str,
    table: str,
    rows: pa.Table | Iterable[Mapping[str, Any]],
    *,
    clock: Clock | None = None,
) -> int:
    """Create ``table`` if needed and append ``rows`` (canonical columns, unknown ones dropped).

    Values are stored as given: the point is a realistic source, bad rows
    included, for the connector to validate. Returns the number of rows written.
    """
    engine = sa.create_engine(engine_url(url))
    try:
        definition = warehouse_table(table)
        definition.metadata.create_all(engine)
        sqlite = engine.dialect.name == "sqlite"
        records = rows.to_pylist() if isinstance(rows, pa.Table) else [dict(r) for r in rows]
        loaded_at = _instant((clock or SystemClock()).now(), sqlite)
        names = [c.name for c in TRANSACTION_COLUMNS]
        with engine.begin() as conn:
            start = conn.execute(sa.select(sa.func.max(definition.c.row_id))).scalar() or 0
            prepared = [
                _prepare(record, names, start + offset + 1, loaded_at, sqlite)
                for offset, record in enumerate(records)
            ]
            for first in range(0, len(prepared), _INSERT_CHUNK):
                conn.execute(definition.insert(), prepared[first : first + _INSERT_CHUNK])
        return len(prepared)
    finally:
        engine.dispose()


def _prepare(
    record: Mapping[str, Any], names: list[str], row_id: int, loaded_at: Any, sqlite: bool
) -> dict[str, Any]:
    row = {name: record.get(name) for name in names}
    row["occurred_at"] = _instant(row["occurred_at"], sqlite)
    row["row_id"] = row_id
    row["loaded_at"] = loaded_at
    return row


__all__ = ["warehouse_table", "write_warehouse_table"]
