"""`finmon kyc`: onboarding checks, customer risk ratings and the periodic review queue.

``onboard`` decides on one application file; ``rate`` rates every customer of
a canonical dataset directory and writes one row per customer; ``review-due``
lists customers whose periodic review has fallen due. Sanctions and PEP
screening plug in through :data:`screener_factory` (the screening package
provides one); without it the screening checks see no hits.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.table import Table

from finmon.aml.kyc import (
    NameScreener,
    OnboardingResult,
    onboarding,
    parse_application,
    rate_dataset,
)
from finmon.aml.kyc.batch import DatasetRating
from finmon.commands.output import console, emit_json, key_value_table
from finmon.core.clock import SimulatedClock, SystemClock, ensure_utc
from finmon.core.errors import ValidationError

app = typer.Typer(
    help="KYC: onboarding checks, customer risk ratings, periodic reviews.",
    no_args_is_help=True,
)


#: Builds the screener the commands use: the lists loaded with ``finmon lists load``
#: (``None`` when none are, and screening is reported as not performed).
def _loaded_lists() -> NameScreener | None:
    from finmon.aml.kyc.list_screener import loaded_list_screener
    from finmon.core.settings import load_settings

    return loaded_list_screener(load_settings().data_dir / "screening")


screener_factory: Callable[[], NameScreener | None] = _loaded_lists

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DataOption = Annotated[
    Path, typer.Option("--data", help="Dataset directory: customers.*, accounts.*, transactions.*")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="ISO date or instant (UTC) to rate as of; default: last transaction."
    ),
]


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not an ISO date or instant", field="as_of") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return ensure_utc(value, "as_of")


@app.command()
def onboard(
    file: Annotated[Path, typer.Argument(help="The application as a JSON object.")],
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check one application: approve, refer (enhanced due diligence) or reject, with reasons."""
    try:
        data = orjson.loads(file.read_bytes())
    except FileNotFoundError:
        raise ValidationError(f"{file} does not exist", field="file") from None
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"{file} is not JSON: {exc}", field="file") from None
    application = parse_application(data)
    instant = _instant(as_of)
    clock = SimulatedClock(instant) if instant is not None else SystemClock()
    result = onboarding.onboard(application, clock=clock, screener=screener_factory())
    if as_json:
        emit_json(result.to_dict())
        return
    _print_onboarding(result)


def _print_onboarding(result: OnboardingResult) -> None:
    colour = {"approve": "green", "refer": "yellow", "reject": "red"}[result.outcome]
    console.print(f"outcome: [bold {colour}]{result.outcome}[/bold {colour}]")
    table = Table(title="checks", title_justify="left")
    for column in ("check", "field", "status", "reason"):
        table.add_column(column)
    for c in result.checks:
        table.add_row(c.check, c.field, c.status, c.reason)
    console.print(table)
    rating = result.rating
    console.print(
        f"risk: score {rating.score:g}, tier {rating.tier}; EDD triggers: "
        + (", ".join(t.code for t in rating.triggers) or "none")
    )


def _row(rating: Any) -> dict[str, Any]:
    data = rating.to_dict()
    return {
        "customer_id": data["customer_id"],
        "score": data["score"],
        "tier": data["tier"],
        "triggers": orjson.dumps(data["triggers"]).decode(),
        "next_review": data["next_review"],
        "factors": orjson.dumps(data["factors"]).decode(),
    }


def write_ratings(result: DatasetRating, out: Path) -> None:
    """One row per customer; ``.csv``, ``.parquet``, ``.jsonl`` or ``.json`` by suffix."""
    suffix = out.suffix.lower()
    if suffix == ".json":
        out.write_bytes(
            orjson.dumps([r.to_dict() for r in result.ratings], option=orjson.OPT_INDENT_2)
        )
    elif suffix == ".jsonl":
        out.write_bytes(b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in result.ratings))
    elif suffix == ".csv":
        rows = [_row(r) for r in result.ratings]
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle,
                fieldnames=["customer_id", "score", "tier", "triggers", "next_review", "factors"],
            )
            writer.writeheader()
            writer.writerows(rows)
    elif suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist([_row(r) for r in result.ratings]), out)
    else:
        raise ValidationError(
            f"cannot write {out.name}: use .csv, .parquet, .jsonl or .json", field="out"
        )


def _matrix_table(result: DatasetRating) -> Table:
    matrix = result.agreement_matrix()
    tiers = next(iter(matrix.values())).keys() if matrix else []
    table = Table(title="file risk_rating (rows) vs KYC tier (columns)", title_justify="left")
    table.add_column("file")
    for tier in tiers:
        table.add_column(tier, justify="right")
    for row, cells in matrix.items():
        table.add_row(row, *(f"{v:,}" for v in cells.values()))
    return table


@app.command()
def rate(
    data: DataOption,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write ratings (.csv, .parquet, .jsonl, .json).")
    ] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rate every customer: score, tier, EDD triggers, next review, factor breakdown."""
    result = rate_dataset(data, as_of=_instant(as_of), screener=screener_factory())
    if out is not None:
        write_ratings(result, out)
    summary = result.to_dict()
    if out is not None:
        summary["out"] = str(out)
    if as_json:
        emit_json(summary)
        return
    console.print(
        key_value_table(
            f"KYC ratings of {data} as of {summary['as_of']}",
            {
                "customers": f"{summary['customers']:,}",
                **{f"tier {k}": f"{v:,}" for k, v in summary["tiers"].items()},
                "with EDD triggers": f"{summary['edd']:,}",
                "same tier as the file": f"{summary['agreement_with_file']:.1%}",
                **({"written to": str(out)} if out is not None else {}),
            },
        )
    )
    console.print(_matrix_table(result))


@app.command("review-due")
def review_due(
    data: DataOption,
    as_of: AsOfOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows to print.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Customers whose periodic review is due (tier interval since onboarding or last review)."""
    instant = _instant(as_of)
    result = rate_dataset(data, as_of=instant, screener=screener_factory())
    when: date = result.as_of.date()
    due = result.review_due(when)
    if as_json:
        emit_json(
            {"as_of": when.isoformat(), "due": len(due), "customers": [d.to_dict() for d in due]}
        )
        return
    table = Table(title=f"{len(due):,} reviews due as of {when}", title_justify="left")
    for column in ("customer_id", "tier", "last_reviewed", "due_on", "days_overdue"):
        table.add_column(column)
    for d in due[:limit]:
        table.add_row(
            d.customer_id, d.tier, str(d.last_reviewed), str(d.due_on), str(d.days_overdue)
        )
    console.print(table)


__all__ = ["app", "screener_factory", "write_ratings"]
