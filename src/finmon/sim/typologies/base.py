"""What every typology needs: picking actors, placing an instance in time, moving money.

Typologies draw their actors from the honest population (a mule is a customer
like any other, a victim keeps spending as usual), so neither ids nor
reference data can give an instance away. Each actor serves in at most one
instance, which keeps the ground truth unambiguous. Money moves through
:func:`flows`: between two accounts of this bank it is two legs (a debit and a
matching credit), to or from the outside world it is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import CH, CREDIT, DEBIT, Array, TxBlock, interleave
from finmon.sim.scenarios import TypologySpec
from finmon.sim.timing import DAY_US, HOUR_US
from finmon.sim.world import World


def ext(row: int | Array) -> Array:
    """Encode external counterparty rows as negative node numbers (-1 - row)."""
    return -1 - np.asarray(row, dtype=np.int64)


@dataclass
class Ctx:
    """Shared state of typology injection: the world, one rng, used actors, instance numbers."""

    world: World
    rng: np.random.Generator
    used: Array
    instances: list[tuple[int, str]] = field(default_factory=list)

    def new_instance(self, typology: str) -> int:
        self.instances.append((len(self.instances), typology))
        return len(self.instances) - 1

    def customers(self, k: int, where: Array | None = None) -> Array:
        """``k`` distinct unused customers satisfying ``where`` (fewer if not enough exist)."""
        ok = ~self.used & ~self.world.pop.dormant
        if where is not None:
            ok &= where
        pool = np.flatnonzero(ok)
        chosen = self.rng.choice(pool, size=min(k, pool.size), replace=False)
        self.used[chosen] = True
        return chosen.astype(np.int32)

    def window(self, days: tuple[float, float]) -> tuple[int, int]:
        """A start instant and span (microseconds) for an instance lasting ``days``."""
        total = self.world.calendar.days * DAY_US
        span = int(self.rng.uniform(days[0], days[1]) * DAY_US)
        span = min(span, int(total * 0.9))
        start = self.world.calendar.start_us + int(self.rng.integers(0, max(1, total - span)))
        return start, span

    def times(self, start: int, span: int, n: int, profile: str = "personal") -> Array:
        """``n`` sorted instants in the window, following a channel's hour profile."""
        cal = self.world.calendar
        ts = cal.spread(self.rng, np.full(n, start, np.int64), np.full(n, span, np.int64), profile)
        return np.sort(np.clip(ts, cal.start_us, cal.end_us - 1))

    def size(self, spec: TypologySpec, default: tuple[int, int]) -> int:
        lo, hi = spec.size or default
        return int(self.rng.integers(lo, hi + 1))

    def amounts(self, spec: TypologySpec, default: tuple[float, float], n: int) -> Array:
        """Amounts (minor units) log-uniform in the range, some rounded like people do."""
        lo, hi = spec.amount or default
        major = np.exp(self.rng.uniform(np.log(lo), np.log(hi), n))
        rounded = self.rng.random(n) < 0.35
        major = np.where(rounded, np.maximum(np.round(major, -1), 10), np.round(major, 2))
        return self.world.minor(major)

    def after(self, ts: Array, lo_hours: float, hi_hours: float) -> Array:
        gap = self.rng.uniform(lo_hours, hi_hours, np.shape(ts)) * HOUR_US
        return np.asarray(np.minimum(ts + gap.astype(np.int64), self.world.calendar.end_us - 1))


