"""Each windowed kind means what the catalogue says, at its edges too (online engine)."""

from __future__ import annotations

import math

import pytest
from feature_txns import DAY, HOUR, MINUTE, SECOND, make_txn

from finmon.monitor.features import OnlineFeatures
from finmon.monitor.transaction import Txn


def run(txns: list[Txn], engine: OnlineFeatures | None = None) -> list[dict[str, float]]:
    engine = engine or OnlineFeatures()
    return [engine.as_dict(engine.compute(t)) for t in txns]


def test_a_window_includes_the_current_event_and_drops_events_exactly_w_old() -> None:
    out = run([make_txn(0), make_txn(HOUR - 1), make_txn(HOUR), make_txn(HOUR + 1)])
    assert [o["acct_count_1h"] for o in out] == [1.0, 2.0, 2.0, 3.0]
    assert out[2]["acct_count_24h"] == 3.0
    # 1m: only events within the last minute
    assert [o["acct_count_1m"] for o in out] == [1.0, 1.0, 2.0, 3.0]


def test_equal_timestamps_count_in_arrival_order() -> None:
    out = run([make_txn(0, 100), make_txn(0, 200), make_txn(0, 300)])
    assert [o["acct_count_1m"] for o in out] == [1.0, 2.0, 3.0]
    assert [o["acct_sum_1h"] for o in out] == [100.0, 300.0, 600.0]
    assert [o["acct_seconds_since_last"] for o in out] == [30 * 86_400.0, 0.0, 0.0]


def test_ties_at_the_window_edge_follow_the_order_key() -> None:
    """Key = t*1024 + rank: an edge event leaves the window unless its rank is higher."""
    out = run([make_txn(0), make_txn(0), make_txn(HOUR), make_txn(HOUR)])
    # at HOUR rank 0: the rank-0 event at 0 is exactly 1 h older (out), the rank-1 one is not
    assert out[2]["acct_count_1h"] == 2.0
    # at HOUR rank 1: both events at 0 are out; the two at HOUR are in
    assert out[3]["acct_count_1h"] == 2.0
    single = run([make_txn(0), make_txn(HOUR)])
    assert single[1]["acct_count_1h"] == 1.0


def test_sums_and_max_evict_old_amounts() -> None:
    out = run([make_txn(0, 900), make_txn(HOUR, 100), make_txn(DAY + 1, 50), make_txn(2 * DAY, 70)])
    assert [o["acct_sum_24h"] for o in out] == [900.0, 1000.0, 150.0, 120.0]
    assert [o["acct_max_24h"] for o in out] == [900.0, 900.0, 100.0, 70.0]
    assert [o["acct_max_7d"] for o in out] == [900.0] * 4
    assert out[-1]["acct_sum_30d"] == 1120.0


def test_debit_credit_sums_and_passthrough() -> None:
    out = run(
        [
            make_txn(0, 500, direction="debit"),
            make_txn(MINUTE, 1000, direction="credit"),
            make_txn(2 * MINUTE, 400, direction="debit"),
            make_txn(3 * MINUTE, 20_000, direction="debit"),
        ]
    )
    assert out[0]["acct_passthrough_24h"] == 0.0  # no credit: 0, not infinite
    assert out[1]["acct_passthrough_24h"] == 0.5
    assert out[2]["acct_passthrough_24h"] == 0.9
    assert out[3]["acct_passthrough_24h"] == 10.0  # capped
    assert out[3]["acct_debit_sum_24h"] == 20_900.0
    assert out[3]["acct_credit_sum_7d"] == 1000.0


def test_distinct_counts_ignore_missing_values_and_respect_filters() -> None:
    out = run(
        [
            make_txn(0, merchant_id="M1", counterparty_account_id="P1", direction="debit"),
            make_txn(1, merchant_id="M1", counterparty_account_id="P2", direction="credit"),
            make_txn(2, merchant_id=None, counterparty_account_id="P3", direction="debit"),
            make_txn(3, merchant_id="M2", counterparty_account_id=None, direction="debit"),
        ]
    )
    assert [o["acct_distinct_merchants_24h"] for o in out] == [1.0, 1.0, 1.0, 2.0]
    assert [o["acct_out_degree_24h"] for o in out] == [1.0, 1.0, 2.0, 2.0]
    assert [o["acct_in_degree_7d"] for o in out] == [0.0, 1.0, 1.0, 1.0]


