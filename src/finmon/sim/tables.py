"""From integer-coded blocks to the canonical Arrow tables, strings made once at the edge.

Every string column is a ``take`` from a small vocabulary (account ids,
merchant names, channels...), and amounts become decimal strings with Arrow
compute kernels, so building a million-row table costs a few hundred
milliseconds and no Python loop. The output has exactly the canonical columns
and types of :func:`finmon.sources.canonical.arrow_schema`; labels go to their
own table and never into the transactions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finmon.sim import catalog as cat
from finmon.sim.block import Array, TxBlock
from finmon.sim.names import TYPOLOGIES
from finmon.sim.world import World
from finmon.sources.canonical import CHANNELS, DIRECTIONS, arrow_schema

_TS = pa.timestamp("us", tz="UTC")
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_PAIRS = np.stack([_HEX[np.arange(256) >> 4], _HEX[np.arange(256) & 15]], axis=1)
_DAY_US = 86_400_000_000


def hex_ids(values: Array, prefix: bytes = b"tx") -> pa.Array:
    """``prefix`` + 16 hex digits of each uint64, as an Arrow string array (no Python loop)."""
    n = values.shape[0]
    width = len(prefix) + 16
    chars = np.empty((n, width), dtype=np.uint8)
    chars[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    big_endian = values.astype(">u8").view(np.uint8).reshape(n, 8)
    chars[:, len(prefix) :] = _HEX_PAIRS[big_endian].reshape(n, 16)
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(chars)]
    return pa.Array.from_buffers(pa.string(), n, buffers)


def decimal_strings(minor: Array, exponent: int) -> pa.Array:
    """Integer minor units as exact decimal strings ("1234.50" for 123450 at exponent 2)."""
    arr = pa.array(minor, pa.int64())
    if exponent == 0:
        return pc.cast(arr, pa.string())
    scale = 10**exponent
    major = pa.array(minor // scale, pa.int64())
    frac = pa.array(minor % scale, pa.int64())
    padded = pc.utf8_lpad(pc.cast(frac, pa.string()), width=exponent, padding="0")
    return pc.binary_join_element_wise(pc.cast(major, pa.string()), padded, ".")


def _take(vocab: pa.Array, index: Array) -> pa.Array:
    """``vocab[index]`` with null where index is negative."""
    idx = pa.array(index.astype(np.int64), mask=index < 0)
    return pc.take(vocab, idx)


def _floats(values: Array) -> pa.Array:
    return pa.array(np.round(values, 5), pa.float64(), mask=np.isnan(values))


class Vocab:
    """The string vocabularies of one world, built once."""

    def __init__(self, world: World) -> None:
        pop, m, cps = world.pop, world.merchants, world.cps
        n_acct = pop.acct_ids.shape[0]
        self.accounts = pa.array(list(pop.acct_ids), pa.string())
        self.customers = pa.array(list(pop.ids), pa.string())
        self.owner = pop.acct_owner.astype(np.int64)
        self.merchants = pa.array(list(m.ids), pa.string())
        self.mcc = pa.array([cat.CATEGORIES[int(c)].mcc for c in m.category], pa.string())
        self.merchant_country = pa.array(list(m.country), pa.string())
        self.cp_account = pa.array(list(pop.acct_ids) + cps.accounts, pa.string())
        self.cp_name = pa.array(
            [str(pop.names[o]) for o in pop.acct_owner] + cps.names, pa.string()
        )
        self.cp_bank = pa.array([cat.HOME_BIC] * n_acct + cps.banks, pa.string())
        self.cp_country = pa.array([cat.HOME_COUNTRY] * n_acct + cps.countries, pa.string())
        self.n_acct = n_acct
        self.devices = pa.array(list(pop.dev_ids), pa.string())
        self.ips = pa.array(pop.ips, pa.string())
        self.description = pa.array(list(m.names) + list(cat.DESCRIPTIONS), pa.string())
        self.n_merch = m.size
        self.channels = pa.array(list(CHANNELS), pa.string())
        self.directions = pa.array(list(DIRECTIONS), pa.string())
        self.currency = pa.array([world.currency.code], pa.string())
        self.exponent = world.currency.exponent
        self.typologies = pa.array(list(TYPOLOGIES), pa.string())


def transactions_columns(v: Vocab, b: TxBlock) -> list[pa.Array]:
    """The canonical transaction columns of block ``b`` except the id (the first column)."""
    cp = np.where(
        b["cp_acct"] >= 0, b["cp_acct"], np.where(b["cp_ext"] >= 0, v.n_acct + b["cp_ext"], -1)
    )
    merch = b["merch"]
    desc = np.where(b["desc"] >= 0, v.n_merch + b["desc"], merch)
    m_index = merch.astype(np.int64)
    return [
        pa.array(b["ts"], _TS),
        _take(v.customers, v.owner[b["acct"]]),
        _take(v.accounts, b["acct"]),
        _take(v.directions, b["dir"].astype(np.int64)),
        decimal_strings(b["amt"], v.exponent),
        _take(v.currency, np.zeros(len(b), np.int64)),
        _take(v.channels, b["chan"].astype(np.int64)),
        _take(v.merchants, m_index),
        _take(v.mcc, m_index),
        _take(v.merchant_country, m_index),
        _take(v.cp_account, cp),
        _take(v.cp_name, cp),
        _take(v.cp_bank, cp),
        _take(v.cp_country, cp),
        _take(v.devices, b["dev"]),
        _take(v.ips, b["ip"]),
        _floats(b["lat"]),
        _floats(b["lon"]),
        _take(v.description, desc),
    ]


def transactions_table(v: Vocab, b: TxBlock, ids: pa.Array) -> pa.Table:
    """The canonical transactions of block ``b`` (already time-sorted) with ids ``ids``."""
    return with_ids(transactions_columns(v, b), ids, "transactions")


def with_ids(columns: list[pa.Array], ids: pa.Array, table: str) -> pa.Table:
    """A canonical table from its id column and the others, in schema order."""
    return pa.Table.from_arrays([ids, *columns], schema=arrow_schema(table))


def instance_ids(instances: Array) -> pa.Array:
    """Instance numbers as label ids ("inst-000042"): they name the instance, not its typology."""
    if not (instances >= 0).any():
        return pa.nulls(instances.shape[0], pa.string())
    strings = pa.array(
        [f"inst-{int(i):06d}" for i in np.unique(instances[instances >= 0])], pa.string()
    )
    lookup = np.unique(instances[instances >= 0])
    return _take(strings, np.where(instances >= 0, np.searchsorted(lookup, instances), -1))


def labels_columns(v: Vocab, b: TxBlock) -> list[pa.Array]:
    """The label columns of block ``b`` except the transaction id."""
    typ = b["typ"].astype(np.int64)
    if not (typ >= 0).any():
        nulls = pa.nulls(len(b), pa.string())
        return [pa.array(np.zeros(len(b), bool)), nulls, nulls]
    return [pa.array(typ >= 0), _take(v.typologies, typ), instance_ids(b["inst"])]


def labels_table(v: Vocab, b: TxBlock, ids: pa.Array) -> pa.Table:
    return with_ids(labels_columns(v, b), ids, "labels")


def ground_truth_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """One row per typology instance; lists as JSON text (the canonical column kind is string)."""
    return pa.Table.from_pylist(
        [
            {
                "instance_id": r["instance_id"],
                "typology": r["typology"],
                "start": r["start"],
                "end": r["end"],
                "account_ids": json.dumps(r["account_ids"]),
                "transaction_ids": json.dumps(r["transaction_ids"]),
            }
            for r in rows
        ],
        schema=arrow_schema("ground_truth"),
    )


def _dates(days: Array) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32(), mask=days < 0)


def reference_tables(world: World) -> dict[str, pa.Table]:
    """Customers, accounts, merchants and enrolled devices, in the canonical schemas."""
    pop, m = world.pop, world.merchants
    exp = world.currency.exponent
    customers = [
        pa.array(list(pop.ids), pa.string()),
        pa.array(np.where(pop.kind == 1, "business", "individual")),
        pa.array(list(pop.names), pa.string()),
        pa.array(np.array(cat.SEGMENTS, dtype=object)[pop.segment], pa.string()),
        pa.array(list(pop.occupation), pa.string()),
        pa.array(list(pop.country), pa.string()),
        _dates(pop.dob_days),
        pa.array(pop.pep.astype(bool)),
        pa.array(np.array(cat.RISK_RATINGS, dtype=object)[pop.risk], pa.string()),
        decimal_strings(np.round(pop.income).astype(np.int64) * 10**exp, exp),
        pa.array([world.currency.code] * pop.size, pa.string()),
        _floats(pop.home_lat),
        _floats(pop.home_lon),
        pa.array(pop.onboarded_us, _TS),
    ]
    owner_dormant = pop.dormant[pop.acct_owner]
    accounts = [
        pa.array(list(pop.acct_ids), pa.string()),
        _take(pa.array(list(pop.ids), pa.string()), pop.acct_owner.astype(np.int64)),
        pa.array(np.array(cat.PRODUCTS, dtype=object)[pop.acct_product], pa.string()),
        pa.array([world.currency.code] * pop.acct_ids.shape[0], pa.string()),
        pa.array(pop.acct_opened_us, _TS),
        pa.array(np.where(owner_dormant, "dormant", "open"), pa.string()),
    ]
    merchants = [
        pa.array(list(m.ids), pa.string()),
        pa.array(list(m.names), pa.string()),
        pa.array([cat.CATEGORIES[int(c)].mcc for c in m.category], pa.string()),
        pa.array(list(m.country), pa.string()),
        _floats(m.lat),
        _floats(m.lon),
        pa.array(np.array(cat.RISK_RATINGS, dtype=object)[m.risk], pa.string()),
    ]
    enrolled = np.flatnonzero(pop.dev_first_us < world.calendar.start_us)
    devices = [
        pa.array(list(pop.dev_ids[enrolled]), pa.string()),
        _take(pa.array(list(pop.ids), pa.string()), pop.dev_owner[enrolled].astype(np.int64)),
        pa.array(np.array(cat.DEVICE_KINDS, dtype=object)[pop.dev_kind[enrolled]], pa.string()),
        pa.array(pop.dev_first_us[enrolled], _TS),
    ]
    tables = {
        "customers": customers,
        "accounts": accounts,
        "merchants": merchants,
        "devices": devices,
    }
    return {
        name: pa.Table.from_arrays(cols, schema=arrow_schema(name)) for name, cols in tables.items()
    }


__all__ = [
    "Vocab",
    "decimal_strings",
    "ground_truth_table",
    "hex_ids",
    "labels_table",
    "reference_tables",
    "transactions_table",
]
