"""`finmon demo`: run what finmon can do so far, end to end, on the embedded default.

Today: the bank twin simulates a small bank (customers, accounts, merchants,
two weeks of transactions with every fraud and AML typology hidden in normal
traffic) and writes it as a bank's extract; the extract is ingested (validated
row by row, de-duplicated) into the hash-chained log; the log is replayed onto
the bus, where a consumer group of two builds a projection; the demo then
proves what the foundation promises: the bus projection equals a direct replay,
internal transfers net to zero, the chain and its signed checkpoints verify,
one record is proven included against its checkpoint root, and an edited copy
of the log is caught at the exact record. Then the monitoring engine: a model
trained on *another* bank (the same scenario at another seed) is promoted, the
demo bank streams from the log through the bus into the monitor pipeline (a
live table on a terminal), and rules, model and the two combined are evaluated
on the streamed bank (see :mod:`finmon.demo_monitor`). Then AML: the sample
OFAC SDN list is loaded into the data dir's list store (when none is and the
shared sample folder exists; before monitoring, whose engine screens
counterparties inline against the same lists), every AML detector runs over the bank and is
scored per typology against the labels, and the bank's counterparty names are
screened once (see :mod:`finmon.demo_aml`). Later capabilities (the ledger,
the dashboard) extend this command.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from finmon.commands.output import console, emit_json
from finmon.core import Money, load_settings, seeded_rng
from finmon.core.settings import Settings
from finmon.demo_aml import prepare_lists, run_aml
from finmon.demo_monitor import run_monitoring
from finmon.demo_projection import Flows, InternalTransfers
from finmon.demo_render import render
from finmon.events.bus import Subscription
from finmon.events.factory import open_log, published_checkpoints
from finmon.events.inprocess_bus import InProcessBus
from finmon.events.log import Log, verify_record_proof
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.sim import generate_dataset, load_scenario
from finmon.sources import ingest_file
from finmon.sources.events import TRANSACTIONS_TOPIC

QUICK_TRANSACTIONS = 10_000
_PUBLISH_BATCH = 5_000


def simulate(settings: Settings, seed: int | None, transactions: int | None) -> dict[str, Any]:
    """Write the demo bank's extract into the data dir; return the simulator's summary."""
    scenario = load_scenario("demo", seed=seed, transactions=transactions)
    out = settings.data_dir / "sim" / scenario.name
    shutil.rmtree(out, ignore_errors=True)
    summary = generate_dataset(scenario, out).to_dict()
    summary["out"] = str(out)
    return summary


def project_through_bus(log: Log) -> tuple[Flows, int]:
    """Replay the log's transactions onto the bus; two consumers of one group project them."""
    bus = InProcessBus(partitions=8)
    members = [bus.subscribe(TRANSACTIONS_TOPIC, "projection") for _ in range(2)]
    flows, consumed, batch = Flows(), 0, []
    for record in log.read():
        envelope = record.envelope()
        if envelope.type == "transaction.received":
            batch.append(envelope)
        if len(batch) >= _PUBLISH_BATCH:
            bus.publish_many(TRANSACTIONS_TOPIC, batch)
            consumed += _drain(members, flows)
            batch = []
    bus.publish_many(TRANSACTIONS_TOPIC, batch)
    consumed += _drain(members, flows)
    return flows, consumed


def _drain(members: Sequence[Subscription], flows: Flows) -> int:
    consumed = 0
    for member in members:
        while deliveries := member.fetch(1000):
            for delivery in deliveries:
                flows.apply(delivery.envelope)
                member.ack(delivery)
            consumed += len(deliveries)
    return consumed


