"""finmon.aml.kyc: onboarding checks and the customer risk rating.

* :func:`onboard` runs every onboarding check on an :class:`Application`
  (identity, age, countries, address, document, declared profile, sanctions
  and PEP screening through any :class:`NameScreener`, the initial rating) and
  decides approve / refer (enhanced due diligence) / reject;
* :func:`rate_customer` rates a :class:`CustomerProfile` with its observed
  activity from weighted factors (:class:`RiskConfig`), with the breakdown,
  the tier, EDD triggers and the next periodic review date;
* :func:`rerate` rates again and reports what changed; :func:`due_for_review`
  lists customers whose periodic review is due;
* :func:`rate_dataset` rates every customer of a canonical dataset directory.

docs/kyc.md documents the checks, tables, weights and tiers.
"""

from finmon.aml.kyc.application import Address, Application, parse_application
from finmon.aml.kyc.batch import DatasetRating, observe_activity, rate_dataset
from finmon.aml.kyc.onboarding import (
    DEFAULT_ONBOARDING,
    CheckResult,
    OnboardingConfig,
    OnboardingResult,
    onboard,
)
from finmon.aml.kyc.rating import (
    DEFAULT_CONFIG,
    DEFAULT_WEIGHTS,
    FACTORS,
    TIERS,
    CustomerProfile,
    CustomerRating,
    Factor,
    FactorDelta,
    ObservedActivity,
    Rerating,
    ReviewDue,
    ReviewRecord,
    RiskConfig,
    Tier,
    Trigger,
    due_for_review,
    next_review_date,
    rate_customer,
    rerate,
)
from finmon.aml.kyc.screening import NameScreener, ScreeningHit
from finmon.aml.kyc.tables import DOCUMENT_RULES, DocumentRule

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_ONBOARDING",
    "DEFAULT_WEIGHTS",
    "DOCUMENT_RULES",
    "FACTORS",
    "TIERS",
    "Address",
    "Application",
    "CheckResult",
    "CustomerProfile",
    "CustomerRating",
    "DatasetRating",
    "DocumentRule",
    "Factor",
    "FactorDelta",
    "NameScreener",
    "ObservedActivity",
    "OnboardingConfig",
    "OnboardingResult",
    "Rerating",
    "ReviewDue",
    "ReviewRecord",
    "RiskConfig",
    "ScreeningHit",
    "Tier",
    "Trigger",
    "due_for_review",
    "next_review_date",
    "observe_activity",
    "onboard",
    "parse_application",
    "rate_customer",
    "rate_dataset",
    "rerate",
]
