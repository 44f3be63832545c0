"""Export the log to JSON Lines or Parquet, streaming, for analysts and the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from finmon.events.log import Log, LogRecord

_ROW_GROUP = 65_536


def export_jsonl(log: Log, out: Path, seq_from: int = 1) -> int:
    """One line per record: ``{"seq", "hash", "event"}``; returns the count."""
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        for record in log.read(seq_from):
            event = orjson.Fragment(record.body)
            handle.write(
                orjson.dumps({"seq": record.seq, "hash": record.hash.hex(), "event": event})
            )
            handle.write(b"\n")
            count += 1
    return count


def export_parquet(log: Log, out: Path, seq_from: int = 1) -> int:
    """A flat table: envelope fields as columns, the payload as a JSON string."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("seq", pa.int64()),
            ("hash", pa.string()),
            ("id", pa.string()),
            ("type", pa.string()),
            ("schema_version", pa.int32()),
            ("partition_key", pa.string()),
            ("occurred_at", pa.timestamp("us", tz="UTC")),
            ("recorded_at", pa.timestamp("us", tz="UTC")),
            ("correlation_id", pa.string()),
            ("causation_id", pa.string()),
            ("payload", pa.string()),
        ]
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        for batch in _batches(log.read(seq_from)):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def _batches(records: Iterator[LogRecord]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        event = orjson.loads(record.body)
        batch.append(
            {
                "seq": record.seq,
                "hash": record.hash.hex(),
                "id": event["id"],
                "type": event["type"],
                "schema_version": event["schema_version"],
                "partition_key": event["partition_key"],
                "occurred_at": datetime.fromisoformat(event["occurred_at"]),
                "recorded_at": datetime.fromisoformat(event["recorded_at"]),
                "correlation_id": event.get("correlation_id"),
                "causation_id": event.get("causation_id"),
                "payload": orjson.dumps(event.get("payload", {})).decode(),
            }
        )
        if len(batch) >= _ROW_GROUP:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["export_jsonl", "export_parquet"]
