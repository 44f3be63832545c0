"""The gradient-boosted model: time split, learning, calibration, exact SHAP reasons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from finmon.core.errors import IntegrityError, ValidationError
from finmon.monitor.models import (
    Calibration,
    TrainedModel,
    fit_calibration,
    ranking_metrics,
    time_split,
    top_reasons,
    train_gbm,
)
from finmon.monitor.models.synthetic import SyntheticData, make_synthetic

N_FEATURES = 6


def test_it_learns_the_planted_signal_well_above_chance(
    model: TrainedModel, small_params: dict[str, Any]
) -> None:
    m: dict[str, Any] = dict(model.metrics)
    base_rate = m["positives"] / m["rows"]
    assert m["positives"] > 20
    assert m["pr_auc"] > max(0.3, 4 * base_rate)
    assert m["roc_auc"] > 0.85
    assert m["recall_at_1pct_fpr"] > 0.1
    assert 0 <= m["recall_at_0_1pct_fpr"] <= 1
    assert 1 <= m["trees"] <= small_params["num_boost_round"]


def test_the_split_is_by_event_time_not_shuffled(model: TrainedModel, data: SyntheticData) -> None:
    s = model.split
    assert s["train"]["end_us"] < s["calibration"]["start_us"]
    assert s["calibration"]["end_us"] < s["test"]["start_us"]
    assert sum(v["rows"] for v in s.values()) == len(data.y) == model.rows
    assert abs(s["train"]["rows"] / model.rows - 0.70) < 0.01
    split = time_split(data.times_us)
    assert data.times_us[split.test].min() >= data.times_us[split.train].max()
    assert data.times_us[split.calibration].min() >= data.times_us[split.train].max()
    assert model.window_start_us == data.times_us.min()
    assert model.window_end_us == data.times_us.max()


def test_a_cut_never_separates_rows_with_the_same_timestamp() -> None:
    times = np.repeat(np.arange(10, dtype=np.int64), 10)  # ten ties per instant
    split = time_split(times)
    assert set(times[split.train]).isdisjoint(times[split.calibration])
    assert set(times[split.calibration]).isdisjoint(times[split.test])
    assert len(split.train) + len(split.calibration) + len(split.test) == 100


@pytest.mark.parametrize(("train", "calibration"), [(0.0, 0.1), (0.9, 0.1), (0.7, 1.2)])
def test_the_split_refuses_fractions_without_three_slices(train: float, calibration: float) -> None:
    with pytest.raises(ValidationError) as err:
        time_split(np.arange(100, dtype=np.int64), train, calibration)
    assert err.value.field == "split"


def test_the_split_refuses_too_few_timestamps() -> None:
    with pytest.raises(ValidationError) as err:
        time_split(np.zeros(50, dtype=np.int64))
    assert err.value.code == "too_few_rows"


def test_probabilities_are_calibrated_monotone_and_in_unit_interval(
    model: TrainedModel, data: SyntheticData
) -> None:
    assert model.calibration.method == "isotonic"
    grid = np.linspace(-20, 20, 2001)
    mapped = model.calibration.apply(grid)
    assert np.all(np.diff(mapped) >= 0)
    assert mapped.min() >= 0
    assert mapped.max() <= 1
    p = model.predict_proba(data.x)
    assert p.min() >= 0
    assert p.max() <= 1
    # calibrated back to the observed rate despite scale_pos_weight inflating the margin
    assert abs(p.mean() - data.y.mean()) < 0.02
    raw = 1 / (1 + np.exp(-model.predict_margin(data.x)))
    assert raw.mean() > 2 * p.mean()


def test_platt_when_few_positives_and_none_when_no_positives() -> None:
    rng = np.random.default_rng(0)
    margin = rng.normal(size=400)
    y = np.zeros(400, dtype=bool)
    y[np.argsort(margin)[-10:]] = True
    platt = fit_calibration(margin, y)
    assert platt.method == "platt"
    assert platt.a > 0
    assert np.all(np.diff(platt.apply(np.sort(margin))) >= 0)
    assert fit_calibration(margin, np.zeros(400, dtype=bool)).method == "none"
    iso = fit_calibration(margin, margin > 0.5)
    assert iso.method == "isotonic"
    assert Calibration.from_dict(iso.to_dict()) == iso
    assert Calibration.from_dict(platt.to_dict()) == platt


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {"method": "magic"},
        {"method": "isotonic", "x": [0.0, 1.0], "y": [0.9, 0.1]},  # decreasing: inverts ranking
        {"method": "isotonic", "x": [0.0, 1.0], "y": [0.1, 1.5]},  # not a probability
        {"method": "isotonic", "x": [], "y": []},
        {"method": "platt", "a": -1.0, "b": 0.0},
        {"method": "platt", "a": "NaN", "b": 0.0},
        {"method": "platt", "a": "one", "b": 0.0},
    ],
)
def test_a_stored_calibration_that_is_not_a_monotone_probability_map_is_refused(
    stored: object,
) -> None:
    with pytest.raises(IntegrityError) as err:
        Calibration.from_dict(stored)
    assert err.value.field == "calibration"


def test_contributions_add_up_to_the_margin_bias_included(
    model: TrainedModel, data: SyntheticData
) -> None:
    rows = data.x[:500]
    contribs = model.contributions(rows)
    assert contribs.shape == (500, N_FEATURES + 1)
    margin = model.predict_margin(rows)
    np.testing.assert_allclose(contribs.sum(axis=1), margin, atol=1e-4)
    assert np.ptp(contribs[:, -1]) == 0  # the bias is one constant


def test_the_top_reason_of_high_scores_is_the_informative_feature(
    model: TrainedModel, data: SyntheticData
) -> None:
    p = model.predict_proba(data.x)
    top = np.argsort(-p)[:20]
    contribs = model.contributions(data.x[top])
    firsts = [model.top_reasons(row, 3)[0][0] for row in contribs]
    assert firsts.count("signal") >= 18
    reasons = model.top_reasons(contribs[0], 3)
    assert len(reasons) == 3
    assert [abs(c) for _, c in reasons] == sorted((abs(c) for _, c in reasons), reverse=True)


def test_top_reasons_sorts_by_magnitude_and_skips_bias_and_zeros() -> None:
    names = ["a", "b", "c", "d"]
    row = np.array([0.1, -0.9, 0.0, 0.5, 7.0])  # last is the bias
    assert top_reasons(row, names, 10) == [("b", -0.9), ("d", 0.5), ("a", 0.1)]
    assert top_reasons(row[:4], names, 1) == [("b", -0.9)]
    assert top_reasons(row, names, 0) == []
    with pytest.raises(ValidationError) as err:
        top_reasons(row[:3], names, 2)
    assert err.value.field == "row_contribs"
    with pytest.raises(ValidationError):
        top_reasons(row, names, -1)


def test_training_is_reproducible_with_a_seed(
    data: SyntheticData, model: TrainedModel, small_params: dict[str, Any]
) -> None:
    again = train_gbm(
        data.x, data.y, data.times_us, data.feature_names, "fs-test-1", params=small_params, seed=3
    )
    np.testing.assert_array_equal(again.predict_margin(data.x), model.predict_margin(data.x))
    assert again.metrics == model.metrics


def test_params_override_defaults_and_are_recorded(model: TrainedModel) -> None:
    assert model.params["max_depth"] == 4
    assert model.params["tree_method"] == "hist"
    assert model.params["nthread"] == 2
    assert model.params["seed"] == 3
    assert model.params["scale_pos_weight"] > 5


def test_prediction_refuses_a_matrix_of_the_wrong_width(model: TrainedModel) -> None:
    with pytest.raises(ValidationError) as err:
        model.predict_proba(np.zeros((3, N_FEATURES - 1)))
    assert err.value.code == "feature_mismatch"
    with pytest.raises(ValidationError):
        model.contributions(np.zeros((3, N_FEATURES + 2)))
    assert model.predict_proba(np.zeros((0, N_FEATURES))).shape == (0,)
    assert model.contributions(np.zeros((0, N_FEATURES))).shape == (0, N_FEATURES + 1)


def test_prediction_refuses_nan_and_accepts_float64(
    model: TrainedModel, data: SyntheticData
) -> None:
    bad = data.x[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValidationError) as err:
        model.predict_proba(bad)
    assert err.value.code == "not_finite"
    np.testing.assert_allclose(
        model.predict_proba(data.x[:50].astype(np.float64)), model.predict_proba(data.x[:50])
    )


def _train(data: SyntheticData, **changes: object) -> TrainedModel:
    args: dict[str, object] = {
        "x": data.x,
        "y": data.y,
        "times_us": data.times_us,
        "feature_names": data.feature_names,
        "feature_set_version": "fs",
    }
    args.update(changes)
    return train_gbm(
        args["x"],  # type: ignore[arg-type]
        args["y"],  # type: ignore[arg-type]
        args["times_us"],  # type: ignore[arg-type]
        args["feature_names"],  # type: ignore[arg-type]
        args["feature_set_version"],  # type: ignore[arg-type]
        params={"num_boost_round": 2},
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"x": [[1.0, 2.0]]}, "X"),
        ({"x": np.zeros(10)}, "X"),
        ({"x": np.array([["a"] * 6] * 10)}, "X"),
        ({"feature_names": ("a", "b", "c", "d", "e")}, "feature_names"),
        ({"feature_names": ("a", "a", "b", "c", "d", "e")}, "feature_names"),
        ({"feature_names": ("", "a", "b", "c", "d", "e")}, "feature_names"),
        ({"y": np.zeros(5, dtype=bool)}, "y"),
        ({"y": np.full(12_000, 0.5)}, "y"),
        ({"times_us": np.zeros(12_000)}, "times_us"),
        ({"times_us": np.zeros(5, dtype=np.int64)}, "times_us"),
        ({"feature_set_version": " "}, "feature_set_version"),
    ],
)
def test_bad_training_inputs_are_refused_by_name(
    data: SyntheticData, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        _train(data, **changes)
    assert err.value.field == field


def test_a_training_slice_with_one_class_is_refused(data: SyntheticData) -> None:
    with pytest.raises(ValidationError) as err:
        _train(data, y=np.zeros(len(data.y), dtype=bool))
    assert err.value.code == "one_class"


def test_integer_labels_are_accepted(data: SyntheticData) -> None:
    m = _train(data, y=data.y.astype(np.int64))
    assert m.positives == int(data.y.sum())


def test_calibration_slice_without_positives_trains_without_early_stopping() -> None:
    d = make_synthetic(3000, seed=1)
    y = d.y.copy()
    order = np.argsort(d.times_us)
    y[order[2100:2550]] = False  # the calibration slice (70-85 %) has no fraud
    m = train_gbm(d.x, y, d.times_us, d.feature_names, "fs", params={"num_boost_round": 7})
    assert m.metrics["trees"] == 7
    assert m.calibration.method == "none"


def test_metrics_of_a_one_class_slice_are_none_not_invented() -> None:
    out = ranking_metrics(np.zeros(10, dtype=bool), np.linspace(0, 1, 10))
    assert out["brier"] is None  # a score is not a probability unless one is given
    assert out["pr_auc"] is None
    assert out["roc_auc"] is None
    assert out["positives"] == 0


def test_isotonic_does_not_call_a_small_pure_top_block_certain() -> None:
    rng = np.random.default_rng(2)
    margin = rng.normal(size=3000)
    y = rng.random(3000) < 0.05
    top = np.argsort(margin)[-8:]
    y[top] = True  # eight highest margins, all fraud: plain isotonic says 1.0
    cal = fit_calibration(margin, y)
    assert cal.method == "isotonic"
    assert max(cal.y) < 0.95
    assert max(cal.y) > 0.5
    assert np.all(np.diff(cal.y) >= 0)
    assert min(cal.y) > 0


def test_ranking_metrics_on_a_known_ranking() -> None:
    y = np.array([False] * 990 + [True] * 10)
    score = np.arange(1000, dtype=np.float64)  # every fraud above every legit row
    out = ranking_metrics(y, score, probability=y.astype(np.float64))
    assert out["pr_auc"] == pytest.approx(1.0)
    assert out["roc_auc"] == pytest.approx(1.0)
    assert out["recall_at_0_1pct_fpr"] == pytest.approx(1.0)
    assert out["brier"] == 0.0
    reversed_out = ranking_metrics(y, -score)
    assert reversed_out["recall_at_1pct_fpr"] == 0.0
