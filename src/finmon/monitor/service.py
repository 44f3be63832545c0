"""The monitoring engine's workflows: train, evaluate, score a file, build a live engine.

This module wires the parts together the way the CLI, the demo, the API and
the benchmarks all use them, so there is one definition of "the active rule
set", "the champion model" and "a dataset's features":

- the rule set in force is the store's active revision, else the shipped
  default;
- the model in force is the registry's champion, verified on load; a model
  that fails verification or was trained on another feature set is refused
  with its reason and the engine runs on rules alone (degraded), it does not
  fall back to some other file silently;
- every model records where its training data came from (``source``), and
  evaluation refuses to measure a model on the data it was trained on.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import polars as pl

from finmon.core.clock import Clock, SystemClock
from finmon.core.errors import ConflictError, FinmonError, ValidationError
from finmon.core.settings import Settings
from finmon.monitor.dataset import Dataset, load_dataset
from finmon.monitor.decision import Decision
from finmon.monitor.engine import (
    FIELD_NAMES,
    SANCTIONS_POINTS,
    Engine,
    EngineConfig,
    NameMatcher,
    combine_scores,
)
from finmon.monitor.evaluation import EvaluationReport, Scores, build_report
from finmon.monitor.features import (
    FEATURE_INDEX,
    FEATURE_NAMES,
    FEATURE_SET_VERSION,
    OnlineFeatures,
    compute_offline,
)
from finmon.monitor.models import DriftMonitor, ModelRegistry, ModelVersion, TrainedModel, train_gbm
from finmon.monitor.policy import DEFAULT_POLICY, Policy
from finmon.monitor.rules import RuleSet, RuleStore, default_ruleset
from finmon.monitor.transaction import Txn, iter_table

log = logging.getLogger(__name__)

SCORE_COLUMNS = ("transaction_id", "score", "decision", "degraded", "reasons", "alert_id")
_SOURCE_PREFIX = "source="
_PRINT_PREFIX = "fingerprint="
RULE_FIELD_COLUMNS = FIELD_NAMES


def monitor_dir(settings: Settings) -> Path:
    return settings.data_dir / "monitor"


def open_registry(settings: Settings, clock: Clock | None = None) -> ModelRegistry:
    return ModelRegistry(monitor_dir(settings) / "models", clock or SystemClock())


def open_rule_store(settings: Settings, clock: Clock | None = None) -> RuleStore:
    return RuleStore.for_data_dir(settings.data_dir, clock or SystemClock())


def active_ruleset(settings: Settings, clock: Clock | None = None) -> RuleSet:
    """The store's active revision, else the shipped default rule set."""
    with open_rule_store(settings, clock) as store:
        active = store.active_ruleset()
    return active if active is not None else default_ruleset()


def sanctions_matcher(settings: Settings) -> NameMatcher | None:
    """Inline screening of counterparty names against the lists loaded with
    ``finmon lists load`` (None when none are: no list, no screening — said in docs)."""
    from finmon.aml.detectors.screening_matcher import loaded_lists_matcher  # aml builds on us

    return loaded_lists_matcher(settings.data_dir / "screening")


@dataclass(frozen=True, slots=True)
class Champion:
    """The serving model, or why there is none."""

    model: TrainedModel | None
    version: str | None
    problem: str | None = None


def load_champion(registry: ModelRegistry) -> Champion:
    """The champion, verified; a refusal is reported, never replaced by a guess."""
    version = registry.champion()
    if version is None:
        return Champion(None, None, "no model has been promoted yet")
    try:
        model = registry.load(version, expected_feature_set_version=FEATURE_SET_VERSION)
    except FinmonError as exc:
        log.error("champion %s refused: %s", version, exc)
        return Champion(None, version, f"model {version} refused: {exc}")
    return Champion(model, version)


def load_challenger(registry: ModelRegistry) -> TrainedModel | None:
    version = registry.challenger()
    if version is None:
        return None
    try:
        return registry.load(version, expected_feature_set_version=FEATURE_SET_VERSION)
    except FinmonError as exc:
        log.error("challenger %s refused: %s", version, exc)
        return None


