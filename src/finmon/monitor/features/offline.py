"""The same features over a whole history at once, column-wise (training, backfill).

Semantics are those of :mod:`.online` (see its docstring): stream order is
event time with ties in input order; per entity kind an order key
``t_us * 1024 + rank`` (rank among the entity's events at the same
microsecond); a window of length ``w`` at event ``i`` holds the entity's events
with ``key_i - w*1024 < key <= key_i``. Polars' ``rolling`` over that integer
key with ``period = w*1024`` (closed right, grouped by entity) is exactly that
window, so each window is one rolling aggregation; the current event is the
last row of its window, which maps results back. "prev" statistics subtract
the current event from exact integer sums (Int128 for sums of squares) so the
two sides round the same values once.

Amounts are converted to minor units exactly (``Decimal`` per distinct
amount string), never through a float.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import polars as pl
import pyarrow as pa

from finmon.core.currency import get_currency
from finmon.core.errors import ValidationError
from finmon.monitor.features._shared import (
    CARD_CHANNELS,
    CASH_CHANNELS,
    EARTH_RADIUS_KM,
    KEY_SCALE,
    MAX_RANK,
    MIN_SPEED_ELAPSED_US,
    US_PER_HOUR,
    US_PER_S,
)
from finmon.monitor.features.registry import (
    CHANNEL_NAMES,
    FEATURE_NAMES,
    FEATURES,
    FeatureDef,
)
from finmon.monitor.reference import ReferenceData
from finmon.monitor.transaction import minor_units

REQUIRED = ("transaction_id", "occurred_at", "account_id", "direction", "amount", "currency")
OPTIONAL_STR = (
    "customer_id",
    "channel",
    "merchant_id",
    "merchant_category",
    "merchant_country",
    "counterparty_account_id",
    "counterparty_country",
    "device_id",
    "ip_address",
)
OPTIONAL_FLOAT = ("latitude", "longitude")

_ENTITY_COLUMN: dict[str, pl.Expr] = {
    "account": pl.col("account_id"),
    "customer": pl.col("customer_id"),
    "card": pl.when(pl.col("channel").is_in(sorted(CARD_CHANNELS))).then(pl.col("account_id")),
    "device": pl.col("device_id"),
    "ip": pl.col("ip_address"),
    "merchant": pl.col("merchant_id"),
    "counterparty": pl.col("counterparty_account_id"),
}
_WINDOWED = ("count", "sum", "max", "distinct", "ratio")
_INCLUSIVE_PREV = ("prev_zscore", "prev_ratio_mean", "prev_ratio_max")


def compute_offline(
    transactions: pl.DataFrame | pa.Table, reference: ReferenceData | None = None
) -> pl.DataFrame:
    """``transaction_id``, ``occurred_us`` and every feature, one row per input, in stream order."""
    ref = reference or ReferenceData()
    df = _prepare(transactions, ref)
    n = df.height
    columns: dict[str, np.ndarray] = {name: np.zeros(n) for name in FEATURE_NAMES}
    by_entity: dict[str, list[FeatureDef]] = defaultdict(list)
    for d in FEATURES:
        if d.entity != "row":
            by_entity[d.entity].append(d)
    for entity, defs in by_entity.items():
        sub = _keyed(df, entity)
        if sub.height:
            for frame in _entity_frames(sub, defs):
                pos = frame["_pos"].to_numpy()
                for name in frame.columns:
                    if name != "_pos":
                        columns[name][pos] = frame[name].cast(pl.Float64).to_numpy()
    rows = df.select(_row_exprs(ref))
    for name in rows.columns:
        columns[name] = rows[name].cast(pl.Float64).to_numpy()
    return pl.DataFrame(
        {
            "transaction_id": df["transaction_id"],
            "occurred_us": df["t"],
            **{name: pl.Series(name, columns[name], dtype=pl.Float64) for name in FEATURE_NAMES},
        }
    )


# -- input --------------------------------------------------------------------------


def _prepare(transactions: pl.DataFrame | pa.Table, ref: ReferenceData) -> pl.DataFrame:
    """Canonical columns in stream order, with minor-unit amounts and every filter as a column."""
    df = transactions if isinstance(transactions, pl.DataFrame) else pl.from_arrow(transactions)
    if not isinstance(df, pl.DataFrame):  # pragma: no cover - from_arrow of a Table is a frame
        raise ValidationError("transactions must be a table", field="transactions")
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValidationError(
            f"missing required column(s): {', '.join(missing)}", field=missing[0], code="missing"
        )
    empty = [c for c in REQUIRED if df[c].null_count()]
    if empty:
        raise ValidationError(
            f"required column(s) with empty values: {', '.join(empty)} (validate the rows first)",
            field=empty[0],
            code="missing",
        )
    df = df.with_columns(
        [pl.lit(None, pl.String).alias(c) for c in OPTIONAL_STR if c not in df.columns]
        + [pl.lit(None, pl.Float64).alias(c) for c in OPTIONAL_FLOAT if c not in df.columns]
    )
    occurred = df.schema["occurred_at"]
    t = (
        pl.col("occurred_at").dt.epoch("us")
        if isinstance(occurred, pl.Datetime)
        else pl.col("occurred_at").cast(pl.Int64)
    )
    df = df.with_columns(t.alias("t"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_in"))
    df = df.sort(["t", "_in"], maintain_order=True).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_pos"),
        pl.when(pl.col("customer_id").is_null() | (pl.col("customer_id") == ""))
        .then(pl.col("account_id"))
        .otherwise(pl.col("customer_id"))
        .alias("customer_id"),
    )
    df = df.join(_amounts(df), on=["amount", "currency"], how="left", maintain_order="left")
    thresholds = dict(ref.reporting_threshold_minor)
    df = df.with_columns(
        pl.col("currency")
        .replace_strict(thresholds, default=None, return_dtype=pl.Int64)
        .alias("_threshold")
    )
    amount = pl.col("_amount")
    scale = pl.col("_scale")
    thr = pl.col("_threshold")
    return df.with_columns(
        (pl.col("direction") == "debit").alias("_f_debit"),
        (pl.col("direction") == "credit").alias("_f_credit"),
        (pl.col("channel") == "card_not_present").fill_null(False).alias("_f_cnp"),
        pl.col("channel").is_in(sorted(CASH_CHANNELS)).fill_null(False).alias("_f_cash"),
        (amount < 5 * scale).alias("_f_small"),
        (amount % (100 * scale) == 0).alias("_f_round"),
        (thr.is_not_null() & (10 * amount >= 9 * thr) & (amount < thr))
        .fill_null(False)
        .alias("_f_below_threshold"),
        pl.coalesce("merchant_country", "counterparty_country").alias("country"),
        ((pl.col("t") // US_PER_HOUR) % 24 // 3).alias("bucket"),
    )


def _amounts(df: pl.DataFrame) -> pl.DataFrame:
    """Exact minor units and the currency's scale per distinct (amount, currency)."""
    pairs = df.select("amount", "currency").unique()
    amounts: list[int] = []
    scales: list[int] = []
    for amount, currency in pairs.iter_rows():
        try:
            amounts.append(minor_units(amount, currency))
            scales.append(10 ** get_currency(currency).exponent)
        except (ArithmeticError, ValueError, KeyError, TypeError) as exc:
            raise ValidationError(
                f"amount {amount!r} {currency!r} is not a clean canonical amount: {exc}",
                field="amount",
            ) from exc
    return pairs.with_columns(
        pl.Series("_amount", amounts, dtype=pl.Int64), pl.Series("_scale", scales, dtype=pl.Int64)
    )


