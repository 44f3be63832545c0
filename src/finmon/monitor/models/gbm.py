"""The supervised model: gradient-boosted trees with calibrated probabilities and exact SHAP.

Training cuts the rows by event time (:mod:`.split`): trees learn from the
oldest 70 %, early stopping and calibration use the next 15 %, and the
metrics come from the latest 15 %, which neither saw. ``scale_pos_weight``
compensates the rarity of fraud; the calibration then undoes its inflation of
the probabilities.

Scoring uses the booster's in-place prediction (no DMatrix built per call).
Explanations are the booster's own exact TreeSHAP values
(``pred_contribs=True``): per row they add up, bias included, to the margin
the probability was computed from, so the reasons an analyst reads are the
score, not an approximation of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from finmon.core.errors import ValidationError
from finmon.monitor.models import _inputs
from finmon.monitor.models.calibration import Calibration, fit_calibration
from finmon.monitor.models.metrics import MetricValue, ranking_metrics
from finmon.monitor.models.split import time_split

KIND = "xgboost"
UNREGISTERED = "unregistered"
"""``TrainedModel.version`` until :meth:`ModelRegistry.register` names it."""
Floats = npt.NDArray[np.float64]

#: Defaults; ``params`` overrides any of them. ``num_boost_round`` and
#: ``early_stopping_rounds`` are training controls, the rest booster parameters.
DEFAULT_PARAMS: Mapping[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "aucpr",
    "tree_method": "hist",
    "max_depth": 6,
    "eta": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 1.0,
    "nthread": 2,
    "num_boost_round": 200,
    "early_stopping_rounds": 30,
}
_CONTROLS = ("num_boost_round", "early_stopping_rounds")


@dataclass(slots=True)
class TrainedModel:
    """A booster, its calibration and everything needed to trust and explain it.

    Attributes:
        window_start_us / window_end_us: earliest and latest event time of the
            rows the model was built from (all three slices).
        split: per slice (train, calibration, test): rows, positives, first and
            last event time, so a reviewer sees the split was by time.
        metrics: test-slice metrics (see
            :func:`~finmon.monitor.models.metrics.ranking_metrics`): the ranking
            ones on the margin, the Brier score on the calibrated probability.
            Isotonic steps tie many rows at one probability; a ranking metric on
            the probability would measure those ties, not the model (sort by the
            margin to break them).
        version: the registry's version id (set by ``register`` and ``load``),
            which decisions quote as ``model_version``.
    """

    booster: xgb.Booster
    calibration: Calibration
    feature_names: tuple[str, ...]
    feature_set_version: str
    params: dict[str, Any]
    metrics: dict[str, MetricValue]
    rows: int
    positives: int
    window_start_us: int
    window_end_us: int
    split: dict[str, dict[str, int]] = field(default_factory=dict)
    kind: str = KIND
    version: str = UNREGISTERED
    reference: npt.NDArray[np.float64] | None = None
    """A sample of training rows (model columns): the baseline for drift monitoring."""

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def predict_margin(self, X: npt.NDArray[np.floating]) -> Floats:
        """Raw log-odds per row (before calibration), by in-place prediction."""
        checked = _inputs.matrix(X, self.n_features)
        if checked.shape[0] == 0:
            return np.zeros(0)
        out = self.booster.inplace_predict(checked, predict_type="margin")
        return np.asarray(out, dtype=np.float64).reshape(-1)

    def predict_proba(self, X: npt.NDArray[np.floating]) -> Floats:
        """Calibrated probability of fraud per row, in [0, 1]."""
        return self.calibration.apply(self.predict_margin(X))

    def contributions(self, X: npt.NDArray[np.floating]) -> Floats:
        """Exact SHAP values, shape (rows, features + 1); the last column is the bias.

        Each row sums to :meth:`predict_margin` of that row.
        """
        checked = _inputs.matrix(X, self.n_features)
        if checked.shape[0] == 0:
            return np.zeros((0, self.n_features + 1))
        nthread = int(self.params.get("nthread", 2))
        matrix = xgb.DMatrix(checked, nthread=nthread)
        out = self.booster.predict(matrix, pred_contribs=True)
        return np.asarray(out, dtype=np.float64).reshape(checked.shape[0], self.n_features + 1)

    def top_reasons(
        self, row_contribs: npt.NDArray[np.floating], k: int = 5
    ) -> list[tuple[str, float]]:
        """The ``k`` features that moved this row's score most, largest |contribution| first."""
        return top_reasons(row_contribs, self.feature_names, k)


