"""Exporting the log to JSON Lines and Parquet: counts, columns, values, starting point."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from finmon.events import export as export_module
from finmon.events.envelope import Envelope
from finmon.events.export import export_jsonl, export_parquet
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.sqlite import SqliteLogStore

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
COUNT = 12
COLUMNS = [
    "seq",
    "hash",
    "id",
    "type",
    "schema_version",
    "partition_key",
    "occurred_at",
    "recorded_at",
    "correlation_id",
    "causation_id",
    "payload",
]


def event(n: int) -> Envelope:
    return Envelope(
        id=f"evt-{n:04d}",
        type="ledger.posted" if n % 3 else "transaction.received",
        schema_version=1 + n % 2,
        partition_key=f"acct-{n % 4}",
        # Every other event has a whole-second time: both RFC 3339 forms must load.
        occurred_at=T0 + timedelta(seconds=n, microseconds=0 if n % 2 else 250 * n),
        recorded_at=T0 + timedelta(seconds=n + 1),
        payload={"n": n, "amount": {"minor": str(100 * n), "currency": "EUR"}, "tags": ["a"]},
        correlation_id=f"flow-{n // 4}",
        causation_id=f"evt-{n - 1:04d}" if n else None,
    )


EVENTS = [event(n) for n in range(COUNT)]


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Log]:
    store = SqliteLogStore(tmp_path / "e.db")
    log = Log(store, Signer.generate(), checkpoint_interval=5)
    log.append_batch(EVENTS)
    yield log
    store.close()


def test_jsonl_has_one_line_per_record_with_the_exact_body(log: Log, tmp_path: Path) -> None:
    out = tmp_path / "out" / "events.jsonl"
    assert export_jsonl(log, out) == COUNT
    lines = out.read_bytes().splitlines()
    assert len(lines) == COUNT
    records = list(log.read())
    for line, record, original in zip(lines, records, EVENTS, strict=True):
        row = orjson.loads(line)
        assert set(row) == {"seq", "hash", "event"}
        assert row["seq"] == record.seq
        assert row["hash"] == record.hash.hex()
        assert orjson.dumps(row["event"], option=orjson.OPT_SORT_KEYS) == record.body
        assert Envelope.from_dict(row["event"]) == original


def test_jsonl_from_a_sequence_number(log: Log, tmp_path: Path) -> None:
    out = tmp_path / "tail.jsonl"
    assert export_jsonl(log, out, seq_from=8) == COUNT - 7
    seqs = [orjson.loads(line)["seq"] for line in out.read_bytes().splitlines()]
    assert seqs == list(range(8, COUNT + 1))
    assert export_jsonl(log, out, seq_from=COUNT + 1) == 0
    assert out.read_bytes() == b""


def test_parquet_has_the_envelope_columns_and_values(log: Log, tmp_path: Path) -> None:
    out = tmp_path / "events.parquet"
    assert export_parquet(log, out) == COUNT
    table = pq.read_table(out)
    assert table.num_rows == COUNT
    assert table.column_names == COLUMNS
    assert table.schema.field("seq").type == pa.int64()
    assert table.schema.field("schema_version").type == pa.int32()
    assert table.schema.field("occurred_at").type == pa.timestamp("us", tz="UTC")
    rows = table.to_pylist()
    records = list(log.read())
    for row, record, original in zip(rows, records, EVENTS, strict=True):
        assert row["seq"] == record.seq
        assert row["hash"] == record.hash.hex()
        assert row["id"] == original.id
        assert row["type"] == original.type
        assert row["schema_version"] == original.schema_version
        assert row["partition_key"] == original.partition_key
        assert row["occurred_at"] == original.occurred_at
        assert row["recorded_at"] == original.recorded_at
        assert row["correlation_id"] == original.correlation_id
        assert row["causation_id"] == original.causation_id
        assert orjson.loads(row["payload"]) == original.payload
    assert rows[0]["causation_id"] is None
    assert rows[2]["occurred_at"].microsecond == 500


def test_parquet_from_a_sequence_number(log: Log, tmp_path: Path) -> None:
    out = tmp_path / "tail.parquet"
    assert export_parquet(log, out, seq_from=10) == COUNT - 9
    assert pq.read_table(out).column("seq").to_pylist() == list(range(10, COUNT + 1))


def test_parquet_of_nothing_is_an_empty_table_with_the_schema(log: Log, tmp_path: Path) -> None:
    out = tmp_path / "none.parquet"
    assert export_parquet(log, out, seq_from=COUNT + 1) == 0
    table = pq.read_table(out)
    assert table.num_rows == 0
    assert table.column_names == COLUMNS


def test_parquet_writes_several_row_groups(
    log: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "_ROW_GROUP", 5)
    out = tmp_path / "groups.parquet"
    assert export_parquet(log, out) == COUNT
    assert pq.ParquetFile(out).metadata.num_row_groups == 3
    assert pq.read_table(out).column("seq").to_pylist() == list(range(1, COUNT + 1))


def test_exports_of_an_empty_log(tmp_path: Path) -> None:
    store = SqliteLogStore(tmp_path / "empty.db")
    try:
        log = Log(store, Signer.generate())
        assert export_jsonl(log, tmp_path / "empty.jsonl") == 0
        assert export_parquet(log, tmp_path / "empty.parquet") == 0
        assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0
    finally:
        store.close()