def build_engine(
    settings: Settings,
    dataset: Dataset | None = None,
    *,
    clock: Clock | None = None,
    use_model: bool = True,
    policy: Policy = DEFAULT_POLICY,
    config: EngineConfig | None = None,
    screen: bool = True,
) -> tuple[Engine, Champion]:
    """A streaming engine with the active rules and the champion (and challenger)."""
    registry = open_registry(settings, clock)
    champion = load_champion(registry) if use_model else Champion(None, None, "model disabled")
    features = OnlineFeatures(dataset.reference if dataset is not None else None)
    model = champion.model
    if model is not None:
        # Streaming micro-batches are small: xgboost's thread pool costs more than it
        # saves there, and on a busy machine it costs 10x (measured; bench_monitor.py).
        model.booster.set_param({"nthread": 1})
    drift = None
    if model is not None and model.reference is not None and model.reference.shape[0]:
        drift = DriftMonitor(
            model.reference,
            model.feature_names,
            reference_scores=model.predict_proba(model.reference),
        )
    engine = Engine(
        features,
        active_ruleset(settings, clock),
        champion.model,
        challenger=load_challenger(registry) if use_model else None,
        policy=policy,
        config=config,
        drift=drift,
        sanctions=sanctions_matcher(settings) if screen else None,
    )
    return engine, champion


# -- datasets -----------------------------------------------------------------


def scenario_dataset(settings: Settings, scenario: str, seed: int | None) -> tuple[Path, str]:
    """Generate (or reuse) a shipped scenario's dataset under the data dir; (dir, source id)."""
    from finmon.sim import generate_dataset, load_scenario  # the twin: only to make data

    spec = load_scenario(scenario, seed=seed)
    out = monitor_dir(settings) / "datasets" / f"{spec.name}-{spec.seed}"
    marker = out / ".complete"
    if not marker.exists():
        shutil.rmtree(out, ignore_errors=True)
        generate_dataset(spec, out)
        marker.write_text("ok\n")
    return out, f"scenario:{spec.name}:seed={spec.seed}"


def data_source_id(directory: Path) -> str:
    """A data directory's identity: the SHA-256 of its transactions file."""
    from finmon.monitor.dataset import find_table

    path = find_table(directory, "transactions")
    digest = hashlib.sha256()
    if path is not None:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return f"data:sha256={digest.hexdigest()}"


def resolve_dataset(
    settings: Settings, *, scenario: str | None, seed: int | None, data: Path | None
) -> tuple[Dataset, str]:
    """Exactly one of ``scenario`` or ``data``: the dataset and its source id."""
    if (scenario is None) == (data is None):
        raise ValidationError("give exactly one of --scenario or --data", field="scenario")
    if data is not None:
        return load_dataset(data), data_source_id(data)
    assert scenario is not None  # noqa: S101 - narrowed by the check above
    directory, source = scenario_dataset(settings, scenario, seed)
    return load_dataset(directory), source


@dataclass(slots=True)
class FeatureFrame:
    """A dataset's features, aligned with its transactions, plus the fields rules read."""

    frame: pl.DataFrame
    matrix: np.ndarray
    times_us: np.ndarray


def feature_frame(dataset: Dataset) -> FeatureFrame:
    """Offline features (same values as the streaming engine) and rule fields, per transaction."""
    features = compute_offline(dataset.transactions, dataset.reference)
    fields = pl.from_arrow(dataset.transactions.select(["transaction_id", *RULE_FIELD_COLUMNS]))
    assert isinstance(fields, pl.DataFrame)  # noqa: S101 - a table converts to a frame
    exponents = {c: 10 ** _exponent(c) for c in fields["currency"].unique().to_list()}
    frame = features.join(fields, on="transaction_id", how="left", maintain_order="left")
    frame = frame.with_columns(
        (
            pl.col("amount") / pl.col("currency").replace_strict(exponents, return_dtype=pl.Int64)
        ).alias("amount_major")
    )
    order = {tid: i for i, tid in enumerate(dataset.transactions["transaction_id"].to_pylist())}
    if frame.height != len(order):
        raise ValidationError("features do not cover every transaction", field="transactions")
    frame = frame.with_columns(
        pl.col("transaction_id").replace_strict(order, return_dtype=pl.Int64).alias("_pos")
    ).sort("_pos")
    matrix = frame.select(FEATURE_NAMES).to_numpy().astype(np.float64)
    times = frame["occurred_us"].to_numpy().astype(np.int64)
    return FeatureFrame(frame.drop("_pos"), matrix, times)


def _exponent(currency: str) -> int:
    from finmon.core.currency import get_currency

    return get_currency(currency).exponent


# -- train --------------------------------------------------------------------


#: Features the model learns from: all but the calendar day, which in a few weeks of
#: history identifies *when* an attack happened rather than *what* it looks like (a
#: model that learnt "Tuesdays are fraud" would not carry to next month).
MODEL_FEATURES: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n != "day_of_week")
REFERENCE_ROWS = 5_000


