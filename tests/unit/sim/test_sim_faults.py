from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from finmon.core.errors import ValidationError
from finmon.sim import FaultSpec, inject_faults

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _rows(n: int) -> list[dict[str, object]]:
    return [
        {
            "transaction_id": f"t{i:05d}",
            "occurred_at": T0 + timedelta(seconds=i),
            "account_id": f"a{i % 7}",
            "direction": "debit",
            "amount": "10.00",
            "currency": "USD",
        }
        for i in range(n)
    ]


def test_ratios_are_exact_and_labelled() -> None:
    rows = _rows(2000)
    spec = FaultSpec(duplicates=0.02, out_of_order=0.03, late=0.01, malformed=0.015)
    out, labels = inject_faults(rows, spec, seed=3)
    kinds = Counter(label.kind for label in labels)
    assert kinds == {"duplicate": 40, "out_of_order": 60, "late": 20, "malformed": 30}
    assert len(out) == 2000 + 40
    for label in labels:
        assert out[label.position]["transaction_id"] == label.transaction_id
    faulted = {label.transaction_id for label in labels if label.kind != "duplicate"}
    assert len(faulted) == 110  # no record gets two faults


def test_malformed_records_are_broken() -> None:
    out, labels = inject_faults(_rows(500), FaultSpec(malformed=0.2), seed=1)
    for label in labels:
        record = out[label.position]
        broken = (
            any(
                f not in record
                for f in ("occurred_at", "account_id", "direction", "amount", "currency")
            )
            or record["amount"] != "10.00"
            or record["currency"] != "USD"
            or record["direction"] != "debit"
            or isinstance(record["occurred_at"], str)
        )
        assert broken, label


def test_out_of_order_and_late_break_time_order() -> None:
    out, labels = inject_faults(_rows(1000), FaultSpec(out_of_order=0.05, late=0.02), seed=2)
    times = [r["occurred_at"] for r in out]
    assert times != sorted(times)  # type: ignore[type-var]
    assert sorted(r["transaction_id"] for r in out) == [f"t{i:05d}" for i in range(1000)]


def test_deterministic_by_seed() -> None:
    spec = FaultSpec(duplicates=0.05, malformed=0.05, out_of_order=0.05)
    assert inject_faults(_rows(300), spec, 9) == inject_faults(_rows(300), spec, 9)
    assert inject_faults(_rows(300), spec, 9)[1] != inject_faults(_rows(300), spec, 10)[1]


def test_ratios_over_one_are_refused() -> None:
    with pytest.raises(ValidationError):
        inject_faults(_rows(10), FaultSpec(duplicates=0.5, late=0.5, malformed=0.5), 1)
