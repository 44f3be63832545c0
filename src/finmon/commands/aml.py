"""`finmon aml`: run the AML typology detectors over data and measure them on labels.

The contract commands: ``detect`` writes one row per finding; ``evaluate``
reports recall, precision and time to alert per typology (docs/aml.md says
how findings are matched to labelled instances).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from finmon.aml.detectors.profile import NameMatcher
from finmon.aml.detectors.run import evaluate_run, run_dataset, write_findings
from finmon.aml.detectors.screening_matcher import loaded_lists_matcher
from finmon.commands.output import console, emit_json, errors
from finmon.core.settings import load_settings
from finmon.monitor import service
from finmon.monitor.dataset import load_dataset

app = typer.Typer(
    help="AML typology detection: run the detectors, evaluate them on labelled data.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
SanctionsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--sanctions",
        help="Sanctions list file or folder (OFAC CSV, a 'name' CSV or one name a line); "
        "repeatable, exact names. Default: the lists loaded with `finmon lists load` "
        "(full screening), else the shared sanctions folder when present.",
    ),
]


def _matcher(sanctions: list[Path] | None) -> NameMatcher | None:
    """The screener over loaded lists, unless explicit list files were given."""
    if sanctions:
        return None
    return loaded_lists_matcher(load_settings().data_dir / "screening")


@app.command()
def detect(
    data: Annotated[
        Path, typer.Option("--data", help="A directory with a canonical transactions.* file.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Findings file to write (.csv or .jsonl).")],
    sanctions: SanctionsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run every AML detector over DIR and write one row per finding."""
    dataset = load_dataset(data)
    run = run_dataset(dataset, sanctions=sanctions, name_matcher=_matcher(sanctions))
    written = write_findings(run.findings, out)
    by_typology: dict[str, int] = {}
    for found in run.findings:
        by_typology[found.typology] = by_typology.get(found.typology, 0) + 1
    document: dict[str, Any] = {
        "transactions": run.transactions,
        "refused": [
            {
                "row": r.row,
                "transaction_id": r.transaction_id,
                "problems": [str(p) for p in r.problems],
            }
            for r in dataset.refused
        ],
        "findings": written,
        "by_typology": dict(sorted(by_typology.items())),
        "listed_names": run.listed_names,
        "seconds": round(run.seconds, 2),
        "out": str(out),
    }
    if as_json:
        emit_json(document)
        return
    table = Table(title=f"AML findings in {data}", title_justify="left")
    table.add_column("typology")
    table.add_column("findings", justify="right")
    for typology, count in document["by_typology"].items():
        table.add_row(typology, str(count))
    console.print(table)
    console.print(f"{written} findings from {run.transactions} transactions -> {out}")
    for refused in document["refused"]:
        errors.print(
            f"[yellow]row {refused['row']} not screened[/yellow]: {'; '.join(refused['problems'])}"
        )


@app.command()
def evaluate(
    scenario: Annotated[
        str | None, typer.Option("--scenario", "-s", help="Shipped scenario name or a .toml path.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Override the seed.")] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="A labelled dataset directory.")
    ] = None,
    sanctions: SanctionsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per typology: instances, detected, recall, findings, precision, median time to alert."""
    settings = load_settings()
    dataset, source = service.resolve_dataset(settings, scenario=scenario, seed=seed, data=data)
    run = run_dataset(dataset, sanctions=sanctions, name_matcher=_matcher(sanctions))
    document = {"source": source, **evaluate_run(dataset, run)}
    if as_json:
        emit_json(document)
        return
    table = Table(title=f"AML detection on {source}", title_justify="left")
    for column in ("typology", "instances", "detected", "recall", "findings", "precision"):
        table.add_column(column, justify="left" if column == "typology" else "right")
    table.add_column("precision (any typology)", justify="right")
    table.add_column("median h to alert", justify="right")
    for row in document["typologies"]:
        table.add_row(
            row["typology"],
            str(row["instances"]),
            str(row["detected"]),
            _pct(row["recall"]),
            str(row["findings"]),
            _pct(row["precision"]),
            _pct(row["precision_any"]),
            "-"
            if row["median_time_to_alert_hours"] is None
            else f"{row['median_time_to_alert_hours']:.1f}",
        )
    console.print(table)
    console.print(
        f"{document['findings']} findings over {document['transactions']} transactions "
        f"({document['tx_per_second']} tx/s); any-typology precision "
        f"{_pct(document['precision_any'])}"
    )
    for instance, share in document["ring_account_recall"].items():
        console.print(f"ring {instance}: {share:.1%} of its accounts named in findings")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


__all__ = ["app"]
