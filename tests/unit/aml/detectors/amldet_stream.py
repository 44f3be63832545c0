"""Hand-built transaction streams for the detector tests (amounts in dollars, times in hours)."""

from __future__ import annotations

from itertools import count

from finmon.aml.detectors import Detector, Finding, latest
from finmon.monitor.transaction import Txn

T0 = 1_780_000_000_000_000  # an instant in 2026, µs
HOUR = 3_600_000_000
DAY = 24 * HOUR
_ids = count()


def at(hours: float) -> int:
    return T0 + int(hours * HOUR)


def leg(
    account: str,
    direction: str,
    dollars: float,
    hours: float,
    *,
    cp: str | None = None,
    channel: str = "online",
    customer: str | None = None,
    country: str | None = None,
    name: str | None = None,
    device: str | None = None,
    lat: float | None = None,
    tid: str | None = None,
) -> Txn:
    """One booked leg on ``account``."""
    return Txn(
        transaction_id=tid or f"t{next(_ids):06d}",
        occurred_us=at(hours),
        account_id=account,
        customer_id=customer or f"C-{account}",
        direction=direction,
        amount_minor=round(dollars * 100),
        currency="USD",
        channel=channel,
        counterparty_account_id=cp,
        counterparty_name=name,
        counterparty_country=country,
        device_id=device,
        latitude=lat,
        longitude=lat,
    )


def pay(src: str, dst: str, dollars: float, hours: float, *, internal: bool = True) -> list[Txn]:
    """A transfer ``src`` -> ``dst``: both legs when both accounts are held here."""
    out = [leg(src, "debit", dollars, hours, cp=dst)]
    if internal:
        out.append(leg(dst, "credit", dollars, hours, cp=src))
    return out


def receive(account: str, source: str, dollars: float, hours: float, **kw: object) -> Txn:
    """A credit from a party elsewhere."""
    return leg(account, "credit", dollars, hours, cp=source, **kw)  # type: ignore[arg-type]


def ids(txns: list[Txn]) -> set[str]:
    return {t.transaction_id for t in txns}


def run(detector: Detector, txns: list[Txn]) -> list[Finding]:
    """The final findings ``detector`` makes over ``txns`` (streamed in event-time order)."""
    versions: list[Finding] = []
    for txn in sorted(txns, key=lambda t: t.occurred_us):
        versions.extend(detector.observe(txn))
    return latest(versions)
