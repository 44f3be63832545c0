"""Money moving between two parties, read from the legs a bank books.

A transfer between two accounts held here is booked twice (a debit on the
sender, a credit on the receiver, same instant and amount); a transfer with a
party elsewhere once. :class:`EdgeStream` turns legs into one :class:`Edge`
per movement, so a graph detector counts each movement once and still cites
both legs as evidence. Card purchases (a merchant id), cash and ATM legs are
not edges: they have no counterparty account.

Parties elsewhere are named by their account number (IBAN) when the leg
carries one, else ``name:<counterparty name>``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from finmon.aml.detectors.base import HOUR_US
from finmon.monitor.transaction import Txn

#: Channels that are card or cash, never an account-to-account transfer.
NON_TRANSFER_CHANNELS = frozenset(
    {"card_present", "card_not_present", "pos", "ecommerce", "atm", "cash_deposit", "cash"}
)


@dataclass(slots=True)
class Edge:
    """One movement of money: ``src`` pays ``dst`` ``amount`` at ``at`` (µs)."""

    src: str
    dst: str
    amount: int
    at: int
    txn_ids: list[str] = field(default_factory=list)
    internal_src: bool = False
    internal_dst: bool = False


def counterparty_node(txn: Txn) -> str | None:
    if txn.counterparty_account_id:
        return txn.counterparty_account_id
    if txn.counterparty_name:
        return f"name:{txn.counterparty_name}"
    return None


def is_transfer(txn: Txn) -> bool:
    """A leg of an account-to-account movement (not a card, cash or ATM leg)."""
    if txn.merchant_id or (txn.channel or "") in NON_TRANSFER_CHANNELS:
        return False
    return counterparty_node(txn) is not None


class EdgeStream:
    """Legs in, one edge per movement out; the mirror leg of an internal transfer is folded
    into the edge its twin made (kept for ``pair_window_us``, a bounded memory)."""

    def __init__(self, pair_window_us: int = HOUR_US) -> None:
        self.pair_window_us = pair_window_us
        self._recent: dict[tuple[str, str, int, int], Edge] = {}
        self._order: deque[tuple[int, tuple[str, str, int, int]]] = deque()
        self.folded: Edge | None = None

    def push(self, txn: Txn) -> Edge | None:
        """The new edge this leg makes, or None (not a transfer, or the twin of a known one:
        then :attr:`folded` is the edge it was folded into)."""
        self.folded = None
        if not is_transfer(txn):
            return None
        other = counterparty_node(txn)
        assert other is not None  # noqa: S101 - is_transfer checked it
        src, dst = (txn.account_id, other) if txn.is_debit else (other, txn.account_id)
        key = (src, dst, txn.amount_minor, txn.occurred_us)
        self._expire(txn.occurred_us)
        known = self._recent.get(key)
        if known is not None:
            self.folded = known
            known.txn_ids.append(txn.transaction_id)
            if txn.is_debit:
                known.internal_src = True
            else:
                known.internal_dst = True
            return None
        edge = Edge(
            src,
            dst,
            txn.amount_minor,
            txn.occurred_us,
            [txn.transaction_id],
            internal_src=txn.is_debit,
            internal_dst=not txn.is_debit,
        )
        self._recent[key] = edge
        self._order.append((txn.occurred_us, key))
        return edge

    def _expire(self, now_us: int) -> None:
        while self._order and now_us - self._order[0][0] > self.pair_window_us:
            _, key = self._order.popleft()
            self._recent.pop(key, None)


__all__ = ["NON_TRANSFER_CHANNELS", "Edge", "EdgeStream", "counterparty_node", "is_transfer"]


class EdgeWindow:
    """The movements of the last ``span_us``, indexed by payer and by payee.

    Each graph detector keeps its own (bounded by the window: edges older than
    ``span_us`` are dropped as time advances; nodes with none are forgotten).
    """

    def __init__(self, span_us: int) -> None:
        self.span_us = span_us
        self.out: dict[str, deque[Edge]] = {}
        self.into: dict[str, deque[Edge]] = {}
        self._all: deque[Edge] = deque()

    def add(self, edge: Edge) -> None:
        self.expire(edge.at)
        self.out.setdefault(edge.src, deque()).append(edge)
        self.into.setdefault(edge.dst, deque()).append(edge)
        self._all.append(edge)

    def expire(self, now_us: int) -> None:
        while self._all and now_us - self._all[0].at > self.span_us:
            old = self._all.popleft()
            for index, node in ((self.out, old.src), (self.into, old.dst)):
                edges = index.get(node)
                if edges and edges[0] is old:
                    edges.popleft()
                elif edges:
                    edges.remove(old)
                if edges is not None and not edges:
                    del index[node]

    def out_of(self, node: str) -> deque[Edge]:
        return self.out.get(node) or deque()

    def into_of(self, node: str) -> deque[Edge]:
        return self.into.get(node) or deque()

    def degree(self, node: str) -> int:
        """Distinct parties ``node`` paid or was paid by in the window."""
        return len({e.dst for e in self.out_of(node)} | {e.src for e in self.into_of(node)})


__all__ += ["EdgeWindow"]
