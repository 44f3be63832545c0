"""The event registry: registration, validated creation, and errors naming each field."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pydantic
import pytest

from finmon.core import IdGenerator, SimulatedClock
from finmon.core.errors import ConflictError, ValidationError
from finmon.core.ids import uuid7_time
from finmon.events.envelope import Envelope
from finmon.events.schemas import EventRegistry

START = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)


class Received(pydantic.BaseModel):
    """A transaction arrived."""

    model_config = pydantic.ConfigDict(extra="forbid")

    account: str = pydantic.Field(min_length=1)
    amount: Decimal = pydantic.Field(gt=0)
    currency: str = pydantic.Field(pattern=r"^[A-Z]{3}$")
    note: str = ""


class ReceivedV2(Received):
    """Version 2 adds a channel."""

    channel: str


class Other(pydantic.BaseModel):
    account: str


def seeded_ids(clock: SimulatedClock) -> IdGenerator:
    return IdGenerator(clock, random.Random(1))  # noqa: S311 - reproducible, not secret


GOOD = {"account": "acct-1", "amount": "10.50", "currency": "EUR"}


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def registry(clock: SimulatedClock) -> EventRegistry:
    reg = EventRegistry(clock, seeded_ids(clock))
    reg.register("transaction.received", Received)
    return reg


# -- create ----------------------------------------------------------------------


def test_create_validates_and_stamps_from_the_clock(
    registry: EventRegistry, clock: SimulatedClock
) -> None:
    envelope = registry.create("transaction.received", GOOD, partition_key="acct-1")
    assert envelope.type == "transaction.received"
    assert envelope.schema_version == 1
    assert envelope.partition_key == "acct-1"
    assert envelope.occurred_at == START
    assert envelope.recorded_at == START
    assert envelope.payload == {
        "account": "acct-1",
        "amount": "10.50",
        "currency": "EUR",
        "note": "",
    }
    assert uuid7_time(envelope.id) == START
    clock.advance(5)
    later = registry.create("transaction.received", GOOD, partition_key="acct-1")
    assert later.recorded_at == START + timedelta(seconds=5)
    assert later.id > envelope.id


def test_ids_are_reproducible_from_the_seed() -> None:
    def ids() -> list[str]:
        clock = SimulatedClock(START)
        reg = EventRegistry(clock, seeded_ids(clock))
        reg.register("transaction.received", Received)
        return [reg.create("transaction.received", GOOD, partition_key="k").id for _ in range(5)]

    first = ids()
    assert first == ids()
    assert len(set(first)) == 5
    assert first == sorted(first)


def test_create_keeps_event_time_and_lineage(registry: EventRegistry) -> None:
    happened = datetime(2026, 2, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    envelope = registry.create(
        "transaction.received",
        GOOD,
        partition_key="acct-1",
        occurred_at=happened,
        correlation_id="flow-1",
        causation_id="evt-0",
    )
    assert envelope.occurred_at == datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    assert envelope.occurred_at.tzinfo is UTC
    assert envelope.recorded_at == START
    assert (envelope.correlation_id, envelope.causation_id) == ("flow-1", "evt-0")


def test_create_accepts_a_model_instance(registry: EventRegistry) -> None:
    model = Received(account="acct-2", amount=Decimal("3"), currency="USD", note="x")
    envelope = registry.create("transaction.received", model, partition_key="acct-2")
    assert envelope.payload == {"account": "acct-2", "amount": "3", "currency": "USD", "note": "x"}


def test_created_envelope_round_trips_through_bytes(registry: EventRegistry) -> None:
    envelope = registry.create("transaction.received", GOOD, partition_key="acct-1")
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope
    assert registry.validate(Envelope.from_bytes(envelope.to_bytes())) == envelope


def test_naive_occurred_at_is_refused(registry: EventRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.create(
            "transaction.received",
            GOOD,
            partition_key="k",
            occurred_at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
        )
    assert caught.value.field == "occurred_at"


# -- invalid payloads ------------------------------------------------------------


def test_invalid_payload_names_every_bad_field(registry: EventRegistry) -> None:
    bad = {"account": "", "amount": "-1", "currency": "euro", "extra": 1}
    with pytest.raises(ValidationError) as caught:
        registry.create("transaction.received", bad, partition_key="acct-1")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"payload.account", "payload.amount", "payload.currency", "payload.extra"}
    assert caught.value.field in fields
    for name in fields:
        assert name in caught.value.message
    assert "transaction.received v1" in caught.value.message


def test_missing_payload_fields_are_named(registry: EventRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.create("transaction.received", {}, partition_key="acct-1")
    by_field = {p.field: p.code for p in caught.value.problems}
    assert by_field == {
        "payload.account": "missing",
        "payload.amount": "missing",
        "payload.currency": "missing",
    }


def test_nothing_is_stamped_for_an_invalid_payload(
    registry: EventRegistry, clock: SimulatedClock
) -> None:
    with pytest.raises(ValidationError):
        registry.create("transaction.received", {"amount": "x"}, partition_key="k")
    first = registry.create("transaction.received", GOOD, partition_key="k")
    fresh = SimulatedClock(START)
    twin = EventRegistry(fresh, seeded_ids(fresh))
    twin.register("transaction.received", Received)
    assert first.id == twin.create("transaction.received", GOOD, partition_key="k").id


# -- unknown types and versions --------------------------------------------------


def test_unknown_type_is_rejected(registry: EventRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.create("transaction.refunded", GOOD, partition_key="k")
    assert caught.value.code == "unknown_type"
    assert caught.value.field == "type"
    assert "transaction.refunded" in caught.value.message


@pytest.mark.parametrize("version", [2, 0, -1])
def test_unknown_version_is_rejected(registry: EventRegistry, version: int) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.create("transaction.received", GOOD, partition_key="k", version=version)
    assert caught.value.code == "unknown_version"
    assert caught.value.field == "schema_version"


def test_latest_version_is_the_default(registry: EventRegistry) -> None:
    registry.register("transaction.received", ReceivedV2, version=2)
    with pytest.raises(ValidationError) as caught:
        registry.create("transaction.received", GOOD, partition_key="k")
    assert {p.field for p in caught.value.problems} == {"payload.channel"}
    v2 = registry.create("transaction.received", {**GOOD, "channel": "card"}, partition_key="k")
    assert v2.schema_version == 2
    v1 = registry.create("transaction.received", GOOD, partition_key="k", version=1)
    assert v1.schema_version == 1
    assert [(s.event_type, s.version) for s in registry.types()] == [
        ("transaction.received", 1),
        ("transaction.received", 2),
    ]


# -- registration ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "received",
        "Transaction.received",
        "transaction.",
        ".received",
        "transaction..x",
        "a.1b",
        "tx-1.received",
        "transaction received",
        "",
    ],
)
def test_bad_type_names_are_refused(registry: EventRegistry, name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.register(name, Other)
    assert caught.value.field == "type"
    assert registry.types()[0].event_type == "transaction.received"
    assert len(registry.types()) == 1


@pytest.mark.parametrize("name", ["a.b", "ledger.posted", "aml.case_opened.v2x", "x1.y_2.z"])
def test_good_type_names_are_accepted(registry: EventRegistry, name: str) -> None:
    schema = registry.register(name, Other)
    assert registry.schema(name) is schema


def test_bad_version_is_refused(registry: EventRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.register("other.thing", Other, version=0)
    assert caught.value.field == "schema_version"
    with pytest.raises(ValidationError):
        registry.schema("other.thing")


def test_registering_the_same_model_again_is_a_no_op(registry: EventRegistry) -> None:
    before = registry.types()
    again = registry.register("transaction.received", Received)
    assert again.model is Received
    assert registry.types() == before
    assert registry.schema("transaction.received").description == "A transaction arrived."


def test_registering_another_model_is_a_conflict(registry: EventRegistry) -> None:
    with pytest.raises(ConflictError) as caught:
        registry.register("transaction.received", Other)
    assert caught.value.field == "type"
    assert "Received" in caught.value.message
    assert registry.schema("transaction.received").model is Received


# -- partition key and outside envelopes -----------------------------------------


def test_empty_partition_key_is_refused(registry: EventRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.create("transaction.received", GOOD, partition_key="")
    assert caught.value.field == "partition_key"


def outside(type_: str = "transaction.received", version: int = 1, **payload: object) -> Envelope:
    return Envelope(
        id="evt-outside",
        type=type_,
        schema_version=version,
        partition_key="acct-9",
        occurred_at=START,
        recorded_at=START,
        payload=dict(payload),
    )


def test_validate_accepts_a_good_outside_envelope(registry: EventRegistry) -> None:
    envelope = outside(**GOOD)
    assert registry.validate(envelope) is envelope


def test_validate_names_bad_fields_of_an_outside_envelope(registry: EventRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.validate(outside(account="a", amount="0", currency="EUR"))
    assert [p.field for p in caught.value.problems] == ["payload.amount"]


def test_validate_refuses_unknown_type_and_version(registry: EventRegistry) -> None:
    with pytest.raises(ValidationError) as unknown_type:
        registry.validate(outside("payment.sent", **GOOD))
    assert unknown_type.value.code == "unknown_type"
    with pytest.raises(ValidationError) as unknown_version:
        registry.validate(outside(version=7, **GOOD))
    assert unknown_version.value.code == "unknown_version"
