"""Generate a scenario into a directory: the `finmon sim generate` contract as a function.

Writes ``transactions``, ``labels`` (row for row), ``customers``, ``accounts``,
``merchants``, ``devices`` and ``ground_truth``; the transactions file is what
a bank would send and carries no label.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finmon.sim.generator import Batch, Simulation
from finmon.sim.scenarios import Scenario
from finmon.sim.tables import reference_tables
from finmon.sim.writers import DatasetWriter, Format

Progress = Callable[[Batch], None]


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """What a generation run produced, for the CLI summary and the benchmarks."""

    scenario: str
    seed: int
    customers: int
    transactions: int
    labelled: int
    instances: dict[str, int]
    seconds: float
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    sanctions_source: str = ""

    @property
    def transactions_per_second(self) -> float:
        return self.transactions / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "customers": self.customers,
            "transactions": self.transactions,
            "labelled_transactions": self.labelled,
            "instances": self.instances,
            "seconds": round(self.seconds, 3),
            "transactions_per_second": round(self.transactions_per_second),
            "files": self.files,
            "sanctions_names_from": self.sanctions_source,
        }


def generate_dataset(
    scenario: Scenario,
    out: Path,
    fmt: Format | str = Format.parquet,
    progress: Progress | None = None,
) -> GenerationSummary:
    """Run ``scenario`` and write its tables into ``out``."""
    started = time.perf_counter()
    sim = Simulation(scenario)
    labelled = 0
    with DatasetWriter(out, fmt) as writer:
        for batch in sim.batches():
            writer.write("transactions", batch.transactions)
            writer.write("labels", batch.labels)
            labelled += int(batch.labels.column("is_fraud").to_numpy(zero_copy_only=False).sum())
            if progress is not None:
                progress(batch)
        for name, table in reference_tables(sim.world).items():
            writer.write(name, table)
        writer.write("ground_truth", sim.ground_truth())
    return GenerationSummary(
        scenario=scenario.name,
        seed=scenario.seed,
        customers=sim.world.customers,
        transactions=sim.emitted,
        labelled=labelled,
        instances=sim.typology_counts(),
        seconds=time.perf_counter() - started,
        files=writer.files(),
        sanctions_source=sim.world.cps.sanctions_source,
    )


__all__ = ["GenerationSummary", "Progress", "generate_dataset"]
