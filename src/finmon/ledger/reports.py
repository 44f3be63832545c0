"""Trial balance and balance sheet, by the chart of accounts.

Both are computed from one consistent list of balances, so they are as of one
instant (or one journal sequence number). The trial balance shows each
account's net posted balance in the debit or credit column; in a sound ledger
the columns are equal per currency. The balance sheet rolls every account up
into its parents and checks the accounting equation per currency:
assets = liabilities + equity + (income - expenses).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from finmon.core.money import Money
from finmon.ledger.model import Account, AccountType, Balance


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    account: str
    type: AccountType
    currency: str
    debit: int
    credit: int


@dataclass(slots=True)
class TrialBalance:
    """Per-account debit/credit balances and per-currency totals."""

    rows: list[TrialBalanceRow] = field(default_factory=list)
    debits: dict[str, int] = field(default_factory=dict)
    credits: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        currencies = set(self.debits) | set(self.credits)
        return all(self.debits.get(c, 0) == self.credits.get(c, 0) for c in currencies)

    def to_dict(self) -> dict[str, object]:
        def fmt(minor: int, currency: str) -> str:
            return Money(minor, currency).to_decimal_string()

        return {
            "balanced": self.balanced,
            "rows": [
                {
                    "account": r.account,
                    "type": r.type.value,
                    "currency": r.currency,
                    "debit": fmt(r.debit, r.currency),
                    "credit": fmt(r.credit, r.currency),
                }
                for r in self.rows
            ],
            "totals": {
                c: {
                    "debit": fmt(self.debits.get(c, 0), c),
                    "credit": fmt(self.credits.get(c, 0), c),
                }
                for c in sorted(set(self.debits) | set(self.credits))
            },
        }


def trial_balance(balances: list[tuple[Account, Balance]]) -> TrialBalance:
    report = TrialBalance()
    for account, balance in balances:
        net = balance.debits_posted - balance.credits_posted
        debit, credit = (net, 0) if net >= 0 else (0, -net)
        report.rows.append(
            TrialBalanceRow(account.id, account.type, account.currency, debit, credit)
        )
        report.debits[account.currency] = report.debits.get(account.currency, 0) + debit
        report.credits[account.currency] = report.credits.get(account.currency, 0) + credit
    return report


@dataclass(frozen=True, slots=True)
class SheetLine:
    """An account with its own balance and the roll-up of it and all its descendants."""

    account: str
    depth: int
    currency: str
    own: int
    rolled_up: int


@dataclass(slots=True)
class BalanceSheet:
    """Accounts grouped by type with roll-ups, and totals per type and currency."""

    lines: dict[AccountType, list[SheetLine]] = field(default_factory=dict)
    totals: dict[AccountType, dict[str, int]] = field(default_factory=dict)

    def total(self, kind: AccountType, currency: str) -> int:
        return self.totals.get(kind, {}).get(currency, 0)

    @property
    def balanced(self) -> bool:
        """Assets = liabilities + equity + income - expenses, in every currency."""
        currencies = {c for by_currency in self.totals.values() for c in by_currency}
        t = self.total
        return all(
            t(AccountType.ASSET, c)
            == t(AccountType.LIABILITY, c)
            + t(AccountType.EQUITY, c)
            + t(AccountType.INCOME, c)
            - t(AccountType.EXPENSE, c)
            for c in currencies
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "balanced": self.balanced,
            "sections": {
                kind.value: {
                    "lines": [
                        {
                            "account": line.account,
                            "depth": line.depth,
                            "currency": line.currency,
                            "balance": Money(line.own, line.currency).to_decimal_string(),
                            "rolled_up": Money(line.rolled_up, line.currency).to_decimal_string(),
                        }
                        for line in lines
                    ],
                    "totals": {
                        c: Money(v, c).to_decimal_string()
                        for c, v in sorted(self.totals.get(kind, {}).items())
                    },
                }
                for kind, lines in self.lines.items()
            },
        }


def balance_sheet(balances: list[tuple[Account, Balance]]) -> BalanceSheet:
    """Roll balances up the hierarchy; each account's balance is on its type's normal side.

    A contra account (its normal side opposite to its type's) reduces its group's total.
    """
    by_id = {account.id: (account, balance) for account, balance in balances}
    children: dict[str | None, list[str]] = defaultdict(list)
    for account, _ in balances:
        children[account.parent if account.parent in by_id else None].append(account.id)
    sheet = BalanceSheet()
    for kind in AccountType:
        sheet.lines[kind] = []
        sheet.totals[kind] = {}
    for root in sorted(children[None]):
        _walk(root, 0, by_id, children, sheet)
    return sheet


def _own(account: Account, balance: Balance) -> int:
    """The balance on the account's *type's* normal side (contra accounts count negative)."""
    net = balance.debits_posted - balance.credits_posted
    return net if account.type.normal_side.value == "debit" else -net


def _walk(
    account_id: str,
    depth: int,
    by_id: dict[str, tuple[Account, Balance]],
    children: dict[str | None, list[str]],
    sheet: BalanceSheet,
) -> int:
    """Add ``account_id`` and its subtree; return its roll-up in its own currency."""
    account, balance = by_id[account_id]
    own = _own(account, balance)
    position = len(sheet.lines[account.type])
    sheet.lines[account.type].append(SheetLine(account.id, depth, account.currency, own, own))
    totals = sheet.totals[account.type]
    totals[account.currency] = totals.get(account.currency, 0) + own
    rolled = own
    for child in sorted(children.get(account_id, [])):
        child_total = _walk(child, depth + 1, by_id, children, sheet)
        if by_id[child][0].currency == account.currency:
            rolled += child_total
    line = sheet.lines[account.type][position]
    sheet.lines[account.type][position] = SheetLine(
        line.account, line.depth, line.currency, line.own, rolled
    )
    return rolled


__all__ = [
    "BalanceSheet",
    "SheetLine",
    "TrialBalance",
    "TrialBalanceRow",
    "balance_sheet",
    "trial_balance",
]
