"""Online and offline features agree on every stream: simulated traffic and adversarial ones.

A model is trained on backfilled (offline) features and scored on online
ones; any disagreement is silent training/serving skew. Integer-valued
features must be equal; floating ones (z-scores, ratios, distances, logs)
equal within 1e-9 relative or absolute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finmon.monitor.features import FEATURE_NAMES, FEATURES, OnlineFeatures, compute_offline
from finmon.monitor.reference import ReferenceData
from finmon.monitor.transaction import Txn, iter_table
from finmon.sim import TYPOLOGIES, generate_dataset, parse_scenario
from finmon.sources.canonical import CHANNELS, TRANSACTION_COLUMNS

EXACT_KINDS = {"count", "sum", "max", "distinct", "first_seen"}
APPROX_ROWS = {"amount_log10"}
EXACT = np.array(
    [(d.kind in EXACT_KINDS) or (d.kind == "row" and d.name not in APPROX_ROWS) for d in FEATURES]
)
SCHEMA = pa.schema([(c.name, c.arrow_type) for c in TRANSACTION_COLUMNS])
BASE = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = 60_000_000, 3_600_000_000, 86_400_000_000
#: Offsets that sit on and next to every window edge, so ties and boundaries are common.
EDGES = [0, 1, MINUTE - 1, MINUTE, HOUR - 1, HOUR, DAY, 7 * DAY, 30 * DAY, 30 * DAY + 1]


def online_values(txns: Sequence[Txn], reference: ReferenceData) -> np.ndarray:
    engine = OnlineFeatures(reference)
    ordered = sorted(txns, key=lambda t: t.occurred_us)  # stable: ties keep input order
    return np.vstack([engine.compute(t) for t in ordered])


def assert_parity(table: pa.Table, reference: ReferenceData) -> None:
    txns = list(iter_table(table))
    online = online_values(txns, reference)
    offline = compute_offline(table, reference)
    ordered = sorted(txns, key=lambda t: t.occurred_us)
    assert offline["transaction_id"].to_list() == [t.transaction_id for t in ordered]
    assert offline["occurred_us"].to_list() == [t.occurred_us for t in ordered]
    other = offline.select(FEATURE_NAMES).to_numpy()
    exact_bad = (online != other) & EXACT
    close = np.isclose(online, other, rtol=1e-9, atol=1e-9)
    bad = exact_bad | ~close
    if bad.any():
        row, col = (int(x[0]) for x in np.nonzero(bad))
        names = sorted({FEATURE_NAMES[j] for j in np.nonzero(bad.any(axis=0))[0]})
        pytest.fail(
            f"{len(names)} features differ ({', '.join(names)}); first at row {row} "
            f"{FEATURE_NAMES[col]}: online {online[row, col]!r} offline {other[row, col]!r}"
        )


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = parse_scenario(
        {
            "name": "parity",
            "seed": 3,
            "start": "2026-01-05T00:00:00Z",
            "days": 40,
            "customers": 100,
            "transactions": 3000,
            "typologies": {name: {"instances": 1} for name in TYPOLOGIES},
        }
    )
    out = tmp_path_factory.mktemp("parity")
    generate_dataset(scenario, out)
    return out


def test_simulated_traffic_gives_the_same_features_online_and_offline(sim_dir: Path) -> None:
    table = pq.read_table(sim_dir / "transactions.parquet")
    assert_parity(table, ReferenceData.load(sim_dir))


def test_offline_sorts_by_event_time_keeping_input_order_among_ties(sim_dir: Path) -> None:
    """Shuffled input gives the features of its stable sort by time (the sim has ties)."""
    table = pq.read_table(sim_dir / "transactions.parquet").slice(0, 800)
    rng = np.random.default_rng(7)
    shuffled = table.take(pa.array(rng.permutation(table.num_rows)))
    stable = shuffled.take(pa.array(np.argsort(shuffled["occurred_at"].to_numpy(), kind="stable")))
    reference = ReferenceData.load(sim_dir)
    assert compute_offline(shuffled, reference).equals(compute_offline(stable, reference))
    assert_parity(shuffled, reference)


_HUGE = ["98765432101.23", "12345678901.99"]  # squares past 2**63: exact Int128 sums offline
AMOUNTS = {
    "USD": ["0.01", "4.99", "5.00", "100.00", "123.45", "9000.00", "9999.99", "10000.00", *_HUGE],
    "JPY": ["1", "500", "10000", "99999"],
}
POINTS = [None, (40.7128, -74.006), (51.5074, -0.1278), (40.7128, -74.006), (-33.86, 151.2)]


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=30))
    out: list[dict[str, Any]] = []
    for i in range(n):
        offset = draw(st.sampled_from(EDGES) | st.integers(min_value=0, max_value=40 * DAY))
        extra = draw(st.sampled_from([0, 0, 1, MINUTE, HOUR]))
        currency = draw(st.sampled_from(sorted(AMOUNTS)))
        point = draw(st.sampled_from(POINTS))

        def some(*values: str) -> str | None:
            return draw(st.sampled_from([None, *values]))

        out.append(
            {
                "transaction_id": f"t{i}",
                "occurred_at": BASE + timedelta(microseconds=offset + extra),
                "customer_id": some("C1", "C2"),
                "account_id": draw(st.sampled_from(["A1", "A2", "A3"])),
                "direction": draw(st.sampled_from(["debit", "credit"])),
                "amount": draw(st.sampled_from(AMOUNTS[currency])),
                "currency": currency,
                "channel": some(*CHANNELS),
                "merchant_id": some("M1", "M2"),
                "merchant_category": some("5411", "7995"),
                "merchant_country": some("US", "IR", "GB"),
                "counterparty_account_id": some("P1", "P2", "A1"),
                "counterparty_country": some("US", "KY"),
                "device_id": some("D1", "D2"),
                "ip_address": some("10.0.0.1", "10.0.0.2"),
                "latitude": point[0] if point else None,
                "longitude": point[1] if point else None,
            }
        )
    return out


REFERENCE = ReferenceData(merchant_risk={"M1": 1.0}, customer_country={"C1": "GB"})


@settings(max_examples=60, deadline=None)
@given(rows())
def test_adversarial_streams_give_the_same_features(data: list[dict[str, Any]]) -> None:
    assert_parity(pa.Table.from_pylist(data, schema=SCHEMA), REFERENCE)


@settings(max_examples=40, deadline=None)
@given(rows(), st.randoms(use_true_random=False))
def test_late_events_get_the_features_of_their_place_in_event_time(
    data: list[dict[str, Any]], rnd: Any
) -> None:
    """Arrival order shuffled, lateness unbounded: an event whose every predecessor (in
    event time, ties in arrival order) has arrived is scored exactly as offline."""
    rnd.shuffle(data)
    table = pa.Table.from_pylist(data, schema=SCHEMA)
    offline = compute_offline(table, REFERENCE)
    order = {tid: i for i, tid in enumerate(offline["transaction_id"].to_list())}
    expected = offline.select(FEATURE_NAMES).to_numpy()
    engine = OnlineFeatures(REFERENCE, lateness_us=10**15)
    arrived: set[int] = set()
    checked = 0
    for txn in iter_table(table):
        values = engine.compute(txn)
        place = order[txn.transaction_id]
        arrived.add(place)
        if all(p in arrived for p in range(place)):
            np.testing.assert_allclose(values, expected[place], rtol=1e-9, atol=1e-9)
            checked += 1
    assert checked >= 1
    assert engine.stats.too_late == 0
