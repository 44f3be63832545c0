"""The bank's customers, accounts and devices, drawn once per run, all vectorised.

Individuals and businesses fall into segments (mass, affluent, private,
student, retiree, small business, corporate); each segment has its own income
distribution (log-normal), ages, occupations and channel habits. Most customers
live in the bank's home country, a few are foreign residents; a few are PEPs.
The KYC risk rating follows what a bank's own model would use (PEP status,
foreign residence, cash-intensive business, occupation) plus noise, so it is
informative but not a label.

Devices: digital customers hold one to three enrolled devices, each with a
home IP. The device registry lists devices enrolled before the simulation
starts; devices first seen later (a customer's new phone, a fraudster's
laptop) are not in it, so "unknown device" is a signal shared by honest and
dishonest traffic, never a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from finmon.sim import catalog as cat
from finmon.sim.block import Array
from finmon.sim.scenarios import PopulationSpec

DAY_US = 86_400_000_000
YEAR_US = 365 * DAY_US
_SEGMENT_SHARE_IND = np.array([0.58, 0.16, 0.02, 0.10, 0.14])
_SEGMENT_SHARE_BIZ = np.array([0.85, 0.15])
_INCOME_MEDIAN = np.array([52e3, 120e3, 450e3, 14e3, 32e3, 380e3, 6.5e6])
_INCOME_SIGMA = np.array([0.45, 0.35, 0.6, 0.5, 0.35, 0.8, 0.9])
_AGE_RANGE = np.array([[23, 64], [28, 66], [35, 80], [18, 26], [65, 92], [0, 0], [0, 0]])
_DIGITAL_BY_SEGMENT = np.array([0.9, 0.95, 0.9, 0.99, 0.6, 0.9, 1.0])


def format_ids(prefix: str, n: int, rng: np.random.Generator, digits: int) -> Array:
    """``n`` distinct ids ``prefix`` + ``digits`` digits, scrambled so row order does not show.

    ``x -> (a*x + b) mod 10**digits`` with ``a`` prime to 10 is a bijection, so ids
    are unique without a set; they carry no meaning (no segment, no typology).
    """
    modulus = 10**digits
    a = int(rng.integers(modulus // 10, modulus)) | 1
    while a % 5 == 0:
        a += 2
    b = int(rng.integers(0, modulus))
    values = (np.arange(n, dtype=object) * a + b) % modulus
    text = np.char.zfill(values.astype(np.int64).astype(str), digits)
    return np.char.add(prefix, text).astype(object)


def random_ips(rng: np.random.Generator, n: int, first_octets: tuple[int, ...]) -> list[str]:
    """Public-looking IPv4 addresses (no private ranges)."""
    octets = rng.integers(1, 255, size=(n, 3)).astype(str).astype(object)
    first = rng.choice(np.array(first_octets), size=n).astype(str).astype(object)
    dot = np.full(n, ".", dtype=object)
    joined = first + dot + octets[:, 0] + dot + octets[:, 1] + dot + octets[:, 2]
    return [str(x) for x in joined]


@dataclass(frozen=True, slots=True)
class Population:
    """Customers, accounts and devices as parallel arrays; row numbers are the internal ids.

    Customer arrays are indexed by customer row, ``acct_*`` by account row and
    ``dev_*`` by device row. ``primary``, ``savings`` and ``credit`` map a
    customer to its account rows (-1 when it has none); ``device`` to its main
    enrolled device (-1 for a non-digital customer).
    """

    ids: Array
    kind: Array
    segment: Array
    income: Array
    occupation: Array
    country: Array
    dob_days: Array
    pep: Array
    risk: Array
    city: Array
    home_lat: Array
    home_lon: Array
    onboarded_us: Array
    activity: Array
    dormant: Array
    names: Array
    acct_ids: Array
    acct_owner: Array
    acct_product: Array
    acct_opened_us: Array
    primary: Array
    savings: Array
    credit: Array
    dev_ids: Array
    dev_owner: Array
    dev_kind: Array
    dev_first_us: Array
    dev_ip: Array
    device: Array
    spare_devices: Array
    ips: list[str]
    pool_ips: Array

    @property
    def size(self) -> int:
        return int(self.segment.shape[0])


def _segments(rng: np.random.Generator, n: int, spec: PopulationSpec) -> tuple[Array, Array]:
    kind = (rng.random(n) < spec.business_share).astype(np.int8)
    ind = rng.choice(5, size=n, p=_SEGMENT_SHARE_IND)
    biz = 5 + rng.choice(2, size=n, p=_SEGMENT_SHARE_BIZ)
    return kind, np.where(kind == 1, biz, ind).astype(np.int8)


def _names(rng: np.random.Generator, kind: Array) -> Array:
    n = kind.shape[0]
    first = rng.choice(np.array(cat.FIRST_NAMES, dtype=object), size=n)
    last = rng.choice(np.array(cat.LAST_NAMES, dtype=object), size=n)
    word = rng.choice(np.array(cat.BUSINESS_WORDS, dtype=object), size=n)
    suffix = rng.choice(np.array(cat.BUSINESS_SUFFIXES, dtype=object), size=n)
    return np.array(
        [
            f"{w} {s_} {x}" if k else f"{f} {s_}"
            for k, f, s_, w, x in zip(kind, first, last, word, suffix, strict=True)
        ],
        dtype=object,
    )


def _kyc(
    rng: np.random.Generator, segment: Array, spec: PopulationSpec, start_us: int
) -> dict[str, Array]:
    n = segment.shape[0]
    income = _INCOME_MEDIAN[segment] * np.exp(rng.normal(0, _INCOME_SIGMA[segment]))
    occupation = np.empty(n, dtype=object)
    for seg, jobs in cat.OCCUPATIONS.items():
        rows = np.flatnonzero(segment == seg)
        occupation[rows] = rng.choice(np.array(jobs, dtype=object), rows.size)
    foreign = rng.random(n) < spec.foreign_share
    origin = rng.choice(np.array(cat.FOREIGN_RESIDENT_COUNTRIES, dtype=object), size=n)
    country = np.where(foreign, origin, cat.HOME_COUNTRY)
    lo, hi = _AGE_RANGE[segment, 0], _AGE_RANGE[segment, 1]
    age_days = ((lo + rng.random(n) * (hi - lo)) * 365.25).astype(np.int64)
    dob = np.where(lo > 0, start_us // DAY_US - age_days, -1)
    pep = rng.random(n) < spec.pep_share * np.where(segment == 2, 8, 1)
    cash = np.isin(occupation, list(cat.CASH_INTENSIVE))
    score = 0.8 * pep + 0.35 * foreign + 0.35 * cash + 0.25 * (segment == 2) + rng.normal(0, 0.2, n)
    risk = np.digitize(score, [0.35, 0.75]).astype(np.int8)
    return {
        "income": income,
        "occupation": occupation,
        "country": country,
        "dob_days": dob,
        "pep": pep,
        "risk": risk,
        "cash": cash,
    }


def _homes(rng: np.random.Generator, n: int) -> tuple[Array, Array, Array]:
    weights = np.array([c.weight for c in cat.HOME_CITIES])
    city = rng.choice(len(cat.HOME_CITIES), size=n, p=weights / weights.sum()).astype(np.int16)
    lat = np.array([c.lat for c in cat.HOME_CITIES])[city] + rng.normal(0, 0.06, n)
    lon = np.array([c.lon for c in cat.HOME_CITIES])[city] + rng.normal(0, 0.08, n)
    return city, lat, lon


def _accounts(
    rng: np.random.Generator, kind: Array, segment: Array, onboarded: Array, start_us: int
) -> dict[str, Any]:
    n = kind.shape[0]
    has_savings = (kind == 0) & (rng.random(n) < np.where(segment == 3, 0.25, 0.6))
    has_credit = rng.random(n) < np.where(segment == 3, 0.35, np.where(kind == 1, 0.5, 0.7))
    owners = [np.arange(n), np.flatnonzero(has_savings), np.flatnonzero(has_credit)]
    products = [np.where(kind == 1, 3, 0), np.full(owners[1].size, 1), np.full(owners[2].size, 2)]
    owner = np.concatenate(owners).astype(np.int32)
    product = np.concatenate(products).astype(np.int8)
    later = (rng.random(owner.size) < 0.3) & (owner >= 0)
    opened = onboarded[owner] + later * (rng.random(owner.size) * (start_us - onboarded[owner]))
    primary = np.arange(n, dtype=np.int32)
    savings = np.full(n, -1, dtype=np.int32)
    savings[owners[1]] = n + np.arange(owners[1].size)
    credit = np.full(n, -1, dtype=np.int32)
    credit[owners[2]] = n + owners[1].size + np.arange(owners[2].size)
    return {
        "owner": owner,
        "product": product,
        "opened": opened.astype(np.int64),
        "primary": primary,
        "savings": savings,
        "credit": credit,
    }


def _devices(
    rng: np.random.Generator, segment: Array, digital: Array, onboarded: Array, spares: int
) -> dict[str, Any]:
    n = segment.shape[0]
    count = np.where(digital, rng.choice([1, 2, 3], size=n, p=[0.55, 0.35, 0.10]), 0)
    owner = np.repeat(np.arange(n, dtype=np.int32), count)
    kinds = rng.choice(3, size=owner.size, p=[0.7, 0.22, 0.08]).astype(np.int8)
    first_of = np.r_[0, np.cumsum(count)[:-1]]
    device = np.where(count > 0, first_of, -1).astype(np.int32)
    kinds[device[device >= 0]] = 0  # the main device is a phone
    first_seen = onboarded[owner] + (rng.random(owner.size) * 2 * YEAR_US).astype(np.int64)
    first_seen = np.minimum(first_seen, onboarded[owner] + 10 * DAY_US)
    owner = np.concatenate([owner, np.full(spares, -1, dtype=np.int32)])
    kinds = np.concatenate([kinds, rng.choice(3, size=spares, p=[0.6, 0.35, 0.05])])
    first_seen = np.concatenate([first_seen, np.full(spares, np.iinfo(np.int64).max)])
    return {"owner": owner, "kind": kinds.astype(np.int8), "first": first_seen, "device": device}


_HOME_OCTETS = (24, 47, 50, 67, 68, 69, 71, 73, 75, 76, 96, 98, 99, 104, 107, 108, 174)
_POOL_OCTETS = (2, 5, 31, 37, 41, 45, 62, 77, 81, 89, 102, 103, 105, 117, 154, 185, 197)


def build_population(
    rng: np.random.Generator, n: int, spec: PopulationSpec, start_us: int
) -> Population:
    """Draw ``n`` customers with their accounts and devices."""
    kind, segment = _segments(rng, n, spec)
    kyc = _kyc(rng, segment, spec, start_us)
    city, lat, lon = _homes(rng, n)
    tenure = rng.exponential(5.0, n) * YEAR_US + rng.random(n) * 30 * DAY_US
    tenure = np.where(segment == 3, tenure / 4, tenure)
    onboarded = (start_us - tenure).astype(np.int64)
    accounts = _accounts(rng, kind, segment, onboarded, start_us)
    digital = rng.random(n) < _DIGITAL_BY_SEGMENT[segment] * min(1.0, spec.digital_share / 0.85)
    spares = max(200, n // 20)
    devices = _devices(rng, segment, digital, onboarded, spares)
    n_dev = devices["owner"].size
    pool = max(500, n // 10)
    ips = random_ips(rng, n_dev, _HOME_OCTETS) + random_ips(rng, pool, _POOL_OCTETS)
    activity = rng.lognormal(-0.18, 0.6, n) * spec.activity
    dormant = rng.random(n) < spec.dormant_share
    return Population(
        ids=format_ids("C", n, rng, 9),
        kind=kind,
        segment=segment,
        income=kyc["income"],
        occupation=kyc["occupation"],
        country=kyc["country"],
        dob_days=kyc["dob_days"],
        pep=kyc["pep"],
        risk=kyc["risk"],
        city=city,
        home_lat=lat,
        home_lon=lon,
        onboarded_us=onboarded,
        activity=activity,
        dormant=dormant,
        names=_names(rng, kind),
        acct_ids=format_ids("AC", accounts["owner"].size, rng, 10),
        acct_owner=accounts["owner"],
        acct_product=accounts["product"],
        acct_opened_us=accounts["opened"],
        primary=accounts["primary"],
        savings=accounts["savings"],
        credit=accounts["credit"],
        dev_ids=format_ids("DV", n_dev, rng, 12),
        dev_owner=devices["owner"],
        dev_kind=devices["kind"],
        dev_first_us=devices["first"],
        dev_ip=np.arange(n_dev, dtype=np.int32),
        device=devices["device"],
        spare_devices=np.arange(n_dev - spares, n_dev, dtype=np.int32),
        ips=ips,
        pool_ips=np.arange(n_dev, n_dev + pool, dtype=np.int32),
    )


__all__ = ["DAY_US", "YEAR_US", "Population", "build_population", "format_ids", "random_ips"]
