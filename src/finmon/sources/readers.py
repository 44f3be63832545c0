"""Read canonical files (CSV, JSON Lines, Parquet) in batches, by name, never inferring types.

The format comes from the extension. Every reader streams: a file of any size
is read a batch at a time, so memory stays flat.

- CSV: every column is read as text (no type inference: ``00123`` stays an id,
  ``12.50`` stays an exact amount). An empty cell is empty. A line that does not
  split into the header's columns is recorded as *malformed* with its line
  number; such a file is refused whole (see :mod:`finmon.sources.files`).
- JSON Lines: one object per line, parsed with orjson; a JSON number stays the
  exact integer it was or a float that validation then refuses as an amount. A
  line that is not a JSON object is a problem of that row. Blank lines are
  skipped; rows are numbered by line.
- Parquet: read with its own types, which :mod:`finmon.sources.coerce` converts
  exactly or refuses.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from finmon.core.errors import ValidationError
from finmon.sources.canonical import Column
from finmon.sources.coerce import Coerced, coerce_rows, coerce_table

FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
DEFAULT_BATCH_ROWS = 50_000
UNREADABLE = "unreadable_file"


@dataclass(slots=True)
class RawBatch:
    """One batch as read, and in validation form.

    Attributes:
        table: the rows as read, all columns (dead letters are written from it).
        coerced: the canonical columns in validation form.
        first_row: row number of index 0 (CSV, Parquet: dense numbering).
        numbers: per-index row numbers when not dense (JSON Lines: line numbers).
        originals: JSON Lines only: each parsed object (or the raw line if unreadable).
        unreadable: index -> reason, for JSON lines that are not an object.
    """

    table: pa.Table
    coerced: Coerced
    first_row: int = 1
    numbers: list[int] | None = None
    originals: list[Any] | None = None
    unreadable: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MalformedLine:
    """A CSV line that does not split into the header's columns."""

    line: int
    reason: str


def file_format(path: Path) -> str:
    """``csv``, ``jsonl`` or ``parquet``, from the extension; anything else is refused."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise ValidationError(
            f"{path.name}: unknown file type {path.suffix!r}; expected one of {known}",
            field="path",
            code="unknown_format",
        )
    return fmt


def column_names(path: Path) -> list[str]:
    """The columns of a file, read from its header or schema (JSON Lines: the first object)."""
    fmt = file_format(path)
    if fmt == "parquet":
        return list(pq.read_schema(path).names)
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            return next(csv.reader(handle), [])
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                try:
                    first = orjson.loads(line)
                except orjson.JSONDecodeError:
                    return []
                return list(first) if isinstance(first, dict) else []
    return []


def read_batches(
    path: Path,
    columns: Sequence[Column],
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    malformed: list[MalformedLine] | None = None,
) -> Iterator[RawBatch]:
    """The file's batches in order; CSV lines that do not parse are appended to ``malformed``."""
    fmt = file_format(path)
    try:
        if fmt == "parquet":
            yield from _parquet(path, columns, batch_rows)
        elif fmt == "csv":
            yield from _csv(path, columns, batch_rows, malformed if malformed is not None else [])
        else:
            yield from _jsonl(path, columns, batch_rows)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"{path.name} cannot be read as {fmt}: {exc}", field="path", code=UNREADABLE
        ) from None


def _parquet(path: Path, columns: Sequence[Column], batch_rows: int) -> Iterator[RawBatch]:
    first = 1
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
        table = pa.Table.from_batches([batch])
        yield RawBatch(table, coerce_table(table, columns), first)
        first += table.num_rows


def _csv(
    path: Path, columns: Sequence[Column], batch_rows: int, malformed: list[MalformedLine]
) -> Iterator[RawBatch]:
    names = column_names(path)

    def on_invalid(row: Any) -> str:
        where = row.number if row.number is not None else "?"
        malformed.append(
            MalformedLine(
                int(row.number or 0),
                f"line {where} has {row.actual_columns} fields where the header has "
                f"{row.expected_columns}: {row.text[:120]!r}",
            )
        )
        return "skip"

    reader = pcsv.open_csv(
        path,
        # ~64 bytes a field is a fair guess; blocks bound memory, not batch size exactly
        read_options=pcsv.ReadOptions(use_threads=False, block_size=max(1 << 20, batch_rows * 256)),
        parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    first = 1
    with reader:
        for batch in reader:
            table = pa.Table.from_batches([batch])
            yield RawBatch(table, coerce_table(table, columns), first)
            first += table.num_rows


def _jsonl(path: Path, columns: Sequence[Column], batch_rows: int) -> Iterator[RawBatch]:
    objects: list[Any] = []
    numbers: list[int] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            objects.append(line)
            numbers.append(number)
            if len(objects) >= batch_rows:
                yield _json_batch(objects, numbers, columns)
                objects, numbers = [], []
    if objects:
        yield _json_batch(objects, numbers, columns)


def _json_batch(lines: list[Any], numbers: list[int], columns: Sequence[Column]) -> RawBatch:
    rows: list[dict[str, Any]] = []
    originals: list[Any] = []
    unreadable: dict[int, str] = {}
    for index, line in enumerate(lines):
        reason: str | None
        try:
            parsed = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            parsed, reason = None, f"is not valid JSON: {exc}"
        else:
            reason = None if isinstance(parsed, dict) else "is not a JSON object"
        if reason is not None:
            unreadable[index] = reason
            originals.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            rows.append({})
        else:
            originals.append(parsed)
            rows.append(parsed)
    coerced = coerce_rows(rows, columns)
    table = pa.table({"_index": pa.array(range(len(rows)), pa.int64())})
    return RawBatch(table, coerced, numbers[0], list(numbers), originals, unreadable)


__all__ = [
    "DEFAULT_BATCH_ROWS",
    "FORMATS",
    "MalformedLine",
    "RawBatch",
    "UNREADABLE",
    "column_names",
    "file_format",
    "read_batches",
]
