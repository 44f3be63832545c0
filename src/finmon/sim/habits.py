"""Each customer's routine: who pays them, whom they pay, when, and their quirks.

Drawn once per run so a customer's salary comes from the same employer on the
same day every month and their rent goes to the same landlord. The quirks are
the legitimate look-alikes of the typologies: flatmates who pool rent (fan-in),
businesses that pay staff who bank here (fan-out), cash-intensive shops that
deposit just under the reporting threshold, travellers, new phones, families
abroad in higher-risk countries, dormant accounts that wake up honestly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import Array
from finmon.sim.counterparties import Counterparties
from finmon.sim.population import Population
from finmon.sim.scenarios import PopulationSpec

NONE, MONTHLY, BIWEEKLY, PENSION = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Habits:
    """Per-customer routines as arrays indexed by customer row (-1 = none)."""

    pay_freq: Array
    pay_day: Array
    net_pay: Array
    employer_ext: Array
    employer_acct: Array
    rent: Array
    rent_day: Array
    landlord: Array
    flat_lead: Array
    utility: Array
    utility_day: Array
    payees: Array
    save_share: Array
    remit_to: Array
    remit_day: Array
    trip_start: Array
    trip_len: Array
    trip_city: Array
    new_device_day: Array
    new_device: Array
    cash_business: Array
    reactivate_day: Array
    suppliers: Array
    card_pay_day: Array


def _payroll(rng: np.random.Generator, pop: Population, cps: Counterparties) -> dict[str, Array]:
    n = pop.size
    seg = pop.segment
    works = np.isin(seg, (0, 1, 2)) & (rng.random(n) < 0.93) | (seg == 3) & (rng.random(n) < 0.3)
    freq = np.where(works, np.where(rng.random(n) < 0.45, BIWEEKLY, MONTHLY), NONE)
    freq = np.where(seg == 4, PENSION, freq)
    day = np.where(freq == BIWEEKLY, rng.integers(0, 14, n), rng.choice([1, 15, 25, 28, 30], n))
    periods = np.where(freq == BIWEEKLY, 26, 12)
    net = pop.income * 0.72 / periods
    net = np.where(seg == 4, np.clip(pop.income / 12 * 0.9, 900, 4200), net)
    employers = cps.kinds["employer"]
    ext = rng.choice(employers, n)
    businesses = np.flatnonzero(pop.kind == 1)
    internal = (rng.random(n) < 0.3) & (businesses.size > 0) & works
    acct = np.where(internal, pop.primary[rng.choice(np.r_[businesses, 0], n)], -1)
    return {
        "freq": freq.astype(np.int8),
        "day": day.astype(np.int8),
        "net": net,
        "ext": np.where(internal, -1, ext).astype(np.int32),
        "acct": acct.astype(np.int32),
    }


def _flats(rng: np.random.Generator, pop: Population, renting: Array) -> Array:
    """Flatmates: groups of 2-4 renters in one city; members pay their share to a lead."""
    lead = np.full(pop.size, -1, dtype=np.int32)
    candidates = np.flatnonzero(
        renting & np.isin(pop.segment, (0, 3)) & (rng.random(pop.size) < 0.25)
    )
    for city in range(len(cat.HOME_CITIES)):
        group = rng.permutation(candidates[pop.city[candidates] == city])
        pos = 0
        while pos + 1 < group.size:
            size = int(rng.integers(2, 5))
            members = group[pos : pos + size]
            lead[members[1:]] = members[0]
            pos += size
    return lead


def _rent(rng: np.random.Generator, pop: Population, cps: Counterparties) -> dict[str, Array]:
    n = pop.size
    renting = (pop.kind == 0) & (rng.random(n) < np.where(pop.segment == 4, 0.25, 0.6))
    monthly = np.clip(pop.income / 12 * rng.uniform(0.22, 0.38, n), 650, 15_000)
    rent = np.where(renting, np.round(monthly / 25) * 25, 0)
    return {
        "rent": rent,
        "day": rng.integers(1, 6, n).astype(np.int8),
        "landlord": rng.choice(cps.kinds["landlord"], n).astype(np.int32),
        "lead": _flats(rng, pop, renting),
    }


def _payees(rng: np.random.Generator, pop: Population) -> Array:
    """Up to four known payees per customer, mostly in the same city (friends, family)."""
    n = pop.size
    order = np.argsort(pop.city, kind="stable")
    starts = np.searchsorted(pop.city[order], np.arange(len(cat.HOME_CITIES) + 1))
    lo, hi = starts[pop.city], starts[pop.city + 1]
    picks = lo[:, None] + (rng.random((n, 4)) * (hi - lo)[:, None]).astype(np.int64)
    payees = pop.primary[order[picks]]
    count = rng.choice(5, n, p=[0.2, 0.3, 0.25, 0.15, 0.1])
    payees[np.arange(4)[None, :] >= count[:, None]] = -1
    payees[payees == pop.primary[:, None]] = -1
    return np.sort(payees, axis=1)[:, ::-1].astype(np.int32)  # known payees first, -1 last


def _travel(rng: np.random.Generator, n: int, days: int, share: float) -> dict[str, Array]:
    travels = rng.random(n) < share * max(1.0, days / 14)
    start = np.where(travels, rng.integers(0, max(1, days - 2), n), -1)
    return {
        "start": start.astype(np.int32),
        "len": rng.integers(2, 12, n).astype(np.int32),
        "city": rng.integers(0, len(cat.FOREIGN_CITIES), n).astype(np.int32),
    }


def _remittance(rng: np.random.Generator, pop: Population, cps: Counterparties) -> Array:
    n = pop.size
    rows = cps.kinds["family"]
    countries = np.array(cps.countries, dtype=object)[rows]
    target = np.full(n, -1, dtype=np.int32)
    sends = (pop.country != cat.HOME_COUNTRY) & (rng.random(n) < 0.75)
    sends |= (pop.kind == 0) & (rng.random(n) < 0.04)
    for country in np.unique(pop.country[sends]):
        who = np.flatnonzero(sends & (pop.country == country))
        same = rows[countries == country]
        target[who] = rng.choice(same if same.size else rows, who.size)
    return target


def _devices(
    rng: np.random.Generator, pop: Population, days: int, share: float
) -> tuple[Array, Array]:
    n = pop.size
    new = (pop.device >= 0) & (rng.random(n) < share * max(1.0, days / 14))
    day = np.where(new, rng.integers(0, days, n), -1).astype(np.int32)
    device = np.full(n, -1, dtype=np.int32)
    device[new] = rng.choice(pop.spare_devices, int(new.sum()))
    return day, device


def build_habits(
    rng: np.random.Generator, pop: Population, cps: Counterparties, days: int, spec: PopulationSpec
) -> Habits:
    """Draw every customer's routine."""
    n = pop.size
    pay = _payroll(rng, pop, cps)
    rent = _rent(rng, pop, cps)
    trip = _travel(rng, n, days, spec.traveller_share)
    new_day, new_dev = _devices(rng, pop, days, spec.new_device_share)
    cash = np.array([o in cat.CASH_INTENSIVE for o in pop.occupation]) & (pop.kind == 1)
    wakes = pop.dormant & (rng.random(n) < 0.15)
    return Habits(
        pay_freq=pay["freq"],
        pay_day=pay["day"],
        net_pay=pay["net"],
        employer_ext=pay["ext"],
        employer_acct=pay["acct"],
        rent=rent["rent"],
        rent_day=rent["day"],
        landlord=rent["landlord"],
        flat_lead=rent["lead"],
        utility=rng.choice(cps.kinds["utility"], n).astype(np.int32),
        utility_day=rng.integers(5, 26, n).astype(np.int8),
        payees=_payees(rng, pop),
        save_share=np.where(pop.savings >= 0, rng.uniform(0.03, 0.2, n), 0.0),
        remit_to=_remittance(rng, pop, cps),
        remit_day=rng.integers(1, 29, n).astype(np.int8),
        trip_start=trip["start"],
        trip_len=trip["len"],
        trip_city=trip["city"],
        new_device_day=new_day,
        new_device=new_dev,
        cash_business=cash,
        reactivate_day=np.where(wakes, rng.integers(0, days, n), -1).astype(np.int32),
        suppliers=rng.choice(cps.kinds["supplier"], (n, 3)).astype(np.int32),
        card_pay_day=rng.integers(18, 29, n).astype(np.int8),
    )


__all__ = ["BIWEEKLY", "MONTHLY", "NONE", "PENSION", "Habits", "build_habits"]
