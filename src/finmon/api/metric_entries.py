"""Seed 000's manually entered metrics over the API: the same events as `finmon ingest metric`.

The event (``metric.recorded``) and its payload are defined once, in
:mod:`finmon.sources.metrics`; this module adds what the API needs around it:
a correlation id from the request, and a paged listing by sequence number.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import orjson

from finmon.core.clock import Clock
from finmon.events.log import Log
from finmon.sources.metrics import METRIC_RECORDED, MetricRecorded, metric, metric_envelope

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63}){0,4}$"


class MetricEntries:
    """Records and lists metric entries."""

    def __init__(self, log: Log, clock: Clock) -> None:
        self._log = log
        self._clock = clock

    def record(self, entry: MetricRecorded, correlation_id: str | None = None) -> tuple[str, int]:
        """Append the entry; returns its event id and sequence number."""
        envelope = metric_envelope(entry, clock=self._clock)
        if correlation_id is not None:
            envelope = dataclasses.replace(envelope, correlation_id=correlation_id)
        return envelope.id, self._log.append(envelope)

    def list(self, *, name: str | None, after_seq: int, limit: int) -> Iterator[dict[str, Any]]:
        found = 0
        marker = f'"type":"{METRIC_RECORDED}"'.encode()
        for record in self._log.read(after_seq + 1):
            if found >= limit:
                return
            if marker not in record.body:
                continue
            event = orjson.loads(record.body)
            if name is not None and event["payload"]["name"] != name:
                continue
            found += 1
            yield {"seq": record.seq, "event_id": event["id"], **event["payload"]}


__all__ = ["METRIC_RECORDED", "MetricEntries", "MetricRecorded", "metric"]
