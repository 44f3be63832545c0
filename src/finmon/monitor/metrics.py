"""Detection-quality measures, defined the way the evaluation report states them.

- **PR-AUC**: average precision (step-wise area under precision-recall), the
  honest summary under heavy class imbalance (ROC-AUC flatters rare fraud).
- **Recall at FPR x**: the threshold is set on the *legitimate* transactions
  alone (the highest score a fraction x of them exceed), then recall is the
  share of fraudulent transactions scoring strictly above it — what a bank
  that can afford x false alarms would catch.
- **Alert precision**: of the transactions the policy sends to review or
  block, the share that are fraudulent: the analyst's hit rate.
- **Per-typology recall**: by transaction (share of the typology's
  transactions alerted) and by instance (share of instances with at least one
  alerted transaction: "did we find the ring").
- **Time to first alert**: per detected instance, from its first transaction's
  time to the first alerted transaction of it; the median over instances.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve


@dataclass(frozen=True, slots=True)
class DetectionReport:
    """The measures for one detector (rules, model or combined) on one dataset."""

    detector: str
    transactions: int
    positives: int
    pr_auc: float | None
    recall_at_fpr_1pct: float | None
    recall_at_fpr_0_1pct: float | None
    alerts: int
    alert_precision: float | None
    alert_recall: float | None
    false_positive_rate: float | None
    per_typology: dict[str, dict[str, float | int]]
    median_time_to_first_alert_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "transactions": self.transactions,
            "positives": self.positives,
            "pr_auc": self.pr_auc,
            "recall_at_fpr_1pct": self.recall_at_fpr_1pct,
            "recall_at_fpr_0_1pct": self.recall_at_fpr_0_1pct,
            "alerts": self.alerts,
            "alert_precision": self.alert_precision,
            "alert_recall": self.alert_recall,
            "false_positive_rate": self.false_positive_rate,
            "per_typology": self.per_typology,
            "median_time_to_first_alert_s": self.median_time_to_first_alert_s,
        }


def recall_at_fpr(scores: np.ndarray, y: np.ndarray, fpr: float) -> float | None:
    """Recall when the threshold lets through at most ``fpr`` of the legitimate transactions."""
    negatives = np.sort(scores[~y])[::-1]
    positives = scores[y]
    if negatives.size == 0 or positives.size == 0:
        return None
    allowed = int(np.floor(fpr * negatives.size))
    threshold = negatives[allowed] if allowed < negatives.size else -np.inf
    return float(np.mean(positives > threshold))


def pr_auc(scores: np.ndarray, y: np.ndarray) -> float | None:
    if not y.any() or y.all():
        return None
    return float(average_precision_score(y, scores))


def pr_curve(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) points for a plot."""
    precision, recall, _ = precision_recall_curve(y, scores)
    return recall, precision


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 6)


def per_typology(
    alerted: np.ndarray, typology: Sequence[str], instance: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """Transaction- and instance-level recall per typology."""
    tx_total: dict[str, int] = defaultdict(int)
    tx_hit: dict[str, int] = defaultdict(int)
    instances: dict[str, set[str]] = defaultdict(set)
    found: dict[str, set[str]] = defaultdict(set)
    for i, typ in enumerate(typology):
        if not typ:
            continue
        tx_total[typ] += 1
        key = instance[i] or f"{typ}:{i}"
        instances[typ].add(key)
        if alerted[i]:
            tx_hit[typ] += 1
            found[typ].add(key)
    return {
        typ: {
            "transactions": tx_total[typ],
            "transaction_recall": _ratio(tx_hit[typ], tx_total[typ]) or 0.0,
            "instances": len(instances[typ]),
            "instances_detected": len(found[typ]),
            "instance_recall": _ratio(len(found[typ]), len(instances[typ])) or 0.0,
        }
        for typ in sorted(tx_total)
    }


def time_to_first_alert(
    alerted: np.ndarray, times_us: np.ndarray, instance: Sequence[str]
) -> float | None:
    """Median seconds from an instance's first transaction to its first alerted one."""
    first: dict[str, int] = {}
    first_alert: dict[str, int] = {}
    for i, key in enumerate(instance):
        if not key:
            continue
        t = int(times_us[i])
        if key not in first or t < first[key]:
            first[key] = t
        if alerted[i] and (key not in first_alert or t < first_alert[key]):
            first_alert[key] = t
    delays = [(first_alert[k] - first[k]) / 1e6 for k in first_alert]
    return round(float(np.median(delays)), 3) if delays else None


def detection_report(
    detector: str,
    scores: np.ndarray | None,
    alerted: np.ndarray,
    y: np.ndarray,
    typology: Sequence[str],
    instance: Sequence[str],
    times_us: np.ndarray,
) -> DetectionReport:
    """All measures for one detector; ``scores`` None when the detector has no score."""
    hits = int(alerted.sum())
    true_hits = int((alerted & y).sum())
    negatives = int((~y).sum())
    return DetectionReport(
        detector=detector,
        transactions=int(y.size),
        positives=int(y.sum()),
        pr_auc=None if scores is None else pr_auc(scores, y),
        recall_at_fpr_1pct=None if scores is None else recall_at_fpr(scores, y, 0.01),
        recall_at_fpr_0_1pct=None if scores is None else recall_at_fpr(scores, y, 0.001),
        alerts=hits,
        alert_precision=_ratio(true_hits, hits),
        alert_recall=_ratio(true_hits, int(y.sum())),
        false_positive_rate=_ratio(hits - true_hits, negatives),
        per_typology=per_typology(alerted, typology, instance),
        median_time_to_first_alert_s=time_to_first_alert(alerted, times_us, instance),
    )


__all__ = [
    "DetectionReport",
    "detection_report",
    "per_typology",
    "pr_auc",
    "pr_curve",
    "recall_at_fpr",
    "time_to_first_alert",
]
