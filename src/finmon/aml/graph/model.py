"""The transaction graph: who paid whom, who owns what, who used which device.

Why a store of our own rather than an igraph graph updated in place: a stream
adds one transaction at a time, and adding vertices and edges to an igraph (or
rustworkx) graph one by one is slow and does not carry the per-transaction
evidence (which transactions make an edge, when) that cycle search and an
analyst need. So the graph is kept here in plain dictionaries (O(1) per
transaction), and the analytics take an igraph *snapshot* of it when asked
(:meth:`TransactionGraph.to_igraph`, rebuilt only when the graph changed).

Nodes are typed keys, ``"<kind>:<id>"``: ``account``, ``customer``, ``device``,
``ip``, ``merchant``, ``counterparty``, ``address``, ``phone``, ``email``.
A bank account identifier is one node whatever side it appears on: it reads as
``account:X`` once X is known to be one of the bank's accounts (an
``account_id`` of some transaction, or in the accounts reference file) and as
``counterparty:X`` otherwise. Keying by the identifier, not by what we know of it
so far, is what makes the graph independent of the order transactions arrive in
(an internal transfer's credit leg may arrive before its debit leg).

Edges are directed and typed by relation:

- ``pays``: money moved from source to target (per currency). A debit on
  account A to counterparty X is A -> X, a credit is X -> A. An internal transfer
  arrives as two legs (debit on A, credit on B) that describe the *same*
  movement; legs with the same source, target, currency, amount and instant are
  paired into one movement, so counts and totals are not doubled.
- ``owns``: customer -> account.
- ``uses``: account -> device/ip and customer -> device/ip.
- ``has``: customer -> address/phone/email (from the customers reference).

Each edge carries count (transactions, or movements for ``pays``), total minor
units (``pays`` only), first and last time (µs since the epoch, UTC).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import igraph as ig  # type: ignore[import-untyped]
import polars as pl
import pyarrow as pa

from finmon.core.currency import get_currency
from finmon.core.errors import NotFoundError, ValidationError
from finmon.monitor.transaction import from_micros, minor_units, to_micros

NODE_KINDS = (
    "account",
    "counterparty",
    "customer",
    "device",
    "ip",
    "merchant",
    "address",
    "phone",
    "email",
)
RELATIONS = ("pays", "owns", "uses", "has")
REQUIRED = ("transaction_id", "occurred_at", "account_id", "direction", "amount", "currency")

#: One money movement on a ``pays`` edge: (µs, minor units, debit leg id, credit leg id);
#: a leg the bank did not send (the other side is at another bank) is "".
Movement = tuple[int, int, str, str]
EdgeKey = tuple[int, int, str, str]  # source index, target index, relation, currency


@dataclass(frozen=True, slots=True)
class EdgeView:
    """One edge as callers see it: typed end keys and its weights and evidence."""

    source: str
    target: str
    relation: str
    currency: str
    count: int
    total_minor: int
    first_at: datetime | None
    last_at: datetime | None
    transaction_ids: tuple[str, ...]


def _as_frame(table: pl.DataFrame | pa.Table) -> pl.DataFrame:
    if isinstance(table, pl.DataFrame):
        return table
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # a lone column converts to a Series
        raise ValidationError("expected a table, got a single column", field="table")
    return frame


def _require(columns: Iterable[str], needed: Iterable[str], what: str) -> None:
    have = set(columns)
    for name in needed:
        if name not in have:
            raise ValidationError(f"{what} lacks the column {name!r}", field=name, code="missing")


def normalise_address(text: str) -> str:
    """Case- and whitespace-insensitive address text: "1 Main St" == " 1  MAIN st "."""
    return " ".join(text.lower().replace(",", " ").split())


def normalise_phone(text: str) -> str:
    """Digits only (a leading + kept): "+1 (555) 010-2000" == "+15550102000"."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return ("+" + digits) if text.strip().startswith("+") else digits


