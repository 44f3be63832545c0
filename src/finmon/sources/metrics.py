"""Manually entered custom metrics (seed 000 §2.1): validated, stored as events, queried back.

An analyst records a figure the systems do not produce themselves (a branch's
daily cash count, a regulator's threshold this quarter). It is a
``metric.recorded`` event in the log, so it has the log's guarantees (append
only, tamper evident) and the same audit trail as every other fact. Values are
exact: a decimal string or an integer, never a float.

Listing replays the log and keeps the ``metric.recorded`` events: simple, and
fine for the volumes people type in; a projection can replace it when an API
serves it at scale.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
import pydantic
from pydantic import Field, field_validator

from finmon.core.clock import Clock, SystemClock, ensure_utc
from finmon.core.errors import ValidationError
from finmon.events.envelope import Envelope
from finmon.events.log import Log
from finmon.events.schemas import problems_of

METRIC_RECORDED = "metric.recorded"
METRIC_SCHEMA_VERSION = 1
_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_MARKER = b'"type":"metric.recorded"'

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=200)]


class MetricRecorded(pydantic.BaseModel):
    """One manually entered observation.

    Attributes:
        name: dotted lowercase name (``branch.cash_count``).
        value: exact number as a decimal string (``"1250.50"``, ``"-3"``); an
            integer is accepted and stored as its text; a float is refused.
        unit: what the value counts (``EUR``, ``transactions``, ``%``); optional.
        dimensions: labels that qualify it (``{"branch": "LDN-01"}``).
        observed_at: when the value was true (aware; stored in UTC).
        entered_by: who typed it in.
        note: free text: where the figure came from.
    """

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    name: Name
    value: str
    unit: str = Field(default="", max_length=50)
    dimensions: dict[str, str] = Field(default_factory=dict)
    observed_at: datetime
    entered_by: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=2000)

    @field_validator("value", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> str:
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError("must be a decimal string or an integer; a float is not exact")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Decimal) and value.is_finite():
            return format(value, "f")
        if isinstance(value, str) and _NUMBER_RE.fullmatch(value):
            return value
        raise ValueError(f"{value!r} is not a plain decimal number like '1250.50'")

    @field_validator("observed_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("has no time zone; give UTC or an offset")
        return ensure_utc(value, "observed_at")

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.value)


def metric(**fields: Any) -> MetricRecorded:
    """Build a metric, raising finmon's ValidationError (every bad field named) on bad input."""
    try:
        return MetricRecorded(**fields)
    except pydantic.ValidationError as exc:
        raise ValidationError.from_problems("invalid metric", problems_of(exc)) from None


def metric_envelope(entry: MetricRecorded, *, clock: Clock | None = None) -> Envelope:
    """The event; each recording is a new fact (a correction is a new entry, not an edit)."""
    return Envelope(
        id=str(uuid.uuid4()),
        type=METRIC_RECORDED,
        schema_version=METRIC_SCHEMA_VERSION,
        partition_key=entry.name,
        occurred_at=entry.observed_at,
        recorded_at=(clock or SystemClock()).now(),
        payload=entry.model_dump(mode="json"),
    )


def record_metric(log: Log, entry: MetricRecorded, *, clock: Clock | None = None) -> int:
    """Append the metric to the log; return its sequence number."""
    return log.append(metric_envelope(entry, clock=clock))


def list_metrics(
    log: Log,
    *,
    name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[MetricRecorded]:
    """Metrics named ``name`` (all if None) observed in [since, until), in log order."""
    low = ensure_utc(since, "since") if since else None
    high = ensure_utc(until, "until") if until else None
    found = []
    for record in log.read():
        if _MARKER not in record.body:  # skip the parse for every other event
            continue
        event = orjson.loads(record.body)
        if event.get("type") != METRIC_RECORDED:
            continue
        entry = MetricRecorded.model_validate(event["payload"])
        if name is not None and entry.name != name:
            continue
        if (low and entry.observed_at < low) or (high and entry.observed_at >= high):
            continue
        found.append(entry)
    return found


__all__ = [
    "METRIC_RECORDED",
    "MetricRecorded",
    "list_metrics",
    "metric",
    "metric_envelope",
    "record_metric",
]