def test_distinct_counts_forget_values_that_left_the_window() -> None:
    out = run(
        [
            make_txn(0, device_id="D1"),
            make_txn(DAY, device_id="D2"),
            make_txn(8 * DAY, device_id="D2"),
        ]
    )
    assert [o["acct_distinct_devices_7d"] for o in out] == [1.0, 2.0, 1.0]


def test_countries_read_the_merchant_country_else_the_counterparty_country() -> None:
    out = run(
        [
            make_txn(0, merchant_country="FR", counterparty_country="DE"),
            make_txn(1, counterparty_country="DE"),
            make_txn(2, counterparty_country="FR"),
        ]
    )
    assert [o["acct_distinct_countries_7d"] for o in out] == [1.0, 2.0, 2.0]
    assert [o["acct_first_seen_country"] for o in out] == [1.0, 1.0, 0.0]


def test_first_seen_is_one_again_after_30_days_and_zero_when_absent() -> None:
    out = run(
        [
            make_txn(0, device_id="D1"),
            make_txn(DAY, device_id="D1"),
            make_txn(DAY + 1),
            make_txn(31 * DAY - 1, device_id="D1"),
            make_txn(61 * DAY - 1, device_id="D1"),
        ]
    )
    # 31 d - 1 µs: the sighting at 1 d is inside the previous 30 d; at 61 d - 1 µs the
    # last sighting is exactly 30 d old, so outside
    assert [o["acct_first_seen_device"] for o in out] == [1.0, 0.0, 0.0, 0.0, 1.0]


def test_since_last_is_capped_at_30_days() -> None:
    out = run([make_txn(0), make_txn(10 * SECOND), make_txn(40 * DAY)])
    assert [o["acct_seconds_since_last"] for o in out] == [2_592_000.0, 10.0, 2_592_000.0]
    assert out[1]["cust_seconds_since_last"] == 10.0


def test_amount_statistics_against_the_previous_30_days() -> None:
    out = run([make_txn(0, 100), make_txn(1, 300), make_txn(2, 200), make_txn(3, 500)])
    assert [o["acct_amount_zscore_30d"] for o in out[:2]] == [0.0, 0.0]  # < 2 previous
    assert out[2]["acct_amount_zscore_30d"] == 0.0  # 200 is the mean of 100, 300
    # previous 100, 300, 200: mean 200, population sd sqrt(20000/3)
    assert out[3]["acct_amount_zscore_30d"] == pytest.approx(300 / math.sqrt(20000 / 3))
    assert out[0]["acct_amount_ratio_mean_30d"] == 1.0
    assert out[0]["acct_amount_ratio_max_30d"] == 1.0
    assert out[3]["acct_amount_ratio_mean_30d"] == 2.5
    assert out[3]["acct_amount_ratio_max_30d"] == pytest.approx(500 / 300)


def test_zscore_is_zero_without_spread() -> None:
    out = run([make_txn(0, 100), make_txn(1, 100), make_txn(2, 900)])
    assert out[2]["acct_amount_zscore_30d"] == 0.0


def test_distance_and_speed_from_the_previous_located_transaction() -> None:
    nyc = {"latitude": 40.7128, "longitude": -74.006}
    london = {"latitude": 51.5074, "longitude": -0.1278}
    out = run(
        [
            make_txn(0, **nyc),
            make_txn(MINUTE),
            make_txn(HOUR, **london),
            make_txn(HOUR + SECOND, **london),
        ]
    )
    assert out[0]["acct_distance_km_prev"] == 0.0
    assert out[1]["acct_distance_km_prev"] == 0.0  # not located
    assert out[2]["acct_distance_km_prev"] == pytest.approx(5570, rel=0.01)
    assert out[2]["acct_speed_kmh_prev"] == pytest.approx(out[2]["acct_distance_km_prev"])
    assert out[3]["acct_distance_km_prev"] == 0.0
    later = run([make_txn(0, **nyc), make_txn(SECOND, **london)])
    # at least 60 s elapsed counts: 5570 km in "60 s" = 60 x the distance per hour
    assert later[1]["acct_speed_kmh_prev"] == pytest.approx(later[1]["acct_distance_km_prev"] * 60)


