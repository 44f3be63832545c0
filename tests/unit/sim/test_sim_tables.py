from __future__ import annotations

import numpy as np

from finmon.sim.tables import decimal_strings, hex_ids


def test_hex_ids() -> None:
    values = np.array([0, 1, 2**64 - 1, 0xDEADBEEF], dtype=np.uint64)
    assert hex_ids(values).to_pylist() == [
        "tx0000000000000000",
        "tx0000000000000001",
        "txffffffffffffffff",
        "tx00000000deadbeef",
    ]


def test_decimal_strings_by_exponent() -> None:
    minor = np.array([1, 10, 123456, 100], dtype=np.int64)
    assert decimal_strings(minor, 2).to_pylist() == ["0.01", "0.10", "1234.56", "1.00"]
    assert decimal_strings(minor, 0).to_pylist() == ["1", "10", "123456", "100"]
    assert decimal_strings(minor, 3).to_pylist() == ["0.001", "0.010", "123.456", "0.100"]
