"""A labelled (or unlabelled) dataset directory, read for training, scoring and evaluation.

The directory holds the canonical files a bank (or ``finmon sim generate``)
writes: ``transactions.*`` and optionally ``customers.*``, ``merchants.*``,
``labels.*`` and ``ground_truth.*``. Transactions go through the same
validator as ingestion, so the engine sees exactly what an import would
accept; rows it refuses are kept with their problems (the scorer answers
"review: invalid input" for them, never skips them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finmon.core.errors import NotFoundError, Problem
from finmon.monitor.reference import ReferenceData
from finmon.sources.canonical import TABLES, TRANSACTION_COLUMNS, arrow_schema
from finmon.sources.readers import FORMATS, read_batches
from finmon.sources.validate import TransactionValidator

_SUFFIXES = tuple(sorted(FORMATS, key=lambda s: (s != ".parquet", s)))


@dataclass(frozen=True, slots=True)
class Refused:
    """An input row the validator refused: its row number, id (if any) and problems."""

    row: int
    transaction_id: str
    problems: tuple[Problem, ...]


@dataclass(slots=True)
class Dataset:
    """Clean transactions in event-time order, plus whatever labels and references exist."""

    directory: Path
    transactions: pa.Table
    reference: ReferenceData
    labels: pa.Table | None = None
    ground_truth: pa.Table | None = None
    refused: list[Refused] = field(default_factory=list)

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    def labels_aligned(self) -> Labels:
        """Labels per transaction, aligned with :attr:`transactions`.

        A transaction missing from the labels file counts as legitimate (the
        convention of every public fraud dataset: labels list the positives).
        """
        if self.labels is None:
            raise NotFoundError(f"{self.directory} has no labels file", field="data")
        columns = self.labels.column_names
        ids = self.labels.column("transaction_id").to_pylist()
        fraud = self.labels.column("is_fraud").to_pylist()
        none = [None] * len(ids)
        typ = self.labels.column("typology").to_pylist() if "typology" in columns else none
        inst = self.labels.column("instance_id").to_pylist() if "instance_id" in columns else none
        by_id = {
            i: (_truthy(f), t or "", n or "")
            for i, f, t, n in zip(ids, fraud, typ, inst, strict=True)
        }
        tids = self.transactions.column("transaction_id").to_pylist()
        rows = [by_id.get(tid, (False, "", "")) for tid in tids]
        return Labels(
            y=np.array([r[0] for r in rows], dtype=bool),
            typology=[r[1] for r in rows],
            instance=[r[2] for r in rows],
        )


@dataclass(frozen=True, slots=True)
class Labels:
    """Ground truth per transaction: fraud flag, typology and typology instance ("" if none)."""

    y: np.ndarray
    typology: list[str]
    instance: list[str]


_TRUE = frozenset({"true", "1", "yes", "y", "t"})


def _truthy(value: object) -> bool:
    """A label flag as files carry it: a boolean, or text such as ``true``/``1``."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def find_table(directory: Path, name: str) -> Path | None:
    """``directory/name.parquet`` (else ``.csv``, ``.jsonl``), or None."""
    for suffix in _SUFFIXES:
        path = directory / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def _read(path: Path, name: str) -> pa.Table:
    tables = [
        pa.table({n: b.coerced.columns[n] for n in b.coerced.columns})
        for b in read_batches(path, TABLES[name])
    ]
    return pa.concat_tables(tables, promote_options="default") if tables else pa.table({})


def load_dataset(directory: Path, *, home_country: str = "US") -> Dataset:
    """Read and validate a dataset directory (see the module docstring).

    Raises:
        NotFoundError: no ``transactions.*`` file in ``directory``.
    """
    path = find_table(directory, "transactions")
    if path is None:
        raise NotFoundError(
            f"{directory} holds no transactions file (transactions.parquet, .csv or .jsonl)",
            field="data",
        )
    validator = TransactionValidator()
    rows: list[dict[str, object]] = []
    refused: list[Refused] = []
    for batch in read_batches(path, TRANSACTION_COLUMNS):
        result = validator.validate(batch.coerced, batch.first_row, batch.numbers)
        rows.extend(result.rows)
        if result.bad:
            ids = batch.coerced.columns.get("transaction_id")
            id_list = ids.to_pylist() if ids is not None else [None] * batch.coerced.num_rows
            for index in sorted(result.bad):
                refused.append(
                    Refused(
                        result.row_number(index),
                        str(id_list[index] or ""),
                        tuple(result.bad[index]),
                    )
                )
    table = pa.Table.from_pylist(rows, schema=arrow_schema("transactions"))
    order = pc.sort_indices(table, sort_keys=[("occurred_at", "ascending")])  # stable
    table = table.take(order)
    labels_path = find_table(directory, "labels")
    truth_path = find_table(directory, "ground_truth")
    return Dataset(
        directory=directory,
        transactions=table,
        reference=ReferenceData.load(directory, home_country=home_country),
        labels=_read(labels_path, "labels") if labels_path else None,
        ground_truth=_read(truth_path, "ground_truth") if truth_path else None,
        refused=refused,
    )


__all__ = ["Dataset", "Labels", "Refused", "find_table", "load_dataset"]
