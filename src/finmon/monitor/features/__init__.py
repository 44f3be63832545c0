"""Features: the catalogue (:mod:`.registry`), one transaction at a time (:mod:`.online`)
and a whole history column-wise (:mod:`.offline`), with the same values both ways.

The two computations share one set of definitions and one set of semantics
(event-time order, per-entity order keys, windows as key intervals; see
:mod:`.online`), and a parity test holds them to equal values, so a model
trained on backfilled features sees the same inputs in production.
"""

from finmon.monitor.features.offline import compute_offline
from finmon.monitor.features.online import DEFAULT_LATENESS_US, FeatureStats, OnlineFeatures
from finmon.monitor.features.registry import (
    FEATURE_INDEX,
    FEATURE_NAMES,
    FEATURE_SET_VERSION,
    FEATURES,
    FeatureDef,
    describe,
)

__all__ = [
    "DEFAULT_LATENESS_US",
    "FEATURES",
    "FEATURE_INDEX",
    "FEATURE_NAMES",
    "FEATURE_SET_VERSION",
    "FeatureDef",
    "FeatureStats",
    "OnlineFeatures",
    "compute_offline",
    "describe",
]