def _keyed(df: pl.DataFrame, entity: str) -> pl.DataFrame:
    """The rows that have this entity, with ``_e`` (its id) and ``_key`` (its order key)."""
    sub = df.with_columns(_ENTITY_COLUMN[entity].alias("_e")).filter(pl.col("_e").is_not_null())
    rank = pl.int_range(pl.len(), dtype=pl.Int64).over(["_e", "t"]).clip(upper_bound=MAX_RANK)
    return sub.with_columns((pl.col("t") * KEY_SCALE + rank).alias("_key"))


# -- stateful features -----------------------------------------------------------------


def _period(d: FeatureDef) -> str:
    return f"{d.window_s * US_PER_S * KEY_SCALE}i"


def _rolling(sub: pl.DataFrame, period: str, by: list[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    """One inclusive window per row; ``_pos`` of the current (last) row maps it back."""
    return (
        sub.rolling(index_column="_key", period=period, closed="right", group_by=by)
        .agg([pl.col("_pos").last().alias("_pos"), *aggs])
        .drop([*by, "_key"])
    )


def _entity_frames(sub: pl.DataFrame, defs: list[FeatureDef]) -> Iterable[pl.DataFrame]:
    windows: dict[str, list[pl.Expr]] = defaultdict(list)
    posts: dict[str, list[pl.Expr]] = defaultdict(list)
    for d in defs:
        if d.kind in _WINDOWED:
            windows[_period(d)].append(_windowed_agg(d))
        elif d.kind in _INCLUSIVE_PREV:
            aggs, post = _prev_stats(d)
            windows[_period(d)].extend(aggs)
            posts[_period(d)].append(post)
        elif d.kind in ("first_seen", "hour_share"):
            yield _grouped_count(sub, d)
    for period, aggs in windows.items():
        frame = _rolling(sub, period, ["_e"], _unique_by_name(aggs))
        if posts.get(period):
            frame = frame.select(
                "_pos", *[c for c in frame.columns if _is_feature(c)], *posts[period]
            )
        yield frame
    sequential = [d for d in defs if d.kind in ("since_last", "prev_distance", "prev_speed")]
    if sequential:
        yield _sequential(sub, sequential)


def _is_feature(name: str) -> bool:
    return name in FEATURE_NAMES


def _unique_by_name(aggs: list[pl.Expr]) -> list[pl.Expr]:
    seen: dict[str, pl.Expr] = {}
    for agg in aggs:
        seen.setdefault(agg.meta.output_name(), agg)
    return list(seen.values())


def _amount_where(flt: str | None) -> pl.Expr:
    amount = pl.col("_amount")
    return amount if flt is None else pl.when(pl.col(f"_f_{flt}")).then(amount).otherwise(0)


def _windowed_agg(d: FeatureDef) -> pl.Expr:
    if d.kind == "count":
        if d.filter is None:
            return pl.len().cast(pl.Int64).alias(d.name)
        return pl.col(f"_f_{d.filter}").cast(pl.Int64).sum().alias(d.name)
    if d.kind == "sum":
        return _amount_where(d.filter).sum().alias(d.name)
    if d.kind == "max":
        return pl.col("_amount").max().alias(d.name)
    if d.kind == "distinct":
        value = pl.col(d.value or "")
        if d.filter is not None:
            value = value.filter(pl.col(f"_f_{d.filter}"))
        return value.drop_nulls().n_unique().cast(pl.Int64).alias(d.name)
    num = _amount_where(d.filter).sum()
    den = _amount_where(d.denominator).sum()
    cap = d.cap if d.cap is not None else float("inf")
    return (
        pl.when(den > 0)
        .then(pl.min_horizontal(num / den, pl.lit(cap)))
        .otherwise(0.0)
        .alias(d.name)
    )


def _prev_stats(d: FeatureDef) -> tuple[list[pl.Expr], pl.Expr]:
    """Aggregations over the inclusive window, and the feature from them minus the current."""
    amount = pl.col("_amount")
    aggs = [
        pl.len().cast(pl.Int64).alias("_n"),
        amount.sum().alias("_s"),
        amount.last().alias("_x"),
    ]
    n = pl.col("_n") - 1
    x = pl.col("_x")
    s = pl.col("_s") - x
    if d.kind == "prev_zscore":
        aggs.append(amount.cast(pl.Int128).pow(2).sum().alias("_q"))
        big_n = n.cast(pl.Int128)
        q = pl.col("_q") - x.cast(pl.Int128).pow(2)
        spread = big_n * q - s.cast(pl.Int128).pow(2)
        value = pl.when((n >= 2) & (spread > 0)).then(
            (big_n * x - s).cast(pl.Float64) / spread.cast(pl.Float64).sqrt()
        )
    elif d.kind == "prev_ratio_mean":
        value = pl.when((n > 0) & (s > 0)).then((x * n).cast(pl.Float64) / s.cast(pl.Float64))
    else:
        aggs.append(amount.slice(0, pl.len() - 1).max().alias("_m"))
        m = pl.col("_m")
        value = pl.when((n > 0) & (m > 0)).then(x.cast(pl.Float64) / m.cast(pl.Float64))
    default = 0.0 if d.kind == "prev_zscore" else 1.0
    return aggs, value.otherwise(default).alias(d.name)


def _grouped_count(sub: pl.DataFrame, d: FeatureDef) -> pl.DataFrame:
    """first_seen / hour_share: the window's events sharing the current event's value."""
    value = "bucket" if d.kind == "hour_share" else d.value or ""
    rows = sub.filter(pl.col(value).is_not_null())
    same = _rolling(rows, _period(d), ["_e", value], [pl.len().cast(pl.Int64).alias("_same")])
    if d.kind == "first_seen":
        return same.select("_pos", (pl.col("_same") == 1).cast(pl.Float64).alias(d.name))
    total = _rolling(sub, _period(d), ["_e"], [pl.len().cast(pl.Int64).alias("_n")])
    both = total.join(same, on="_pos", how="left")
    prev_n = pl.col("_n") - 1
    return both.select(
        "_pos",
        pl.when(prev_n > 0)
        .then((pl.col("_same") - 1).cast(pl.Float64) / prev_n.cast(pl.Float64))
        .otherwise(1.0)
        .alias(d.name),
    )


def _sequential(sub: pl.DataFrame, defs: list[FeatureDef]) -> pl.DataFrame:
    """since_last and the previous located event, by shifting within the entity."""
    exprs: list[pl.Expr] = []
    for d in defs:
        width = d.window_s * US_PER_S * KEY_SCALE
        if d.kind == "since_last":
            cap = d.window_s * US_PER_S
            elapsed = (pl.col("t") - pl.col("t").shift(1).over("_e")).fill_null(cap)
            exprs.append((pl.min_horizontal(elapsed, pl.lit(cap)) / US_PER_S).alias(d.name))
            continue
        located = pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null()

        def prev(col: str, located: pl.Expr = located) -> pl.Expr:
            return pl.when(located).then(pl.col(col)).shift(1).forward_fill().over("_e")

        valid = located & prev("_key").is_not_null() & (prev("_key") > pl.col("_key") - width)
        dist = _haversine(
            prev("latitude"), prev("longitude"), pl.col("latitude"), pl.col("longitude")
        )
        if d.kind == "prev_distance":
            value = dist
        else:
            elapsed_us = (pl.col("t") - prev("t")).clip(lower_bound=MIN_SPEED_ELAPSED_US)
            value = dist * float(US_PER_HOUR) / elapsed_us.cast(pl.Float64)
        exprs.append(pl.when(valid).then(value).otherwise(0.0).alias(d.name))
    return sub.select("_pos", *exprs)


def _haversine(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    rad = np.pi / 180.0
    dphi = (lat2 - lat1) * rad
    dlmb = (lon2 - lon1) * rad
    a = (dphi / 2.0).sin().pow(2) + (lat1 * rad).cos() * (lat2 * rad).cos() * (
        dlmb / 2.0
    ).sin().pow(2)
    return 2.0 * EARTH_RADIUS_KM * a.clip(upper_bound=1.0).sqrt().arcsin()


# -- row features -----------------------------------------------------------------------


def _row_exprs(ref: ReferenceData) -> list[pl.Expr]:
    amount = pl.col("_amount")
    hour = (pl.col("t") // US_PER_HOUR) % 24
    home = pl.col("customer_id").replace_strict(
        dict(ref.customer_country), default=ref.home_country, return_dtype=pl.String
    )
    mc, cc = pl.col("merchant_country"), pl.col("counterparty_country")
    cross = (mc.is_not_null() & (mc != home)).fill_null(False) | (
        cc.is_not_null() & (cc != home)
    ).fill_null(False)

    def risk(col: str, table: dict[str, float]) -> pl.Expr:
        return (
            pl.col(col).replace_strict(table, default=0.0, return_dtype=pl.Float64).fill_null(0.0)
        )

    exprs = [
        amount.cast(pl.Float64).alias("amount"),
        (amount / pl.col("_scale") + 1.0).log10().alias("amount_log10"),
        pl.col("_f_round").alias("is_round_amount"),
        pl.col("_f_below_threshold").alias("is_just_below_threshold"),
        risk("merchant_category", dict(ref.mcc_risk)).alias("mcc_risk"),
        risk("merchant_id", dict(ref.merchant_risk)).alias("merchant_risk"),
        risk("counterparty_country", dict(ref.country_risk)).alias("counterparty_country_risk"),
        risk("merchant_country", dict(ref.country_risk)).alias("merchant_country_risk"),
        cross.alias("is_cross_border"),
        hour.alias("hour_of_day"),
        ((pl.col("t") // (24 * US_PER_HOUR) + 3) % 7).alias("day_of_week"),
        (hour < 6).alias("is_off_hours"),
        pl.col("_f_debit").alias("is_debit"),
    ]
    exprs += [
        (pl.col("channel") == c).fill_null(False).alias(f"channel_{c}") for c in CHANNEL_NAMES
    ]
    return exprs


__all__ = ["compute_offline"]
