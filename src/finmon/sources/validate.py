"""Validate canonical transactions: clean rows, or every problem with its row, field and reason.

Validation runs column by column over an Arrow batch. For each column a
vectorised test (regular expressions, set membership, ranges: compiled code,
microseconds per thousand rows) passes the values that are certainly good and
already in canonical form; only the rest go through the per-value rules of
:mod:`finmon.sources.rules`, which decide and explain. So a clean file costs
almost nothing per value, a dirty one costs a Python call per dirty value, and
every reason a user reads comes from the one rule that defines the check.

Rows are numbered from 1 in input order (data rows: a CSV header is not a row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finmon.core.currency import get_currency
from finmon.core.errors import Problem
from finmon.sources import rules
from finmon.sources.canonical import CHANNELS, DIRECTIONS, TRANSACTION_COLUMNS
from finmon.sources.coerce import Coerced, coerce_rows

NAMES: tuple[str, ...] = tuple(c.name for c in TRANSACTION_COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in TRANSACTION_COLUMNS if c.required)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RE = rf"^{_OCTET}(\.{_OCTET}){{3}}$"
_DIRECTION_SET = pa.array(DIRECTIONS)
_CHANNEL_SET = pa.array(CHANNELS)

Mask = Callable[[pa.Array], pa.Array]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem of one input row: what a user fixes in the file."""

    row: int
    field: str
    reason: str
    code: str = "invalid"
    file: str = ""
    """The file the row is in when it is not the transactions file (``accounts.csv``)."""

    def __str__(self) -> str:
        where = f"{self.file} " if self.file else ""
        what = f"{self.field}: {self.reason}" if self.field else self.reason
        return f"{where}row {self.row}: {what}" if self.row else f"{where}{what}"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "code": self.code,
        }
        if self.file:
            data["file"] = self.file
        return data


