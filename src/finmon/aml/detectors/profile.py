"""Out-of-profile typologies: dormant reactivation, high-risk jurisdictions, sanctioned names.

Each reads one transaction against what is known about the account or the
counterparty (its silence, its country, its name on a list); state is one
timestamp per account and a window per customer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from finmon.aml.detectors.base import DAY_US, Detector, Finding, money
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.edges import is_transfer
from finmon.aml.detectors.window import KeyedWindow
from finmon.monitor.transaction import Txn

# -- dormant reactivation -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class DormantParams:
    """Thresholds (see docs/aml.md).

    Attributes:
        min_silence_days: silence that makes an account dormant (90 days: the usual
            bank definition of an inactive account starts at three to six months).
        Before the stream holds ``min_silence_days`` of history, the bank's own flag
        (``accounts.status == "dormant"`` at load) says which accounts are silent.
        min_amount_minor: the sum that arrives after waking is at least this (USD 3,000).
        reactivation_days: movements this soon after waking count together.
        min_passed_fraction: the woken account passes at least this share of what came
            in straight back out (50%): the account is used as a conduit. A dormant
            account that wakes to pay one bill from its own savings, or to receive a
            sum and keep it, is an ordinary customer coming back.
    """

    min_silence_days: float = 90.0
    min_amount_minor: int = 300_000
    reactivation_days: float = 7.0
    min_passed_fraction: float = 0.5

    @property
    def window_days(self) -> float:
        return self.reactivation_days


class DormantReactivationDetector(Detector):
    """A long-silent account that suddenly moves a large sum."""

    typology = "dormant_reactivation"
    params: DormantParams

    def __init__(
        self, params: DormantParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or DormantParams(), context)
        self._last: dict[str, int] = {}
        self._woke: dict[str, int] = {}
        self._moves: KeyedWindow[Txn] = KeyedWindow(int(self.params.reactivation_days * DAY_US))
        self._start: int | None = None

    def observe(self, txn: Txn) -> list[Finding]:
        now = txn.occurred_us
        if self._start is None:
            self._start = now
        account = txn.account_id
        last = self._last.get(account)
        self._last[account] = now
        if self._dormant(account, last, now):
            self._woke[account] = now
        woke = self._woke.get(account)
        if woke is None or now - woke > self.params.reactivation_days * DAY_US:
            return []
        if txn.merchant_id:
            return []
        live = self._moves.add(account, now, txn)
        moved = sum(t.amount_minor for _, t in live)
        silent = (woke - (last if last is not None and last < woke else self._start)) / DAY_US
        credits = sum(t.amount_minor for _, t in live if not t.is_debit)
        debits = moved - credits
        passed = min(debits, credits) / max(credits, 1)
        if credits < self.params.min_amount_minor or passed < self.params.min_passed_fraction:
            return []
        score = 60 + 25 * passed + 15 * min(moved / (10 * self.params.min_amount_minor), 1.0)
        narrative = (
            f"account {account}, silent for at least {silent:.0f} days, moved "
            f"{money(moved, txn.currency)} in {len(live)} transaction(s) after waking"
            + (f", passing {passed:.0%} of what came in straight on" if credits else "")
        )
        found = self.book.report(
            account,
            now,
            accounts=[account],
            transactions=[(at, t.transaction_id) for at, t in live],
            score=score,
            narrative=narrative,
        )
        return [found] if found else []

    def _dormant(self, account: str, last: int | None, now: int) -> bool:
        p = self.params
        if last is not None:
            return now - last >= p.min_silence_days * DAY_US
        # first activity seen: silent since the stream began, and before it by the bank's flag
        return account in self.context.dormant_accounts


# -- high-risk jurisdictions --------------------------------------------------


@dataclass(frozen=True, slots=True)
class JurisdictionParams:
    """Thresholds (see docs/aml.md).

    Attributes:
        min_country_risk: jurisdictions counted (0.6: the FATF grey and black lists).
        min_amount_minor: a movement counts from this size (USD 1,000: family
            remittances are smaller and are not this typology).
        single_amount_minor: one movement this large is enough (USD 10,000)...
        single_min_risk: ...with a call-for-action jurisdiction (1.0, the FATF black
            list); the grey list means "increased monitoring": a pattern, not one wire.
        min_count: or this many counted movements in the window (2: repeated)...
        min_total_minor: ...adding up to this (USD 3,000, the travel-rule threshold).
        window_days: the window movements are counted in (30 days).
        business_min_risk: for a business, whose foreign trade is in its KYC profile,
            only call-for-action jurisdictions (the FATF black list, 1.0) count; the same
            for a person's transfers with their own home country (family, pension,
            property there are their profile).
    """

    min_country_risk: float = 0.6
    min_amount_minor: int = 100_000
    single_amount_minor: int = 1_000_000
    single_min_risk: float = 1.0
    min_count: int = 2
    min_total_minor: int = 300_000
    window_days: float = 30.0
    business_min_risk: float = 1.0


class HighRiskJurisdictionDetector(Detector):
    """Transfers to or from FATF-listed jurisdictions, material or repeated, per customer."""

    typology = "high_risk_jurisdiction"
    params: JurisdictionParams

    def __init__(
        self, params: JurisdictionParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or JurisdictionParams(), context)
        self._moves: KeyedWindow[Txn] = KeyedWindow(int(self.params.window_days * DAY_US))

    def observe(self, txn: Txn) -> list[Finding]:
        p = self.params
        country = txn.counterparty_country
        if not country or not is_transfer(txn) or txn.amount_minor < p.min_amount_minor:
            return []
        risk = self.context.country_risk.get(country, 0.0)
        if risk < p.min_country_risk:
            return []
        in_profile = self.context.is_business(txn.customer_id) or (
            self.context.customer_country.get(txn.customer_id) == country
        )
        if in_profile and risk < p.business_min_risk:
            return []  # trade, or ties with the home country: the customer's KYC profile
        live = self._moves.add(txn.customer_id, txn.occurred_us, txn)
        total = sum(t.amount_minor for _, t in live)
        single = txn.amount_minor >= p.single_amount_minor and risk >= p.single_min_risk
        if not single and (len(live) < p.min_count or total < p.min_total_minor):
            return []
        countries = sorted({t.counterparty_country or "" for _, t in live})
        top = max(self.context.country_risk.get(c, 0.0) for c in countries)
        score = 50 + 30 * top + 4 * min(len(live), 5)
        narrative = (
            f"customer {txn.customer_id} moved {money(total, txn.currency)} in {len(live)} "
            f"transfer(s) to or from {', '.join(countries)} (FATF-listed) within "
            f"{p.window_days:.0f} days"
        )
        found = self.book.report(
            txn.customer_id,
            txn.occurred_us,
            accounts={t.account_id for _, t in live},
            transactions=[(at, t.transaction_id) for at, t in live],
            score=score,
            narrative=narrative,
        )
        return [found] if found else []


# -- sanctioned counterparties ------------------------------------------------


def normalise_name(name: str) -> str:
    """Casefolded, accents and punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(text.split())


