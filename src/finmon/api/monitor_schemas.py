"""Bodies of the monitoring endpoints: decisions, rule sets, models.

A decision is returned as the engine explains it: the score (0-100), the
outcome, whether the model took part (``degraded``), and the reasons (rule
hits first, then the features that raised the model's log-odds), with the
model and rule-set versions that made it. Instants are ISO 8601 UTC.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from finmon.api.schemas import EventPublic, _In

MAX_RULES_TEXT = 1_000_000
"""The rule store's own document limit; a larger body is refused before parsing."""


class ReasonOut(BaseModel):
    kind: Literal["rule", "feature", "input", "anomaly"]
    code: str = Field(description="rule id, feature name or offending field")
    text: str
    weight: float = Field(description="rule points, or the feature's log-odds contribution")


class DecisionOut(BaseModel):
    """The engine's decision on one transaction."""

    transaction_id: str
    score: int = Field(ge=0, le=100)
    outcome: Literal["approve", "review", "block"]
    degraded: bool = Field(description="the model did not take part: rules alone decided")
    reasons: list[ReasonOut]
    rule_hits: list[str]
    model_probability: float | None
    model_version: str | None
    ruleset_version: str | None
    challenger_probability: float | None
    alert_id: str | None = Field(description="set when the outcome is review or block")
    tags: list[str]
    occurred_at: str
    decided_at: str
    latency_us: int


class TransactionDecided(BaseModel):
    """Stored as a ``transaction.received`` event and decided."""

    status: Literal["decided"] = "decided"
    transaction_id: str
    event_id: str
    seq: int
    duplicate: bool = Field(description="already received before: the first decision returns")
    decision: DecisionOut


class BatchDecided(BaseModel):
    status: Literal["decided"] = "decided"
    received: int
    appended: int
    duplicates: int
    first_seq: int | None
    last_seq: int | None
    outcomes: dict[str, int] = Field(description="decisions per outcome")
    decisions: list[DecisionOut] = Field(description="one per transaction, in request order")


class TransactionDetail(EventPublic):
    """The stored event and, once scored, its decision."""

    decision: DecisionOut | None = None


class DecisionPage(BaseModel):
    items: list[DecisionOut]


# -- rules ---------------------------------------------------------------------


class RulesText(_In):
    """A rule set as YAML text (see docs/rules.md), with a comment for the history."""

    text: str = Field(min_length=1, max_length=MAX_RULES_TEXT)
    comment: str = Field(default="", max_length=1000)


class RulesActivate(_In):
    comment: str = Field(default="", max_length=1000)


class RuleOut(BaseModel):
    id: str
    description: str
    expression: str
    severity: str
    score: int
    tags: list[str]
    mode: str
    version: int
    line: int
    column: int


class RuleRevisionOut(BaseModel):
    revision: int
    name: str
    declared_version: str
    sha256: str
    author: str
    comment: str
    created_at: str


class ActiveRulesOut(BaseModel):
    """The rule set in force; ``revision`` is null for the shipped default."""

    name: str
    version: str
    description: str
    sha256: str
    revision: RuleRevisionOut | None
    rules: list[RuleOut]
    text: str


class RuleProblemOut(BaseModel):
    rule_id: str | None
    field: str
    path: str
    line: int = Field(description="1-based line in the submitted text")
    column: int = Field(description="1-based column in the submitted text")
    reason: str
    code: str


class RulesValidation(BaseModel):
    valid: bool
    problems: list[RuleProblemOut]
    name: str | None = None
    version: str | None = None
    rules: int = 0


class RuleDiffOut(BaseModel):
    added: list[str]
    removed: list[str]
    changed: list[str]


class RulesDeployed(BaseModel):
    """The revision now active, and what changed against the one before."""

    revision: RuleRevisionOut
    diff: RuleDiffOut | None
    ruleset_version: str


class RuleChangeOut(BaseModel):
    at: str
    author: str
    action: Literal["save", "activate", "reject"]
    revision: int | None
    previous: int | None
    comment: str
    diff: RuleDiffOut | None
    detail: str


class RuleHistoryOut(BaseModel):
    active: int | None
    versions: list[RuleRevisionOut]
    changes: list[RuleChangeOut]


# -- models --------------------------------------------------------------------


class ModelSummary(BaseModel):
    version: str
    kind: str
    created_at: str
    author: str
    feature_set_version: str
    rows: int
    positives: int
    window_start: str
    window_end: str
    training_source: str | None
    metrics: dict[str, Any]


class ModelListItem(BaseModel):
    version: str
    role: Literal["champion", "challenger", "none"]
    summary: ModelSummary | None = Field(description="null when the version fails its checks")
    problem: str | None = None


class ModelsOut(BaseModel):
    champion: str | None
    challenger: str | None
    serving: str | None = Field(description="the model the engine scores with now")
    feature_set_version: str = Field(description="the feature set the engine computes")
    problem: str | None = Field(description="why no model serves, when none does")
    versions: list[ModelListItem]


class ModelInfo(ModelSummary):
    """The champion: what it was trained on, how it scored, whether it serves."""

    feature_names: list[str]
    params: dict[str, Any]
    serving: bool
    problem: str | None = None


class ModelChanged(BaseModel):
    action: Literal["promote", "rollback", "set_challenger", "clear_challenger"]
    version: str | None
    previous: str | None
    serving: str | None


__all__ = [
    "MAX_RULES_TEXT",
    "ActiveRulesOut",
    "BatchDecided",
    "DecisionOut",
    "DecisionPage",
    "ModelChanged",
    "ModelInfo",
    "ModelListItem",
    "ModelSummary",
    "ModelsOut",
    "ReasonOut",
    "RuleChangeOut",
    "RuleDiffOut",
    "RuleHistoryOut",
    "RuleOut",
    "RuleProblemOut",
    "RuleRevisionOut",
    "RulesActivate",
    "RulesDeployed",
    "RulesText",
    "RulesValidation",
    "TransactionDecided",
    "TransactionDetail",
]