def top_reasons(
    row_contribs: npt.NDArray[np.floating], feature_names: Sequence[str], k: int = 5
) -> list[tuple[str, float]]:
    """``(feature, contribution)`` pairs sorted by |contribution|, zeros and bias left out.

    ``row_contribs`` is one row of :meth:`TrainedModel.contributions`, with or
    without its bias column. Ties keep the feature order, so output is stable.
    """
    values = np.asarray(row_contribs, dtype=np.float64).reshape(-1)
    n = len(feature_names)
    if len(values) not in (n, n + 1):
        raise ValidationError(
            f"{len(values)} contributions for {n} features",
            field="row_contribs",
            code="feature_mismatch",
        )
    if k < 0:
        raise ValidationError("k must be >= 0", field="k", code="invalid")
    values = values[:n]
    order = np.argsort(-np.abs(values), kind="stable")[:k]
    return [(feature_names[i], float(values[i])) for i in order if values[i] != 0.0]


def train_gbm(
    X: npt.NDArray[np.floating],
    y: npt.NDArray[np.bool_],
    times_us: npt.NDArray[np.int64],
    feature_names: Sequence[str],
    feature_set_version: str,
    *,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> TrainedModel:
    """Train, calibrate and evaluate a booster on a time-ordered labelled matrix.

    Raises:
        ValidationError: malformed inputs, too few rows for three time slices,
            or a training slice without both classes.
    """
    x = _inputs.matrix(X)
    names = _inputs.names(feature_names, x.shape[1])
    labels = _inputs.labels(y, x.shape[0])
    times = _inputs.event_times(times_us, x.shape[0])
    _inputs.version_text(feature_set_version, "feature_set_version")
    split = time_split(times)
    y_train = labels[split.train]
    pos = int(y_train.sum())
    if pos == 0 or pos == len(y_train):
        raise ValidationError(
            "the training slice (earliest 70 % by time) needs both fraud and non-fraud rows",
            field="y",
            code="one_class",
        )
    settings = {**DEFAULT_PARAMS, "scale_pos_weight": (len(y_train) - pos) / pos, "seed": seed}
    settings.update(params or {})
    booster = _fit(x, labels, split.train, split.calibration, settings)
    model = TrainedModel(
        booster=booster,
        calibration=Calibration("none"),
        feature_names=names,
        feature_set_version=feature_set_version,
        params=_jsonable(settings),
        metrics={},
        rows=x.shape[0],
        positives=int(labels.sum()),
        window_start_us=int(times.min()),
        window_end_us=int(times.max()),
    )
    model.calibration = fit_calibration(
        model.predict_margin(x[split.calibration]), labels[split.calibration]
    )
    test_margin = model.predict_margin(x[split.test])
    model.metrics = {
        **ranking_metrics(labels[split.test], test_margin, model.calibration.apply(test_margin)),
        "trees": _trees(booster),
    }
    model.split = {
        name: {
            "rows": len(idx),
            "positives": int(labels[idx].sum()),
            "start_us": int(times[idx].min()),
            "end_us": int(times[idx].max()),
        }
        for name, idx in (
            ("train", split.train),
            ("calibration", split.calibration),
            ("test", split.test),
        )
    }
    return model


def _fit(
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.bool_],
    train: npt.NDArray[np.intp],
    calibration: npt.NDArray[np.intp],
    settings: Mapping[str, Any],
) -> xgb.Booster:
    """The booster, early-stopped on the calibration slice when it holds both classes."""
    booster_params = {k: v for k, v in settings.items() if k not in _CONTROLS}
    nthread = int(settings.get("nthread", 2))
    dtrain = xgb.DMatrix(x[train], label=y[train], nthread=nthread)
    y_cal = y[calibration]
    stop = int(settings.get("early_stopping_rounds") or 0)
    if stop > 0 and 0 < int(y_cal.sum()) < len(y_cal):
        dcal = xgb.DMatrix(x[calibration], label=y_cal, nthread=nthread)
        booster = xgb.train(
            booster_params,
            dtrain,
            num_boost_round=int(settings["num_boost_round"]),
            evals=[(dcal, "calibration")],
            early_stopping_rounds=stop,
            verbose_eval=False,
        )
        return booster[: booster.best_iteration + 1]
    return xgb.train(
        booster_params, dtrain, num_boost_round=int(settings["num_boost_round"]), verbose_eval=False
    )


def _trees(booster: xgb.Booster) -> int:
    return int(booster.num_boosted_rounds())


def _jsonable(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON scalars (numpy numbers become Python ones)."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        out[str(key)] = value.item() if isinstance(value, np.generic) else value
    return out
