"""Structuring (smurfing): cash placed in pieces below the reporting threshold.

Definition (FinCEN, 31 U.S.C. 5324; FATF placement typologies): a customer
breaks cash that would be reportable into deposits each below the threshold,
repeated over days, often at different branches or into several accounts. The
detector aggregates per *customer* (so deposits split across the customer's
accounts and branches count together): it fires when, within ``window_days``,
there are at least ``min_deposits`` cash deposits each between
``low_fraction`` and 100% of the threshold whose total exceeds
``min_total_fraction`` x the threshold — the sum that, deposited at once, would
have been reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from finmon.aml.detectors.base import DAY_US, HOUR_US, Detector, Finding, money
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.window import KeyedWindow
from finmon.monitor.transaction import Txn


@dataclass(frozen=True, slots=True)
class StructuringParams:
    """Thresholds (see docs/aml.md for why each default).

    Attributes:
        low_fraction: a deposit counts from this share of the threshold (FinCEN cases
            show structurers well below the limit, not only at 9,9xx).
        window_days: how far back deposits are aggregated (two weeks: a CTR aggregates
            per business day; structuring is "over several days").
        min_deposits: sub-threshold deposits needed in the window.
        min_total_fraction: their total must exceed this multiple of the threshold.
        same_day_hours: two or more sub-threshold deposits within this many hours that
            together exceed the threshold evade the daily aggregation of a CTR.
        business_factor: a business's KYC profile expects daily cash takings, so for a
            business the window must hold this many times the sub-threshold deposits of
            its own previous window (the same length) — a surge, not its routine — and
            the detector must have watched it for one full previous window first.
        min_locations: distinct branches (rounded coordinates) that add to the score.
        cash_channels: channels that are cash placed at the bank.
    """

    low_fraction: float = 0.5
    window_days: float = 14.0
    min_deposits: int = 3
    min_total_fraction: float = 1.0
    same_day_hours: float = 24.0
    business_factor: float = 2.0
    min_locations: int = 2
    cash_channels: frozenset[str] = frozenset({"cash_deposit", "cash", "branch"})


class StructuringDetector(Detector):
    """Sub-threshold cash deposits per customer in a sliding window."""

    typology = "structuring"
    params: StructuringParams

    def __init__(
        self, params: StructuringParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or StructuringParams(), context)
        span = int(self.params.window_days * DAY_US)
        self._deposits: KeyedWindow[Txn] = KeyedWindow(span)
        self._history: KeyedWindow[int] = KeyedWindow(2 * span)
        self._start: int | None = None

    def observe(self, txn: Txn) -> list[Finding]:
        p = self.params
        if self._start is None:
            self._start = txn.occurred_us
        if txn.is_debit or (txn.channel or "") not in p.cash_channels:
            return []
        threshold = self.context.threshold(txn.currency)
        if not p.low_fraction * threshold <= txn.amount_minor < threshold:
            return []
        live = self._deposits.add(txn.customer_id, txn.occurred_us, txn)
        history = self._history.add(txn.customer_id, txn.occurred_us, txn.amount_minor)
        total = sum(t.amount_minor for _, t in live)
        day = [
            t.amount_minor for at, t in live if txn.occurred_us - at <= p.same_day_hours * HOUR_US
        ]
        same_day = len(day) >= 2 and sum(day) > threshold
        repeated = len(live) >= p.min_deposits and total > p.min_total_fraction * threshold
        if not (same_day or repeated):
            return []
        if self.context.is_business(txn.customer_id) and not self._surge(txn, len(live), history):
            return []
        places = {
            (round(t.latitude, 2), round(t.longitude, 2))
            for _, t in live
            if t.latitude is not None and t.longitude is not None
        }
        accounts = {t.account_id for _, t in live}
        near = sum(t.amount_minor >= 0.9 * threshold for _, t in live) / len(live)
        score = 50 + 5 * min(len(live) - p.min_deposits, 4) + 15 * near
        score += 10 if len(places) >= p.min_locations else 0
        score += 5 if len(accounts) > 1 else 0
        days = (live[-1][0] - live[0][0]) / DAY_US
        narrative = (
            f"customer {txn.customer_id} deposited {len(live)} cash amounts below the "
            f"{money(threshold, txn.currency)} reporting threshold totalling "
            f"{money(total, txn.currency)} over {days:.1f} days into {len(accounts)} account(s) "
            f"at {max(len(places), 1)} location(s)"
        )
        found = self.book.report(
            txn.customer_id,
            txn.occurred_us,
            accounts=accounts,
            transactions=[(at, t.transaction_id) for at, t in live],
            score=score,
            narrative=narrative,
        )
        return [found] if found else []

    def _surge(self, txn: Txn, count: int, history: Iterable[tuple[int, int]]) -> bool:
        """A business's window holds ``business_factor`` x its previous window's deposits."""
        span = int(self.params.window_days * DAY_US)
        assert self._start is not None  # noqa: S101 - set by the first observe
        if txn.occurred_us - self._start < 2 * span:
            return False  # no full previous window watched yet: its routine is unknown
        before = sum(1 for at, _ in history if at < txn.occurred_us - span)
        return count >= self.params.business_factor * max(before, 1)


__all__ = ["StructuringDetector", "StructuringParams"]