def model_columns(names: tuple[str, ...]) -> np.ndarray:
    return np.array([FEATURE_INDEX[n] for n in names], dtype=np.intp)


def reference_sample(matrix: np.ndarray, seed: int) -> np.ndarray:
    """Up to :data:`REFERENCE_ROWS` training rows, seeded: the drift baseline."""
    if matrix.shape[0] <= REFERENCE_ROWS:
        return matrix.copy()
    rng = np.random.default_rng(seed)
    return matrix[np.sort(rng.choice(matrix.shape[0], REFERENCE_ROWS, replace=False))]


@dataclass(frozen=True, slots=True)
class Trained:
    version: ModelVersion
    model: TrainedModel
    promoted: bool
    source: str


def train(
    settings: Settings,
    dataset: Dataset,
    source: str,
    *,
    author: str,
    promote: bool = True,
    seed: int = 0,
    params: dict[str, object] | None = None,
    clock: Clock | None = None,
) -> Trained:
    """Train a gradient-boosted model on ``dataset`` and register it (promoted by default)."""
    labels = dataset.labels_aligned()
    feats = feature_frame(dataset)
    matrix = feats.matrix[:, model_columns(MODEL_FEATURES)]
    model = train_gbm(
        matrix,
        labels.y,
        feats.times_us,
        MODEL_FEATURES,
        FEATURE_SET_VERSION,
        params=params,
        seed=seed,
    )
    model.reference = reference_sample(matrix, seed)
    registry = open_registry(settings, clock)
    note = f"{_SOURCE_PREFIX}{source};{_PRINT_PREFIX}{dataset_fingerprint(dataset)}"
    version = registry.register(model, author=author, note=note)
    if promote:
        registry.promote(version.version, author=author)
    return Trained(version, model, promote, source)


def _note_field(version: ModelVersion, prefix: str) -> str | None:
    for part in version.note.split(";"):
        if part.startswith(prefix):
            return part[len(prefix) :]
    return None


def training_source(version: ModelVersion) -> str | None:
    """Where the model's training data came from (``scenario:demo:seed=7``, ``data:sha256=…``)."""
    return _note_field(version, _SOURCE_PREFIX)


def training_fingerprint(version: ModelVersion) -> str | None:
    return _note_field(version, _PRINT_PREFIX)


def dataset_fingerprint(dataset: Dataset) -> str:
    """The identity of a dataset's content, whatever its file format: SHA-256 of its sorted
    transaction ids (the same data as Parquet or CSV has the same fingerprint)."""
    ids = sorted(dataset.transactions["transaction_id"].to_pylist())
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


# -- evaluate -----------------------------------------------------------------


