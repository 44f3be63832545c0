"""Fraud and AML typologies injected into honest traffic, each instance labelled.

:func:`inject` runs every typology of a scenario, in the fixed order of
:data:`TYPOLOGIES`, each from its own random stream, and returns the rows (time
sorted, label columns set) and the list of instances.
"""

from __future__ import annotations

import numpy as np

from finmon.sim.block import TxBlock
from finmon.sim.names import AML_TYPOLOGIES, FRAUD_TYPOLOGIES, TYPOLOGIES, TYPOLOGY_CODE
from finmon.sim.typologies import aml, aml_graph, fraud
from finmon.sim.typologies.base import Ctx, Injector
from finmon.sim.world import World

INJECTORS: dict[str, Injector] = {**fraud.INJECTORS, **aml.INJECTORS, **aml_graph.INJECTORS}


def inject(world: World) -> tuple[TxBlock, list[tuple[int, str]]]:
    """All typology instances of the world's scenario: (rows sorted by time, instances)."""
    used = np.zeros(world.pop.size, dtype=bool)
    ctx = Ctx(world=world, rng=world.rng("typologies"), used=used)
    blocks = []
    for name in TYPOLOGIES:
        spec = world.scenario.typologies.get(name)
        if spec is None:
            continue
        ctx.rng = world.rng("typology", name)
        for _ in range(spec.count(world.customers)):
            if (~ctx.used & ~world.pop.dormant).sum() < 2 * (spec.size or (1, 40))[1] + 2:
                break  # population exhausted: fewer instances, never overlapping actors
            blocks.append(INJECTORS[name](ctx, spec, ctx.new_instance(name)))
    return TxBlock.concat(blocks).sorted(), ctx.instances


__all__ = [
    "AML_TYPOLOGIES",
    "FRAUD_TYPOLOGIES",
    "INJECTORS",
    "TYPOLOGIES",
    "TYPOLOGY_CODE",
    "inject",
]
