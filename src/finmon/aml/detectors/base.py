"""What every typology detector shares: the finding, de-duplication, the detector contract.

A detector reads transactions in event-time order (``observe``) and keeps only
bounded, windowed state per account; ``detect`` replays a history through a
fresh copy of the detector in event-time order, so batch and stream give the
same findings by construction (one code path, no second implementation to
drift). A finding is the evidence an analyst and a regulator need: the
transactions and accounts that make the pattern, when it started, and the event
time at which the detector could first have raised it.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass, replace
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from finmon.aml.detectors.context import AmlContext
from finmon.core.currency import get_currency
from finmon.monitor.transaction import Txn, iter_table

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


def money(minor: int, currency: str) -> str:
    """An amount for a narrative: ``12,345.67 USD`` (minor units shown in major units)."""
    try:
        exponent = get_currency(currency).exponent
    except Exception:  # noqa: BLE001 - an unknown code still reads as cents
        exponent = 2
    return f"{minor / 10**exponent:,.{exponent}f} {currency}"


def finding_id(typology: str, transaction_ids: Iterable[str]) -> str:
    """Deterministic id: typology plus the sorted evidence that first fired the finding.

    The id is taken from the *first* evidence, not the final one, so a finding
    that later evidence extends keeps its identity (a case opened on it stays
    the same case).
    """
    digest = hashlib.sha256(typology.encode())
    for tid in sorted(set(transaction_ids)):
        digest.update(b"\x1f" + tid.encode())
    return f"aml-{typology}-{digest.hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One instance of a typology, as an investigator would write it up.

    Times are integer microseconds since the epoch (event time, UTC):
    ``first_event_at`` is the earliest evidence, ``detected_at`` the event time
    of the transaction that made the detector fire, ``updated_at`` that of the
    latest evidence that extended it.
    """

    finding_id: str
    typology: str
    score: int
    account_ids: tuple[str, ...]
    transaction_ids: tuple[str, ...]
    first_event_at: int
    detected_at: int
    updated_at: int
    narrative: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Open:
    finding: Finding
    accounts: set[str]
    txns: dict[str, None]  # insertion-ordered set: evidence in the order it arrived
    last_us: int


class FindingBook:
    """One finding per pattern instance: a key (the hub account, the customer...) stays open
    while new evidence arrives within ``ttl_us`` of the last; the evidence is then merged
    into the open finding (same id, union of accounts and transactions, highest score, the
    latest narrative). After ``ttl_us`` of silence the key closes and new evidence starts a
    new finding. State is bounded by the keys open within the last ``ttl_us``.
    """

    def __init__(self, typology: str, parameters: Mapping[str, Any], ttl_us: int) -> None:
        self.typology = typology
        self.parameters = dict(parameters)
        self.ttl_us = ttl_us
        self._open: dict[Any, _Open] = {}
        self._last_sweep = 0

    def is_open(self, key: Any, now_us: int) -> bool:
        entry = self._open.get(key)
        return entry is not None and now_us - entry.last_us <= self.ttl_us

    def evidence_narrative(self, key: Any) -> str:
        """The open finding's narrative under ``key`` ("" if none)."""
        entry = self._open.get(key)
        return entry.finding.narrative if entry else ""

    def evidence(self, key: Any) -> tuple[set[str], set[str]]:
        """Accounts and transactions already in the open finding under ``key``."""
        entry = self._open.get(key)
        return (set(entry.accounts), set(entry.txns)) if entry else (set(), set())

    def report(
        self,
        key: Any,
        now_us: int,
        *,
        accounts: Iterable[str],
        transactions: Iterable[tuple[int, str]],
        score: float,
        narrative: str,
    ) -> Finding | None:
        """Open or extend the finding under ``key``; the new version, or None if unchanged.

        ``transactions`` are ``(event time, id)`` pairs of the evidence.
        """
        self._sweep(now_us)
        evidence = sorted(set(transactions))
        points = max(0, min(100, round(score)))
        entry = self._open.get(key)
        if entry is None or now_us - entry.last_us > self.ttl_us:
            ids = [tid for _, tid in evidence]
            first = evidence[0][0] if evidence else now_us
            found = Finding(
                finding_id=finding_id(self.typology, ids),
                typology=self.typology,
                score=points,
                account_ids=tuple(sorted(set(accounts))),
                transaction_ids=tuple(ids),
                first_event_at=first,
                detected_at=now_us,
                updated_at=now_us,
                narrative=narrative,
                parameters=self.parameters,
            )
            self._open[key] = _Open(found, set(found.account_ids), dict.fromkeys(ids), now_us)
            return found
        before = (len(entry.accounts), len(entry.txns), entry.finding.score)
        entry.accounts.update(accounts)
        entry.txns.update(dict.fromkeys(tid for _, tid in evidence))
        entry.last_us = now_us
        old = entry.finding
        first = min([old.first_event_at, *(t for t, _ in evidence)])
        if (len(entry.accounts), len(entry.txns), max(old.score, points)) == before:
            return None
        entry.finding = replace(
            old,
            score=max(old.score, points),
            account_ids=tuple(sorted(entry.accounts)),
            transaction_ids=tuple(entry.txns),
            first_event_at=first,
            updated_at=now_us,
            narrative=narrative,
        )
        return entry.finding

    def _sweep(self, now_us: int) -> None:
        """Forget keys silent for longer than the ttl (amortised: at most once an hour)."""
        if now_us - self._last_sweep < HOUR_US:
            return
        self._last_sweep = now_us
        stale = [k for k, e in self._open.items() if now_us - e.last_us > self.ttl_us]
        for k in stale:
            del self._open[k]


