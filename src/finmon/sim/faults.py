"""Fault injection for any stream of records: duplicates, disorder, late and malformed records.

Real feeds redeliver, reorder and garble. A reliability test needs those faults
at known ratios and needs to know which records were hit, so injection is
deterministic by seed and returns a label per fault. Ratios are exact: with
ratio r over n records, round(r * n) records get that fault, and no record gets
two. Delivery order is decided by a key per record: an out-of-order record is
delivered a few places later than its turn, a late one hundreds of places
later (or at the end of a short stream), a duplicate is delivered again soon
after the original, and a malformed record replaces the original.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from finmon.core.errors import ValidationError
from finmon.sim.scenarios import FaultSpec
from finmon.sim.world import stream

FAULT_KINDS = ("duplicate", "out_of_order", "late", "malformed")
MALFORMATIONS = (
    "missing_field",
    "bad_amount",
    "bad_currency",
    "naive_timestamp",
    "bad_direction",
)
_REQUIRED = ("transaction_id", "occurred_at", "account_id", "direction", "amount", "currency")
_BAD_AMOUNTS = ("12.345", "-10.00", "1e3", "ten", "", "1,000.00")
_BAD_CURRENCIES = ("XXZ", "usd", "", "US$", "EURO")


@dataclass(frozen=True, slots=True)
class FaultLabel:
    """One injected fault: where it was delivered, which record, what was done to it."""

    position: int
    transaction_id: str
    kind: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "transaction_id": self.transaction_id,
            "kind": self.kind,
            "detail": self.detail,
        }


def _naive(value: Any) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("Z", "").split("+")[0]


def malform(
    row: Mapping[str, Any], how: str, rng: np.random.Generator
) -> tuple[dict[str, Any], str]:
    """A broken copy of ``row`` and a word on what broke."""
    bad = dict(row)
    if how == "missing_field":
        field = str(rng.choice(_REQUIRED[1:]))
        bad.pop(field, None)
        return bad, field
    if how == "bad_amount":
        bad["amount"] = str(rng.choice(_BAD_AMOUNTS))
        return bad, bad["amount"]
    if how == "bad_currency":
        bad["currency"] = str(rng.choice(_BAD_CURRENCIES))
        return bad, bad["currency"]
    if how == "naive_timestamp":
        bad["occurred_at"] = _naive(bad["occurred_at"])
        return bad, bad["occurred_at"]
    bad["direction"] = str(rng.choice(["sideways", "DR", ""]))
    return bad, bad["direction"]


def _counts(spec: FaultSpec, n: int) -> dict[str, int]:
    ratios = {
        "duplicate": spec.duplicates,
        "out_of_order": spec.out_of_order,
        "late": spec.late,
        "malformed": spec.malformed,
    }
    if sum(ratios.values()) > 1.0:
        raise ValidationError("fault ratios add up to more than 1", field="faults")
    return {kind: round(ratio * n) for kind, ratio in ratios.items()}


def inject_faults(
    rows: Sequence[Mapping[str, Any]], spec: FaultSpec, seed: int, name: str = "stream"
) -> tuple[list[dict[str, Any]], list[FaultLabel]]:
    """Deliver ``rows`` with faults; returns (records in delivery order, one label per fault)."""
    n = len(rows)
    rng = stream(seed, "faults", name)
    counts = _counts(spec, n)
    order = rng.permutation(n)
    chosen: dict[str, np.ndarray] = {}
    start = 0
    for kind in FAULT_KINDS:
        chosen[kind] = np.sort(order[start : start + counts[kind]])
        start += counts[kind]
    keys = np.arange(n, dtype=np.float64)
    keys[chosen["out_of_order"]] += rng.uniform(1.5, 20.0, counts["out_of_order"])
    keys[chosen["late"]] += rng.uniform(min(100.0, n), min(1000.0, 2.0 * n), counts["late"])
    records: list[tuple[float, dict[str, Any], str, str]] = []
    bad_rows = set(chosen["malformed"].tolist())
    hows = rng.choice(MALFORMATIONS, counts["malformed"])
    how_of = dict(zip(chosen["malformed"].tolist(), hows.tolist(), strict=True))
    kind_of = {int(i): k for k in ("out_of_order", "late") for i in chosen[k]}
    for i, row in enumerate(rows):
        if i in bad_rows:
            broken, detail = malform(row, how_of[i], rng)
            records.append((keys[i], broken, "malformed", f"{how_of[i]}: {detail}"))
        else:
            records.append((keys[i], dict(row), kind_of.get(i, ""), ""))
    for i in chosen["duplicate"]:
        records.append((i + rng.uniform(0.5, 50.0), dict(rows[int(i)]), "duplicate", ""))
    records.sort(key=lambda r: r[0])
    labels = [
        FaultLabel(pos, str(rows_id(rec)), kind, detail)
        for pos, (_, rec, kind, detail) in enumerate(records)
        if kind
    ]
    return [rec for _, rec, _, _ in records], labels


def rows_id(record: Mapping[str, Any]) -> str:
    return str(record.get("transaction_id", ""))


__all__ = ["FAULT_KINDS", "MALFORMATIONS", "FaultLabel", "inject_faults", "malform"]
