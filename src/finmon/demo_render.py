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
    """Print the demo's figures: one short table per stage."""
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
    if "monitor" in result:
        render_monitor(result["monitor"], console)
    if "aml" in result:
        render_aml(result["aml"], console)
    console.print(
        f"data in {result['data_dir']}; next: .venv/bin/finmon events verify, "
        ".venv/bin/finmon monitor models list, .venv/bin/finmon monitor evaluate -s holdout, "
        ".venv/bin/finmon aml detect, .venv/bin/finmon lists show"
    )


def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1000:,.2f} ms"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def monitor_live_table(
    snap: dict[str, Any], title: str = "streaming: log -> bus -> monitor pipeline (live)"
) -> Table:
    """The table the demo refreshes while transactions stream through the engine."""
    table = _table(title)
    rate = snap["rate_per_s"]
    table.add_row(
        "decided / streamed",
        f"{snap['decided']:,} / {snap['streamed']:,} ({'-' if rate is None else f'{rate:,}'} tx/s)",
    )
    table.add_row(
        "decision latency p50 / p99",
        f"{_us(snap['latency_p50_us'])} / {_us(snap['latency_p99_us'])}",
    )
    outcomes = snap["decisions_by_outcome"]
    table.add_row("approve / review / block", " / ".join(f"{outcomes[o]:,}" for o in outcomes))
    table.add_row("degraded (rules only)", f"{snap['degraded']:,}")
    table.add_row("alerts", f"{snap['alerts']:,}")
    for typology, count in snap["alerts_by_typology"].items():
        table.add_row(f"  {typology}", f"{count:,}")
    return table


def render_monitor(monitor: dict[str, Any], console: Console) -> None:
    """The monitoring stage's summary: the model, the stream, the evaluation."""
    model, stream, evaluation = monitor["model"], monitor["stream"], monitor["evaluation"]
    trained = _table("5. the monitoring engine (finmon.monitor)")
    how = "trained now" if model["trained"] else "reused (already the champion)"
    trained.add_row("model", f"{model['version']}, {how} in {model['seconds']} s")
    trained.add_row("trained on / evaluated on", f"{model['training_source']} / {stream['source']}")
    trained.add_row("evaluated on a bank it never saw", _mark(monitor["evaluated_on_unseen_bank"]))
    trained.add_row("rules", stream["ruleset"])
    console.print(trained)
    console.print(monitor_live_table(stream, "6. streamed through the monitor pipeline"))
    console.print(
        f"every transaction decided exactly once: {_mark(stream['decided_exactly_once'])} "
        f"({stream['decisions_stored']:,} stored, {stream['decision_events']:,} events)"
    )
    if "refused" in evaluation:
        console.print(f"[red]evaluation refused:[/red] {evaluation['refused']}")
        return
    detectors = [d for d in ("rules", "model", "combined") if d in evaluation]
    quality = Table(title="7. detection on the streamed bank", title_justify="left")
    quality.add_column("measure", style="bold")
    for name in detectors:
        quality.add_column(name, justify="right")
    for label, key in (
        ("PR-AUC", "pr_auc"),
        ("recall @ 1% FPR", "recall_at_fpr_1pct"),
        ("alert precision", "alert_precision"),
        ("alert recall", "alert_recall"),
    ):
        quality.add_row(label, *(_ratio(evaluation[d][key]) for d in detectors))
    quality.add_row("alerts", *(f"{evaluation[d]['alerts']:,}" for d in detectors))
    console.print(quality)
    typologies = Table(title="instance recall by typology", title_justify="left")
    typologies.add_column("typology", style="bold")
    for name in detectors:
        typologies.add_column(name, justify="right")
    names = sorted({t for d in detectors for t in evaluation[d]["per_typology"]})
    for typology in names:
        cells = []
        for d in detectors:
            row = evaluation[d]["per_typology"].get(typology)
            cells.append("-" if row is None else f"{row['instances_detected']}/{row['instances']}")
        typologies.add_row(typology, *cells)
    console.print(typologies)


def render_aml(aml: dict[str, Any], console: Console) -> None:
    """The AML stage: the lists, the findings by typology, the counterparty screening."""
    lists, detectors, screening = aml["lists"], aml["detectors"], aml["screening"]
    head = _table("8. AML detectors and sanctions screening (finmon.aml)")
    if "skipped" in lists:
        head.add_row("sanctions lists", f"none: screening skipped ({lists['skipped']})")
    else:
        active = ", ".join(
            f"{v['list']} v{v['version']} ({v['entries']:,} entries)" for v in lists["active"]
        )
        how = "loaded now from the shared sample" if lists["loaded_now"] else "already loaded"
        head.add_row("sanctions lists", f"{active}, {how}")
    head.add_row(
        "detectors ran over",
        f"{detectors['transactions']:,} transactions in {detectors['seconds']} s "
        f"(sanctions: {detectors['sanctions_matcher']})",
    )
    evaluation = aml.get("evaluation") or {}
    precision_any = evaluation.get("precision_any")
    head.add_row(
        "findings / labelled instances",
        f"{detectors['findings']:,} / {evaluation.get('instances', 0):,} "
        f"(findings touching a labelled transaction: {_ratio(precision_any)})",
    )
    if "skipped" in screening:
        head.add_row("counterparty screening", f"skipped: {screening['skipped']}")
    else:
        head.add_row(
            "counterparty names screened / matched",
            f"{screening['names']:,} / {screening['matched']:,} "
            f"(labelled sanctioned: {screening['labelled_sanctioned_matched']}"
            f"/{screening['labelled_sanctioned_names']}; "
            f"other names at or above the threshold: {screening['matched_unlabelled']})",
        )
        head.add_row(
            "screening latency per name p50 / p99",
            f"{_us(screening['latency_p50_us'])} / {_us(screening['latency_p99_us'])}",
        )
        for example in screening["examples"]:  # title case: a listed NAME in capitals reads
            head.add_row(  # like the red NO of a failed check
                f"  {example['name'].title()}",
                f"~ {example['listed'].title()} ({example['list']}, {example['score']})",
            )
    console.print(head)
    typologies = Table(title="AML findings by typology", title_justify="left")
    typologies.add_column("typology", style="bold")
    for column in ("findings", "instances found", "recall", "precision"):
        typologies.add_column(column, justify="right")
    for typology, row in aml["typologies"].items():
        found = f"{row['detected']}/{row['instances']}" if row["instances"] else "-"
        typologies.add_row(
            typology,
            f"{row['findings']:,}",
            found,
            _ratio(row["recall"]),
            _ratio(row["precision"]),
        )
    console.print(typologies)
