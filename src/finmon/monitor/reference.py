"""Reference data the detectors read: merchant risk, customers' home countries, risk tables.

The tables are investigators' knowledge, not the simulator's constants: the
FATF lists of jurisdictions under increased monitoring and subject to a call
for action, and the merchant category codes that card schemes and AML
guidance single out (quasi-cash, money transfer, gambling, crypto, ...). A
bank replaces or extends them with its own (``ReferenceData.load`` reads the
canonical reference files; the tables are plain mappings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pyarrow as pa

from finmon.sources.canonical import TABLES
from finmon.sources.readers import read_batches

#: FATF "black list" (call for action) -> 1.0; "grey list" (increased monitoring) -> 0.6;
#: offshore secrecy centres often used for layering -> 0.4. Everything else 0.
COUNTRY_RISK: Mapping[str, float] = MappingProxyType(
    {
        **dict.fromkeys(("KP", "IR", "MM"), 1.0),
        **dict.fromkeys(
            (
                "DZ", "AO", "BG", "BF", "CM", "CD", "HT", "KE", "LA", "LB", "ML", "MC",
                "MZ", "NA", "NP", "NG", "ZA", "SS", "SY", "TZ", "VE", "VN", "YE", "BO",
                "VG", "CI",
            ),
            0.6,
        ),
        **dict.fromkeys(("KY", "PA", "SC", "BS", "BZ", "VU", "WS", "MH", "AE", "CY"), 0.4),
    }
)  # fmt: skip

#: Merchant category codes by risk: quasi-cash, wires, gambling, crypto, dating,
#: jewellery, telemarketing -> high; electronics, digital goods, travel -> medium.
MCC_RISK: Mapping[str, float] = MappingProxyType(
    {
        **dict.fromkeys(
            ("4829", "6051", "6538", "6540", "7995", "7801", "7802", "6211", "5993",
             "5967", "5966", "7273", "5944", "6012", "4816"),
            1.0,
        ),
        **dict.fromkeys(
            ("5732", "5734", "5735", "5815", "5816", "5817", "5818", "5045", "4722",
             "3000", "4511", "7011", "5311", "5999", "5094"),
            0.5,
        ),
    }
)  # fmt: skip

MERCHANT_RISK_LEVEL: Mapping[str, float] = MappingProxyType(
    {"low": 0.0, "medium": 0.5, "high": 1.0}
)

#: The cash-reporting threshold that structuring avoids (US CTR: more than $10,000).
REPORTING_THRESHOLD_MINOR: Mapping[str, int] = MappingProxyType(
    {"USD": 1_000_000, "EUR": 1_000_000, "GBP": 1_000_000}
)


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """Lookups by id; every one optional (an unknown merchant has no stated risk)."""

    merchant_risk: Mapping[str, float] = field(default_factory=dict)
    customer_country: Mapping[str, str] = field(default_factory=dict)
    country_risk: Mapping[str, float] = field(default_factory=lambda: COUNTRY_RISK)
    mcc_risk: Mapping[str, float] = field(default_factory=lambda: MCC_RISK)
    reporting_threshold_minor: Mapping[str, int] = field(
        default_factory=lambda: REPORTING_THRESHOLD_MINOR
    )
    home_country: str = "US"

    @classmethod
    def load(cls, directory: Path, *, home_country: str = "US") -> ReferenceData:
        """Read ``merchants.*`` and ``customers.*`` from a canonical dataset directory.

        Missing files are fine: the lookups stay empty and the features that
        need them read 0 (unknown), never fail.
        """
        merchants = _table(directory, "merchants")
        customers = _table(directory, "customers")
        merchant_risk: dict[str, float] = {}
        if merchants is not None and "risk" in merchants.column_names:
            for mid, risk in zip(
                merchants.column("merchant_id").to_pylist(),
                merchants.column("risk").to_pylist(),
                strict=True,
            ):
                if mid and risk in MERCHANT_RISK_LEVEL:
                    merchant_risk[mid] = MERCHANT_RISK_LEVEL[risk]
        customer_country: dict[str, str] = {}
        if customers is not None and "country" in customers.column_names:
            for cid, country in zip(
                customers.column("customer_id").to_pylist(),
                customers.column("country").to_pylist(),
                strict=True,
            ):
                if cid and country:
                    customer_country[cid] = country
        return cls(
            merchant_risk=merchant_risk,
            customer_country=customer_country,
            home_country=home_country,
        )


def _table(directory: Path, name: str) -> pa.Table | None:
    """A reference file's canonical columns (values that do not convert read as null)."""
    for suffix in (".parquet", ".csv", ".jsonl"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            batches = [b.coerced for b in read_batches(path, TABLES[name])]
            if not batches:
                return None
            names = list(batches[0].columns)
            return pa.table({n: pa.concat_arrays([b.columns[n] for b in batches]) for n in names})
    return None


__all__ = [
    "COUNTRY_RISK",
    "MCC_RISK",
    "MERCHANT_RISK_LEVEL",
    "REPORTING_THRESHOLD_MINOR",
    "ReferenceData",
]