def test_hour_share_counts_the_previous_events_in_the_same_3_hour_bucket() -> None:
    # T0 is 06:13 UTC (bucket 6-9h); T0 + 3 h is in 9-12h
    out = run([make_txn(0), make_txn(DAY), make_txn(DAY + 3 * HOUR), make_txn(2 * DAY)])
    assert [o["acct_hour_share_30d"] for o in out] == [1.0, 1.0, 0.0, 2 / 3]


def test_the_filtered_counts() -> None:
    out = run(
        [
            make_txn(0, 499),
            make_txn(1, 500),
            make_txn(2, 20_000),
            make_txn(3, 950_000),
            make_txn(4, 1_000_000),
            make_txn(5, 10_000, channel="cash_deposit"),
            make_txn(6, 10_000, channel="cash_withdrawal", direction="credit"),
        ]
    )
    assert out[-1]["acct_small_count_1h"] == 1.0
    assert out[-1]["acct_round_count_7d"] == 5.0  # 200.00, 10000.00 and the cash 100.00s
    assert out[-1]["acct_below_threshold_count_7d"] == 1.0
    assert out[-1]["acct_cash_count_7d"] == 2.0
    assert out[-1]["cust_cash_sum_24h"] == 20_000.0


def test_card_features_only_see_card_transactions() -> None:
    out = run(
        [
            make_txn(0, 100, merchant_id="M1", merchant_country="US"),
            make_txn(1, 200, channel="card_not_present", merchant_id="M2", merchant_country="GB"),
            make_txn(2, 400, channel="wire", merchant_id="M3"),
        ]
    )
    assert out[1]["card_count_1m"] == 2.0
    assert out[1]["card_cnp_count_1h"] == 1.0
    assert out[1]["card_sum_1h"] == 300.0
    assert out[1]["card_distinct_merchants_1h"] == 2.0
    assert out[1]["card_distinct_merchant_countries_24h"] == 2.0
    assert all(v == 0.0 for k, v in out[2].items() if k.startswith("card_"))
    assert out[2]["acct_count_1m"] == 3.0


def test_other_entities() -> None:
    out = run(
        [
            make_txn(
                0,
                100,
                account_id="A1",
                customer_id="C1",
                device_id="D",
                ip_address="ip",
                merchant_id="M",
                counterparty_account_id="P",
            ),  # fmt: skip
            make_txn(
                1,
                200,
                account_id="A2",
                customer_id="C2",
                device_id="D",
                ip_address="ip",
                merchant_id="M",
                counterparty_account_id="P",
            ),  # fmt: skip
            make_txn(2, 300, account_id="A3", customer_id="C1", device_id="D"),
        ]
    )
    last = out[-1]
    assert last["dev_count_1h"] == 3.0
    assert last["dev_distinct_accounts_24h"] == 3.0
    assert last["dev_distinct_customers_7d"] == 2.0
    assert out[1]["ip_distinct_accounts_24h"] == 2.0
    assert out[1]["merch_distinct_accounts_1h"] == 2.0
    assert out[1]["merch_sum_24h"] == 300.0
    assert out[1]["cpty_distinct_accounts_7d"] == 2.0
    assert [o["cpty_first_seen"] for o in out] == [1.0, 0.0, 0.0]
    assert last["cust_count_1h"] == 2.0
    assert last["cust_distinct_accounts_7d"] == 2.0


def test_missing_optional_fields_give_zeros_for_their_entities() -> None:
    (out,) = run([make_txn(0, channel=None)])
    for prefix in ("dev_", "ip_", "merch_", "cpty_", "card_", "channel_"):
        assert all(v == 0.0 for k, v in out.items() if k.startswith(prefix)), prefix
    assert out["acct_first_seen_device"] == 0.0
    assert out["acct_distance_km_prev"] == 0.0
    assert out["acct_count_1m"] == 1.0
