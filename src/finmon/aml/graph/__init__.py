"""finmon.aml.graph: the transaction graph and its analytics (docs/aml-graph.md).

Build a :class:`TransactionGraph` in batch (:meth:`TransactionGraph.from_tables`,
:func:`load_graph`) or incrementally (:meth:`TransactionGraph.add_transaction`);
both give the same graph. Then ask it: components, communities, degrees,
centrality around a case, shortest paths, neighbourhoods, time-respecting
cycles, and customers linked by shared attributes.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from finmon.aml.graph.analytics import (
    Degree,
    Subgraph,
    centrality,
    communities,
    connected_components,
    degree,
    neighbourhood,
    shortest_path,
    top_degrees,
)
from finmon.aml.graph.analytics import Path as GraphPath
from finmon.aml.graph.cycles import Cycle, CycleQuery, Hop, find_cycles
from finmon.aml.graph.model import (
    NODE_KINDS,
    RELATIONS,
    EdgeView,
    TransactionGraph,
    normalise_address,
    normalise_phone,
)
from finmon.aml.graph.resolution import (
    ATTRIBUTE_KINDS,
    CustomerCluster,
    Resolution,
    SharedAttribute,
    resolve_entities,
)


def _reference(directory: Path, name: str) -> pa.Table | None:
    from finmon.monitor.dataset import find_table
    from finmon.sources.canonical import TABLES
    from finmon.sources.readers import read_batches

    path = find_table(directory, name)
    if path is None:
        return None
    tables = [
        pa.table({n: b.coerced.columns[n] for n in b.coerced.columns})
        for b in read_batches(path, TABLES[name])
    ]
    return pa.concat_tables(tables, promote_options="default") if tables else None


def load_graph(directory: Path) -> TransactionGraph:
    """The graph of a canonical dataset directory: ``transactions.*`` plus reference files.

    Transactions go through the ingestion validator (:func:`finmon.monitor.dataset.load_dataset`);
    ``accounts``, ``customers`` and ``devices`` files are used when present.
    """
    from finmon.monitor.dataset import load_dataset

    dataset = load_dataset(directory)
    return TransactionGraph.from_tables(
        dataset.transactions,
        accounts=_reference(directory, "accounts"),
        customers=_reference(directory, "customers"),
        devices=_reference(directory, "devices"),
    )


__all__ = [
    "ATTRIBUTE_KINDS",
    "NODE_KINDS",
    "RELATIONS",
    "CustomerCluster",
    "Cycle",
    "CycleQuery",
    "Degree",
    "EdgeView",
    "GraphPath",
    "Hop",
    "Resolution",
    "SharedAttribute",
    "Subgraph",
    "TransactionGraph",
    "centrality",
    "communities",
    "connected_components",
    "degree",
    "find_cycles",
    "load_graph",
    "neighbourhood",
    "normalise_address",
    "normalise_phone",
    "resolve_entities",
    "shortest_path",
    "top_degrees",
]
