"""Calibration of the booster's margin into a probability an analyst can read as one.

``scale_pos_weight`` makes the trees see fraud as common, so the raw sigmoid
of the margin overstates every risk. A monotone map fitted on a later time
slice than training brings it back to observed frequencies without changing
the ranking. Isotonic regression when the slice has enough positives to shape
a step function; Platt scaling (a two-parameter logistic) when it has few;
the plain sigmoid only when it has none, recorded as ``"none"``.

The fitted map is kept as plain arrays (thresholds for isotonic, two numbers
for Platt), so scoring is numpy only and the registry stores it as JSON,
never as a pickled estimator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from finmon.core.errors import IntegrityError

Method = Literal["isotonic", "platt", "none"]
Floats = npt.NDArray[np.float64]

#: Fewer positives than this on the calibration slice -> Platt, not isotonic. Isotonic
#: regression with few positives overfits its top step to 1.0 (a handful of frauds
#: in the highest block makes every future row there "certain"); on the 43k-row demo
#: set (72 calibration positives) it did exactly that, so the bar is set high.
MIN_ISOTONIC_POSITIVES = 100


def sigmoid(margin: npt.NDArray[np.floating]) -> Floats:
    out: Floats = 1.0 / (1.0 + np.exp(-np.clip(margin.astype(np.float64), -700, 700)))
    return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone non-decreasing map from margin (log-odds) to probability in [0, 1]."""

    method: Method
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, margin: npt.NDArray[np.floating]) -> Floats:
        """Probabilities for margins; isotonic clips outside the fitted range."""
        if self.method == "isotonic":
            out: Floats = np.interp(margin.astype(np.float64), self.x, self.y)
            return out
        return sigmoid(self.a * margin.astype(np.float64) + self.b)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "x": list(self.x),
            "y": list(self.y),
            "a": self.a,
            "b": self.b,
        }

    @classmethod
    def from_dict(cls, data: object) -> Calibration:
        """Rebuild from stored JSON; refuse anything that is not a monotone map into [0, 1]."""
        if not isinstance(data, dict) or data.get("method") not in ("isotonic", "platt", "none"):
            raise IntegrityError("calibration: unknown or missing method", field="calibration")
        try:
            x = tuple(float(v) for v in data.get("x", []))
            y = tuple(float(v) for v in data.get("y", []))
            a, b = float(data.get("a", 1.0)), float(data.get("b", 0.0))
        except (TypeError, ValueError) as exc:
            raise IntegrityError(f"calibration: bad number ({exc})", field="calibration") from exc
        if not np.isfinite([*x, *y, a, b]).all():
            raise IntegrityError("calibration: non-finite value", field="calibration")
        if data["method"] == "isotonic":
            xs, ys = np.asarray(x), np.asarray(y)
            if (
                len(x) == 0
                or len(x) != len(y)
                or np.any(np.diff(xs) < 0)
                or np.any(np.diff(ys) < 0)
                or ys.min() < 0
                or ys.max() > 1
            ):
                raise IntegrityError(
                    "calibration: isotonic map is not monotone into [0, 1]", field="calibration"
                )
        elif a < 0:
            raise IntegrityError(
                "calibration: a negative slope would invert the ranking", field="calibration"
            )
        return cls(data["method"], x, y, a, b)


def fit_calibration(
    margin: npt.NDArray[np.floating],
    y: npt.NDArray[np.bool_],
    min_isotonic_positives: int = MIN_ISOTONIC_POSITIVES,
) -> Calibration:
    """Fit the map on a calibration slice (margins and the true labels)."""
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        return Calibration("none")
    m = margin.astype(np.float64)
    if positives < min_isotonic_positives:
        lr = LogisticRegression(C=1e6)
        lr.fit(m.reshape(-1, 1), y)
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if a <= 0:  # the slice contradicts the ranking; keep the order, do not invert it
            return Calibration("none")
        return Calibration("platt", a=a, b=b)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(m, y.astype(np.float64))
    levels = _shrunk_levels(iso.predict(m), y, np.asarray(iso.y_thresholds_, dtype=np.float64))
    return Calibration(
        "isotonic",
        x=tuple(float(v) for v in iso.X_thresholds_),
        y=tuple(float(v) for v in levels),
    )


def _shrunk_levels(
    fitted: Floats, y: npt.NDArray[np.bool_], thresholds_y: Floats, prior_weight: float = 2.0
) -> Floats:
    """Isotonic block rates shrunk toward the base rate, still non-decreasing.

    A block of 15 rows that were all fraud gets 15/15 = 1.0 from plain isotonic
    regression, and every future row in it would be "certain fraud" (score 100,
    block). Each block's rate becomes ``(k + w * r) / (n + w)`` (``k`` frauds of
    ``n`` rows, base rate ``r``, ``w`` pseudo-rows), so small blocks lean to the
    base rate and large ones keep their rate; a running maximum restores the
    order that shrinking unequal blocks could break.
    """
    base = float(y.mean())
    values, inverse = np.unique(fitted, return_inverse=True)
    n = np.bincount(inverse, minlength=len(values)).astype(np.float64)
    k = np.bincount(inverse, weights=y.astype(np.float64), minlength=len(values))
    shrunk = np.maximum.accumulate((k + prior_weight * base) / (n + prior_weight))
    index = np.clip(np.searchsorted(values, thresholds_y), 0, len(values) - 1)
    # thresholds_y holds exactly the fitted block values; map each to its shrunk rate
    out: Floats = np.clip(shrunk[index], 0.0, 1.0)
    return out
