"""The scoring engine: features -> rules + model -> a 0-100 score, its reasons, an outcome.

How the parts combine. The model's calibrated probability ``p`` is the
base; rule points ``r`` (the sum of the active hits' scores, capped at 100)
shift its log-odds: ``score = 100 * sigmoid(logit(p) + r / 25)``, so every 25
points of rules multiply the odds by *e*. Weak rules (10 points: "new payee",
"off hours") nudge a score instead of drowning the model's ranking in ties,
agreeing evidence compounds, and neither side can lower what the other saw.
Rules of severity ``critical`` (sanctioned jurisdiction, impossible travel,
account takeover) also set a floor: the score is at least their points, so
they reach review whatever the model thinks. Without a model the score is the
rule points alone. Reasons list the rule hits first (they are what an analyst
can act on), then the features that pushed the model's log-odds up most
(exact SHAP values from the booster).

Degradation. The model is optional at every call: when none is loaded, when it
raises, or when the latency budget is already spent after features and rules,
the decision rests on rules alone and says ``degraded`` — the transaction is
always answered, never dropped or waved through unexamined.

Order matters: features are stateful (windows per entity), so transactions
must be scored in event-time order by one engine; the pipeline partitions by
account to keep that true across processes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from finmon.core.currency import get_currency
from finmon.core.errors import Problem
from finmon.monitor.decision import Decision, Outcome, Reason
from finmon.monitor.features import FEATURE_INDEX, FEATURE_NAMES, OnlineFeatures
from finmon.monitor.models.drift import DriftMonitor
from finmon.monitor.policy import DEFAULT_POLICY, Policy
from finmon.monitor.rules import RuleHit, RuleSet
from finmon.monitor.transaction import Txn

log = logging.getLogger(__name__)

FIELD_NAMES: tuple[str, ...] = (
    "channel",
    "direction",
    "currency",
    "merchant_id",
    "merchant_category",
    "merchant_country",
    "counterparty_country",
    "counterparty_name",
    "device_id",
    "ip_address",
)


class Model(Protocol):
    """What the engine needs of a trained model (see :mod:`finmon.monitor.models`)."""

    version: str
    feature_names: tuple[str, ...]

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...  # noqa: N803

    def contributions(self, X: np.ndarray) -> np.ndarray: ...  # noqa: N803


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Tunables of one engine.

    Attributes:
        latency_budget_us: after features and rules, a batch that has already
            used this much per transaction skips the model (degraded decision).
        top_features: how many feature contributions a decision explains.
        explain_all: explain approvals too (costs a SHAP pass per batch); off,
            only review/block decisions carry feature reasons.
    """

    latency_budget_us: int = 5_000
    top_features: int = 5
    explain_all: bool = False


def alert_id_for(transaction_id: str) -> str:
    """The alert a transaction raises: deterministic, so a replay raises no new one."""
    return "AL-" + hashlib.sha256(transaction_id.encode()).hexdigest()[:16]


#: Rule points per unit of log-odds: 25 points multiply the model's odds by e.
POINTS_PER_LOGIT = 25.0
_EPS = 1e-6


#: A counterparty on a sanctions list: critical, and enough points to block by default.
SANCTIONS_RULE_ID = "sanctions-screening"
SANCTIONS_POINTS = 95
SCREENED_CACHE = 200_000
NameMatcher = Callable[[str], float | None]
"""Screening hook: a counterparty name -> match score 0-100, or None for no match."""


def sanctions_hit(name: str, score: float) -> RuleHit:
    """The hit inline screening adds: scored and explained like any critical rule."""
    return RuleHit(
        rule_id=SANCTIONS_RULE_ID,
        description=f"counterparty name {name!r} matches a sanctions list entry "
        f"(similarity {score:.0f})",
        severity="critical",
        score=SANCTIONS_POINTS,
        tags=("aml", "sanctions"),
        mode="active",
        version=1,
    )


def rule_points(hits: Sequence[RuleHit]) -> int:
    """Points of the active hits, capped at 100 (shadow hits are logged, never scored)."""
    return min(100, sum(h.score for h in hits if h.mode == "active"))


def rule_floor(hits: Sequence[RuleHit]) -> int:
    """The score a critical active hit guarantees (its points), else 0."""
    return max(
        (h.score for h in hits if h.mode == "active" and h.severity == "critical"), default=0
    )


