"""Reference tables for onboarding checks and the customer risk rating.

Every table is knowledge a compliance officer would recognise, not a
constant fitted to the simulator:

* countries: FATF "high-risk jurisdictions subject to a call for action"
  (blocked) and "jurisdictions under increased monitoring" (enhanced due
  diligence), taken from :data:`finmon.monitor.reference.COUNTRY_RISK` so the
  monitoring engine and KYC never disagree about a country;
* occupations and business activities: the higher-risk customer types named
  in the FATF risk-based-approach guidance for the banking sector (2014) and
  in the FATF list of designated non-financial businesses and professions:
  money services, virtual assets, gambling, dealers in precious metals and
  stones, real estate, arms, cash-intensive businesses, gatekeeper
  professions, non-profits;
* products and channels: the product/service and delivery-channel risk
  categories of the same guidance (private banking, cross-border wires,
  anonymity-enhancing prepaid cards, virtual assets; non-face-to-face and
  introduced business).

A bank replaces any of them through :class:`finmon.aml.kyc.rating.RiskConfig`
and :class:`finmon.aml.kyc.onboarding.OnboardingConfig`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from finmon.monitor.reference import COUNTRY_RISK

#: ISO 3166-1 alpha-2 codes (officially assigned), plus XK (Kosovo, user-assigned but
#: issued on travel documents).
ISO_COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
    """.split()
)

#: FATF call for action ("black list"): onboarding is refused.
FATF_CALL_FOR_ACTION: frozenset[str] = frozenset(
    code for code, risk in COUNTRY_RISK.items() if risk >= 1.0
)
#: FATF increased monitoring ("grey list"): onboarding needs enhanced due diligence.
FATF_INCREASED_MONITORING: frozenset[str] = frozenset(
    code for code, risk in COUNTRY_RISK.items() if 0.6 <= risk < 1.0
)


@dataclass(frozen=True, slots=True)
class RiskEntry:
    """A keyword of an occupation, product or channel table: its risk 0-1 and why."""

    keyword: str
    value: float
    category: str


def _entries(value: float, category: str, *keywords: str) -> tuple[RiskEntry, ...]:
    return tuple(RiskEntry(k, value, category) for k in keywords)


#: Occupation / business activity keywords, most specific first. Matching is on whole
#: words of the normalised occupation, so "used car dealer" hits "car dealer".
OCCUPATION_RISK: tuple[RiskEntry, ...] = (
    *_entries(
        1.0,
        "money services business",
        "money services",
        "msb",
        "money transmitter",
        "money transfer",
        "remittance",
        "currency exchange",
        "bureau de change",
        "check casher",
        "cheque casher",
        "hawala",
    ),
    *_entries(
        1.0,
        "virtual assets",
        "crypto",
        "cryptocurrency",
        "virtual asset",
        "bitcoin",
        "crypto exchange",
    ),
    *_entries(1.0, "gambling", "casino", "gambling", "betting", "bookmaker", "lottery"),
    *_entries(1.0, "arms and defence", "arms", "weapons", "firearms", "munitions", "defence"),
    *_entries(
        1.0,
        "precious metals and stones",
        "precious metals",
        "jeweller",
        "jeweler",
        "jewellery",
        "jewelry",
        "gold",
        "diamond",
        "bullion",
    ),
    *_entries(0.9, "pawnbroking", "pawnbroker", "pawnshop", "pawn shop"),
    *_entries(0.8, "real estate", "real estate", "property developer", "estate agent"),
    *_entries(
        0.8,
        "high-value goods dealer",
        "car dealer",
        "auto dealer",
        "art dealer",
        "antiques",
        "yacht",
    ),
    *_entries(
        0.7,
        "cash-intensive business",
        "laundromat",
        "car wash",
        "convenience store",
        "restaurant",
        "bar",
        "nightclub",
        "hair salon",
        "nail salon",
        "vending",
        "parking",
        "taxi",
        "liquor store",
        "tobacco",
        "cash",
    ),
    *_entries(
        0.6,
        "gatekeeper profession / trust and company services",
        "trust and company",
        "company formation",
        "lawyer",
        "attorney",
        "notary",
        "accountant",
        "trustee",
    ),
    *_entries(0.6, "non-profit organisation", "charity", "non-profit", "nonprofit", "ngo"),
    *_entries(
        0.6,
        "public function",
        "politician",
        "government official",
        "minister",
        "diplomat",
        "judge",
    ),
    *_entries(0.5, "import/export and construction", "import", "export", "construction"),
    *_entries(0.4, "self-employed or owner-managed business", "contractor", "business owner"),
    *_entries(0.4, "self-employed or owner-managed business", "self-employed", "investor"),
)

