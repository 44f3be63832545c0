"""The feature catalogue: every feature the engine computes, declared once as data.

Rules, models and docs read features *by name*, and a model is only valid for
the exact definitions it was trained on; so the definitions live here as
frozen records that both the online engine (:mod:`.online`) and the columnar
backfill (:mod:`.offline`) compile, and :data:`FEATURE_SET_VERSION` hashes
their canonical description so a model trained on other definitions is refused.

A definition says *what* (kind, entity key, window, value, filter), never *how*:

``count`` / ``sum`` / ``max`` / ``distinct``
    over the entity's events in the window, the current one included;
    ``sum``/``max`` read the amount in minor units; ``distinct`` counts the
    distinct non-null ``value``; ``filter`` restricts which events count.
``ratio``
    ``sum(filter) / sum(denominator)`` in the window, 0 when the denominator
    is 0, capped at ``cap`` (pass-through of funds).
``prev_zscore`` / ``prev_ratio_mean`` / ``prev_ratio_max``
    the amount against the entity's *previous* events in the window (the
    current one excluded): z-score (population standard deviation; 0 with
    fewer than 2 previous or no spread), amount / mean and amount / max (1 when
    none).
``since_last``
    seconds since the entity's previous event, capped at the window (the window
    when none).
``first_seen``
    1 when ``value`` is present and absent from the entity's previous events
    in the window, else 0.
``prev_distance`` / ``prev_speed``
    haversine km from the entity's previous *located* event in the window, and
    that distance over ``max(elapsed, 60 s)`` in km/h; 0 when none.
``hour_share``
    share of the entity's previous events in the window that fall in the
    current event's 3-hour bucket of the UTC day; 1 when none.
``row``
    a property of the transaction alone (``value`` names it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import orjson

from finmon.sources.canonical import CHANNELS

Kind = Literal[
    "count",
    "sum",
    "max",
    "distinct",
    "ratio",
    "prev_zscore",
    "prev_ratio_mean",
    "prev_ratio_max",
    "since_last",
    "first_seen",
    "prev_distance",
    "prev_speed",
    "hour_share",
    "row",
]
Entity = Literal["account", "customer", "card", "device", "ip", "merchant", "counterparty", "row"]

#: Window lengths in seconds, by label.
WINDOWS: dict[str, int] = {
    "1m": 60,
    "1h": 3600,
    "24h": 86_400,
    "7d": 7 * 86_400,
    "30d": 30 * 86_400,
}

#: The transaction field (or derived value) that keys each entity. ``card`` is the
#: account, restricted to card channels; ``row`` features keep no state.
ENTITY_KEYS: dict[str, str] = {
    "account": "account_id",
    "customer": "customer_id",
    "card": "account_id (card_present/card_not_present only)",
    "device": "device_id",
    "ip": "ip_address",
    "merchant": "merchant_id",
    "counterparty": "counterparty_account_id",
    "row": "",
}

#: Event filters: which events of the entity a windowed feature counts.
FILTERS: dict[str, str] = {
    "debit": "direction is debit",
    "credit": "direction is credit",
    "cnp": "channel is card_not_present",
    "cash": "channel is cash_deposit or cash_withdrawal",
    "small": "amount below 5.00 major units",
    "round": "amount a whole multiple of 100 major units",
    "below_threshold": "amount in [90%, 100%) of the currency's reporting threshold",
}

#: Values a ``distinct``/``first_seen`` feature reads.
VALUES: dict[str, str] = {
    "merchant_id": "merchant_id",
    "counterparty_account_id": "counterparty_account_id",
    "device_id": "device_id",
    "ip_address": "ip_address",
    "account_id": "account_id",
    "customer_id": "customer_id",
    "country": "merchant_country, else counterparty_country",
    "merchant_country": "merchant_country",
    "amount": "amount in minor units",
}

CHANNEL_NAMES: tuple[str, ...] = CHANNELS


@dataclass(frozen=True, slots=True)
class FeatureDef:
    """One feature: what it measures, over which entity's events, in which window."""

    name: str
    kind: Kind
    entity: Entity
    window: str | None = None
    value: str | None = None
    filter: str | None = None
    denominator: str | None = None
    cap: float | None = None
    meaning: str = ""

    @property
    def window_s(self) -> int:
        """The window in seconds (0 for row features)."""
        return WINDOWS[self.window] if self.window else 0

    def canonical(self) -> dict[str, object]:
        """Everything that changes the computed value (not the prose)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "entity": self.entity,
            "window": self.window,
            "value": self.value,
            "filter": self.filter,
            "denominator": self.denominator,
            "cap": self.cap,
        }


def _count(entity: Entity, prefix: str, window: str, flt: str | None = None) -> FeatureDef:
    label = f"{flt}_" if flt else ""
    name = f"{prefix}_{label}count_{window}"
    what = f" ({FILTERS[flt]})" if flt else ""
    return FeatureDef(name, "count", entity, window, None, flt, meaning=f"events{what} in {window}")


def _sum(entity: Entity, prefix: str, window: str, flt: str | None = None) -> FeatureDef:
    label = f"{flt}_" if flt else ""
    what = f" ({FILTERS[flt]})" if flt else ""
    return FeatureDef(
        f"{prefix}_{label}sum_{window}",
        "sum",
        entity,
        window,
        "amount",
        flt,
        meaning=f"sum of amounts{what} in {window}, minor units",
    )


def _distinct(
    name: str, entity: Entity, window: str, value: str, flt: str | None = None
) -> FeatureDef:
    what = f" on {FILTERS[flt]}" if flt else ""
    return FeatureDef(
        name, "distinct", entity, window, value, flt, meaning=f"distinct {value}{what} in {window}"
    )


def _first_seen(name: str, entity: Entity, value: str) -> FeatureDef:
    return FeatureDef(
        name,
        "first_seen",
        entity,
        "30d",
        value,
        meaning=f"1 when {value} is present and not seen on this {entity} in the previous 30d",
    )


def _row(name: str, meaning: str) -> FeatureDef:
    return FeatureDef(name, "row", "row", None, name, meaning=meaning)


def _account() -> list[FeatureDef]:
    a: Entity = "account"
    defs = [_count(a, "acct", w) for w in ("1m", "1h", "24h", "7d", "30d")]
    defs += [_sum(a, "acct", w) for w in ("1h", "24h", "7d", "30d")]
    defs += [
        FeatureDef(f"acct_max_{w}", "max", a, w, "amount", meaning=f"largest amount in {w}")
        for w in ("24h", "7d")
    ]
    defs += [_sum(a, "acct", w, "debit") for w in ("24h", "7d")]
    defs += [_sum(a, "acct", w, "credit") for w in ("24h", "7d")]
    defs += [
        FeatureDef(
            f"acct_passthrough_{w}",
            "ratio",
            a,
            w,
            "amount",
            "debit",
            "credit",
            10.0,
            meaning=f"debit sum / credit sum in {w} (0 without credit, capped at 10)",
        )
        for w in ("24h", "7d")
    ]
    defs += [_distinct(f"acct_distinct_merchants_{w}", a, w, "merchant_id") for w in ("24h", "7d")]
    defs += [
        _distinct(f"acct_out_degree_{w}", a, w, "counterparty_account_id", "debit")
        for w in ("24h", "7d")
    ]
    defs += [
        _distinct(f"acct_in_degree_{w}", a, w, "counterparty_account_id", "credit")
        for w in ("24h", "7d")
    ]
    defs += [
        _distinct("acct_distinct_devices_7d", a, "7d", "device_id"),
        _distinct("acct_distinct_countries_7d", a, "7d", "country"),
        FeatureDef(
            "acct_seconds_since_last",
            "since_last",
            a,
            "30d",
            meaning="seconds since the account's previous transaction (30 d when none)",
        ),
        FeatureDef(
            "acct_amount_zscore_30d",
            "prev_zscore",
            a,
            "30d",
            "amount",
            meaning="z-score of the amount vs the previous 30 d (0 with < 2 previous)",
        ),
        FeatureDef(
            "acct_amount_ratio_mean_30d",
            "prev_ratio_mean",
            a,
            "30d",
            "amount",
            meaning="amount / mean amount of the previous 30 d (1 when none)",
        ),
        FeatureDef(
            "acct_amount_ratio_max_30d",
            "prev_ratio_max",
            a,
            "30d",
            "amount",
            meaning="amount / largest amount of the previous 30 d (1 when none)",
        ),
        _first_seen("acct_first_seen_device", a, "device_id"),
        _first_seen("acct_first_seen_country", a, "country"),
        _first_seen("acct_first_seen_merchant", a, "merchant_id"),
        _first_seen("acct_first_seen_ip", a, "ip_address"),
        _first_seen("acct_first_seen_counterparty", a, "counterparty_account_id"),
        FeatureDef(
            "acct_distance_km_prev",
            "prev_distance",
            a,
            "30d",
            meaning="km from the previous located transaction in 30 d (0 when none)",
        ),
        FeatureDef(
            "acct_speed_kmh_prev",
            "prev_speed",
            a,
            "30d",
            meaning="km/h from the previous located transaction (elapsed at least 60 s)",
        ),
        FeatureDef(
            "acct_hour_share_30d",
            "hour_share",
            a,
            "30d",
            meaning="share of the previous 30 d in this 3-hour UTC bucket (1 when none)",
        ),
        _count(a, "acct", "1h", "small"),
        _count(a, "acct", "7d", "round"),
        _count(a, "acct", "7d", "below_threshold"),
        _count(a, "acct", "7d", "cash"),
    ]
    return defs


def _others() -> list[FeatureDef]:
    c: Entity = "customer"
    defs = [_count(c, "cust", w) for w in ("1h", "24h", "7d")]
    defs += [_sum(c, "cust", w) for w in ("24h", "7d")]
    defs += [
        _distinct("cust_distinct_accounts_7d", c, "7d", "account_id"),
        FeatureDef(
            "cust_seconds_since_last",
            "since_last",
            c,
            "30d",
            meaning="seconds since the customer's previous transaction (30 d when none)",
        ),
        _sum(c, "cust", "24h", "cash"),
    ]
    k: Entity = "card"
    defs += [_count(k, "card", w) for w in ("1m", "1h", "24h")]
    defs += [
        _count(k, "card", "1h", "cnp"),
        _distinct("card_distinct_merchants_1h", k, "1h", "merchant_id"),
        _sum(k, "card", "1h"),
        _distinct("card_distinct_merchant_countries_24h", k, "24h", "merchant_country"),
    ]
    d: Entity = "device"
    defs += [_count(d, "dev", w) for w in ("1h", "24h")]
    defs += [
        _distinct("dev_distinct_accounts_24h", d, "24h", "account_id"),
        _distinct("dev_distinct_accounts_7d", d, "7d", "account_id"),
        _distinct("dev_distinct_customers_7d", d, "7d", "customer_id"),
        _distinct("ip_distinct_accounts_24h", "ip", "24h", "account_id"),
    ]
    m: Entity = "merchant"
    defs += [_count(m, "merch", w) for w in ("1h", "24h")]
    defs += [
        _distinct("merch_distinct_accounts_1h", m, "1h", "account_id"),
        _distinct("merch_distinct_accounts_24h", m, "24h", "account_id"),
        _sum(m, "merch", "24h"),
        FeatureDef(
            "merch_amount_zscore_30d",
            "prev_zscore",
            m,
            "30d",
            "amount",
            meaning="z-score of the amount vs the merchant's previous 30 d",
        ),
    ]
    p: Entity = "counterparty"
    defs += [_count(p, "cpty", w) for w in ("24h", "7d")]
    defs += [
        _distinct("cpty_distinct_accounts_24h", p, "24h", "account_id"),
        _distinct("cpty_distinct_accounts_7d", p, "7d", "account_id"),
        _sum(p, "cpty", "7d"),
        FeatureDef(
            "cpty_first_seen",
            "first_seen",
            p,
            "30d",
            "counterparty_account_id",
            meaning="1 when the counterparty account had no transaction in the previous 30 d",
        ),
    ]
    return defs


def _rows() -> list[FeatureDef]:
    defs = [
        _row("amount", "amount in minor units"),
        _row("amount_log10", "log10(amount in major units + 1)"),
        _row("is_round_amount", "amount a whole multiple of 100 major units"),
        _row("is_just_below_threshold", "amount in [90%, 100%) of the reporting threshold"),
        _row("mcc_risk", "risk of the merchant category code (reference table, 0 unknown)"),
        _row("merchant_risk", "risk of the merchant (reference data, 0 unknown)"),
        _row("counterparty_country_risk", "country risk of the counterparty's country"),
        _row("merchant_country_risk", "country risk of the merchant's country"),
        _row("is_cross_border", "merchant or counterparty country differs from customer's home"),
        _row("hour_of_day", "UTC hour"),
        _row("day_of_week", "UTC weekday, 0 = Monday"),
        _row("is_off_hours", "UTC hour 0-5"),
        _row("is_debit", "direction is debit"),
    ]
    defs += [_row(f"channel_{c}", f"channel is {c}") for c in CHANNEL_NAMES]
    return defs


def _check(defs: tuple[FeatureDef, ...]) -> tuple[FeatureDef, ...]:
    """Names are a contract: unique, and every reference resolves."""
    names = [d.name for d in defs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate feature names")
    for d in defs:
        for flt in (d.filter, d.denominator):
            if flt is not None and flt not in FILTERS:
                raise ValueError(f"{d.name}: unknown filter {flt}")
        if d.kind != "row" and d.value is not None and d.value not in VALUES:
            raise ValueError(f"{d.name}: unknown value {d.value}")
    return defs


FEATURES: tuple[FeatureDef, ...] = _check(tuple(_account() + _others() + _rows()))
FEATURE_NAMES: tuple[str, ...] = tuple(d.name for d in FEATURES)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}

#: Short hash of the canonical definitions (and of the shared semantics' version):
#: a model or snapshot made under another feature set is refused, not misread.
SEMANTICS_VERSION = 1


def feature_set_version(defs: tuple[FeatureDef, ...]) -> str:
    """12 hex digits of sha256 over the canonical description of ``defs``."""
    text = orjson.dumps(
        {"semantics": SEMANTICS_VERSION, "features": [d.canonical() for d in defs]},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(text).hexdigest()[:12]


FEATURE_SET_VERSION: str = feature_set_version(FEATURES)


def describe() -> list[dict[str, str]]:
    """One row per feature, for docs and ``finmon`` help: name, entity, window, meaning."""
    return [
        {
            "name": d.name,
            "entity": ENTITY_KEYS[d.entity] if d.entity != "row" else "transaction",
            "window": d.window or "",
            "meaning": d.meaning,
        }
        for d in FEATURES
    ]


__all__ = [
    "CHANNEL_NAMES",
    "FEATURES",
    "FEATURE_INDEX",
    "FEATURE_NAMES",
    "FEATURE_SET_VERSION",
    "FILTERS",
    "WINDOWS",
    "FeatureDef",
    "describe",
    "feature_set_version",
]
