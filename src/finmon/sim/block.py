"""TxBlock: a columnar batch of simulated transactions, as integer codes.

Generation never builds a Python object per transaction: every activity returns
a TxBlock of numpy arrays (times in microseconds since the Unix epoch, amounts
in integer minor units, entities as row numbers into the reference tables), and
strings are produced once, at the edge, by the writers. Two label columns
(``typ``, ``inst``) ride along so a row and its label can never be separated by
a sort; the writers split them off into the labels table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from finmon.sources.canonical import CHANNELS

CH = {name: i for i, name in enumerate(CHANNELS)}
DEBIT, CREDIT = 0, 1

FIELDS: dict[str, Any] = {
    "ts": np.int64,  # occurred_at, microseconds since the epoch (UTC)
    "acct": np.int32,  # account row
    "dir": np.int8,  # DEBIT or CREDIT
    "amt": np.int64,  # minor units, > 0
    "chan": np.int8,  # index into CHANNELS
    "merch": np.int32,  # merchant row or -1
    "cp_acct": np.int32,  # internal counterparty account row or -1
    "cp_ext": np.int32,  # external counterparty row or -1
    "dev": np.int32,  # device row or -1
    "ip": np.int32,  # row in the IP vocabulary or -1
    "lat": np.float64,  # NaN when unknown
    "lon": np.float64,
    "desc": np.int16,  # index into catalog.DESCRIPTIONS or -1 (card rows use the merchant)
    "typ": np.int16,  # label: typology index or -1
    "inst": np.int32,  # label: instance number or -1
}
_DEFAULTS: dict[str, float] = {"lat": np.nan, "lon": np.nan}

Array = npt.NDArray[Any]


class TxBlock:
    """A batch of transactions as parallel arrays (see :data:`FIELDS`)."""

    __slots__ = ("cols",)

    def __init__(self, cols: dict[str, Array]) -> None:
        self.cols = cols

    def __len__(self) -> int:
        return int(self.cols["ts"].shape[0])

    def __getitem__(self, name: str) -> Array:
        return self.cols[name]

    @classmethod
    def make(cls, n: int, **values: Any) -> TxBlock:
        """A block of ``n`` rows; each value is an array of length n or a scalar to broadcast."""
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise KeyError(f"unknown TxBlock fields: {sorted(unknown)}")
        cols: dict[str, Array] = {}
        for name, dtype in FIELDS.items():
            value = values.get(name, _DEFAULTS.get(name, -1))
            arr = np.asarray(value)
            if arr.ndim == 0:
                cols[name] = np.full(n, arr, dtype=dtype)
            else:
                if arr.shape[0] != n:
                    raise ValueError(f"{name} has {arr.shape[0]} rows, expected {n}")
                cols[name] = arr.astype(dtype, copy=False)
        return cls(cols)

    @classmethod
    def empty(cls) -> TxBlock:
        return cls.make(0)

    @classmethod
    def concat(cls, blocks: Sequence[TxBlock]) -> TxBlock:
        blocks = [b for b in blocks if len(b)]
        if not blocks:
            return cls.empty()
        if len(blocks) == 1:
            return blocks[0]
        return cls({k: np.concatenate([b.cols[k] for b in blocks]) for k in FIELDS})

    def take(self, index: Array) -> TxBlock:
        return TxBlock({k: v[index] for k, v in self.cols.items()})

    def sorted(self) -> TxBlock:
        """Rows in time order; ties keep their order (a debit leg stays before its credit)."""
        order = np.argsort(self.cols["ts"], kind="stable")
        return self.take(order)

    def labelled(self, typology: int, instance: Array | int) -> TxBlock:
        """The same rows carrying a typology label and instance number."""
        cols = dict(self.cols)
        cols["typ"] = np.full(len(self), typology, dtype=np.int16)
        cols["inst"] = np.broadcast_to(np.asarray(instance, dtype=np.int32), (len(self),)).copy()
        return TxBlock(cols)


def internal_transfer(
    ts: Array,
    src: Array,
    dst: Array,
    amt: Array,
    chan: int,
    desc: int,
    **extra: Any,
) -> TxBlock:
    """Both legs of transfers between two accounts of this bank: money is conserved.

    The debit on ``src`` and the credit on ``dst`` carry the same amount and time
    and name each other as counterparty; device and IP belong to the sender's
    session, so only the debit leg carries them.
    """
    n = len(ts)
    debit = TxBlock.make(
        n, ts=ts, acct=src, dir=DEBIT, amt=amt, chan=chan, cp_acct=dst, desc=desc, **extra
    )
    credit_extra = {k: v for k, v in extra.items() if k not in ("dev", "ip", "lat", "lon")}
    credit = TxBlock.make(
        n, ts=ts, acct=dst, dir=CREDIT, amt=amt, chan=chan, cp_acct=src, desc=desc, **credit_extra
    )
    return interleave(debit, credit)


def interleave(first: TxBlock, second: TxBlock) -> TxBlock:
    """Rows first[0], second[0], first[1], second[1]...: keeps pairs adjacent after a sort."""
    n = len(first)
    return TxBlock(
        {k: np.stack([first.cols[k], second.cols[k]], axis=1).reshape(2 * n) for k in FIELDS}
    )


__all__ = ["CH", "CREDIT", "DEBIT", "FIELDS", "TxBlock", "interleave", "internal_transfer"]
