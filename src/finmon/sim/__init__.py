"""finmon.sim, the bank twin: a simulated bank whose traffic carries honest labels.

A scenario (TOML) describes the run; :class:`Simulation` draws the population,
generates honest traffic day by day and injects fraud and AML typologies, each
instance labelled; :func:`generate_dataset` writes the canonical files plus
labels and ground truth; :func:`stream_scenario` publishes to a Bus;
:func:`inject_faults` damages any stream on purpose. The detectors never import
this package: they see only what a bank would send.
"""

from finmon.sim.dataset import GenerationSummary, generate_dataset
from finmon.sim.faults import FAULT_KINDS, MALFORMATIONS, FaultLabel, inject_faults
from finmon.sim.generator import Batch, Simulation
from finmon.sim.names import AML_TYPOLOGIES, FRAUD_TYPOLOGIES, TYPOLOGIES
from finmon.sim.scenarios import (
    FaultSpec,
    PopulationSpec,
    Scenario,
    TypologySpec,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)
from finmon.sim.stream import Pacing, StreamStats, stream_scenario
from finmon.sim.writers import DatasetWriter, Format, read_table

__all__ = [
    "AML_TYPOLOGIES",
    "FAULT_KINDS",
    "FRAUD_TYPOLOGIES",
    "MALFORMATIONS",
    "TYPOLOGIES",
    "Batch",
    "DatasetWriter",
    "FaultLabel",
    "FaultSpec",
    "Format",
    "GenerationSummary",
    "Pacing",
    "PopulationSpec",
    "Scenario",
    "Simulation",
    "StreamStats",
    "TypologySpec",
    "generate_dataset",
    "inject_faults",
    "load_scenario",
    "parse_scenario",
    "read_table",
    "shipped_scenarios",
    "stream_scenario",
]
