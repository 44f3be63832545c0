"""The shipped rule set: it loads, reads only catalogued names, and fires on what it describes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from finmon.monitor.rules import (
    CATALOGUE,
    FIELD_KINDS,
    RuleSet,
    backtest,
    default_ruleset,
    default_ruleset_text,
    feature_names,
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return default_ruleset()


def test_the_default_set_loads_against_the_catalogue(rules: RuleSet) -> None:
    assert rules.name == "finmon-default"
    assert len(rules) >= 25
    assert rules.names <= set(CATALOGUE) | set(FIELD_KINDS)
    RuleSet.from_yaml(default_ruleset_text(), names=CATALOGUE)


def test_every_name_exists_in_the_features_package(rules: RuleSet) -> None:
    from finmon.monitor.features import FEATURE_NAMES as names

    assert rules.names <= set(names) | set(FIELD_KINDS)
    assert set(feature_names()) == set(names)


def test_the_default_set_shows_both_modes_and_every_typology(rules: RuleSet) -> None:
    modes = {rule.mode for rule in rules.rules}
    assert modes == {"active", "shadow"}
    tags = {tag for rule in rules.rules for tag in rule.tags}
    for wanted in (
        "card_testing", "account_takeover", "stolen_card", "burst_fraud", "merchant_collusion",
        "bust_out", "structuring", "layering", "country", "round_amounts", "fan_in", "fan_out",
    ):  # fmt: skip
        assert wanted in tags, wanted
    assert all(0 < rule.score <= 60 for rule in rules.rules), "no single rule decides alone"


def base() -> dict[str, Any]:
    """An ordinary card payment: no rule should fire."""
    values: dict[str, Any] = dict.fromkeys(CATALOGUE, 0.0)
    values.update(
        amount=4_250.0, amount_major=42.5, channel="card_present", direction="debit",
        currency="USD", merchant_id="m1", merchant_category="5411", merchant_country="US",
        counterparty_country=None, counterparty_name=None, device_id=None, ip_address=None,
        is_debit=1.0, channel_card_present=1.0, acct_count_30d=40.0, acct_count_24h=2.0,
        acct_count_1h=1.0, acct_sum_30d=400_000.0, acct_sum_24h=8_000.0,
        acct_amount_ratio_mean_30d=0.4, acct_amount_ratio_max_30d=0.1, acct_hour_share_30d=0.3,
        acct_seconds_since_last=20_000.0,
    )  # fmt: skip
    return values


SCENARIOS: dict[str, dict[str, Any]] = {
    "card-testing": dict(
        channel="card_not_present", amount_major=1.0, amount=100.0, card_cnp_count_1h=9.0,
        acct_small_count_1h=8.0, card_distinct_merchants_1h=6.0,
    ),
    "account-takeover": dict(
        channel="transfer", amount_major=9_000.0, amount=900_000.0, acct_first_seen_device=1.0,
        acct_first_seen_ip=1.0, acct_amount_ratio_max_30d=4.0,
    ),
    "impossible-travel": dict(acct_speed_kmh_prev=4_000.0, acct_distance_km_prev=5_500.0),
    "burst-fraud": dict(acct_count_1h=9.0, acct_count_30d=45.0),
    "merchant-collusion": dict(
        is_round_amount=1.0, merch_distinct_accounts_24h=25.0, merch_amount_zscore_30d=3.5,
    ),
    "bust-out": dict(
        acct_count_30d=30.0, acct_count_24h=8.0, acct_amount_ratio_mean_30d=5.0,
        acct_sum_30d=1_000_000.0, acct_sum_24h=600_000.0,
    ),
    "structuring": dict(
        channel="cash_deposit", amount_major=9_500.0, amount=950_000.0,
        is_just_below_threshold=1.0, acct_below_threshold_count_7d=3.0,
    ),
    "pass-through": dict(
        channel="transfer", acct_passthrough_7d=0.98, acct_credit_sum_7d=2_000_000.0,
        acct_in_degree_7d=6.0, acct_out_degree_7d=4.0,
    ),
    "sanctioned-jurisdiction": dict(channel="wire", counterparty_country_risk=1.0),
    "fan-in": dict(
        direction="credit", is_debit=0.0, acct_in_degree_7d=16.0, acct_first_seen_counterparty=1.0,
    ),
}  # fmt: skip


@pytest.mark.parametrize("rule_id", sorted(SCENARIOS))
def test_each_typology_rule_fires_on_its_story(rules: RuleSet, rule_id: str) -> None:
    values = base() | SCENARIOS[rule_id]
    hits = {hit.rule_id for hit in rules.evaluate(values)}
    assert rule_id in hits
    frame = pl.DataFrame([values], infer_schema_length=None)
    assert rules.evaluate_frame(frame)[rule_id][0]


def test_an_ordinary_payment_hits_nothing(rules: RuleSet) -> None:
    assert rules.evaluate(base()) == []
    assert rules.error_counts() == {}


def test_weak_signals_add_up(rules: RuleSet) -> None:
    values = base() | dict(
        amount_major=6_000.0, amount=600_000.0, is_off_hours=1.0, acct_hour_share_30d=0.0,
        mcc_risk=1.0, acct_first_seen_country=1.0, is_cross_border=1.0,
    )  # fmt: skip
    hits = [h for h in rules.evaluate(values) if h.active]
    assert len(hits) >= 4
    assert sum(h.score for h in hits) >= 40
    assert max(h.score for h in hits) <= 10


def test_polars_and_python_agree_on_random_rows(rules: RuleSet) -> None:
    rng = np.random.default_rng(4)
    n = 400
    data: dict[str, Any] = {
        name: rng.choice([0.0, 1.0, 3.0, 12.0, 0.95, 5_000.0, 2_000_000.0], size=n)
        for name in CATALOGUE
    }
    data["amount_major"] = rng.choice([1.0, 50.0, 1_200.0, 9_500.0, 30_000.0], size=n)
    data["channel"] = rng.choice(
        ["card_present", "card_not_present", "transfer", "wire", "cash_deposit"], size=n
    )
    data["direction"] = rng.choice(["debit", "credit"], size=n)
    frame = pl.DataFrame(data)
    fast = rules.evaluate_frame(frame)
    exact = rules.evaluate_frame(frame, engine="python")
    for rule_id in fast:
        assert (fast[rule_id] == exact[rule_id]).all(), rule_id
    assert any(v.any() for v in fast.values())


def test_evaluation_is_fast(rules: RuleSet) -> None:
    values = base()
    rounds = 2_000
    started = time.perf_counter()
    for _ in range(rounds):
        rules.evaluate(values)
    per_rule_us = (time.perf_counter() - started) / rounds / len(rules) * 1e6
    assert per_rule_us < 20  # typically well under 1 µs; generous for slow CI machines


def _rule_frame(directory: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Features (offline) joined with the transaction fields rules read, and the labels."""
    from finmon.monitor.dataset import load_dataset
    from finmon.monitor.features import compute_offline

    dataset = load_dataset(directory)
    computed: pl.DataFrame = compute_offline(dataset.transactions, dataset.reference)
    fields = [n for n, k in FIELD_KINDS.items() if k == "str"]
    txs = pl.from_arrow(dataset.transactions)
    assert isinstance(txs, pl.DataFrame)
    txs = txs.select(
        "transaction_id", *fields, pl.col("amount").cast(pl.Float64).alias("amount_major")
    )
    frame = computed.join(txs, on="transaction_id", how="left")
    labels = pl.read_parquet(directory / "labels.parquet")
    return frame, labels


def test_a_backtest_of_the_default_set_on_simulated_data(rules: RuleSet, tmp_path: Path) -> None:
    from finmon.sim import TYPOLOGIES, generate_dataset, parse_scenario

    scenario = parse_scenario(
        {
            "name": "rules",
            "seed": 5,
            "start": "2026-01-05T00:00:00Z",
            "days": 6,
            "customers": 400,
            "merchants": 80,
            "typologies": {name: {"instances": 1} for name in TYPOLOGIES},
        }
    )
    generate_dataset(scenario, tmp_path)
    frame, labels = _rule_frame(tmp_path)
    report = backtest(rules, frame, labels)
    assert report.rows == frame.height > 1_000
    assert report.positives > 0
    assert report.combined.overall.alerts > 0
    assert report.combined.overall.true_positives > 0
    assert len(report.rules) == len(rules)
