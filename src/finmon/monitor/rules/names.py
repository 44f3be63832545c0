"""The names a rule may read, and what kind of value each one holds.

Rules and features are written by different people at different times, so the
names are a contract (the feature catalogue): a rule that reads a name the
engine does not provide must be refused when it is saved, not discovered at
3 a.m. as a rule that never fires. Each name also has a *kind* (number or
text) so that the checker can refuse ``channel > 5`` or ``amount + 'x'``
before they run.

The authoritative feature list is :data:`finmon.monitor.features.FEATURE_NAMES`;
it is read when that package is importable. :data:`CATALOGUE` is the same list
as written in the specification, so rule sets can be checked (and this package
tested) without the features package.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal

Kind = Literal["num", "str", "bool", "none"]

#: Transaction fields rules may read beside the features, with their kinds.
FIELD_KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        "channel": "str",
        "direction": "str",
        "currency": "str",
        "merchant_id": "str",
        "merchant_category": "str",
        "merchant_country": "str",
        "counterparty_country": "str",
        "counterparty_name": "str",
        "device_id": "str",
        "ip_address": "str",
        "amount_major": "num",
        "amount": "num",
    }
)

_WINDOWS_ACCT = (
    *(f"acct_count_{w}" for w in ("1m", "1h", "24h", "7d", "30d")),
    *(f"acct_sum_{w}" for w in ("1h", "24h", "7d", "30d")),
    "acct_max_24h", "acct_max_7d",
    "acct_debit_sum_24h", "acct_debit_sum_7d", "acct_credit_sum_24h", "acct_credit_sum_7d",
    "acct_passthrough_24h", "acct_passthrough_7d",
    "acct_distinct_merchants_24h", "acct_distinct_merchants_7d",
    "acct_out_degree_24h", "acct_out_degree_7d", "acct_in_degree_24h", "acct_in_degree_7d",
    "acct_distinct_devices_7d", "acct_distinct_countries_7d", "acct_seconds_since_last",
    "acct_amount_zscore_30d", "acct_amount_ratio_mean_30d", "acct_amount_ratio_max_30d",
    "acct_first_seen_device", "acct_first_seen_country", "acct_first_seen_merchant",
    "acct_first_seen_ip", "acct_first_seen_counterparty",
    "acct_distance_km_prev", "acct_speed_kmh_prev", "acct_hour_share_30d",
    "acct_small_count_1h", "acct_round_count_7d", "acct_below_threshold_count_7d",
    "acct_cash_count_7d",
)  # fmt: skip

#: The feature catalogue of the specification (the fallback when the features
#: package is not importable).
CATALOGUE: tuple[str, ...] = (
    *_WINDOWS_ACCT,
    "cust_count_1h", "cust_count_24h", "cust_count_7d", "cust_sum_24h", "cust_sum_7d",
    "cust_distinct_accounts_7d", "cust_seconds_since_last", "cust_cash_sum_24h",
    "card_count_1m", "card_count_1h", "card_count_24h", "card_cnp_count_1h",
    "card_distinct_merchants_1h", "card_sum_1h", "card_distinct_merchant_countries_24h",
    "dev_count_1h", "dev_count_24h", "dev_distinct_accounts_24h", "dev_distinct_accounts_7d",
    "dev_distinct_customers_7d",
    "ip_distinct_accounts_24h",
    "merch_count_1h", "merch_count_24h", "merch_distinct_accounts_1h",
    "merch_distinct_accounts_24h", "merch_sum_24h", "merch_amount_zscore_30d",
    "cpty_count_24h", "cpty_count_7d", "cpty_distinct_accounts_24h",
    "cpty_distinct_accounts_7d", "cpty_sum_7d", "cpty_first_seen",
    "amount", "amount_log10", "is_round_amount", "is_just_below_threshold", "mcc_risk",
    "merchant_risk", "counterparty_country_risk", "merchant_country_risk", "is_cross_border",
    "hour_of_day", "day_of_week", "is_off_hours", "is_debit",
    "channel_card_present", "channel_card_not_present", "channel_atm", "channel_cash_deposit",
    "channel_cash_withdrawal", "channel_transfer", "channel_wire", "channel_ach",
    "channel_mobile", "channel_online",
)  # fmt: skip

Names = Mapping[str, Kind] | Iterable[str]


def feature_names() -> tuple[str, ...]:
    """The features package's names when it is importable, else :data:`CATALOGUE`."""
    try:
        module = importlib.import_module("finmon.monitor.features")
    except ImportError:
        return CATALOGUE
    names = getattr(module, "FEATURE_NAMES", None)
    return tuple(str(n) for n in names) if names else CATALOGUE


def known_names(names: Names | None = None) -> Mapping[str, Kind]:
    """Every readable name with its kind.

    ``names`` replaces the feature list: a mapping gives kinds explicitly; an
    iterable of names means numeric features (fields keep their kinds). The
    transaction fields are always included, since the engine always supplies them.
    """
    if names is None:
        names = feature_names()
    if isinstance(names, Mapping):
        kinds: dict[str, Kind] = dict(names)
    else:
        kinds = {name: FIELD_KINDS.get(name, "num") for name in names}
    for name, kind in FIELD_KINDS.items():
        kinds.setdefault(name, kind)
    return MappingProxyType(kinds)


__all__ = ["CATALOGUE", "FIELD_KINDS", "Kind", "Names", "feature_names", "known_names"]
