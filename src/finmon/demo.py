"""`finmon demo`: run what finmon can do so far, end to end, on the embedded default.

Today that is the foundation: a seeded stream of payments between accounts is
validated against its registered schema, appended to the hash-chained log in
batches, published on the bus, and projected into balances by a consumer group
of two members. The demo then proves what the foundation promises: money is
conserved (every currency's balances sum to zero), a replay of the log rebuilds
the same balances, the chain and its signed checkpoints verify, one record is
proven included against its checkpoint root, and an edited copy of the log is
caught at the exact record. Later capabilities (the simulator, the monitoring
engine, the ledger, the dashboard) extend this command.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import pydantic
import typer
from rich.table import Table

from finmon.commands.output import console, emit_json
from finmon.core import IdGenerator, Money, SimulatedClock, load_settings, seeded_rng
from finmon.core.settings import Settings
from finmon.events.bus import Subscription
from finmon.events.envelope import Envelope
from finmon.events.factory import open_log, published_checkpoints
from finmon.events.inprocess_bus import InProcessBus
from finmon.events.log import Log
from finmon.events.merkle import verify_inclusion
from finmon.events.schemas import EventRegistry
from finmon.events.stores.sqlite import SqliteLogStore

TOPIC = "demo.payments"
CURRENCIES = ("USD", "EUR", "JPY")


class DemoPayment(pydantic.BaseModel):
    """A payment between two demo accounts (the foundation demo's only event type)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    payer: str = pydantic.Field(min_length=1)
    payee: str = pydantic.Field(min_length=1)
    amount: dict[str, str]
    reference: str = ""

    @pydantic.field_validator("amount")
    @classmethod
    def _exact_money(cls, value: dict[str, str]) -> dict[str, str]:
        money = Money.from_dict(value)
        if not money.is_positive():
            raise ValueError("must be positive")
        return money.to_dict()


@dataclass
class Balances:
    """A projection: balance per (account, currency), rebuilt from events."""

    by_account: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def apply(self, envelope: Envelope) -> None:
        money = Money.from_dict(envelope.payload["amount"])
        code = money.currency.code
        self.by_account[(envelope.payload["payer"], code)] -= money.minor
        self.by_account[(envelope.payload["payee"], code)] += money.minor

    def totals(self) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for (_, code), minor in self.by_account.items():
            sums[code] += minor
        return dict(sums)


def payments(registry: EventRegistry, count: int, seed: int, start: datetime) -> Iterator[Envelope]:
    """A seeded stream of payments with heavy-tailed (log-normal) amounts."""
    rng = seeded_rng(seed, "demo", "payments")
    accounts = [f"acct-{n:04d}" for n in range(200)]
    for n in range(count):
        payer, payee = rng.sample(accounts, 2)
        code = rng.choice(CURRENCIES)
        exponent = 0 if code == "JPY" else 2
        minor = max(1, int(rng.lognormvariate(3.5, 1.2) * 10**exponent))
        yield registry.create(
            "demo.payment",
            {
                "payer": payer,
                "payee": payee,
                "amount": Money(minor, code).to_dict(),
                "reference": f"inv-{n}",
            },
            partition_key=payer,
            occurred_at=start + timedelta(seconds=n),
        )


def _drain(members: Sequence[Subscription], projection: Balances) -> int:
    consumed = 0
    for member in members:
        while deliveries := member.fetch(1000):
            for delivery in deliveries:
                projection.apply(delivery.envelope)
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
        body = target_conn.execute("SELECT body FROM log_records WHERE seq = ?", (seq,)).fetchone()[
            0
        ]
        edited = body.replace(b'"amount":"', b'"amount":"9', 1)
        target_conn.execute("UPDATE log_records SET body = ? WHERE seq = ?", (edited, seq))
        target_conn.commit()
        target_conn.close()
        store = SqliteLogStore(copy)
        report = Log(store, log.signer).verify()
        store.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "edited_seq": seq,
        "detected": not report.ok,
        "first_bad_seq": report.first_bad_seq,
        "kind": report.first.kind if report.first else None,
    }


