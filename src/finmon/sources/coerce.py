"""Bring columns of any physical type to the forms validation reads, exactly or not at all.

A CSV gives text; a Parquet file or a database gives typed columns (integers,
decimals, timestamps, floats); a JSON line gives whatever its writer chose. The
validator reads text for ids, codes and amounts, timestamps for instants and
floats for coordinates, so each input is brought to those forms here, and only
by conversions that lose nothing: an integer or a decimal becomes its exact
text, an aware timestamp stays an instant.

What cannot be converted exactly is refused per value, with a reason:

- a binary float as an amount: ``0.1`` as a double is 0.1000000000000000055...,
  and whether the sender meant 0.1 cannot be known from the bits, so a float
  amount is an error, never rounded (the same rule as :class:`finmon.core.Money`);
- a float or a boolean where text is expected (an id or a code written by a
  spreadsheet as ``5411.0``): the text it stood for is a guess;
- a timestamp without a time zone: which zone it was in is a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finmon.sources.canonical import Column

FLOAT_AMOUNT = (
    "is a binary floating-point number, which cannot hold a decimal amount exactly; "
    'send it as a decimal string ("12.34") or a decimal/integer column'
)


@dataclass(slots=True)
class Coerced:
    """A batch in validation form: one Arrow array per known column, and per-value refusals.

    Attributes:
        num_rows: rows in the batch.
        columns: canonical column name -> array (text, timestamp[us, UTC] or float64);
            a column absent from the input is absent here and reads as empty.
        refused: column -> {batch index: reason} for values no exact conversion exists for;
            those values are null in ``columns``.
    """

    num_rows: int
    columns: dict[str, pa.Array] = field(default_factory=dict)
    refused: dict[str, dict[int, str]] = field(default_factory=dict)


def _valid_indices(array: pa.Array) -> list[int]:
    return pc.indices_nonzero(pc.is_valid(array)).to_pylist()  # type: ignore[no-any-return]


def _refuse_all(array: pa.Array, reason: str) -> dict[int, str]:
    return dict.fromkeys(_valid_indices(array), reason)


def _arrow_column(column: Column, array: pa.Array) -> tuple[pa.Array, dict[int, str]]:
    """One Arrow column in validation form, with the values refused (nulled)."""
    kind, typ = column.kind, array.type
    if pa.types.is_dictionary(typ):
        return _arrow_column(column, array.dictionary_decode())
    if pa.types.is_null(typ):
        return pa.nulls(len(array), pa.string()), {}
    if kind == "float" and _is_number(typ):
        return array.cast(pa.float64()), {}
    if kind == "timestamp" and pa.types.is_timestamp(typ):
        if typ.tz is None:
            reason = "is a timestamp without a time zone; the zone it was written in is a guess"
            return pa.nulls(len(array), pa.string()), _refuse_all(array, reason)
        return array.cast(pa.timestamp("us", tz="UTC")), {}
    if (kind == "date" and pa.types.is_date(typ)) or (kind == "bool" and pa.types.is_boolean(typ)):
        return array.cast(pa.string()), {}  # ISO dates, "true"/"false": exact
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return array.cast(pa.string()), {}
    if kind == "float":
        return array.cast(pa.string()), {}
    if pa.types.is_integer(typ) or pa.types.is_decimal(typ):
        return array.cast(pa.string()), {}  # exact: 12 -> "12", Decimal 12.50 -> "12.50"
    return pa.nulls(len(array), pa.string()), _refuse_all(array, _type_reason(column, typ))


def _is_number(typ: pa.DataType) -> bool:
    return bool(pa.types.is_floating(typ) or pa.types.is_integer(typ) or pa.types.is_decimal(typ))


def _type_reason(column: Column, typ: pa.DataType) -> str:
    if column.kind == "decimal" and pa.types.is_floating(typ):
        return FLOAT_AMOUNT
    if pa.types.is_floating(typ):
        return f"is a {typ} number where text is expected; the text it stood for is a guess"
    return f"is of type {typ}, expected text"


def coerce_table(table: pa.Table | pa.RecordBatch, columns: Sequence[Column]) -> Coerced:
    """Validation form of an Arrow batch: known columns converted, unknown ones ignored."""
    out = Coerced(table.num_rows)
    names = set(table.schema.names)
    for column in columns:
        if column.name not in names:
            continue
        array = table.column(column.name)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        converted, refused = _arrow_column(column, array)
        out.columns[column.name] = converted
        if refused:
            out.refused[column.name] = refused
    return out


def _python_value(column: Column, value: Any) -> tuple[Any, str | None]:
    """One value from a JSON line or a database row, in validation form, or a refusal."""
    if value is None or isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        if column.kind == "bool":
            return ("true" if value else "false"), None
        return None, f"is a boolean ({value}), expected {_expected(column)}"
    if column.kind == "float" and isinstance(value, int | float | Decimal):
        return float(value), None
    if isinstance(value, datetime):
        return value.isoformat(), None  # a naive one is refused by the rule, which says why
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, Decimal):
        return (format(value, "f"), None) if value.is_finite() else (None, "is not finite")
    if isinstance(value, float):
        reason = FLOAT_AMOUNT if column.kind == "decimal" else _FLOAT_TEXT
        return None, reason
    if isinstance(value, date):
        return value.isoformat(), None
    return None, f"is a {type(value).__name__}, expected {_expected(column)}"


_FLOAT_TEXT = "is a floating-point number where text is expected; the text it stood for is a guess"


def _expected(column: Column) -> str:
    return {"float": "a number", "timestamp": "an ISO 8601 timestamp"}.get(column.kind, "text")


def coerce_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> Coerced:
    """Validation form of rows given as mappings (JSON lines, database rows, API calls)."""
    out = Coerced(len(rows))
    present = {key for row in rows for key in row}
    for column in columns:
        if column.name not in present:
            continue
        name = column.name
        values: list[Any] = []
        refused: dict[int, str] = {}
        for index, row in enumerate(rows):
            value, reason = _python_value(column, row.get(name))
            if reason is not None:
                refused[index] = reason
            values.append(value)
        out.columns[name] = _array(column, values)
        if refused:
            out.refused[name] = refused
    return out


def _array(column: Column, values: list[Any]) -> pa.Array:
    """Numbers stay float64 unless some arrived as text; then all become plain decimal text."""
    if column.kind != "float":
        return pa.array(values, type=pa.string())
    if all(v is None or isinstance(v, float) for v in values):
        return pa.array(values, type=pa.float64())
    return pa.array(
        [format(Decimal(repr(v)), "f") if isinstance(v, float) else v for v in values],
        type=pa.string(),
    )


__all__ = ["FLOAT_AMOUNT", "Coerced", "coerce_rows", "coerce_table"]