def combine_scores(
    probability: np.ndarray | None, points: np.ndarray, floor: np.ndarray
) -> np.ndarray:
    """Scores 0..100 (int) from probabilities, rule points and floors (see the module doc)."""
    if probability is None:
        return np.asarray(points, dtype=np.int64)
    p = np.clip(np.asarray(probability, dtype=np.float64), _EPS, 1 - _EPS)
    logit = np.log(p / (1 - p)) + np.asarray(points, dtype=np.float64) / POINTS_PER_LOGIT
    score = np.rint(100.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    return np.maximum(score, np.asarray(floor, dtype=np.int64))


def combine(probability: float | None, points: int, floor: int = 0) -> int:
    """One transaction's score: :func:`combine_scores` for a single row."""
    prob = None if probability is None else np.array([probability])
    return int(combine_scores(prob, np.array([points]), np.array([floor]))[0])


@functools.lru_cache(maxsize=512)
def _minor_per_major(currency: str) -> int:
    """10 ** exponent of a currency (looked up once per currency, not per transaction)."""
    return int(10 ** get_currency(currency).exponent)


def transaction_fields(txn: Txn) -> dict[str, Any]:
    """The transaction fields rules may read, beside the features."""
    values = {name: getattr(txn, name) for name in FIELD_NAMES}
    values["amount"] = txn.amount_minor
    values["amount_major"] = txn.amount_minor / _minor_per_major(txn.currency)
    return values


class Engine:
    """Scores transactions one at a time or in micro-batches (same answers either way)."""

    def __init__(
        self,
        features: OnlineFeatures,
        rules: RuleSet,
        model: Model | None = None,
        *,
        challenger: Model | None = None,
        policy: Policy = DEFAULT_POLICY,
        config: EngineConfig | None = None,
        drift: DriftMonitor | None = None,
        sanctions: NameMatcher | None = None,
    ) -> None:
        self.features = features
        self.rules = rules
        self.model = model
        self.challenger = challenger
        self.policy = policy
        self.config = config or EngineConfig()
        self.drift = drift
        self.sanctions = sanctions
        self._screened: dict[str, float | None] = {}
        self.degraded_count = 0
        self.model_failures = 0
        self._column_cache: dict[tuple[str, ...], np.ndarray] = {}

    @property
    def ruleset_version(self) -> str:
        return str(self.rules.version)

    def score(self, txn: Txn) -> Decision:
        """Score one transaction now (a batch of one)."""
        return self.score_many([txn])[0]

    def score_many(self, txns: Sequence[Txn], *, deadline_us: int | None = None) -> list[Decision]:
        """Score a micro-batch in order; ``deadline_us`` is on ``time.perf_counter`` µs.

        The batch's features are computed in order (each sees the ones before
        it), rules run per transaction, the model runs once over the batch, and
        SHAP explanations are computed only for the transactions that are not
        approved (an approval needs no case file; see ``explain_all``).
        """
        if not txns:
            return []
        start = time.perf_counter_ns() // 1000
        rows = np.empty((len(txns), len(FEATURE_NAMES)), dtype=np.float64)
        hits: list[list[RuleHit]] = []
        for i, txn in enumerate(txns):
            values = self.features.compute(txn)
            rows[i] = values
            env = dict(zip(FEATURE_NAMES, values.tolist(), strict=True))
            env.update(transaction_fields(txn))
            found = self.rules.evaluate(env)
            if self.sanctions is not None and txn.counterparty_name:
                hit = self._screen(txn.counterparty_name)
                if hit is not None:
                    found.append(hit)
            hits.append(found)
        budget_end = start + self.config.latency_budget_us * len(txns)
        if deadline_us is not None:
            budget_end = min(budget_end, deadline_us)
        in_budget = time.perf_counter_ns() // 1000 < budget_end
        probabilities = self._predict(self.model, rows) if in_budget else None
        if self.drift is not None and probabilities is not None and self.model is not None:
            self.drift.observe(rows[:, self._columns(self.model)], scores=probabilities)
        scores = combine_scores(
            probabilities,
            np.array([rule_points(h) for h in hits], dtype=np.int64),
            np.array([rule_floor(h) for h in hits], dtype=np.int64),
        )
        outcomes = [
            self.policy.outcome(int(sc), t.channel) for sc, t in zip(scores, txns, strict=True)
        ]
        explained = self._explain(rows, probabilities, outcomes)
        challenger = self._predict(self.challenger, rows, shadow=True)
        per = (time.perf_counter_ns() // 1000 - start) // len(txns)
        return [
            self._decide(
                txn,
                int(scores[i]),
                outcomes[i],
                hits[i],
                probabilities,
                challenger,
                i,
                per,
                explained.get(i, ()),
            )
            for i, txn in enumerate(txns)
        ]

    def invalid(
        self, transaction_id: str, problems: Sequence[Problem], occurred_us: int = 0
    ) -> Decision:
        """A bad input is never approved: it goes to review, saying which field is wrong."""
        reasons = tuple(
            Reason("input", p.field or "input", f"invalid input: {p.field}: {p.reason}")
            for p in problems
        ) or (Reason("input", "input", "invalid input"),)
        return Decision(
            transaction_id=transaction_id,
            score=50,
            outcome="review",
            degraded=True,
            reasons=reasons,
            ruleset_version=self.ruleset_version,
            occurred_us=occurred_us,
            alert_id=alert_id_for(transaction_id) if transaction_id else None,
            tags=("invalid_input",),
        )

    # -- internals -------------------------------------------------------------

    def _screen(self, name: str) -> RuleHit | None:
        """Inline sanctions screening of the counterparty name (cached per name)."""
        if name not in self._screened:
            if len(self._screened) >= SCREENED_CACHE:
                self._screened.clear()
            assert self.sanctions is not None  # noqa: S101 - checked by the caller
            self._screened[name] = self.sanctions(name)
        score = self._screened[name]
        return None if score is None else sanctions_hit(name, score)

    def _columns(self, model: Model) -> np.ndarray:
        """Which feature columns the model reads, in its order (models may use a subset)."""
        names = tuple(model.feature_names)
        cols = self._column_cache.get(names)
        if cols is None:
            cols = np.array([FEATURE_INDEX[name] for name in names], dtype=np.intp)
            self._column_cache[names] = cols
        return cols

    def _predict(
        self, model: Model | None, rows: np.ndarray, *, shadow: bool = False
    ) -> np.ndarray | None:
        if model is None:
            return None
        try:
            return np.asarray(model.predict_proba(rows[:, self._columns(model)]))
        except Exception:  # a broken model degrades the decision, it must not stop scoring
            if not shadow:
                self.model_failures += 1
            log.exception("model %s failed; deciding without it", model.version)
            return None

    def _explain(
        self, rows: np.ndarray, probabilities: np.ndarray | None, outcomes: Sequence[str]
    ) -> dict[int, tuple[Reason, ...]]:
        model = self.model
        if model is None or probabilities is None:
            return {}
        wanted = [i for i, o in enumerate(outcomes) if self.config.explain_all or o != "approve"]
        if not wanted:
            return {}
        cols = self._columns(model)
        try:
            contributions = model.contributions(
                rows[np.ix_(np.asarray(wanted, dtype=np.intp), cols)]
            )
        except Exception:
            log.exception("model %s could not explain; decisions keep rule reasons", model.version)
            return {}
        names = model.feature_names
        k = self.config.top_features
        return {
            i: _feature_reasons(rows[i, cols], contributions[j], names, k)
            for j, i in enumerate(wanted)
        }

    def _decide(
        self,
        txn: Txn,
        score: int,
        outcome: Outcome,
        hits: list[RuleHit],
        probabilities: np.ndarray | None,
        challenger: np.ndarray | None,
        i: int,
        latency_us: int,
        explained: tuple[Reason, ...],
    ) -> Decision:
        degraded = probabilities is None
        if degraded:
            self.degraded_count += 1
        active = [h for h in hits if h.mode == "active"]
        reasons = [
            Reason("rule", h.rule_id, h.description, float(h.score))
            for h in sorted(active, key=lambda h: -h.score)
        ]
        reasons.extend(explained)
        shadow = tuple(h.rule_id for h in hits if h.mode != "active")
        return Decision(
            transaction_id=txn.transaction_id,
            score=score,
            outcome=outcome,
            degraded=degraded,
            reasons=tuple(reasons),
            rule_hits=tuple(h.rule_id for h in active),
            model_probability=None if probabilities is None else float(probabilities[i]),
            model_version=None if self.model is None else self.model.version,
            ruleset_version=self.ruleset_version,
            challenger_probability=None if challenger is None else float(challenger[i]),
            occurred_us=txn.occurred_us,
            latency_us=latency_us,
            alert_id=alert_id_for(txn.transaction_id) if outcome != "approve" else None,
            tags=tuple(sorted({t for h in active for t in h.tags})),
            extra={"shadow_hits": shadow} if shadow else {},
        )


def _feature_reasons(
    row: np.ndarray, contribution: np.ndarray, names: Sequence[str], k: int
) -> tuple[Reason, ...]:
    """The ``k`` features that raised the log-odds most (positive SHAP values only)."""
    order = np.argsort(-contribution[:-1])[:k]
    return tuple(
        Reason(
            "feature", names[j], f"{names[j]} = {_fmt(row[j])}", round(float(contribution[j]), 4)
        )
        for j in order
        if contribution[j] > 0
    )


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def explain(decision: Decision) -> Mapping[str, Any]:
    """A decision as an analyst reads it (API, CLI)."""
    return decision.to_dict()


__all__ = [
    "FIELD_NAMES",
    "SANCTIONS_POINTS",
    "SANCTIONS_RULE_ID",
    "NameMatcher",
    "sanctions_hit",
    "Engine",
    "EngineConfig",
    "Model",
    "alert_id_for",
    "combine",
    "combine_scores",
    "rule_floor",
    "explain",
    "rule_points",
    "transaction_fields",
]