class TransactionGraph:
    """The typed, directed multigraph of accounts, parties and the money between them."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._keys: list[str] = []
        self._internal: set[int] = set()
        self._owner: dict[str, str] = {}  # account id -> customer id (reference)
        self._edge: dict[EdgeKey, int] = {}
        self._src: list[int] = []
        self._dst: list[int] = []
        self._rel: list[str] = []
        self._cur: list[str] = []
        self._count: list[int] = []
        self._total: list[int] = []
        self._first: list[int | None] = []
        self._last: list[int | None] = []
        self._out: list[list[int]] = []
        self._in: list[list[int]] = []
        self._moves: dict[int, list[Movement]] = {}
        self._unpaired: dict[tuple[int, int, int, str], list[Movement]] = {}
        self._seen_tx: set[str] = set()
        self._parent: list[int] = []  # union-find over ``pays`` edges, for streaming components
        self.version = 0
        self._snapshot: tuple[tuple[int, tuple[str, ...]], ig.Graph] | None = None

    # ------------------------------------------------------------------ nodes
    def _node(self, key: str) -> int:
        index = self._index.get(key)
        if index is None:
            index = len(self._keys)
            self._index[key] = index
            self._keys.append(key)
            self._out.append([])
            self._in.append([])
            self._parent.append(index)
        return index

    def _mark_internal(self, account_id: str) -> int:
        index = self._node("account:" + account_id)
        self._internal.add(index)
        return index

    def key(self, index: int) -> str:
        """The public key of node ``index`` (``counterparty:X`` for an account not ours)."""
        raw = self._keys[index]
        if raw.startswith("account:") and index not in self._internal:
            return "counterparty:" + raw[8:]
        return raw

    def kind(self, index: int) -> str:
        return self.key(index).split(":", 1)[0]

    def index_of(self, key: str, *, field: str = "node") -> int:
        """The node index of a typed key.

        Raises:
            ValidationError: the key is not ``kind:id`` with a known kind.
            NotFoundError: no such node in the graph.
        """
        kind, sep, ident = key.partition(":")
        if not sep or not ident or kind not in NODE_KINDS:
            raise ValidationError(
                f"{key!r} is not a node key: expected <kind>:<id> with kind one of "
                + ", ".join(NODE_KINDS),
                field=field,
                code="invalid",
            )
        raw = "account:" + ident if kind == "counterparty" else key
        index = self._index.get(raw)
        if index is None or (kind == "account" and index not in self._internal):
            raise NotFoundError(f"{key} is not in the graph", field=field)
        return index

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self.index_of(key)
        except (ValidationError, NotFoundError):
            return False
        return True

    @property
    def node_count(self) -> int:
        return len(self._keys)

    @property
    def edge_count(self) -> int:
        return len(self._src)

    def nodes(self, kind: str | None = None) -> Iterator[str]:
        """Every node key, optionally only those of one kind."""
        for index in range(len(self._keys)):
            key = self.key(index)
            if kind is None or key.startswith(kind + ":"):
                yield key

    def is_internal(self, index: int) -> bool:
        return index in self._internal

    # ------------------------------------------------------------------ edges
    def _edge_for(self, src: int, dst: int, relation: str, currency: str) -> int:
        edge_key = (src, dst, relation, currency)
        edge = self._edge.get(edge_key)
        if edge is None:
            edge = len(self._src)
            self._edge[edge_key] = edge
            self._src.append(src)
            self._dst.append(dst)
            self._rel.append(relation)
            self._cur.append(currency)
            self._count.append(0)
            self._total.append(0)
            self._first.append(None)
            self._last.append(None)
            self._out[src].append(edge)
            self._in[dst].append(edge)
            if relation == "pays":
                self._moves[edge] = []
                self._union(src, dst)
        return edge

    def _touch(self, edge: int, at_us: int | None, count: int = 1, amount: int = 0) -> None:
        self._count[edge] += count
        self._total[edge] += amount
        if at_us is not None:
            first, last = self._first[edge], self._last[edge]
            self._first[edge] = at_us if first is None else min(first, at_us)
            self._last[edge] = at_us if last is None else max(last, at_us)

    def _relate(self, src: int, dst: int, relation: str, at_us: int | None, count: int) -> None:
        self._touch(self._edge_for(src, dst, relation, ""), at_us, count)

    def edge_view(self, edge: int) -> EdgeView:
        first, last = self._first[edge], self._last[edge]
        moves = self._moves.get(edge, [])
        return EdgeView(
            source=self.key(self._src[edge]),
            target=self.key(self._dst[edge]),
            relation=self._rel[edge],
            currency=self._cur[edge],
            count=self._count[edge],
            total_minor=self._total[edge],
            first_at=None if first is None else from_micros(first),
            last_at=None if last is None else from_micros(last),
            transaction_ids=tuple(t for m in moves for t in (m[2], m[3]) if t),
        )

    def edges(self, relation: str | None = None) -> Iterator[EdgeView]:
        for edge in range(len(self._src)):
            if relation is None or self._rel[edge] == relation:
                yield self.edge_view(edge)

    def out_edges(self, index: int) -> list[int]:
        return self._out[index]

    def in_edges(self, index: int) -> list[int]:
        return self._in[index]

    def edge_ends(self, edge: int) -> tuple[int, int, str]:
        return self._src[edge], self._dst[edge], self._rel[edge]

    def edge_currency(self, edge: int) -> str:
        return self._cur[edge]

    def edge_count_of(self, edge: int) -> int:
        return self._count[edge]

    def movements(self, edge: int) -> list[Movement]:
        """The money movements of a ``pays`` edge in time order (empty for other relations)."""
        return self._moves.get(edge, [])

    # ------------------------------------------------------------- union-find
    def _find(self, index: int) -> int:
        parent = self._parent
        root = index
        while parent[root] != root:
            root = parent[root]
        while parent[index] != root:
            parent[index], index = root, parent[index]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def money_component_id(self, key: str) -> int:
        """The weakly connected money-flow component of ``key``, kept up to date per transaction.

        Streaming answer to "is this account connected to that one by money?" in
        near O(1): a union-find over ``pays`` edges (edges are never removed, so
        union-find is exact). Ids are node indices: equal ids, same component.
        """
        return self._find(self.index_of(key, field="key"))

    # -------------------------------------------------------------- reference
    def add_accounts(self, table: pl.DataFrame | pa.Table) -> None:
        """Accounts reference (``account_id``, ``customer_id``): ownership, and what is internal."""
        frame = _as_frame(table)
        _require(frame.columns, ("account_id", "customer_id"), "the accounts table")
        for account_id, customer_id in frame.select("account_id", "customer_id").iter_rows():
            if not account_id:
                continue
            account = self._mark_internal(account_id)
            if customer_id:
                self._owner[account_id] = customer_id
                self._relate(self._node("customer:" + customer_id), account, "owns", None, 0)
        self.version += 1

    def add_customers(self, table: pl.DataFrame | pa.Table) -> None:
        """Customers reference: identifying attributes (address, phone, email) when present.

        The canonical customer has no address text, only home coordinates; those
        (rounded to 5 decimals, about a metre) stand in for an address. A bank's own
        ``address``, ``phone`` and ``email`` columns are used when it sends them.
        """
        frame = _as_frame(table)
        _require(frame.columns, ("customer_id",), "the customers table")
        for row in frame.iter_rows(named=True):
            customer_id = row.get("customer_id")
            if not customer_id:
                continue
            customer = self._node("customer:" + customer_id)
            for attribute in _customer_attributes(row):
                self._relate(customer, self._node(attribute), "has", None, 0)
        self.version += 1

    def add_devices(self, table: pl.DataFrame | pa.Table) -> None:
        """Devices reference (``device_id``, optional ``customer_id``): usual owner of a device."""
        frame = _as_frame(table)
        _require(frame.columns, ("device_id",), "the devices table")
        owners = frame["customer_id"] if "customer_id" in frame.columns else None
        for i, device_id in enumerate(frame["device_id"]):
            owner = owners[i] if owners is not None else None
            if device_id and owner:
                device = self._node("device:" + device_id)
                self._relate(self._node("customer:" + owner), device, "uses", None, 0)
        self.version += 1

    # ------------------------------------------------------------ the stream
    def add_transaction(self, row: Mapping[str, Any]) -> None:
        """Add one canonical transaction (the streaming path; O(1) amortised).

        ``amount`` may be the decimal string of the canonical file or int minor
        units; ``occurred_at`` an aware datetime or int µs. A transaction id seen
        before is ignored (replays and at-least-once delivery change nothing).

        Raises:
            ValidationError: a required field is missing or malformed (names it).
        """
        tx = _parse_row(row)
        if tx.transaction_id in self._seen_tx:
            return
        self._seen_tx.add(tx.transaction_id)
        account = self._mark_internal(tx.account_id)
        customer_id = tx.customer_id or self._owner.get(tx.account_id)
        customer = self._node("customer:" + customer_id) if customer_id else None
        if customer is not None:
            self._relate(customer, account, "owns", tx.at_us, 1)
        for attribute in tx.usage_keys():
            node = self._node(attribute)
            self._relate(account, node, "uses", tx.at_us, 1)
            if customer is not None:
                self._relate(customer, node, "uses", tx.at_us, 1)
        other_key = tx.other_key()
        if other_key is not None:
            other = self._node(other_key)
            src, dst = (account, other) if tx.direction == "debit" else (other, account)
            self._add_leg(src, dst, tx)
        self.version += 1

    def add_transactions(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.add_transaction(row)

    def _add_leg(self, src: int, dst: int, tx: _Tx) -> None:
        """Record one leg; pair it with the other leg of the same movement if that came first."""
        edge = self._edge_for(src, dst, "pays", tx.currency)
        debit = tx.direction == "debit"
        waiting = (edge, tx.at_us, tx.amount_minor, "credit" if debit else "debit")
        moves = self._moves[edge]
        partners = self._unpaired.get(waiting)
        if partners:
            old = partners.pop(0)
            if not partners:
                del self._unpaired[waiting]
            at, amount, debit_id, credit_id = old
            new = (at, amount, tx.transaction_id, credit_id) if debit else (
                at, amount, debit_id, tx.transaction_id)  # fmt: skip
            position = bisect.bisect_left(moves, old)
            moves[position] = new
            moves.sort()  # the filled-in id may reorder ties; lists per edge are short
            return
        move = (tx.at_us, tx.amount_minor, tx.transaction_id, "") if debit else (
            tx.at_us, tx.amount_minor, "", tx.transaction_id)  # fmt: skip
        bisect.insort(moves, move)
        self._unpaired.setdefault((edge, tx.at_us, tx.amount_minor, tx.direction), []).append(move)
        self._touch(edge, tx.at_us, 1, tx.amount_minor)

    # ---------------------------------------------------------------- batch
    @classmethod
    def from_tables(
        cls,
        transactions: pl.DataFrame | pa.Table,
        *,
        accounts: pl.DataFrame | pa.Table | None = None,
        customers: pl.DataFrame | pa.Table | None = None,
        devices: pl.DataFrame | pa.Table | None = None,
    ) -> TransactionGraph:
        """Build the whole graph from a table at once (the batch path: full recomputation).

        Vectorised with Polars: rows are resolved to node keys, legs paired and
        edges aggregated in columnar form, then loaded. The result equals adding
        the same rows one by one with :meth:`add_transaction` (tests hold it to that).
        """
        from finmon.aml.graph.batch import load_batch

        graph = cls()
        if accounts is not None:
            graph.add_accounts(accounts)
        if customers is not None:
            graph.add_customers(customers)
        if devices is not None:
            graph.add_devices(devices)
        load_batch(graph, _as_frame(transactions))
        graph.version += 1
        return graph

    # ----------------------------------------------- bulk loading (batch.py)
    def bulk_nodes(self, keys: Iterable[str], *, internal: bool = False) -> list[int]:
        indices = [self._node(k) for k in keys]
        if internal:
            self._internal.update(indices)
        return indices

    def bulk_relation(self, rows: Iterable[tuple[int, int, str, str, int, int, int, int]]) -> None:
        """Add aggregated edges (src, dst, relation, currency, count, total, first, last)."""
        for src, dst, relation, currency, count, total, first, last in rows:
            edge = self._edge_for(src, dst, relation, currency)
            self._touch(edge, first, count, total)
            self._touch(edge, last, 0, 0)

    def bulk_movements(self, edge_key: EdgeKey, moves: list[Movement]) -> None:
        """Set the movements of one ``pays`` edge (batch); unpaired legs stay pairable."""
        edge = self._edge_for(*edge_key)
        existing = self._moves[edge]
        existing.extend(moves)
        existing.sort()
        for move in moves:
            if not (move[2] and move[3]):
                side = "debit" if move[2] else "credit"
                self._unpaired.setdefault((edge, move[0], move[1], side), []).append(move)

    def mark_seen(self, transaction_ids: Iterable[str]) -> None:
        self._seen_tx.update(transaction_ids)

    def owner_of(self, account_id: str) -> str | None:
        return self._owner.get(account_id)

    def internal_ids(self) -> set[str]:
        return {self._keys[i][8:] for i in self._internal}

    # ------------------------------------------------------------- snapshots
    def snapshot(self) -> dict[str, Any]:
        """A canonical, order-free description of the whole graph (for equality tests)."""
        edges = sorted(
            (
                self.key(self._src[e]),
                self.key(self._dst[e]),
                self._rel[e],
                self._cur[e],
                self._count[e],
                self._total[e],
                self._first[e],
                self._last[e],
                tuple(self._moves.get(e, [])),
            )
            for e in range(len(self._src))
        )
        return {"nodes": sorted(self.nodes()), "edges": edges}

    def to_igraph(self, relations: Iterable[str] | None = None) -> ig.Graph:
        """A directed igraph of the graph (parallel currency edges merged), cached per version.

        Vertex attribute ``name`` is the typed key, ``kind`` its kind; edge
        attributes ``relation``, ``count`` (weight) and ``eid`` (a list of our edge
        indices behind the igraph edge). With ``relations``, only those edges are
        kept (all nodes stay, so vertex ids equal node indices).
        """
        wanted = set(relations) if relations is not None else set(RELATIONS)
        unknown = wanted - set(RELATIONS)
        if unknown:
            raise ValidationError(
                f"unknown relation(s) {sorted(unknown)}; known: {', '.join(RELATIONS)}",
                field="relations",
            )
        cache_key = (self.version, tuple(sorted(wanted)))
        if self._snapshot is not None and self._snapshot[0] == cache_key:
            return self._snapshot[1]
        merged: dict[tuple[int, int, str], list[int]] = {}
        for edge in range(len(self._src)):
            relation = self._rel[edge]
            if relation in wanted:
                merged.setdefault((self._src[edge], self._dst[edge], relation), []).append(edge)
        graph = ig.Graph(n=len(self._keys), edges=[(s, d) for s, d, _ in merged], directed=True)
        graph.vs["name"] = [self.key(i) for i in range(len(self._keys))]
        graph.vs["kind"] = [self.kind(i) for i in range(len(self._keys))]
        graph.es["relation"] = [r for _, _, r in merged]
        graph.es["count"] = [max(1, sum(self._count[e] for e in es)) for es in merged.values()]
        graph.es["eid"] = list(merged.values())
        self._snapshot = (cache_key, graph)
        return graph


@dataclass(frozen=True, slots=True)
class _Tx:
    transaction_id: str
    at_us: int
    account_id: str
    customer_id: str | None
    direction: str
    amount_minor: int
    currency: str
    counterparty: str | None
    merchant: str | None
    device: str | None
    ip: str | None

    def usage_keys(self) -> list[str]:
        keys = []
        if self.device:
            keys.append("device:" + self.device)
        if self.ip:
            keys.append("ip:" + self.ip)
        return keys

    def other_key(self) -> str | None:
        """The other side of the money: a bank account id, else the card merchant, else none.

        Cash (ATM, deposits) has no other side in the data; it gets no ``pays`` edge
        (a "cash" node would join every cash user into one meaningless hub).
        """
        if self.counterparty:
            return "account:" + self.counterparty
        if self.merchant:
            return "merchant:" + self.merchant
        return None


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text, got {type(value).__name__}", field=name)
    return value


def _parse_row(row: Mapping[str, Any]) -> _Tx:
    for name in REQUIRED:
        if row.get(name) in (None, ""):
            raise ValidationError(f"the transaction lacks {name}", field=name, code="missing")
    direction = row["direction"]
    if direction not in ("debit", "credit"):
        raise ValidationError(
            f"direction must be debit or credit, got {direction!r}", field="direction"
        )
    occurred = row["occurred_at"]
    if isinstance(occurred, datetime):
        if occurred.tzinfo is None:
            raise ValidationError("occurred_at has no time zone", field="occurred_at")
        at_us = to_micros(occurred)
    elif isinstance(occurred, int):
        at_us = occurred
    else:
        raise ValidationError("occurred_at must be a datetime or µs", field="occurred_at")
    currency = str(row["currency"])
    amount = row["amount"]
    try:
        minor = amount if isinstance(amount, int) else minor_units(str(amount), currency)
    except (ArithmeticError, ValueError) as exc:
        raise ValidationError(f"amount {amount!r} is not a decimal", field="amount") from exc
    return _Tx(
        transaction_id=str(row["transaction_id"]),
        at_us=at_us,
        account_id=str(row["account_id"]),
        customer_id=_text(row, "customer_id"),
        direction=direction,
        amount_minor=minor,
        currency=currency,
        counterparty=_text(row, "counterparty_account_id"),
        merchant=_text(row, "merchant_id"),
        device=_text(row, "device_id"),
        ip=_text(row, "ip_address"),
    )


def _customer_attributes(row: Mapping[str, Any]) -> list[str]:
    keys: list[str] = []
    address = row.get("address")
    if isinstance(address, str) and address.strip():
        keys.append("address:" + normalise_address(address))
    else:
        lat, lon = row.get("home_latitude"), row.get("home_longitude")
        if isinstance(lat, float) and isinstance(lon, float):
            keys.append(f"address:{lat:.5f},{lon:.5f}")
    phone = row.get("phone")
    if isinstance(phone, str) and normalise_phone(phone).lstrip("+"):
        keys.append("phone:" + normalise_phone(phone))
    email = row.get("email")
    if isinstance(email, str) and "@" in email:
        keys.append("email:" + email.strip().lower())
    return keys


def currency_exponent(code: str) -> int:
    """Minor-unit exponent of a currency (USD 2, JPY 0, ...)."""
    return get_currency(code).exponent


def require_key(graph: TransactionGraph, key: str, field: str) -> int:
    """Index of ``key``, or NotFoundError/ValidationError naming ``field``."""
    if not isinstance(key, str) or not key:
        raise ValidationError(f"{field} must be a node key such as account:AC1", field=field)
    return graph.index_of(key, field=field)


__all__ = [
    "NODE_KINDS",
    "RELATIONS",
    "EdgeView",
    "Movement",
    "TransactionGraph",
    "normalise_address",
    "normalise_phone",
]
