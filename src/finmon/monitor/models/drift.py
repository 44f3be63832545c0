"""Drift: is live traffic still the traffic the model was trained on?

The population stability index compares two samples of one variable over
bins cut at the *expected* (training) sample's quantiles:
``PSI = sum((a - e) * ln(a / e))`` over the bins' shares. Industry thresholds:
below 0.1 stable, 0.1-0.25 watch, above 0.25 act (retrain, check the feed).
A drifting input is often a broken upstream field before it is a new fraud
pattern, so every feature is watched, and the score too.

:class:`DriftMonitor` keeps a bounded, seeded reservoir sample of live rows
(memory does not grow with traffic, and every live row has the same chance
of being in it), reports PSI per feature and on the score, exports a Prometheus
gauge ``finmon_model_psi{feature=...}`` and turns breaches into alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from prometheus_client import CollectorRegistry, Gauge

from finmon.core.errors import ValidationError
from finmon.monitor.models import _inputs

Severity = Literal["ok", "watch", "alert"]
SCORE = "score"
"""The label under which the model score's PSI is reported and exported."""

WATCH = 0.1
ALERT = 0.25
EPSILON = 1e-4


def psi(
    expected: npt.ArrayLike, actual: npt.ArrayLike, bins: int = 10, epsilon: float = EPSILON
) -> float:
    """Population stability index of ``actual`` against ``expected`` (>= 0; 0 when alike).

    Bins are cut at the expected sample's quantiles (duplicate cut points
    merged, so a feature with few distinct values gets fewer bins); empty
    bins count as ``epsilon`` so the logarithm stays finite.

    Raises:
        ValidationError: an empty or non-finite sample, or ``bins < 2``.
    """
    e = _sample(expected, "expected")
    a = _sample(actual, "actual")
    if bins < 2:
        raise ValidationError("bins must be >= 2", field="bins", code="invalid")
    cuts = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    n_bins = len(cuts) + 1
    e_share = np.bincount(np.searchsorted(cuts, e, side="right"), minlength=n_bins) / len(e)
    a_share = np.bincount(np.searchsorted(cuts, a, side="right"), minlength=n_bins) / len(a)
    e_share = np.maximum(e_share, epsilon)
    a_share = np.maximum(a_share, epsilon)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def _sample(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise ValidationError(f"{name} sample is empty", field=name, code="empty")
    if not np.isfinite(arr).all():
        raise ValidationError(f"{name} sample holds NaN or inf", field=name, code="not_finite")
    return arr


def severity(value: float, watch: float = WATCH, alert: float = ALERT) -> Severity:
    if value >= alert:
        return "alert"
    return "watch" if value >= watch else "ok"


@dataclass(frozen=True, slots=True)
class DriftAlert:
    """An operational alert: one feature (or the score) drifted past the alert threshold."""

    feature: str
    psi: float
    severity: Severity
    text: str


@dataclass(frozen=True, slots=True)
class DriftReport:
    """PSI per feature and on the score over the live sample collected so far.

    ``sufficient`` is false while the live sample is smaller than the monitor's
    ``min_samples``: the numbers are shown but raise no alert.
    """

    psi: dict[str, float]
    score_psi: float | None
    samples: int
    sufficient: bool
    watch: float = WATCH
    alert: float = ALERT
    severities: dict[str, Severity] = field(default_factory=dict)

    def worst(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` most drifted features, largest PSI first."""
        return sorted(self.psi.items(), key=lambda kv: -kv[1])[:n]


class DriftMonitor:
    """Live-vs-training drift per feature and on the score, from a bounded reservoir."""

    def __init__(
        self,
        reference: npt.NDArray[np.floating],
        feature_names: Sequence[str],
        *,
        reference_scores: npt.NDArray[np.floating] | None = None,
        capacity: int = 10_000,
        min_samples: int = 500,
        bins: int = 10,
        watch: float = WATCH,
        alert: float = ALERT,
        seed: int = 0,
    ) -> None:
        self.reference = _inputs.matrix(reference, field="reference")
        if self.reference.shape[0] == 0:
            raise ValidationError("reference sample is empty", field="reference", code="empty")
        self.feature_names = _inputs.names(feature_names, self.reference.shape[1])
        if capacity < 1 or min_samples < 1 or not 0 < watch < alert:
            raise ValidationError(
                "capacity and min_samples must be >= 1 and 0 < watch < alert",
                field="capacity",
                code="invalid",
            )
        self.reference_scores = (
            None if reference_scores is None else _sample(reference_scores, "reference_scores")
        )
        self.capacity, self.min_samples, self.bins = capacity, min_samples, bins
        self.watch, self.alert_at = watch, alert
        self._rng = np.random.default_rng(seed)
        self._rows = np.zeros((capacity, self.reference.shape[1]))
        self._scores = np.zeros(capacity)
        self._scored = reference_scores is not None
        self.seen = 0
        self._gauges: list[tuple[CollectorRegistry, Gauge]] = []

    def observe(
        self, X: npt.NDArray[np.floating], scores: npt.NDArray[np.floating] | None = None
    ) -> None:
        """Offer live rows (and their model scores) to the reservoir (Algorithm R)."""
        batch = _inputs.matrix(X, self.reference.shape[1])
        n = batch.shape[0]
        score_arr = np.zeros(n) if scores is None else _sample(scores, "scores")
        if len(score_arr) != n:
            raise ValidationError(f"{len(score_arr)} scores for {n} rows", field="scores")
        if self._scored and scores is None and n:
            raise ValidationError(
                "this monitor tracks the score; pass scores", field="scores", code="missing"
            )
        positions = self.seen + np.arange(n)
        fill = positions < self.capacity
        slots = np.where(fill, positions, 0)
        later = ~fill
        if later.any():
            draws = self._rng.integers(0, positions[later] + 1)
            slots[later] = draws
            fill[later] = draws < self.capacity
        self._rows[slots[fill]] = batch[fill]
        self._scores[slots[fill]] = score_arr[fill]
        self.seen += n

    @property
    def samples(self) -> int:
        return min(self.seen, self.capacity)

    def report(self) -> DriftReport:
        """PSI of the live sample against the reference, per feature and on the score."""
        k = self.samples
        if k == 0:
            return DriftReport({}, None, 0, False, self.watch, self.alert_at)
        live = self._rows[:k]
        values = {
            name: psi(self.reference[:, j], live[:, j], self.bins)
            for j, name in enumerate(self.feature_names)
        }
        score_psi = (
            psi(self.reference_scores, self._scores[:k], self.bins)
            if self.reference_scores is not None
            else None
        )
        sev = {n: severity(v, self.watch, self.alert_at) for n, v in values.items()}
        if score_psi is not None:
            sev[SCORE] = severity(score_psi, self.watch, self.alert_at)
        return DriftReport(
            values, score_psi, k, k >= self.min_samples, self.watch, self.alert_at, sev
        )

    def alerts(self, report: DriftReport | None = None) -> list[DriftAlert]:
        """Alerts for every feature (and the score) above the alert threshold, worst first."""
        rep = report or self.report()
        if not rep.sufficient:
            return []
        values = dict(rep.psi)
        if rep.score_psi is not None:
            values[SCORE] = rep.score_psi
        out = [
            DriftAlert(
                feature=name,
                psi=value,
                severity="alert",
                text=(
                    f"{'model score' if name == SCORE else 'feature ' + name} drifted: "
                    f"PSI {value:.3f} over {rep.samples} live rows exceeds {rep.alert:g}; "
                    "check the upstream feed, then consider retraining"
                ),
            )
            for name, value in values.items()
            if value >= rep.alert
        ]
        return sorted(out, key=lambda a: -a.psi)

    def export(self, registry: CollectorRegistry, report: DriftReport | None = None) -> DriftReport:
        """Set ``finmon_model_psi{feature=...}`` in ``registry`` (score as ``feature="score"``)."""
        rep = report or self.report()
        gauge = next((g for r, g in self._gauges if r is registry), None)
        if gauge is None:
            gauge = Gauge(
                "finmon_model_psi",
                "Population stability index of live traffic against the training sample",
                ["feature"],
                registry=registry,
            )
            self._gauges.append((registry, gauge))
        for name, value in rep.psi.items():
            gauge.labels(feature=name).set(value)
        if rep.score_psi is not None:
            gauge.labels(feature=SCORE).set(rep.score_psi)
        return rep