def flows(
    ctx: Ctx, src: Array, dst: Array, ts: Array, amt: Array, chan: Array | int, desc: int
) -> TxBlock:
    """Money moving between nodes: >= 0 an account row here, < 0 an external party (see ext).

    Internal to internal gives a debit and a credit leg; internal to external a
    debit; external to internal a credit; external to external is invisible to
    the bank and gives nothing. Digital debits carry the sender's own session.
    """
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    chan = np.broadcast_to(np.asarray(chan, np.int64), src.shape)
    both = (src >= 0) & (dst >= 0)
    out_only = (src >= 0) & (dst < 0)
    in_only = (src < 0) & (dst >= 0)
    parts = []
    if both.any():
        i = np.flatnonzero(both)
        debit = _leg(ctx, src[i], DEBIT, ts[i], amt[i], chan[i], desc, cp_acct=dst[i])
        credit = TxBlock.make(
            i.size,
            ts=ts[i],
            acct=dst[i],
            dir=CREDIT,
            amt=amt[i],
            chan=chan[i],
            cp_acct=src[i],
            desc=desc,
        )
        parts.append(interleave(debit, credit))
    if out_only.any():
        i = np.flatnonzero(out_only)
        parts.append(_leg(ctx, src[i], DEBIT, ts[i], amt[i], chan[i], desc, cp_ext=-1 - dst[i]))
    if in_only.any():
        i = np.flatnonzero(in_only)
        parts.append(
            TxBlock.make(
                i.size,
                ts=ts[i],
                acct=dst[i],
                dir=CREDIT,
                amt=amt[i],
                chan=chan[i],
                cp_ext=-1 - src[i],
                desc=desc,
            )
        )
    return TxBlock.concat(parts)


_DIGITAL = (CH["mobile"], CH["online"])


def _leg(
    ctx: Ctx,
    acct: Array,
    direction: int,
    ts: Array,
    amt: Array,
    chan: Array,
    desc: int,
    **cp: Array,
) -> TxBlock:
    """A debit leg; mobile and online ones carry the owner's usual device and an IP."""
    pop = ctx.world.pop
    owner = pop.acct_owner[acct]
    dev = pop.device[owner]
    digital = np.isin(chan, _DIGITAL) & (dev >= 0)
    home = pop.dev_ip[np.maximum(dev, 0)]
    ip = np.where(ctx.rng.random(acct.size) < 0.3, ctx.rng.choice(pop.pool_ips, acct.size), home)
    return TxBlock.make(
        acct.size,
        ts=ts,
        acct=acct,
        dir=direction,
        amt=amt,
        chan=chan,
        desc=desc,
        dev=np.where(digital, dev, -1),
        ip=np.where(digital, ip, -1),
        **cp,
    )


def transfer_channel(ctx: Ctx, n: int, foreign: Array | bool = False) -> Array:
    """Channels people use to move money: mobile, online, ACH, wires (abroad: mostly wires)."""
    home = ctx.rng.choice(
        [CH["mobile"], CH["online"], CH["ach"], CH["transfer"], CH["wire"]],
        n,
        p=[0.35, 0.25, 0.15, 0.15, 0.10],
    )
    abroad = ctx.rng.choice([CH["wire"], CH["online"]], n, p=[0.8, 0.2])
    return np.where(foreign, abroad, home)


def exits(ctx: Ctx, n: int) -> Array:
    """Where laundered money leaves: foreign businesses and suppliers honest customers pay too."""
    cps = ctx.world.cps
    return ext(ctx.rng.choice(np.r_[cps.kinds["foreign_business"], cps.kinds["supplier"]], n))


def sources(ctx: Ctx, n: int) -> Array:
    """Where dirty money comes from, as the bank sees it: payers and foreign businesses."""
    cps = ctx.world.cps
    return ext(ctx.rng.choice(np.r_[cps.kinds["payer"], cps.kinds["foreign_business"]], n))


def cash_at_branches(ctx: Ctx, acct: Array, ts: Array, amt: Array) -> TxBlock:
    """Cash deposits at branches of the account owner's city, a different branch each time."""
    world = ctx.world
    city = world.pop.city[world.pop.acct_owner[acct]]
    branch = world.branches.pick(ctx.rng, city)
    jitter = ctx.rng.normal(0, 0.002, (2, acct.size))
    return TxBlock.make(
        acct.size,
        ts=ts,
        acct=acct,
        dir=CREDIT,
        amt=amt,
        chan=CH["cash_deposit"],
        lat=world.branches.lat[branch] + jitter[0],
        lon=world.branches.lon[branch] + jitter[1],
        desc=cat.DESC["CASH DEPOSIT"],
    )


Injector = Callable[[Ctx, TypologySpec, int], TxBlock]
"""A typology: (context, spec, instance number) -> the instance's labelled rows."""

__all__ = [
    "Ctx",
    "Injector",
    "cash_at_branches",
    "exits",
    "ext",
    "flows",
    "sources",
    "transfer_channel",
]
