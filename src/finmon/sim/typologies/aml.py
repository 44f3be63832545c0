"""Money-laundering typologies beyond the graph shapes: structuring, pass-through, mules,
dormant accounts, higher-risk jurisdictions and sanctioned counterparties.

Each follows how investigators describe it (FinCEN, FATF typology reports),
with sizes, spans and amounts drawn from ranges and noise on every figure: a
structurer's deposits are *mostly* just under the threshold, with some round
figures and some smaller ones, spread over branches and days.
"""

from __future__ import annotations

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import CH, CREDIT, DEBIT, Array, TxBlock
from finmon.sim.names import TYPOLOGY_CODE
from finmon.sim.scenarios import TypologySpec
from finmon.sim.typologies.base import (
    Ctx,
    cash_at_branches,
    exits,
    ext,
    flows,
    sources,
    transfer_channel,
)

_D = cat.DESC


def below_threshold(ctx: Ctx, n: int, spec: TypologySpec) -> Array:
    """Cash amounts a structurer picks: mostly 80-99.9% of the threshold, some round, some less."""
    threshold = ctx.world.threshold_minor / 10**ctx.world.currency.exponent
    if spec.amount:
        lo, hi = spec.amount
    else:
        lo, hi = threshold * 0.8, threshold * 0.999
    kind = ctx.rng.choice(3, n, p=[0.6, 0.25, 0.15])
    near = ctx.rng.uniform(lo, hi, n)
    rounded = np.minimum(np.round(near, -2 if ctx.rng.random() < 0.5 else -1), hi)
    smaller = near * ctx.rng.uniform(0.45, 0.8, n)
    major = np.choose(kind, [np.round(near, 0), rounded, np.round(smaller, 2)])
    return ctx.world.minor(np.minimum(major, threshold - 0.01))


