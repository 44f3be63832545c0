"""Decisions as events: ``decision.made`` on the ``decisions`` topic, and alert ids.

Both ids are derived from the transaction id, never drawn at random: a
redelivered transaction, or a pipeline that crashed between writing a decision
and publishing it, republishes *the same* event (the bus de-duplicates it, a
consumer de-duplicating on ``envelope.id`` sees it once) and names *the same*
alert. The envelope is rebuilt from the stored decision (``recorded_at`` is the
stored ``decided_at_us``), so a republished event has the same bytes.

Alert ids are assigned here, by the pipeline, not by the scorer: whether a
decision becomes an alert is a case-management policy (which outcomes, which
threshold) rather than a model property. A scorer that already set
``alert_id`` keeps it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid

import pydantic

from finmon.events.envelope import Envelope
from finmon.events.schemas import EventRegistry
from finmon.monitor.decision import Decision, Outcome, ReasonKind
from finmon.monitor.pipeline.store import StoredDecision
from finmon.monitor.transaction import from_micros

DECISION_MADE = "decision.made"
DECISION_SCHEMA_VERSION = 1
_NAMESPACE = uuid.UUID("0b7e4f52-9c1d-5a63-8e2f-4d6a7b8c9e10")
_ALERT_OUTCOMES = frozenset({"review", "block"})


class ReasonPayload(pydantic.BaseModel):
    """One reason behind a score (see :class:`finmon.monitor.decision.Reason`)."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    kind: ReasonKind
    code: str
    text: str
    weight: float


class DecisionMade(pydantic.BaseModel):
    """The monitoring engine's decision for one transaction."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    transaction_id: str = pydantic.Field(min_length=1)
    account_id: str | None = None
    score: int = pydantic.Field(ge=0, le=100)
    outcome: Outcome
    degraded: bool
    reasons: list[ReasonPayload]
    rule_hits: list[str]
    model_probability: float | None = None
    model_version: str | None = None
    ruleset_version: str | None = None
    challenger_probability: float | None = None
    occurred_us: int
    decided_at_us: int
    latency_us: int
    alert_id: str | None = None
    tags: list[str]


def register_decision_events(registry: EventRegistry) -> EventRegistry:
    """Make ``decision.made`` known to ``registry``; returns it."""
    registry.register(
        DECISION_MADE,
        DecisionMade,
        version=DECISION_SCHEMA_VERSION,
        description="the monitoring engine's decision for one transaction",
    )
    return registry


def decision_event_id(transaction_id: str, prefix: bytes = _NAMESPACE.bytes) -> str:
    """The event id of a transaction's decision: UUIDv5, the same on every retry.

    The RFC 4122 bits are set by hand: ``uuid.uuid5`` costs several times more
    and this runs once per decision (a test checks both agree).
    """
    digest = bytearray(
        hashlib.sha1(prefix + transaction_id.encode("utf-8"), usedforsecurity=False).digest()
    )
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def alert_id_for(transaction_id: str) -> str:
    """``AL-`` and the first 16 hex digits of SHA-256 of the transaction id (64 bits).

    The same formula as :func:`finmon.monitor.engine.alert_id_for`, so an alert
    has one id whether the engine or the pipeline named it.
    """
    digest = hashlib.sha256(transaction_id.encode("utf-8")).hexdigest()
    return f"AL-{digest[:16]}"


def is_alert(decision: Decision, threshold: int) -> bool:
    """A review or block with an active rule hit, or with a score at or above ``threshold``."""
    if decision.outcome not in _ALERT_OUTCOMES:
        return False
    return bool(decision.rule_hits) or decision.score >= threshold


def alert_id_of(decision: Decision, threshold: int) -> str | None:
    """The alert id ``decision`` should carry: the scorer's, else one derived if it is an alert."""
    if decision.alert_id is not None or not is_alert(decision, threshold):
        return decision.alert_id
    return alert_id_for(decision.transaction_id)


def with_alert_id(decision: Decision, threshold: int) -> Decision:
    """``decision`` with its deterministic ``alert_id`` when it is an alert and has none."""
    alert_id = alert_id_of(decision, threshold)
    if alert_id == decision.alert_id:
        return decision
    return dataclasses.replace(decision, alert_id=alert_id)


def decision_payload(record: StoredDecision) -> dict[str, object]:
    """The ``decision.made`` payload of a stored decision (JSON-compatible)."""
    payload = record.decision.to_dict()
    payload["account_id"] = record.account_id
    payload["decided_at_us"] = record.decided_at_us
    return payload


def decision_envelope(
    record: StoredDecision,
    *,
    causation_id: str | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """The ``decision.made`` envelope of a stored decision.

    Keyed by account (falling back to the transaction id) so one account's
    decisions stay in one partition, in order, like its transactions.
    ``occurred_at`` is the transaction's instant when known, else the decision's.
    """
    decision = record.decision
    decided_at = from_micros(record.decided_at_us)
    occurred_at = from_micros(decision.occurred_us) if decision.occurred_us else decided_at
    return Envelope(
        id=decision_event_id(decision.transaction_id),
        type=DECISION_MADE,
        schema_version=DECISION_SCHEMA_VERSION,
        partition_key=record.account_id or decision.transaction_id,
        occurred_at=occurred_at,
        recorded_at=decided_at,
        payload=decision_payload(record),
        correlation_id=correlation_id,
        causation_id=causation_id,
    )


__all__ = [
    "DECISION_MADE",
    "DECISION_SCHEMA_VERSION",
    "DecisionMade",
    "ReasonPayload",
    "alert_id_for",
    "alert_id_of",
    "decision_envelope",
    "decision_event_id",
    "decision_payload",
    "is_alert",
    "register_decision_events",
    "with_alert_id",
]
