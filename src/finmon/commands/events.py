"""`finmon events`: look at, check, prove and export the event log."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from finmon.commands.output import console, emit_json, errors, key_value_table
from finmon.core.settings import load_settings
from finmon.events.export import export_jsonl, export_parquet
from finmon.events.factory import open_log, published_checkpoints
from finmon.events.log import Log, LogRecord, verify_record_proof

app = typer.Typer(
    help="The tamper-evident event log: tail, verify, prove, export.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


def _log() -> Log:
    return open_log(load_settings())


def _summary(record: LogRecord) -> dict[str, object]:
    event = orjson.loads(record.body)
    return {
        "seq": record.seq,
        "hash": record.hash.hex()[:16],
        "type": event.get("type"),
        "partition_key": event.get("partition_key"),
        "occurred_at": event.get("occurred_at"),
        "id": event.get("id"),
    }


@app.command()
def tail(
    lines: Annotated[int, typer.Option("-n", "--lines", min=1, help="How many records.")] = 10,
    event_type: Annotated[str | None, typer.Option("--type", help="Only this event type.")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new records.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show the last records of the log (newest last)."""
    log = _log()
    head = log.head().seq
    start = max(1, head - lines + 1) if event_type is None else 1
    records = [_summary(r) for r in log.read(start)]
    if event_type is not None:
        records = [r for r in records if r["type"] == event_type][-lines:]
    if as_json:
        emit_json({"head_seq": head, "records": records})
        return
    _print_records(records)
    while follow:
        time.sleep(0.5)
        new = [_summary(r) for r in log.read(head + 1)]
        new = [r for r in new if event_type is None or r["type"] == event_type]
        if new:
            _print_records(new)
        head = log.head().seq


def _print_records(records: list[dict[str, object]]) -> None:
    table = Table("seq", "hash", "type", "partition key", "occurred at", "event id")
    for r in records:
        table.add_row(
            *(str(r[k]) for k in ("seq", "hash", "type", "partition_key", "occurred_at", "id"))
        )
    console.print(table)


@app.command()
def verify(
    deep: Annotated[bool, typer.Option("--deep", help="Also recompute every Merkle root.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Recompute the hash chain; check head, signed checkpoints and published anchors.

    Exits 0 when the log is intact, 1 when it is damaged (naming the first bad
    sequence number).
    """
    settings = load_settings()
    log = open_log(settings)
    report = log.verify(deep=deep, anchors=published_checkpoints(settings).load())
    if as_json:
        emit_json(report.to_dict())
    elif report.ok:
        console.print(
            f"[green]intact[/green]: {report.records_checked:,} records, "
            f"{report.checkpoints_checked:,} signed checkpoints, "
            f"{report.records_per_second:,.0f} records/s"
        )
    else:
        first = report.first
        assert first is not None  # noqa: S101 - not ok means a finding exists
        errors.print(f"[red]DAMAGED[/red] first bad seq {first.seq}: {first.kind}: {first.detail}")
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def checkpoint(as_json: JsonOption = False) -> None:
    """Sign a checkpoint over the records not yet covered by one."""
    written = _log().checkpoint_now()
    document = written.to_dict() if written else None
    if as_json:
        emit_json({"checkpoint": document})
    elif document is None:
        console.print("nothing to checkpoint: every record is already covered")
    else:
        console.print(key_value_table("checkpoint", document))


@app.command()
def prove(
    seq: Annotated[int, typer.Argument(min=1, help="Sequence number of the record.")],
    out: Annotated[Path | None, typer.Option(help="Also write the proof as JSON here.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Produce an inclusion proof of one record against its signed checkpoint."""
    log = _log()
    proof, signed = log.prove(seq)
    document = {
        "log_id": log.store.log_id(),
        "proof": proof.to_dict(),
        "checkpoint": signed.to_dict(),
        "verified": verify_record_proof(proof, signed, log.signer.public_key, log.store.log_id()),
    }
    if out is not None:
        out.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    if as_json:
        emit_json(document)
        return
    rows = {
        "record": seq,
        "checkpoint": f"{signed.seq_from}..{signed.seq_to}",
        "root": signed.root.hex(),
        "path length": len(proof.path),
        "verifies": document["verified"],
    }
    console.print(key_value_table("inclusion proof", rows))


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl or parquet.")
    ] = ExportFormat.jsonl,
    seq_from: Annotated[int, typer.Option("--from-seq", min=1, help="First record.")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Write the log's events to JSON Lines or Parquet (one row per record)."""
    log = _log()
    started = time.perf_counter()
    count = (export_parquet if fmt is ExportFormat.parquet else export_jsonl)(log, out, seq_from)
    elapsed = time.perf_counter() - started
    summary = {
        "records": count,
        "out": str(out),
        "format": fmt.value,
        "elapsed_s": round(elapsed, 3),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(f"exported {count:,} records to {out} ({fmt.value}) in {elapsed:.2f} s")
