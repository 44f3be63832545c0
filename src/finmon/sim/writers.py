"""Writing a generated dataset: Parquet, CSV or JSONL, one file per table, batch by batch.

Parquet keeps the canonical Arrow types. CSV and JSONL write instants as ISO
8601 UTC strings with a ``Z`` and microseconds, amounts as the decimal strings
they are, and nulls as empty (CSV) or absent (JSONL), which is what the
ingestion readers expect. Files are written incrementally, so memory stays at
one day of transactions whatever the run's size, and the same batches give the
same bytes.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq


class Format(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


def _text_instants(table: pa.Table) -> pa.Table:
    """Timestamps and dates as ISO 8601 strings (UTC with Z), for text formats."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            text = pc.strftime(table.column(i), format="%Y-%m-%dT%H:%M:%S")
            text = pc.binary_join_element_wise(text, pa.scalar("Z"), "")
            table = table.set_column(i, pa.field(field.name, pa.string()), text)
        elif pa.types.is_date(field.type):
            text = pc.strftime(table.column(i), format="%Y-%m-%d")
            table = table.set_column(i, pa.field(field.name, pa.string()), text)
    return table


class _Sink:
    def __init__(self, path: Path, fmt: Format, schema: pa.Schema) -> None:
        self.path = path
        self.fmt = fmt
        self.rows = 0
        self._writer: Any = None
        self._handle: Any = None
        self._schema = schema

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.fmt is Format.parquet:
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, self._schema, compression="zstd")
            self._writer.write_table(table, row_group_size=1_000_000)
            return
        text = _text_instants(table)
        if self.fmt is Format.csv:
            if self._writer is None:
                self._writer = pcsv.CSVWriter(self.path, text.schema)
            self._writer.write_table(text)
            return
        if self._handle is None:
            self._handle = self.path.open("wb")
        self._handle.write(_jsonl(text))

    def close(self) -> None:
        if self._writer is None and self._handle is None:
            self.write(self._schema.empty_table())
        if self._writer is not None:
            self._writer.close()
        if self._handle is not None:
            self._handle.close()


def _jsonl(table: pa.Table) -> bytes:
    out = bytearray()
    for row in table.to_pylist():
        out += orjson.dumps({k: v for k, v in row.items() if v is not None})
        out += b"\n"
    return bytes(out)


class DatasetWriter:
    """Writes the tables of one dataset into ``directory`` as ``<table>.<format>``."""

    def __init__(self, directory: Path, fmt: Format | str = Format.parquet) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fmt = Format(fmt)
        self._sinks: dict[str, _Sink] = {}

    def write(self, name: str, table: pa.Table) -> None:
        sink = self._sinks.get(name)
        if sink is None:
            path = self.directory / f"{name}.{self.fmt.value}"
            sink = self._sinks[name] = _Sink(path, self.fmt, table.schema)
        sink.write(table)

    def files(self) -> dict[str, dict[str, Any]]:
        return {n: {"path": str(s.path), "rows": s.rows} for n, s in self._sinks.items()}

    def close(self) -> None:
        for sink in self._sinks.values():
            sink.close()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_table(path: Path) -> pa.Table:
    """Read back one written table (Parquet as is; CSV and JSONL as text columns)."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    if path.suffix == ".csv":
        options = pcsv.ConvertOptions(strings_can_be_null=True, auto_dict_encode=False)
        return pcsv.read_csv(path, convert_options=options)
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line]
    return pa.Table.from_pylist(rows)


__all__ = ["DatasetWriter", "Format", "read_table"]
