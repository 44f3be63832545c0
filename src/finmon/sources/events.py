"""Canonical transactions as events on the log and the bus.

A transaction enters finmon as a ``transaction.received`` event whose payload
is the canonical row (strings for ids, codes and amounts; ISO 8601 UTC for
instants; numbers for coordinates; absent optional fields omitted). Its event id
is derived from the bank's ``transaction_id`` (UUIDv5), so the same transaction
delivered twice, from a re-read file, a restarted poller or a redelivered
message, is the same event and the log stores it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from finmon.core.clock import Clock, SystemClock, ensure_utc
from finmon.events.envelope import Envelope

TRANSACTION_RECEIVED = "transaction.received"
TRANSACTION_SCHEMA_VERSION = 1
TRANSACTIONS_TOPIC = "transactions"
_NAMESPACE = uuid.UUID("6f1c2b0e-3d4a-5b6c-8d7e-9f0a1b2c3d4e")


def transaction_event_id(transaction_id: str) -> str:
    """The event id of a transaction: stable across every source and every retry."""
    return str(uuid.uuid5(_NAMESPACE, transaction_id))


def transaction_envelope(
    row: Mapping[str, Any],
    *,
    clock: Clock | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """Wrap an already-validated canonical row in its event.

    ``row["occurred_at"]`` is a timezone-aware datetime or an ISO 8601 string
    with a zone; the payload keeps it as ISO 8601 UTC. Empty optional fields
    (None or "") are dropped so the payload holds only what the source sent.
    """
    occurred = row["occurred_at"]
    occurred_at = (
        ensure_utc(occurred, "occurred_at")
        if isinstance(occurred, datetime)
        else ensure_utc(datetime.fromisoformat(str(occurred)), "occurred_at")
    )
    payload = {k: v for k, v in row.items() if v is not None and v != ""}
    payload["occurred_at"] = occurred_at.isoformat().replace("+00:00", "Z")
    return Envelope(
        id=transaction_event_id(str(row["transaction_id"])),
        type=TRANSACTION_RECEIVED,
        schema_version=TRANSACTION_SCHEMA_VERSION,
        partition_key=str(row["account_id"]),
        occurred_at=occurred_at,
        recorded_at=(clock or SystemClock()).now(),
        payload=payload,
        correlation_id=correlation_id,
    )


__all__ = [
    "TRANSACTIONS_TOPIC",
    "TRANSACTION_RECEIVED",
    "TRANSACTION_SCHEMA_VERSION",
    "transaction_envelope",
    "transaction_event_id",
]
