"""Detection measures on hand-computed cases (the numbers the evaluation report prints)."""

from __future__ import annotations

import numpy as np
import pytest

from finmon.monitor.metrics import (
    detection_report,
    per_typology,
    pr_auc,
    recall_at_fpr,
    time_to_first_alert,
)


def test_recall_at_fpr_sets_the_threshold_on_legitimate_scores_only() -> None:
    negatives = np.arange(100, dtype=float)  # 0..99
    positives = np.array([99.5, 98.5, 50.0, 10.0])
    scores = np.concatenate([negatives, positives])
    y = np.concatenate([np.zeros(100, bool), np.ones(4, bool)])
    # 1 % of 100 negatives may exceed: threshold = second highest negative (98)
    assert recall_at_fpr(scores, y, 0.01) == pytest.approx(0.5)
    # 0.1 % of 100 rounds down to none: threshold = the highest negative (99)
    assert recall_at_fpr(scores, y, 0.001) == pytest.approx(0.25)


def test_recall_at_fpr_without_one_class_is_undefined() -> None:
    assert recall_at_fpr(np.array([1.0, 2.0]), np.array([False, False]), 0.01) is None
    assert recall_at_fpr(np.array([1.0, 2.0]), np.array([True, True]), 0.01) is None


def test_pr_auc_is_one_for_a_perfect_ranking_and_undefined_without_positives() -> None:
    y = np.array([False, False, True, True])
    assert pr_auc(np.array([0.1, 0.2, 0.8, 0.9]), y) == pytest.approx(1.0)
    assert pr_auc(np.array([0.9, 0.8, 0.2, 0.1]), y) < 0.6
    assert pr_auc(np.array([0.1, 0.2]), np.array([False, False])) is None


def test_per_typology_counts_transactions_and_instances() -> None:
    alerted = np.array([True, False, False, False, True, False])
    typology = ["ring", "ring", "ring", "", "test", "test"]
    instance = ["r1", "r1", "r2", "", "t1", "t2"]
    table = per_typology(alerted, typology, instance)
    assert table["ring"] == {
        "transactions": 3,
        "transaction_recall": pytest.approx(1 / 3, abs=1e-6),
        "instances": 2,
        "instances_detected": 1,
        "instance_recall": 0.5,
    }
    assert table["test"]["instance_recall"] == 0.5
    assert "" not in table


def test_time_to_first_alert_is_the_median_delay_over_detected_instances() -> None:
    alerted = np.array([False, True, True, False, False])
    times = np.array([0, 10_000_000, 5_000_000, 7_000_000, 1_000_000])
    instance = ["a", "a", "b", "b", "c"]
    # a: first at 0, alert at 10 s -> 10; b: first at 5 s, alert at 5 s -> 0; c: never
    assert time_to_first_alert(alerted, times, instance) == pytest.approx(5.0)
    assert time_to_first_alert(np.zeros(5, bool), times, instance) is None


def test_detection_report_alert_precision_and_fpr() -> None:
    y = np.array([True, True, False, False, False])
    alerted = np.array([True, False, True, False, False])
    scores = np.array([90.0, 20.0, 60.0, 10.0, 0.0])
    report = detection_report(
        "rules", scores, alerted, y, ["x", "x", "", "", ""], ["i", "i", "", "", ""], np.zeros(5)
    )
    assert report.alert_precision == 0.5
    assert report.alert_recall == 0.5
    assert report.false_positive_rate == pytest.approx(1 / 3, abs=1e-6)
    assert report.to_dict()["per_typology"]["x"]["instances_detected"] == 1
    unscored = detection_report("rules", None, alerted, y, [""] * 5, [""] * 5, np.zeros(5))
    assert unscored.pr_auc is None
