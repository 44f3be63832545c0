"""Isolation Forest and streaming Half-Space Trees find planted outliers; bad inputs fail."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from finmon.core.errors import ValidationError
from finmon.monitor.models import StreamingAnomaly, train_isolation_forest

NAMES = ("a", "b", "c", "d")


def _normal_and_outliers(seed: int = 0) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    normal = rng.normal(size=(2000, len(NAMES)))
    outliers = rng.normal(size=(10, len(NAMES))) + 7.0
    return normal, outliers


def test_isolation_forest_flags_planted_outliers_with_scores_in_unit_interval() -> None:
    normal, outliers = _normal_and_outliers()
    forest = train_isolation_forest(normal, NAMES, n_estimators=50, seed=1)
    normal_scores = forest.score(normal)
    outlier_scores = forest.score(outliers)
    assert 0 < normal_scores.min()
    assert outlier_scores.max() <= 1
    assert outlier_scores.min() > np.quantile(normal_scores, 0.999)
    assert forest.is_outlier(outliers).all()
    assert forest.is_outlier(normal).mean() < 0.02
    assert forest.feature_names == NAMES


def test_isolation_forest_is_seeded() -> None:
    normal, outliers = _normal_and_outliers()
    one = train_isolation_forest(normal, NAMES, n_estimators=20, seed=5)
    two = train_isolation_forest(normal, NAMES, n_estimators=20, seed=5)
    np.testing.assert_array_equal(one.score(outliers), two.score(outliers))


def test_isolation_forest_refuses_bad_inputs() -> None:
    normal, _ = _normal_and_outliers()
    with pytest.raises(ValidationError) as err:
        train_isolation_forest(normal[:1], NAMES)
    assert err.value.code == "too_few_rows"
    with pytest.raises(ValidationError) as err:
        train_isolation_forest(normal, NAMES, outlier_quantile=1.0)
    assert err.value.field == "outlier_quantile"
    with pytest.raises(ValidationError) as err:
        train_isolation_forest(normal, NAMES[:3])
    assert err.value.field == "feature_names"
    forest = train_isolation_forest(normal, NAMES, n_estimators=5)
    with pytest.raises(ValidationError) as err:
        forest.score(normal[:, :3])
    assert err.value.code == "feature_mismatch"
    assert forest.score(np.zeros((0, 4))).shape == (0,)


def test_half_space_trees_score_planted_outliers_above_normal_after_learning() -> None:
    normal, outliers = _normal_and_outliers()
    detector = StreamingAnomaly(NAMES, n_trees=25, height=8, window_size=250, seed=3)
    assert detector.score_one(dict(zip(NAMES, outliers[0], strict=True))) == 0.0  # not warm
    detector.learn_many(normal[:1500])
    assert detector.learnt == 1500
    normal_scores = detector.score_many(normal[1500:])
    outlier_scores = detector.score_many(outliers)
    assert outlier_scores.min() > normal_scores.mean()
    assert outlier_scores.mean() > np.quantile(normal_scores, 0.95)
    assert ((normal_scores >= 0) & (normal_scores <= 1)).all()


def test_half_space_trees_with_fixed_limits_and_learn_while_scoring() -> None:
    normal, outliers = _normal_and_outliers()
    detector = StreamingAnomaly(NAMES, limits=dict.fromkeys(NAMES, (-5.0, 5.0)), seed=3)
    scores = detector.score_many(normal[:1500], learn=True)
    assert detector.learnt == 1500
    assert scores[:250].max() == 0.0  # the first window only learns
    assert detector.score_many(outliers).min() > detector.score_many(normal[1500:]).mean()


def test_half_space_trees_are_seeded() -> None:
    normal, outliers = _normal_and_outliers()
    results = []
    for _ in range(2):
        detector = StreamingAnomaly(NAMES, seed=11)
        detector.learn_many(normal[:600])
        results.append(detector.score_many(np.vstack([normal[600:700], outliers])))
    np.testing.assert_array_equal(results[0], results[1])


def test_half_space_trees_refuse_bad_configuration_and_rows() -> None:
    with pytest.raises(ValidationError) as err:
        StreamingAnomaly(NAMES, n_trees=0)
    assert err.value.field == "n_trees"
    with pytest.raises(ValidationError) as err:
        StreamingAnomaly(NAMES, limits={"a": (1.0, 1.0)})
    assert err.value.field == "limits"
    with pytest.raises(ValidationError) as err:
        StreamingAnomaly(NAMES, limits={"zzz": (0.0, 1.0)})
    assert err.value.field == "limits"
    with pytest.raises(ValidationError) as err:
        StreamingAnomaly(("a", "a"))
    assert err.value.field == "feature_names"
    detector = StreamingAnomaly(NAMES)
    with pytest.raises(ValidationError) as err:
        detector.score_one({"a": 1.0})
    assert err.value.code == "feature_mismatch"
    with pytest.raises(ValidationError):
        detector.learn_one({"a": 1.0})
    assert detector.learnt == 0
    with pytest.raises(ValidationError):
        detector.score_many(np.zeros((2, 3)))
