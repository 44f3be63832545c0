"""`finmon sim`: generate the bank twin's data, stream it into the bus, report on its realism."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from finmon.commands.output import console, emit_json, key_value_table
from finmon.events.inprocess_bus import InProcessBus
from finmon.sim.dataset import generate_dataset
from finmon.sim.generator import Batch, Simulation
from finmon.sim.scenarios import FaultSpec, load_scenario, shipped_scenarios
from finmon.sim.stream import Pacing, stream_scenario
from finmon.sim.writers import Format
from finmon.sources.warehouse import write_warehouse_table

app = typer.Typer(
    help="The simulated bank: generate labelled data, stream it, report on it.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ScenarioOption = Annotated[
    str, typer.Option("--scenario", "-s", help="Shipped scenario name or a .toml path.")
]
SeedOption = Annotated[int | None, typer.Option("--seed", min=0, help="Override the seed.")]


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write into.")],
    scenario: ScenarioOption = "demo",
    seed: SeedOption = None,
    transactions: Annotated[
        int | None, typer.Option("--transactions", min=1, help="Emit exactly this many.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="File format.")] = Format.parquet,
    as_json: JsonOption = False,
) -> None:
    """Write transactions, customers, accounts, merchants, devices, labels and ground truth."""
    spec = load_scenario(scenario, seed=seed, transactions=transactions)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} tx"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
        transient=True,
    ) as bar:
        task = bar.add_task(f"simulating {spec.name}", total=spec.days, rows=0)
        rows = [0]

        def advance(batch: Batch) -> None:
            rows[0] += batch.transactions.num_rows
            bar.update(task, completed=batch.day + 1, rows=rows[0])

        summary = generate_dataset(spec, out, fmt, progress=advance)
    if as_json:
        emit_json(summary.to_dict())
        return
    data = summary.to_dict()
    console.print(
        key_value_table(
            f"generated {spec.name} into {out}",
            {
                "seed": data["seed"],
                "customers": f"{data['customers']:,}",
                "transactions": f"{data['transactions']:,}",
                "labelled transactions": f"{data['labelled_transactions']:,}",
                "typology instances": sum(summary.instances.values()),
                "seconds": data["seconds"],
                "transactions/s": f"{data['transactions_per_second']:,}",
                "sanctioned names from": data["sanctions_names_from"],
            },
        )
    )
    console.print(key_value_table("instances by typology", summary.instances))


@app.command()
def stream(
    scenario: ScenarioOption = "demo",
    seed: SeedOption = None,
    rate: Annotated[float | None, typer.Option("--rate", min=1, help="Transactions/s.")] = None,
    max_speed: Annotated[bool, typer.Option("--max", help="As fast as possible.")] = False,
    speed: Annotated[
        float | None, typer.Option("--speed", help="Replay event time at this x real time.")
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", min=0, help="Stop after this many seconds.")
    ] = None,
    duplicates: Annotated[float, typer.Option(help="Ratio of duplicated records.")] = 0.0,
    out_of_order: Annotated[float, typer.Option(help="Ratio of out-of-order records.")] = 0.0,
    late: Annotated[float, typer.Option(help="Ratio of late records.")] = 0.0,
    malformed: Annotated[float, typer.Option(help="Ratio of malformed records.")] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Publish the scenario's transactions to the in-process bus and report the rate."""
    spec = load_scenario(scenario, seed=seed)
    pacing = Pacing(
        rate=None if max_speed else rate, speed=None if max_speed else speed, duration=duration
    )
    faults = FaultSpec(
        duplicates=duplicates, out_of_order=out_of_order, late=late, malformed=malformed
    )
    with InProcessBus() as bus:
        stats = stream_scenario(spec, bus, pacing=pacing, faults=faults)
    if as_json:
        emit_json({"scenario": spec.name, **stats.to_dict()})
        return
    console.print(key_value_table(f"streamed {spec.name}", stats.to_dict()))


@app.command()
def report(
    scenario: ScenarioOption = "demo",
    out: Annotated[Path, typer.Option("--out", help="Docs folder to update.")] = Path("docs"),
    as_json: JsonOption = False,
) -> None:
    """Regenerate the realism figures in <out>/simulation.md and the plots in <out>/img/."""
    from finmon.sim.report import write_report

    result = write_report(load_scenario(scenario), out)
    if as_json:
        emit_json(result)
        return
    console.print(
        key_value_table("realism report", {k: v for k, v in result.items() if k != "figures"})
    )


@app.command()
def scenarios(as_json: JsonOption = False) -> None:
    """List the shipped scenarios."""
    rows = {name: load_scenario(name).description for name in shipped_scenarios()}
    if as_json:
        emit_json(rows)
        return
    console.print(key_value_table("scenarios", rows))


__all__ = ["app"]


@app.command()
def warehouse(
    url: Annotated[str, typer.Option("--url", help="SQLAlchemy URL of the warehouse database.")],
    table: Annotated[str, typer.Option("--table", help="Table to create or append to.")] = (
        "transactions"
    ),
    scenario: ScenarioOption = "demo",
    seed: SeedOption = None,
    transactions: Annotated[
        int | None, typer.Option("--transactions", min=1, help="Emit exactly this many.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fill a SQL "data warehouse" table with a scenario's transactions, for `finmon ingest sql`.

    Seed 002 polls a bank's existing warehouse; this stands one up (SQLite or
    PostgreSQL) with canonical columns plus ``row_id`` and ``loaded_at`` watermarks.
    """
    spec = load_scenario(scenario, seed=seed, transactions=transactions)
    written = 0
    for batch in Simulation(spec).batches():
        written += write_warehouse_table(url, table, batch.transactions)
    summary = {"scenario": spec.name, "seed": spec.seed, "table": table, "rows": written}
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"wrote {written:,} {spec.name} transactions into {table}; poll them with: "
            f"finmon ingest sql --url {url} --table {table} --watermark row_id --key row_id --once"
        )
