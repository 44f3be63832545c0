"""The online state: late events, snapshots, bounded memory, bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import pytest
from feature_txns import DAY, HOUR, MINUTE, SECOND, make_txn

from finmon.core.errors import ValidationError
from finmon.monitor.features import FEATURE_NAMES, OnlineFeatures, compute_offline
from finmon.monitor.features.online import DEFAULT_LATENESS_US
from finmon.monitor.transaction import Txn


def values(engine: OnlineFeatures, txns: list[Txn]) -> np.ndarray:
    return np.vstack([engine.compute(t) for t in txns])


def offline_of(txns: list[Txn]) -> dict[str, dict[str, float]]:
    """The offline features of ``txns`` (stream order = event time), by transaction id."""
    import polars as pl

    from finmon.monitor.transaction import from_micros

    frame = pl.DataFrame(
        {
            "transaction_id": [t.transaction_id for t in txns],
            "occurred_at": [from_micros(t.occurred_us) for t in txns],
            "account_id": [t.account_id for t in txns],
            "customer_id": [t.customer_id for t in txns],
            "direction": [t.direction for t in txns],
            "amount": [f"{t.amount_minor / 100:.2f}" for t in txns],
            "currency": [t.currency for t in txns],
            "channel": [t.channel for t in txns],
        },
        schema_overrides={"occurred_at": pl.Datetime("us", "UTC")},
    )
    out = compute_offline(frame)
    return {row["transaction_id"]: row for row in out.iter_rows(named=True)}


def test_a_late_event_within_the_lateness_lands_at_its_place() -> None:
    engine = OnlineFeatures(lateness_us=5 * MINUTE)
    a = make_txn(0, 100, transaction_id="a")
    b = make_txn(10 * MINUTE, 200, transaction_id="b")
    late = make_txn(6 * MINUTE, 400, transaction_id="late")
    c = make_txn(11 * MINUTE, 800, transaction_id="c")
    out = {t.transaction_id: engine.as_dict(engine.compute(t)) for t in (a, b, late, c)}
    # its own features see only what precedes it in event time
    assert out["late"]["acct_count_1h"] == 2.0
    assert out["late"]["acct_sum_1h"] == 500.0
    assert out["late"]["acct_seconds_since_last"] == 360.0
    # and every later event sees it
    assert out["c"]["acct_count_1h"] == 4.0
    assert out["c"]["acct_sum_1h"] == 1500.0
    expected = offline_of([a, b, late, c])
    for tid in ("late", "c"):
        for name in FEATURE_NAMES:
            assert out[tid][name] == pytest.approx(expected[tid][name], rel=1e-9, abs=1e-9), name
    stats = engine.stats
    assert (stats.late_accepted, stats.too_late) == (1, 0)


def test_a_late_event_at_an_existing_timestamp_goes_after_the_ones_there() -> None:
    engine = OnlineFeatures()
    txns = [make_txn(0, 1), make_txn(MINUTE, 2), make_txn(0, 4), make_txn(MINUTE + 1, 8)]
    out = [engine.as_dict(engine.compute(t)) for t in txns]
    assert out[2]["acct_count_1m"] == 2.0  # the earlier event at 0, and itself
    assert out[3]["acct_sum_1h"] == 15.0
    # both events at 0 are at least 1 min older than the last one (1 min + 1 µs)
    assert out[3]["acct_count_1m"] == 2.0
    assert engine.stats.late_accepted == 1


def test_a_too_late_event_is_scored_counted_and_not_kept() -> None:
    engine = OnlineFeatures(lateness_us=MINUTE)
    engine.compute(make_txn(0, 100))
    engine.compute(make_txn(HOUR, 200))
    too_late = engine.as_dict(engine.compute(make_txn(30 * MINUTE, 400)))
    after = engine.as_dict(engine.compute(make_txn(HOUR + SECOND, 800)))
    assert too_late["acct_count_1h"] == 2.0  # scored against what the state holds
    assert too_late["amount"] == 400.0
    assert after["acct_count_1h"] == 2.0  # the too-late event was not inserted
    assert after["acct_sum_24h"] == 1100.0
    stats = engine.stats
    assert (stats.transactions, stats.late_accepted, stats.too_late) == (4, 0, 1)


def test_a_too_late_event_of_a_new_entity_keeps_no_state() -> None:
    engine = OnlineFeatures(lateness_us=0)
    engine.compute(make_txn(HOUR))
    out = engine.as_dict(engine.compute(make_txn(0, account_id="A9", device_id="D9")))
    assert out["acct_count_1h"] == 1.0
    assert out["dev_count_1h"] == 1.0
    again = engine.as_dict(engine.compute(make_txn(HOUR, account_id="A9", device_id="D9")))
    assert again["acct_count_24h"] == 1.0
    assert again["dev_count_24h"] == 1.0


def stream(n: int, accounts: int = 7) -> list[Txn]:
    rng = np.random.default_rng(5)
    at = np.cumsum(rng.integers(0, 3 * HOUR, n))
    return [
        make_txn(
            int(t),
            int(rng.integers(1, 50_000)),
            transaction_id=f"s{i}",
            account_id=f"A{rng.integers(accounts)}",
            device_id=f"D{rng.integers(3)}" if rng.random() < 0.7 else None,
            merchant_id=f"M{rng.integers(4)}",
            counterparty_account_id=f"P{rng.integers(3)}" if rng.random() < 0.3 else None,
            latitude=float(rng.uniform(-60, 60)) if rng.random() < 0.5 else None,
            longitude=float(rng.uniform(-170, 170)),
        )
        for i, t in enumerate(at)
    ]


def test_snapshot_and_restore_give_identical_subsequent_values() -> None:
    txns = stream(600)
    whole = OnlineFeatures()
    expected = values(whole, txns)
    first = OnlineFeatures()
    values(first, txns[:300])
    restored = OnlineFeatures.restore(first.snapshot())
    np.testing.assert_array_equal(values(restored, txns[300:]), expected[300:])
    assert restored.stats.transactions == 600
    assert restored.snapshot() == whole.snapshot()


def test_restore_after_late_events_keeps_them() -> None:
    engine = OnlineFeatures()
    for t in (make_txn(0), make_txn(4 * MINUTE), make_txn(MINUTE, 7)):
        engine.compute(t)
    restored = OnlineFeatures.restore(engine.snapshot())
    after = restored.as_dict(restored.compute(make_txn(5 * MINUTE)))
    assert after["acct_count_1h"] == 4.0
    assert restored.stats.late_accepted == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"not json", "snapshot"),
        (b"[1, 2]", "snapshot"),
        (orjson.dumps({"format": "something else"}), "snapshot"),
    ],
)
def test_garbage_is_not_a_snapshot(data: bytes, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        OnlineFeatures.restore(data)
    assert err.value.field == field


def test_a_snapshot_of_another_feature_set_or_format_version_is_refused() -> None:
    doc = orjson.loads(OnlineFeatures().snapshot())
    with pytest.raises(ValidationError, match="feature set") as err:
        OnlineFeatures.restore(orjson.dumps({**doc, "feature_set": "0123456789ab"}))
    assert err.value.code == "feature_set_mismatch"
    with pytest.raises(ValidationError) as err:
        OnlineFeatures.restore(orjson.dumps({**doc, "version": 99}))
    assert err.value.code == "unsupported_version"


@pytest.mark.parametrize(
    "tear",
    [
        lambda doc: doc.pop("entities"),
        lambda doc: doc.update(sweep=[1]),
        lambda doc: doc["entities"]["account"][0][1][0].pop(),
        lambda doc: doc["entities"]["account"][0][1][0].__setitem__(2, "12.5x"),
    ],
)
def test_a_torn_snapshot_is_refused_not_half_loaded(tear: Callable[[dict[str, Any]], Any]) -> None:
    engine = OnlineFeatures()
    engine.compute(make_txn(0))
    doc = orjson.loads(engine.snapshot())
    tear(doc)
    with pytest.raises(ValidationError, match="corrupt") as err:
        OnlineFeatures.restore(orjson.dumps(doc))
    assert err.value.field == "snapshot"


def test_idle_entities_are_swept_and_an_entity_keeps_only_its_longest_window() -> None:
    engine = OnlineFeatures()
    for i in range(200):
        engine.compute(make_txn(i * SECOND, account_id=f"A{i}", customer_id=f"C{i}"))
    assert engine.stats.entities >= 400
    # one busy account for 40 days: nobody else shows up
    busy = [make_txn(DAY + i * HOUR, account_id="B", customer_id="CB") for i in range(40 * 24)]
    for t in busy:
        engine.compute(t)
    stats = engine.stats
    assert stats.entities <= 4  # B's account, customer, card (and nothing idle)
    doc = orjson.loads(engine.snapshot())
    held = {kind: sum(len(events) for _, events in rows) for kind, rows in doc["entities"].items()}
    # 30 d of hourly events (+ the lateness), not 40 d
    assert held["account"] <= 30 * 24 + 1
    assert held["card"] <= 24 + 1  # card features look back 24 h at most


def test_negative_lateness_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        OnlineFeatures(lateness_us=-1)
    assert err.value.field == "lateness_us"


def test_as_dict_names_every_value_and_defaults_are_documented() -> None:
    engine = OnlineFeatures()
    out = engine.compute(make_txn(0))
    assert out.dtype == np.float64
    assert out.shape == (len(FEATURE_NAMES),)
    named = engine.as_dict(out)
    assert list(named) == list(FEATURE_NAMES)
    assert named["acct_seconds_since_last"] == 30 * 86_400
    assert named["acct_amount_ratio_mean_30d"] == 1.0
    assert named["acct_hour_share_30d"] == 1.0
    assert named["acct_amount_zscore_30d"] == 0.0
    assert DEFAULT_LATENESS_US == 5 * MINUTE
