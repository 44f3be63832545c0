"""Findings against labelled typology instances: recall, precision, time to alert.

Matching rule: a finding *matches* an instance when they share at least one
transaction id (the evidence overlaps the pattern; sharing an account alone is
not enough, because mule and ring accounts also carry honest activity and an
account-level match would credit a detector for flagging the wrong money).

Per typology T:

* ``instances``: labelled instances of T; ``detected``: those matched by at
  least one finding *of typology T*; ``recall`` = detected / instances.
* ``findings``: findings of T; ``precision`` = findings of T that match an
  instance of T / findings of T.
* ``precision_any``: findings of T that match an instance of *any* AML
  typology / findings of T (a pass-through finding on a mule is still a good
  alert, just filed under another name).
* ``median_time_to_alert_hours``: over detected instances, from the instance's
  start to the event time at which a finding of T first overlapped it — the
  ``updated_at`` of the earliest finding *version* that shares a transaction
  with it (a finding opened on other evidence and later extended onto the
  instance alerts on it only from that extension);
  ``median_after_end_hours`` the same measured from the instance's end
  (negative: fired before the pattern was complete).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from finmon.aml.detectors.base import HOUR_US, Finding
from finmon.monitor.transaction import to_micros
from finmon.sources.typologies import AML_TYPOLOGIES


@dataclass(frozen=True, slots=True)
class Instance:
    """One labelled pattern instance (from ``ground_truth.*``)."""

    instance_id: str
    typology: str
    start_us: int
    end_us: int
    account_ids: frozenset[str]
    transaction_ids: frozenset[str]


def instances_from(table: pa.Table, typologies: Sequence[str] = AML_TYPOLOGIES) -> list[Instance]:
    """AML instances of a ground-truth table (fraud typologies are left out)."""
    out: list[Instance] = []
    for row in table.to_pylist():
        if row.get("typology") not in typologies:
            continue
        out.append(
            Instance(
                instance_id=str(row["instance_id"]),
                typology=str(row["typology"]),
                start_us=_micros(row["start"]),
                end_us=_micros(row["end"]),
                account_ids=frozenset(_ids(row.get("account_ids"))),
                transaction_ids=frozenset(_ids(row.get("transaction_ids"))),
            )
        )
    return out


def _micros(value: Any) -> int:
    return to_micros(value) if isinstance(value, datetime) else int(value)


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [str(v) for v in json.loads(value)]
    return [str(v) for v in value]


@dataclass(frozen=True, slots=True)
class TypologyScore:
    """The figures for one typology (see the module docstring)."""

    typology: str
    instances: int
    detected: int
    findings: int
    true_findings: int
    any_findings: int
    times_to_alert_h: tuple[float, ...]
    after_end_h: tuple[float, ...]
    missed: tuple[str, ...]

    @property
    def recall(self) -> float | None:
        return self.detected / self.instances if self.instances else None

    @property
    def precision(self) -> float | None:
        return self.true_findings / self.findings if self.findings else None

    @property
    def precision_any(self) -> float | None:
        return self.any_findings / self.findings if self.findings else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "typology": self.typology,
            "instances": self.instances,
            "detected": self.detected,
            "recall": _round(self.recall),
            "findings": self.findings,
            "precision": _round(self.precision),
            "precision_any": _round(self.precision_any),
            "median_time_to_alert_hours": _median(self.times_to_alert_h),
            "median_after_end_hours": _median(self.after_end_h),
            "missed_instances": list(self.missed),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def score_findings(
    versions: Iterable[Finding], instances: Sequence[Instance]
) -> dict[str, TypologyScore]:
    """Per-typology figures for findings against ``instances`` (the module's rule).

    ``versions`` may hold every version a stream emitted (an extended finding
    comes again with the same id) or only final ones; counts use the last
    version of each id, time to alert the earliest version that overlapped.
    """
    by_txn: dict[str, list[Instance]] = {}
    for inst in instances:
        for tid in inst.transaction_ids:
            by_txn.setdefault(tid, []).append(inst)
    first_alert: dict[str, int] = {}
    final: dict[str, Finding] = {}
    for found in versions:
        final[found.finding_id] = found
        for tid in found.transaction_ids:
            for inst in by_txn.get(tid, []):
                if inst.typology != found.typology:
                    continue
                known = first_alert.get(inst.instance_id)
                if known is None or found.updated_at < known:
                    first_alert[inst.instance_id] = found.updated_at
    counts: dict[str, list[int]] = {}
    for found in final.values():
        hit = {i.instance_id: i for t in found.transaction_ids for i in by_txn.get(t, [])}
        same = [i for i in hit.values() if i.typology == found.typology]
        tally = counts.setdefault(found.typology, [0, 0, 0])
        tally[0] += 1
        tally[1] += bool(same)
        tally[2] += bool(hit)
    typologies = sorted({i.typology for i in instances} | set(counts))
    out: dict[str, TypologyScore] = {}
    for typ in typologies:
        mine = [i for i in instances if i.typology == typ]
        hits = [i for i in mine if i.instance_id in first_alert]
        tally = counts.get(typ, [0, 0, 0])
        out[typ] = TypologyScore(
            typology=typ,
            instances=len(mine),
            detected=len(hits),
            findings=tally[0],
            true_findings=tally[1],
            any_findings=tally[2],
            times_to_alert_h=tuple(
                (first_alert[i.instance_id] - i.start_us) / HOUR_US for i in hits
            ),
            after_end_h=tuple((first_alert[i.instance_id] - i.end_us) / HOUR_US for i in hits),
            missed=tuple(sorted(i.instance_id for i in mine if i.instance_id not in first_alert)),
        )
    return out


def ring_account_recall(findings: Iterable[Finding], instance: Instance) -> float | None:
    """Share of an instance's accounts named in findings of its typology (a ring's coverage)."""
    if not instance.account_ids:
        return None
    named = {
        a
        for f in findings
        if f.typology == instance.typology and set(f.transaction_ids) & instance.transaction_ids
        for a in f.account_ids
    }
    return len(named & instance.account_ids) / len(instance.account_ids)


__all__ = [
    "AML_TYPOLOGIES",
    "Instance",
    "TypologyScore",
    "instances_from",
    "ring_account_recall",
    "score_findings",
]
