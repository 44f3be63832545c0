"""finmon.monitor.models: the learnt detectors and how they are kept honest.

* :mod:`.gbm`: gradient-boosted trees (xgboost) trained on a time split, with
  calibrated probabilities and exact per-feature SHAP reasons.
* :mod:`.anomaly`: Isolation Forest (batch) and Half-Space Trees (streaming)
  for what no label describes yet.
* :mod:`.registry`: versions on disk, hash-verified on load, champion /
  challenger / rollback with a who-when-what history.
* :mod:`.drift`: PSI of live traffic against the training sample, as
  Prometheus gauges and operational alerts.

Inputs are plain arrays (a float matrix, its feature names, the feature-set
version); :mod:`finmon.monitor.features` produces them.
"""

from finmon.monitor.models.anomaly import (
    IsolationForestModel,
    StreamingAnomaly,
    train_isolation_forest,
)
from finmon.monitor.models.calibration import Calibration, fit_calibration
from finmon.monitor.models.drift import (
    DriftAlert,
    DriftMonitor,
    DriftReport,
    psi,
)
from finmon.monitor.models.gbm import DEFAULT_PARAMS, TrainedModel, top_reasons, train_gbm
from finmon.monitor.models.metrics import ranking_metrics, recall_at_fpr
from finmon.monitor.models.registry import ModelRegistry, ModelVersion
from finmon.monitor.models.split import TimeSplit, time_split
from finmon.monitor.models.synthetic import SyntheticData, make_synthetic

__all__ = [
    "DEFAULT_PARAMS",
    "Calibration",
    "DriftAlert",
    "DriftMonitor",
    "DriftReport",
    "IsolationForestModel",
    "ModelRegistry",
    "ModelVersion",
    "StreamingAnomaly",
    "SyntheticData",
    "TimeSplit",
    "TrainedModel",
    "fit_calibration",
    "psi",
    "make_synthetic",
    "ranking_metrics",
    "recall_at_fpr",
    "time_split",
    "top_reasons",
    "train_gbm",
    "train_isolation_forest",
]
