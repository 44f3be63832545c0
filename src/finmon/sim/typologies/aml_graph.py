"""The money-laundering graph patterns of AMLSim / AMLworld: fan-in, fan-out, cycle,
scatter-gather, gather-scatter, bipartite and stacked (layered) bipartite.

Nodes are mostly accounts of this bank (customers picked from the honest
population) with some parties outside it, so part of each pattern is visible
only as one leg; hops are hours to days apart, amounts shrink a little at each
hop (fees, a cut kept) and channels mix. Sizes, spans and amounts are drawn
from ranges a scenario can override.
"""

from __future__ import annotations

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import CH, Array, TxBlock
from finmon.sim.names import TYPOLOGY_CODE
from finmon.sim.scenarios import TypologySpec
from finmon.sim.typologies.base import Ctx, exits, flows, sources, transfer_channel

_T = cat.DESC["TRANSFER"]


def _nodes(ctx: Ctx, k: int, outside: float = 0.25) -> Array:
    """``k`` pattern nodes: accounts here (primary accounts of fresh customers) or outside."""
    here = ctx.rng.random(k) >= outside
    here[0] = True
    inside = ctx.world.pop.primary[ctx.customers(int(here.sum()))]
    nodes = exits(ctx, k)
    nodes[np.flatnonzero(here)[: inside.size]] = inside
    return nodes


def _edges(ctx: Ctx, src: Array, dst: Array, ts: Array, amt: Array) -> TxBlock:
    foreign = (src < 0) | (dst < 0)
    chan = transfer_channel(ctx, src.size, foreign & (ctx.rng.random(src.size) < 0.7))
    desc = np.where(chan == CH["wire"], cat.DESC["WIRE TRANSFER"], _T)
    blocks = [
        flows(
            ctx,
            src[i : i + 1],
            dst[i : i + 1],
            ts[i : i + 1],
            amt[i : i + 1],
            chan[i : i + 1],
            int(desc[i]),
        )
        for i in range(src.size)
    ]
    return TxBlock.concat(blocks)


def _shrink(ctx: Ctx, amt: Array) -> Array:
    """What is passed on after a hop: 90-100% of what came in."""
    return np.maximum((amt * ctx.rng.uniform(0.9, 1.0, amt.shape)).astype(np.int64), 1)