#: Risk of an occupation that is declared but matches no keyword: the table cannot
#: vouch for it, so it is neither low nor high.
UNKNOWN_OCCUPATION_RISK = 0.2
#: Risk of an undeclared occupation: the bank does not know the source of funds.
MISSING_OCCUPATION_RISK = 0.5

#: Products (canonical account products first, then services an application may ask for).
PRODUCT_RISK: Mapping[str, RiskEntry] = MappingProxyType(
    {
        e.keyword: e
        for e in (
            RiskEntry("current", 0.1, "everyday account"),
            RiskEntry("savings", 0.1, "savings, low turnover"),
            RiskEntry("loan", 0.1, "lending, funds flow to the customer from the bank"),
            RiskEntry("credit_card", 0.2, "card credit, third-party repayments possible"),
            RiskEntry("business_current", 0.4, "business account, third-party flows"),
            RiskEntry("international_wire", 0.7, "cross-border wire transfers"),
            RiskEntry("prepaid_card", 0.7, "prepaid card, anonymity and cross-border loading"),
            RiskEntry("trade_finance", 0.8, "trade finance, trade-based laundering"),
            RiskEntry("private_banking", 0.8, "private banking, wealth and complex structures"),
            RiskEntry("safe_deposit", 0.6, "safe deposit box, unseen contents"),
            RiskEntry("correspondent", 1.0, "correspondent banking, nested relationships"),
            RiskEntry("virtual_assets", 1.0, "virtual asset custody or exchange"),
        )
    }
)
#: A product the table does not know: moderate, so an unlisted product is never silently low.
UNKNOWN_PRODUCT_RISK = 0.5

#: Delivery channels: how the relationship is served (application) or, in a batch,
#: which canonical transaction channels the customer uses.
CHANNEL_RISK: Mapping[str, RiskEntry] = MappingProxyType(
    {
        e.keyword: e
        for e in (
            RiskEntry("branch", 0.0, "face to face"),
            RiskEntry("online", 0.4, "non-face-to-face"),
            RiskEntry("mobile", 0.4, "non-face-to-face"),
            RiskEntry("telephone", 0.5, "non-face-to-face"),
            RiskEntry("post", 0.5, "non-face-to-face"),
            RiskEntry(
                "intermediary", 0.7, "introduced business, the bank never meets the customer"
            ),
            # canonical transaction channels
            RiskEntry("card_present", 0.0, "card at a terminal"),
            RiskEntry("atm", 0.1, "cash at an ATM"),
            RiskEntry("cash_withdrawal", 0.2, "cash out over the counter"),
            RiskEntry("transfer", 0.2, "domestic transfer"),
            RiskEntry("ach", 0.2, "domestic batch payment"),
            RiskEntry("card_not_present", 0.4, "non-face-to-face card payment"),
            RiskEntry("cash_deposit", 0.6, "cash placement"),
            RiskEntry("wire", 0.6, "wire transfer, often cross-border"),
        )
    }
)
UNKNOWN_CHANNEL_RISK = 0.5


def occupation_risk(occupation: str | None) -> tuple[float, str]:
    """Risk 0-1 of an occupation or business activity, and the table's reason."""
    if occupation is None or not occupation.strip():
        return MISSING_OCCUPATION_RISK, "occupation not declared: source of funds unknown"
    words = " " + re.sub(r"[^a-z0-9]+", " ", occupation.lower()).strip() + " "
    best: RiskEntry | None = None
    for entry in OCCUPATION_RISK:
        if f" {entry.keyword} " in words and (best is None or entry.value > best.value):
            best = entry
    if best is None:
        return UNKNOWN_OCCUPATION_RISK, f"{occupation!r} is not a listed higher-risk activity"
    return best.value, f"{occupation!r}: {best.category}"


# --- identity documents ---------------------------------------------------------------

Check = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class DocumentRule:
    """The format of one document type (for one issuing country, or any when ``country`` is None).

    ``pattern`` is matched against the number upper-cased with spaces removed;
    ``check`` is an optional check-digit test run after the pattern.
    """

    document_type: str
    country: str | None
    pattern: str
    description: str
    check: Check | None = None

    def accepts(self, number: str) -> bool:
        return re.fullmatch(self.pattern, number) is not None and (
            self.check is None or self.check(number)
        )


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _spanish_dni(number: str) -> bool:
    """Spanish DNI: the letter is the check character of the 8 digits (mod 23)."""
    return _DNI_LETTERS[int(number[:8]) % 23] == number[8]


