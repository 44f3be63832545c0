"""Honest money flows: pay, bills, savings, transfers to known payees, business, cash.

Scheduled flows (salary, pension, rent, utilities, card repayments) fire on
each customer's own day of the month; the rest are Poisson. Transfers between
two customers of this bank produce both legs, so the ledger balances. Several
flows are deliberate look-alikes of laundering patterns: payroll from a
business to staff who bank here (fan-out), flatmates pooling rent (fan-in),
savings that pass through the current account on their way out (rapid
movement), cash businesses banking takings just under the threshold
(structuring), family remittances to higher-risk countries.
"""

from __future__ import annotations

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.behaviour_cards import session
from finmon.sim.block import CH, CREDIT, DEBIT, Array, TxBlock, internal_transfer
from finmon.sim.habits import BIWEEKLY, MONTHLY, PENSION
from finmon.sim.timing import HOUR_US
from finmon.sim.world import World

_D = cat.DESC


def _ext(
    world: World,
    ts: Array,
    acct: Array,
    direction: int,
    amt: Array,
    chan: Array | int,
    cp: Array,
    desc: int,
    **extra: Array,
) -> TxBlock:
    return TxBlock.make(
        ts.shape[0],
        ts=ts,
        acct=acct,
        dir=direction,
        amt=amt,
        chan=chan,
        cp_ext=cp,
        desc=desc,
        **extra,
    )


def _due(world: World, day: int, dom: Array) -> Array:
    """Whether a monthly date ``dom`` falls on ``day`` (late dates fall on the month's last day)."""
    cal = world.calendar
    today = int(cal.dom[day])
    last = day + 1 >= cal.days or cal.month[day + 1] != cal.month[day]
    return np.asarray((dom == today) | (last & (dom > today)))


