"""Import a canonical transactions file (and the reference files beside it) into the log.

Two modes, and neither ever half-imports a file silently:

- **reject** (default): the whole file is validated first and nothing is
  written unless every row (of the transactions file and of every reference
  file) is good; otherwise the report names each bad row, field and reason.
  The file is read twice (check, then write) instead of being held in memory,
  so a file of any size can be imported; if it changes between the two reads
  the import stops with an error saying so.
- **dead letter**: good rows are written, bad rows go to the dead-letter file
  with their reasons (:mod:`finmon.sources.deadletter`), and the outcome says
  how many.

In both modes a CSV whose lines do not split into the header's columns, or a
file without a required column, is refused whole: that is a broken export, not
a few bad rows, and row numbers after a broken line could not be trusted.

Rows the log already holds (same ``transaction_id`` from an earlier import) are
counted as duplicates, not errors, and are not stored again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from finmon.core.clock import Clock
from finmon.core.errors import IntegrityError, NotFoundError, Problem, ValidationError
from finmon.events.envelope import Envelope
from finmon.events.log import Log
from finmon.sources.canonical import TRANSACTION_COLUMNS
from finmon.sources.deadletter import DeadLetterWriter, check_dead_letter_path
from finmon.sources.readers import (
    DEFAULT_BATCH_ROWS,
    UNREADABLE,
    MalformedLine,
    RawBatch,
    column_names,
    file_format,
    read_batches,
)
from finmon.sources.reference import ENTITIES, ReferenceValidator, reference_envelope
from finmon.sources.report import Counts, IngestReport, Outcome
from finmon.sources.validate import REQUIRED, RowProblem, TransactionValidator, Validated
from finmon.sources.writer import append_rows, append_transactions

Progress = Callable[[str, int], None]
"""Called as ``progress(phase, rows_done)``; phase is ``check`` or ``import``."""


@dataclass(slots=True)
class _Reference:
    """A reference file, validated: its clean rows, and its bad rows kept for dead letters."""

    table: str
    path: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    bad: list[tuple[RawBatch, dict[int, list[Problem]], list[int]]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


def reference_files(path: Path) -> dict[str, Path]:
    """``customers``, ``accounts``, ``merchants``, ``devices`` files beside ``path``, same type."""
    found = {}
    for table in ENTITIES:
        candidate = path.with_name(table + path.suffix)
        if candidate.is_file() and candidate.resolve() != path.resolve():
            found[table] = candidate
    return found


def _missing_columns(path: Path, required: tuple[str, ...]) -> list[RowProblem]:
    present = set(column_names(path))
    if file_format(path) == "jsonl":
        return []  # JSON objects may each omit keys: checked per row
    return [
        RowProblem(0, name, "is a required column and the file has none", "missing", path.name)
        for name in required
        if name not in present
    ]


def _load_reference(table: str, path: Path) -> _Reference:
    ref = _Reference(table, path)
    columns = ENTITIES[table][1]
    missing = _missing_columns(path, tuple(c.name for c in columns if c.required))
    if missing:
        ref.problems = missing
        return ref
    validator = ReferenceValidator(table)
    malformed: list[MalformedLine] = []
    for batch in read_batches(path, columns, malformed=malformed):
        numbers = batch.numbers or list(
            range(batch.first_row, batch.first_row + batch.coerced.num_rows)
        )
        rows, bad = validator.validate(batch.coerced, numbers)
        _mark_unreadable(batch, bad)
        ref.rows.extend(rows)
        ref.counts.read += batch.coerced.num_rows
        ref.counts.rejected += len(bad)
        if bad:
            ref.bad.append((batch, bad, [numbers[i] for i in sorted(bad)]))
            ref.problems.extend(
                RowProblem(numbers[i], p.field, p.reason, p.code, path.name)
                for i in sorted(bad)
                for p in bad[i]
            )
    ref.problems.extend(RowProblem(m.line, "", m.reason, "malformed", path.name) for m in malformed)
    return ref


def _mark_unreadable(batch: RawBatch, bad: dict[int, list[Problem]]) -> None:
    """A JSON line that is not an object has one problem: that, not its missing fields."""
    for index, reason in batch.unreadable.items():
        bad[index] = [Problem("", reason, "unreadable")]


@dataclass(slots=True)
class _Check:
    rows: int = 0
    bad_rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    malformed: list[MalformedLine] = field(default_factory=list)


def _check(
    path: Path, owners: dict[str, str], batch_rows: int, validate: bool, progress: Progress | None
) -> _Check:
    """The first read: every row validated (reject mode) or just parsed (CSV structure)."""
    check = _Check()
    validator = TransactionValidator(owners)
    batches = read_batches(
        path, TRANSACTION_COLUMNS, batch_rows=batch_rows, malformed=check.malformed
    )
    try:
        for batch in batches:
            check.rows += batch.coerced.num_rows
            if validate:
                result = validator.validate(batch.coerced, batch.first_row, batch.numbers)
                _mark_unreadable(batch, result.bad)
                check.bad_rows += len(result.bad)
                check.problems.extend(result.problems())
            if progress is not None:
                progress("check", check.rows)
    except ValidationError as exc:
        if exc.code != UNREADABLE:
            raise
        check.malformed.append(MalformedLine(0, exc.message))
    return check


def _fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def ingest_file(
    path: Path | str,
    log: Log,
    *,
    dead_letter: Path | str | None = None,
    clock: Clock | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
) -> IngestReport:
    """Import ``path`` (CSV, JSON Lines or Parquet) and its reference files into ``log``.

    Raises:
        NotFoundError: ``path`` does not exist.
        ValidationError: unknown file type, or a dead-letter path that does not fit.
        IntegrityError: the file changed between the check and the import.
    """
    started = time.perf_counter()
    source = Path(path)
    if not source.is_file():
        raise NotFoundError(f"no such file: {source}", field="path")
    file_format(source)
    target = Path(dead_letter) if dead_letter is not None else None
    report = IngestReport(source=str(source), dead_letter=str(target) if target else None)
    dl_format = check_dead_letter_path(source, target) if target is not None else None
    fingerprint = _fingerprint(source)
    missing = _missing_columns(source, REQUIRED)
    refs = {t: _load_reference(t, p) for t, p in reference_files(source).items()}
    owners = _owners(refs)
    check = None
    if not missing and (target is None or file_format(source) == "csv"):
        check = _check(source, owners, batch_rows, target is None, progress)
    elif not missing:
        check = _Check()  # dead-letter mode: JSON lines and Parquet have no structure to break
    report.add_problems(missing)
    for ref in refs.values():
        report.references[ref.table] = ref.counts
        report.add_problems(ref.problems)
    if check is not None:
        report.rows_read = check.rows
        report.add_problems(check.problems)
        report.add_problems(
            [RowProblem(m.line, "", m.reason, "malformed") for m in check.malformed]
        )
    if _refused(report, refs, check, target is None):
        report.outcome = Outcome.REJECTED
        report.rejected = check.bad_rows if check is not None else 0
        report.dead_letter = None
        report.elapsed_s = time.perf_counter() - started
        return report
    if _fingerprint(source) != fingerprint:
        raise IntegrityError(f"{source} changed while it was being checked; import it again")
    _write_references(log, refs, target, dl_format, clock)
    _import(source, log, report, owners, target, dl_format, clock, batch_rows, progress)
    report.outcome = Outcome.PARTIAL if report.problem_count else Outcome.ACCEPTED
    if target is not None and not report.problem_count:
        report.dead_letter = None
    report.elapsed_s = time.perf_counter() - started
    return report


def _owners(refs: dict[str, _Reference]) -> dict[str, str]:
    accounts = refs.get("accounts")
    if accounts is None:
        return {}
    return {row["account_id"]: row["customer_id"] for row in accounts.rows}


def _refused(
    report: IngestReport, refs: dict[str, _Reference], check: _Check | None, strict: bool
) -> bool:
    """Refuse the whole import: broken structure always, any bad row in reject mode."""
    if check is None or check.malformed:
        return True
    if any(p.code in ("malformed", "missing") and p.row == 0 for p in report.problems):
        return True
    if any(p.code == "malformed" for r in refs.values() for p in r.problems):
        return True
    return strict and report.problem_count > 0


def _write_references(
    log: Log,
    refs: dict[str, _Reference],
    target: Path | None,
    dl_format: str | None,
    clock: Clock | None,
) -> None:
    """Reference rows first, so an account's owner is known before its transactions."""
    for ref in refs.values():
        stored, duplicates = append_rows(log, ref.rows, partial(_reference_event, ref.table, clock))
        ref.counts.accepted, ref.counts.duplicates = stored, duplicates
        if target is None or dl_format is None:
            continue
        path = target.with_name(f"{target.stem}.{ref.table}{target.suffix}")
        path.unlink(missing_ok=True)
        if ref.bad:
            with DeadLetterWriter(path, dl_format) as writer:
                for batch, bad, numbers in ref.bad:
                    writer.write(batch, bad, numbers)


