"""SQL polling: resume across restarts, the crash window, dead letters, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from finmon.core.errors import ConflictError, ValidationError
from finmon.events.log import Log
from finmon.sources.samples import sample_transactions
from finmon.sources.sql import SqlPoller, SqlSource, engine_url
from finmon.sources.sqlstate import SqlState, decode_value, encode_value
from finmon.sources.warehouse import write_warehouse_table


def _stored_ids(log: Log) -> list[str]:
    ids = []
    for record in log.read():
        event = orjson.loads(record.body)
        if event["type"] == "transaction.received":
            ids.append(event["payload"]["transaction_id"])
    return ids


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"wh_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield url + f"?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def state(tmp_path: Path) -> SqlState:
    return SqlState(tmp_path / "data" / "sources.db")


def _poller(url: str, log: Log, state: SqlState, **kwargs: Any) -> SqlPoller:
    options = {"watermark": "row_id", "key": "row_id", "table": "transactions", "batch_size": 40}
    options.update(kwargs)
    return SqlPoller(SqlSource(url, **options), log, state)


@pytest.mark.parametrize("watermark", ["row_id", "loaded_at"])
def test_loads_every_row_once_and_resumes_after_restart(
    warehouse_url: str, ingest_log: Log, state: SqlState, watermark: str
) -> None:
    write_warehouse_table(warehouse_url, "transactions", sample_transactions(100))
    first = _poller(warehouse_url, ingest_log, state, watermark=watermark)
    assert first.poll_once().accepted == 40
    first.close()
    write_warehouse_table(warehouse_url, "transactions", sample_transactions(30, start=100))
    second = _poller(warehouse_url, ingest_log, state, watermark=watermark)  # a restart
    total = second.run(once=True)
    second.close()
    assert (total.rows, total.accepted, total.duplicates) == (90, 90, 0)
    ids = _stored_ids(ingest_log)
    assert len(ids) == len(set(ids)) == 130
    assert _poller(warehouse_url, ingest_log, state, watermark=watermark).poll_once().rows == 0


def test_a_crash_between_append_and_save_repeats_nothing(
    warehouse_url: str, ingest_log: Log, state: SqlState
) -> None:
    write_warehouse_table(warehouse_url, "transactions", sample_transactions(100))

    def crash() -> None:
        raise KeyboardInterrupt

    crashing = _poller(warehouse_url, ingest_log, state)
    crashing.after_append = crash
    with pytest.raises(KeyboardInterrupt):
        crashing.poll_once()
    assert len(_stored_ids(ingest_log)) == 40  # appended, but the position did not move
    total = _poller(warehouse_url, ingest_log, state).run(once=True)
    assert (total.rows, total.accepted, total.duplicates) == (100, 60, 40)
    assert len(_stored_ids(ingest_log)) == 100


def test_bad_rows_are_dead_lettered_and_never_stall(
    warehouse_url: str, ingest_log: Log, state: SqlState
) -> None:
    rows = sample_transactions(50).to_pylist()
    rows[10]["amount"] = "-1.00"
    rows[45]["currency"] = "ZZZ"
    write_warehouse_table(warehouse_url, "transactions", rows)
    total = _poller(warehouse_url, ingest_log, state).run(once=True)
    assert (total.rows, total.accepted, total.rejected) == (50, 48, 2)
    letters = state.dead_letters("transactions")
    assert [d.key for d in letters] == [11, 46]
    assert letters[0].row["transaction_id"] == rows[10]["transaction_id"]
    assert letters[0].errors == [
        "amount: '-1.00' is negative; amounts are positive and direction says debit/credit"
    ]
    assert [p.row for p in total.problems] == [11, 46]


def test_a_query_source(warehouse_url: str, ingest_log: Log, state: SqlState) -> None:
    write_warehouse_table(warehouse_url, "transactions", sample_transactions(40))
    query = "SELECT * FROM transactions WHERE currency = 'JPY'"
    poller = _poller(warehouse_url, ingest_log, state, table=None, query=query, name="jpy")
    assert poller.run(once=True).accepted == 10


def test_a_name_reused_for_another_source_is_refused(
    warehouse_url: str, ingest_log: Log, state: SqlState
) -> None:
    write_warehouse_table(warehouse_url, "transactions", sample_transactions(5))
    _poller(warehouse_url, ingest_log, state, name="x").run(once=True)
    with pytest.raises(ConflictError, match="give this source its own --name"):
        _poller(warehouse_url, ingest_log, state, name="x", watermark="loaded_at").poll_once()


def test_a_missing_watermark_column_is_named(
    tmp_path: Path, ingest_log: Log, state: SqlState
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    write_warehouse_table(url, "transactions", sample_transactions(3))
    query = "SELECT transaction_id, row_id FROM transactions"
    poller = _poller(
        url, ingest_log, state, table=None, query=query, watermark="row_id", key="nope"
    )
    with pytest.raises(ValidationError, match="no such column: nope"):
        poller.poll_once()


def test_source_arguments_are_checked() -> None:
    with pytest.raises(ValidationError, match="a table or a query"):
        SqlSource("sqlite://", "w", "k")
    with pytest.raises(ValidationError, match="a table or a query"):
        SqlSource("sqlite://", "w", "k", table="t", query="q")


def test_postgres_urls_get_the_psycopg_driver() -> None:
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.parametrize(
    "value",
    [
        7,
        "abc",
        datetime(2026, 1, 1, tzinfo=UTC),
        date(2026, 1, 1),
        Decimal("1.50"),
    ],
)
def test_positions_keep_their_type(value: Any) -> None:
    decoded = decode_value(encode_value(value))
    assert decoded == value
    assert type(decoded) is type(value)