def params_dict(params: object) -> dict[str, Any]:
    """A parameter dataclass as plain data (tuples and frozensets as sorted lists)."""
    if not is_dataclass(params) or isinstance(params, type):
        return {}
    out: dict[str, Any] = {}
    for name, value in asdict(params).items():
        if isinstance(value, frozenset | set):
            out[name] = sorted(value)
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out


class Detector(ABC):
    """A typology detector: ``observe`` one transaction at a time, ``detect`` over history.

    ``observe`` returns the findings this transaction created or extended (an
    extended finding comes back with the same ``finding_id``: consumers upsert).
    """

    typology: ClassVar[str]

    def __init__(self, params: Any, context: AmlContext | None = None) -> None:
        self.params = params
        self.context = context or AmlContext()
        self.book = FindingBook(self.typology, params_dict(params), self.ttl_us())

    def ttl_us(self) -> int:
        """How long a finding stays open for extension: by default the detector's window."""
        window = getattr(self.params, "window_days", 7.0)
        return int(float(window) * DAY_US)

    @abstractmethod
    def observe(self, txn: Txn) -> list[Finding]:
        """Update state with one transaction (event-time order); findings it fired or grew."""

    def fresh(self) -> Detector:
        """A new detector with the same parameters and context and empty state."""
        return type(self)(self.params, self.context)

    def detect(self, table: pa.Table | Iterable[Txn]) -> list[Finding]:
        """Batch: replay ``table`` in event-time order through a fresh copy (see the module)."""
        replica = self.fresh()
        latest: dict[str, Finding] = {}
        for txn in ordered(table):
            for found in replica.observe(txn):
                latest[found.finding_id] = found
        return sorted(latest.values(), key=lambda f: (f.detected_at, f.finding_id))


def ordered(table: pa.Table | Iterable[Txn]) -> Iterator[Txn]:
    """Transactions in event-time order (a stable sort: ties keep their file order)."""
    if isinstance(table, pa.Table):
        if table.num_rows == 0:
            return iter(())
        order = pc.sort_indices(table, sort_keys=[("occurred_at", "ascending")])
        return iter_table(table.take(order))
    return iter(sorted(table, key=lambda t: t.occurred_us))


__all__ = [
    "DAY_US",
    "HOUR_US",
    "Detector",
    "Finding",
    "FindingBook",
    "finding_id",
    "money",
    "ordered",
    "params_dict",
]
