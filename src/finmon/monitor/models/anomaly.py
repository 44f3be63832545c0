"""Unsupervised detectors: what labels cannot teach, because nobody has labelled it yet.

Two of them, for two jobs:

* :class:`IsolationForestModel` (scikit-learn, batch): trained on a window of
  recent traffic, it scores how easily a row is isolated by random splits. The
  score is the paper's ``s(x) = 2^(-E[h(x)] / c(n))`` in (0, 1]: about 0.5 and
  below is ordinary, near 1 is a clear outlier.
* :class:`StreamingAnomaly` (River's Half-Space Trees, online): learns every
  transaction as it passes and adapts to the day's shape without a retrain.
  HST needs features in [0, 1]; a running min-max scaler (River's
  ``MinMaxScaler``) or fixed ``limits`` put them there.

Neither is persisted by the registry: both would need pickle, and loading a
pickle runs whatever code it holds. The Isolation Forest is retrained from
the training window at start-up (seconds for 100k rows), and the streaming
detector starts empty and warms up on live traffic (it scores 0 until it has
learnt one window, ``window_size`` rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from river import anomaly, preprocessing
from sklearn.ensemble import IsolationForest

from finmon.core.errors import ValidationError
from finmon.monitor.models import _inputs

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class IsolationForestModel:
    """A fitted Isolation Forest and the column order it was fitted on."""

    forest: IsolationForest
    feature_names: tuple[str, ...]
    threshold: float

    def score(self, X: npt.NDArray[np.floating]) -> Floats:
        """Anomaly score per row in (0, 1]; higher is stranger."""
        checked = _inputs.matrix(X, len(self.feature_names))
        if checked.shape[0] == 0:
            return np.zeros(0)
        out: Floats = -np.asarray(self.forest.score_samples(checked), dtype=np.float64)
        return out

    def is_outlier(self, X: npt.NDArray[np.floating]) -> npt.NDArray[np.bool_]:
        """Rows scoring above :attr:`threshold` (the training-score quantile chosen)."""
        flags: npt.NDArray[np.bool_] = self.score(X) > self.threshold
        return flags


def train_isolation_forest(
    X: npt.NDArray[np.floating],
    feature_names: Sequence[str],
    *,
    n_estimators: int = 100,
    max_samples: int = 256,
    outlier_quantile: float = 0.995,
    seed: int = 0,
    n_jobs: int = 1,
) -> IsolationForestModel:
    """Fit on (mostly normal) traffic; the threshold flags the top ``1 - outlier_quantile``.

    Raises:
        ValidationError: malformed matrix or names, no rows, or a quantile
            outside (0, 1).
    """
    checked = _inputs.matrix(X)
    names = _inputs.names(feature_names, checked.shape[1])
    if checked.shape[0] < 2:
        raise ValidationError("need at least 2 rows", field="X", code="too_few_rows")
    if not 0 < outlier_quantile < 1:
        raise ValidationError(
            "outlier_quantile must be in (0, 1)", field="outlier_quantile", code="invalid"
        )
    forest = IsolationForest(
        n_estimators=n_estimators,
        max_samples=min(max_samples, checked.shape[0]),
        random_state=seed,
        n_jobs=n_jobs,
    )
    forest.fit(checked)
    scores = -np.asarray(forest.score_samples(checked), dtype=np.float64)
    return IsolationForestModel(forest, names, float(np.quantile(scores, outlier_quantile)))


class StreamingAnomaly:
    """Half-Space Trees over scaled features, learning one transaction at a time.

    Score before learn: :meth:`score_one` then :meth:`learn_one` for each
    transaction, so a row is never judged against a model that already saw it.
    """

    def __init__(
        self,
        feature_names: Sequence[str],
        *,
        n_trees: int = 25,
        height: int = 8,
        window_size: int = 250,
        limits: Mapping[str, tuple[float, float]] | None = None,
        seed: int = 0,
    ) -> None:
        self.feature_names = _inputs.names(feature_names, len(tuple(feature_names)))
        if n_trees < 1 or height < 1 or window_size < 1:
            raise ValidationError(
                "n_trees, height and window_size must be >= 1", field="n_trees", code="invalid"
            )
        self._limits = dict(limits) if limits is not None else None
        if self._limits is not None:
            bad = [n for n, (lo, hi) in self._limits.items() if not hi > lo]
            unknown = set(self._limits) - set(self.feature_names)
            if bad or unknown:
                raise ValidationError(
                    f"limits must be (low, high) with high > low for known features: "
                    f"{sorted(bad) + sorted(unknown)}",
                    field="limits",
                    code="invalid",
                )
        # River's methods are untyped; hold them as Any rather than silence each call.
        self._scaler: Any = preprocessing.MinMaxScaler()
        hst_class: Any = anomaly.HalfSpaceTrees
        self._hst: Any = hst_class(
            n_trees=n_trees,
            height=height,
            window_size=window_size,
            limits=self._limits,
            seed=seed,
        )
        self.learnt = 0

    def _row(self, x: Mapping[str, float]) -> dict[str, float]:
        """The row's features, in order, as floats; refuse a row that lacks one."""
        missing = [n for n in self.feature_names if n not in x]
        if missing:
            raise ValidationError(
                f"missing features: {missing[:5]}", field="x", code="feature_mismatch"
            )
        return {n: float(x[n]) for n in self.feature_names}

    def _scale(self, row: dict[str, float]) -> dict[str, float]:
        """The row on [0, 1]: fixed limits when given (HST maps them), else the running min-max."""
        if self._limits is not None:
            return row
        scaled = self._scaler.transform_one(row)
        return {k: min(1.0, max(0.0, float(v))) for k, v in scaled.items()}

    def score_one(self, x: Mapping[str, float]) -> float:
        """Anomaly score in [0, 1] (higher is stranger); 0 during the first window."""
        return float(self._hst.score_one(self._scale(self._row(x))))

    def learn_one(self, x: Mapping[str, float]) -> None:
        """Update the scaler, then the trees, with one row."""
        row = self._row(x)
        if self._limits is None:
            self._scaler.learn_one(row)
        self._hst.learn_one(self._scale(row))
        self.learnt += 1

    def score_many(self, X: npt.NDArray[np.floating], *, learn: bool = False) -> Floats:
        """Score each row of a matrix in order (and learn it after scoring when ``learn``)."""
        checked = _inputs.matrix(X, len(self.feature_names))
        out = np.zeros(checked.shape[0])
        names = self.feature_names
        for i, values in enumerate(checked.tolist()):
            row = dict(zip(names, values, strict=True))
            out[i] = self.score_one(row)
            if learn:
                self.learn_one(row)
        return out

    def learn_many(self, X: npt.NDArray[np.floating]) -> None:
        """Learn each row of a matrix in order (warm-up from recent traffic)."""
        checked = _inputs.matrix(X, len(self.feature_names))
        names = self.feature_names
        for values in checked.tolist():
            self.learn_one(dict(zip(names, values, strict=True)))
