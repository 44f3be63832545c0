"""The core-banking ledger: double-entry, exact, journaled, verifiable.

Accounts form a chart (assets, liabilities, equity, income, expenses, with
parents); a transfer is a set of postings that balance per currency; holds
reserve funds until posted, voided or expired; a reversal is a new linked
transfer. Every operation, accepted or refused, is a record in a hash-chained,
Merkle-checkpointed :class:`finmon.events.Log`, and the balance tables commit
in the same transaction. See docs/ledger.md.
"""

from finmon.ledger.commands import (
    ChangeStatus,
    Command,
    ExpireHold,
    OpenAccount,
    PostHold,
    Reverse,
    Transfer,
    VoidHold,
    body_hash,
    transfer_from_dict,
)
from finmon.ledger.factory import open_ledger
from finmon.ledger.group import GroupCommit
from finmon.ledger.ledger import Ledger, rejection_error
from finmon.ledger.lifecycle import TRANSITIONS
from finmon.ledger.model import (
    Account,
    AccountType,
    Balance,
    BatchResult,
    Entry,
    Flags,
    Outcome,
    Posting,
    Receipt,
    Rejection,
    Side,
    Status,
)
from finmon.ledger.queries import Statement, StatementLine
from finmon.ledger.recon import Line, ReconReport, ledger_lines, read_camt053, read_csv, reconcile
from finmon.ledger.reports import BalanceSheet, TrialBalance, balance_sheet, trial_balance
from finmon.ledger.verify import LedgerReport, TransferProof, prove_transfer, verify_ledger

__all__ = [
    "TRANSITIONS",
    "Account",
    "AccountType",
    "Balance",
    "BalanceSheet",
    "BatchResult",
    "ChangeStatus",
    "Command",
    "Entry",
    "ExpireHold",
    "Flags",
    "GroupCommit",
    "Ledger",
    "LedgerReport",
    "Line",
    "OpenAccount",
    "Outcome",
    "PostHold",
    "Posting",
    "Receipt",
    "ReconReport",
    "Rejection",
    "Reverse",
    "Side",
    "Statement",
    "StatementLine",
    "Status",
    "Transfer",
    "TransferProof",
    "TrialBalance",
    "VoidHold",
    "balance_sheet",
    "body_hash",
    "ledger_lines",
    "open_ledger",
    "prove_transfer",
    "read_camt053",
    "read_csv",
    "reconcile",
    "rejection_error",
    "transfer_from_dict",
    "trial_balance",
    "verify_ledger",
]
