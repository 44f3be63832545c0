"""The canonical transaction and its reference entities: defined once, used everywhere.

Every source (the simulator, files, a warehouse table, the API) produces these
columns and every consumer reads them *by name*: unknown columns are ignored and
a missing optional column reads as empty, so a bank's own extract with only the
required columns is enough to monitor. docs/transactions.md is the prose form
of this module; a test keeps the two in step.

Amounts travel as decimal strings with an ISO 4217 currency (exact; never a
float); instants are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

Kind = Literal["string", "timestamp", "decimal", "float", "int", "bool", "date"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a canonical file: its name, kind, whether it is required, what it holds."""

    name: str
    kind: Kind
    required: bool
    description: str

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW[self.kind]


_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "decimal": pa.string(),  # decimal strings: exact, any currency exponent
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}

DIRECTIONS = ("debit", "credit")
CHANNELS = (
    "card_present",
    "card_not_present",
    "atm",
    "cash_deposit",
    "cash_withdrawal",
    "transfer",
    "wire",
    "ach",
    "mobile",
    "online",
)

TRANSACTION_COLUMNS: tuple[Column, ...] = (
    Column("transaction_id", "string", True, "unique id of the transaction at the bank"),
    Column("occurred_at", "timestamp", True, "when it happened (UTC)"),
    Column(
        "customer_id",
        "string",
        False,
        "owner of the account (defaults to the account's owner, else the account)",
    ),
    Column("account_id", "string", True, "the bank's account the money moved on"),
    Column("direction", "string", True, "debit (money out of account_id) or credit (money in)"),
    Column(
        "amount", "decimal", True, "positive decimal string in the currency's minor-unit precision"
    ),
    Column("currency", "string", True, "ISO 4217 code"),
    Column("channel", "string", False, "one of: " + ", ".join(CHANNELS)),
    Column("merchant_id", "string", False, "card merchant, when a card was used"),
    Column("merchant_category", "string", False, "ISO 18245 merchant category code (4 digits)"),
    Column("merchant_country", "string", False, "ISO 3166-1 alpha-2"),
    Column(
        "counterparty_account_id", "string", False, "the other side's account (IBAN or internal id)"
    ),
    Column("counterparty_name", "string", False, "the other side's name as sent"),
    Column("counterparty_bank", "string", False, "the other side's bank (BIC)"),
    Column("counterparty_country", "string", False, "ISO 3166-1 alpha-2"),
    Column("device_id", "string", False, "device fingerprint for digital channels"),
    Column("ip_address", "string", False, "IPv4 or IPv6 of the session"),
    Column("latitude", "float", False, "where it happened (card present, ATM, branch, device)"),
    Column("longitude", "float", False, "where it happened"),
    Column("description", "string", False, "free text as on the statement"),
)

CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("customer_id", "string", True, "unique id"),
    Column("kind", "string", False, "individual or business"),
    Column("name", "string", False, "full name or registered name"),
    Column(
        "segment",
        "string",
        False,
        "mass, affluent, private, student, retiree, small_business, corporate",
    ),
    Column("occupation", "string", False, "occupation or business activity"),
    Column(
        "country", "string", False, "country of residence or incorporation (ISO 3166-1 alpha-2)"
    ),
    Column("date_of_birth", "date", False, "individuals only"),
    Column("pep", "bool", False, "politically exposed person"),
    Column("risk_rating", "string", False, "low, medium or high (KYC risk)"),
    Column("annual_income", "decimal", False, "declared income or turnover"),
    Column("income_currency", "string", False, "ISO 4217 code of annual_income"),
    Column("home_latitude", "float", False, "home or registered address"),
    Column("home_longitude", "float", False, "home or registered address"),
    Column("onboarded_at", "timestamp", False, "when the relationship began"),
)

ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column("account_id", "string", True, "unique id"),
    Column("customer_id", "string", True, "owner"),
    Column("product", "string", False, "current, savings, credit_card, business_current, loan"),
    Column("currency", "string", False, "ISO 4217 code"),
    Column("opened_at", "timestamp", False, "account opening date"),
    Column("status", "string", False, "open, dormant, frozen or closed"),
)

MERCHANT_COLUMNS: tuple[Column, ...] = (
    Column("merchant_id", "string", True, "unique id"),
    Column("name", "string", False, "trading name"),
    Column("merchant_category", "string", False, "ISO 18245 MCC"),
    Column("country", "string", False, "ISO 3166-1 alpha-2"),
    Column("latitude", "float", False, "location"),
    Column("longitude", "float", False, "location"),
    Column("risk", "string", False, "low, medium or high"),
)

DEVICE_COLUMNS: tuple[Column, ...] = (
    Column("device_id", "string", True, "unique fingerprint"),
    Column("customer_id", "string", False, "usual owner"),
    Column("kind", "string", False, "mobile, desktop, tablet"),
    Column("first_seen_at", "timestamp", False, "first use"),
)

LABEL_COLUMNS: tuple[Column, ...] = (
    Column("transaction_id", "string", True, "the labelled transaction"),
    Column("is_fraud", "bool", True, "true when part of any fraud or AML typology instance"),
    Column("typology", "string", False, "typology name, empty for legitimate traffic"),
    Column("instance_id", "string", False, "the typology instance it belongs to"),
)

GROUND_TRUTH_COLUMNS: tuple[Column, ...] = (
    Column("instance_id", "string", True, "one typology instance"),
    Column("typology", "string", True, "its typology"),
    Column("start", "timestamp", True, "first transaction's time"),
    Column("end", "timestamp", True, "last transaction's time"),
    Column("account_ids", "string", True, "JSON list of the accounts involved"),
    Column("transaction_ids", "string", True, "JSON list of the transactions involved"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "transactions": TRANSACTION_COLUMNS,
    "customers": CUSTOMER_COLUMNS,
    "accounts": ACCOUNT_COLUMNS,
    "merchants": MERCHANT_COLUMNS,
    "devices": DEVICE_COLUMNS,
    "labels": LABEL_COLUMNS,
    "ground_truth": GROUND_TRUTH_COLUMNS,
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of one canonical table, in column order."""
    return pa.schema(
        [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in TABLES[table]]
    )


def required_columns(table: str) -> tuple[str, ...]:
    return tuple(c.name for c in TABLES[table] if c.required)


__all__ = [
    "ACCOUNT_COLUMNS",
    "CHANNELS",
    "CUSTOMER_COLUMNS",
    "Column",
    "DEVICE_COLUMNS",
    "DIRECTIONS",
    "GROUND_TRUTH_COLUMNS",
    "LABEL_COLUMNS",
    "MERCHANT_COLUMNS",
    "TABLES",
    "TRANSACTION_COLUMNS",
    "arrow_schema",
    "required_columns",
]