def _tamper_copy(settings: Settings, log: Log, seq: int) -> dict[str, object]:
    """Edit one byte of a copy of the SQLite log and show verify() catch it."""
    if settings.log_store != "sqlite":
        return {"skipped": "the tamper check edits the SQLite file"}
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "events.db"
        with sqlite3.connect(settings.log_path) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        target_conn = sqlite3.connect(copy)
        body = target_conn.execute("SELECT body FROM log_records WHERE seq = ?", (seq,)).fetchone()
        edited = bytearray(body[0])
        edited[len(edited) // 2] ^= 0x01  # one bit, mid-record
        target_conn.execute("UPDATE log_records SET body = ? WHERE seq = ?", (bytes(edited), seq))
        target_conn.commit()
        target_conn.close()
        store = SqliteLogStore(copy)
        report = Log(store, log.signer).verify()
        store.close()
    first = report.first
    return {
        "edited_seq": seq,
        "detected": not report.ok,
        "first_bad_seq": report.first_bad_seq,
        "kind": first.kind if first else None,
    }


def _prove(log: Log, seed: int) -> dict[str, object]:
    log.checkpoint_now()
    head = log.head().seq
    probe = 1 + seeded_rng(seed, "demo", "probe").randrange(head)
    proof, checkpoint = log.prove(probe)
    ok = verify_record_proof(proof, checkpoint, log.signer.public_key, log.store.log_id())
    span = f"{checkpoint.seq_from}..{checkpoint.seq_to}"
    return {"seq": probe, "checkpoint": span, "path_length": len(proof.path), "verified": ok}


def run_demo(
    settings: Settings,
    *,
    transactions: int | None,
    seed: int | None = None,
    watch: Console | None = None,
) -> dict[str, Any]:
    """Run the demo; return its figures (the ``--json`` document).

    ``watch``: the console to show the monitoring stage's live table on (None: no live table).
    """
    simulated = simulate(settings, seed, transactions)
    log = open_log(settings)
    head_before = log.head().seq
    ingested = ingest_file(Path(simulated["out"]) / "transactions.parquet", log)
    started = time.perf_counter()
    live, consumed = project_through_bus(log)
    bus_s = time.perf_counter() - started
    replayed, internal = Flows(), InternalTransfers()
    for record in log.read():
        envelope = record.envelope()
        replayed.apply(envelope)
        internal.apply(envelope)
    pairs = internal.summary()
    proof = _prove(log, simulated["seed"])
    tamper = _tamper_copy(settings, log, int(str(proof["seq"])))
    # Lists first: the monitoring engine screens counterparties inline against them too.
    lists = prepare_lists(settings)
    monitor = run_monitoring(settings, log, simulated, transactions=transactions, console=watch)
    aml = run_aml(settings, simulated, lists)
    return {
        "data_dir": str(settings.data_dir),
        "simulation": simulated,
        "ingest": ingested.to_dict(),
        "bus": {"consumed": consumed, "rate_per_s": round(consumed / bus_s) if bus_s else None},
        "events_appended": log.head().seq - head_before,
        "log_head_seq": log.head().seq,
        "checkpoints": len(log.checkpoints()),
        "internal_transfers": pairs,
        "internal_transfers_net_to_zero": pairs["unbalanced"] == 0,
        "replay_matches_live": live.same_as(replayed),
        "verify": log.verify(anchors=published_checkpoints(settings).load()).to_dict(),
        "proof": proof,
        "tamper_check": tamper,
        "fee_split": [str(part) for part in Money.parse("100.00 USD").split(3)],
        "monitor": monitor,
        "aml": aml,
    }


def demo_ok(result: dict[str, Any]) -> bool:
    """Every guarantee the demo shows held (the exit code says so)."""
    monitor = result["monitor"]
    return bool(
        result["verify"]["ok"]
        and result["internal_transfers_net_to_zero"]
        and result["replay_matches_live"]
        and monitor["stream"]["decided_exactly_once"]
        and monitor["evaluated_on_unseen_bank"]
    )


def demo(
    quick: Annotated[
        bool, typer.Option("--quick", help="Small and fast (seconds), no server.")
    ] = False,
    events: Annotated[
        int | None, typer.Option(min=1, help="How many transactions to simulate.")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the simulated bank.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Simulate a bank, ingest it, project it over the bus, prove it, monitor it, run AML."""
    count = events or (QUICK_TRANSACTIONS if quick else None)
    # The live table only where someone watches: not in --json, not into a pipe or file.
    live = console if not as_json and console.is_terminal else None
    result = run_demo(load_settings(), transactions=count, seed=seed, watch=live)
    if as_json:
        emit_json(result)
    else:
        render(result, console)
    raise typer.Exit(0 if demo_ok(result) else 1)