def run_demo(settings: Settings, *, events: int, seed: int, batch: int = 1000) -> dict[str, object]:
    """Run the foundation demo; return its figures."""
    clock = SimulatedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    log = open_log(settings, clock=clock)
    first_seq = log.head().seq + 1
    # Same payments every run, but fresh event ids, so a rerun appends rather than dedupes.
    ids = IdGenerator(clock, seeded_rng(seed, "demo", "ids", str(first_seq)))
    registry = EventRegistry(clock, ids)
    registry.register("demo.payment", DemoPayment, description="a demo payment")
    bus = InProcessBus(partitions=8, clock=clock)
    members = [bus.subscribe(TOPIC, "balances") for _ in range(2)]
    live = Balances()
    started = time.perf_counter()
    buffer: list[Envelope] = []
    consumed = appended = 0
    for envelope in payments(registry, events, seed, clock.now()):
        buffer.append(envelope)
        if len(buffer) == batch:
            appended += len(log.append_batch(buffer).appended)
            bus.publish_many(TOPIC, buffer)
            consumed += _drain(members, live)
            buffer = []
    if buffer:
        appended += len(log.append_batch(buffer).appended)
        bus.publish_many(TOPIC, buffer)
        consumed += _drain(members, live)
    ingest_s = time.perf_counter() - started
    log.checkpoint_now()
    replayed = Balances()
    log.replay(
        lambda _seq, env: (
            replayed.apply(env) if env.type == "demo.payment" and _seq >= first_seq else None
        )
    )
    report = log.verify(anchors=published_checkpoints(settings).load())
    probe = first_seq + seeded_rng(seed, "demo", "probe").randrange(max(1, appended))
    proof, checkpoint = log.prove(probe)
    tamper = _tamper_copy(settings, log, probe)
    return {
        "data_dir": str(settings.data_dir),
        "events_appended": appended,
        "events_consumed": consumed,
        "append_rate_per_s": round(appended / ingest_s) if ingest_s else None,
        "log_head_seq": log.head().seq,
        "checkpoints": len(log.checkpoints()),
        "money_conserved": all(total == 0 for total in live.totals().values()),
        "replay_matches_live": dict(replayed.by_account) == dict(live.by_account),
        "verify": report.to_dict(),
        "proof": {
            "seq": probe,
            "checkpoint": f"{checkpoint.seq_from}..{checkpoint.seq_to}",
            "path_length": len(proof.path),
            "verified": verify_inclusion(proof, checkpoint.root),
        },
        "tamper_check": tamper,
        "fee_split": [str(part) for part in Money.parse("100.00 USD").split(3)],
    }


def _render(result: dict[str, object]) -> None:
    verify = result["verify"]
    assert isinstance(verify, dict)  # noqa: S101
    table = Table(title="finmon demo: the foundation", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row(
        "events appended / consumed",
        f"{result['events_appended']:,} / {result['events_consumed']:,}",
    )
    table.add_row("append rate (validated, batched)", f"{result['append_rate_per_s']:,} events/s")
    table.add_row(
        "log head / signed checkpoints", f"{result['log_head_seq']:,} / {result['checkpoints']:,}"
    )
    table.add_row("money conserved (sums to zero)", _mark(result["money_conserved"]))
    table.add_row("replay rebuilds the balances", _mark(result["replay_matches_live"]))
    table.add_row("verify", f"{_mark(verify['ok'])} {verify['records_checked']:,} records")
    proof, tamper = result["proof"], result["tamper_check"]
    assert isinstance(proof, dict)  # noqa: S101
    assert isinstance(tamper, dict)  # noqa: S101
    table.add_row(
        "inclusion proof",
        f"record {proof['seq']:,} in checkpoint {proof['checkpoint']}, "
        f"{proof['path_length']} hashes: {_mark(proof['verified'])}",
    )
    if "skipped" in tamper:
        table.add_row("edited copy caught", str(tamper["skipped"]))
    else:
        table.add_row(
            "edited copy caught",
            f"edited record {tamper['edited_seq']:,}: verify says {tamper['kind']} at "
            f"{tamper['first_bad_seq']} {_mark(tamper['detected'])}",
        )
    table.add_row("100.00 USD split 3 ways", ", ".join(result["fee_split"]))  # type: ignore[arg-type]
    console.print(table)
    console.print(
        f"log at {result['data_dir']}; try: .venv/bin/finmon events verify, "
        ".venv/bin/finmon events tail"
    )


def _mark(value: object) -> str:
    return "[green]yes[/green]" if value else "[red]NO[/red]"


def demo(
    quick: Annotated[
        bool, typer.Option("--quick", help="Small and fast (< 1 minute), no server.")
    ] = False,
    events: Annotated[int | None, typer.Option(min=1, help="How many payments to stream.")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the simulated stream.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Stream a seeded bank through the event log and bus, then prove the guarantees."""
    count = events or (20_000 if quick else 200_000)
    result = run_demo(load_settings(), events=count, seed=seed)
    if as_json:
        emit_json(result)
    else:
        _render(result)
    verify = result["verify"]
    ok = isinstance(verify, dict) and verify["ok"] and result["money_conserved"]
    raise typer.Exit(0 if ok else 1)
