"""Merchants (by ISO 18245 category, city and channel) and the bank's branches and ATMs.

Card spending picks a merchant by category and place: a card-present purchase
happens at a merchant in the cardholder's city (or, abroad, in the city being
visited), a card-not-present one at an online merchant. The lookup is a sorted
key table so millions of picks are one ``searchsorted``, not a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import Array
from finmon.sim.population import format_ids

N_HOME = len(cat.HOME_CITIES)
N_FOREIGN = len(cat.FOREIGN_CITIES)
ONLINE_LOC = N_HOME + N_FOREIGN
"""Location code of online merchants; 0..N_HOME-1 are home cities, then foreign cities."""
_N_LOC = ONLINE_LOC + 1
_ONLINE_COUNTRIES = ("US", "US", "US", "US", "GB", "CA", "CN", "IE", "NL")


@dataclass(frozen=True, slots=True)
class Merchants:
    """Merchant rows: id, name, category (index into CATEGORIES), place, risk."""

    ids: Array
    names: Array
    category: Array
    loc: Array
    country: Array
    lat: Array
    lon: Array
    risk: Array
    _order: Array
    _starts: Array
    _cat_order: Array
    _cat_starts: Array

    @property
    def size(self) -> int:
        return int(self.category.shape[0])

    def pick(self, rng: np.random.Generator, category: Array, loc: Array) -> Array:
        """A merchant of ``category`` at ``loc`` for each request (any place if none is there)."""
        key = category.astype(np.int64) * _N_LOC + loc
        lo, hi = self._starts[key], self._starts[key + 1]
        any_lo, any_hi = self._cat_starts[category], self._cat_starts[category + 1]
        empty = hi == lo
        lo = np.where(empty, any_lo, lo)
        span = np.where(empty, any_hi - any_lo, hi - lo)
        offset = (rng.random(key.shape[0]) * span).astype(np.int64)
        source = np.where(empty, self._cat_order[np.minimum(lo + offset, self.size - 1)], 0)
        local = self._order[np.minimum(lo + offset, self.size - 1)]
        return np.where(empty, source, local).astype(np.int32)

    def of_category(self, mcc: str) -> Array:
        return np.flatnonzero(self.category == cat.MCC_INDEX[mcc])


def _categories(rng: np.random.Generator, n: int) -> Array:
    weights = np.array([c.weight for c in cat.CATEGORIES]) ** 0.6  # long tail of small shops
    base = np.tile(np.arange(len(cat.CATEGORIES)), 3)
    extra = rng.choice(len(cat.CATEGORIES), size=max(0, n - base.size), p=weights / weights.sum())
    return np.concatenate([base, extra])[:n].astype(np.int16)


def _places(rng: np.random.Generator, category: Array) -> tuple[Array, Array, Array, Array]:
    n = category.shape[0]
    online_share = np.array([c.online for c in cat.CATEGORIES])[category]
    online = rng.random(n) < online_share
    foreign = ~online & (rng.random(n) < 0.12)
    home_w = np.array([c.weight for c in cat.HOME_CITIES])
    home = rng.choice(N_HOME, size=n, p=home_w / home_w.sum())
    abroad = N_HOME + rng.integers(0, N_FOREIGN, n)
    loc = np.where(online, ONLINE_LOC, np.where(foreign, abroad, home)).astype(np.int16)
    cities = cat.HOME_CITIES + cat.FOREIGN_CITIES
    lat = np.array([c.lat for c in cities] + [np.nan])[loc] + rng.normal(0, 0.05, n)
    lon = np.array([c.lon for c in cities] + [np.nan])[loc] + rng.normal(0, 0.07, n)
    web = rng.choice(np.array(_ONLINE_COUNTRIES, dtype=object), size=n)
    country = np.where(
        online, web, np.array([c.country for c in cities] + ["US"], dtype=object)[loc]
    )
    return loc, country, lat, lon


def build_merchants(rng: np.random.Generator, n: int) -> Merchants:
    """Draw ``n`` merchants; every category gets at least three."""
    category = _categories(rng, n)
    loc, country, lat, lon = _places(rng, category)
    base_risk = np.array([cat.RISK_RATINGS_INDEX[c.risk] for c in cat.CATEGORIES])[category]
    risk = np.clip(base_risk + (rng.random(n) < 0.05), 0, 2).astype(np.int8)
    words = rng.choice(np.array(cat.BUSINESS_WORDS, dtype=object), size=n)
    names = np.array(
        [
            f"{w} {cat.CATEGORIES[c].label} {i % 97 + 1}"
            for i, (w, c) in enumerate(zip(words, category, strict=True))
        ],
        dtype=object,
    )
    key = category.astype(np.int64) * _N_LOC + loc
    order = np.argsort(key, kind="stable")
    starts = np.searchsorted(key[order], np.arange(len(cat.CATEGORIES) * _N_LOC + 1))
    cat_order = np.argsort(category, kind="stable")
    cat_starts = np.searchsorted(category[cat_order], np.arange(len(cat.CATEGORIES) + 1))
    return Merchants(
        ids=format_ids("M", n, rng, 8),
        names=names,
        category=category,
        loc=loc,
        country=country,
        lat=lat,
        lon=lon,
        risk=risk,
        _order=order,
        _starts=starts,
        _cat_order=cat_order,
        _cat_starts=cat_starts,
    )


@dataclass(frozen=True, slots=True)
class Branches:
    """Branches (cash counters) and ATMs of the bank, by home city."""

    city: Array
    lat: Array
    lon: Array
    _starts: Array

    def pick(self, rng: np.random.Generator, city: Array) -> Array:
        """A branch in each requested city, uniformly among that city's branches."""
        lo, hi = self._starts[city], self._starts[city + 1]
        picked = lo + (rng.random(city.shape[0]) * (hi - lo)).astype(np.int64)
        return np.asarray(picked, dtype=np.int32)


def build_branches(rng: np.random.Generator, customers: int) -> Branches:
    per_city = max(3, min(40, customers // 2000))
    city = np.repeat(np.arange(N_HOME), per_city)
    lat = np.array([c.lat for c in cat.HOME_CITIES])[city] + rng.normal(0, 0.05, city.size)
    lon = np.array([c.lon for c in cat.HOME_CITIES])[city] + rng.normal(0, 0.07, city.size)
    starts = np.searchsorted(city, np.arange(N_HOME + 1))
    return Branches(city=city, lat=lat, lon=lon, _starts=starts)


__all__ = ["ONLINE_LOC", "Branches", "Merchants", "build_branches", "build_merchants"]
