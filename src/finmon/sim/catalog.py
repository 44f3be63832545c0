"""Static reference data the bank twin draws from: places, merchant categories, names.

Kept in one module so the behaviour code reads as behaviour, and so the few
facts a reader may want to check (an MCC, a city's coordinates, which
jurisdictions count as higher risk) sit in one place. The bank is a US bank:
its home country is ``US``, its currency USD, and its cash reporting threshold
(the Currency Transaction Report) is 10,000 dollars.
"""

from __future__ import annotations

from dataclasses import dataclass

HOME_COUNTRY = "US"
HOME_BIC = "FNMOUS33"
"""The simulated bank's own BIC: internal transfers name it as the counterparty bank."""

SEGMENTS = ("mass", "affluent", "private", "student", "retiree", "small_business", "corporate")
INDIVIDUAL_SEGMENTS = (0, 1, 2, 3, 4)
BUSINESS_SEGMENTS = (5, 6)
PRODUCTS = ("current", "savings", "credit_card", "business_current")
RISK_RATINGS = ("low", "medium", "high")
RISK_RATINGS_INDEX = {r: i for i, r in enumerate(RISK_RATINGS)}
DEVICE_KINDS = ("mobile", "desktop", "tablet")


@dataclass(frozen=True, slots=True)
class City:
    """A place where customers live, merchants trade and cards are used."""

    name: str
    country: str
    lat: float
    lon: float
    weight: float


HOME_CITIES: tuple[City, ...] = (
    City("New York", "US", 40.7128, -74.0060, 0.26),
    City("Los Angeles", "US", 34.0522, -118.2437, 0.18),
    City("Chicago", "US", 41.8781, -87.6298, 0.14),
    City("Houston", "US", 29.7604, -95.3698, 0.12),
    City("Miami", "US", 25.7617, -80.1918, 0.10),
    City("Phoenix", "US", 33.4484, -112.0740, 0.08),
    City("Seattle", "US", 47.6062, -122.3321, 0.07),
    City("Boston", "US", 42.3601, -71.0589, 0.05),
)

FOREIGN_CITIES: tuple[City, ...] = (
    City("London", "GB", 51.5074, -0.1278, 0.16),
    City("Paris", "FR", 48.8566, 2.3522, 0.12),
    City("Cancun", "MX", 21.1619, -86.8515, 0.14),
    City("Toronto", "CA", 43.6532, -79.3832, 0.12),
    City("Tokyo", "JP", 35.6762, 139.6503, 0.07),
    City("Rome", "IT", 41.9028, 12.4964, 0.08),
    City("Dubai", "AE", 25.2048, 55.2708, 0.06),
    City("Istanbul", "TR", 41.0082, 28.9784, 0.05),
    City("Bangkok", "TH", 13.7563, 100.5018, 0.05),
    City("Lagos", "NG", 6.5244, 3.3792, 0.04),
    City("Manila", "PH", 14.5995, 120.9842, 0.05),
    City("Sao Paulo", "BR", -23.5505, -46.6333, 0.06),
)

FOREIGN_RESIDENT_COUNTRIES = ("MX", "IN", "PH", "CN", "GB", "NG", "VN", "SV", "DO", "CA", "PK")
"""Origin countries of the bank's foreign-resident customers (and their remittance corridors)."""

HIGH_RISK_COUNTRIES = (
    "IR", "KP", "MM", "SY", "YE", "HT", "SS", "NG", "VE", "LB", "VN", "CD", "MZ", "TZ", "PK",
)  # fmt: skip
"""Jurisdictions treated as higher risk: FATF's "call for action" list (IR, KP, MM) and
countries from its increased-monitoring list at some point in 2023-2025. Illustrative, not a
compliance list."""

REMITTANCE_HIGH_RISK = ("NG", "VN", "HT", "PK", "LB")
"""Corridors where legitimate family remittances go to a higher-risk jurisdiction."""


@dataclass(frozen=True, slots=True)
class MerchantCategory:
    """An ISO 18245 category with how people spend in it.

    Attributes:
        mcc: the four-digit merchant category code.
        label: words used in merchant names.
        median: median ticket in dollars.
        sigma: log-normal spread of the ticket.
        online: share of its merchants that sell card-not-present.
        risk: the acquirer's risk rating for the category.
        weight: base share of card transactions.
        business: whether it is mostly business-to-business spend.
    """

    mcc: str
    label: str
    median: float
    sigma: float
    online: float
    risk: str
    weight: float
    business: bool = False


