"""Manually entered metrics: exact values, validation naming fields, stored and listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from finmon.core.errors import ValidationError
from finmon.events.log import Log
from finmon.events.schemas import EventRegistry
from finmon.sources.metrics import list_metrics, metric, metric_envelope, record_metric
from finmon.sources.schemas import register_source_events

T = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _entry(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "name": "branch.cash_count",
        "value": "1250.50",
        "unit": "EUR",
        "dimensions": {"branch": "LDN-01"},
        "observed_at": T,
        "entered_by": "alice",
    }
    fields.update(changes)
    return fields


def test_recorded_and_listed_by_name_and_time(ingest_log: Log) -> None:
    for hours, value in [(0, "1"), (1, "2"), (2, "3")]:
        record_metric(
            ingest_log, metric(**_entry(value=value, observed_at=T + timedelta(hours=hours)))
        )
    record_metric(ingest_log, metric(**_entry(name="fx.threshold", value=7)))
    assert [m.value for m in list_metrics(ingest_log, name="branch.cash_count")] == ["1", "2", "3"]
    window = list_metrics(ingest_log, since=T + timedelta(hours=1), until=T + timedelta(hours=2))
    assert [(m.name, m.decimal) for m in window] == [("branch.cash_count", Decimal("2"))]
    assert list_metrics(ingest_log, name="fx.threshold")[0].value == "7"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": 1.5}, "value"),
        ({"value": "1,5"}, "value"),
        ({"value": True}, "value"),
        ({"name": "Bad Name"}, "name"),
        ({"observed_at": datetime(2026, 1, 1)}, "observed_at"),  # noqa: DTZ001 - the point
        ({"entered_by": ""}, "entered_by"),
        ({"dimensions": {"branch": 1}}, "dimensions.branch"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        metric(**_entry(**changes))
    assert caught.value.problems[0].field == field


def test_observed_at_is_stored_in_utc() -> None:
    plus_two = datetime(2026, 3, 1, 11, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=2))
    )
    assert metric(**_entry(observed_at=plus_two)).observed_at == T.replace(hour=11)


def test_every_source_event_validates_against_its_registered_schema() -> None:
    registry = register_source_events(EventRegistry())
    envelope = metric_envelope(metric(**_entry()))
    assert registry.validate(envelope) is envelope
    assert {s.event_type for s in registry.types()} == {
        "transaction.received",
        "customer.upserted",
        "account.upserted",
        "merchant.upserted",
        "device.upserted",
        "metric.recorded",
    }
