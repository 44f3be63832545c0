"""Parties outside the bank: employers, landlords, utilities, suppliers, family abroad, banks.

Transfers to them carry the name, account, bank (BIC) and country a payment
message would carry. The same pools serve honest and dishonest flows: a
launderer's exit account sits among the foreign suppliers that honest
businesses pay, and a remittance to a higher-risk country is mostly family
support. Only the sanctioned names are reserved for their typology; near-miss
names (sharing a surname or a word with a listed one) are given to honest
payees so that a screening match is not proof.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from string import ascii_uppercase

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import Array
from finmon.sim.sanctions import SanctionedNames

_FOREIGN_BANK_COUNTRIES = tuple(
    sorted(
        set(cat.FOREIGN_RESIDENT_COUNTRIES)
        | set(cat.HIGH_RISK_COUNTRIES)
        | {c.country for c in cat.FOREIGN_CITIES}
        | {"CH", "KY", "CY", "HK", "SG", "LU", "PA"}
    )
)
_UTILITIES = (
    "Metro Power & Light",
    "City Water Dept",
    "Atlantic Gas Co",
    "FiberNet Internet",
    "Horizon Wireless",
    "Civic Waste Services",
)
_SUPPLIER_FOREIGN = ("CN", "MX", "DE", "TR", "AE", "VN", "IN", "HK", "GB", "NG", "PK", "SG")


@dataclass(slots=True)
class Counterparties:
    """External counterparties as parallel lists, with row ranges per kind.

    ``kinds`` maps a kind (employer, landlord, utility, payer, supplier, family,
    foreign_business, exit, sanctioned, near_miss, pension) to its row numbers.
    """

    names: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    banks: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    kinds: dict[str, Array] = field(default_factory=dict)
    sanctions_source: str = ""

    @property
    def size(self) -> int:
        return len(self.names)

    def add(
        self, kind: str, names: list[str], countries: list[str], rng: np.random.Generator
    ) -> None:
        start = self.size
        n = len(names)
        letters = np.array(list(ascii_uppercase), dtype=object)
        bank = rng.choice(letters, (n, 5))
        digits = rng.integers(10**13, 10**14, n)
        check = rng.integers(10, 100, n)
        loc = rng.integers(2, 10, n)
        for i, (name, country) in enumerate(zip(names, countries, strict=True)):
            self.names.append(name)
            self.countries.append(country)
            code = "".join(bank[i, :4])
            self.banks.append(f"{code}{country}{loc[i]}{bank[i, 4]}")
            self.accounts.append(f"{country}{check[i]}{digits[i]}")
        self.kinds[kind] = np.arange(start, self.size, dtype=np.int32)

    def of_country(self, kind: str, countries: set[str]) -> Array:
        rows = self.kinds[kind]
        return rows[np.isin(np.array(self.countries, dtype=object)[rows], list(countries))]


def _company(rng: np.random.Generator, n: int, extra: str = "") -> list[str]:
    words = rng.choice(np.array(cat.BUSINESS_WORDS, dtype=object), size=(n, 2))
    suffix = rng.choice(np.array(cat.BUSINESS_SUFFIXES, dtype=object), size=n)
    return [f"{a} {b}{extra} {s}" for (a, b), s in zip(words, suffix, strict=True)]


def _people(rng: np.random.Generator, n: int) -> list[str]:
    first = rng.choice(np.array(cat.FIRST_NAMES, dtype=object), size=n)
    last = rng.choice(np.array(cat.LAST_NAMES, dtype=object), size=n)
    return [f"{f} {s}" for f, s in zip(first, last, strict=True)]


def _near_misses(rng: np.random.Generator, listed: SanctionedNames, n: int) -> list[str]:
    """Honest names that share one word with a listed name: what makes screening hard."""
    out = []
    for i in rng.integers(0, len(listed.names), n):
        words = [w for w in listed.names[int(i)].replace(",", " ").split() if len(w) > 2]
        word = words[-1].title() if words else "Ali"
        out.append(f"{cat.FIRST_NAMES[int(rng.integers(len(cat.FIRST_NAMES)))]} {word}")
    return out


def build_counterparties(
    rng: np.random.Generator, customers: int, listed: SanctionedNames
) -> Counterparties:
    """External parties scaled to the population."""
    cps = Counterparties(sanctions_source=listed.source)
    k = max(1, customers // 100)
    home = cat.HOME_COUNTRY
    cps.add("employer", _company(rng, 5 + 2 * k), [home] * (5 + 2 * k), rng)
    cps.add("landlord", _people(rng, 10 + 6 * k), [home] * (10 + 6 * k), rng)
    cps.add("utility", list(_UTILITIES), [home] * len(_UTILITIES), rng)
    cps.add("pension", ["Social Security Administration"], [home], rng)
    cps.add("payer", _company(rng, 20 + 5 * k), [home] * (20 + 5 * k), rng)
    sup_c = [
        str(c) if rng.random() < 0.3 else home for c in rng.choice(_SUPPLIER_FOREIGN, 20 + 3 * k)
    ]
    cps.add("supplier", _company(rng, len(sup_c), " Supply"), sup_c, rng)
    fam_c = [
        str(c)
        for c in rng.choice(cat.FOREIGN_RESIDENT_COUNTRIES + cat.REMITTANCE_HIGH_RISK, 20 + 4 * k)
    ]
    cps.add("family", _people(rng, len(fam_c)), fam_c, rng)
    fb_c = [str(c) for c in rng.choice(_FOREIGN_BANK_COUNTRIES, 20 + 2 * k)]
    cps.add("foreign_business", _company(rng, len(fb_c), " Intl"), fb_c, rng)
    cps.add("friend", _people(rng, 20 + 5 * k), [home] * (20 + 5 * k), rng)
    cps.add("sanctioned", list(listed.names), [c or "AE" for c in listed.countries], rng)
    cps.add("near_miss", _near_misses(rng, listed, 10 + k), [home] * (10 + k), rng)
    return cps


__all__ = ["Counterparties", "build_counterparties"]
