"""The event envelope: the one shape every fact in finmon travels in.

An envelope is immutable and serialises to canonical bytes (orjson, keys
sorted, UTC timestamps with microseconds). Those bytes are what the Log hashes
and stores, so the same event always hashes the same, on any machine, in any
replay. The payload is plain JSON data that a registered schema has already
validated (see :mod:`finmon.events.schemas`); the envelope itself does not know
event types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from finmon.core.clock import ensure_utc
from finmon.core.errors import Problem, ValidationError

_DUMP_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z
_REQUIRED = ("id", "type", "schema_version", "partition_key", "occurred_at", "recorded_at")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A typed, versioned fact with its routing and lineage metadata.

    Attributes:
        id: unique, time-ordered (UUIDv7) event id; consumers de-duplicate on it.
        type: registered event type, dotted (``transaction.received``).
        schema_version: version of the payload schema for ``type``.
        partition_key: what orders the event (usually an account or customer id):
            the Bus keeps events with one key in one partition, in order.
        occurred_at: when the fact happened in the world (event time, UTC).
        recorded_at: when finmon first recorded it (processing time, UTC).
        correlation_id: the id shared by every event of one business flow.
        causation_id: the id of the event that directly caused this one.
        payload: the validated, JSON-compatible body.
    """

    id: str
    type: str
    schema_version: int
    partition_key: str
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None
    causation_id: str | None = None

    def __post_init__(self) -> None:
        # Store both instants in UTC: equal envelopes (same instants, another
        # zone) must give equal canonical bytes, and a naive time is refused.
        for name in ("occurred_at", "recorded_at"):
            instant = getattr(self, name)
            if instant.tzinfo is not UTC:
                object.__setattr__(self, name, ensure_utc(instant, name))

    def to_dict(self) -> dict[str, Any]:
        """The envelope as JSON-compatible data (timestamps as ISO 8601 strings)."""
        return {
            "id": self.id,
            "type": self.type,
            "schema_version": self.schema_version,
            "partition_key": self.partition_key,
            "occurred_at": _iso(self.occurred_at),
            "recorded_at": _iso(self.recorded_at),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "payload": self.payload,
        }

    def to_bytes(self) -> bytes:
        """Canonical bytes: what the Log hashes. Equal envelopes give equal bytes.

        orjson formats the datetimes itself (RFC 3339, ``Z``, microseconds when
        not zero), which is several times faster than ``isoformat`` and is just
        as deterministic; :meth:`from_bytes` reads both forms back.
        """
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "schema_version": self.schema_version,
                "partition_key": self.partition_key,
                "occurred_at": self.occurred_at,
                "recorded_at": self.recorded_at,
                "correlation_id": self.correlation_id,
                "causation_id": self.causation_id,
                "payload": self.payload,
            },
            option=_DUMP_OPTIONS,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        """Rebuild an envelope from :meth:`to_dict` output, checking its shape.

        Raises ValidationError naming every missing or malformed field.
        """
        problems = [
            Problem(name, "is required", "missing") for name in _REQUIRED if name not in data
        ]
        if problems:
            raise ValidationError.from_problems("malformed event envelope", problems)
        try:
            return cls(
                id=_text(data, "id"),
                type=_text(data, "type"),
                schema_version=_int(data, "schema_version"),
                partition_key=_text(data, "partition_key"),
                occurred_at=_instant(data, "occurred_at"),
                recorded_at=_instant(data, "recorded_at"),
                payload=_payload(data),
                correlation_id=_optional_text(data, "correlation_id"),
                causation_id=_optional_text(data, "causation_id"),
            )
        except _FieldError as exc:
            raise ValidationError(
                f"malformed event envelope: {exc.field}: {exc.reason}", field=exc.field
            ) from None

    @classmethod
    def from_bytes(cls, body: bytes) -> Envelope:
        """Decode canonical bytes; malformed JSON is a ValidationError, not a crash."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"event body is not JSON: {exc}", field="body") from None
        if not isinstance(data, dict):
            raise ValidationError("event body must be a JSON object", field="body")
        return cls.from_dict(data)


class _FieldError(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def _iso(instant: datetime) -> str:
    return instant.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _text(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value:
        raise _FieldError(name, "must be a non-empty string")
    return value


def _optional_text(data: dict[str, Any], name: str) -> str | None:
    if data.get(name) is None:
        return None
    return _text(data, name)


def _int(data: dict[str, Any], name: str) -> int:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _FieldError(name, "must be a positive integer")
    return value


def _instant(data: dict[str, Any], name: str) -> datetime:
    value = data[name]
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            raise _FieldError(name, f"is not an ISO 8601 timestamp: {value!r}") from None
    else:
        raise _FieldError(name, "must be an ISO 8601 timestamp")
    if instant.tzinfo is None:
        raise _FieldError(name, "has no time zone; give UTC")
    return ensure_utc(instant, name)


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    value = data.get("payload", {})
    if not isinstance(value, dict):
        raise _FieldError("payload", "must be a JSON object")
    return value


__all__ = ["Envelope"]
