"""Row features, and the offline computation's input handling."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pytest
from feature_txns import HOUR, make_txn

from finmon.core.errors import ValidationError
from finmon.monitor.features import FEATURE_NAMES, OnlineFeatures, compute_offline
from finmon.monitor.reference import ReferenceData

REF = ReferenceData(
    merchant_risk={"M1": 0.5},
    customer_country={"C1": "GB"},
)


def row_features(**fields: object) -> dict[str, float]:
    engine = OnlineFeatures(REF)
    return engine.as_dict(engine.compute(make_txn(**fields)))  # type: ignore[arg-type]


def test_amount_and_thresholds() -> None:
    out = row_features(amount=995_000)
    assert out["amount"] == 995_000.0
    assert out["amount_log10"] == pytest.approx(math.log10(9950 + 1))
    assert out["is_just_below_threshold"] == 1.0
    assert out["is_round_amount"] == 0.0
    assert row_features(amount=1_000_000)["is_just_below_threshold"] == 0.0
    assert row_features(amount=1_000_000)["is_round_amount"] == 1.0
    assert row_features(amount=900_000)["is_just_below_threshold"] == 1.0
    assert row_features(amount=899_999)["is_just_below_threshold"] == 0.0


def test_a_currency_without_a_threshold_is_never_just_below_it() -> None:
    out = row_features(amount=950_000, currency="CHF")
    assert out["is_just_below_threshold"] == 0.0
    yen = row_features(amount=500, currency="JPY")
    assert yen["amount_log10"] == pytest.approx(math.log10(501))
    assert yen["acct_small_count_1h"] == 0.0
    assert row_features(amount=10_000, currency="JPY")["is_round_amount"] == 1.0


def test_risks_and_cross_border_use_the_reference_data() -> None:
    out = row_features(
        merchant_id="M1", merchant_category="7995", merchant_country="IR", counterparty_country="KY"
    )
    assert out["merchant_risk"] == 0.5
    assert out["mcc_risk"] == 1.0
    assert out["merchant_country_risk"] == 1.0
    assert out["counterparty_country_risk"] == 0.4
    assert out["is_cross_border"] == 1.0
    # C1 lives in GB: a GB merchant is domestic for them, a US one is not
    assert row_features(merchant_country="GB")["is_cross_border"] == 0.0
    assert row_features(merchant_country="US")["is_cross_border"] == 1.0
    assert row_features(customer_id="C2", merchant_country="US")["is_cross_border"] == 0.0
    assert row_features()["is_cross_border"] == 0.0  # no country known: not cross border
    unknown = row_features(merchant_id="M9", merchant_category="0000")
    assert (unknown["merchant_risk"], unknown["mcc_risk"]) == (0.0, 0.0)


def test_time_of_day_and_week() -> None:
    out = row_features()  # Wednesday 06:13 UTC
    assert (out["hour_of_day"], out["day_of_week"], out["is_off_hours"]) == (6.0, 2.0, 0.0)
    night = row_features(at=-HOUR)
    assert (night["hour_of_day"], night["is_off_hours"]) == (5.0, 1.0)


def test_channel_and_direction_one_hot() -> None:
    out = row_features(channel="wire", direction="credit")
    channels = {k: v for k, v in out.items() if k.startswith("channel_")}
    assert channels == {k: float(k == "channel_wire") for k in channels}
    assert out["is_debit"] == 0.0


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={"occurred_at": pl.Datetime("us", "UTC")})


def at(second: int) -> datetime:
    return datetime(2026, 3, 1, 12, 0, second, tzinfo=UTC)


BASE_ROW = {"account_id": "A", "direction": "debit", "currency": "USD"}


def test_offline_needs_only_the_required_columns() -> None:
    out = compute_offline(
        frame(
            [
                {"transaction_id": "b", "occurred_at": at(5), "amount": "0.20", **BASE_ROW},
                {"transaction_id": "a", "occurred_at": at(1), "amount": "0.10", **BASE_ROW},
                {"transaction_id": "c", "occurred_at": at(5), "amount": "0.30", **BASE_ROW},
            ]
        )
    )
    assert out.columns == ["transaction_id", "occurred_us", *FEATURE_NAMES]
    assert out["transaction_id"].to_list() == ["a", "b", "c"]  # time, then input order
    assert out["acct_sum_1h"].to_list() == [10.0, 30.0, 60.0]  # exact cents
    assert out["cust_count_1h"].to_list() == [1.0, 2.0, 3.0]  # customer defaults to account
    assert out["dev_count_1h"].to_list() == [0.0, 0.0, 0.0]
    assert all(dtype == pl.Float64 for dtype in out.select(FEATURE_NAMES).dtypes)


def test_offline_accepts_arrow_tables_and_empty_input() -> None:
    rows = [{"transaction_id": "a", "occurred_at": at(1), "amount": "1.00", **BASE_ROW}]
    table = frame(rows).to_arrow()
    assert isinstance(table, pa.Table)
    assert compute_offline(table).equals(compute_offline(frame(rows)))
    empty = compute_offline(frame(rows).clear())
    assert empty.height == 0
    assert empty.columns[2:] == list(FEATURE_NAMES)


def test_offline_names_a_missing_required_column() -> None:
    rows = [{"transaction_id": "a", "occurred_at": at(1), "amount": "1.00", "currency": "USD"}]
    with pytest.raises(ValidationError) as err:
        compute_offline(frame(rows))
    assert err.value.field == "account_id"
    assert err.value.code == "missing"


def test_offline_refuses_an_amount_it_cannot_convert_exactly() -> None:
    rows = [{"transaction_id": "a", "occurred_at": at(1), "amount": "abc", **BASE_ROW}]
    with pytest.raises(ValidationError) as err:
        compute_offline(frame(rows))
    assert err.value.field == "amount"


def test_offline_names_a_required_column_with_empty_values() -> None:
    rows = [
        {"transaction_id": "a", "occurred_at": at(1), "amount": "1.00", **BASE_ROW},
        {"transaction_id": "b", "occurred_at": None, "amount": "1.00", **BASE_ROW},
    ]
    with pytest.raises(ValidationError) as err:
        compute_offline(frame(rows))
    assert err.value.field == "occurred_at"
