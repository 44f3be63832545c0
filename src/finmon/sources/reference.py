"""Reference entities (customers, accounts, merchants, devices): validation and events.

Reference files are optional: a transactions file alone is enough to monitor.
When present they are validated against :mod:`finmon.sources.canonical` (the
same rules as transactions for codes, instants and coordinates) and enter the
log as ``<entity>.upserted`` events, one per row, keyed by the entity id.

The event id is derived from the entity and its content, so re-importing an
unchanged file stores nothing new, while a changed row (a new risk rating) is a
new fact with its own event: the log keeps the history of reference data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
import pydantic

from finmon.core.clock import Clock, SystemClock
from finmon.core.errors import Problem
from finmon.events.envelope import Envelope
from finmon.events.schemas import EventRegistry
from finmon.sources import rules
from finmon.sources.canonical import (
    ACCOUNT_COLUMNS,
    CUSTOMER_COLUMNS,
    DEVICE_COLUMNS,
    MERCHANT_COLUMNS,
    Column,
)
from finmon.sources.coerce import Coerced

ENTITIES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "customers": ("customer", CUSTOMER_COLUMNS),
    "accounts": ("account", ACCOUNT_COLUMNS),
    "merchants": ("merchant", MERCHANT_COLUMNS),
    "devices": ("device", DEVICE_COLUMNS),
}
"""File stem -> (entity name, columns). The first column is the entity id."""

REFERENCE_SCHEMA_VERSION = 1
_NAMESPACE = uuid.UUID("0b7e3f55-6a1d-5c2e-9f4b-7d8e1a2b3c4d")
_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})


def event_type(table: str) -> str:
    """``accounts`` -> ``account.upserted``."""
    return f"{ENTITIES[table][0]}.upserted"


def _boolean(value: Any) -> rules.Outcome:
    if rules.is_empty(value):
        return None, None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return None, f"{value!r} is not a boolean (true/false, 1/0, yes/no)"


def _date(value: Any) -> rules.Outcome:
    if rules.is_empty(value):
        return None, None
    try:
        return date.fromisoformat(str(value)).isoformat(), None
    except ValueError:
        return None, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)"


def _optional_instant(value: Any) -> rules.Outcome:
    if rules.is_empty(value):
        return None, None
    instant, reason = rules.instant(value)
    return (None, reason) if reason else (_iso(instant), None)


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _decimal(value: Any) -> rules.Outcome:
    if rules.is_empty(value):
        return None, None
    if not isinstance(value, str) or not rules.AMOUNT_RE.fullmatch(value):
        return None, f"{value!r} is not a plain non-negative decimal number"
    return value, None


def _plain_float(value: Any) -> rules.Outcome:
    if rules.is_empty(value):
        return None, None
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, f"{value!r} is not a number"


def _currency_code(value: Any) -> rules.Outcome:
    if rules.is_empty(value):
        return None, None  # optional here, unlike a transaction's
    return rules.currency(value)


def _check_for(column: Column) -> Callable[[Any], rules.Outcome]:
    """The rule of one reference column: by name where the name says more than the kind."""
    name, kind = column.name, column.kind
    if column.required:
        return rules.required_text
    if name == "country" or name.endswith("_country"):
        return rules.country
    if name.endswith("currency"):
        return _currency_code
    if name == "merchant_category":
        return rules.merchant_category
    if name.endswith("latitude"):
        return rules.latitude
    if name.endswith("longitude"):
        return rules.longitude
    by_kind: dict[str, Callable[[Any], rules.Outcome]] = {
        "timestamp": _optional_instant,
        "date": _date,
        "bool": _boolean,
        "decimal": _decimal,
        "float": _plain_float,
    }
    return by_kind.get(kind, rules.optional_text)


def check_reference_row(table: str, row: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The clean row (columns with a value) and the problems of one reference row."""
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for column in ENTITIES[table][1]:
        value, reason = _check_for(column)(row.get(column.name))
        if reason is not None:
            code = "missing" if rules.is_empty(row.get(column.name)) else "invalid"
            problems.append(Problem(column.name, reason, code))
        elif value is not None:
            clean[column.name] = value
    return clean, problems


