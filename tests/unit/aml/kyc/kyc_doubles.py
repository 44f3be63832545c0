"""Test doubles and builders for the KYC tests (not production screeners)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from finmon.aml.kyc import ScreeningHit
from finmon.core.clock import SimulatedClock

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def clock() -> SimulatedClock:
    return SimulatedClock(NOW)


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


class ExactNameScreener:
    """TEST DOUBLE: a hit (score 100) only when the normalised name equals a listed name."""

    def __init__(self, entries: dict[str, tuple[str, str, bool]]) -> None:
        self.entries = {_norm(k): (k, *v) for k, v in entries.items()}
        self.calls: list[dict[str, Any]] = []

    def screen(
        self, name: str, *, dob: date | None, country: str | None, entity_type: str
    ) -> list[ScreeningHit]:
        self.calls.append({"name": name, "dob": dob, "country": country, "type": entity_type})
        found = self.entries.get(_norm(name))
        if found is None:
            return []
        listed, list_name, entry_id, is_pep = found
        return [ScreeningHit(list_name, entry_id, listed, 100.0, is_pep)]


class FixedScreener:
    """TEST DOUBLE: returns the same hits for every name (to test score cut-offs)."""

    def __init__(self, *hits: ScreeningHit) -> None:
        self.hits = list(hits)

    def screen(
        self, name: str, *, dob: date | None, country: str | None, entity_type: str
    ) -> list[ScreeningHit]:
        return list(self.hits)


def individual(**changes: Any) -> dict[str, Any]:
    """A complete, low-risk individual application (JSON-shaped) with ``changes`` applied."""
    data: dict[str, Any] = {
        "kind": "individual",
        "given_names": "Maria Elena",
        "family_name": "Garcia",
        "date_of_birth": "1985-03-02",
        "nationality": "US",
        "country_of_residence": "US",
        "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345"},
        "document_type": "passport",
        "document_number": "123456789",
        "document_country": "US",
        "document_expiry": "2030-01-01",
        "occupation": "teacher",
        "expected_monthly_volume_minor": 400_000,
        "currency": "USD",
        "channels": ["branch"],
        "products": ["current", "savings"],
    }
    data.update(changes)
    return data


def business(**changes: Any) -> dict[str, Any]:
    """A complete, low-risk business application with ``changes`` applied."""
    data: dict[str, Any] = {
        "kind": "business",
        "legal_name": "Acme Widgets Ltd",
        "country_of_residence": "GB",
        "address": {"line1": "2 High St", "city": "Leeds", "country": "GB"},
        "document_type": "company_registration",
        "document_number": "01234567",
        "document_country": "GB",
        "occupation": "manufacturing",
        "expected_monthly_volume_minor": 5_000_000,
        "currency": "GBP",
        "channels": ["branch"],
        "products": ["current"],
    }
    data.update(changes)
    return data
