"""Event types and their payload schemas.

Every event type is registered with a pydantic model per schema version. An
event is built through :meth:`EventRegistry.create`, which validates the
payload and returns an :class:`~finmon.events.envelope.Envelope` whose payload
is the model's JSON form; an unknown type or an invalid payload is rejected
whole, with every problem named by its field (``payload.amount``). Consumers
call :meth:`EventRegistry.validate` on envelopes that arrive from outside.
"""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic

from finmon.core.clock import Clock, SystemClock, ensure_utc
from finmon.core.errors import ConflictError, Problem, ValidationError
from finmon.core.ids import IdGenerator
from finmon.events.envelope import Envelope

_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True, slots=True)
class EventSchema:
    """One registered (type, version) and the model that validates its payload."""

    event_type: str
    version: int
    model: builtins.type[pydantic.BaseModel]
    description: str


class EventRegistry:
    """The event types a process knows, with their payload models.

    Registration is explicit (no import-time magic beyond each domain package
    calling :meth:`register`), so the set of accepted events is reviewable.
    """

    def __init__(self, clock: Clock | None = None, ids: IdGenerator | None = None) -> None:
        self._schemas: dict[tuple[str, int], EventSchema] = {}
        self._latest: dict[str, int] = {}
        self._lock = threading.Lock()
        self._clock = clock or SystemClock()
        self._ids = ids or IdGenerator(self._clock)

    def register(
        self,
        event_type: str,
        model: type[pydantic.BaseModel],
        *,
        version: int = 1,
        description: str = "",
    ) -> EventSchema:
        """Add a schema; registering the same model again is a no-op, another is a conflict."""
        if not _TYPE_PATTERN.match(event_type):
            raise ValidationError(
                f"event type {event_type!r} must be dotted lowercase words like 'ledger.posted'",
                field="type",
            )
        if version < 1:
            raise ValidationError("schema version must be >= 1", field="schema_version")
        schema = EventSchema(event_type, version, model, description or (model.__doc__ or ""))
        with self._lock:
            existing = self._schemas.get((event_type, version))
            if existing is not None and existing.model is not model:
                raise ConflictError(
                    f"{event_type} v{version} is already registered with {existing.model.__name__}",
                    field="type",
                )
            self._schemas[(event_type, version)] = schema
            self._latest[event_type] = max(version, self._latest.get(event_type, 0))
        return schema

    def schema(self, event_type: str, version: int | None = None) -> EventSchema:
        """The schema for a type (latest version by default); unknown ones are rejected."""
        latest = self._latest.get(event_type)
        if latest is None:
            raise ValidationError(
                f"unknown event type {event_type!r}", field="type", code="unknown_type"
            )
        found = self._schemas.get((event_type, latest if version is None else version))
        if found is None:
            raise ValidationError(
                f"{event_type} has no schema version {version}",
                field="schema_version",
                code="unknown_version",
            )
        return found

    def types(self) -> list[EventSchema]:
        """Every registered schema, sorted by type and version."""
        return [self._schemas[key] for key in sorted(self._schemas)]

    def validate_payload(
        self, event_type: str, payload: Mapping[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        """The payload as its model's JSON form, or a ValidationError naming each bad field."""
        schema = self.schema(event_type, version)
        try:
            model = schema.model.model_validate(dict(payload))
        except pydantic.ValidationError as exc:
            raise ValidationError.from_problems(
                f"invalid {event_type} v{schema.version} payload", problems_of(exc, "payload")
            ) from None
        clean: dict[str, Any] = model.model_dump(mode="json")
        return clean

    def validate(self, envelope: Envelope) -> Envelope:
        """Check an envelope that came from outside against its registered schema."""
        self.validate_payload(envelope.type, envelope.payload, envelope.schema_version)
        return envelope

    def create(
        self,
        event_type: str,
        payload: Mapping[str, Any] | pydantic.BaseModel,
        *,
        partition_key: str,
        occurred_at: datetime | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        version: int | None = None,
    ) -> Envelope:
        """Validate ``payload`` and wrap it in a new envelope stamped by the clock."""
        if not partition_key:
            raise ValidationError("partition key must not be empty", field="partition_key")
        data = (
            payload.model_dump(mode="json") if isinstance(payload, pydantic.BaseModel) else payload
        )
        schema = self.schema(event_type, version)
        clean = self.validate_payload(event_type, data, schema.version)
        now = self._clock.now()
        return Envelope(
            id=self._ids.new_str(),
            type=event_type,
            schema_version=schema.version,
            partition_key=partition_key,
            occurred_at=ensure_utc(occurred_at, "occurred_at") if occurred_at else now,
            recorded_at=now,
            payload=clean,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )


def problems_of(exc: pydantic.ValidationError, prefix: str = "") -> list[Problem]:
    """Translate pydantic's errors into finmon problems with dotted field paths."""
    problems = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"])
        field = f"{prefix}.{path}" if prefix and path else (path or prefix)
        problems.append(Problem(field, error["msg"], error["type"]))
    return problems


__all__ = ["EventRegistry", "EventSchema", "problems_of"]