def fan_in(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Many accounts pay into one (collection of proceeds), which often moves it on."""
    k = ctx.size(spec, (6, 30))
    target = _nodes(ctx, 1)[0]
    src = _nodes(ctx, k, outside=0.4)[1:] if k > 1 else sources(ctx, 1)
    start, span = ctx.window(spec.days or (1, 10))
    ts = ctx.times(start, span, src.size)
    amt = ctx.amounts(spec, (150, 4000), src.size)
    rows = [_edges(ctx, src, np.full(src.size, target), ts, amt)]
    if ctx.rng.random() < 0.5:
        out_ts = ctx.after(ts[-1:], 2, 48)
        rows.append(
            _edges(
                ctx, np.array([target]), exits(ctx, 1), out_ts, _shrink(ctx, amt.sum(keepdims=True))
            )
        )
    return TxBlock.concat(rows).labelled(TYPOLOGY_CODE["fan_in"], inst)


def fan_out(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """One account, just funded, pays many (distribution), like an irregular payroll."""
    k = ctx.size(spec, (6, 30))
    source = _nodes(ctx, 1)[0]
    dst = _nodes(ctx, k + 1, outside=0.4)[1:]
    start, span = ctx.window(spec.days or (1, 10))
    amt = ctx.amounts(spec, (150, 4000), k)
    fund_ts = np.array([start])
    rows = [
        _edges(ctx, sources(ctx, 1), np.array([source]), fund_ts, np.array([int(amt.sum() * 1.02)]))
    ]
    ts = ctx.times(start + span // 10, span - span // 10, k)
    rows.append(_edges(ctx, np.full(k, source), dst, ts, amt))
    return TxBlock.concat(rows).labelled(TYPOLOGY_CODE["fan_out"], inst)


def _chain(ctx: Ctx, path: Array, start: int, span: int, amount: int) -> tuple[TxBlock, int]:
    """Money handed along ``path`` hop by hop, a little less each time."""
    hops = path.size - 1
    ts = ctx.times(start, span, hops)
    amt = np.empty(hops, np.int64)
    amt[0] = amount
    for i in range(1, hops):
        amt[i] = _shrink(ctx, amt[i - 1 : i])[0]
    return _edges(ctx, path[:-1], path[1:], ts, amt), int(ts[-1])


def cycle(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Round-tripping: money leaves an account and comes back to it through others."""
    k = ctx.size(spec, (3, 8))
    nodes = _nodes(ctx, k, outside=0.2)
    start, span = ctx.window(spec.days or (2, 20))
    amount = int(ctx.amounts(spec, (2000, 50000), 1)[0])
    rows, _ = _chain(ctx, np.r_[nodes, nodes[:1]], start, span, amount)
    return rows.labelled(TYPOLOGY_CODE["cycle"], inst)


def _two_step(
    ctx: Ctx, left: Array, hub_or_mid: Array, right: Array, spec: TypologySpec, gather_first: bool
) -> TxBlock:
    start, span = ctx.window(spec.days or (2, 14))
    half = span // 2
    if gather_first:  # many -> hub -> many
        amt = ctx.amounts(spec, (1000, 9500), left.size)
        first = _edges(
            ctx, left, np.full(left.size, hub_or_mid[0]), ctx.times(start, half, left.size), amt
        )
        share = ctx.rng.dirichlet(np.ones(right.size)) * _shrink(ctx, amt.sum(keepdims=True))[0]
        out = np.maximum(share.astype(np.int64), 100)
        second = _edges(
            ctx,
            np.full(right.size, hub_or_mid[0]),
            right,
            ctx.times(start + half, half, right.size),
            out,
        )
        return TxBlock.concat([first, second])
    total = int(ctx.amounts(spec, (5000, 60000), 1)[0])  # one -> many -> one
    share = np.maximum((ctx.rng.dirichlet(np.ones(hub_or_mid.size)) * total).astype(np.int64), 100)
    first = _edges(
        ctx,
        np.full(hub_or_mid.size, left[0]),
        hub_or_mid,
        ctx.times(start, half, hub_or_mid.size),
        share,
    )
    second = _edges(
        ctx,
        hub_or_mid,
        np.full(hub_or_mid.size, right[0]),
        ctx.times(start + half, half, hub_or_mid.size),
        _shrink(ctx, share),
    )
    return TxBlock.concat([first, second])


def scatter_gather(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """One source splits money over intermediaries that all forward it to one sink."""
    k = ctx.size(spec, (3, 12))
    nodes = _nodes(ctx, k + 2, outside=0.25)
    rows = _two_step(ctx, nodes[:1], nodes[2:], nodes[1:2], spec, gather_first=False)
    return rows.labelled(TYPOLOGY_CODE["scatter_gather"], inst)


def gather_scatter(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Many pay into a hub, which pays many others out."""
    k = ctx.size(spec, (3, 12))
    nodes = _nodes(ctx, 2 * k + 1, outside=0.3)
    rows = _two_step(ctx, nodes[1 : k + 1], nodes[:1], nodes[k + 1 :], spec, gather_first=True)
    return rows.labelled(TYPOLOGY_CODE["gather_scatter"], inst)


def _layer(
    ctx: Ctx, left: Array, right: Array, start: int, span: int, spec: TypologySpec
) -> TxBlock:
    """Random edges from every node on the left to one to three on the right."""
    per = ctx.rng.integers(1, min(3, right.size) + 1, left.size)
    src = np.repeat(left, per)
    dst = np.concatenate([ctx.rng.choice(right, p, replace=False) for p in per])
    amt = ctx.amounts(spec, (500, 9000), src.size)
    return _edges(ctx, src, dst, ctx.times(start, span, src.size), amt)


def bipartite(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """A set of accounts pays another set, many to many, in one period."""
    k = ctx.size(spec, (4, 16))
    nodes = _nodes(ctx, max(k, 4), outside=0.3)
    cut = int(ctx.rng.integers(2, nodes.size - 1))
    start, span = ctx.window(spec.days or (1, 10))
    return _layer(ctx, nodes[:cut], nodes[cut:], start, span, spec).labelled(
        TYPOLOGY_CODE["bipartite"], inst
    )


def stacked_layering(ctx: Ctx, spec: TypologySpec, inst: int) -> TxBlock:
    """Bipartite layers stacked: layer 1 pays layer 2, which pays layer 3, a day or more later."""
    per = ctx.size(spec, (2, 6))
    nodes = _nodes(ctx, 3 * per, outside=0.2)
    start, span = ctx.window(spec.days or (3, 20))
    third = span // 3
    rows = [
        _layer(ctx, nodes[:per], nodes[per : 2 * per], start, third, spec),
        _layer(ctx, nodes[per : 2 * per], nodes[2 * per :], start + 2 * third, third, spec),
    ]
    return TxBlock.concat(rows).labelled(TYPOLOGY_CODE["stacked_layering"], inst)


INJECTORS = {
    "fan_in": fan_in,
    "fan_out": fan_out,
    "cycle": cycle,
    "scatter_gather": scatter_gather,
    "gather_scatter": gather_scatter,
    "bipartite": bipartite,
    "stacked_layering": stacked_layering,
}

__all__ = ["INJECTORS"]
