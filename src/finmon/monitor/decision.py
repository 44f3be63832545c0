"""What the engine answers for one transaction: a score, an outcome and the reasons for it.

A decision is an explanation first: every point of the score is attributable
to a rule hit or a feature's contribution to the model, in that order of
authority. ``degraded`` says the model did not take part (unavailable, or the
latency budget was spent) and the answer rests on rules alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["approve", "review", "block"]
OUTCOMES: tuple[Outcome, ...] = ("approve", "review", "block")
ReasonKind = Literal["rule", "feature", "input", "anomaly"]


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a score.

    Attributes:
        kind: ``rule`` (a rule hit), ``feature`` (a model contribution),
            ``anomaly`` (an unsupervised detector), ``input`` (the row itself was bad).
        code: the rule id, the feature name or the offending field.
        text: the sentence an analyst reads.
        weight: points of score (rule) or log-odds contribution (feature).
    """

    kind: ReasonKind
    code: str
    text: str
    weight: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "text": self.text, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer for one transaction."""

    transaction_id: str
    score: int
    outcome: Outcome
    degraded: bool
    reasons: tuple[Reason, ...]
    rule_hits: tuple[str, ...] = ()
    model_probability: float | None = None
    model_version: str | None = None
    ruleset_version: str | None = None
    challenger_probability: float | None = None
    occurred_us: int = 0
    latency_us: int = 0
    alert_id: str | None = None
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "transaction_id": self.transaction_id,
            "score": self.score,
            "outcome": self.outcome,
            "degraded": self.degraded,
            "reasons": [r.to_dict() for r in self.reasons],
            "rule_hits": list(self.rule_hits),
            "model_probability": self.model_probability,
            "model_version": self.model_version,
            "ruleset_version": self.ruleset_version,
            "challenger_probability": self.challenger_probability,
            "occurred_us": self.occurred_us,
            "latency_us": self.latency_us,
            "alert_id": self.alert_id,
            "tags": list(self.tags),
        }


__all__ = ["OUTCOMES", "Decision", "Outcome", "Reason", "ReasonKind"]