@dataclass(slots=True)
class Validated:
    """The outcome for one batch.

    Attributes:
        rows: the clean canonical rows, in input order: the canonical columns that
            have a value (an empty optional one is left out), ``occurred_at`` an
            aware UTC datetime, ``amount`` normalised to the currency's decimal
            places, ``customer_id`` always set.
        row_numbers: the input row number of each clean row.
        bad: batch index -> the problems of each rejected row.
        first_row: the row number of batch index 0 when rows are numbered densely.
        numbers: explicit row numbers per batch index (JSON lines skip blank lines).
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    bad: dict[int, list[Problem]] = field(default_factory=dict)
    first_row: int = 1
    numbers: Sequence[int] | None = None

    def row_number(self, index: int) -> int:
        return self.numbers[index] if self.numbers is not None else self.first_row + index

    def problems(self) -> list[RowProblem]:
        """Every problem of the batch, by row then column order."""
        return [
            RowProblem(self.row_number(index), p.field, p.reason, p.code)
            for index in sorted(self.bad)
            for p in self.bad[index]
        ]


def _false_if_null(mask: pa.Array) -> pa.Array:
    return pc.fill_null(mask, False)


def _has_text(array: pa.Array) -> pa.Array:
    return _false_if_null(pc.match_substring_regex(array, r"\S"))


def _optional_text(array: pa.Array) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(array, r"\S"), True)


def _optional_regex(pattern: str) -> Mask:
    return lambda array: pc.fill_null(pc.match_substring_regex(array, pattern), True)


def _optional_in(values: pa.Array) -> Mask:
    return lambda array: pc.or_(pc.is_null(array), pc.is_in(array, value_set=values))


_FAST: dict[str, Mask] = {
    "transaction_id": _has_text,
    "account_id": _has_text,
    "customer_id": _optional_text,
    "merchant_id": _optional_text,
    "counterparty_account_id": _optional_text,
    "counterparty_name": _optional_text,
    "counterparty_bank": _optional_text,
    "device_id": _optional_text,
    "description": _optional_text,
    "direction": lambda a: _false_if_null(pc.is_in(a, value_set=_DIRECTION_SET)),
    "channel": _optional_in(_CHANNEL_SET),
    "merchant_category": _optional_regex(r"^[0-9]{4}$"),
    "merchant_country": _optional_regex(r"^[A-Z]{2}$"),
    "counterparty_country": _optional_regex(r"^[A-Z]{2}$"),
}


def _suspects(ok: pa.Array) -> list[int]:
    return pc.indices_nonzero(pc.invert(ok)).to_pylist()  # type: ignore[no-any-return]


def _instants(array: pa.Array) -> tuple[list[Any], list[int]]:
    """Instants as UTC datetimes; what does not parse with a zone is suspect (rules explain).

    Python's own ISO parser is used rather than an Arrow cast: building aware
    datetimes from an Arrow timestamp column costs ten times more than parsing.
    """
    if pa.types.is_timestamp(array.type):
        micros = array.cast(pa.int64()).to_pylist()
        values: list[Any] = [
            None if m is None else _EPOCH + timedelta(microseconds=m) for m in micros
        ]
        return values, [i for i, v in enumerate(values) if v is None]
    values, suspects = [], []
    parse = datetime.fromisoformat
    for index, text in enumerate(array.to_pylist()):
        try:
            instant = parse(text)
        except (TypeError, ValueError):
            instant = None
        if instant is None or instant.tzinfo is None:
            suspects.append(index)
            values.append(None)
        else:
            values.append(instant if instant.tzinfo is UTC else instant.astimezone(UTC))
    return values, suspects


def _coordinates(array: pa.Array, limit: int) -> tuple[list[Any], list[int]]:
    if not pa.types.is_floating(array.type):
        shape = pc.fill_null(
            pc.match_substring_regex(array, f"^{rules.COORDINATE_RE.pattern}$"), True
        )
        shape = pc.and_(shape, pc.is_valid(array))
        numbers = pc.if_else(shape, array, None).cast(pa.float64())
        suspects = _suspects(pc.or_(shape, pc.is_null(array)))
    else:
        numbers, suspects = array, []
    ok = pc.fill_null(pc.less_equal(pc.abs(numbers), limit), True)
    extra = _suspects(ok)
    return numbers.to_pylist(), sorted(set(suspects) | set(extra)) if extra else suspects


def _ip_addresses(array: pa.Array) -> tuple[list[Any], list[int]]:
    """Dotted IPv4 without leading zeros passes here; IPv6 and anything odd go to the rule."""
    return array.to_pylist(), _suspects(
        pc.fill_null(pc.match_substring_regex(array, _IPV4_RE), True)
    )


def _amount_ok(amounts: pa.Array, currencies: pa.Array | None) -> pa.Array:
    """Already canonical: no leading zero, exactly the currency's decimals, not zero."""
    codes = rules.account_currencies()
    if currencies is None or not pa.types.is_string(currencies.type):
        return pa.array([False] * len(amounts))
    exponents = pc.take(
        pa.array(list(codes.values()), pa.int32()),
        pc.index_in(currencies, value_set=pa.array(list(codes))),
    )
    point = pc.find_substring(amounts, ".")
    decimals = pc.if_else(
        pc.less(point, 0), 0, pc.subtract(pc.subtract(pc.utf8_length(amounts), point), 1)
    )
    shape = pc.and_(
        pc.match_substring_regex(amounts, r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"),
        pc.match_substring_regex(amounts, r"[1-9]"),
    )
    return _false_if_null(pc.and_(shape, pc.equal(decimals, exponents)))


class TransactionValidator:
    """Validates the batches of one input in order.

    It remembers every transaction id it has seen, so a duplicate within the
    input is a problem of its second occurrence ("first seen at row N"), even
    across batches; a duplicate of an id stored by an earlier import is not a
    problem here: the log recognises it and the report counts it apart.

    Args:
        owners: account id -> customer id, from an accounts reference file; a
            row without ``customer_id`` gets its account's owner, else the
            account id itself (one account, one customer, until told otherwise).
        detect_duplicates: off for sources that legitimately re-send a row
            (a polled table whose watermark moved when a row was updated).
    """

    def __init__(
        self, owners: Mapping[str, str] | None = None, *, detect_duplicates: bool = True
    ) -> None:
        self.owners: Mapping[str, str] = owners or {}
        self.detect_duplicates = detect_duplicates
        self._seen: dict[str, int] = {}

    def validate_rows(self, rows: Sequence[Mapping[str, Any]], first_row: int = 1) -> Validated:
        """Rows as mappings (column name -> value); unknown keys are ignored."""
        return self.validate(coerce_rows(rows, TRANSACTION_COLUMNS), first_row)

    def validate(
        self, batch: Coerced, first_row: int = 1, numbers: Sequence[int] | None = None
    ) -> Validated:
        """Validate one coerced batch; row numbers are ``first_row``.. or ``numbers``."""
        result = Validated(first_row=first_row, numbers=numbers)
        problems: dict[int, list[Problem]] = {}
        values: dict[str, list[Any]] = {}
        for name in NAMES:
            values[name] = self._column(batch, name, problems)
        self._refused(batch, problems)
        if self.detect_duplicates:
            self._duplicates(values["transaction_id"], problems, result)
        values["customer_id"] = [
            customer or self.owners.get(account, account)
            for customer, account in zip(values["customer_id"], values["account_id"], strict=True)
        ]
        result.bad = problems
        # Only columns the input has (and customer_id, always set): a row dict holds
        # what the source sent, which is also exactly what the event payload keeps.
        names = [n for n in NAMES if n in batch.columns or n == "customer_id"]
        rows, numbers = result.rows, result.row_numbers
        for index, row in enumerate(zip(*(values[n] for n in names), strict=True)):
            if index not in problems:
                rows.append({k: v for k, v in zip(names, row, strict=True) if v is not None})
                numbers.append(result.row_number(index))
        return result

    def _column(self, batch: Coerced, name: str, problems: dict[int, list[Problem]]) -> list[Any]:
        array = batch.columns.get(name)
        if array is None:
            if name in REQUIRED:
                absent = "is required; the input has no such column"
                for index in range(batch.num_rows):
                    problems.setdefault(index, []).append(Problem(name, absent, "missing"))
            return [None] * batch.num_rows
        if name == "amount":
            return self._amounts(batch, array, problems)
        values, suspects = self._fast(name, array)
        check = rules.TRANSACTION_CHECKS[name]
        raw = array.to_pylist() if suspects else []
        for index in suspects:
            clean, reason = check(raw[index])
            values[index] = clean
            if reason is not None:
                code = "missing" if rules.is_empty(raw[index]) else "invalid"
                problems.setdefault(index, []).append(Problem(name, reason, code))
        return values

    @staticmethod
    def _fast(name: str, array: pa.Array) -> tuple[list[Any], list[int]]:
        if name == "occurred_at":
            return _instants(array)
        if name in ("latitude", "longitude"):
            return _coordinates(array, 90 if name == "latitude" else 180)
        if name == "ip_address":
            return _ip_addresses(array)
        mask = _FAST.get(name)
        if name == "currency":
            mask = lambda a: _false_if_null(  # noqa: E731
                pc.is_in(a, value_set=pa.array(list(rules.account_currencies())))
            )
        if mask is None or not pa.types.is_string(array.type):
            return array.to_pylist(), list(range(len(array)))
        return array.to_pylist(), _suspects(mask(array))

    def _amounts(
        self, batch: Coerced, array: pa.Array, problems: dict[int, list[Problem]]
    ) -> list[Any]:
        currencies = batch.columns.get("currency")
        values: list[Any] = array.to_pylist()
        if not pa.types.is_string(array.type):
            suspects = list(range(len(array)))
        else:
            suspects = _suspects(_amount_ok(array, currencies))
        codes: list[Any] = currencies.to_pylist() if currencies is not None and suspects else []
        known = rules.account_currencies()
        for index in suspects:
            code = codes[index] if codes else None
            cur = get_currency(code) if code in known else None
            raw = values[index]
            values[index], reason = rules.amount(raw, cur)
            if reason is not None:
                kind = "missing" if rules.is_empty(raw) else "invalid"
                problems.setdefault(index, []).append(Problem("amount", reason, kind))
        return values

    @staticmethod
    def _refused(batch: Coerced, problems: dict[int, list[Problem]]) -> None:
        """Values no exact conversion existed for: their reason replaces "is empty"."""
        for name, refused in batch.refused.items():
            for index, reason in refused.items():
                kept = [p for p in problems.get(index, []) if p.field != name]
                problems[index] = [*kept, Problem(name, reason, "type")]

    def _duplicates(
        self, ids: list[Any], problems: dict[int, list[Problem]], result: Validated
    ) -> None:
        seen = self._seen
        for index, transaction_id in enumerate(ids):
            if transaction_id is None:
                continue
            first = seen.get(transaction_id)
            if first is None:
                seen[transaction_id] = result.row_number(index)
            else:
                reason = f"duplicate transaction_id {transaction_id!r}: first seen at row {first}"
                problems.setdefault(index, []).append(
                    Problem("transaction_id", reason, "duplicate")
                )


def validate_rows(
    rows: Iterable[Mapping[str, Any]], *, owners: Mapping[str, str] | None = None
) -> Validated:
    """Validate rows given as mappings, numbered from 1: the simplest entry point."""
    return TransactionValidator(owners).validate_rows(list(rows))


__all__ = ["NAMES", "REQUIRED", "RowProblem", "TransactionValidator", "Validated", "validate_rows"]
