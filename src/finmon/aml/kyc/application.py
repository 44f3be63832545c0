"""The onboarding application: what a prospective customer tells the bank.

The model is deliberately lenient about *content* (an empty name or an
unknown document type parses) and strict only about *shape* (a date must be
a date, a volume an integer): content problems are onboarding checks with a
result and a reason naming the field, so the applicant and the analyst see
every problem at once; shape problems mean the file itself is broken and
raise :class:`finmon.core.errors.ValidationError`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from finmon.core.errors import Problem, ValidationError


class Address(BaseModel):
    """Residential or registered address."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""


class Application(BaseModel):
    """A prospective customer's application (individual or business).

    Money is an integer in minor units of ``currency`` (never a float).
    Individuals give ``given_names`` and ``family_name``; businesses give
    ``legal_name`` (and a ``company_registration`` document).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["individual", "business"]
    customer_id: str = ""
    given_names: str = ""
    family_name: str = ""
    legal_name: str = ""
    date_of_birth: date | None = None
    nationality: str = ""
    country_of_residence: str = ""
    address: Address = Field(default_factory=Address)
    document_type: str = ""
    document_number: str = ""
    document_country: str = ""
    document_expiry: date | None = None
    occupation: str = ""
    expected_monthly_volume_minor: int | None = Field(default=None, ge=0)
    expected_monthly_count: int | None = Field(default=None, ge=0)
    currency: str = "USD"
    channels: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    pep_declared: bool = False

    @property
    def full_name(self) -> str:
        """The name screening sees: legal name for a business, given + family for a person."""
        if self.kind == "business":
            return self.legal_name
        return " ".join(p for p in (self.given_names, self.family_name) if p)


def parse_application(data: Any) -> Application:
    """An :class:`Application` from a decoded JSON object.

    Raises:
        ValidationError: the document has the wrong shape; every problem names its field.
    """
    if not isinstance(data, dict):
        raise ValidationError("an application is a JSON object", field="application")
    try:
        return Application.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in err["loc"]), err["msg"], "invalid")
            for err in exc.errors()
        ]
        raise ValidationError.from_problems("application", problems) from None


__all__ = ["Address", "Application", "parse_application"]
