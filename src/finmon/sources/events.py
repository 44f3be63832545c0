"""Canonical transactions as events on the log and the bus.

A transaction enters finmon as a ``transaction.received`` event whose payload
is the canonical row (strings for ids, codes and amounts; ISO 8601 UTC for
instants; numbers for coordinates; absent optional fields omitted). Its event id
is derived from the bank's ``transaction_id`` (UUIDv5), so the same transaction
delivered twice, from a re-read file, a restarted poller or a redelivered
message, is the same event and the log stores it once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
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


def _fast_event_id(transaction_id: str, prefix: bytes = _NAMESPACE.bytes) -> str:
    """:func:`transaction_event_id` without the uuid module's overhead (same bits: RFC 4122 v5)."""
    digest = bytearray(
        hashlib.sha1(prefix + transaction_id.encode(), usedforsecurity=False).digest()
    )
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def transaction_envelopes(
    rows: Sequence[Mapping[str, Any]],
    *,
    clock: Clock | None = None,
    correlation_id: str | None = None,
) -> list[Envelope]:
    """:func:`transaction_envelope` for a batch: the same events, built about twice as fast.

    Identical ids and payloads; ``recorded_at`` is read from the clock once for
    the batch (the batch is recorded at once). This is the ingestion hot path:
    one envelope per transaction, hundreds of thousands per file.
    """
    recorded_at = (clock or SystemClock()).now()
    envelopes = []
    for row in rows:
        occurred = row["occurred_at"]
        if not isinstance(occurred, datetime):
            occurred = datetime.fromisoformat(str(occurred))
        occurred_at = occurred if occurred.tzinfo is UTC else ensure_utc(occurred, "occurred_at")
        payload = {k: v for k, v in row.items() if v is not None and v != ""}
        payload["occurred_at"] = occurred_at.isoformat().replace("+00:00", "Z")
        envelopes.append(
            Envelope(
                id=_fast_event_id(str(row["transaction_id"])),
                type=TRANSACTION_RECEIVED,
                schema_version=TRANSACTION_SCHEMA_VERSION,
                partition_key=str(row["account_id"]),
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                payload=payload,
                correlation_id=correlation_id,
            )
        )
    return envelopes


__all__ = [
    "TRANSACTIONS_TOPIC",
    "TRANSACTION_RECEIVED",
    "TRANSACTION_SCHEMA_VERSION",
    "transaction_envelope",
    "transaction_event_id",
    "transaction_envelopes",
]
