"""Money-mule networks: accounts that receive third-party money and pass it on quickly.

Definition (Europol EMMA, FinCEN mule advisories): a mule receives funds from
parties it has no relation with and, within hours or a couple of days, cashes
them out or forwards most of them (keeping a cut) to a herder; a network is
several such accounts feeding the same herder or operated from the same
device or IP address. The detector marks a *mule episode* on an account (a
credit of at least ``min_inflow_minor`` of which ``min_forward_fraction`` or
more leaves by ATM cash or transfer within ``max_hold_hours``) and raises a
finding when ``min_accounts`` accounts with episodes are linked, within the
window, by a common onward payee, device or IP address — or when one account
has ``min_episodes`` episodes from distinct senders (one mule, several victims).
Links through payees, devices or IPs shared by many accounts (a biller, a
public hotspot) are not evidence and are ignored (``max_link_accounts``).
Business accounts are not mules: turning money over is their profile.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from finmon.aml.detectors.base import DAY_US, HOUR_US, Detector, Finding, money
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.edges import counterparty_node, is_transfer
from finmon.aml.detectors.layering import NodeKeys
from finmon.aml.detectors.window import KeyedWindow
from finmon.monitor.transaction import Txn


@dataclass(frozen=True, slots=True)
class MuleParams:
    """Thresholds (see docs/aml.md).

    Attributes:
        window_days: episodes are linked within this (two weeks).
        max_hold_hours: a mule forwards within this (two days).
        min_inflow_minor: a credit that can start an episode (USD 200: mules move
            small sums, often many).
        min_forward_fraction: share of the credit that leaves (70%: a cut is kept)...
        max_forward_fraction: ...and at most this share (125%) of everything received
            since: a rent payment three times the size of a friend's transfer is not
            that transfer passed on.
        min_accounts: mule accounts linked through one onward payee that make a network
            (3: two people paying the same landlord is not a network).
        min_device_accounts: accounts linked by a shared device that make a network (2:
            a device is personal; sharing one is the stronger link). An IP address is
            shared by households, carriers and hotspots: it links like a payee.
        min_episodes: episodes from distinct senders that flag one account alone (3).
        max_link_accounts: a payee, device or IP used by more accounts than this
            in the window is common infrastructure, not a link.
    """

    window_days: float = 14.0
    max_hold_hours: float = 48.0
    min_inflow_minor: int = 20_000
    min_forward_fraction: float = 0.7
    max_forward_fraction: float = 1.25
    min_accounts: int = 3
    min_device_accounts: int = 2
    min_episodes: int = 3
    max_link_accounts: int = 12


@dataclass(frozen=True, slots=True)
class _Episode:
    account: str
    inflow: Txn
    outs: tuple[Txn, ...]


class MuleNetworkDetector(Detector):
    """Mule episodes per account, linked into networks by payee, device or IP."""

    typology = "mule_network"
    params: MuleParams

    def __init__(self, params: MuleParams | None = None, context: AmlContext | None = None) -> None:
        super().__init__(params or MuleParams(), context)
        hold = int(self.params.max_hold_hours * HOUR_US)
        span = int(self.params.window_days * DAY_US)
        self._in: KeyedWindow[Txn] = KeyedWindow(hold)
        self._out: KeyedWindow[Txn] = KeyedWindow(hold)
        self._episodes: KeyedWindow[_Episode] = KeyedWindow(span)
        self._links: KeyedWindow[str] = KeyedWindow(span)
        self._users: KeyedWindow[str] = KeyedWindow(span)
        self._nodes = NodeKeys(span)

    def observe(self, txn: Txn) -> list[Finding]:
        if txn.merchant_id or self.context.is_business(txn.customer_id):
            return []
        for link in self._link_keys(txn):
            self._users.add(link, txn.occurred_us, txn.account_id)
        if not txn.is_debit:
            if txn.amount_minor >= self.params.min_inflow_minor and is_transfer(txn):
                self._in.add(txn.account_id, txn.occurred_us, txn)
            return []
        if not is_transfer(txn) and txn.channel != "atm":
            return []
        outs = self._out.add(txn.account_id, txn.occurred_us, txn)
        episode = self._episode(txn, outs)
        return self._link(txn, episode) if episode else []

    def _link_keys(self, txn: Txn) -> list[str]:
        keys = []
        if txn.is_debit and is_transfer(txn):
            keys.append(f"payee:{counterparty_node(txn)}")
        if txn.device_id:
            keys.append(f"device:{txn.device_id}")
        if txn.ip_address:
            keys.append(f"ip:{txn.ip_address}")
        return keys

    def _episode(self, txn: Txn, outs: deque[tuple[int, Txn]]) -> _Episode | None:
        inflows = self._in.get(txn.account_id, txn.occurred_us)
        for at, inflow in inflows:
            need = self.params.min_forward_fraction * inflow.amount_minor
            # a mule may forward several credits in one payment: the cap is on all of them
            received = sum(t.amount_minor for t_at, t in inflows if t_at >= at)
            paid = 0
            used: list[Txn] = []
            for t_at, t in outs:
                if t_at >= at:
                    used.append(t)
                    paid += t.amount_minor
                    if paid >= need:  # the fewest payments that carry the money on
                        cap = self.params.max_forward_fraction * received
                        if paid > cap:
                            break
                        return _Episode(txn.account_id, inflow, tuple(used))
        return None

    def _link(self, txn: Txn, episode: _Episode) -> list[Finding]:
        p = self.params
        now = txn.occurred_us
        mine = self._episodes.add(txn.account_id, now, episode)
        by_payee = {txn.account_id}
        by_device = {txn.account_id}
        for out in episode.outs:
            for key in self._link_keys(out):
                users = {a for _, a in self._users.get(key, now)}
                if len(users) > p.max_link_accounts:
                    continue
                group = by_device if key.startswith("device:") else by_payee
                group.update(a for _, a in self._links.add(key, now, txn.account_id))
        linked = {txn.account_id}
        if len(by_payee) >= p.min_accounts:
            linked |= by_payee
        if len(by_device) >= p.min_device_accounts:
            linked |= by_device
        senders = {counterparty_node(e.inflow) for _, e in mine}
        if len(linked) < 2 and len(senders) < p.min_episodes:
            return []
        episodes = [e for a in sorted(linked) for _, e in self._episodes.get(a, now)]
        evidence = [
            (t.occurred_us, t.transaction_id) for e in episodes for t in (e.inflow, *e.outs)
        ]
        moved = sum(e.inflow.amount_minor for e in episodes)
        cash = sum(t.channel == "atm" for e in episodes for t in e.outs)
        score = 55 + 8 * min(len(linked), 5) + 2 * min(len(episodes), 5)
        narrative = (
            f"{len(linked)} account(s) received {money(moved, txn.currency)} in "
            f"{len(episodes)} payment(s) and passed most of each on within "
            f"{p.max_hold_hours:.0f} hours ({cash} cash withdrawal(s))"
        )
        key = self._nodes.key_for(linked, now, f"mule:{episode.inflow.transaction_id}")
        found = self.book.report(
            key, now, accounts=linked, transactions=evidence, score=score, narrative=narrative
        )
        return [found] if found else []


__all__ = ["MuleNetworkDetector", "MuleParams"]
