"""Backtests: alerts, true positives, precision and recall per rule, typology and active set."""

from __future__ import annotations

import io

import orjson
import polars as pl
import pytest
from rich.console import Console

from finmon.core.errors import ValidationError
from finmon.monitor.rules import RuleSet, backtest
from finmon.monitor.rules.backtest import ALL_ACTIVE

RULES = """
name: bt
version: 7
rules:
  - id: big
    description: big
    expression: amount_major >= 1000
    severity: high
    score: 40
  - id: wire
    description: wire
    expression: channel == "wire"
    severity: low
    score: 10
  - id: night
    description: night
    expression: is_off_hours == 1
    severity: low
    score: 70
    mode: shadow
"""

#            id   amount  channel   night fraud  typology
ROWS = [
    ("t1", 5000.0, "wire", 0.0, True, "ato"),
    ("t2", 2000.0, "card", 1.0, True, "ato"),
    ("t3", 10.0, "wire", 1.0, True, "mule"),
    ("t4", 20.0, "card", 1.0, True, "mule"),
    ("t5", 3000.0, "card", 0.0, False, None),
    ("t6", 15.0, "wire", 0.0, False, None),
    ("t7", 15.0, "card", 1.0, False, None),
    ("t8", 15.0, "card", 0.0, False, None),
]


@pytest.fixture
def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "transaction_id": [r[0] for r in ROWS],
            "amount_major": [r[1] for r in ROWS],
            "channel": [r[2] for r in ROWS],
            "is_off_hours": [r[3] for r in ROWS],
        }
    )


@pytest.fixture
def labels() -> pl.DataFrame:
    labelled = [r for r in ROWS if r[0] != "t8"]  # t8 unlabelled: legitimate
    return pl.DataFrame(
        {
            "transaction_id": [r[0] for r in reversed(labelled)],
            "is_fraud": [r[4] for r in reversed(labelled)],
            "typology": [r[5] for r in reversed(labelled)],
        }
    )


def test_per_rule_numbers(frame: pl.DataFrame, labels: pl.DataFrame) -> None:
    report = backtest(RuleSet.from_yaml(RULES), frame, labels)
    assert (report.rows, report.positives, dict(report.typologies)) == (8, 4, {"ato": 2, "mule": 2})
    big = report.rule("big")
    assert (big.overall.alerts, big.overall.true_positives, big.overall.positives) == (3, 2, 4)
    assert big.overall.precision == pytest.approx(2 / 3)
    assert big.overall.recall == pytest.approx(0.5)
    assert big.by_typology["ato"].recall == 1.0
    assert big.by_typology["ato"].precision == pytest.approx(2 / 3)
    assert big.by_typology["mule"].recall == 0.0
    wire = report.rule("wire")
    assert (wire.overall.alerts, wire.overall.true_positives) == (3, 2)
    assert wire.by_typology["mule"].true_positives == 1
    night = report.rule("night")
    assert (night.mode, night.overall.alerts, night.overall.true_positives) == ("shadow", 4, 3)


def test_the_set_counts_only_active_rules(frame: pl.DataFrame, labels: pl.DataFrame) -> None:
    combined = backtest(RuleSet.from_yaml(RULES), frame, labels).combined
    assert combined.rule_id == ALL_ACTIVE
    # big or wire: t1 t2 t3 t5 t6 -> 3 of the 4 frauds (t4 is caught only by shadow "night")
    assert (combined.overall.alerts, combined.overall.true_positives) == (5, 3)
    assert combined.overall.recall == pytest.approx(0.75)
    assert combined.by_typology["mule"].recall == 0.5
    assert combined.score == 1


def test_the_set_at_a_points_threshold(frame: pl.DataFrame, labels: pl.DataFrame) -> None:
    report = backtest(RuleSet.from_yaml(RULES), frame, labels, min_points=50)
    # big (40) + wire (10) = 50 only on t1; shadow "night" (70) never counts
    assert (report.combined.overall.alerts, report.combined.overall.true_positives) == (1, 1)
    assert report.combined.rule_id == "(active rules >= 50 points)"
    assert report.min_points == 50


def test_the_python_engine_gives_the_same_report(frame: pl.DataFrame, labels: pl.DataFrame) -> None:
    rules = RuleSet.from_yaml(RULES)
    assert (
        backtest(rules, frame, labels).to_dict()
        == backtest(rules, frame, labels, engine="python").to_dict()
    )


def test_undefined_ratios_are_none_not_zero(frame: pl.DataFrame) -> None:
    nothing = pl.DataFrame(
        {"transaction_id": ["x"], "is_fraud": [False], "typology": [None]},
        schema_overrides={"typology": pl.String},
    )
    report = backtest(RuleSet.from_yaml(RULES), frame.filter(pl.col("amount_major") < 20), nothing)
    wire = report.rule("wire")
    assert wire.overall.recall is None
    assert report.rule("big").overall.precision is None


def test_report_serialises_and_prints(frame: pl.DataFrame, labels: pl.DataFrame) -> None:
    report = backtest(RuleSet.from_yaml(RULES), frame, labels)
    data = orjson.loads(orjson.dumps(report.to_dict()))
    assert data["version"] == "7"
    assert [r["rule_id"] for r in data["rules"]] == ["big", "wire", "night"]
    assert data["combined"]["true_positives"] == 3
    assert data["rules"][0]["by_typology"]["ato"]["recall"] == 1.0
    console = Console(file=io.StringIO(), width=160, record=True)
    console.print(report)
    text = console.export_text()
    assert "big" in text
    assert ALL_ACTIVE in text
    assert "66.7%" in text
    assert "ato (100%)" in text
    with pytest.raises(ValidationError):
        report.rule("nope")


def test_bad_inputs_are_refused(frame: pl.DataFrame, labels: pl.DataFrame) -> None:
    rules = RuleSet.from_yaml(RULES)
    with pytest.raises(ValidationError, match="no transaction_id"):
        backtest(rules, frame.drop("transaction_id"), labels)
    with pytest.raises(ValidationError, match="labels lack is_fraud"):
        backtest(rules, frame, labels.drop("is_fraud"))
    with pytest.raises(ValidationError, match="more than once"):
        backtest(rules, frame, pl.concat([labels, labels]))
    with pytest.raises(ValidationError, match="lacks columns"):
        backtest(rules, frame.drop("channel"), labels)
    no_typology = backtest(rules, frame, labels.drop("typology"))
    assert no_typology.typologies == {}
    assert no_typology.positives == 4