def _reference_event(
    table: str, clock: Clock | None, rows: Sequence[Mapping[str, Any]]
) -> list[Envelope]:
    return [reference_envelope(table, row, clock=clock) for row in rows]


def _import(
    source: Path,
    log: Log,
    report: IngestReport,
    owners: dict[str, str],
    target: Path | None,
    dl_format: str | None,
    clock: Clock | None,
    batch_rows: int,
    progress: Progress | None,
) -> None:
    """The second read: validate again, append the good rows, dead-letter the bad ones."""
    validator = TransactionValidator(owners)
    writer = DeadLetterWriter(target, dl_format) if target and dl_format else None
    if target is not None:
        target.unlink(missing_ok=True)  # each run replaces the dead letters of the last
    done = 0
    with writer if writer is not None else nullcontext():
        for batch in read_batches(source, TRANSACTION_COLUMNS, batch_rows=batch_rows):
            result = validator.validate(batch.coerced, batch.first_row, batch.numbers)
            _mark_unreadable(batch, result.bad)
            _settle(log, report, batch, result, writer, clock)
            done += batch.coerced.num_rows
            if progress is not None:
                progress("import", done)
    report.rows_read = done


def _settle(
    log: Log,
    report: IngestReport,
    batch: RawBatch,
    result: Validated,
    writer: DeadLetterWriter | None,
    clock: Clock | None,
) -> None:
    if result.bad and writer is None:
        raise IntegrityError(
            f"{report.source} changed while it was being imported: rows that passed the "
            f"check now fail ({result.problems()[0]}); {report.accepted} rows were stored"
        )
    stored, duplicates = append_transactions(log, result.rows, clock=clock)
    report.accepted += stored
    report.duplicates += duplicates
    if writer is not None and result.bad:
        writer.write(batch, result.bad, [result.row_number(i) for i in sorted(result.bad)])
        report.rejected += len(result.bad)
        report.add_problems(result.problems())


__all__ = ["Progress", "ingest_file", "reference_files"]
