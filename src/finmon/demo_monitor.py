"""The demo's monitoring stage: train on one bank, watch another stream through the engine.

Three steps, in the order an honest evaluation needs them:

1. **Train** a model on a *different* bank: the demo scenario at seed
   ``demo seed + 1000``. The streamed bank is never the training bank, so the
   figures printed at the end are out-of-sample. A champion already trained on
   that same source is reused (training is the slowest step of the demo).
2. **Stream** the demo bank's transactions from the event log through the bus
   into :class:`~finmon.monitor.pipeline.MonitorPipeline` with the real engine
   (active rules + the champion). The bus has one partition here: one engine
   scores every account, and its cross-account windows (merchant, device,
   counterparty) are exact only in event-time order, which is the log's order.
   The display reads the ``decision.made`` events like any other consumer and
   joins them to the simulator's labels to count alerts by typology; the
   labels never reach the engine.
3. **Evaluate** rules alone, model alone and the two combined on the streamed
   bank (:func:`finmon.monitor.service.evaluate`), which refuses data the
   model was trained on.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from finmon.core.errors import ConflictError
from finmon.core.settings import Settings
from finmon.demo_render import monitor_live_table
from finmon.events.bus import Subscription
from finmon.events.envelope import Envelope
from finmon.events.inprocess_bus import InProcessBus
from finmon.events.log import Log
from finmon.monitor import service
from finmon.monitor.dataset import Dataset, load_dataset
from finmon.monitor.pipeline import DECISIONS_TOPIC, DecisionStore, MonitorPipeline, PipelineConfig
from finmon.sim import generate_dataset, load_scenario
from finmon.sources.events import TRANSACTION_RECEIVED, TRANSACTIONS_TOPIC

#: The training bank's seed is the demo's plus this: never the bank that is evaluated.
TRAIN_SEED_OFFSET = 1000
#: A sized demo (``--quick``, ``--events``) trains on a bank of this many transactions.
SIZED_TRAIN_TRANSACTIONS = 10_000
_CHUNK = 500  # transactions published per step: the live table moves every step
_REFRESH_PER_S = 4
_AUTHOR = "finmon-demo"


@dataclass(frozen=True, slots=True)
class TrainingBank:
    """Where the demo's model learns: a directory and its source id."""

    directory: Path
    source: str
    seed: int
    transactions: int | None


def training_bank(settings: Settings, demo_seed: int, transactions: int | None) -> TrainingBank:
    """Generate (or reuse) the training bank: the demo scenario at another seed.

    The full demo trains on the full-size scenario (shared with ``finmon monitor
    train -s demo --seed …``); a sized demo on a smaller bank, so ``--quick``
    stays quick.
    """
    seed = demo_seed + TRAIN_SEED_OFFSET
    if transactions is None:
        directory, source = service.scenario_dataset(settings, "demo", seed)
        return TrainingBank(directory, source, seed, None)
    size = max(transactions, SIZED_TRAIN_TRANSACTIONS)
    spec = load_scenario("demo", seed=seed, transactions=size)
    directory = service.monitor_dir(settings) / "datasets" / f"{spec.name}-{spec.seed}-{size}"
    marker = directory / ".complete"
    if not marker.exists():
        shutil.rmtree(directory, ignore_errors=True)
        generate_dataset(spec, directory)
        marker.write_text("ok\n")
    return TrainingBank(directory, f"scenario:demo:seed={seed}:transactions={size}", seed, size)


def prepare_model(settings: Settings, bank: TrainingBank) -> dict[str, Any]:
    """The champion trained on ``bank``: reused if it is already the champion, else trained."""
    started = time.perf_counter()
    registry = service.open_registry(settings)
    champion = service.load_champion(registry)
    if champion.model is not None and champion.version is not None:
        if service.training_source(registry.describe(champion.version)) == bank.source:
            return _model_summary(champion.version, bank, trained=False, started=started)
    trained = service.train(settings, load_dataset(bank.directory), bank.source, author=_AUTHOR)
    summary = _model_summary(trained.version.version, bank, trained=True, started=started)
    summary["test_metrics"] = trained.model.metrics
    return summary


def _model_summary(
    version: str, bank: TrainingBank, *, trained: bool, started: float
) -> dict[str, Any]:
    return {
        "version": version,
        "trained": trained,
        "training_source": bank.source,
        "training_seed": bank.seed,
        "training_transactions": bank.transactions,
        "seconds": round(time.perf_counter() - started, 2),
    }


@dataclass(slots=True)
class DecisionTally:
    """What the display knows, read from ``decision.made`` events (and the labels)."""

    typologies: dict[str, str]
    events: int = 0
    ids: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    degraded: int = 0
    alerts: int = 0
    alerts_by_typology: Counter[str] = field(default_factory=Counter)

    def consume(self, subscription: Subscription) -> None:
        """Read every decision published so far and acknowledge it."""
        while deliveries := subscription.fetch(5_000):
            for delivery in deliveries:
                self.apply(delivery.envelope)
                subscription.ack(delivery)

    def apply(self, envelope: Envelope) -> None:
        payload = envelope.payload
        tid = str(payload["transaction_id"])
        self.events += 1
        if tid in self.ids:
            return  # a republished decision: the display counts each transaction once
        self.ids.add(tid)
        self.outcomes[str(payload["outcome"])] += 1
        self.degraded += bool(payload["degraded"])
        if payload.get("alert_id"):
            self.alerts += 1
            self.alerts_by_typology[self.typologies.get(tid) or "(none: false alarm)"] += 1


