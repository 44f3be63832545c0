"""Dead-letter files: the rows that were not imported, as they were read, with the reasons.

A dead-letter file is meant to be fixed and fed back to ``finmon ingest file``,
so it keeps the input's columns and values untouched and adds two:

- ``_row``: the row's number in the original file;
- ``_errors``: every problem as ``field: reason`` (JSON Lines: a list; CSV and
  Parquet: joined by `` | ``).

The format follows the dead-letter path's extension: JSON Lines for any input,
CSV only for a CSV input and Parquet only for a Parquet one (so the columns
written are exactly the columns read). A JSON line that was not even an object
is kept as its text under ``_line``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from finmon.core.errors import Problem, ValidationError
from finmon.sources.readers import RawBatch, file_format

_SEPARATOR = " | "


def check_dead_letter_path(source: Path, dead_letter: Path) -> str:
    """The dead-letter format for ``source``; refuses a pairing that would change columns."""
    out = file_format(dead_letter)
    if out not in ("jsonl", file_format(source)):
        raise ValidationError(
            f"a {file_format(source)} file's dead letters can be written as "
            f"{file_format(source)} or jsonl, not {out} ({dead_letter.name})",
            field="dead_letter",
        )
    if dead_letter.resolve() == source.resolve():
        raise ValidationError("the dead-letter file cannot be the input file", field="dead_letter")
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)  # Decimal, date, time: their exact text


def _reasons(problems: Sequence[Problem]) -> list[str]:
    return [str(p) for p in problems]


class DeadLetterWriter:
    """Appends rejected rows to one file; created on the first row, so no rows, no file."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.format = fmt
        self.rows = 0
        self._jsonl: IO[bytes] | None = None
        self._arrow: pcsv.CSVWriter | pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, batch: RawBatch, bad: dict[int, list[Problem]], numbers: list[int]) -> None:
        """Write the rows of ``batch`` at indices ``bad`` (with their row ``numbers``)."""
        if not bad:
            return
        indices = sorted(bad)
        if self.format == "jsonl":
            self._write_jsonl(batch, indices, bad, numbers)
        else:
            self._write_arrow(batch, indices, bad, numbers)
        self.rows += len(indices)

    def _write_jsonl(
        self, batch: RawBatch, indices: list[int], bad: dict[int, list[Problem]], numbers: list[int]
    ) -> None:
        if self._jsonl is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._jsonl = self.path.open("wb")
        if batch.originals is not None:
            originals = [batch.originals[i] for i in indices]
        else:
            originals = batch.table.take(pa.array(indices, pa.int64())).to_pylist()
        for original, index, number in zip(originals, indices, numbers, strict=True):
            record = dict(original) if isinstance(original, dict) else {"_line": original}
            record["_row"] = number
            record["_errors"] = _reasons(bad[index])
            self._jsonl.write(orjson.dumps(record, default=_json_default) + b"\n")

    def _write_arrow(
        self, batch: RawBatch, indices: list[int], bad: dict[int, list[Problem]], numbers: list[int]
    ) -> None:
        table = batch.table.take(pa.array(indices, pa.int64()))
        table = table.append_column("_row", pa.array(numbers, pa.int64()))
        errors = [_SEPARATOR.join(_reasons(bad[i])) for i in indices]
        table = table.append_column("_errors", pa.array(errors, pa.string()))
        if self._arrow is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._schema = table.schema
            if self.format == "csv":
                self._arrow = pcsv.CSVWriter(self.path, table.schema)
            else:
                self._arrow = pq.ParquetWriter(self.path, table.schema)
        self._arrow.write_table(table.cast(self._schema))

    def close(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
            self._jsonl = None
        if self._arrow is not None:
            self._arrow.close()
            self._arrow = None

    def __enter__(self) -> DeadLetterWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["DeadLetterWriter", "check_dead_letter_path"]
