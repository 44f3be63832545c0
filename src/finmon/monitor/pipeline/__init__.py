"""The monitor's streaming runtime: transactions in from the bus, decisions out.

``transaction.received`` events are consumed as the ``monitor`` consumer group,
micro-batched, scored by a :class:`Scorer`, persisted once per transaction in a
:class:`DecisionStore`, published as ``decision.made`` events on the
``decisions`` topic, and only then acknowledged. See :mod:`.runtime` for the
threads and the queue, :mod:`.batch` for the order of the steps and why.
"""

from finmon.monitor.pipeline.batch import Arrival, BatchProcessor, ScorerContractError, Settlement
from finmon.monitor.pipeline.config import (
    DECISIONS_TOPIC,
    MONITOR_GROUP,
    OnInvalid,
    PipelineConfig,
)
from finmon.monitor.pipeline.events import (
    DECISION_MADE,
    DECISION_SCHEMA_VERSION,
    DecisionMade,
    alert_id_for,
    alert_id_of,
    decision_envelope,
    decision_event_id,
    is_alert,
    register_decision_events,
    with_alert_id,
)
from finmon.monitor.pipeline.metrics import PipelineMetrics
from finmon.monitor.pipeline.runtime import MonitorPipeline
from finmon.monitor.pipeline.scorer import Scorer
from finmon.monitor.pipeline.store import BaseDecisionStore, DecisionStore, StoredDecision
from finmon.monitor.pipeline.store_postgres import PostgresDecisionStore

__all__ = [
    "DECISIONS_TOPIC",
    "DECISION_MADE",
    "DECISION_SCHEMA_VERSION",
    "MONITOR_GROUP",
    "Arrival",
    "BaseDecisionStore",
    "BatchProcessor",
    "DecisionMade",
    "DecisionStore",
    "MonitorPipeline",
    "OnInvalid",
    "PipelineConfig",
    "PipelineMetrics",
    "PostgresDecisionStore",
    "Scorer",
    "ScorerContractError",
    "Settlement",
    "StoredDecision",
    "alert_id_for",
    "alert_id_of",
    "decision_envelope",
    "decision_event_id",
    "is_alert",
    "register_decision_events",
    "with_alert_id",
]
