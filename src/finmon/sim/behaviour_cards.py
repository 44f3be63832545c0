"""Honest card and cash-machine traffic: daily spending, travel, sprees, big one-offs, ATMs.

Counts per customer and day are Poisson around a segment rate scaled by the
customer's own activity level and the weekday; categories follow the segment's
tastes; tickets are log-normal per category with a Pareto tail (a few very
large purchases). Travellers spend card-present abroad on consecutive days (the
honest twin of impossible travel), gamers buy bursts of tiny in-app items (the
twin of card testing), shoppers go on sprees (the twin of burst fraud).
"""

from __future__ import annotations

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import CH, DEBIT, Array, TxBlock
from finmon.sim.merchants import N_HOME, ONLINE_LOC
from finmon.sim.timing import HOUR_US
from finmon.sim.world import World

_CARD_RATE = np.array([1.25, 1.7, 1.5, 1.35, 0.8, 2.2, 3.2])
_ATM_RATE = np.array([0.11, 0.06, 0.03, 0.14, 0.09, 0.06, 0.01])
_ATM_AMOUNTS = np.array([20, 40, 60, 80, 100, 120, 200, 300, 400, 500])
_ATM_WEIGHTS = np.array([8, 14, 12, 6, 20, 4, 18, 8, 5, 5], dtype=np.float64)
_N_CAT = len(cat.CATEGORIES)
_MEDIAN = np.array([c.median for c in cat.CATEGORIES])
_SIGMA = np.array([c.sigma for c in cat.CATEGORIES])
_ONLINE = np.array([c.online for c in cat.CATEGORIES])
_TICKET = np.array(cat.SEGMENT_TICKET)


def _category_probs() -> Array:
    base = np.array([c.weight for c in cat.CATEGORIES])
    probs = np.tile(base, (len(cat.SEGMENTS), 1))
    for seg, tilt in cat.SEGMENT_SPEND_TILT.items():
        for mcc, factor in tilt.items():
            probs[seg, cat.MCC_INDEX[mcc]] *= factor
    business = np.array([c.business for c in cat.CATEGORIES])
    probs[: len(cat.INDIVIDUAL_SEGMENTS), business] *= 0.05
    return np.asarray(probs / probs.sum(axis=1, keepdims=True))


_CAT_PROBS = _category_probs()


def _categories(rng: np.random.Generator, segment: Array) -> Array:
    out = np.empty(segment.shape[0], dtype=np.int64)
    for seg in range(len(cat.SEGMENTS)):
        rows = np.flatnonzero(segment == seg)
        out[rows] = rng.choice(_N_CAT, size=rows.size, p=_CAT_PROBS[seg])
    return out


def tickets(rng: np.random.Generator, category: Array, segment: Array) -> Array:
    """Card tickets in dollars: log-normal by category and segment, with a Pareto tail."""
    base = _MEDIAN[category] * _TICKET[segment]
    amount = base * np.exp(rng.normal(0.0, _SIGMA[category]))
    tail = rng.random(category.shape[0]) < 0.015
    heavy = amount * np.minimum(1 + rng.pareto(1.6, category.shape[0]), 40)
    return np.asarray(np.where(tail, heavy, amount))


