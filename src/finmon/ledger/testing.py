"""A small chart of accounts for tests, benchmarks and examples.

The accounts are those of a toy bank: its cash at the central bank (an
asset), customer deposits (liabilities that may not go negative), fee income,
equity, and an FX position pair for conversions between USD and EUR.
"""

from __future__ import annotations

from finmon.core.money import Money
from finmon.ledger.commands import OpenAccount
from finmon.ledger.ledger import Ledger, rejection_error
from finmon.ledger.model import Account, AccountType, Flags, Posting

CASH_USD = "assets:cash:usd"
CASH_EUR = "assets:cash:eur"
FX_USD = "equity:fx-position:usd"
FX_EUR = "equity:fx-position:eur"
FEES = "income:fees"
CAPITAL = "equity:capital"


def customer(name: str, currency: str = "USD") -> str:
    return f"liabilities:deposits:{name}:{currency.lower()}"


def _chart(customers: tuple[str, ...]) -> list[Account]:
    usd, eur = "USD", "EUR"
    accounts = [
        Account("assets", AccountType.ASSET, usd),
        Account("assets:cash", AccountType.ASSET, usd, "assets"),
        Account(CASH_USD, AccountType.ASSET, usd, "assets:cash"),
        Account(CASH_EUR, AccountType.ASSET, eur, "assets:cash"),
        Account("liabilities", AccountType.LIABILITY, usd),
        Account("liabilities:deposits", AccountType.LIABILITY, usd, "liabilities"),
    ]
    flags = Flags.DEBITS_MUST_NOT_EXCEED_CREDITS
    for name in customers:
        for currency in (usd, eur):
            accounts.append(
                Account(
                    customer(name, currency),
                    AccountType.LIABILITY,
                    currency,
                    "liabilities:deposits",
                    overdraft_limit=0,
                    flags=flags,
                )
            )
    return [
        *accounts,
        Account("equity", AccountType.EQUITY, usd),
        Account(CAPITAL, AccountType.EQUITY, usd, "equity"),
        Account(FX_USD, AccountType.EQUITY, usd, "equity"),
        Account(FX_EUR, AccountType.EQUITY, eur, "equity"),
        Account("income", AccountType.INCOME, usd),
        Account(FEES, AccountType.INCOME, usd, "income"),
    ]


def open_chart(ledger: Ledger, customers: tuple[str, ...] = ("alice", "bob")) -> None:
    """Open the toy bank's chart in one batch; customers get a USD and a EUR deposit."""
    result = ledger.submit_batch([OpenAccount(f"open:{a.id}", a) for a in _chart(customers)])
    for rejection in result.rejected:
        raise rejection_error(rejection)


def fund(ledger: Ledger, name: str, amount: Money, key: str | None = None) -> None:
    """A cash deposit: the bank's cash up, the customer's deposit up."""
    cash = CASH_USD if amount.currency.code == "USD" else CASH_EUR
    ledger.move(key or f"fund:{name}:{amount}", cash, customer(name, amount.currency.code), amount)


def fx_postings(debit: str, credit: str, sold: Money, bought: Money) -> tuple[Posting, ...]:
    """Convert ``sold`` from ``debit`` into ``bought`` for ``credit`` via the FX position.

    Each currency balances on its own: the position accounts take the other side.
    """
    fx_sold = FX_USD if sold.currency.code == "USD" else FX_EUR
    fx_bought = FX_USD if bought.currency.code == "USD" else FX_EUR
    return (
        Posting.debit(debit, sold),
        Posting.credit(fx_sold, sold),
        Posting.debit(fx_bought, bought),
        Posting.credit(credit, bought),
    )


__all__ = [
    "CAPITAL",
    "CASH_EUR",
    "CASH_USD",
    "FEES",
    "FX_EUR",
    "FX_USD",
    "customer",
    "fund",
    "fx_postings",
    "open_chart",
]