def _dutch_bsn(number: str) -> bool:
    """Dutch BSN: the "elfproef" — weights 9..2 and -1 sum to a multiple of 11."""
    digits = [int(c) for c in number]
    total = sum(w * d for w, d in zip(range(9, 1, -1), digits[:8], strict=True)) - digits[8]
    return total % 11 == 0


DOCUMENT_TYPES = ("passport", "national_id", "driving_licence", "company_registration")

#: Known formats. A (type, country) rule wins over the type's default (country None).
DOCUMENT_RULES: tuple[DocumentRule, ...] = (
    DocumentRule("passport", None, r"[A-Z0-9]{6,9}", "6-9 letters or digits (ICAO 9303 field)"),
    DocumentRule("passport", "US", r"[0-9]{9}|[A-Z][0-9]{8}", "9 digits, or a letter and 8"),
    DocumentRule("passport", "GB", r"[0-9]{9}", "9 digits"),
    DocumentRule("passport", "IN", r"[A-Z][0-9]{7}", "a letter and 7 digits"),
    DocumentRule("passport", "DE", r"[CFGHJKLMNPRTVWXYZ0-9]{9}", "9 characters, no vowels"),
    DocumentRule("national_id", None, r"[A-Z0-9-]{5,20}", "5-20 letters, digits or hyphens"),
    DocumentRule(
        "national_id", "ES", r"[0-9]{8}[A-Z]", "DNI: 8 digits and a check letter", _spanish_dni
    ),
    DocumentRule("national_id", "NL", r"[0-9]{9}", "BSN: 9 digits passing the 11-test", _dutch_bsn),
    DocumentRule("national_id", "IN", r"[2-9][0-9]{11}", "Aadhaar: 12 digits, not starting 0/1"),
    DocumentRule(
        "national_id",
        "US",
        r"(?!000|666|9)[0-9]{3}-?(?!00)[0-9]{2}-?(?!0000)[0-9]{4}",
        "SSN: AAA-GG-SSSS, no 000/666/9xx area, no 00 group, no 0000 serial",
    ),
    DocumentRule("driving_licence", None, r"[A-Z0-9-]{4,20}", "4-20 letters, digits or hyphens"),
    DocumentRule(
        "driving_licence",
        "GB",
        r"[A-Z9]{5}[0-9]{6}[A-Z9]{2}[0-9][A-Z]{2}",
        "DVLA: 5 surname characters, 6 digits, 2 initials, a digit, 2 letters",
    ),
    DocumentRule(
        "company_registration", None, r"[A-Z0-9/.-]{4,20}", "4-20 letters, digits or / . -"
    ),
    DocumentRule(
        "company_registration",
        "GB",
        r"[0-9]{8}|(SC|NI|OC|SO|NC|R0)[0-9]{6}",
        "Companies House: 8 digits, or a 2-letter prefix and 6 digits",
    ),
    DocumentRule("company_registration", "US", r"[0-9]{2}-?[0-9]{7}", "EIN: NN-NNNNNNN"),
)


def document_rule(
    document_type: str, country: str | None, rules: tuple[DocumentRule, ...] = DOCUMENT_RULES
) -> DocumentRule | None:
    """The rule for a document type issued by ``country``; the type's default otherwise."""
    default: DocumentRule | None = None
    for rule in rules:
        if rule.document_type != document_type:
            continue
        if rule.country is not None and rule.country == country:
            return rule
        if rule.country is None:
            default = rule
    return default


def normalise_document_number(number: str) -> str:
    """Upper case without spaces: how the number is printed varies, the number does not."""
    return re.sub(r"\s+", "", number).upper()


__all__ = [
    "CHANNEL_RISK",
    "DOCUMENT_RULES",
    "DOCUMENT_TYPES",
    "DocumentRule",
    "FATF_CALL_FOR_ACTION",
    "FATF_INCREASED_MONITORING",
    "ISO_COUNTRIES",
    "MISSING_OCCUPATION_RISK",
    "OCCUPATION_RISK",
    "PRODUCT_RISK",
    "RiskEntry",
    "UNKNOWN_CHANNEL_RISK",
    "UNKNOWN_OCCUPATION_RISK",
    "UNKNOWN_PRODUCT_RISK",
    "document_rule",
    "normalise_document_number",
    "occupation_risk",
]