class ReferenceValidator:
    """Validates the batches of one reference file; an entity id twice is a problem."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.key = ENTITIES[table][1][0].name
        self._seen: dict[str, int] = {}

    def validate(
        self, batch: Coerced, numbers: Sequence[int]
    ) -> tuple[list[dict[str, Any]], dict[int, list[Problem]]]:
        """Clean rows (in order) and batch index -> problems of the rejected ones."""
        columns = {name: array.to_pylist() for name, array in batch.columns.items()}
        clean_rows: list[dict[str, Any]] = []
        bad: dict[int, list[Problem]] = {}
        for index in range(batch.num_rows):
            row = {name: values[index] for name, values in columns.items()}
            clean, problems = check_reference_row(self.table, row)
            for name, refused in batch.refused.items():
                if index in refused:
                    problems = [p for p in problems if p.field != name]
                    problems.append(Problem(name, refused[index], "type"))
            problems.extend(self._duplicate(clean.get(self.key), numbers[index]))
            if problems:
                bad[index] = problems
            else:
                clean_rows.append(clean)
        return clean_rows, bad

    def _duplicate(self, key: Any, number: int) -> list[Problem]:
        if key is None:
            return []
        first = self._seen.setdefault(key, number)
        if first == number:
            return []
        return [Problem(self.key, f"duplicate {self.key} {key!r}: first seen at row {first}")]


def reference_event_id(table: str, payload: Mapping[str, Any]) -> str:
    """Same entity, same content: same id (a re-import stores nothing new)."""
    body = orjson.dumps(dict(payload), option=orjson.OPT_SORT_KEYS)
    return str(uuid.uuid5(_NAMESPACE, event_type(table) + "\x00" + body.decode()))


def reference_envelope(
    table: str, row: Mapping[str, Any], *, clock: Clock | None = None
) -> Envelope:
    """Wrap a clean reference row (from :func:`check_reference_row`) in its event."""
    key_column = ENTITIES[table][1][0].name
    now = (clock or SystemClock()).now()
    return Envelope(
        id=reference_event_id(table, row),
        type=event_type(table),
        schema_version=REFERENCE_SCHEMA_VERSION,
        partition_key=str(row[key_column]),
        occurred_at=now,
        recorded_at=now,
        payload=dict(row),
    )


_PY_TYPES: dict[str, Any] = {
    "string": str,
    "timestamp": str,
    "decimal": str,
    "float": float,
    "int": int,
    "bool": bool,
    "date": str,
}


def payload_model(table: str) -> type[pydantic.BaseModel]:
    """A pydantic model of a reference payload, built from its canonical columns."""
    entity, columns = ENTITIES[table]
    fields: dict[str, Any] = {
        c.name: (_PY_TYPES[c.kind], ...) if c.required else (_PY_TYPES[c.kind] | None, None)
        for c in columns
    }
    model: type[pydantic.BaseModel] = pydantic.create_model(
        f"{entity.title()}Upserted",
        __config__=pydantic.ConfigDict(extra="forbid", strict=True),
        __doc__=f"A {entity} as the bank's reference file describes it.",
        **fields,
    )
    return model


MODELS: dict[str, type[pydantic.BaseModel]] = {table: payload_model(table) for table in ENTITIES}


def register_reference_events(registry: EventRegistry) -> None:
    """Register the ``customer``, ``account``, ``merchant`` and ``device`` ``.upserted`` events."""
    for table, model in MODELS.items():
        registry.register(
            event_type(table),
            model,
            version=REFERENCE_SCHEMA_VERSION,
            description=f"a {ENTITIES[table][0]} from a reference file",
        )


__all__ = [
    "ENTITIES",
    "MODELS",
    "REFERENCE_SCHEMA_VERSION",
    "ReferenceValidator",
    "check_reference_row",
    "event_type",
    "reference_envelope",
    "reference_event_id",
    "register_reference_events",
]
