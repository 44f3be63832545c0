"""Append validated rows to the log as events, in batches, counting what was new.

The log de-duplicates by event id, and a transaction's event id is derived from
its ``transaction_id``, so appending a row that an earlier import (or an
interrupted poll) already stored is safe: it is counted as a duplicate and not
stored twice. Batches of :data:`APPEND_BATCH` keep each database transaction
short while amortising its commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from finmon.core.clock import Clock
from finmon.events.envelope import Envelope
from finmon.events.log import Log
from finmon.sources.events import transaction_envelopes

APPEND_BATCH = 5_000


def append_rows(
    log: Log,
    rows: Sequence[Mapping[str, Any]],
    make: Callable[[Sequence[Mapping[str, Any]]], list[Envelope]],
    *,
    batch: int = APPEND_BATCH,
) -> tuple[int, int]:
    """Append ``make(chunk)`` for every chunk of rows; return (newly stored, already in the log)."""
    stored = duplicates = 0
    for start in range(0, len(rows), batch):
        envelopes = make(rows[start : start + batch])
        result = log.append_batch(envelopes)
        stored += len(result.appended)
        duplicates += len(result.duplicates)
    return stored, duplicates


def append_transactions(
    log: Log, rows: Sequence[Mapping[str, Any]], *, clock: Clock | None = None
) -> tuple[int, int]:
    """Append clean canonical rows as ``transaction.received``: (stored, duplicates)."""
    return append_rows(log, rows, lambda chunk: transaction_envelopes(chunk, clock=clock))


__all__ = ["APPEND_BATCH", "append_rows", "append_transactions"]