def _sorted_tokens(normalised: str) -> str:
    return " ".join(sorted(normalised.split()))


NameMatcher = Callable[[str], float | None]
"""A screening hook: a counterparty name -> match score 0-100, or None for no match."""


@dataclass(frozen=True, slots=True)
class SanctionsParams:
    """Thresholds (see docs/aml.md).

    Attributes:
        min_score: a matcher's score that counts as a hit (exact matches score 100).
        window_days: later payments to the same listed party extend one finding.
    """

    min_score: float = 90.0
    window_days: float = 90.0


class ExactNameMatcher:
    """The standalone matcher: a normalised name (or its tokens in any order) on the list."""

    def __init__(self, names: Iterable[str]) -> None:
        self._exact: set[str] = set()
        self._tokens: set[str] = set()
        for name in names:
            norm = normalise_name(name)
            if norm:
                self._exact.add(norm)
                self._tokens.add(_sorted_tokens(norm))

    def __len__(self) -> int:
        return len(self._exact)

    def __call__(self, name: str) -> float | None:
        norm = normalise_name(name)
        if norm in self._exact:
            return 100.0
        if norm and _sorted_tokens(norm) in self._tokens:
            return 95.0
        return None


class SanctionedCounterpartyDetector(Detector):
    """Payments to or from a counterparty whose name matches a sanctions list entry.

    ``name_matcher`` is the screening hook (``finmon.aml.screening`` plugs in
    here); without one, ``names`` are matched exactly after normalisation.
    """

    typology = "sanctioned_counterparty"
    params: SanctionsParams

    def __init__(
        self,
        params: SanctionsParams | None = None,
        context: AmlContext | None = None,
        *,
        names: Iterable[str] = (),
        name_matcher: NameMatcher | None = None,
    ) -> None:
        super().__init__(params or SanctionsParams(), context)
        self.matcher: NameMatcher = name_matcher or ExactNameMatcher(names)
        self._cache: dict[str, float | None] = {}

    def fresh(self) -> SanctionedCounterpartyDetector:
        return SanctionedCounterpartyDetector(self.params, self.context, name_matcher=self.matcher)

    def observe(self, txn: Txn) -> list[Finding]:
        name = txn.counterparty_name
        if not name or txn.merchant_id:
            return []
        if name not in self._cache:
            if len(self._cache) > 200_000:
                self._cache.clear()  # bounded: names recur, the cache is only a speed-up
            self._cache[name] = self.matcher(name)
        hit = self._cache[name]
        if hit is None or hit < self.params.min_score:
            return []
        way = "paid" if txn.is_debit else "was paid by"
        narrative = (
            f"account {txn.account_id} {way} '{name}' ({money(txn.amount_minor, txn.currency)}), "
            f"a name on the sanctions list (match score {hit:.0f})"
        )
        found = self.book.report(
            (txn.account_id, normalise_name(name)),
            txn.occurred_us,
            accounts=[txn.account_id],
            transactions=[(txn.occurred_us, txn.transaction_id)],
            score=hit,
            narrative=narrative,
        )
        return [found] if found else []


__all__ = [
    "DormantParams",
    "DormantReactivationDetector",
    "ExactNameMatcher",
    "HighRiskJurisdictionDetector",
    "JurisdictionParams",
    "NameMatcher",
    "SanctionedCounterpartyDetector",
    "SanctionsParams",
    "normalise_name",
]
