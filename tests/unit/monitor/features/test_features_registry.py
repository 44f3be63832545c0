"""The catalogue is a contract: names, order, kinds and the feature-set version."""

from __future__ import annotations

import dataclasses
import re

import pytest

from finmon.monitor.features import (
    FEATURE_INDEX,
    FEATURE_NAMES,
    FEATURE_SET_VERSION,
    FEATURES,
    describe,
)
from finmon.monitor.features.registry import WINDOWS, feature_set_version

CATALOGUE_SAMPLE = (
    "acct_count_1m acct_count_30d acct_sum_1h acct_max_7d acct_debit_sum_24h "
    "acct_credit_sum_7d acct_passthrough_24h acct_distinct_merchants_7d acct_out_degree_24h "
    "acct_in_degree_7d acct_distinct_devices_7d acct_distinct_countries_7d "
    "acct_seconds_since_last acct_amount_zscore_30d acct_amount_ratio_mean_30d "
    "acct_amount_ratio_max_30d acct_first_seen_device acct_first_seen_country "
    "acct_first_seen_merchant acct_first_seen_ip acct_first_seen_counterparty "
    "acct_distance_km_prev acct_speed_kmh_prev acct_hour_share_30d acct_small_count_1h "
    "acct_round_count_7d acct_below_threshold_count_7d acct_cash_count_7d cust_count_1h "
    "cust_sum_7d cust_distinct_accounts_7d cust_seconds_since_last cust_cash_sum_24h "
    "card_count_1m card_cnp_count_1h card_distinct_merchants_1h card_sum_1h "
    "card_distinct_merchant_countries_24h dev_count_1h dev_distinct_accounts_7d "
    "dev_distinct_customers_7d ip_distinct_accounts_24h merch_count_1h "
    "merch_distinct_accounts_24h merch_sum_24h merch_amount_zscore_30d cpty_count_7d "
    "cpty_distinct_accounts_24h cpty_sum_7d cpty_first_seen amount amount_log10 "
    "is_round_amount is_just_below_threshold mcc_risk merchant_risk counterparty_country_risk "
    "merchant_country_risk is_cross_border hour_of_day day_of_week is_off_hours is_debit "
    "channel_card_present channel_online"
).split()


def test_the_catalogue_names_are_all_there_once() -> None:
    assert len(FEATURE_NAMES) == 97
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert set(CATALOGUE_SAMPLE) <= set(FEATURE_NAMES)
    assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in FEATURE_NAMES)
    assert [FEATURE_INDEX[n] for n in FEATURE_NAMES] == list(range(97))


def test_every_stateful_feature_names_its_window_and_entity() -> None:
    for d in FEATURES:
        if d.kind == "row":
            assert d.window is None
            assert d.entity == "row"
        else:
            assert d.window in WINDOWS, d.name
            assert d.entity != "row", d.name
            assert d.window_s == WINDOWS[d.window]


def test_describe_has_one_row_per_feature_with_a_meaning() -> None:
    rows = describe()
    assert [r["name"] for r in rows] == list(FEATURE_NAMES)
    assert all(r["meaning"] for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert by_name["dev_count_1h"]["entity"] == "device_id"
    assert by_name["dev_count_1h"]["window"] == "1h"
    assert by_name["amount"]["entity"] == "transaction"


def test_the_version_follows_the_definitions_not_the_prose() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", FEATURE_SET_VERSION)
    assert feature_set_version(FEATURES) == FEATURE_SET_VERSION
    reworded = tuple(dataclasses.replace(d, meaning="x") for d in FEATURES)
    assert feature_set_version(reworded) == FEATURE_SET_VERSION
    changed = (dataclasses.replace(FEATURES[0], window="1h"), *FEATURES[1:])
    assert feature_set_version(changed) != FEATURE_SET_VERSION
    reordered = (FEATURES[1], FEATURES[0], *FEATURES[2:])
    assert feature_set_version(reordered) != FEATURE_SET_VERSION


def test_definitions_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        FEATURES[0].name = "other"  # type: ignore[misc]
