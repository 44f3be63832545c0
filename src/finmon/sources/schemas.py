"""The event types sources write, registered in one call.

The log itself stores any envelope; a registry is what a consumer (or an API
accepting events from outside) validates them against. Sources build their
envelopes directly from rows they have already validated, so registration is for
the readers: :func:`register_source_events` makes ``transaction.received``,
the four ``*.upserted`` reference events and ``metric.recorded`` known.
"""

from __future__ import annotations

from typing import Any

import pydantic

from finmon.events.schemas import EventRegistry
from finmon.sources.canonical import TRANSACTION_COLUMNS
from finmon.sources.events import TRANSACTION_RECEIVED, TRANSACTION_SCHEMA_VERSION
from finmon.sources.reference import register_reference_events

_PY: dict[str, Any] = {"float": float, "int": int, "bool": bool}


def _transaction_model() -> type[pydantic.BaseModel]:
    fields: dict[str, Any] = {
        c.name: (_PY.get(c.kind, str), ...) if c.required else (_PY.get(c.kind, str) | None, None)
        for c in TRANSACTION_COLUMNS
    }
    model: type[pydantic.BaseModel] = pydantic.create_model(
        "TransactionReceived",
        __config__=pydantic.ConfigDict(extra="forbid", strict=True),
        __doc__="A canonical transaction as the bank sent it (docs/transactions.md).",
        **fields,
    )
    return model


TransactionReceived = _transaction_model()


def register_source_events(registry: EventRegistry) -> EventRegistry:
    """Register every event type finmon.sources writes; returns ``registry``."""
    from finmon.sources.metrics import METRIC_RECORDED, MetricRecorded

    registry.register(
        TRANSACTION_RECEIVED,
        TransactionReceived,
        version=TRANSACTION_SCHEMA_VERSION,
        description="a canonical transaction received from a source",
    )
    register_reference_events(registry)
    registry.register(METRIC_RECORDED, MetricRecorded, description="a manually entered metric")
    return registry


__all__ = ["TransactionReceived", "register_source_events"]
