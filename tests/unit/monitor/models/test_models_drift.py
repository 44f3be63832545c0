"""PSI, the drift monitor's reservoir, its alerts and its Prometheus gauge."""

from __future__ import annotations

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from finmon.core.errors import ValidationError
from finmon.monitor.models import DriftMonitor, psi
from finmon.monitor.models.drift import SCORE, severity

NAMES = ("amount", "count", "flag")


def _reference(n: int = 5000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [rng.lognormal(3, 1, n), rng.poisson(3, n).astype(float), rng.random(n) < 0.1]
    ).astype(np.float64)


def test_psi_is_zero_for_identical_samples() -> None:
    sample = np.random.default_rng(0).normal(size=3000)
    assert psi(sample, sample) == 0.0
    assert psi(sample, sample.copy(), bins=20) == 0.0


def test_psi_is_small_for_the_same_distribution_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(1)
    expected = rng.normal(size=5000)
    assert psi(expected, rng.normal(size=5000)) < 0.02
    assert 0.1 <= psi(expected, rng.normal(0.5, 1, size=5000)) < 0.5
    assert psi(expected, rng.normal(2.0, 1, size=5000)) > 1.0


def test_psi_handles_few_distinct_values_and_empty_bins() -> None:
    expected = np.array([0.0] * 900 + [1.0] * 100)
    assert psi(expected, expected[::-1]) == 0.0
    assert psi(expected, np.array([1.0] * 500 + [0.0] * 500)) > 0.25
    value = psi(np.zeros(100), np.full(100, -1.0))  # all live mass in a bin reference never used
    assert np.isfinite(value)
    assert value > 1


@pytest.mark.parametrize(
    ("expected", "actual", "bins", "field"),
    [
        ([], [1.0], 10, "expected"),
        ([1.0], [], 10, "actual"),
        ([1.0, np.nan], [1.0], 10, "expected"),
        ([1.0], [np.inf], 10, "actual"),
        ([1.0, 2.0], [1.0], 1, "bins"),
    ],
)
def test_psi_refuses_bad_samples(
    expected: list[float], actual: list[float], bins: int, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        psi(expected, actual, bins)
    assert err.value.field == field


def test_severity_thresholds() -> None:
    assert severity(0.05) == "ok"
    assert severity(0.1) == "watch"
    assert severity(0.25) == "alert"


def test_no_alert_when_live_traffic_looks_like_training() -> None:
    ref = _reference()
    monitor = DriftMonitor(ref, NAMES, capacity=2000, min_samples=500, seed=1)
    monitor.observe(_reference(3000, seed=2))
    report = monitor.report()
    assert report.sufficient
    assert report.samples == 2000
    assert max(report.psi.values()) < 0.1
    assert set(report.severities.values()) == {"ok"}
    assert monitor.alerts() == []


def test_a_shifted_feature_raises_an_alert_naming_it() -> None:
    ref = _reference()
    live = _reference(3000, seed=3)
    live[:, 0] *= 4.0  # amounts quadrupled
    monitor = DriftMonitor(ref, NAMES, capacity=1000, min_samples=500, seed=1)
    monitor.observe(live)
    alerts = monitor.alerts()
    assert [a.feature for a in alerts] == ["amount"]
    assert alerts[0].severity == "alert"
    assert alerts[0].psi > 0.25
    assert "amount" in alerts[0].text
    assert "PSI" in alerts[0].text
    assert monitor.report().worst(1)[0][0] == "amount"


def test_score_drift_is_reported_and_alerted() -> None:
    rng = np.random.default_rng(4)
    ref = _reference()
    monitor = DriftMonitor(ref, NAMES, reference_scores=rng.beta(1, 20, 5000), min_samples=100)
    monitor.observe(_reference(1000, seed=5), scores=rng.beta(5, 5, 1000))
    report = monitor.report()
    assert report.score_psi is not None
    assert report.score_psi > 0.25
    assert report.severities[SCORE] == "alert"
    assert any(a.feature == SCORE and "model score" in a.text for a in monitor.alerts())
    with pytest.raises(ValidationError) as err:
        monitor.observe(_reference(10))  # this monitor needs the scores too
    assert err.value.field == "scores"


def test_too_few_live_rows_show_numbers_but_raise_no_alert() -> None:
    ref = _reference()
    live = _reference(100, seed=3)
    live[:, 0] *= 10
    monitor = DriftMonitor(ref, NAMES, min_samples=500)
    assert monitor.report().samples == 0
    assert monitor.alerts() == []
    monitor.observe(live)
    assert not monitor.report().sufficient
    assert monitor.report().psi["amount"] > 0.25
    assert monitor.alerts() == []


def test_the_reservoir_is_bounded_uniform_and_seeded() -> None:
    ref = _reference(1000)
    stream = np.arange(20_000, dtype=np.float64)
    live = np.column_stack([stream, stream, stream])
    reports = []
    for _ in range(2):
        monitor = DriftMonitor(ref, NAMES, capacity=500, seed=9)
        for chunk in np.array_split(live, 37):
            monitor.observe(chunk)
        assert monitor.seen == 20_000
        assert monitor.samples == 500
        kept = monitor._rows[:, 0]
        assert len(np.unique(kept)) == 500  # each slot one distinct stream row
        assert 7_000 < kept.mean() < 13_000  # early and late rows alike, not just the last
        reports.append(monitor.report().psi)
    assert reports[0] == reports[1]


def test_export_sets_the_prometheus_gauge_per_feature_and_score() -> None:
    rng = np.random.default_rng(0)
    ref = _reference()
    monitor = DriftMonitor(ref, NAMES, reference_scores=rng.random(5000), min_samples=10)
    live = _reference(800, seed=6)
    live[:, 1] += 5
    monitor.observe(live, scores=rng.random(800))
    registry = CollectorRegistry()
    report = monitor.export(registry)
    for name in NAMES:
        value = registry.get_sample_value("finmon_model_psi", {"feature": name})
        assert value == pytest.approx(report.psi[name])
    assert registry.get_sample_value("finmon_model_psi", {"feature": "count"}) > 0.25  # type: ignore[operator]
    assert registry.get_sample_value("finmon_model_psi", {"feature": SCORE}) == pytest.approx(
        report.score_psi
    )
    monitor.observe(_reference(800, seed=7), scores=rng.random(800))
    monitor.export(registry)  # the same registry again: updates, no duplicate-metric error
    monitor.export(CollectorRegistry())  # and another registry gets its own gauge


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"watch": 0.3, "alert": 0.2}, "capacity"),
        ({"reference_scores": np.array([np.nan])}, "reference_scores"),
    ],
)
def test_the_monitor_refuses_bad_settings(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        DriftMonitor(_reference(100), NAMES, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_the_monitor_refuses_bad_reference_and_rows() -> None:
    with pytest.raises(ValidationError) as err:
        DriftMonitor(np.zeros((0, 3)), NAMES)
    assert err.value.field == "reference"
    with pytest.raises(ValidationError) as err:
        DriftMonitor(_reference(10), NAMES[:2])
    assert err.value.field == "feature_names"
    monitor = DriftMonitor(_reference(10), NAMES)
    with pytest.raises(ValidationError):
        monitor.observe(np.zeros((3, 2)))
    with pytest.raises(ValidationError) as err:
        monitor.observe(np.zeros((3, 3)), scores=np.zeros(2))
    assert err.value.field == "scores"
