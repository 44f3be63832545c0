"""The demo's report for people: one table per stage, plain words, ticks and crosses."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _mark(value: object) -> str:
    return "[green]yes[/green]" if value else "[red]NO[/red]"


def _table(title: str) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", min_width=34)
    table.add_column()
    return table


def render(result: dict[str, Any], console: Console) -> None:
    """Print the demo's figures as four short tables."""
    sim, ingest, verify = result["simulation"], result["ingest"], result["verify"]
    bank = _table("1. the simulated bank (finmon.sim)")
    bank.add_row("scenario / seed", f"{sim['scenario']} / {sim['seed']}")
    bank.add_row("customers / transactions", f"{sim['customers']:,} / {sim['transactions']:,}")
    bank.add_row("labelled fraud + AML transactions", f"{sim['labelled_transactions']:,}")
    bank.add_row(
        "typology instances",
        f"{sum(sim['instances'].values())} of "
        f"{len(sim['instances'])} typologies (labels kept apart in {sim['out']})",
    )
    console.print(bank)

    loaded = _table("2. ingestion into the event log (finmon.sources)")
    loaded.add_row("rows read / accepted", f"{ingest['rows_read']:,} / {ingest['accepted']:,}")
    loaded.add_row(
        "already in the log / rejected", f"{ingest['duplicates']:,} / {ingest['rejected']:,}"
    )
    references = ", ".join(f"{n} {c['read']:,}" for n, c in ingest["references"].items())
    loaded.add_row("reference files", references or "none")
    console.print(loaded)

    projected = _table("3. projection over the bus (consumer group of two)")
    projected.add_row(
        "transactions consumed",
        f"{result['bus']['consumed']:,} ({result['bus']['rate_per_s']:,}/s)",
    )
    projected.add_row("bus projection = direct replay", _mark(result["replay_matches_live"]))
    pairs = result["internal_transfers"]
    projected.add_row(
        "internal transfers net to zero",
        f"{_mark(result['internal_transfers_net_to_zero'])} {pairs['balanced_pairs']:,} pairs",
    )
    projected.add_row("100.00 USD split 3 ways", ", ".join(result["fee_split"]))
    console.print(projected)

    proof, tamper = result["proof"], result["tamper_check"]
    integrity = _table("4. the tamper-evident log (finmon.events)")
    integrity.add_row(
        "head / signed checkpoints", f"{result['log_head_seq']:,} / {result['checkpoints']:,}"
    )
    integrity.add_row("verify", f"{_mark(verify['ok'])} {verify['records_checked']:,} records")
    integrity.add_row(
        "inclusion proof",
        f"record {proof['seq']:,} in {proof['checkpoint']}, "
        f"{proof['path_length']} hashes: {_mark(proof['verified'])}",
    )
    if "skipped" in tamper:
        integrity.add_row("edited copy caught", str(tamper["skipped"]))
    else:
        integrity.add_row(
            "edited copy caught",
            f"one bit of record {tamper['edited_seq']:,}: "
            f"{tamper['kind']} at {tamper['first_bad_seq']} {_mark(tamper['detected'])}",
        )
    console.print(integrity)
    console.print(
        f"data in {result['data_dir']}; next: .venv/bin/finmon events verify, "
        ".venv/bin/finmon events tail, .venv/bin/finmon sim scenarios"
    )
