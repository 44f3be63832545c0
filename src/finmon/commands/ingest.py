"""`finmon ingest`: load transactions from files and SQL sources, and record manual metrics.

Exit codes of ``ingest file`` are a contract scripts rely on: 0 every row
accepted, 1 the file was rejected (nothing written), 2 some rows went to the
dead-letter file. Other finmon errors (a missing file, an unreachable
database) propagate to :func:`finmon.cli.main`, which prints them.
"""

from __future__ import annotations

import getpass
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from finmon.commands.output import console, emit_json, errors, key_value_table
from finmon.core.errors import FinmonError, ValidationError
from finmon.core.settings import load_settings
from finmon.events.factory import open_log
from finmon.sources.files import Progress as ProgressFn
from finmon.sources.files import ingest_file
from finmon.sources.metrics import list_metrics, metric, record_metric
from finmon.sources.report import IngestReport
from finmon.sources.sql import DEFAULT_BATCH, PollResult, SqlPoller, SqlSource
from finmon.sources.sqlstate import SqlState

app = typer.Typer(
    help="Load transactions into the log: files, SQL tables or queries, manual metrics.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressFn | None]:
    """A rich progress display on stderr while rows are checked and imported."""
    if not enabled:
        yield None
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}
    checked: dict[str, int] = {}

    def update(phase: str, rows: int) -> None:
        if phase not in tasks:
            total = checked.get("check") if phase == "import" else None
            tasks[phase] = bar.add_task(
                "checking" if phase == "check" else "importing", total=total
            )
        checked[phase] = rows
        bar.update(tasks[phase], completed=rows)

    with bar:
        yield update


def _summary(report: IngestReport) -> None:
    colour = {"accepted": "green", "rejected": "red", "partial": "yellow"}[report.outcome.value]
    rows = {
        "outcome": f"[{colour}]{report.outcome.value}[/{colour}]",
        "rows read": f"{report.rows_read:,}",
        "accepted (new in the log)": f"{report.accepted:,}",
        "duplicates (already in the log)": f"{report.duplicates:,}",
        "rejected": f"{report.rejected:,}",
        "rate": f"{report.rows_per_s:,.0f} rows/s in {report.elapsed_s:.2f} s",
    }
    for name, counts in report.references.items():
        rows[name] = (
            f"{counts.read:,} read, {counts.accepted:,} new, {counts.duplicates:,} known, "
            f"{counts.rejected:,} rejected"
        )
    if report.dead_letter:
        rows["dead letters"] = report.dead_letter
    console.print(key_value_table(f"ingest {report.source}", rows))
    if report.problems:
        table = Table("file", "row", "field", "reason", title="problems", title_justify="left")
        for p in report.problems:
            table.add_row(p.file, str(p.row) if p.row else "", p.field, p.reason)
        console.print(table)
        if report.problem_count > len(report.problems):
            console.print(f"... and {report.problem_count - len(report.problems):,} more problems")


