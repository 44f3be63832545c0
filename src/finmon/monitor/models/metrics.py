"""Ranking metrics on the test slice, stated the way a fraud team reads them.

PR-AUC (average precision) because fraud is rare and ROC-AUC flatters a model
on imbalanced data; recall at a fixed false-positive rate because that is what
a review queue of a fixed size buys. A slice with one class only has no AUC:
the value is ``None``, never a made-up 0.5.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

MetricValue = float | int | None


def recall_at_fpr(y: npt.NDArray[np.bool_], score: npt.NDArray[np.floating], fpr: float) -> float:
    """The highest recall reachable with a false-positive rate at most ``fpr``."""
    fprs, tprs, _ = roc_curve(y, score)
    ok = fprs <= fpr
    return float(tprs[ok].max()) if ok.any() else 0.0


def ranking_metrics(
    y: npt.NDArray[np.bool_],
    score: npt.NDArray[np.floating],
    probability: npt.NDArray[np.floating] | None = None,
) -> dict[str, MetricValue]:
    """PR-AUC, ROC-AUC, recall at 1 % and 0.1 % FPR and counts for one slice.

    ``score`` only has to rank (a margin will do); the Brier score (mean squared
    error of a probability) is computed from ``probability`` when given.
    """
    positives = int(y.sum())
    brier = None
    if probability is not None and len(y):
        brier = float(np.mean((probability - y) ** 2))
    out: dict[str, MetricValue] = {"rows": len(y), "positives": positives, "brier": brier}
    if 0 < positives < len(y):
        out["pr_auc"] = float(average_precision_score(y, score))
        out["roc_auc"] = float(roc_auc_score(y, score))
        out["recall_at_1pct_fpr"] = recall_at_fpr(y, score, 0.01)
        out["recall_at_0_1pct_fpr"] = recall_at_fpr(y, score, 0.001)
    else:
        out.update(pr_auc=None, roc_auc=None, recall_at_1pct_fpr=None, recall_at_0_1pct_fpr=None)
    return out
