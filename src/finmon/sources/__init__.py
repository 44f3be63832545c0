"""Where transactions come from: the canonical format, files, SQL polling, manual entry.

Public API (everything else in this package is private):

- the canonical format: :mod:`finmon.sources.canonical` (columns, Arrow schemas)
  and :mod:`finmon.sources.events` (the ``transaction.received`` event);
- :func:`validate_rows` / :class:`TransactionValidator`: rows -> clean rows or
  problems naming row, field and reason;
- :func:`ingest_file`: a CSV, JSON Lines or Parquet file (and its reference
  files) into the log, rejected whole or with dead letters; :class:`IngestReport`;
- :class:`SqlPoller` / :class:`SqlSource` / :class:`SqlState`: a table or query
  polled by watermark, each row loaded exactly once; :func:`write_warehouse_table`;
- :func:`metric`, :func:`record_metric`, :func:`list_metrics`: manual metrics;
- :func:`register_source_events`: the event types above, for an EventRegistry;
- :func:`sample_transactions` and friends: small valid files for tests and docs.
"""

from finmon.sources.files import ingest_file, reference_files
from finmon.sources.metrics import MetricRecorded, list_metrics, metric, record_metric
from finmon.sources.report import Counts, IngestReport, Outcome
from finmon.sources.samples import sample_accounts, sample_transactions, write_rows, write_table
from finmon.sources.schemas import register_source_events
from finmon.sources.sql import PollResult, SqlPoller, SqlSource
from finmon.sources.sqlstate import DeadLetter, Position, SqlState
from finmon.sources.validate import RowProblem, TransactionValidator, Validated, validate_rows
from finmon.sources.warehouse import write_warehouse_table

__all__ = [
    "Counts",
    "DeadLetter",
    "IngestReport",
    "MetricRecorded",
    "Outcome",
    "PollResult",
    "Position",
    "RowProblem",
    "SqlPoller",
    "SqlSource",
    "SqlState",
    "TransactionValidator",
    "Validated",
    "ingest_file",
    "list_metrics",
    "metric",
    "record_metric",
    "reference_files",
    "register_source_events",
    "sample_accounts",
    "sample_transactions",
    "validate_rows",
    "write_rows",
    "write_table",
    "write_warehouse_table",
]