@app.command("file")
def file_command(
    path: Annotated[Path, typer.Argument(help="transactions.csv, .jsonl or .parquet")],
    dead_letter: Annotated[
        Path | None,
        typer.Option(
            "--dead-letter",
            help="Import the good rows and write the bad ones here (with _row and _errors).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a canonical transactions file and the reference files beside it.

    Exit 0: every row accepted. 1: the file was rejected, nothing written.
    2: some rows went to the dead-letter file.
    """
    log = open_log(load_settings())
    try:
        with _progress(not as_json and errors.is_terminal) as progress:
            report = ingest_file(path, log, dead_letter=dead_letter, progress=progress)
    except FinmonError as exc:
        # A file that cannot be read at all is rejected (contract: exit 1), never
        # mistaken for a partial import (exit 2, what finmon.cli gives other errors).
        if as_json:
            emit_json({"outcome": "rejected", "error": exc.to_dict()})
        else:
            errors.print(f"[red]rejected[/red] {path}: {exc.message}")
        raise typer.Exit(1) from None
    if as_json:
        emit_json(report.to_dict())
    else:
        _summary(report)
    raise typer.Exit(report.exit_code)


class _Stop:
    """Stop polling at the next batch boundary on SIGINT/SIGTERM (the batch in hand completes)."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


@app.command("sql")
def sql_command(
    url: Annotated[str, typer.Option("--url", help="SQLAlchemy URL of the source database.")],
    watermark: Annotated[
        str, typer.Option("--watermark", help="Monotonic column: updated_at, an id.")
    ],
    key: Annotated[str, typer.Option("--key", help="Unique column that breaks watermark ties.")],
    table: Annotated[str | None, typer.Option("--table", help="Table to poll.")] = None,
    query: Annotated[str | None, typer.Option("--query", help="Or a SELECT to poll.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Connector name (its saved position).")
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0, help="Seconds between polls when caught up.")
    ] = 5.0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = DEFAULT_BATCH,
    once: Annotated[bool, typer.Option("--once", help="Stop when caught up.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Poll a table or query for new rows, loading each exactly once across restarts."""
    settings = load_settings()
    source = SqlSource(
        url, watermark, key, table=table, query=query, name=name, batch_size=batch_size
    )
    stop = _Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    poller = SqlPoller(source, open_log(settings), SqlState(settings.data_dir / "sources.db"))
    try:
        total = poller.run(
            interval=interval,
            once=once,
            on_poll=None if as_json else _print_poll,
            should_stop=lambda: stop.requested,
        )
    finally:
        poller.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if as_json:
        emit_json({"connector": source.connector, **total.to_dict()})


def _print_poll(result: PollResult) -> None:
    if result.rows:
        errors.print(
            f"{datetime.now(UTC):%H:%M:%S} read {result.rows:,}: {result.accepted:,} new, "
            f"{result.duplicates:,} known, {result.rejected:,} dead-lettered"
        )
    for problem in result.problems[:10]:
        errors.print(f"  [yellow]{problem}[/yellow]")


def _dimensions(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        label, sep, value = pair.partition("=")
        if not sep or not label:
            raise ValidationError(f"{pair!r} is not key=value", field="dimension")
        found[label] = value
    return found


@app.command("metric")
def metric_command(
    name: Annotated[str, typer.Argument(help="Dotted lowercase name: branch.cash_count.")],
    value: Annotated[str, typer.Argument(help="Exact decimal value: 1250.50.")],
    unit: Annotated[str, typer.Option("--unit", help="EUR, transactions, % ...")] = "",
    dimension: Annotated[
        list[str] | None, typer.Option("--dimension", "-d", help="key=value; repeatable.")
    ] = None,
    observed_at: Annotated[
        str | None, typer.Option("--observed-at", help="ISO 8601 with zone; default now.")
    ] = None,
    entered_by: Annotated[
        str | None, typer.Option("--entered-by", help="Default: the OS user.")
    ] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    as_json: JsonOption = False,
) -> None:
    """Record one manually entered metric in the log."""
    log = open_log(load_settings())
    entry = metric(
        name=name,
        value=value,
        unit=unit,
        dimensions=_dimensions(dimension or []),
        observed_at=observed_at or datetime.now(UTC),
        entered_by=entered_by or getpass.getuser(),
        note=note,
    )
    seq = record_metric(log, entry)
    document = {"seq": seq, **entry.model_dump(mode="json")}
    if as_json:
        emit_json(document)
    else:
        console.print(key_value_table("metric recorded", document))


@app.command("metrics")
def metrics_command(
    name: Annotated[str | None, typer.Option("--name", help="Only this metric.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the manually entered metrics, oldest first."""
    entries = [
        e.model_dump(mode="json") for e in list_metrics(open_log(load_settings()), name=name)
    ]
    if as_json:
        emit_json({"metrics": entries})
        return
    table = Table("observed at", "name", "value", "unit", "dimensions", "entered by")
    for e in entries:
        dims = ", ".join(f"{k}={v}" for k, v in e["dimensions"].items())
        table.add_row(e["observed_at"], e["name"], e["value"], e["unit"], dims, e["entered_by"])
    console.print(table)


if __name__ == "__main__":  # python -m finmon.commands.ingest (tests run it as a real process)
    app()
