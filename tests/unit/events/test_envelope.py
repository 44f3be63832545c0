"""The event envelope: canonical bytes, round trips, and shape errors naming their field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from finmon.core.errors import ValidationError
from finmon.events.envelope import Envelope

T0 = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
T_WHOLE = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE = timezone(timedelta(hours=-5, minutes=-30))


def make(**changes: Any) -> Envelope:
    values: dict[str, Any] = {
        "id": "019b0000-0000-7000-8000-000000000001",
        "type": "transaction.received",
        "schema_version": 1,
        "partition_key": "acct-1",
        "occurred_at": T0,
        "recorded_at": T0 + timedelta(seconds=1),
        "payload": {"amount": {"minor": "1050", "currency": "EUR"}, "memo": "rent", "n": 3},
        "correlation_id": "corr-1",
        "causation_id": None,
    }
    values.update(changes)
    return Envelope(**values)


def good_dict(**changes: Any) -> dict[str, Any]:
    data = make().to_dict()
    data.update(changes)
    return data


# -- canonical bytes -------------------------------------------------------------


def test_equal_envelopes_give_equal_bytes() -> None:
    first, second = make(), make()
    assert first == second
    assert first.to_bytes() == second.to_bytes()
    assert first.to_bytes() == first.to_bytes()


def test_payload_key_order_does_not_change_the_bytes() -> None:
    forward = make(payload={"a": 1, "b": {"x": 1, "y": 2}, "c": [3, 2, 1]})
    backward = make(payload={"c": [3, 2, 1], "b": {"y": 2, "x": 1}, "a": 1})
    assert forward.to_bytes() == backward.to_bytes()


def test_bytes_are_sorted_compact_json_with_utc_z() -> None:
    body = make().to_bytes()
    data = orjson.loads(body)
    assert list(data) == sorted(data)
    assert list(data["payload"]) == sorted(data["payload"])
    assert b" " not in body.replace(b'"rent"', b"")
    assert data["occurred_at"] == "2026-03-04T05:06:07.123456Z"
    assert data["recorded_at"] == "2026-03-04T05:06:08.123456Z"
    assert data["causation_id"] is None


def test_different_envelopes_give_different_bytes() -> None:
    base = make().to_bytes()
    assert make(id="other").to_bytes() != base
    assert make(payload={"n": 4}).to_bytes() != base
    assert make(occurred_at=T0 + timedelta(microseconds=1)).to_bytes() != base
    assert make(schema_version=2).to_bytes() != base


def test_same_instant_in_another_zone_gives_the_same_bytes() -> None:
    utc = make()
    shifted = make(
        occurred_at=T0.astimezone(PLUS_TWO),
        recorded_at=(T0 + timedelta(seconds=1)).astimezone(MINUS_FIVE),
    )
    assert shifted == utc
    assert shifted.occurred_at.tzinfo is UTC
    assert shifted.recorded_at.tzinfo is UTC
    assert shifted.to_bytes() == utc.to_bytes()


def test_a_naive_timestamp_is_refused_at_construction() -> None:
    with pytest.raises(ValidationError) as caught:
        make(recorded_at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    assert caught.value.field == "recorded_at"


# -- round trips -----------------------------------------------------------------


@pytest.mark.parametrize(
    "instant",
    [T0, T_WHOLE, datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)],
    ids=["microseconds", "whole-second", "last-microsecond"],
)
def test_round_trip_through_bytes(instant: datetime) -> None:
    envelope = make(occurred_at=instant, recorded_at=instant)
    back = Envelope.from_bytes(envelope.to_bytes())
    assert back == envelope
    assert back.occurred_at == instant
    assert back.occurred_at.microsecond == instant.microsecond
    assert back.occurred_at.tzinfo is UTC
    assert back.to_bytes() == envelope.to_bytes()


def test_whole_second_timestamps_are_written_without_a_fraction_and_read_back() -> None:
    body = make(occurred_at=T_WHOLE).to_bytes()
    assert orjson.loads(body)["occurred_at"] == "2026-03-04T05:06:07Z"
    assert Envelope.from_bytes(body).occurred_at == T_WHOLE


def test_round_trip_through_dict() -> None:
    envelope = make(causation_id="cause-9")
    data = envelope.to_dict()
    assert data["occurred_at"] == "2026-03-04T05:06:07.123456Z"
    assert Envelope.from_dict(data) == envelope
    whole = make(occurred_at=T_WHOLE).to_dict()
    assert whole["occurred_at"] == "2026-03-04T05:06:07.000000Z"
    assert Envelope.from_dict(whole).occurred_at == T_WHOLE


def test_non_utc_input_is_converted_to_utc_on_reading() -> None:
    data = good_dict(occurred_at="2026-03-04T07:06:07.123456+02:00")
    envelope = Envelope.from_dict(data)
    assert envelope.occurred_at == T0
    assert envelope.occurred_at.tzinfo is UTC
    assert envelope.occurred_at.hour == 5
    aware = good_dict(recorded_at=T0.astimezone(MINUS_FIVE))
    assert Envelope.from_dict(aware).recorded_at.tzinfo is UTC


def test_optional_fields_default_when_absent() -> None:
    data = good_dict()
    del data["payload"], data["correlation_id"], data["causation_id"]
    envelope = Envelope.from_dict(data)
    assert envelope.payload == {}
    assert envelope.correlation_id is None
    assert envelope.causation_id is None


# -- shape errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["id", "type", "schema_version", "partition_key", "occurred_at", "recorded_at"]
)
def test_each_missing_required_field_is_named(name: str) -> None:
    data = good_dict()
    del data[name]
    with pytest.raises(ValidationError) as caught:
        Envelope.from_dict(data)
    assert caught.value.field == name
    assert [(p.field, p.code) for p in caught.value.problems] == [(name, "missing")]
    assert name in str(caught.value)


def test_every_missing_field_is_named_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        Envelope.from_dict({"id": "x"})
    named = {p.field for p in caught.value.problems}
    assert named == {"type", "schema_version", "partition_key", "occurred_at", "recorded_at"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("id", ""),
        ("id", 7),
        ("type", ""),
        ("type", None),
        ("partition_key", ""),
        ("schema_version", 0),
        ("schema_version", -1),
        ("schema_version", True),
        ("schema_version", "1"),
        ("schema_version", 1.0),
        ("occurred_at", "2026-03-04T05:06:07"),
        ("occurred_at", "yesterday"),
        ("recorded_at", "2026-13-40T00:00:00Z"),
        ("recorded_at", 1767225600),
        ("payload", [1, 2]),
        ("payload", "text"),
        ("correlation_id", ""),
        ("causation_id", 5),
    ],
)
def test_each_malformed_field_is_named(name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Envelope.from_dict(good_dict(**{name: value}))
    assert caught.value.field == name
    assert caught.value.problems[0].field == name
    assert f"{name}:" in caught.value.message


def test_naive_timestamp_says_it_has_no_zone() -> None:
    with pytest.raises(ValidationError, match="time zone") as caught:
        Envelope.from_dict(good_dict(occurred_at="2026-03-04T05:06:07"))
    assert caught.value.field == "occurred_at"


def test_bad_iso_string_is_quoted_in_the_message() -> None:
    with pytest.raises(ValidationError, match="not an ISO 8601 timestamp") as caught:
        Envelope.from_dict(good_dict(recorded_at="not-a-time"))
    assert "not-a-time" in caught.value.message


@pytest.mark.parametrize("body", [b"", b"{", b"not json", b"\xff\xfe", b'{"id": }'])
def test_from_bytes_on_non_json_is_a_body_error(body: bytes) -> None:
    with pytest.raises(ValidationError, match="not JSON") as caught:
        Envelope.from_bytes(body)
    assert caught.value.field == "body"


@pytest.mark.parametrize("body", [b"[]", b"[1, 2]", b'"text"', b"42", b"null"])
def test_from_bytes_on_a_non_object_is_a_body_error(body: bytes) -> None:
    with pytest.raises(ValidationError, match="JSON object") as caught:
        Envelope.from_bytes(body)
    assert caught.value.field == "body"


def test_from_bytes_on_a_malformed_object_names_the_field() -> None:
    body = orjson.dumps(good_dict(schema_version=0))
    with pytest.raises(ValidationError) as caught:
        Envelope.from_bytes(body)
    assert caught.value.field == "schema_version"
