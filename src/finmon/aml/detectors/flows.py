"""Flow-through typologies: rapid movement (pass-through), fan-in, fan-out.

These read one account at a time: what came in, what went out and to or from
how many distinct parties, in a sliding event-time window. Own-account
transfers (both accounts held by one customer) are not counterparties: moving
one's savings is not layering.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

from finmon.aml.detectors.base import DAY_US, HOUR_US, Detector, Finding, money
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.edges import counterparty_node, is_transfer
from finmon.aml.detectors.window import KeyedWindow
from finmon.monitor.transaction import Txn


class _Owners:
    """Which customer holds an account, from the reference file or learned from legs.

    Memory grows with the number of accounts held here (not with time): the
    account master a bank already keeps.
    """

    def __init__(self, context: AmlContext) -> None:
        self._known = dict(context.account_customer)

    def learn(self, txn: Txn) -> None:
        self._known.setdefault(txn.account_id, txn.customer_id)

    def own_transfer(self, txn: Txn) -> bool:
        other = txn.counterparty_account_id
        return other is not None and self._known.get(other) == txn.customer_id


# -- rapid movement -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RapidMovementParams:
    """Pass-through thresholds (see docs/aml.md).

    Attributes:
        min_inflow_minor: a credit that can start a pass-through (USD 3,000: the
            recordkeeping threshold of the funds-transfer "travel rule").
        max_hold_hours: money leaves within this long of arriving (two days: "in and
            out within hours or days" is how FinCEN/FATF describe pass-through).
        min_out_fraction: share of the credit that must leave (80%: a little kept
            as a cut or fees).
        max_out_fraction: and at most this share (the outflows are *that* money, not
            the turnover of an account that pays out far more than it got).
        min_inflow_share: the credit must be at least this share of everything that
            came in over the holding period (a busy account's turnover is not one
            sum passing through).
        income_months: when the customer's declared income is known, the credit must
            also exceed this many months of it (a salary paid in and rent paid out is
            the customer's own money, in line with the profile).
        window_days: a chain of pass-throughs continues one finding for this long.
    """

    min_inflow_minor: int = 300_000
    max_hold_hours: float = 48.0
    min_out_fraction: float = 0.8
    max_out_fraction: float = 1.25
    min_inflow_share: float = 0.5
    income_months: float = 1.0
    window_days: float = 3.0


class RapidMovementDetector(Detector):
    """A material credit mostly paid out again within hours; chains of such accounts are
    one finding (the money is followed from account to account)."""

    typology = "rapid_movement"
    params: RapidMovementParams

    def __init__(
        self, params: RapidMovementParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or RapidMovementParams(), context)
        hold = int(self.params.max_hold_hours * HOUR_US)
        self._in: KeyedWindow[Txn] = KeyedWindow(hold)
        self._out: KeyedWindow[Txn] = KeyedWindow(hold)
        self._credits: KeyedWindow[int] = KeyedWindow(2 * hold)
        self._chain: KeyedWindow[str] = KeyedWindow(int(self.params.window_days * DAY_US))
        self._owners = _Owners(self.context)

    def observe(self, txn: Txn) -> list[Finding]:
        self._owners.learn(txn)
        if txn.merchant_id or self._owners.own_transfer(txn):
            return []
        p = self.params
        if not txn.is_debit:
            self._credits.add(txn.account_id, txn.occurred_us, txn.amount_minor)
            floor = max(
                p.min_inflow_minor,
                p.income_months * self.context.monthly_income_minor.get(txn.customer_id, 0),
            )
            if txn.amount_minor >= floor and is_transfer(txn):
                self._in.add(txn.account_id, txn.occurred_us, txn)
            return []
        if not is_transfer(txn) and txn.channel != "atm":
            return []
        outs = self._out.add(txn.account_id, txn.occurred_us, txn)
        credits = self._credits.get(txn.account_id, txn.occurred_us)
        hold = int(p.max_hold_hours * HOUR_US)
        for at, inflow in self._in.get(txn.account_id, txn.occurred_us):
            after = [t for t_at, t in outs if t_at >= at]
            paid = sum(t.amount_minor for t in after)
            amount = inflow.amount_minor
            if not p.min_out_fraction * amount <= paid <= p.max_out_fraction * amount:
                continue
            came_in = sum(a for c_at, a in credits if at - hold <= c_at <= txn.occurred_us)
            if amount >= p.min_inflow_share * came_in:
                return self._fire(txn, inflow, after, paid)
        return []

    def _fire(self, txn: Txn, inflow: Txn, outs: list[Txn], paid: int) -> list[Finding]:
        source = inflow.counterparty_account_id or ""
        upstream = self._chain.get(source, txn.occurred_us) if source else None
        key = upstream[-1][1] if upstream else f"{txn.account_id}:{inflow.transaction_id}"
        self._chain.add(txn.account_id, txn.occurred_us, key)
        hours = (txn.occurred_us - inflow.occurred_us) / HOUR_US
        share = paid / max(inflow.amount_minor, 1)
        score = 55 + 25 * min(share, 1.0) + 20 * max(0.0, 1 - hours / self.params.max_hold_hours)
        narrative = (
            f"account {txn.account_id} received {money(inflow.amount_minor, txn.currency)} and "
            f"sent {share:.0%} of it on within {hours:.1f} hours"
            + (" (a further hop of a chain)" if upstream else "")
        )
        evidence = [inflow, *outs]
        found = self.book.report(
            key,
            txn.occurred_us,
            accounts=[txn.account_id],
            transactions=[(t.occurred_us, t.transaction_id) for t in evidence],
            score=score,
            narrative=narrative,
        )
        return [found] if found else []


# -- fan-in / fan-out ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FanParams:
    """Many-to-one (fan-in) or one-to-many (fan-out) thresholds (see docs/aml.md).

    Attributes:
        window_days: the window distinct parties are counted in (one week).
        min_counterparties: distinct parties for a personal account (10: a person
            rarely pays, or is paid by, ten different parties by transfer in a week).
        business_memory_days: a business is expected to have many payers and payees (its
            KYC profile: merchants' takings, payroll), so for a business only parties
            *new* to it — not seen in this many days before the window — count, and only
            once the detector has watched it that long (two weeks: biweekly payroll
            recurs within it).
        business_factor: and a business needs this many times as many new parties, and
            this many times the distinct parties of its own previous window (a surge,
            not a busy corporate's normal week).
        min_total_minor: the movements must add up to a material sum (USD 3,000).
    """

    window_days: float = 7.0
    min_counterparties: int = 10
    business_memory_days: float = 14.0
    business_factor: float = 2.0
    min_total_minor: int = 300_000


class _FanDetector(Detector):
    """Distinct counterparties per account over a sliding window, one direction."""

    params: FanParams
    debit_side: bool

    def __init__(self, params: FanParams | None = None, context: AmlContext | None = None) -> None:
        super().__init__(params or FanParams(), context)
        self._legs: KeyedWindow[Txn] = KeyedWindow(int(self.params.window_days * DAY_US))
        memory = self.params.window_days + self.params.business_memory_days
        self._seen: KeyedWindow[str | None] = KeyedWindow(int(memory * DAY_US))
        self._owners = _Owners(self.context)
        self._start: int | None = None

    def observe(self, txn: Txn) -> list[Finding]:
        self._owners.learn(txn)
        if txn.is_debit != self.debit_side or not is_transfer(txn):
            return []
        if self._owners.own_transfer(txn):
            return []
        if self._start is None:
            self._start = txn.occurred_us
        live = self._legs.add(txn.account_id, txn.occurred_us, txn)
        seen = self._seen.add(txn.account_id, txn.occurred_us, counterparty_node(txn))
        needed = self.params.min_counterparties
        parties = {counterparty_node(t) for _, t in live}
        if self.context.is_business(txn.customer_id):
            needed = round(needed * self.params.business_factor)
            if txn.occurred_us - self._start < self._seen.span_us:
                return []  # its usual parties are not known yet
            cutoff = txn.occurred_us - int(self.params.window_days * DAY_US)
            before = {node for at, node in seen if at < cutoff}
            earlier = cutoff - int(self.params.window_days * DAY_US)
            usual = len({node for at, node in seen if earlier <= at < cutoff})
            needed = max(needed, round(self.params.business_factor * usual))
            parties -= before
        if len(parties) < needed:
            return []
        total = sum(t.amount_minor for _, t in live)
        if total < self.params.min_total_minor:
            return []
        score = 55 + 30 * min(1.0, (len(parties) - needed) / needed) + 15 * (total >= 1_000_000)
        days = (live[-1][0] - live[0][0]) / DAY_US
        found = self.book.report(
            txn.account_id,
            txn.occurred_us,
            accounts=[txn.account_id, *self._internal(live)],
            transactions=[(at, t.transaction_id) for at, t in live],
            score=score,
            narrative=self._narrative(txn, len(parties), total, days),
        )
        return [found] if found else []

    def _internal(self, live: Iterable[tuple[int, Txn]]) -> list[str]:
        known = self._owners._known  # noqa: SLF001 - same module
        return [
            t.counterparty_account_id
            for _, t in live
            if t.counterparty_account_id and t.counterparty_account_id in known
        ]

    @abstractmethod
    def _narrative(self, txn: Txn, parties: int, total: int, days: float) -> str:
        """The finding's sentence, in the direction of the subclass (in or out)."""


class FanInDetector(_FanDetector):
    """Fan-in: many distinct senders pay one account (collection of proceeds)."""

    typology = "fan_in"
    debit_side = False

    def _narrative(self, txn: Txn, parties: int, total: int, days: float) -> str:
        return (
            f"account {txn.account_id} received {money(total, txn.currency)} from "
            f"{parties} distinct senders in {days:.1f} days"
        )


class FanOutDetector(_FanDetector):
    """Fan-out: one account pays many distinct receivers (distribution of proceeds)."""

    typology = "fan_out"
    debit_side = True

    def _narrative(self, txn: Txn, parties: int, total: int, days: float) -> str:
        return (
            f"account {txn.account_id} paid {money(total, txn.currency)} to "
            f"{parties} distinct receivers in {days:.1f} days"
        )


__all__ = [
    "FanInDetector",
    "FanOutDetector",
    "FanParams",
    "RapidMovementDetector",
    "RapidMovementParams",
]