def structuring(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Cash deposited in pieces just under the reporting threshold, across branches and days,
    by one person or a ring of accounts; often gathered into one account and wired out."""
    pop = ctx.world.pop
    accounts = pop.primary[ctx.customers(ctx.size(spec, (1, 4)))]
    per = ctx.rng.integers(3, 13, accounts.size)
    acct = np.repeat(accounts, per)
    start, span = ctx.window(spec.days or (3, 21))
    ts = ctx.times(start, span, acct.size, "branch")
    cash = cash_at_branches(ctx, acct, ts, below_threshold(ctx, acct.size, spec))
    rows = [cash]
    if ctx.rng.random() < 0.6:
        collectors = accounts[: max(1, accounts.size // 40)]
        gather = accounts[accounts.size // 40 :] if accounts.size > 1 else accounts[:0]
        totals = np.bincount(
            np.searchsorted(accounts, acct, sorter=np.argsort(accounts)), cash["amt"]
        )
        owed = totals[np.searchsorted(accounts, gather, sorter=np.argsort(accounts))]
        out_ts = ctx.after(np.full(gather.size, ts[-1]), 1, 72)
        to = ctx.rng.choice(collectors, gather.size)
        rows.append(
            flows(
                ctx,
                gather,
                to,
                out_ts,
                (owed * ctx.rng.uniform(0.5, 0.95, gather.size)).astype(np.int64),
                transfer_channel(ctx, gather.size),
                _D["TRANSFER"],
            )
        )
        wire_ts = ctx.after(np.full(collectors.size, out_ts.max(initial=ts[-1])), 2, 96)
        rows.append(
            flows(
                ctx,
                collectors,
                exits(ctx, collectors.size),
                wire_ts,
                ctx.world.minor(
                    ctx.rng.uniform(0.5, 0.9, collectors.size)
                    * cash["amt"].sum()
                    / collectors.size
                    / 10**ctx.world.currency.exponent
                ),
                CH["wire"],
                _D["WIRE TRANSFER"],
            )
        )
    return TxBlock.concat(rows).labelled(TYPOLOGY_CODE["structuring"], inst)


def rapid_movement(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Funds land and leave within hours (pass-through), possibly through a few accounts here."""
    hops = ctx.size(spec, (1, 3))
    path = np.r_[sources(ctx, 1), ctx.world.pop.primary[ctx.customers(hops)], exits(ctx, 1)]
    start, span = ctx.window(spec.days or (0.1, 3))
    amt = ctx.amounts(spec, (4000, 80000), 1)
    ts = ctx.times(start, span, path.size - 1)
    rows = []
    for i in range(path.size - 1):
        split = int(ctx.rng.integers(1, 4)) if i == path.size - 2 else 1
        parts = np.maximum((ctx.rng.dirichlet(np.ones(split)) * amt[0]).astype(np.int64), 1)
        dst = np.r_[path[i + 1], exits(ctx, split - 1)]
        chan = transfer_channel(ctx, split, (dst < 0) | (path[i] < 0))
        rows.append(
            flows(
                ctx,
                np.full(split, path[i]),
                dst,
                ctx.after(np.full(split, ts[i]), 0, 2),
                parts,
                chan,
                _D["WIRE TRANSFER"] if path[i] < 0 else _D["TRANSFER"],
            )
        )
        amt = (amt * ctx.rng.uniform(0.9, 0.99)).astype(np.int64)
    return TxBlock.concat(rows).labelled(TYPOLOGY_CODE["rapid_movement"], inst)


def mule_network(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Recruited account holders (often students) receive stolen funds and cash them out at ATMs
    or send them on to a herder, keeping a cut."""
    pop = ctx.world.pop
    young = np.isin(pop.segment, (0, 3)) & (pop.kind == 0)
    mules = pop.primary[ctx.customers(ctx.size(spec, (3, 12)), where=young)]
    herder = exits(ctx, 1) if ctx.rng.random() < 0.6 else pop.primary[ctx.customers(1, where=young)]
    start, span = ctx.window(spec.days or (3, 20))
    per = ctx.rng.integers(1, 5, mules.size)
    dst = np.repeat(mules, per)
    ts = ctx.times(start, span, dst.size)
    amt = ctx.amounts(spec, (300, 3000), dst.size)
    rows = [
        flows(
            ctx,
            sources(ctx, dst.size),
            dst,
            ts,
            amt,
            transfer_channel(ctx, dst.size),
            _D["TRANSFER"],
        )
    ]
    later = ctx.after(ts, 0.5, 30)
    cash = ctx.rng.random(dst.size) < 0.5
    kept = (amt * ctx.rng.uniform(0.8, 0.95, dst.size)).astype(np.int64)
    rows.append(_atm(ctx, dst[cash], later[cash], kept[cash]))
    fwd = ~cash
    rows.append(
        flows(
            ctx,
            dst[fwd],
            np.full(int(fwd.sum()), herder[0]),
            later[fwd],
            kept[fwd],
            transfer_channel(ctx, int(fwd.sum())),
            _D["P2P PAYMENT"],
        )
    )
    return TxBlock.concat(rows).labelled(TYPOLOGY_CODE["mule_network"], inst)


def _atm(ctx: Ctx, acct: Array, ts: Array, amt: Array) -> TxBlock:
    """Cash out at ATMs in notes of 20, in withdrawals of at most 800."""
    step = 20 * 10**ctx.world.currency.exponent
    cap = 40 * step
    pieces = np.maximum(np.ceil(amt / cap).astype(np.int64), 1)
    rep = np.repeat(np.arange(acct.size), pieces)
    each = np.maximum((amt[rep] / pieces[rep]) // step * step, step)
    gap = (np.arange(rep.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)) * 600_000_000
    branch = ctx.world.branches.pick(
        ctx.rng, ctx.world.pop.city[ctx.world.pop.acct_owner[acct[rep]]]
    )
    return TxBlock.make(
        rep.size,
        ts=np.minimum(ts[rep] + gap, ctx.world.calendar.end_us - 1),
        acct=acct[rep],
        dir=DEBIT,
        amt=each,
        chan=CH["atm"],
        lat=ctx.world.branches.lat[branch],
        lon=ctx.world.branches.lon[branch],
        desc=_D["ATM WITHDRAWAL"],
    )


def dormant_reactivation(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """A long-silent account suddenly receives a large sum and sends it straight on."""
    pop, habits = ctx.world.pop, ctx.world.habits
    silent = pop.dormant & (habits.reactivate_day < 0) & ~ctx.used
    pool = np.flatnonzero(silent)
    if pool.size == 0:
        return TxBlock.empty()
    who = int(ctx.rng.choice(pool))
    ctx.used[who] = True
    acct = np.array([pop.primary[who]])
    start, span = ctx.window(spec.days or (1, 10))
    amt = ctx.amounts(spec, (3000, 60000), 1)
    ts = ctx.times(start, span, 2)
    inflow = flows(
        ctx,
        sources(ctx, 1),
        acct,
        ts[:1],
        amt,
        ctx.rng.choice([CH["wire"], CH["ach"]], 1),
        _D["INCOMING WIRE"],
    )
    k = int(ctx.rng.integers(1, 4))
    parts = np.maximum(
        (ctx.rng.dirichlet(np.ones(k)) * amt[0] * ctx.rng.uniform(0.85, 1.0)).astype(np.int64), 1
    )
    out = flows(
        ctx,
        np.repeat(acct, k),
        exits(ctx, k),
        ctx.after(np.full(k, ts[1]), 0, 24),
        parts,
        transfer_channel(ctx, k, True),
        _D["WIRE TRANSFER"],
    )
    return TxBlock.concat([inflow, out]).labelled(TYPOLOGY_CODE["dormant_reactivation"], inst)


def high_risk_jurisdiction(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Repeated wires to and from parties in higher-risk jurisdictions, out of line with the
    customer's profile, often just under round reporting figures."""
    cps = ctx.world.cps
    risky = np.r_[
        cps.of_country("foreign_business", set(cat.HIGH_RISK_COUNTRIES)),
        cps.of_country("supplier", set(cat.HIGH_RISK_COUNTRIES)),
    ]
    if risky.size == 0:
        risky = cps.kinds["foreign_business"]
    who = ctx.world.pop.primary[ctx.customers(1)]
    n = ctx.size(spec, (2, 10))
    start, span = ctx.window(spec.days or (5, 40))
    ts = ctx.times(start, span, n, "business")
    party = ext(ctx.rng.choice(risky, n))
    inbound = ctx.rng.random(n) < 0.3
    src = np.where(inbound, party, who[0])
    dst = np.where(inbound, who[0], party)
    amt = ctx.amounts(spec, (2500, 45000), n)
    rows = flows(ctx, src, dst, ts, amt, CH["wire"], _D["WIRE TRANSFER"])
    rows.cols["desc"] = np.where(rows["dir"] == CREDIT, _D["INCOMING WIRE"], rows["desc"]).astype(
        np.int16
    )
    return rows.labelled(TYPOLOGY_CODE["high_risk_jurisdiction"], inst)


def sanctioned_counterparty(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Payments to a listed person or entity, named as the payer typed it."""
    cps = ctx.world.cps
    listed = int(ctx.rng.choice(cps.kinds["sanctioned"]))
    who = ctx.world.pop.primary[ctx.customers(1)]
    n = ctx.size(spec, (1, 5))
    start, span = ctx.window(spec.days or (1, 30))
    ts = ctx.times(start, span, n, "business")
    chan = ctx.rng.choice([CH["wire"], CH["wire"], CH["online"], CH["ach"]], n)
    rows = flows(
        ctx,
        np.full(n, who[0]),
        ext(np.full(n, listed)),
        ts,
        ctx.amounts(spec, (300, 40000), n),
        chan,
        _D["WIRE TRANSFER"],
    )
    return rows.labelled(TYPOLOGY_CODE["sanctioned_counterparty"], inst)


INJECTORS = {
    "structuring": structuring,
    "rapid_movement": rapid_movement,
    "mule_network": mule_network,
    "dormant_reactivation": dormant_reactivation,
    "high_risk_jurisdiction": high_risk_jurisdiction,
    "sanctioned_counterparty": sanctioned_counterparty,
}

__all__ = ["INJECTORS", "below_threshold"]