def rule_points(ruleset: RuleSet, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Active rule points (capped at 100) and critical floors per row, column-wise
    (the engine's ``rule_points`` and ``rule_floor``)."""
    hits = ruleset.evaluate_frame(frame)
    points = np.zeros(frame.height, dtype=np.int64)
    floor = np.zeros(frame.height, dtype=np.int64)
    for rule in ruleset.rules:
        if rule.mode == "active":
            hit = hits[rule.id].astype(np.int64) * rule.score
            points += hit
            if rule.severity == "critical":
                floor = np.maximum(floor, hit)
    return np.minimum(points, 100), floor


def sanctions_mask(names: list[str | None], matcher: NameMatcher) -> np.ndarray:
    """Which rows' counterparty names the screener matches (each distinct name once)."""
    verdict = {n: matcher(n) is not None for n in {n for n in names if n}}
    return np.array([verdict[n] if n else False for n in names], dtype=bool)


def review_thresholds(policy: Policy, channels: list[str | None]) -> np.ndarray:
    return np.array([policy.thresholds(c).review for c in channels], dtype=np.int64)


def evaluate(
    settings: Settings,
    dataset: Dataset,
    source: str,
    *,
    clock: Clock | None = None,
    policy: Policy = DEFAULT_POLICY,
    use_model: bool = True,
) -> EvaluationReport:
    """Rules alone, model alone and combined on one labelled dataset.

    Raises:
        ConflictError: the champion was trained on this very data.
    """
    registry = open_registry(settings, clock)
    champion = load_champion(registry) if use_model else Champion(None, None, "model disabled")
    if champion.version is not None and champion.model is not None:
        described = registry.describe(champion.version)
        trained_on = training_source(described)
        if trained_on == source or training_fingerprint(described) == dataset_fingerprint(dataset):
            raise ConflictError(
                f"model {champion.version} was trained on {source}; evaluate it on data it "
                "has never seen (e.g. --scenario holdout)",
                field="scenario",
            )
    ruleset = active_ruleset(settings, clock)
    labels = dataset.labels_aligned()
    feats = feature_frame(dataset)
    review = review_thresholds(policy, feats.frame["channel"].to_list())
    points, floor = rule_points(ruleset, feats.frame)
    matcher = sanctions_matcher(settings)
    if matcher is not None:
        listed = sanctions_mask(feats.frame["counterparty_name"].to_list(), matcher)
        points = np.where(listed, np.minimum(points + SANCTIONS_POINTS, 100), points)
        floor = np.where(listed, np.maximum(floor, SANCTIONS_POINTS), floor)
    detectors = [Scores("rules", points.astype(np.float64), points >= review)]
    if champion.model is not None:
        model_matrix = feats.matrix[:, model_columns(champion.model.feature_names)]
        probability = champion.model.predict_proba(model_matrix)
        model_score = np.rint(100 * probability)
        # the ranking uses the unrounded probability; alerts use the integer score as served
        exact = 100 * probability
        combined = combine_scores(probability, points, floor)
        ranked = np.maximum(
            combine_scores(probability, points, np.zeros_like(floor)) + exact / 1000, floor
        )
        detectors.append(Scores("model", exact, model_score >= review))
        detectors.append(Scores("combined", ranked.astype(np.float64), combined >= review))
    return build_report(
        dataset=str(dataset.directory),
        source=source,
        model_version=champion.version if champion.model is not None else None,
        ruleset_version=f"{ruleset.name} v{ruleset.version}",
        detectors=detectors,
        y=labels.y,
        typology=labels.typology,
        instance=labels.instance,
        times_us=feats.times_us,
    )


# -- score a file ---------------------------------------------------------------


@dataclass(slots=True)
class ScoreSummary:
    transactions: int = 0
    invalid: int = 0
    degraded: int = 0
    alerts: int = 0
    approve: int = 0
    review: int = 0
    block: int = 0

    def count(self, decision: Decision) -> None:
        self.transactions += 1
        self.degraded += decision.degraded
        self.alerts += decision.alert_id is not None
        setattr(self, decision.outcome, getattr(self, decision.outcome) + 1)

    def to_dict(self) -> dict[str, int]:
        return {
            "transactions": self.transactions,
            "invalid": self.invalid,
            "degraded": self.degraded,
            "alerts": self.alerts,
            "approve": self.approve,
            "review": self.review,
            "block": self.block,
        }


def batched(txns: Iterator[Txn], size: int) -> Iterator[list[Txn]]:
    batch: list[Txn] = []
    for txn in txns:
        batch.append(txn)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_decisions(dataset: Dataset, engine: Engine, batch: int = 256) -> Iterator[Decision]:
    """Every transaction's decision, in event-time order through the streaming engine;
    the rows the validator refused come last, each as a review naming its field."""
    for chunk in batched(iter_table(dataset.transactions), batch):
        yield from engine.score_many(chunk)
    for refused in dataset.refused:
        tid = refused.transaction_id or f"row:{refused.row}"
        yield engine.invalid(tid, refused.problems)


def write_scores(decisions: Iterator[Decision], out: Path) -> ScoreSummary:
    """The contract's CSV: transaction_id, score, decision, degraded, reasons, alert_id."""
    summary = ScoreSummary()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SCORE_COLUMNS)
        for decision in decisions:
            summary.count(decision)
            if "invalid_input" in decision.tags:
                summary.invalid += 1
            reasons = orjson.dumps([r.to_dict() for r in decision.reasons]).decode()
            writer.writerow(
                (
                    decision.transaction_id,
                    decision.score,
                    decision.outcome,
                    "true" if decision.degraded else "false",
                    reasons,
                    decision.alert_id or "",
                )
            )
    partial.replace(out)  # a reader never sees half a file
    return summary


__all__ = [
    "FEATURE_SET_VERSION",
    "MODEL_FEATURES",
    "RULE_FIELD_COLUMNS",
    "SCORE_COLUMNS",
    "Champion",
    "FeatureFrame",
    "ScoreSummary",
    "Trained",
    "active_ruleset",
    "build_engine",
    "evaluate",
    "feature_frame",
    "load_champion",
    "load_dataset",
    "monitor_dir",
    "open_registry",
    "open_rule_store",
    "resolve_dataset",
    "rule_points",
    "scenario_dataset",
    "score_decisions",
    "train",
    "dataset_fingerprint",
    "training_fingerprint",
    "training_source",
    "write_scores",
]
