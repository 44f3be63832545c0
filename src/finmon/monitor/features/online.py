"""Features of one transaction at a time, from per-entity windows kept in memory.

Semantics (shared with :mod:`.offline`, held equal by tests/property/test_feature_parity.py):

* Stream order is event time (``occurred_us``), ties in arrival (input) order.
* Each entity kind (account, customer, card, device, ip, merchant,
  counterparty) gives every event an order key ``t_us * 1024 + rank``, the
  rank counting the entity's earlier events at the same microsecond (capped at
  1023; beyond 1024 events of one entity in one microsecond the two sides may
  differ). A window of length ``w`` at event ``i`` holds the entity's events
  ``j`` with ``key_i - w*1024 < key_j <= key_i``: the events after ``t_i - w``,
  ``i`` included, none after it. At the edge ``t_j == t_i - w`` exactly, ``j``
  is in only when its rank exceeds ``i``'s (a tie there is ordered like any tie).
* "prev" statistics (z-score, ratios, first seen, hour share) use the same
  window without ``i``; ``since_last`` and the previous located event look at
  the entity's latest earlier event (in the window, else the documented default).
* A missing entity value (no device, no merchant, a non-card channel for
  ``card_``) gives that entity's features 0 and keeps no state; a missing
  value inside a window (a debit without counterparty) is not counted as distinct.

Lateness: an event older than the newest seen but within ``lateness_us`` of it
is inserted at its place: its own features see exactly the events before it,
and later events see it. An event later than that is still scored (never
dropped) from what the state retains, possibly missing events already
forgotten, but counted as too late and not inserted, so the state stays bounded.

Each entity keeps a key-sorted list of its events for the longest window its
features need plus the lateness; each stored event carries prefix sums of its
contributions, so a window is a start index (sums are differences of prefix
sums) plus, for distinct counts, value counters; the in-order path is O(1)
amortised. A late event replays the entity's retained events (rare, and
exact). Entities idle longer than their retention are swept (at most once per
hour of event time, amortised O(1) per transaction).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from finmon.core.currency import get_currency
from finmon.core.errors import ValidationError
from finmon.monitor.features._program import EntityProgram, compile_programs
from finmon.monitor.features._shared import (
    CARD_CHANNELS,
    CASH_CHANNELS,
    KEY_SCALE,
    MAX_RANK,
    US_PER_HOUR,
)
from finmon.monitor.features._state import (
    EntityState,
    Event,
    Picker,
    advance,
    contributions,
    live_events,
    picker,
)
from finmon.monitor.features.registry import CHANNEL_NAMES, FEATURE_NAMES, FEATURE_SET_VERSION
from finmon.monitor.reference import ReferenceData
from finmon.monitor.transaction import Txn

SNAPSHOT_FORMAT = "finmon.features.snapshot"
SNAPSHOT_VERSION = 1
DEFAULT_LATENESS_US = 5 * 60 * 1_000_000
_SWEEP_EVERY_US = US_PER_HOUR
#: A sweep visits every entity; wait for entities / _SWEEP_SHARE transactions between two.
_SWEEP_SHARE = 2
_N = len(FEATURE_NAMES)


@dataclass(slots=True)
class FeatureStats:
    """What the state holds and how punctual the stream was."""

    transactions: int = 0
    late_accepted: int = 0
    too_late: int = 0
    entities: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "transactions": self.transactions,
            "late_accepted": self.late_accepted,
            "too_late": self.too_late,
            "entities": self.entities,
        }


@dataclass(frozen=True, slots=True)
class _Facts:
    """The transaction reduced to what the stateful features read."""

    amount: int
    bits: int
    flags: tuple[bool, ...]
    #: Every (kind, filter) contribution and (value, filter) value any entity kind keeps,
    #: computed once; each entity picks its own with a C-level itemgetter.
    contrib: tuple[int, ...]
    values: tuple[Any, ...]


def _flags_from_bits(bits: int) -> tuple[bool, ...]:
    return (True,) + tuple(bool(bits >> i & 1) for i in range(1, 8))


class OnlineFeatures:
    """Computes :data:`FEATURE_NAMES` for each transaction and remembers it.

    ``compute`` includes the transaction in its own windows, then keeps it; one
    instance serves one stream (not thread-safe: wrap it or shard by account).
    """

    def __init__(
        self, reference: ReferenceData | None = None, *, lateness_us: int = DEFAULT_LATENESS_US
    ) -> None:
        if lateness_us < 0:
            raise ValidationError(
                "lateness must not be negative", field="lateness_us", code="invalid"
            )
        self.reference = reference or ReferenceData()
        self.lateness_us = lateness_us
        self._programs = compile_programs()
        self._contrib_spec = sorted({c for p in self._programs for c in p.contrib})
        self._value_spec = sorted({v for p in self._programs for v in p.values})
        self._pickers: dict[str, tuple[Picker, Picker]] = {
            p.entity: (
                picker([self._contrib_spec.index(c) for c in p.contrib]),
                picker([self._value_spec.index(v) for v in p.values]),
            )
            for p in self._programs
        }
        self._states: list[dict[str, EntityState]] = [{} for _ in self._programs]
        self._max_t: int | None = None
        self._last_sweep = 0
        # A sweep visits every entity: run it at most once per hour of event time and
        # once per entities / _SWEEP_SHARE transactions, so it costs O(1) amortised.
        self._since_sweep = 0
        self._swept_entities = 0
        self._scale: dict[str, int] = {}
        self._stats = FeatureStats()
        self._scratch = [0.0] * _N

    # -- public -----------------------------------------------------------------

    @property
    def stats(self) -> FeatureStats:
        self._stats.entities = sum(len(s) for s in self._states)
        return FeatureStats(**self._stats.to_dict())

    def compute(self, txn: Txn) -> np.ndarray:
        """The features of ``txn`` (float64, :data:`FEATURE_NAMES` order); then keeps it."""
        t = txn.occurred_us
        too_late = False
        if self._max_t is None or t >= self._max_t:
            self._max_t = t
        elif t < self._max_t - self.lateness_us:
            too_late = True
            self._stats.too_late += 1
        else:
            self._stats.late_accepted += 1
        self._stats.transactions += 1
        facts = self._facts(txn)
        out = [0.0] * _N
        for prog, states, entity_id in zip(
            self._programs, self._states, self._entity_ids(txn), strict=True
        ):
            if entity_id is None:
                continue
            self._entity(prog, states, entity_id, txn, facts, out, too_late)
        out[_ROW_START:] = self._row(txn, facts)
        self._since_sweep += 1
        if (
            t - self._last_sweep >= _SWEEP_EVERY_US
            and self._since_sweep * _SWEEP_SHARE >= self._swept_entities
            and not too_late
        ):
            self._sweep()
        return np.array(out, dtype=np.float64)

    @staticmethod
    def as_dict(values: Sequence[float] | np.ndarray) -> dict[str, float]:
        """Feature name -> value, for rules and explanations."""
        return dict(zip(FEATURE_NAMES, (float(v) for v in values), strict=True))

    def snapshot(self) -> bytes:
        """The state as versioned JSON (no pickle): events retained per entity."""
        entities: dict[str, list[list[Any]]] = {}
        for prog, states in zip(self._programs, self._states, strict=True):
            entities[prog.entity] = [
                [
                    eid,
                    [
                        [e[0], e[1], str(e[6]), e[7], list(e[3]), e[4], e[5]]
                        for e in live_events(st)
                    ],
                ]
                for eid, st in states.items()
            ]
        return orjson.dumps(
            {
                "format": SNAPSHOT_FORMAT,
                "version": SNAPSHOT_VERSION,
                "feature_set": FEATURE_SET_VERSION,
                "lateness_us": self.lateness_us,
                "max_t": self._max_t,
                "sweep": [self._last_sweep, self._since_sweep, self._swept_entities],
                "stats": {  # entities is derived from the state itself
                    k: v for k, v in self._stats.to_dict().items() if k != "entities"
                },
                "entities": entities,
            }
        )

    @classmethod
    def restore(cls, data: bytes, reference: ReferenceData | None = None) -> OnlineFeatures:
        """An engine from :meth:`snapshot`; refuses another format, feature set or a torn one."""
        doc = _load_snapshot(data)
        try:
            return cls._from_doc(doc, reference)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValidationError(
                f"corrupt feature snapshot: {type(exc).__name__}: {exc}",
                field="snapshot",
                code="invalid",
            ) from exc

    @classmethod
    def _from_doc(cls, doc: dict[str, Any], reference: ReferenceData | None) -> OnlineFeatures:
        engine = cls(reference, lateness_us=int(doc["lateness_us"]))
        max_t = doc["max_t"]
        engine._max_t = None if max_t is None else int(max_t)
        engine._last_sweep, engine._since_sweep, engine._swept_entities = (
            int(v) for v in doc["sweep"]
        )
        stats = doc["stats"]
        engine._stats = FeatureStats(
            transactions=int(stats["transactions"]),
            late_accepted=int(stats["late_accepted"]),
            too_late=int(stats["too_late"]),
        )
        entities = doc["entities"]
        for prog, states in zip(engine._programs, engine._states, strict=True):
            for eid, rows in entities.get(prog.entity, []):
                events = [engine._event_from_json(prog, row) for row in rows]
                if events:
                    states[str(eid)] = engine._replay(prog, events)
        return engine

    # -- per transaction ----------------------------------------------------------

    def _currency_scale(self, currency: str) -> int:
        scale = self._scale.get(currency)
        if scale is None:
            scale = 10 ** get_currency(currency).exponent
            self._scale[currency] = scale
        return scale

    def _facts(self, txn: Txn) -> _Facts:
        amount = txn.amount_minor
        scale = self._currency_scale(txn.currency)
        threshold = self.reference.reporting_threshold_minor.get(txn.currency)
        channel = txn.channel
        flags = (
            True,
            txn.direction == "debit",
            txn.direction == "credit",
            channel == "card_not_present",
            channel in CASH_CHANNELS,
            amount < 5 * scale,
            amount % (100 * scale) == 0,
            threshold is not None and 10 * amount >= 9 * threshold and amount < threshold,
        )
        bits = sum(1 << i for i, f in enumerate(flags) if f and i)
        country = txn.merchant_country
        if country is None:
            country = txn.counterparty_country
        named = {
            "merchant_id": txn.merchant_id,
            "counterparty_account_id": txn.counterparty_account_id,
            "device_id": txn.device_id,
            "ip_address": txn.ip_address,
            "account_id": txn.account_id,
            "customer_id": txn.customer_id,
            "country": country,
            "merchant_country": txn.merchant_country,
        }
        values = tuple(named[v] if flags[f] else None for v, f in self._value_spec)
        contrib = contributions(self._contrib_spec, amount, flags, txn.occurred_us)
        return _Facts(amount, bits, flags, contrib, values)

    def _entity_ids(self, txn: Txn) -> list[str | None]:
        ids: list[str | None] = []
        for prog in self._programs:
            entity = prog.entity
            if entity == "account":
                ids.append(txn.account_id)
            elif entity == "customer":
                ids.append(txn.customer_id)
            elif entity == "card":
                ids.append(txn.account_id if txn.channel in CARD_CHANNELS else None)
            elif entity == "device":
                ids.append(txn.device_id)
            elif entity == "ip":
                ids.append(txn.ip_address)
            elif entity == "merchant":
                ids.append(txn.merchant_id)
            else:
                ids.append(txn.counterparty_account_id)
        return ids

    def _make_event(self, prog: EntityProgram, key: int, t: int, facts: _Facts, txn: Txn) -> Event:
        pick_contrib, pick_values = self._pickers[prog.entity]
        contrib = pick_contrib(facts.contrib)
        vals = pick_values(facts.values)
        lat, lon = txn.latitude, txn.longitude
        return (key, t, contrib, vals, lat, lon, facts.amount, facts.bits, ())

    @staticmethod
    def _event_from_json(prog: EntityProgram, row: list[Any]) -> Event:
        key, t, amount, bits, vals, lat, lon = row
        contrib = contributions(prog.contrib, int(amount), _flags_from_bits(int(bits)), int(t))
        return (int(key), int(t), contrib, tuple(vals), lat, lon, int(amount), int(bits), ())

    def _entity(
        self,
        prog: EntityProgram,
        states: dict[str, EntityState],
        entity_id: str,
        txn: Txn,
        facts: _Facts,
        out: list[float],
        too_late: bool,
    ) -> None:
        t = txn.occurred_us
        st = states.get(entity_id)
        if st is None:
            st = EntityState(prog)
            if too_late:
                advance(prog, st, self._make_event(prog, t * KEY_SCALE, t, facts, txn), out, 0)
                return
            states[entity_id] = st
        events = st.events
        last = events[-1] if len(events) > st.head else None
        if last is None or last[1] < t:
            key = t * KEY_SCALE
        elif last[1] == t:
            key = min(last[0] + 1, t * KEY_SCALE + MAX_RANK)
        else:
            self._late(prog, states, entity_id, st, txn, facts, out, too_late)
            return
        ev = self._make_event(prog, key, t, facts, txn)
        if too_late:
            self._replay(prog, live_events(st), ev, out)
            return
        advance(prog, st, ev, out, prog.retention + self.lateness_us * KEY_SCALE)

    def _late(
        self,
        prog: EntityProgram,
        states: dict[str, EntityState],
        entity_id: str,
        st: EntityState,
        txn: Txn,
        facts: _Facts,
        out: list[float],
        too_late: bool,
    ) -> None:
        """An event before the entity's newest: score it on what precedes it, then insert."""
        t = txn.occurred_us
        live = live_events(st)
        lo = bisect.bisect_left(live, (t * KEY_SCALE,))
        hi = bisect.bisect_left(live, ((t + 1) * KEY_SCALE,))
        key = t * KEY_SCALE + min(hi - lo, MAX_RANK)
        ev = self._make_event(prog, key, t, facts, txn)
        self._replay(prog, live[:hi], ev, out)
        if not too_late:
            live.insert(hi, ev)
            states[entity_id] = self._replay(prog, live)

    def _replay(
        self,
        prog: EntityProgram,
        events: list[Event],
        last: Event | None = None,
        out: list[float] | None = None,
    ) -> EntityState:
        """A fresh state from ``events`` (key order); ``last`` is scored into ``out``."""
        st = EntityState(prog)
        scratch = self._scratch
        retention = prog.retention + self.lateness_us * KEY_SCALE
        for e in events:
            advance(prog, st, e, scratch, retention)
        if last is not None and out is not None:
            advance(prog, st, last, out, retention)
        return st

    def _sweep(self) -> None:
        """Drop entities whose every event has left every window any future event can see."""
        assert self._max_t is not None  # noqa: S101 - set by compute before any sweep
        self._last_sweep = self._max_t
        horizon = (self._max_t - self.lateness_us) * KEY_SCALE
        for prog, states in zip(self._programs, self._states, strict=True):
            bound = horizon - prog.retention - self.lateness_us * KEY_SCALE
            idle = [eid for eid, st in states.items() if st.events[-1][0] <= bound]
            for eid in idle:
                del states[eid]
        self._since_sweep = 0
        self._swept_entities = sum(len(s) for s in self._states)

    def _row(self, txn: Txn, facts: _Facts) -> list[float]:
        """Stateless features, in registry order (they are the registry's last block)."""
        ref = self.reference
        amount = facts.amount
        scale = self._currency_scale(txn.currency)
        hour = (txn.occurred_us // US_PER_HOUR) % 24
        home = ref.customer_country.get(txn.customer_id, ref.home_country)
        mc, cc = txn.merchant_country, txn.counterparty_country
        cross = (mc is not None and mc != home) or (cc is not None and cc != home)
        channel = txn.channel
        row = [
            float(amount),
            math.log10(amount / scale + 1.0),
            float(facts.flags[6]),
            float(facts.flags[7]),
            ref.mcc_risk.get(txn.merchant_category, 0.0) if txn.merchant_category else 0.0,
            ref.merchant_risk.get(txn.merchant_id, 0.0) if txn.merchant_id else 0.0,
            ref.country_risk.get(cc, 0.0) if cc else 0.0,
            ref.country_risk.get(mc, 0.0) if mc else 0.0,
            float(cross),
            float(hour),
            float((txn.occurred_us // (24 * US_PER_HOUR) + 3) % 7),
            float(hour < 6),
            float(facts.flags[1]),
        ]
        row += [float(channel == c) for c in CHANNEL_NAMES]
        return row


_ROW_START = FEATURE_NAMES.index("amount")


def _event_to_json(e: Event) -> list[Any]:
    """What restore needs to rebuild an event: the rest is derived (amount as text: exact)."""
    return [e[0], e[1], str(e[6]), e[7], list(e[3]), e[4], e[5]]


def _load_snapshot(data: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            "not a feature snapshot (invalid JSON)", field="snapshot", code="invalid"
        ) from exc
    if not isinstance(doc, dict) or doc.get("format") != SNAPSHOT_FORMAT:
        raise ValidationError("not a feature snapshot", field="snapshot", code="invalid")
    if doc.get("version") != SNAPSHOT_VERSION:
        raise ValidationError(
            f"snapshot format version {doc.get('version')!r} is not {SNAPSHOT_VERSION}",
            field="snapshot.version",
            code="unsupported_version",
        )
    if doc.get("feature_set") != FEATURE_SET_VERSION:
        raise ValidationError(
            f"snapshot of feature set {doc.get('feature_set')!r}, this engine computes "
            f"{FEATURE_SET_VERSION}: rebuild the state (backfill) instead",
            field="snapshot.feature_set",
            code="feature_set_mismatch",
        )
    return doc


__all__ = ["DEFAULT_LATENESS_US", "FeatureStats", "OnlineFeatures"]
