"""The event backbone: envelopes and schemas, the Bus, and the tamper-evident Log.

Everything that happens in finmon enters as an :class:`Envelope` whose payload
a registered schema validated. The :class:`Log` is the source of truth
(append-only, hash-chained, Merkle-checkpointed, signed); the :class:`Bus`
carries events to processors (consumer groups, partitions by key, at-least-once
with acknowledgement).
"""

from finmon.events.bus import Bus, Delivery, Published, Subscription, partition_for
from finmon.events.envelope import Envelope
from finmon.events.factory import open_log, open_store, published_checkpoints
from finmon.events.inprocess_bus import InProcessBus, InProcessSubscription
from finmon.events.log import AppendResult, Log, LogRecord, checkpoint_statement
from finmon.events.merkle import InclusionProof, merkle_root, record_hash, verify_inclusion
from finmon.events.published import CheckpointFile
from finmon.events.schemas import EventRegistry, EventSchema
from finmon.events.signing import Signer, load_public_key
from finmon.events.stores import Checkpoint, Head, LogStore, SqliteLogStore
from finmon.events.verify import Finding, VerifyReport

__all__ = [
    "AppendResult",
    "Bus",
    "Checkpoint",
    "CheckpointFile",
    "Delivery",
    "Envelope",
    "EventRegistry",
    "EventSchema",
    "Finding",
    "Head",
    "InProcessBus",
    "InProcessSubscription",
    "InclusionProof",
    "Log",
    "LogRecord",
    "LogStore",
    "Published",
    "Signer",
    "SqliteLogStore",
    "Subscription",
    "VerifyReport",
    "checkpoint_statement",
    "load_public_key",
    "merkle_root",
    "open_log",
    "open_store",
    "partition_for",
    "published_checkpoints",
    "record_hash",
    "verify_inclusion",
]
