"""Backtesting a rule set on labelled history: what each rule would have alerted, and how well.

Before a rule goes live an analyst wants to know how many alerts it raises and
how many of them are fraud (precision), how much of each typology it catches
(recall), and what the set as a whole adds up to. Only *active* rules make up
the set's alerts, as in production; shadow rules are measured alone, which is
exactly what a shadow period is for.

Per typology: recall is the share of that typology's fraudulent transactions
the rule alerted on; precision is the share of the rule's alerts that are that
typology (the overall precision is the sum over typologies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from rich.table import Table

from finmon.core.errors import ValidationError
from finmon.monitor.rules.ruleset import Engine, RuleSet

ALL_ACTIVE = "(active rules)"


@dataclass(frozen=True, slots=True)
class Counts:
    """Alerts and true positives against a number of positives."""

    alerts: int
    true_positives: int
    positives: int

    @property
    def precision(self) -> float | None:
        """True positives per alert; None when there is no alert (undefined, not zero)."""
        return self.true_positives / self.alerts if self.alerts else None

    @property
    def recall(self) -> float | None:
        """Share of the positives alerted on; None when there is no positive."""
        return self.true_positives / self.positives if self.positives else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "alerts": self.alerts,
            "true_positives": self.true_positives,
            "positives": self.positives,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(frozen=True, slots=True)
class RuleBacktest:
    """One rule's (or the active set's) results, overall and per typology."""

    rule_id: str
    mode: str
    score: int
    overall: Counts
    by_typology: Mapping[str, Counts] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "mode": self.mode,
            "score": self.score,
            **self.overall.to_dict(),
            "by_typology": {k: v.to_dict() for k, v in self.by_typology.items()},
        }


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """Results of every rule and of the active set, on ``rows`` transactions."""

    ruleset: str
    version: str
    rows: int
    min_points: int
    positives: int
    typologies: Mapping[str, int]
    rules: tuple[RuleBacktest, ...]
    combined: RuleBacktest

    def rule(self, rule_id: str) -> RuleBacktest:
        for result in self.rules:
            if result.rule_id == rule_id:
                return result
        raise ValidationError(f"no rule '{rule_id}' in the backtest", field="rule_id")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "version": self.version,
            "rows": self.rows,
            "min_points": self.min_points,
            "positives": self.positives,
            "typologies": dict(self.typologies),
            "rules": [r.to_dict() for r in self.rules],
            "combined": self.combined.to_dict(),
        }

    def table(self) -> Table:
        """A rich table: one line per rule, then the active set."""
        table = Table(title=f"Backtest of {self.ruleset} v{self.version} on {self.rows:,} rows")
        for column in (
            "rule",
            "mode",
            "points",
            "alerts",
            "TP",
            "precision",
            "recall",
            "best typology",
        ):
            table.add_column(
                column, justify="left" if column in ("rule", "mode", "best typology") else "right"
            )
        for result in (*self.rules, self.combined):
            counts = result.overall
            table.add_row(
                result.rule_id,
                result.mode,
                str(result.score),
                f"{counts.alerts:,}",
                f"{counts.true_positives:,}",
                _pct(counts.precision),
                _pct(counts.recall),
                _best(result),
                end_section=result is self.rules[-1] if self.rules else False,
            )
        return table

    def __rich__(self) -> Table:
        return self.table()


def backtest(
    ruleset: RuleSet,
    frame: pl.DataFrame,
    labels: pl.DataFrame,
    *,
    engine: Engine = "polars",
    allow_missing: bool = False,
    min_points: int = 1,
) -> BacktestReport:
    """Evaluate ``ruleset`` on ``frame`` and score it against ``labels``.

    ``frame`` holds the feature and field columns plus ``transaction_id``;
    ``labels`` holds ``transaction_id``, ``is_fraud`` and ``typology``. A
    transaction without a label counts as legitimate (labels list positives).
    The set alerts where its active hits add up to ``min_points`` (1: any
    active hit; the engine's review threshold, e.g. 50, shows what rules alone
    would send to review).
    """
    is_fraud, typology = _aligned_labels(frame, labels)
    hits = ruleset.evaluate_frame(frame, engine=engine, allow_missing=allow_missing)
    names = sorted({t for t in typology[is_fraud].tolist() if t is not None})
    typology_masks = {name: is_fraud & (typology == name) for name in names}
    results = tuple(
        _measure(rule.id, rule.mode, rule.score, hits[rule.id], is_fraud, typology_masks)
        for rule in ruleset.rules
    )
    points = np.zeros(frame.height, dtype=np.int64)
    for rule in ruleset.rules:
        if rule.active:
            points += hits[rule.id] * rule.score
    min_points = max(min_points, 1)
    alerted = np.minimum(points, 100) >= min_points
    label = ALL_ACTIVE if min_points == 1 else f"{ALL_ACTIVE[:-1]} >= {min_points} points)"
    combined = _measure(label, "active", min_points, alerted, is_fraud, typology_masks)
    return BacktestReport(
        ruleset=ruleset.name,
        version=str(ruleset.version),
        rows=frame.height,
        min_points=min_points,
        positives=int(is_fraud.sum()),
        typologies={name: int(mask.sum()) for name, mask in typology_masks.items()},
        rules=results,
        combined=combined,
    )


def _aligned_labels(frame: pl.DataFrame, labels: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``is_fraud`` (bool) and ``typology`` (object) in the frame's row order."""
    if "transaction_id" not in frame.columns:
        raise ValidationError("the frame has no transaction_id column", field="frame")
    missing = [c for c in ("transaction_id", "is_fraud") if c not in labels.columns]
    if missing:
        raise ValidationError(f"labels lack {', '.join(missing)}", field="labels")
    if labels.get_column("transaction_id").is_duplicated().any():
        raise ValidationError("labels name a transaction more than once", field="labels")
    if "typology" not in labels.columns:
        labels = labels.with_columns(pl.lit(None, dtype=pl.String).alias("typology"))
    joined = (
        frame.select(pl.col("transaction_id").cast(pl.String))
        .with_row_index("_row")
        .join(
            labels.select(
                pl.col("transaction_id").cast(pl.String),
                pl.col("is_fraud").cast(pl.Boolean),
                pl.col("typology").cast(pl.String),
            ),
            on="transaction_id",
            how="left",
        )
        .sort("_row")
    )
    is_fraud = joined.get_column("is_fraud").fill_null(False).to_numpy().astype(bool)
    typology = np.asarray(joined.get_column("typology").to_list(), dtype=object)
    return is_fraud, typology


def _measure(
    rule_id: str,
    mode: str,
    score: int,
    hit: np.ndarray,
    is_fraud: np.ndarray,
    typologies: Mapping[str, np.ndarray],
) -> RuleBacktest:
    alerts = int(hit.sum())
    overall = Counts(alerts, int((hit & is_fraud).sum()), int(is_fraud.sum()))
    by_typology = {
        name: Counts(alerts, int((hit & mask).sum()), int(mask.sum()))
        for name, mask in typologies.items()
    }
    return RuleBacktest(rule_id, mode, score, overall, by_typology)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _best(result: RuleBacktest) -> str:
    """The typology the rule recalls best (what it is good at)."""
    scored = [(c.recall or 0.0, name) for name, c in result.by_typology.items() if c.true_positives]
    if not scored:
        return "-"
    recall, name = max(scored)
    return f"{name} ({100 * recall:.0f}%)"


__all__ = ["ALL_ACTIVE", "BacktestReport", "Counts", "RuleBacktest", "backtest"]