def session(world: World, cust: Array, day: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """Device and IP of a session: the customer's phone (or new phone), home or mobile IP."""
    pop, habits = world.pop, world.habits
    dev = pop.device[cust].copy()
    second = (rng.random(cust.shape[0]) < 0.25) & (dev >= 0)
    nxt = np.minimum(dev + 1, pop.dev_owner.shape[0] - 1)
    dev = np.where(second & (pop.dev_owner[nxt] == cust), nxt, dev)
    switched = (habits.new_device_day[cust] >= 0) & (habits.new_device_day[cust] <= day)
    dev = np.where(switched, habits.new_device[cust], dev)
    away = abroad(world, cust, day)
    mobile = (rng.random(cust.shape[0]) < 0.3) | away | (dev < 0)
    ip = np.where(mobile, rng.choice(pop.pool_ips, cust.shape[0]), pop.dev_ip[np.maximum(dev, 0)])
    return dev, ip


def abroad(world: World, cust: Array, day: int) -> Array:
    start = world.habits.trip_start[cust]
    return (start >= 0) & (start <= day) & (day < start + world.habits.trip_len[cust])


def _card_account(world: World, cust: Array, rng: np.random.Generator) -> Array:
    credit = world.pop.credit[cust]
    return np.where(
        (credit >= 0) & (rng.random(cust.shape[0]) < 0.55), credit, world.pop.primary[cust]
    )


def card_rows(
    world: World, rng: np.random.Generator, cust: Array, category: Array, ts: Array, day: int
) -> TxBlock:
    """Card purchases by ``cust`` in ``category`` at ``ts``: merchant, channel, place, session."""
    pop = world.pop
    online = rng.random(cust.shape[0]) < _ONLINE[category]
    away = abroad(world, cust, day)
    loc = np.where(
        online, ONLINE_LOC, np.where(away, N_HOME + world.habits.trip_city[cust], pop.city[cust])
    )
    merch = world.merchants.pick(rng, category, loc)
    dev, ip = session(world, cust, day, rng)
    amt = world.minor(tickets(rng, category, pop.segment[cust]))
    lat = np.where(online, np.nan, world.merchants.lat[merch] + rng.normal(0, 0.002, cust.shape[0]))
    lon = np.where(online, np.nan, world.merchants.lon[merch] + rng.normal(0, 0.002, cust.shape[0]))
    return TxBlock.make(
        cust.shape[0],
        ts=ts,
        acct=_card_account(world, cust, rng),
        dir=DEBIT,
        amt=amt,
        chan=np.where(online, CH["card_not_present"], CH["card_present"]),
        merch=merch,
        dev=np.where(online, dev, -1),
        ip=np.where(online, ip, -1),
        lat=lat,
        lon=lon,
    )


def daily_spending(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    pop = world.pop
    rate = _CARD_RATE[pop.segment] * pop.activity * world.calendar.factor(day, "card")
    counts = rng.poisson(rate * world.active(day))
    cust = np.repeat(np.arange(pop.size, dtype=np.int32), counts)
    ts = world.calendar.times(rng, cust.size, day, "card")
    return card_rows(world, rng, cust, _categories(rng, pop.segment[cust]), ts, day)


def atm_withdrawals(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    pop = world.pop
    rate = _ATM_RATE[pop.segment] * np.sqrt(pop.activity) * world.calendar.factor(day, "atm")
    cust = np.repeat(np.arange(pop.size, dtype=np.int32), rng.poisson(rate * world.active(day)))
    amounts = rng.choice(_ATM_AMOUNTS, cust.size, p=_ATM_WEIGHTS / _ATM_WEIGHTS.sum())
    branch = world.branches.pick(rng, pop.city[cust])
    away = abroad(world, cust, day)
    trip = world.habits.trip_city[cust]
    lat = np.where(
        away, np.array([c.lat for c in cat.FOREIGN_CITIES])[trip], world.branches.lat[branch]
    )
    lon = np.where(
        away, np.array([c.lon for c in cat.FOREIGN_CITIES])[trip], world.branches.lon[branch]
    )
    return TxBlock.make(
        cust.size,
        ts=world.calendar.times(rng, cust.size, day, "atm"),
        acct=pop.primary[cust],
        dir=DEBIT,
        amt=world.minor(amounts),
        chan=CH["atm"],
        lat=lat + rng.normal(0, 0.01, cust.size),
        lon=lon + rng.normal(0, 0.01, cust.size),
        desc=cat.DESC["ATM WITHDRAWAL"],
    )


def _bursts(
    world: World, rng: np.random.Generator, who: Array, size: tuple[int, int], minutes: float
) -> tuple[Array, Array]:
    counts = rng.integers(size[0], size[1] + 1, who.size)
    cust = np.repeat(who, counts)
    start = np.repeat(rng.integers(0, 24 * HOUR_US - int(minutes * 60e6), who.size), counts)
    ts = start + (rng.random(cust.size) * minutes * 60e6).astype(np.int64)
    return cust, ts


def micro_bursts(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """In-app and game purchases: several tiny card-not-present charges within minutes."""
    pop = world.pop
    eligible = (pop.device >= 0) & world.active(day) & np.isin(pop.segment, (0, 3))
    who = np.flatnonzero(eligible & (rng.random(pop.size) < 0.004))
    cust, offset = _bursts(world, rng, who, (3, 12), 40)
    category = np.full(cust.size, cat.MCC_INDEX["5815"])
    ts = world.calendar.day_start[day] + offset
    block = card_rows(world, rng, cust, category, ts, day)
    block.cols["amt"] = world.minor(rng.choice([0.99, 1.99, 2.99, 4.99, 0.49], cust.size))
    return block


def shopping_sprees(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """An afternoon at the mall: several card-present purchases at different shops in two hours."""
    pop = world.pop
    who = np.flatnonzero(
        world.active(day) & (rng.random(pop.size) < 0.003 * world.calendar.factor(day, "card"))
    )
    cust, offset = _bursts(world, rng, who, (4, 9), 120)
    choices = np.array([cat.MCC_INDEX[m] for m in ("5651", "5311", "5732", "5812", "5944", "5912")])
    category = rng.choice(choices, cust.size)
    block = card_rows(world, rng, cust, category, world.calendar.day_start[day] + offset, day)
    return block


def large_purchases(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Rare big tickets (a laptop, a ring, a holiday) that a rule on amount alone would flag."""
    pop = world.pop
    who = np.flatnonzero(world.active(day) & (rng.random(pop.size) < 0.0008))
    choices = np.array([cat.MCC_INDEX[m] for m in ("5732", "5944", "4511", "7011", "5045")])
    category = rng.choice(choices, who.size)
    block = card_rows(
        world,
        rng,
        who.astype(np.int32),
        category,
        world.calendar.times(rng, who.size, day, "card"),
        day,
    )
    block.cols["amt"] = world.minor(rng.lognormal(np.log(2500), 0.7, who.size))
    return block


def trip_bookings(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Flights and hotels booked a few days before a trip abroad."""
    habits = world.habits
    who = np.flatnonzero((habits.trip_start >= 0) & (habits.trip_start - 3 == day))
    who = np.repeat(who, 2).astype(np.int32)
    category = np.tile([cat.MCC_INDEX["4511"], cat.MCC_INDEX["7011"]], who.size // 2)
    ts = world.calendar.times(rng, who.size, day, "online")
    return card_rows(world, rng, who, category, ts, day)


ACTIVITIES = (
    daily_spending,
    atm_withdrawals,
    micro_bursts,
    shopping_sprees,
    large_purchases,
    trip_bookings,
)

__all__ = ["ACTIVITIES", "abroad", "card_rows", "session", "tickets"]
