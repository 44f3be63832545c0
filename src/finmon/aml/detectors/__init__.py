"""AML typology detectors: one small unit per typology, on the stream and on history.

Each detector is a class with a parameter dataclass (defaults justified in
docs/aml.md), ``observe(txn) -> list[Finding]`` for the stream (event time,
bounded state) and ``detect(table) -> list[Finding]`` for history (a replay of
the stream in event-time order through a fresh copy: one code path).
:class:`AmlDetectors` runs a set of them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa

from finmon.aml.detectors.base import Detector, Finding, FindingBook, finding_id, ordered
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.flows import (
    FanInDetector,
    FanOutDetector,
    FanParams,
    RapidMovementDetector,
    RapidMovementParams,
)
from finmon.aml.detectors.layering import (
    BipartiteDetector,
    BipartiteParams,
    CycleDetector,
    CycleParams,
    GatherScatterDetector,
    GatherScatterParams,
    ScatterGatherDetector,
    ScatterGatherParams,
    StackedLayeringDetector,
    StackedParams,
)
from finmon.aml.detectors.mules import MuleNetworkDetector, MuleParams
from finmon.aml.detectors.profile import (
    DormantParams,
    DormantReactivationDetector,
    ExactNameMatcher,
    HighRiskJurisdictionDetector,
    JurisdictionParams,
    NameMatcher,
    SanctionedCounterpartyDetector,
    SanctionsParams,
    normalise_name,
)
from finmon.aml.detectors.structuring import StructuringDetector, StructuringParams
from finmon.monitor.transaction import Txn


def default_detectors(
    context: AmlContext | None = None,
    *,
    sanctioned_names: Iterable[str] = (),
    name_matcher: NameMatcher | None = None,
) -> list[Detector]:
    """One detector per typology, default parameters, sharing ``context``."""
    ctx = context or AmlContext()
    return [
        StructuringDetector(context=ctx),
        RapidMovementDetector(context=ctx),
        FanInDetector(context=ctx),
        FanOutDetector(context=ctx),
        CycleDetector(context=ctx),
        ScatterGatherDetector(context=ctx),
        GatherScatterDetector(context=ctx),
        BipartiteDetector(context=ctx),
        StackedLayeringDetector(context=ctx),
        MuleNetworkDetector(context=ctx),
        DormantReactivationDetector(context=ctx),
        HighRiskJurisdictionDetector(context=ctx),
        SanctionedCounterpartyDetector(
            context=ctx, names=sanctioned_names, name_matcher=name_matcher
        ),
    ]


class AmlDetectors:
    """Several detectors over one stream: ``observe`` fans a transaction out to all."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = list(detectors)

    def observe(self, txn: Txn) -> list[Finding]:
        found: list[Finding] = []
        for detector in self.detectors:
            found.extend(detector.observe(txn))
        return found

    def stream(self, txns: Iterable[Txn]) -> Iterable[Finding]:
        """Every finding version, in the order the stream produced them."""
        for txn in txns:
            yield from self.observe(txn)

    def detect(self, table: pa.Table | Iterable[Txn]) -> list[Finding]:
        """Batch: a fresh copy of every detector over ``table`` in event-time order; the
        final version of each finding, by detection time."""
        fresh = AmlDetectors([d.fresh() for d in self.detectors])
        return latest(fresh.stream(ordered(table)))


def latest(versions: Iterable[Finding]) -> list[Finding]:
    """The last version of each finding (by id), ordered by detection time then id."""
    final: dict[str, Finding] = {}
    for found in versions:
        final[found.finding_id] = found
    return sorted(final.values(), key=lambda f: (f.detected_at, f.finding_id))


__all__ = [
    "AmlContext",
    "AmlDetectors",
    "BipartiteDetector",
    "BipartiteParams",
    "CycleDetector",
    "CycleParams",
    "Detector",
    "DormantParams",
    "DormantReactivationDetector",
    "ExactNameMatcher",
    "FanInDetector",
    "FanOutDetector",
    "FanParams",
    "Finding",
    "FindingBook",
    "GatherScatterDetector",
    "GatherScatterParams",
    "HighRiskJurisdictionDetector",
    "JurisdictionParams",
    "MuleNetworkDetector",
    "MuleParams",
    "NameMatcher",
    "RapidMovementDetector",
    "RapidMovementParams",
    "SanctionedCounterpartyDetector",
    "SanctionsParams",
    "ScatterGatherDetector",
    "ScatterGatherParams",
    "StackedLayeringDetector",
    "StackedParams",
    "StructuringDetector",
    "StructuringParams",
    "default_detectors",
    "finding_id",
    "latest",
    "normalise_name",
]
