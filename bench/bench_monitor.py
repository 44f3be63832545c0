"""Benchmark: the monitoring engine, streaming (per transaction) and columnar (per batch).

Run by ``make bench``; writes ``bench/results/monitor.json`` and the profile
``bench/results/monitor-profile.txt``. Targets (issue 4, this 2-core machine):
>= 50,000 transactions/s streaming at p99 < 5 ms per process, >= 1,000,000
transactions/s columnar batch scoring; seed 004's table (p50 45 ms, p95 120 ms
at 1,000 TPS) as ratios.

Everything runs in a scratch data dir: the ``demo`` bank (seed 7) is streamed,
a model is trained on the demo scenario at another seed (1007) and promoted,
and the ``holdout`` bank is scored column-wise.

Streaming, one process:

- ``engine.score_many`` over the demo bank in micro-batches of 1, 64 and 256,
  rules only and with the model: throughput, and the batch's latency (for a
  batch of one, the per-transaction latency); and with the booster pinned to
  one thread, to show what xgboost's thread pool costs small batches (the
  three engines take turns, so load from other tenants hits them alike);
- through :class:`MonitorPipeline` on the :class:`InProcessBus` (validation,
  idempotent SQLite store, ``decision.made`` events, acks): at saturation
  (everything published first) and at seed 004's offered load of 1,000 TPS
  (a publisher thread paces arrivals; latency is from a message's arrival in
  the pipeline to its decision).

Columnar: offline features (``compute_offline``), the rule set over the feature
frame, the model's ``predict_proba`` over 1,000,000 rows, and features + rules
+ model end to end, on the holdout bank.

The pyinstrument profile of the streaming path (the pipeline with the model)
says what bounds it; its top functions by own time are in the JSON too.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from finmon.core.settings import Settings
from finmon.events.envelope import Envelope
from finmon.events.inprocess_bus import InProcessBus
from finmon.monitor import service
from finmon.monitor.dataset import Dataset, load_dataset
from finmon.monitor.engine import combine_scores
from finmon.monitor.features import FEATURE_INDEX, compute_offline
from finmon.monitor.pipeline import DecisionStore, MonitorPipeline, PipelineConfig
from finmon.monitor.transaction import Txn, iter_table
from finmon.sim import generate_dataset, load_scenario
from finmon.sources.events import TRANSACTIONS_TOPIC, transaction_envelopes
from finmon.testing.bench import RESULTS, write_results

TARGET_STREAM_TPS = 50_000
TARGET_STREAM_P99_MS = 5.0
TARGET_BATCH_ROWS_PER_S = 1_000_000
SEED_004 = {"p50_ms": 45.0, "p95_ms": 120.0, "tps": 1_000}
TRAIN_SEED = 1007


def _bank(root: Path, scenario: str, seed: int | None, transactions: int | None) -> Path:
    spec = load_scenario(scenario, seed=seed, transactions=transactions)
    out = root / f"{spec.name}-{spec.seed}"
    generate_dataset(spec, out)
    return out


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)


def _percentiles_ms(values_ns: Sequence[float]) -> dict[str, float | None]:
    if not values_ns:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    arr = np.asarray(values_ns, dtype=np.float64)
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return {"p50_ms": _ms(p50), "p95_ms": _ms(p95), "p99_ms": _ms(p99)}


# -- streaming: the engine alone -----------------------------------------------------


#: (model, booster threads) of the engines compared; None threads: xgboost's default (all cores).
VARIANTS: tuple[tuple[bool, int | None], ...] = ((False, None), (True, None), (True, 1))


def bench_engines(
    settings: Settings, dataset: Dataset, txns: list[Txn], batch: int
) -> list[dict[str, Any]]:
    """One fresh engine per variant over ``txns`` in micro-batches of ``batch``.

    The variants take turns, a block of batches each, so a change in the
    machine's load (other tenants) hits them alike instead of whichever ran
    last. Pinning the booster to one thread shows what xgboost's OpenMP pool
    costs small batches: the hand-off to idle threads and, on a busy machine,
    the barrier waits for a descheduled one.
    """
    engines = []
    for use_model, threads in VARIANTS:
        engine, champion = service.build_engine(settings, dataset, use_model=use_model)
        if use_model and champion.model is None:
            raise SystemExit(f"no model to benchmark: {champion.problem}")
        if threads is not None and champion.model is not None:
            champion.model.booster.set_param({"nthread": threads})
        engines.append(engine)
    latencies: list[list[int]] = [[] for _ in VARIANTS]
    block = batch * max(1, 512 // batch)
    for first in range(0, len(txns), block):
        for engine, measured in zip(engines, latencies, strict=True):
            for start in range(first, min(first + block, len(txns)), batch):
                chunk = txns[start : start + batch]
                t0 = time.perf_counter_ns()
                engine.score_many(chunk)
                measured.append(time.perf_counter_ns() - t0)
    rows = []
    for (use_model, threads), engine, measured in zip(VARIANTS, engines, latencies, strict=True):
        rows.append(
            {
                "model": use_model,
                "model_threads": threads,
                "batch": batch,
                "transactions": len(txns),
                "tx_per_s": round(len(txns) / (sum(measured) / 1e9)),
                "batch_latency": _percentiles_ms(measured),
                "degraded": engine.degraded_count,
            }
        )
    return rows


# -- streaming: the pipeline on the in-process bus -------------------------------------


def _envelopes(directory: Path, limit: int) -> list[Envelope]:
    table = pq.read_table(directory / "transactions.parquet").sort_by("occurred_at")
    rows = [{k: v for k, v in r.items() if v is not None} for r in table.to_pylist()[:limit]]
    return transaction_envelopes(rows)


def _pipeline(
    settings: Settings, dataset: Dataset, store: DecisionStore, bus: InProcessBus, model: bool
) -> MonitorPipeline:
    engine, _ = service.build_engine(settings, dataset, use_model=model)
    config = PipelineConfig(latency_window=1_000_000)
    return MonitorPipeline(bus, engine, store, config=config)


def _stored_latencies_ns(store: DecisionStore, count: int) -> list[float]:
    return [r.decision.latency_us * 1000.0 for r in store.recent(limit=max(count, 1))]


def bench_pipeline_saturated(
    settings: Settings, dataset: Dataset, envelopes: list[Envelope], root: Path, model: bool
) -> dict[str, Any]:
    """Everything published first, then decided as fast as one thread can."""
    name = f"saturated-{'model' if model else 'rules'}.db"
    with InProcessBus(partitions=1) as bus, DecisionStore(root / name) as store:
        pipeline = _pipeline(settings, dataset, store, bus, model)
        bus.publish_many(TRANSACTIONS_TOPIC, envelopes)
        started = time.perf_counter()
        settled = pipeline.run_until_idle()
        elapsed = time.perf_counter() - started
        pipeline.close()
        stats = pipeline.stats()
        latencies = _stored_latencies_ns(store, store.count())
    return {
        "model": model,
        "mode": "saturated (published first, run_until_idle)",
        "transactions": settled,
        "tx_per_s": round(settled / elapsed),
        "latency_arrival_to_decision": _percentiles_ms(latencies),
        "degraded": stats["degraded"],
        "batches": stats["batches"],
    }


def bench_pipeline_paced(
    settings: Settings,
    dataset: Dataset,
    envelopes: list[Envelope],
    root: Path,
    rate: int,
    seconds: float,
) -> dict[str, Any]:
    """Threaded pipeline, arrivals paced at ``rate``/s by a publisher thread (seed 004's load)."""
    count = min(len(envelopes), int(rate * seconds))
    offered = envelopes[:count]
    step = max(1, rate // 200)  # publish every 5 ms
    with InProcessBus(partitions=1) as bus, DecisionStore(root / "paced.db") as store:
        pipeline = _pipeline(settings, dataset, store, bus, True)
        pipeline.start()

        def publish() -> None:
            started = time.perf_counter()
            for i in range(0, count, step):
                due = started + i / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                bus.publish_many(TRANSACTIONS_TOPIC, offered[i : i + step])

        publisher = threading.Thread(target=publish, name="bench-publisher")
        started = time.perf_counter()
        publisher.start()
        publisher.join()
        deadline = time.monotonic() + 120
        while store.count() < count and time.monotonic() < deadline:
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        pipeline.stop(drain=True)
        stats = pipeline.stats()
        latencies = _stored_latencies_ns(store, count)
    return {
        "model": True,
        "mode": f"paced at {rate:,} tx/s (threaded pipeline)",
        "transactions": len(latencies),
        "offered_tx_per_s": rate,
        "achieved_tx_per_s": round(len(latencies) / elapsed),
        "latency_arrival_to_decision": _percentiles_ms(latencies),
        "degraded": stats["degraded"],
        "batches": stats["batches"],
    }


# -- columnar ----------------------------------------------------------------------------


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def bench_columnar(settings: Settings, holdout: Dataset, predict_rows: int) -> dict[str, Any]:
    rows = holdout.transactions.num_rows
    ruleset = service.active_ruleset(settings)
    model = service.load_champion(service.open_registry(settings)).model
    assert model is not None  # noqa: S101 - trained and promoted by main()
    _, features_s = _timed(lambda: compute_offline(holdout.transactions, holdout.reference))
    frame, frame_s = _timed(lambda: service.feature_frame(holdout))
    _, rules_s = _timed(lambda: service.rule_points(ruleset, frame.frame))
    columns = np.array([FEATURE_INDEX[n] for n in model.feature_names], dtype=np.intp)
    big = np.resize(frame.matrix[:, columns], (predict_rows, len(columns)))
    _, predict_s = _timed(lambda: model.predict_proba(big))

    def end_to_end() -> np.ndarray:
        feats = service.feature_frame(holdout)
        points, floor = service.rule_points(ruleset, feats.frame)
        return combine_scores(model.predict_proba(feats.matrix[:, columns]), points, floor)

    _, total_s = _timed(end_to_end)
    return {
        "scenario": "holdout",
        "rows": rows,
        "features_compute_offline_rows_per_s": round(rows / features_s),
        "feature_frame_with_rule_fields_rows_per_s": round(rows / frame_s),
        "rules_over_frame_rows_per_s": round(rows / rules_s),
        "rules": len(ruleset.rules),
        "model_predict_proba_rows": predict_rows,
        "model_predict_proba_rows_per_s": round(predict_rows / predict_s),
        "end_to_end_features_rules_model_rows_per_s": round(rows / total_s),
        "end_to_end_s": round(total_s, 3),
    }


# -- profile -------------------------------------------------------------------------------


def _self_times(root: Frame | None) -> list[dict[str, Any]]:
    """Own time per function over the whole call tree, largest first."""
    totals: dict[str, float] = defaultdict(float)
    stack = [root] if root is not None else []
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        owner = frame.parent if frame.is_synthetic and frame.parent is not None else frame
        own = frame.time - sum(child.time for child in frame.children)
        where = f"{owner.function} ({owner.file_path_short}:{owner.line_no})"
        totals[where] += max(own, 0.0)
    whole = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:20]
    return [{"function": k, "own_s": round(v, 3), "share": round(v / whole, 3)} for k, v in ranked]


#: Where the streaming path's time goes, by the function that starts each stage.
STAGES = {
    "OnlineFeatures.compute": "features (online, per transaction)",
    "RuleSet.evaluate": "rules",
    "Engine._predict": "model predict_proba",
    "Engine._explain": "model explanations (SHAP, non-approved only)",
    "check_payloads": "payload validation",
    "DecisionStore.get_many": "decision store (read, idempotency)",
    "DecisionStore.put_new": "decision store (write)",
    "BatchProcessor._records": "stamping decisions",
    "BatchProcessor._publish": "decision.made events",
    "InProcessSubscription.fetch": "bus fetch and ack",
    "InProcessSubscription.ack": "bus fetch and ack",
}


def _qualified(frame: Frame) -> str:
    return f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function


def _stages(root: Frame | None) -> dict[str, float]:
    """Inclusive time per stage (the outermost frame of each), as a share of the whole."""
    if root is None or root.time <= 0:
        return {}
    totals: dict[str, float] = defaultdict(float)
    stack = [root]
    while stack:
        frame = stack.pop()
        stage = STAGES.get(_qualified(frame))
        if stage is not None:
            totals[stage] += frame.time
        else:
            stack.extend(frame.children)
    shares = {k: round(v / root.time, 3) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}
    shares["other"] = round(1 - sum(shares.values()), 3)
    return shares


def profile_stream(
    settings: Settings, dataset: Dataset, envelopes: list[Envelope], root: Path, name: str
) -> dict[str, Any]:
    with InProcessBus(partitions=1) as bus, DecisionStore(root / "profiled.db") as store:
        pipeline = _pipeline(settings, dataset, store, bus, True)
        bus.publish_many(TRANSACTIONS_TOPIC, envelopes)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        settled = pipeline.run_until_idle()
        profiler.stop()
        pipeline.close()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    path = RESULTS / f"{name}-profile.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    root_frame = profiler.last_session.root_frame() if profiler.last_session else None
    top = _self_times(root_frame)
    stages = _stages(root_frame)
    lines = [f"{t['share']:6.1%}  {t['own_s']:8.3f} s  {t['function']}" for t in top]
    stage_lines = [f"{share:6.1%}  {stage}" for stage, share in stages.items()]
    path.write_text(
        f"pyinstrument: MonitorPipeline.run_until_idle, {settled:,} transactions, model on\n\n"
        "time by stage (inclusive):\n" + "\n".join(stage_lines) + "\n\n"
        "top functions by own time:\n" + "\n".join(lines) + "\n\ncall tree:\n" + text
    )
    return {
        "transactions": settled,
        "file": str(path),
        "stages": stages,
        "top_own_time": top[:12],
    }


# -- main --------------------------------------------------------------------------------


def _best(rows: list[dict[str, Any]], model: bool) -> dict[str, Any]:
    """The fastest configuration as built by the service (default booster threads)."""
    chosen = (r for r in rows if r["model"] == model and r.get("model_threads") is None)
    return max(chosen, key=lambda r: r["tx_per_s"])


def comparison(
    engine_rows: list[dict[str, Any]],
    saturated: list[dict[str, Any]],
    paced: dict[str, Any],
    columnar: dict[str, Any],
) -> dict[str, Any]:
    best = _best(engine_rows, True)
    single = next(r for r in engine_rows if r["model"] and r["batch"] == 1)
    pinned = next(
        r for r in engine_rows if r["model"] and r["batch"] == 1 and r["model_threads"] == 1
    )
    pipe = next(r for r in saturated if r["model"])
    lat = paced["latency_arrival_to_decision"]
    e2e = columnar["end_to_end_features_rules_model_rows_per_s"]
    return {
        "streaming_target": f">= {TARGET_STREAM_TPS:,} tx/s at p99 < {TARGET_STREAM_P99_MS} ms",
        "engine_best_tx_per_s_with_model": best["tx_per_s"],
        "engine_best_batch": best["batch"],
        "engine_vs_target": round(best["tx_per_s"] / TARGET_STREAM_TPS, 3),
        "engine_batch1_p99_ms_with_model": single["batch_latency"]["p99_ms"],
        "engine_batch1_tx_per_s_with_model": single["tx_per_s"],
        "engine_batch1_p99_ms_model_1_thread": pinned["batch_latency"]["p99_ms"],
        "engine_batch1_tx_per_s_model_1_thread": pinned["tx_per_s"],
        "pipeline_saturated_tx_per_s_with_model": pipe["tx_per_s"],
        "pipeline_vs_target": round(pipe["tx_per_s"] / TARGET_STREAM_TPS, 3),
        "batch_target": f">= {TARGET_BATCH_ROWS_PER_S:,} rows/s",
        "batch_end_to_end_rows_per_s": e2e,
        "batch_vs_target": round(e2e / TARGET_BATCH_ROWS_PER_S, 3),
        "seed_004": SEED_004,
        "seed_004_p50_ratio": _ratio(SEED_004["p50_ms"], lat["p50_ms"]),
        "seed_004_p95_ratio": _ratio(SEED_004["p95_ms"], lat["p95_ms"]),
        "seed_004_tps_ratio": round(pipe["tx_per_s"] / SEED_004["tps"], 1),
        "ratios_mean": "seed 004 figure / ours for latency, ours / seed 004 for TPS (>1: better)",
    }


def _ratio(theirs: float, ours: float | None) -> float | None:
    return None if not ours else round(theirs / ours, 1)


def summary(document: dict[str, Any]) -> str:
    c = document["comparison"]
    col = document["columnar"]
    paced = document["pipeline_paced"]["latency_arrival_to_decision"]
    lines = [
        "monitor benchmark (one process)",
        f"  engine, best batch {c['engine_best_batch']}: {c['engine_best_tx_per_s_with_model']:,} "
        f"tx/s with the model ({c['engine_vs_target']:.1%} of {TARGET_STREAM_TPS:,}); "
        f"batch-1 p99 {c['engine_batch1_p99_ms_with_model']} ms "
        f"({c['engine_batch1_tx_per_s_with_model']:,} tx/s); booster on 1 thread: "
        f"p99 {c['engine_batch1_p99_ms_model_1_thread']} ms "
        f"({c['engine_batch1_tx_per_s_model_1_thread']:,} tx/s)",
        f"  pipeline saturated: {c['pipeline_saturated_tx_per_s_with_model']:,} tx/s "
        f"({c['seed_004_tps_ratio']}x seed 004's 1,000 TPS)",
        f"  pipeline at 1,000 TPS: p50 {paced['p50_ms']} ms, p95 {paced['p95_ms']} ms, "
        f"p99 {paced['p99_ms']} ms (seed 004: p50 45, p95 120)",
        f"  columnar end to end: {col['end_to_end_features_rules_model_rows_per_s']:,} rows/s "
        f"({c['batch_vs_target']:.1%} of 1,000,000); features "
        f"{col['features_compute_offline_rows_per_s']:,}/s, rules "
        f"{col['rules_over_frame_rows_per_s']:,}/s, model "
        f"{col['model_predict_proba_rows_per_s']:,}/s",
        "  streaming time by stage: "
        + ", ".join(f"{k} {v:.0%}" for k, v in document["profile"]["stages"].items()),
        f"  profile: {document['profile']['file']}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-transactions", type=int, default=None, help="default: full demo")
    parser.add_argument("--train-transactions", type=int, default=None)
    parser.add_argument("--holdout-transactions", type=int, default=None)
    parser.add_argument("--stream-limit", type=int, default=20_000)
    parser.add_argument("--batch1-limit", type=int, default=2_000)
    parser.add_argument("--predict-rows", type=int, default=1_000_000)
    parser.add_argument("--pace-rate", type=int, default=SEED_004["tps"])
    parser.add_argument("--pace-seconds", type=float, default=10.0)
    parser.add_argument("--profile-limit", type=int, default=10_000)
    parser.add_argument("--name", default="monitor", help="results file stem")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        settings = Settings(data_dir=root / "data")
        demo_dir = _bank(root, "demo", None, args.demo_transactions)
        train_dir = _bank(root, "demo", TRAIN_SEED, args.train_transactions)
        holdout_dir = _bank(root, "holdout", None, args.holdout_transactions)
        train_set = load_dataset(train_dir)
        _, train_s = _timed(
            lambda: service.train(settings, train_set, f"bench:demo:{TRAIN_SEED}", author="bench")
        )
        demo = load_dataset(demo_dir)
        txns = list(iter_table(demo.transactions))[: args.stream_limit]
        engine_rows = []
        for batch in (1, 64, 256):
            chosen = txns[: args.batch1_limit] if batch == 1 else txns
            engine_rows.extend(bench_engines(settings, demo, chosen, batch))
        envelopes = _envelopes(demo_dir, args.stream_limit)
        saturated = [
            bench_pipeline_saturated(settings, demo, envelopes, root, model)
            for model in (False, True)
        ]
        paced = bench_pipeline_paced(
            settings, demo, envelopes, root, args.pace_rate, args.pace_seconds
        )
        profile = profile_stream(settings, demo, envelopes[: args.profile_limit], root, args.name)
        columnar = bench_columnar(settings, load_dataset(holdout_dir), args.predict_rows)
    document = write_results(
        args.name,
        "monitor",
        {
            "training_s": round(train_s, 2),
            "engine_streaming": engine_rows,
            "pipeline_saturated": saturated,
            "pipeline_paced": paced,
            "columnar": columnar,
            "profile": profile,
            "comparison": comparison(engine_rows, saturated, paced, columnar),
        },
    )
    print(summary(document))  # noqa: T201 - a benchmark reports on stdout
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