def salaries(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    h, pop = world.habits, world.pop
    monthly = np.isin(h.pay_freq, (MONTHLY, PENSION)) & _due(world, day, h.pay_day)
    biweekly = (h.pay_freq == BIWEEKLY) & ((day + h.pay_day) % 14 == 0)
    cust = np.flatnonzero((monthly | biweekly) & world.active(day)).astype(np.int32)
    amt = world.minor(h.net_pay[cust] * rng.normal(1.0, 0.015, cust.size))
    ts = world.calendar.times(rng, cust.size, day, "batch")
    internal = h.employer_acct[cust] >= 0
    pension = h.pay_freq[cust] == PENSION
    i = np.flatnonzero(internal & ~pension)
    legs = internal_transfer(
        ts[i], h.employer_acct[cust[i]], pop.primary[cust[i]], amt[i], CH["ach"], _D["PAYROLL"]
    )
    e = np.flatnonzero(~internal | pension)
    cp = np.where(pension[e], world.cps.kinds["pension"][0], h.employer_ext[cust[e]])
    desc = np.where(pension[e], _D["PENSION"], _D["PAYROLL"])
    ext = _ext(
        world,
        ts[e],
        pop.primary[cust[e]],
        CREDIT,
        amt[e],
        CH["ach"],
        cp,
        0,
    )
    ext.cols["desc"] = desc.astype(np.int16)
    return TxBlock.concat([legs, ext])


def rent_and_bills(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    h, pop = world.habits, world.pop
    active = world.active(day)
    payers = np.flatnonzero(
        _due(world, day, h.rent_day) & (h.rent > 0) & (h.flat_lead < 0) & active
    )
    ts = world.calendar.times(rng, payers.size, day, "batch")
    rent = _ext(
        world,
        ts,
        pop.primary[payers],
        DEBIT,
        world.minor(h.rent[payers]),
        np.where(rng.random(payers.size) < 0.7, CH["ach"], CH["online"]),
        h.landlord[payers],
        _D["RENT"],
    )
    mates = np.flatnonzero(_due(world, day, h.rent_day - 1) & (h.flat_lead >= 0) & active)
    share = world.minor(h.rent[h.flat_lead[mates]] / rng.integers(2, 5, mates.size))
    dev, ip = session(world, mates, day, rng)
    pooled = internal_transfer(
        world.calendar.times(rng, mates.size, day, "personal"),
        pop.primary[mates],
        pop.primary[h.flat_lead[mates]],
        share,
        CH["mobile"],
        _D["P2P PAYMENT"],
        dev=dev,
        ip=ip,
    )
    bills = np.flatnonzero(_due(world, day, h.utility_day) & active)
    util = _ext(
        world,
        world.calendar.times(rng, bills.size, day, "batch"),
        pop.primary[bills],
        DEBIT,
        world.minor(rng.lognormal(np.log(95), 0.5, bills.size)),
        CH["ach"],
        h.utility[bills],
        _D["UTILITY BILL"],
    )
    return TxBlock.concat([rent, pooled, util])


def savings_and_cards(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Own-account moves: salary share to savings, credit-card repayments, savings drawn down."""
    h, pop = world.habits, world.pop
    active = world.active(day)
    savers = np.flatnonzero(
        _due(world, day, (h.pay_day + 1) % 28 + 1) & (h.save_share > 0) & active
    )
    amt = world.minor(np.round(h.net_pay[savers] * h.save_share[savers], -1) + 10)
    dev, ip = session(world, savers, day, rng)
    save = internal_transfer(
        world.calendar.times(rng, savers.size, day, "personal"),
        pop.primary[savers],
        pop.savings[savers],
        amt,
        CH["online"],
        _D["TRANSFER TO SAVINGS"],
        dev=dev,
        ip=ip,
    )
    cards = np.flatnonzero(_due(world, day, h.card_pay_day) & (pop.credit >= 0) & active)
    repay = internal_transfer(
        world.calendar.times(rng, cards.size, day, "batch"),
        pop.primary[cards],
        pop.credit[cards],
        world.minor(rng.lognormal(np.log(600), 0.8, cards.size)),
        CH["ach"],
        _D["CARD PAYMENT"],
    )
    return TxBlock.concat([save, repay, _pass_through(world, day, rng)])


def _pass_through(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Savings moved to the current account and paid out within hours (a car, a deposit)."""
    pop, cps = world.pop, world.cps
    who = np.flatnonzero((pop.savings >= 0) & world.active(day) & (rng.random(pop.size) < 0.0015))
    amt = world.minor(np.round(rng.lognormal(np.log(9000), 0.8, who.size), -2))
    ts = world.calendar.times(rng, who.size, day, "business")
    dev, ip = session(world, who, day, rng)
    move = internal_transfer(
        ts, pop.savings[who], pop.primary[who], amt, CH["online"], _D["TRANSFER"], dev=dev, ip=ip
    )
    payee = rng.choice(
        np.r_[cps.kinds["supplier"], cps.kinds["landlord"], cps.kinds["friend"]], who.size
    )
    day_end = world.calendar.day_start[day] + 24 * HOUR_US - 1
    later = np.minimum(ts + (rng.random(who.size) * 6 * HOUR_US).astype(np.int64), day_end)
    out = _ext(
        world,
        later,
        pop.primary[who],
        DEBIT,
        amt,
        rng.choice([CH["wire"], CH["online"]], who.size),
        payee,
        _D["WIRE TRANSFER"],
        dev=dev,
        ip=ip,
    )
    return TxBlock.concat([move, out])


def payees(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Transfers to known payees: friends and family at this bank (two legs) or elsewhere."""
    h, pop = world.habits, world.pop
    known = (h.payees >= 0).sum(axis=1)
    rate = 0.06 * np.sqrt(pop.activity) * (known > 0) * world.active(day) * (pop.kind == 0)
    cust = np.repeat(
        np.arange(pop.size, dtype=np.int32),
        rng.poisson(rate * world.calendar.factor(day, "personal")),
    )
    slot = (rng.random(cust.size) * known[cust]).astype(np.int64)
    dst = h.payees[cust, slot]
    amt = world.minor(rng.lognormal(np.log(70), 0.95, cust.size))
    ts = world.calendar.times(rng, cust.size, day, "personal")
    dev, ip = session(world, cust, day, rng)
    chan = np.where(dev >= 0, CH["mobile"], CH["online"])
    inside = np.flatnonzero(rng.random(cust.size) < 0.85)
    outside = np.setdiff1d(np.arange(cust.size), inside)
    legs = internal_transfer(
        ts[inside],
        pop.primary[cust[inside]],
        dst[inside],
        amt[inside],
        CH["mobile"],
        _D["P2P PAYMENT"],
        dev=dev[inside],
        ip=ip[inside],
    )
    friend = rng.choice(world.cps.kinds["friend"], outside.size)
    ext = _ext(
        world,
        ts[outside],
        pop.primary[cust[outside]],
        DEBIT,
        amt[outside],
        chan[outside],
        friend,
        _D["TRANSFER"],
        dev=dev[outside],
        ip=ip[outside],
    )
    return TxBlock.concat([legs, ext, _new_payee(world, day, rng)])


def _new_payee(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Some customers with a new phone pay someone new a sizeable amount the same day."""
    h, pop = world.habits, world.pop
    who = np.flatnonzero((h.new_device_day == day) & (rng.random(pop.size) < 0.35)).astype(np.int32)
    dev, ip = session(world, who, day, rng)
    payee = rng.choice(np.r_[world.cps.kinds["friend"], world.cps.kinds["supplier"]], who.size)
    return _ext(
        world,
        world.calendar.times(rng, who.size, day, "personal"),
        pop.primary[who],
        DEBIT,
        world.minor(rng.lognormal(np.log(1500), 0.7, who.size)),
        CH["mobile"],
        payee,
        _D["TRANSFER"],
        dev=dev,
        ip=ip,
    )


def remittances(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    h, pop = world.habits, world.pop
    who = np.flatnonzero((h.remit_to >= 0) & _due(world, day, h.remit_day) & world.active(day))
    extra = np.flatnonzero((h.remit_to >= 0) & (rng.random(pop.size) < 0.01))
    who = np.unique(np.r_[who, extra]).astype(np.int32)
    dev, ip = session(world, who, day, rng)
    return _ext(
        world,
        world.calendar.times(rng, who.size, day, "personal"),
        pop.primary[who],
        DEBIT,
        world.minor(rng.lognormal(np.log(380), 0.6, who.size)),
        np.where(rng.random(who.size) < 0.5, CH["wire"], CH["online"]),
        h.remit_to[who],
        _D["REMITTANCE"],
        dev=dev,
        ip=ip,
    )


def business(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Receipts from clients (some of them customers here) and payments to suppliers."""
    pop, cps = world.pop, world.cps
    biz = (pop.kind == 1) & world.active(day)
    scale = (
        np.where(pop.segment == 6, 6.0, 1.2) * pop.activity * world.calendar.factor(day, "business")
    )
    cust = np.repeat(np.arange(pop.size, dtype=np.int32), rng.poisson(scale * biz))
    amt = world.minor(pop.income[cust] / 2500 * rng.lognormal(0, 0.9, cust.size))
    ts = world.calendar.times(rng, cust.size, day, "business")
    from_client = rng.random(cust.size) < 0.15
    c = np.flatnonzero(from_client)
    clients = rng.choice(np.flatnonzero(pop.kind == 0), c.size) if c.size else c
    invoice = internal_transfer(
        ts[c], pop.primary[clients], pop.primary[cust[c]], amt[c], CH["online"], _D["INVOICE"]
    )
    r = np.flatnonzero(~from_client)
    receipts = _ext(
        world,
        ts[r],
        pop.primary[cust[r]],
        CREDIT,
        amt[r],
        rng.choice([CH["ach"], CH["transfer"], CH["wire"]], r.size, p=[0.6, 0.3, 0.1]),
        rng.choice(cps.kinds["payer"], r.size),
        _D["CUSTOMER PAYMENT"],
    )
    return TxBlock.concat([invoice, receipts, _suppliers(world, day, rng)])


def _suppliers(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    pop, h = world.pop, world.habits
    rate = np.where(pop.segment == 6, 2.0, 0.35) * world.calendar.factor(day, "business")
    cust = np.repeat(
        np.arange(pop.size, dtype=np.int32), rng.poisson(rate * (pop.kind == 1) * world.active(day))
    )
    supplier = h.suppliers[cust, rng.integers(0, 3, cust.size)]
    foreign = np.array(world.cps.countries, dtype=object)[supplier] != cat.HOME_COUNTRY
    amt = world.minor(pop.income[cust] / 400 * rng.lognormal(0, 0.8, cust.size))
    return _ext(
        world,
        world.calendar.times(rng, cust.size, day, "business"),
        pop.primary[cust],
        DEBIT,
        amt,
        np.where(foreign, CH["wire"], CH["ach"]),
        supplier,
        _D["SUPPLIER PAYMENT"],
    )


def cash_deposits(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """Branch cash: cash businesses bank their takings (often just under the threshold)."""
    pop, h = world.pop, world.habits
    threshold = world.threshold_minor / 10**world.currency.exponent
    biz_rate = np.where(h.cash_business, 0.8, 0.05 * (pop.kind == 1))
    rate = (
        (biz_rate + 0.012 * (pop.kind == 0))
        * world.calendar.factor(day, "branch")
        * world.active(day)
    )
    cust = np.repeat(np.arange(pop.size, dtype=np.int32), rng.poisson(rate))
    takings = rng.lognormal(np.log(threshold * 0.45), 0.55, cust.size)
    personal = rng.lognormal(np.log(600), 0.9, cust.size)
    major = np.where(
        h.cash_business[cust], takings, np.where(pop.kind[cust] == 1, takings / 3, personal)
    )
    major = np.where(rng.random(cust.size) < 0.4, np.round(major, -1), major)
    branch = world.branches.pick(rng, pop.city[cust])
    jitter = rng.normal(0, 0.002, (2, cust.size))
    return TxBlock.make(
        cust.size,
        ts=world.calendar.times(rng, cust.size, day, "branch"),
        acct=pop.primary[cust],
        dir=CREDIT,
        amt=world.minor(major),
        chan=CH["cash_deposit"],
        lat=world.branches.lat[branch] + jitter[0],
        lon=world.branches.lon[branch] + jitter[1],
        desc=_D["CASH DEPOSIT"],
    )


def reactivations(world: World, day: int, rng: np.random.Generator) -> TxBlock:
    """A dormant customer comes back honestly: an inheritance or a returning expat's wire."""
    pop = world.pop
    who = np.flatnonzero(world.habits.reactivate_day == day).astype(np.int32)
    wire = rng.random(who.size) < 0.5
    payer = rng.choice(
        np.r_[world.cps.kinds["foreign_business"], world.cps.kinds["family"]], who.size
    )
    return _ext(
        world,
        world.calendar.times(rng, who.size, day, "business"),
        pop.primary[who],
        CREDIT,
        world.minor(rng.lognormal(np.log(8000), 1.0, who.size)),
        np.where(wire, CH["wire"], CH["ach"]),
        payer,
        _D["INCOMING WIRE"],
    )


ACTIVITIES = (
    salaries,
    rent_and_bills,
    savings_and_cards,
    payees,
    remittances,
    business,
    cash_deposits,
    reactivations,
)

__all__ = ["ACTIVITIES"]
