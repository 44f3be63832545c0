"""The World: everything drawn once per run, and the seeded streams to draw the rest.

Each component gets its own random stream, ``PCG64(derive_seed(seed, "sim", *names))``,
so adding a typology or changing how many numbers one activity draws leaves
every other stream, and so every other part of the output, as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from finmon.core.currency import Currency, get_currency
from finmon.core.rng import derive_seed
from finmon.sim.block import Array
from finmon.sim.counterparties import Counterparties, build_counterparties
from finmon.sim.habits import Habits, build_habits
from finmon.sim.merchants import Branches, Merchants, build_branches, build_merchants
from finmon.sim.population import Population, build_population
from finmon.sim.sanctions import load_sanctioned_names
from finmon.sim.scenarios import Scenario
from finmon.sim.timing import Calendar

CURRENCY = "USD"


def stream(seed: int, *names: str) -> np.random.Generator:
    """An independent numpy generator for the component ``names`` of run ``seed``."""
    return np.random.Generator(np.random.PCG64(derive_seed(seed, "sim", *names)))


@dataclass(frozen=True, slots=True)
class World:
    """The drawn bank: population, merchants, counterparties, branches, habits, calendar."""

    scenario: Scenario
    customers: int
    currency: Currency
    threshold_minor: int
    calendar: Calendar
    pop: Population
    merchants: Merchants
    branches: Branches
    cps: Counterparties
    habits: Habits

    @property
    def seed(self) -> int:
        return self.scenario.seed

    def rng(self, *names: str) -> np.random.Generator:
        return stream(self.scenario.seed, *names)

    def minor(self, major: Array) -> Array:
        """Dollar amounts drawn as floats, to integer minor units (at least one)."""
        scale = 10**self.currency.exponent
        return np.asarray(np.maximum(np.rint(np.asarray(major) * scale), 1), dtype=np.int64)

    def active(self, day: int) -> Array:
        """Customers who bank on ``day``: all but the dormant (unless they woke up already)."""
        woke = (self.habits.reactivate_day >= 0) & (self.habits.reactivate_day <= day)
        return ~self.pop.dormant | woke


def build_world(scenario: Scenario, customers: int | None = None) -> World:
    """Draw the bank for ``scenario`` (with ``customers`` overriding its population size)."""
    n = customers or scenario.customers
    seed = scenario.seed
    calendar = Calendar.from_start(scenario.start_utc(), scenario.days)
    currency = get_currency(CURRENCY)
    threshold = int(scenario.reporting_threshold * Decimal(10**currency.exponent))
    pop = build_population(stream(seed, "population"), n, scenario.population, calendar.start_us)
    listed = load_sanctioned_names(stream(seed, "sanctions"))
    cps = build_counterparties(stream(seed, "counterparties"), n, listed)
    habits = build_habits(stream(seed, "habits"), pop, cps, scenario.days, scenario.population)
    return World(
        scenario=scenario,
        customers=n,
        currency=currency,
        threshold_minor=threshold,
        calendar=calendar,
        pop=pop,
        merchants=build_merchants(stream(seed, "merchants"), scenario.merchants),
        branches=build_branches(stream(seed, "branches"), n),
        cps=cps,
        habits=habits,
    )


__all__ = ["CURRENCY", "World", "build_world", "stream"]