def labelled_typologies(dataset: Dataset) -> dict[str, str]:
    """transaction id -> typology, for the display only (the engine never sees labels)."""
    if dataset.labels is None:
        return {}
    ids = dataset.labels.column("transaction_id").to_pylist()
    names = dataset.labels.column("typology").to_pylist()
    return {str(i): str(t) for i, t in zip(ids, names, strict=True) if t}


def _chunks(log: Log, wanted: set[str]) -> Iterator[list[Envelope]]:
    """The log's ``transaction.received`` envelopes of this bank, in log order, in chunks."""
    chunk: list[Envelope] = []
    for record in log.read():
        envelope = record.envelope()
        if envelope.type != TRANSACTION_RECEIVED:
            continue
        if envelope.payload.get("transaction_id") not in wanted:
            continue  # another bank ingested into this data dir earlier
        chunk.append(envelope)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _decisions_path(settings: Settings) -> Path:
    """A fresh decision store per run: the engine's windows start empty, so must its answers."""
    path = service.monitor_dir(settings) / "demo" / "decisions.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return path


def stream(
    settings: Settings, log: Log, dataset: Dataset, *, console: Console | None
) -> dict[str, Any]:
    """Stream the bank through the pipeline; a live table on ``console`` when given."""
    engine, champion = service.build_engine(settings, dataset)
    wanted = set(dataset.transactions.column("transaction_id").to_pylist())
    tally = DecisionTally(labelled_typologies(dataset))
    config = PipelineConfig(latency_window=max(len(wanted), 1))
    path = _decisions_path(settings)
    streamed, started = 0, time.perf_counter()
    with InProcessBus(partitions=1) as bus, DecisionStore(path) as store:
        display = bus.subscribe(DECISIONS_TOPIC, "demo-display")
        pipeline = MonitorPipeline(bus, engine, store, config=config)
        live = (
            Live(console=console, refresh_per_second=_REFRESH_PER_S, transient=True)
            if console is not None
            else nullcontext()
        )
        with live as screen:
            for chunk in _chunks(log, wanted):
                bus.publish_many(TRANSACTIONS_TOPIC, chunk)
                streamed += len(chunk)
                pipeline.run_until_idle()
                tally.consume(display)
                if screen is not None:
                    elapsed = time.perf_counter() - started
                    screen.update(monitor_live_table(_snapshot(pipeline, tally, streamed, elapsed)))
        seconds = time.perf_counter() - started
        stats = pipeline.stats()
        pipeline.close()
        stored = store.count()
    snapshot = _snapshot(pipeline, tally, streamed, seconds, stats)
    decided_once = streamed == len(wanted) == stored == len(tally.ids) and stats["duplicates"] == 0
    return {
        **snapshot,
        "transactions": len(wanted),
        "decisions_stored": stored,
        "decision_events": tally.events,
        "decided_exactly_once": decided_once,
        "model_version": champion.version if champion.model is not None else None,
        "model_problem": champion.problem,
        "ruleset": f"{engine.rules.name} v{engine.rules.version}",
        "late_events": engine.features.stats.to_dict(),
        "decisions_db": str(path),
    }


def _snapshot(
    pipeline: MonitorPipeline,
    tally: DecisionTally,
    streamed: int,
    seconds: float,
    stats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The figures the live table shows (and the final summary keeps)."""
    stats = stats if stats is not None else pipeline.stats()
    return {
        "streamed": streamed,
        "decided": len(tally.ids),
        "seconds": round(seconds, 2),
        "rate_per_s": round(len(tally.ids) / seconds) if seconds > 0 else None,
        "latency_p50_us": stats["latency_p50_us"],
        "latency_p99_us": stats["latency_p99_us"],
        "decisions_by_outcome": {
            o: tally.outcomes.get(o, 0) for o in ("approve", "review", "block")
        },
        "degraded": tally.degraded,
        "alerts": tally.alerts,
        "alerts_by_typology": dict(tally.alerts_by_typology.most_common()),
    }


def evaluate(settings: Settings, dataset: Dataset, source: str) -> dict[str, Any]:
    """Rules, model and combined on the streamed bank; a refusal is reported, not raised."""
    try:
        report = service.evaluate(settings, dataset, source)
    except ConflictError as exc:
        return {"source": source, "refused": exc.message}
    return report.to_dict()


def run_monitoring(
    settings: Settings,
    log: Log,
    simulated: dict[str, Any],
    *,
    transactions: int | None,
    console: Console | None,
) -> dict[str, Any]:
    """Train (or reuse), stream with a live table, evaluate: the ``monitor`` section."""
    seed = int(simulated["seed"])
    bank = training_bank(settings, seed, transactions)
    model = prepare_model(settings, bank)
    dataset = load_dataset(Path(simulated["out"]))
    suffix = "" if transactions is None else f":transactions={transactions}"
    source = f"scenario:demo:seed={seed}{suffix}"
    streamed = stream(settings, log, dataset, console=console)
    evaluation = evaluate(settings, dataset, source)
    return {
        "model": model,
        "stream": {"source": source, **streamed},
        "evaluation": evaluation,
        "evaluated_on_unseen_bank": model["training_seed"] != seed
        and model["training_source"] != source
        and "refused" not in evaluation,
    }


__all__ = [
    "SIZED_TRAIN_TRANSACTIONS",
    "TRAIN_SEED_OFFSET",
    "DecisionTally",
    "TrainingBank",
    "evaluate",
    "labelled_typologies",
    "prepare_model",
    "run_monitoring",
    "stream",
    "training_bank",
]
