"""Decision events and alert ids: registered, deterministic, rebuilt byte for byte."""

from __future__ import annotations

import re
import uuid

import pytest

from finmon.core.errors import ValidationError
from finmon.events.schemas import EventRegistry
from finmon.monitor.decision import Decision, Reason
from finmon.monitor.pipeline import (
    DECISION_MADE,
    PipelineConfig,
    StoredDecision,
    alert_id_for,
    decision_envelope,
    decision_event_id,
    is_alert,
    register_decision_events,
    with_alert_id,
)


def decision(outcome: str, score: int, hits: tuple[str, ...] = ()) -> Decision:
    reason = Reason("rule", "R1", "because", 10)  # an int weight must still validate
    return Decision("tx-1", score, outcome, False, (reason,), hits)  # type: ignore[arg-type]


@pytest.mark.parametrize("tid", ["tx-1", "", "ünïcode-ß", "x" * 500])
def test_the_event_id_is_the_standard_uuid5(tid: str) -> None:
    from finmon.monitor.pipeline.events import _NAMESPACE

    assert decision_event_id(tid) == str(uuid.uuid5(_NAMESPACE, tid))


def test_ids_are_deterministic_and_distinct_per_transaction() -> None:
    assert decision_event_id("tx-1") == decision_event_id("tx-1")
    assert decision_event_id("tx-1") != decision_event_id("tx-2")
    assert re.fullmatch(r"AL-[0-9a-f]{16}", alert_id_for("tx-1"))
    assert alert_id_for("tx-1") == alert_id_for("tx-1") != alert_id_for("tx-2")


@pytest.mark.parametrize(
    ("outcome", "score", "hits", "alert"),
    [
        ("approve", 99, ("R1",), False),  # an approval is never an alert
        ("review", 10, (), False),  # low score, no rule: nothing to investigate
        ("review", 10, ("R1",), True),
        ("review", 70, (), True),  # at the threshold
        ("review", 69, (), False),
        ("block", 95, (), True),
    ],
)
def test_what_is_an_alert(outcome: str, score: int, hits: tuple[str, ...], alert: bool) -> None:
    d = decision(outcome, score, hits)
    assert is_alert(d, 70) is alert
    stamped = with_alert_id(d, 70)
    assert stamped.alert_id == (alert_id_for("tx-1") if alert else None)


def test_a_scorer_alert_id_is_kept() -> None:
    d = Decision("tx-1", 90, "block", False, (), alert_id="CASE-7")
    assert with_alert_id(d, 70).alert_id == "CASE-7"


def test_the_envelope_validates_against_the_registered_schema() -> None:
    registry = register_decision_events(EventRegistry())
    register_decision_events(registry)  # registering again is a no-op
    record = StoredDecision(with_alert_id(decision("review", 80), 70), 1_767_571_219_000_001, "a1")
    envelope = decision_envelope(record, causation_id="cause")
    assert registry.validate(envelope) is envelope
    assert envelope.type == DECISION_MADE
    assert envelope.id == decision_event_id("tx-1")
    assert envelope.partition_key == "a1"
    assert envelope.payload["alert_id"] == alert_id_for("tx-1")
    assert envelope.payload["decided_at_us"] == 1_767_571_219_000_001


def test_a_rebuilt_envelope_has_the_same_bytes() -> None:
    record = StoredDecision(decision("approve", 5), 1_767_571_219_000_000, None)
    first, second = decision_envelope(record), decision_envelope(record)
    assert first.to_bytes() == second.to_bytes()
    assert first.partition_key == "tx-1"  # no account: keyed by the transaction


def test_the_schema_rejects_an_unknown_outcome() -> None:
    registry = register_decision_events(EventRegistry())
    record = StoredDecision(decision("approve", 5), 1, None)
    payload = dict(decision_envelope(record).payload, outcome="maybe")
    with pytest.raises(ValidationError) as err:
        registry.validate_payload(DECISION_MADE, payload)
    assert err.value.field == "payload.outcome"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_batch": 0}, "max_batch"),
        ({"max_wait_ms": -1}, "max_wait_ms"),
        ({"queue_size": 0}, "queue_size"),
        ({"on_invalid": "drop"}, "on_invalid"),
        ({"alert_threshold": 101}, "alert_threshold"),
        ({"latency_budget_us": 0}, "latency_budget_us"),
        ({"ack_wait": 0}, "ack_wait"),
        ({"latency_window": 0}, "latency_window"),
        ({"topic": "Bad Topic"}, "topic"),
        ({"group": "a.b"}, "group"),
    ],
)
def test_config_refuses_bad_values_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        PipelineConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