CATEGORIES: tuple[MerchantCategory, ...] = (
    MerchantCategory("5411", "Market", 42.0, 0.75, 0.05, "low", 0.22),
    MerchantCategory("5541", "Fuel", 38.0, 0.40, 0.0, "low", 0.09),
    MerchantCategory("5812", "Restaurant", 34.0, 0.60, 0.02, "low", 0.10),
    MerchantCategory("5814", "Quick Eats", 11.0, 0.50, 0.05, "low", 0.11),
    MerchantCategory("5912", "Pharmacy", 21.0, 0.70, 0.05, "low", 0.05),
    MerchantCategory("5311", "Department Store", 58.0, 0.80, 0.20, "low", 0.04),
    MerchantCategory("5651", "Apparel", 52.0, 0.80, 0.35, "low", 0.04),
    MerchantCategory("5942", "Books Online", 24.0, 0.80, 1.0, "low", 0.04),
    MerchantCategory("5999", "Online Store", 38.0, 1.00, 0.85, "medium", 0.07),
    MerchantCategory("5815", "Digital Goods", 2.99, 0.90, 1.0, "low", 0.04),
    MerchantCategory("4899", "Streaming", 13.5, 0.30, 1.0, "low", 0.02),
    MerchantCategory("4121", "Rides", 17.0, 0.55, 1.0, "low", 0.04),
    MerchantCategory("7523", "Parking", 6.0, 0.50, 0.3, "low", 0.02),
    MerchantCategory("5732", "Electronics", 160.0, 1.00, 0.45, "medium", 0.02),
    MerchantCategory("5944", "Jewelers", 280.0, 1.10, 0.20, "medium", 0.004),
    MerchantCategory("4511", "Airlines", 360.0, 0.60, 0.95, "low", 0.006),
    MerchantCategory("7011", "Hotel", 210.0, 0.60, 0.50, "low", 0.006),
    MerchantCategory("7995", "Betting", 45.0, 1.10, 0.70, "high", 0.006),
    MerchantCategory("4829", "Money Transfer", 180.0, 0.90, 0.60, "high", 0.004),
    MerchantCategory("6051", "Crypto Exchange", 140.0, 1.20, 1.0, "high", 0.004),
    MerchantCategory("5300", "Wholesale Club", 130.0, 0.70, 0.10, "low", 0.02, True),
    MerchantCategory("5045", "Office Tech", 290.0, 1.00, 0.60, "low", 0.01, True),
    MerchantCategory("7399", "Business Services", 240.0, 1.00, 0.50, "low", 0.01, True),
)

MCC_INDEX = {c.mcc: i for i, c in enumerate(CATEGORIES)}

SEGMENT_SPEND_TILT: dict[int, dict[str, float]] = {
    0: {},
    1: {"5812": 1.6, "4511": 2.0, "7011": 2.0, "5944": 1.8, "5732": 1.3},
    2: {"5812": 2.0, "4511": 3.0, "7011": 3.0, "5944": 4.0, "5814": 0.4},
    3: {"5814": 2.2, "5815": 2.5, "4121": 1.8, "5942": 1.5, "5411": 0.6, "5541": 0.4},
    4: {"5411": 1.5, "5912": 2.2, "5815": 0.3, "4121": 0.4, "6051": 0.2, "7995": 0.6},
    5: {"5300": 6.0, "5045": 5.0, "7399": 5.0, "5541": 1.8, "5815": 0.3},
    6: {"5300": 8.0, "5045": 8.0, "7399": 9.0, "4511": 3.0, "7011": 3.0, "5815": 0.1},
}
"""Multipliers on a category's base weight for each segment (index into SEGMENTS)."""

SEGMENT_TICKET = (1.0, 1.5, 2.4, 0.7, 0.9, 1.6, 2.8)
"""How much bigger a segment's typical ticket is than the category median."""

OCCUPATIONS: dict[int, tuple[str, ...]] = {
    0: ("teacher", "nurse", "driver", "clerk", "technician", "sales associate", "electrician"),
    1: ("engineer", "physician", "lawyer", "manager", "pharmacist", "architect"),
    2: ("executive", "investor", "surgeon", "business owner", "partner"),
    3: ("student",),
    4: ("retired",),
    5: ("restaurant", "convenience store", "car wash", "hair salon", "contractor", "laundromat"),
    6: ("manufacturing", "logistics", "software", "wholesale", "real estate"),
}

CASH_INTENSIVE = frozenset({"restaurant", "convenience store", "car wash", "laundromat"})

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "Maria", "Jose", "Wei", "Priya", "Ahmed", "Fatima", "Carlos", "Ana", "Kwame",
    "Ngozi", "Minh", "Olga", "Luis", "Sofia", "Daniel", "Grace", "Omar", "Aisha", "Kevin", "Emily",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Nguyen", "Patel", "Kim", "Chen", "Okafor", "Hassan", "Lopez", "Gonzalez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Lee", "Perez", "Khan", "Ali",
)  # fmt: skip
BUSINESS_WORDS = (
    "Summit", "Harbor", "Pioneer", "Golden", "Eagle", "Maple", "Liberty", "Northstar", "Atlas",
    "Blue Ridge", "Cedar", "Granite", "Silver", "Sunrise", "Keystone", "Redwood", "Orchard",
)  # fmt: skip
BUSINESS_SUFFIXES = ("LLC", "Inc", "Co", "Group", "Holdings", "Partners", "Trading")

DESCRIPTIONS = (
    "POS PURCHASE",
    "ONLINE PURCHASE",
    "ATM WITHDRAWAL",
    "CASH DEPOSIT",
    "PAYROLL",
    "PENSION",
    "RENT",
    "UTILITY BILL",
    "TRANSFER",
    "TRANSFER TO SAVINGS",
    "CARD PAYMENT",
    "WIRE TRANSFER",
    "INCOMING WIRE",
    "SUPPLIER PAYMENT",
    "CUSTOMER PAYMENT",
    "REMITTANCE",
    "P2P PAYMENT",
    "CASH WITHDRAWAL",
    "INVOICE",
    "LOAN REPAYMENT",
)
DESC = {d: i for i, d in enumerate(DESCRIPTIONS)}

__all__ = [
    "BUSINESS_SEGMENTS",
    "CASH_INTENSIVE",
    "CATEGORIES",
    "DESC",
    "DESCRIPTIONS",
    "FOREIGN_CITIES",
    "FOREIGN_RESIDENT_COUNTRIES",
    "HIGH_RISK_COUNTRIES",
    "HOME_BIC",
    "HOME_CITIES",
    "HOME_COUNTRY",
    "INDIVIDUAL_SEGMENTS",
    "MCC_INDEX",
    "OCCUPATIONS",
    "SEGMENTS",
    "City",
    "MerchantCategory",
]
