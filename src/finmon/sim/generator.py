"""The run: honest traffic day by day, typologies merged in, ids assigned, labels kept apart.

Honest traffic is generated in day-sized vectorised chunks, each activity from
its own stream seeded by (activity, day), so a day's rows do not depend on how
the run is chunked or how many days came before. Typology instances are small
tables built up front, then merged into the day they fall on and sorted by time.
Transaction ids are assigned after the sort, from a seeded bijection of the row
number, so they follow time order and say nothing about labels.

``Simulation.batches()`` yields one :class:`Batch` per day (canonical
transactions and their labels); the ground truth is complete once it is
exhausted. With ``transactions`` set, the population is scaled from a short
pilot run to reach that count and the output is cut at exactly that many rows;
the ground truth then describes only the rows emitted.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from finmon.sim import behaviour_cards, behaviour_flows
from finmon.sim.block import TxBlock
from finmon.sim.scenarios import Scenario
from finmon.sim.tables import (
    Vocab,
    ground_truth_table,
    hex_ids,
    labels_columns,
    transactions_columns,
    with_ids,
)
from finmon.sim.typologies import TYPOLOGIES, inject
from finmon.sim.world import World, build_world

ACTIVITIES = behaviour_cards.ACTIVITIES + behaviour_flows.ACTIVITIES
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PILOT_CUSTOMERS = 3000
_PILOT_DAYS = 7


def honest_day(world: World, day: int) -> TxBlock:
    """All honest traffic of one simulated day (unsorted)."""
    return TxBlock.concat(
        [act(world, day, world.rng("day", act.__name__, str(day))) for act in ACTIVITIES]
    )


def scaled_customers(scenario: Scenario) -> int:
    """How many customers give ``scenario.transactions`` rows over its days (with 8% to spare)."""
    if scenario.transactions is None:
        return scenario.customers
    pilot = build_world(scenario, customers=_PILOT_CUSTOMERS)
    days = min(_PILOT_DAYS, scenario.days)
    rows = sum(len(honest_day(pilot, d)) for d in range(days))
    per_customer_day = max(rows, 1) / (_PILOT_CUSTOMERS * days)
    return max(50, math.ceil(scenario.transactions * 1.08 / (per_customer_day * scenario.days)))


@dataclass(frozen=True, slots=True)
class _Prepared:
    day: int
    block: TxBlock
    transactions: list[pa.Array]
    labels: list[pa.Array]


@dataclass(frozen=True, slots=True)
class Batch:
    """One day of output: canonical transactions and, row for row, their labels."""

    day: int
    days: int
    transactions: pa.Table
    labels: pa.Table


class Simulation:
    """One scenario run: the world, the typology rows, and the output as batches."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.world = build_world(scenario, customers=scaled_customers(scenario))
        self.typology_rows, self.instances = inject(self.world)
        self.vocab = Vocab(self.world)
        rng = self.world.rng("transaction-ids")
        self._mult = np.uint64(int(rng.integers(1, 2**62)) * 2 + 1)
        self._mask = np.uint64(int(rng.integers(0, 2**63)))
        self._truth: dict[int, dict[str, Any]] = {}
        self.emitted = 0
        self.done = False
        starts = self.world.calendar.day_start
        self._bounds = np.r_[
            np.searchsorted(self.typology_rows["ts"], starts), len(self.typology_rows)
        ]

    def _ids(self, n: int) -> pa.Array:
        seq = np.arange(self.emitted, self.emitted + n, dtype=np.uint64)
        return hex_ids((seq * self._mult) ^ self._mask)

    def _prepare(self, day: int) -> _Prepared:
        """One day: honest rows plus the typology rows that fall on it, sorted, as columns."""
        typ = self.typology_rows
        own = typ.take(np.arange(self._bounds[day], self._bounds[day + 1]))
        block = TxBlock.concat([honest_day(self.world, day), own]).sorted()
        return _Prepared(
            day, block, transactions_columns(self.vocab, block), labels_columns(self.vocab, block)
        )

    def _days(self) -> Iterator[_Prepared]:
        """Days in order, prepared ahead on two threads (numpy and Arrow release the GIL).

        Each day draws only from its own streams, so threads cannot change the output.
        """
        days = self.world.calendar.days
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sim-day") as pool:
            pending: deque[Future[_Prepared]] = deque()
            for day in range(days):
                while len(pending) < 3 and day + len(pending) < days:
                    pending.append(pool.submit(self._prepare, day + len(pending)))
                yield pending.popleft().result()

    def batches(self) -> Iterator[Batch]:
        """The output, day by day, cut at the target count; then the ground truth is complete."""
        limit = self.scenario.transactions
        for prepared in self._days():
            n = len(prepared.block)
            if limit is not None:
                n = min(n, limit - self.emitted)
            ids = self._ids(n)
            block = prepared.block.take(np.arange(n)) if n < len(prepared.block) else prepared.block
            self._collect(block, ids)
            self.emitted += n
            txs = [c.slice(0, n) for c in prepared.transactions]
            labels = [c.slice(0, n) for c in prepared.labels]
            yield Batch(
                prepared.day,
                self.world.calendar.days,
                with_ids(txs, ids, "transactions"),
                with_ids(labels, ids, "labels"),
            )
            if limit is not None and self.emitted >= limit:
                break
        self.done = True

    def blocks(self) -> Iterator[tuple[int, TxBlock]]:
        """(day, time-sorted rows) without the string columns, for in-memory consumers."""
        for day in range(self.world.calendar.days):
            typ = self.typology_rows
            own = typ.take(np.arange(self._bounds[day], self._bounds[day + 1]))
            yield day, TxBlock.concat([honest_day(self.world, day), own]).sorted()

    def _collect(self, block: TxBlock, ids: pa.Array) -> None:
        rows = np.flatnonzero(block["inst"] >= 0)
        if rows.size == 0:
            return
        id_list = ids.take(pa.array(rows)).to_pylist()
        accounts = self.world.pop.acct_ids
        for row, tx in zip(rows, id_list, strict=True):
            inst = int(block["inst"][row])
            entry = self._truth.setdefault(inst, defaultdict(list))
            entry["tx"].append(tx)
            entry["acct"].append(str(accounts[block["acct"][row]]))
            entry["ts"].append(int(block["ts"][row]))

    def ground_truth(self) -> pa.Table:
        """One row per typology instance that has rows in the output."""
        records = []
        names = dict(self.instances)
        for inst in sorted(self._truth):
            entry = self._truth[inst]
            records.append(
                {
                    "instance_id": f"inst-{inst:06d}",
                    "typology": names[inst],
                    "start": _EPOCH + timedelta(microseconds=min(entry["ts"])),
                    "end": _EPOCH + timedelta(microseconds=max(entry["ts"])),
                    "account_ids": sorted(set(entry["acct"])),
                    "transaction_ids": entry["tx"],
                }
            )
        return ground_truth_table(records)

    def typology_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(TYPOLOGIES, 0)
        names = dict(self.instances)
        for inst in self._truth:
            counts[names[inst]] += 1
        return {k: v for k, v in counts.items() if v}


__all__ = ["ACTIVITIES", "Batch", "Simulation", "honest_day", "scaled_customers"]
